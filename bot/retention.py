"""The daily retention purge (Storage.purge), for every long-running process that owns the
database: `run` (Telegram, and the console when it serves it) and `web` (the console and the
web chat alone), so that a deployment without Telegram purges too."""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


async def purge_daily(
    storage, done: asyncio.Event | None = None, every_s: float = 24 * 3600
) -> None:
    """Delete what is older than [storage] retention_days (and the audit log older than
    audit_retention_days) now, then once a day; `done` is set when the first purge has
    ended."""
    while True:
        try:
            removed = await asyncio.to_thread(storage.purge)
            log.info("retention purge: %d row(s) removed", removed)
        except Exception:  # a failed purge must not stop the bot; it is retried tomorrow
            log.exception("retention purge failed")
        if done is not None:
            done.set()
        await asyncio.sleep(every_s)
