"""The Telegram bot: wiring only. Behaviour lives in handlers.py and format.py.

`build_application()` returns a python-telegram-bot `Application` with every handler, the
error handler and Telegram's rate limits (AIORateLimiter); services are opened before
polling starts and closed after it stops: the database's write queue and read connection
(storage_access.py), the staff chat's queue (staffqueue.py) and the update journal
(journal.py). `run()` starts long polling (polling.py) or a webhook (webhook.py), each with
the staff console on the same event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from starlette.applications import Starlette
from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot import warmup
from bot.answering import Answerer
from bot.config import Config
from bot.delivery import Deliveries
from bot.handoff import Desk, HandoffStore
from bot.language import written_in
from bot.retention import purge_daily
from bot.telegram import digest, handlers, handoffs, staff, staffwords, storage_access, webhook
from bot.telegram.journal import JournalProcessor, UpdateJournal, journal_path, replay
from bot.telegram.polling import PollingRequest, serve_polling
from bot.telegram.staffqueue import StaffQueue, WebCopies
from bot.web.serving import uvicorn_config

log = logging.getLogger(__name__)
TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")


class TokenError(Exception):
    """The Telegram token is missing or not of the form 123456:ABC..."""


def check_token(token: str | None) -> str:
    if not token:
        raise TokenError(
            "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and "
            "export TELEGRAM_BOT_TOKEN=123456:ABC..."
        )
    if not TOKEN_PATTERN.match(token):
        raise TokenError(
            "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, "
            "then letters, digits, - and _); check it with @BotFather"
        )
    return token


def build_application(
    config: Config,
    answerer: Answerer,
    storage=None,
    translate: Callable[[str, str, str], str | None] | None = None,
    request: BaseRequest | None = None,
    journal: UpdateJournal | None = None,
    covers: Callable[[str, str], bool] | None = None,
) -> Application:
    """The Application with every handler; `request` replaces the network (tests);
    `journal` keeps received updates until they are answered (journal.py); `covers`: which
    pairs `translate` can translate (bot.handoff.Desk)."""
    polling_request = PollingRequest(request or HTTPXRequest(connection_pool_size=1), journal)
    builder = (
        Application.builder()
        .token(check_token(config.token))
        .base_url(config.telegram.base_url)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(JournalProcessor(journal) if journal else True)
        .get_updates_request(polling_request)
    )
    if request is not None:
        builder = builder.request(request)

    async def post_init(app: Application) -> None:
        if storage is not None:
            purged = app.bot_data["purged"] = asyncio.Event()  # set after the first purge
            app.bot_data["purge_task"] = asyncio.create_task(purge_daily(storage, purged))
        # The second encoder's warm-up may already have swapped in its answerer (it starts
        # before the application: run/start_second_encoder).
        app.bot_data.setdefault("answerer", answerer)
        app.bot_data.update(
            config=config,
            storage=storage,
            translate=translate,
            matching_pool=ThreadPoolExecutor(1, thread_name_prefix="matching"),
            translation_pool=ThreadPoolExecutor(1, thread_name_prefix="translation"),
        )
        if storage is not None:
            storage_access.open_access(app, storage, config)
        if config.telegram.staff_chat_id:
            staff_queue = StaffQueue(
                app,
                config,
                translate,
                functools.partial(storage_access.write_to, app, "save_relay"),
                desk.store.open_relay if desk is not None else None,
                reply_language=desk.sent_in if desk is not None else None,
            )
            staff_queue.start()
            app.bot_data["staff_queue"] = staff_queue
        digest.start(app, config)
        if journal is not None:
            await replay(app, journal, config.telegram.replay_max_age_seconds)

    async def post_shutdown(app: Application) -> None:
        digest.stop(app)
        if "staff_queue" in app.bot_data:
            await app.bot_data["staff_queue"].stop()
        task = app.bot_data.get("purge_task")
        if task is not None:
            task.cancel()
        app.bot_data["matching_pool"].shutdown(wait=True)
        app.bot_data["translation_pool"].shutdown(wait=True)
        if storage is not None:
            storage_access.close_access(app)
            storage.close()
        if journal is not None:
            journal.close()
        if desk is not None:
            desk.store.close()

    app = builder.post_init(post_init).post_shutdown(post_shutdown).build()
    app.bot_data["polling_request"] = polling_request
    desk = None
    if storage is not None:  # staff replies and handoff state (bot/handoff.py)
        desk = Desk(
            HandoffStore(storage.path),
            Deliveries(),
            kb_language=config.knowledge.language,
            translate=translate,
            covers=covers,
            detect=lambda text: written_in(app.bot_data.get("answerer", answerer).detector, text),
        )
        desk.deliveries.register(
            "telegram", handoffs.sender(app.bot, lambda: handlers.serving(app.bot_data), storage)
        )
        desk.watch(handoffs.show_state(app, desk, staffwords.language(config)))
        app.bot_data.update(desk=desk, deliveries=desk.deliveries)
    wire(app, config)
    return app


def wire(app: Application, config: Config) -> None:
    """Every handler in one readable block."""
    staff_chat = (
        filters.Chat(config.telegram.staff_chat_id)
        if config.telegram.staff_chat_id
        else filters.Chat(chat_id=[])
    )
    app.add_handler(CommandHandler("start", handlers.start))
    app.add_handler(CommandHandler("help", handlers.help_command))
    app.add_handler(CommandHandler("language", handlers.language))
    app.add_handler(CommandHandler("topics", handlers.topics))
    app.add_handler(CommandHandler("staff", handlers.staff))
    app.add_handler(CommandHandler("forget", handlers.forget))
    app.add_handler(CommandHandler("notify", handlers.notify))
    app.add_handler(CommandHandler("reload", staff.reload))
    app.add_handler(CommandHandler("unanswered", staff.unanswered))
    app.add_handler(CommandHandler("stats", staff.stats))
    app.add_handler(CallbackQueryHandler(staff.button, pattern=r"^(u[io]|h[ctrxs]):"))
    app.add_handler(CallbackQueryHandler(handlers.button))
    staff_private = filters.ChatType.PRIVATE & filters.User(
        user_id=list(config.telegram.staff_user_ids)
    )
    app.add_handler(
        MessageHandler(
            (staff_chat | staff_private) & filters.REPLY & ~filters.COMMAND, staff.relay_reply
        )
    )
    messages = filters.UpdateType.MESSAGES & ~staff_chat  # not channel posts: no one to answer
    app.add_handler(MessageHandler(messages & filters.TEXT & ~filters.COMMAND, handlers.ask))
    app.add_handler(
        MessageHandler(
            messages & ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
            handlers.not_text,
        )
    )
    app.add_error_handler(handlers.error_handler)


def run(
    config: Config,
    answerer: Answerer,
    storage=None,
    translate=None,
    *,
    covers=None,
    webhook_url: str | None = None,
    listen: str = "127.0.0.1",
    port: int = 8443,
    console: bool = False,
) -> int:
    """Serve until interrupted: long polling, or a webhook when `webhook_url` is given.
    With `console` (and a database), the staff console is served on the same event loop,
    sharing the answerer: a change made in the console is live on Telegram at once. With
    long polling it listens on `[web]` host:port; in webhook mode one server on
    listen:port takes both the webhook and the console. Returns the exit status: 0 when
    stopped, 1 when Telegram refused the token (or the webhook's port was not free)."""
    journal = None
    try:
        journal = UpdateJournal(journal_path(config.storage.database))
    except (OSError, sqlite3.Error) as exc:
        log.error("no update journal (%s): updates being answered at a crash are lost", exc)
    app = build_application(config, answerer, storage, translate, journal=journal, covers=covers)
    updates = Update.ALL_TYPES
    # The answerer serving now, before post_init runs: the warm-up reads it at once (without
    # the console, whose holder otherwise supplies it, `run --no-console` failed here).
    app.bot_data["answerer"] = answerer
    console_app = console_for(app, config, storage, answerer) if console and storage else None
    start_second_encoder(app, config, storage)
    if webhook_url:
        secret = webhook.new_secret()
        path = urlparse(webhook_url).path
        server_app = webhook.one_server(
            webhook.webhook_route(app, path, secret, journal), console_app
        )
        log.info("webhook mode on %s:%s for %s", listen, port, webhook_url)
        if console_app is not None:
            log.info("staff console on the same server: http://%s:%s/", listen, port)
        return asyncio.run(
            webhook.serve_webhook(
                app,
                base_url=config.telegram.base_url,
                webhook_url=webhook_url,
                secret=secret,
                server_app=server_app,
                web=config.web,
                listen=listen,
                port=port,
                allowed_updates=updates,
            )
        )
    log.info("long polling %s", config.telegram.base_url)
    if console_app is None:
        return asyncio.run(serve_polling(app, config.telegram.base_url, updates))
    return asyncio.run(_polling_with_console(app, config, console_app, updates))


def start_second_encoder(app: Application, config: Config, storage=None) -> None:
    """After a first start that deferred the second encoder (bot/warmup.py): prepare it in
    the background and swap the fused answerer in where /reload puts one (and into the
    console's holder, under its lock, when the console shares the process)."""
    holder = app.bot_data.get("holder")

    def current() -> Answerer:
        return handlers.serving(app.bot_data)

    def put(new: Answerer) -> None:
        app.bot_data["answerer"] = new
        if holder is not None:
            holder.answerer = new

    warmup.start(current, put, config, storage, handlers.reload_lock(app.bot_data))


def console_for(app: Application, config: Config, storage, answerer: Answerer) -> Starlette:
    """The staff console sharing the bot's answerer (`bot_data["holder"]`: a reload in
    either is live in both) and its handoff desk (`bot_data["desk"]`, whose `Deliveries`,
    `bot_data["deliveries"]`, has the Telegram sender): the console's replies reach Telegram
    askers and its claims show on the staff chat; after an attach or reload, askers are
    told at once."""
    from bot.web.app import AnswererHolder, create_app

    holder = AnswererHolder(answerer)
    desk = app.bot_data["desk"]
    app.bot_data.update(holder=holder)

    async def tell_askers() -> int:
        return await staff.notify_resolved(CallbackContext(app))

    holder.after_reload = tell_askers
    console_app = create_app(config, storage, holder, deliveries=desk.deliveries, desk=desk)
    webchat = getattr(console_app.state, "webchat", None)
    if webchat is not None and config.telegram.staff_chat_id:
        webchat.staff_copies = WebCopies(app)
    return console_app


async def _polling_with_console(
    app: Application, config: Config, console_app: Starlette, updates: list[str]
) -> int:
    """Long polling and the staff console (uvicorn) on one event loop. A console that cannot
    start (its port taken) is logged in one line; Telegram goes on regardless."""
    import uvicorn

    server = uvicorn.Server(
        uvicorn_config(console_app, config.web, config.web.host, config.web.port)
    )
    # The polling loop owns SIGINT/SIGTERM and stops the console when it stops.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]

    async def console() -> None:
        try:
            await server.serve()
        except (OSError, SystemExit) as exc:  # uvicorn exits when it cannot bind
            where = f"{config.web.host}:{config.web.port}"
            log.error("staff console not served on %s: %s", where, exc)

    task = asyncio.create_task(console(), name="staff-console")
    log.info("staff console on http://%s:%s/", config.web.host, config.web.port)
    try:
        return await serve_polling(app, config.telegram.base_url, updates)
    finally:
        server.should_exit = True
        await asyncio.wait([task], timeout=10)
