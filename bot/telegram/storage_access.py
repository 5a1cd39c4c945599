"""How handlers reach the database without ever waiting for it or failing because of it.

Writes (the question log, feedback, settings, relays) go on the `LogQueue` and are written
after the answer is sent. Reads on the way to an answer (the user's chosen language, a
relay) go through a second connection (`Storage.reader`), so they never queue behind a
write, and give up after READ_TIMEOUT seconds: the caller then gets the default.

When storage starts failing, the staff chat and the log are told once; when it heals, once
more (`LogQueue.on_health`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.config import Config
from bot.logqueue import PERMANENT_ERRORS, TRANSIENT_ERRORS, LogQueue

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE

READ_TIMEOUT = 1.0  # seconds a hot-path read may take before the default is used
READ_PAUSE = 30.0  # after a failed or slow read, reads give the default at once this long
QUEUED = frozenset(
    {
        "log_interaction",
        "log_feedback",
        "log_choice",
        "set_user_language",
        "set_notify_opt_out",
        "save_relay",
        "forget",
        "mark_notified",
    }
)
FAILED = object()  # what `read` gives (when asked) if storage failed or was too slow
STAFF_READS = frozenset({"list_unanswered", "pending_notifications", "stats", "find_relay"})
REF = re.compile(r"[A-Za-z0-9_-]{12}")
READS = frozenset(
    {
        "get_user_language",
        "interaction",
        "find_relay",
        "list_unanswered",
        "pending_notifications",
        "stats",
    }
)


def open_access(app: Application, storage: Any, config: Config) -> None:
    """Start the write queue and the read connection; put them in bot_data."""
    loop = asyncio.get_running_loop()
    alerts: set[asyncio.Task] = set()

    def alert(healthy: bool, message: str) -> None:
        task = loop.create_task(tell_staff(app, config, healthy, message))
        alerts.add(task)
        task.add_done_callback(alerts.discard)

    def on_health(healthy: bool, message: str) -> None:  # called in the writer thread
        loop.call_soon_threadsafe(alert, healthy, message)

    try:
        reader = storage.reader()
    except TRANSIENT_ERRORS as exc:
        log.error("no second database connection for reads (%s): reads share the writer's", exc)
        reader = storage
    app.bot_data.update(
        log_queue=LogQueue(storage, on_health=on_health),
        storage_reader=reader,
        read_pool=ThreadPoolExecutor(2, thread_name_prefix="storage-read"),
    )


def close_access(app: Application, timeout: float = 5.0) -> None:
    """Write what is queued (up to `timeout` s) and close the read connection."""
    queue: LogQueue | None = app.bot_data.get("log_queue")
    if queue is not None and not queue.close(timeout):
        log.warning("stopped with log writes unwritten: %s", queue.counts)
    pool = app.bot_data.get("read_pool")
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
    reader = app.bot_data.get("storage_reader")
    if reader is not None and reader is not app.bot_data.get("storage"):
        try:
            reader.close()
        except TRANSIENT_ERRORS:
            log.warning("could not close the read connection", exc_info=True)


async def tell_staff(app: Application, config: Config, healthy: bool, message: str) -> None:
    """One line to the staff chat about the storage state (best effort)."""
    if not config.telegram.staff_chat_id:
        return
    text = ("✅ " if healthy else "⚠️ ") + message
    try:
        await app.bot.send_message(config.telegram.staff_chat_id, text)
    except TelegramError as exc:
        log.warning("could not tell the staff chat about storage: %s", exc)


def new_ref() -> str:
    """A reference for an interaction, known before it is written (feedback buttons)."""
    return secrets.token_urlsafe(9)  # 12 characters of [A-Za-z0-9_-]


def write(context: Context, method: str, *args: Any, **kwargs: Any) -> None:
    """Queue a write; returns at once. No storage configured: nothing."""
    write_to(context.application, method, *args, **kwargs)


def write_to(app: Application, method: str, *args: Any, **kwargs: Any) -> None:
    """`write` for code that has the Application rather than a handler's context."""
    queue: LogQueue | None = app.bot_data.get("log_queue")
    if queue is not None:
        queue.put(method, *args, **kwargs)


async def read(context: Context, method: str, *args: Any, default: Any = None, **kwargs: Any):
    """A read that gives `default` when storage fails or takes longer than READ_TIMEOUT."""
    reader = context.bot_data.get("storage_reader")
    loop = asyncio.get_running_loop()
    if reader is None or loop.time() < context.bot_data.get("reads_paused_until", 0.0):
        return default
    call = loop.run_in_executor(
        context.bot_data["read_pool"], lambda: getattr(reader, method)(*args, **kwargs)
    )
    try:
        return await asyncio.wait_for(call, READ_TIMEOUT)
    except PERMANENT_ERRORS:
        raise
    except TimeoutError:
        why = f"took over {READ_TIMEOUT:.0f} s"
    except TRANSIENT_ERRORS as exc:
        why = f"failed ({exc})"
    context.bot_data["reads_paused_until"] = loop.time() + READ_PAUSE
    log.warning("storage read %s %s: defaults for the next %.0f s", method, why, READ_PAUSE)
    return default


async def call(context: Context, method: str, *args: Any, **kwargs: Any):
    """What handlers' `_store` does: queue a write, read with None as the default, and run
    anything else (a staff action whose result matters) on the storage in a thread."""
    if method in QUEUED:
        write(context, method, *args, **kwargs)
        return None
    if method in READS:
        queue: LogQueue | None = context.bot_data.get("log_queue")
        if method in STAFF_READS and queue is not None:  # staff see what was just written
            await asyncio.to_thread(queue.join, READ_TIMEOUT)
        return await read(context, method, *args, **kwargs)
    storage = context.bot_data.get("storage")
    if storage is None:
        return None
    return await asyncio.to_thread(getattr(storage, method), *args, **kwargs)


def is_interaction_ref(text: str) -> bool:
    """An interaction id (older buttons) or a reference from `new_ref`."""
    return text.isdecimal() or bool(REF.fullmatch(text))
