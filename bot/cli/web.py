"""`python -m bot web`: the staff console (and the web chat) alone, without polling Telegram."""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial

import click

from bot import warmup
from bot.cli.common import load_answerer, open_storage
from bot.config import Config
from bot.delivery import Deliveries
from bot.retention import purge_daily


@click.command()
@click.option("--host", help="Address to listen on (default: [web] host, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port to listen on (default: [web] port, 8080)."
)
@click.pass_obj
def web(config: Config, host: str | None, port: int | None) -> None:
    """Serve the staff console: the inbox of unanswered questions and the entries.

    Log in with an account made by `staff add` and `staff password`. Attaching questions
    to an entry edits the knowledge base and reloads it in this process; a Telegram bot
    running in another process picks the change up at its next /reload. With
    TELEGRAM_BOT_TOKEN set, replies typed here reach Telegram askers through the Bot API
    (this process does not poll Telegram: `run` does).

    Example: python -m bot web --port 8080
    """
    import uvicorn

    from bot.web.app import AnswererHolder, create_app
    from bot.web.serving import uvicorn_config

    token = None
    if config.token:  # checked before the slow start-up
        from bot.telegram.app import TokenError, check_token

        try:
            token = check_token(config.token)
        except TokenError as exc:
            raise click.ClickException(str(exc)) from None
    storage = open_storage(config, create=True)
    assert storage is not None
    answerer = load_answerer(config, None, storage, defer_second=True)
    holder = AnswererHolder(answerer)
    deliveries = Deliveries()
    if token:
        from bot.telegram.handoffs import bot_api_sender

        sender = bot_api_sender(
            token, config.telegram.base_url, lambda: holder.answerer or answerer, storage
        )
        deliveries.register("telegram", sender)
        click.echo("Replies to Telegram askers go out through the Bot API.", err=True)
    app = create_app(config, storage, holder, deliveries=deliveries)
    app.router.lifespan_context = partial(_purging, storage)
    warmup.start(
        lambda: holder.answerer or answerer,
        partial(setattr, holder, "answerer"),
        config,
        storage,
        holder.lock,
    )
    host, port = host or config.web.host, port or config.web.port
    click.echo(f"Staff console on http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    try:
        uvicorn.Server(uvicorn_config(app, config.web, host, port, log_level="info")).run()
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it stopped on: a clean stop
        pass
    finally:
        storage.close()


@contextlib.asynccontextmanager
async def _purging(storage, app):
    """While the server runs: the retention purge now and daily, as `run` does (the question
    log, the audit log; the web chat purges its conversations itself)."""
    task = asyncio.create_task(purge_daily(storage))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
