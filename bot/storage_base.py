"""What every table family of the store relies on: its errors, the connection and lock
that `Storage` (bot/storage.py) opens, one-transaction writes, locked reads, the time as
stored and the pseudonymous user key.

The table families (bot/storage_log.py, storage_queue.py, storage_users.py,
storage_relays.py, storage_translations.py) subclass `StorageBase`; `Storage` combines
them and opens the connection that they share.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from bot.chat_seal import ChatSeal
from bot.messages import noun

SIDE_BUSY_TIMEOUT = 5.0  # seconds a side store waits for another writer


class StorageError(Exception):
    """The database or its key file cannot be opened or used as asked."""


class SchemaVersionError(StorageError):
    """The database was written by a newer release than this one."""


class UnknownIdError(StorageError):
    """Some of the given ids do not exist (or no longer exist)."""

    def __init__(self, what: str, ids: Iterable[Any]):
        self.ids = sorted(ids)
        ids = ", ".join(map(str, self.ids))
        super().__init__(f"unknown {what} {noun(len(self.ids), 'id')}: {ids}")


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """BEGIN IMMEDIATE takes the write lock up front, so a busy database means waiting."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        raise


def utc(moment: datetime) -> str:
    """A time as stored: UTC ISO 8601 to the second; naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def utcnow() -> datetime:
    return datetime.now(UTC)


def check(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; not {value!r}")


def id_list(values: Iterable[Any]) -> str:
    """A JSON list for `IN (SELECT value FROM json_each(?))`: no limit on the number of ids."""
    return json.dumps(sorted(set(values)))


class StorageBase:
    """The shared connection, as `Storage.__init__` sets it up: one connection, one lock,
    short transactions."""

    path: Path
    retention_days: int
    db: Database
    _secret: bytes
    _clock: Callable[[], datetime]
    _lock: threading.RLock
    _seal: ChatSeal

    @contextmanager
    def _write(self) -> Iterator[Database]:
        with self._lock, transaction(self.db) as db:
            yield db

    def _read(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict]:
        with self._lock:
            return list(self.db.query(sql, params))

    def _now(self) -> str:
        return utc(self._clock())

    def user_key(self, user_id: int | str) -> str:
        """The pseudonymous key stored instead of a Telegram user id."""
        digest = hmac.new(self._secret, str(user_id).encode(), hashlib.sha256)
        return digest.hexdigest()[:16]


class SideStore:
    """A table family kept in the bot's database with a connection and a lock of its own
    (staff accounts, handoffs, entry history). The database must already have its
    migrations (open it with `Storage` first): without `TABLE`, `MISSING` is raised."""

    TABLE = ""
    WHAT = ""  # "staff tables": what the message says is missing
    MISSING: type[Exception] = LookupError

    def __init__(self, path: Path, *, clock: Callable[[], datetime] | None = None):
        self.path = Path(path)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        conn = sqlite3.connect(self.path, timeout=SIDE_BUSY_TIMEOUT, check_same_thread=False)
        self.db = Database(conn, execute_plugins=False)
        self.db.execute("PRAGMA foreign_keys = ON")
        if not self.db.table(self.TABLE).exists():
            conn.close()
            raise self.MISSING(f"{self.path} has no {self.WHAT}: open it with Storage first")

    def close(self) -> None:
        with self._lock:
            self.db.close()

    @contextmanager
    def _write(self) -> Iterator[Database]:
        """One write transaction, the write lock taken up front (BEGIN IMMEDIATE)."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                self.db.conn.commit()
            except BaseException:
                self.db.conn.rollback()
                raise

    def _read(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict]:
        with self._lock:
            return list(self.db.query(sql, params))
