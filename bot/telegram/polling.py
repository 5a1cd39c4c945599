"""Long polling that a supervisor can trust, and that loses nothing on a crash.

`PollingRequest` wraps the getUpdates request: it writes each batch of updates into the
journal before python-telegram-bot sees them (so before their offset is confirmed), and it
notices Telegram refusing the token (401 Unauthorized, or 404 for a token it does not know).

`serve_polling` replaces `Application.run_polling`: it retries an unreachable Bot API at
start with one log line per attempt and a growing pause (1 s up to 60 s), instead of a
traceback and an exit; it stops on SIGINT/SIGTERM; and when Telegram refuses the token it
stops with one clear line and exit status 1, so a supervisor sees the failure (before, the
polling loop stopped and the process stayed alive, doing nothing).
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections.abc import Callable

from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.telegram.journal import UpdateJournal

log = logging.getLogger(__name__)

REFUSED = (401, 404)  # Unauthorized (revoked token), Not Found (no such bot)
EXIT_REFUSED = 1


class TokenRefused(Exception):
    """Telegram refused the bot token."""


class PollingRequest(BaseRequest):
    """The getUpdates request of `inner`, journaled and watched for a refused token."""

    def __init__(
        self,
        inner: BaseRequest,
        journal: UpdateJournal | None = None,
        on_refused: Callable[[str], None] | None = None,
    ):
        self.inner = inner
        self.journal = journal
        self.on_refused = on_refused

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=BaseRequest.DEFAULT_NONE,
        write_timeout=BaseRequest.DEFAULT_NONE,
        connect_timeout=BaseRequest.DEFAULT_NONE,
        pool_timeout=BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        code, payload = await self.inner.do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        if code in REFUSED and self.on_refused is not None:
            self.on_refused(_description(payload) or f"HTTP {code}")
        elif code == 200 and self.journal is not None and url.endswith("/getUpdates"):
            updates = _result(payload)
            if updates:
                await self.journal.run("record", self.journal.record, updates)
        return code, payload


def _result(payload: bytes) -> list[dict]:
    try:
        data = json.loads(payload)
    except ValueError:
        return []
    result = data.get("result") if isinstance(data, dict) else None
    return [u for u in result if isinstance(u, dict)] if isinstance(result, list) else []


def _description(payload: bytes) -> str:
    try:
        data = json.loads(payload)
    except ValueError:
        return ""
    return str(data.get("description") or "") if isinstance(data, dict) else ""


def refused_message(detail: str) -> str:
    return (
        f"Telegram refused the bot token ({detail}): it was revoked or mistyped; get a valid "
        "one from @BotFather and set TELEGRAM_BOT_TOKEN. Stopping."
    )


async def start_with_retry(app: Application, base_url: str, stop: asyncio.Event) -> bool:
    """`app.initialize()` (getMe), retried with one line per failure; False if stopped."""
    delay = 1.0
    while not stop.is_set():
        try:
            await app.initialize()
            return True
        except InvalidToken as exc:  # its message names the token: say Telegram's words
            raise TokenRefused(
                str(exc.__cause__ or "rejected").replace(app.bot.token, "…")
            ) from None
        except (NetworkError, TimedOut) as exc:
            cause = exc.__cause__ or exc
            log.error(
                "cannot reach the Bot API at %s (%s); retrying in %.0f s",
                base_url,
                str(cause) or type(cause).__name__,
                delay,
            )
        try:
            await asyncio.wait_for(stop.wait(), delay)
        except TimeoutError:
            pass
        delay = min(60.0, delay * 2)
    return False


class _NoRefusedTokenTracebacks(logging.Filter):
    """python-telegram-bot and asyncio log a refused token with tracebacks, several times;
    `serve_polling` says it in one line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], InvalidToken))


def no_refused_token_tracebacks() -> None:
    """Let the one line about a refused token speak for itself (see the filter)."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(_NoRefusedTokenTracebacks())


async def serve_polling(app: Application, base_url: str, allowed_updates: list[str]) -> int:
    """Poll until SIGINT/SIGTERM (exit status 0) or a refused token (EXIT_REFUSED)."""
    updater = app.updater
    if updater is None:
        raise ValueError("long polling needs an Application with an Updater")
    no_refused_token_tracebacks()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    refused: list[str] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    def on_refused(detail: str) -> None:
        refused.append(detail)
        stop.set()

    polling_request = app.bot_data.get("polling_request")
    if isinstance(polling_request, PollingRequest):
        polling_request.on_refused = on_refused
    started = False
    try:
        if not await start_with_retry(app, base_url, stop):
            return 0
        started = True
        if app.post_init:
            await app.post_init(app)
        await updater.start_polling(allowed_updates=allowed_updates, error_callback=_polling_error)
        await app.start()
        await stop.wait()
    except TokenRefused as exc:
        refused.append(str(exc))
    finally:
        if updater.running:
            await updater.stop()
        await stop_application(app, started)
    if refused:
        log.critical("%s", refused_message(refused[0]))
        return EXIT_REFUSED
    return 0


def _polling_error(exc: TelegramError) -> None:
    """A failed getUpdates: one line (it is retried with a growing pause)."""
    log.warning("getUpdates failed: %s (retrying)", exc)


async def stop_application(app: Application, started: bool) -> None:
    """Stop the Application and shut it down (with its post hooks), as far as it got."""
    if app.running:
        await app.stop()
        if app.post_stop:
            await app.post_stop(app)
    if started:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
