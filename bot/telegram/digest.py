"""Posting the staff digest (bot/digest.py) to the staff chat on its schedule.

An asyncio task started in post_init and cancelled in post_shutdown (the installed
python-telegram-bot has no JobQueue extra): it sleeps until the next `digest_hour` o'clock
in [web] timezone (every day, or Mondays for a weekly digest), builds the digest off the
event loop and posts it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import UTC, datetime

from telegram.ext import Application

from bot import times
from bot.config import Config
from bot.digest import build_digest, handoff_table_counts, next_run, render_digest
from bot.telegram import staffwords
from bot.web import i18n

log = logging.getLogger(__name__)
MAX_CHARS = 4096  # Telegram's limit for one message


def utcnow() -> datetime:
    return datetime.now(UTC)


def staff_gettext(config: Config):
    """The staff interface's language: the knowledge base's where the console has it (the
    staff chat's, staffwords.py)."""
    return functools.partial(i18n.translate, staffwords.language(config))


def digest_text(app: Application, config: Config, now: datetime) -> str:
    answerer = app.bot_data.get("answerer")
    digest = build_digest(
        app.bot_data["storage"].path,
        answerer.kb if answerer is not None else None,
        period=config.telegram.digest,
        now=now.replace(microsecond=0),
        # another module may set its own count of open handoffs here
        handoffs=app.bot_data.get("handoff_counts", handoff_table_counts),
    )
    language = i18n.staff_language(config.knowledge.language)
    zone = times.zone(config.web.timezone)
    text = render_digest(digest, staff_gettext(config), zone, language)
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"


async def post_digests(app: Application, config: Config) -> None:
    """Post the digest to the staff chat at every scheduled time, until cancelled."""
    while True:
        due = next_run(
            utcnow(),
            config.telegram.digest,
            config.telegram.digest_hour,
            times.zone(config.web.timezone),
        )
        await asyncio.sleep(max(0.0, (due - utcnow()).total_seconds()))
        try:
            text = await asyncio.to_thread(digest_text, app, config, due)
            await app.bot.send_message(chat_id=config.telegram.staff_chat_id, text=text)
        except Exception:  # a failed digest must not stop the bot; the next one is tried
            log.exception("the staff digest could not be posted")


def start(app: Application, config: Config) -> None:
    """Schedule the digest when one is configured, there is a staff chat and a database."""
    if config.telegram.digest == "off" or not config.telegram.staff_chat_id:
        return
    if app.bot_data.get("storage") is None:
        return
    app.bot_data["digest_task"] = asyncio.create_task(post_digests(app, config))


def stop(app: Application) -> None:
    task = app.bot_data.pop("digest_task", None)
    if task is not None:
        task.cancel()
