"""Webhook mode: one uvicorn server on the Application's event loop takes Telegram's updates
and serves the staff console, as python-telegram-bot's customwebhookbot/starlettebot.py does.

Telegram POSTs each update to the webhook's path with the secret given to setWebhook in the
`X-Telegram-Bot-Api-Secret-Token` header; a request without it is refused (403). An update
is written into the journal (journal.py) before Telegram gets its 200, so an update received
just before a crash is answered at the next start, as with long polling. The secret is new
at every start (setWebhook tells Telegram), so it is never stored or configured.

`serve_webhook` mirrors `serve_polling`: it retries an unreachable Bot API at start, stops
on SIGINT/SIGTERM, and stops with one clear line and exit status 1 when Telegram refuses the
token or the port cannot be listened on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from telegram import Update
from telegram.error import InvalidToken
from telegram.ext import Application

from bot.config import WebConfig
from bot.telegram.journal import UpdateJournal
from bot.telegram.polling import (
    EXIT_REFUSED,
    TokenRefused,
    no_refused_token_tracebacks,
    refused_message,
    start_with_retry,
    stop_application,
)
from bot.web.serving import uvicorn_config

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
EXIT_NOT_SERVED = 1


def new_secret() -> str:
    """A webhook secret as Telegram accepts it (1-256 of A-Z a-z 0-9 _ -)."""
    return secrets.token_urlsafe(32)


def webhook_route(
    app: Application, path: str, secret: str, journal: UpdateJournal | None = None
) -> Route:
    """The POST route Telegram delivers updates to."""

    async def telegram(request: Request) -> Response:
        """One update: checked, written down (journal), queued for the handlers."""
        given = request.headers.get(SECRET_HEADER, "")
        if not secrets.compare_digest(given.encode(), secret.encode()):
            return PlainTextResponse("Forbidden", status_code=403)
        try:
            data = await request.json()
            update_id = data.get("update_id") if isinstance(data, dict) else None
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                raise ValueError("no update_id")
            update = Update.de_json(data, app.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # de_json's faults
            log.warning(
                "webhook: a request with the secret but not an update (%s)", type(exc).__name__
            )
            return PlainTextResponse("Not an update", status_code=400)
        if journal is not None:
            await journal.run("record", journal.record, [data])
        await app.update_queue.put(update)
        return Response()

    return Route("/" + path.strip("/"), telegram, methods=["POST"])


def one_server(webhook: Route, console: Starlette | None) -> Starlette:
    """The webhook route, then (under every other path) the console if there is one."""
    routes: list[BaseRoute] = [webhook]
    if console is not None:
        routes.append(Mount("", app=console))
    return Starlette(routes=routes)


async def serve_webhook(
    app: Application,
    *,
    base_url: str,
    webhook_url: str,
    secret: str,
    server_app: Starlette,
    web: WebConfig,
    listen: str,
    port: int,
    allowed_updates: list[str],
) -> int:
    """Serve `server_app` on listen:port and take updates from Telegram until SIGINT/SIGTERM
    (exit status 0), a refused token (EXIT_REFUSED) or a port that cannot be listened on."""
    no_refused_token_tracebacks()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = uvicorn.Server(uvicorn_config(server_app, web, listen, port))
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    serving: asyncio.Task | None = None
    started = False
    status = 0
    try:
        if not await start_with_retry(app, base_url, stop):
            return 0
        started = True
        if app.post_init:
            await app.post_init(app)
        await app.start()
        serving = asyncio.create_task(_serve(server), name="webhook-server")
        while not server.started and not serving.done():
            await asyncio.sleep(0.05)
        if serving.done():
            log.critical("cannot listen on %s:%s (%s). Stopping.", listen, port, serving.result())
            status = EXIT_NOT_SERVED
            return status
        await app.bot.set_webhook(webhook_url, allowed_updates=allowed_updates, secret_token=secret)
        log.info("webhook %s served on %s:%s", webhook_url, listen, port)
        waiting = asyncio.create_task(stop.wait())
        await asyncio.wait([waiting, serving], return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
    except (TokenRefused, InvalidToken) as exc:
        log.critical("%s", refused_message(str(exc)))
        status = EXIT_REFUSED
    finally:
        server.should_exit = True
        if serving is not None:
            await asyncio.wait([serving], timeout=10)
        await stop_application(app, started)
    return status


async def _serve(server: uvicorn.Server) -> str:
    """Run uvicorn; the reason it could not start, or "" when it stopped as asked."""
    try:
        await server.serve()
    except OSError as exc:
        return str(exc)
    except SystemExit:  # uvicorn logs why it cannot bind, then exits
        return "the port is taken, or the address is not this machine's"
    return "" if server.started else "not started"
