"""No update lost on a crash: each update is written down when it is received, before
Telegram is told it arrived, and marked done once it has been answered.

Telegram forgets an update once the next getUpdates call confirms it (its `offset`), which
python-telegram-bot does while earlier updates are still being answered. A killed process
used to lose those. Now `record` runs in the getUpdates request itself (polling.py), so an
update is on disk before its offset moves on; `JournalProcessor` marks it done when its
handlers have finished; on start, `replay` queues what was received and not done, unless it
is older than [telegram] replay_max_age_seconds. Updates Telegram delivers again (not yet
confirmed when the process died) are recognised and not answered twice.

The journal is its own SQLite file beside the database (`bot.updates.db`), so the log's
locks and faults do not touch it. A done update keeps only its id and time (for recognising
repeats), never its text; those rows are deleted after two days. If the journal itself
fails (a full disk), the bot logs it once, goes on answering without it, and tries again a
minute later.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Awaitable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, SimpleUpdateProcessor

log = logging.getLogger(__name__)

KEEP_DONE_SECONDS = 2 * 24 * 3600  # Telegram keeps unconfirmed updates for 24 hours
TIMEOUT = 1.0  # seconds a journal write may take before the bot goes on without it
PAUSE = 60.0  # after a failure, the journal is left alone this long
PENDING, DONE, SKIPPED = 0, 1, 2
MAX_REMEMBERED = 50_000  # done update ids kept in memory to recognise repeats


def journal_path(database: Path) -> Path:
    """`data/bot.db` -> `data/bot.updates.db`."""
    return database.with_name(database.stem + ".updates.db")


class UpdateJournal:
    """The SQLite file of received updates. Its methods block: call them off the loop
    (`UpdateJournal.run`), which also gives up after TIMEOUT and pauses after a failure."""

    def __init__(self, path: Path, *, clock=time.time):
        self.path = Path(path)
        self.clock = clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA busy_timeout = 2000")
        self.conn.execute("PRAGMA journal_mode = WAL")
        # NORMAL: a commit survives the process being killed (the OS has it); a power cut
        # may lose the last moments, which FULL would keep at an fsync per update.
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS updates (update_id INTEGER PRIMARY KEY, "
            "received REAL NOT NULL, state INTEGER NOT NULL DEFAULT 0, payload TEXT)"
        )
        self.conn.execute("CREATE INDEX IF NOT EXISTS updates_state ON updates (state)")
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="journal")
        self._paused_until = 0.0
        self.active: set[int] = set()  # being answered now
        self.done: set[int] = set()  # answered (recent)

    # -- blocking work (in the journal thread) ------------------------------------------------

    def record(self, updates: Iterable[dict]) -> int:
        """Write down newly received updates (JSON as Telegram sent them); repeats are kept
        as first received. Returns how many were new."""
        now = self.clock()
        rows = [(u["update_id"], now, json.dumps(u)) for u in updates if "update_id" in u]
        with self._lock:
            self.conn.execute("BEGIN")
            try:
                before = self.conn.total_changes
                self.conn.executemany(
                    "INSERT OR IGNORE INTO updates (update_id, received, payload) VALUES (?, ?, ?)",
                    rows,
                )
                new = self.conn.total_changes - before
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        return new

    def mark_done(self, update_id: int) -> None:
        with self._lock:
            self.conn.execute(
                "UPDATE updates SET state = ?, payload = NULL WHERE update_id = ?",
                [DONE, update_id],
            )

    def take_pending(self, max_age: float) -> list[dict]:
        """Updates received within `max_age` s and not done, oldest first; older ones are
        marked skipped (and counted in the log). Also forgets done rows after two days."""
        now = self.clock()
        with self._lock:
            self.conn.execute("BEGIN")
            try:
                skipped = self.conn.execute(
                    "UPDATE updates SET state = ?, payload = NULL WHERE state = ? AND received < ?",
                    [SKIPPED, PENDING, now - max_age],
                ).rowcount
                self.conn.execute(
                    "DELETE FROM updates WHERE state != ? AND received < ?",
                    [PENDING, now - KEEP_DONE_SECONDS],
                )
                pending = [
                    json.loads(payload)
                    for (payload,) in self.conn.execute(
                        "SELECT payload FROM updates WHERE state = ? ORDER BY update_id",
                        [PENDING],
                    )
                ]
                done = [
                    row[0]
                    for row in self.conn.execute(
                        "SELECT update_id FROM updates WHERE state != ?", [PENDING]
                    )
                ]
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        if skipped:
            log.warning(
                "%d update(s) received before the last stop were older than %.0f s: not answered",
                skipped,
                max_age,
            )
        self.done.update(done)
        return pending

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        with self._lock:
            self.conn.close()

    # -- from the event loop -------------------------------------------------------------------

    async def run(self, what: str, function, *args: Any) -> Any:
        """`function(*args)` in the journal thread; None (and a pause) if it fails or hangs."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._paused_until:
            return None
        try:
            return await asyncio.wait_for(
                asyncio.shield(loop.run_in_executor(self._pool, function, *args)), TIMEOUT
            )
        except (TimeoutError, sqlite3.Error, OSError) as exc:
            self._paused_until = loop.time() + PAUSE
            log.error(
                "update journal %s failed (%s): answering without it for %.0f s; updates "
                "received meanwhile are not protected against a crash",
                what,
                exc or "timed out",
                PAUSE,
            )
            return None

    def claim(self, update_id: int) -> bool:
        """True if this update should be answered now: not done, not being answered."""
        if update_id in self.done or update_id in self.active:
            return False
        self.active.add(update_id)
        return True

    async def finish(self, update_id: int) -> None:
        self.active.discard(update_id)
        self.done.add(update_id)
        if len(self.done) > MAX_REMEMBERED:  # ids only grow: the oldest will not come again
            self.done = set(sorted(self.done)[-MAX_REMEMBERED // 2 :])
        await self.run("mark done", self.mark_done, update_id)


class JournalProcessor(SimpleUpdateProcessor):
    """Answers updates concurrently (as `concurrent_updates(True)`), skips those already
    answered or being answered, and marks each done in the journal when it is."""

    def __init__(self, journal: UpdateJournal, max_concurrent_updates: int = 256):
        super().__init__(max_concurrent_updates)
        self.journal = journal

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        if update_id is not None and not self.journal.claim(update_id):
            close = getattr(coroutine, "close", None)
            if close is not None:
                close()  # a repeat: do not run it, and do not warn it was never awaited
            log.info("update %s was already answered or is being answered: skipped", update_id)
            return
        try:
            await coroutine
        finally:
            if update_id is not None:
                await self.journal.finish(update_id)


async def replay(app: Application, journal: UpdateJournal, max_age: float) -> int:
    """Queue the updates received before the last stop and not answered; how many."""
    pending = await journal.run("replay", journal.take_pending, max_age) or []
    for data in pending:
        await app.update_queue.put(Update.de_json(data, app.bot))
    if pending:
        log.warning("answering %d update(s) received before the last stop", len(pending))
    return len(pending)
