"""Shared by the storage tests (tests/test_storage*.py): a settable clock, a fresh database
in tmp_path and small helpers that read what is on disk.

Test modules take the fixtures with `from tests.storage_support import *`.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage import Storage

SECRET = bytes(range(32))
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def storage(tmp_path, clock):
    with Storage(tmp_path / "bot.db", SECRET, retention_days=30, clock=clock) as store:
        yield store


def ask(
    storage: Storage,
    user_id: int = 1,
    *,
    question: str = "What is the VAT rate?",
    status: str = "answered",
    **fields,
) -> int:
    return storage.log_interaction(
        user_id=user_id,
        question=question,
        status=status,
        **{"chat_type": "private", "language": "en", **fields},
    )


def on_disk(path: Path, sql: str, params=()) -> list[tuple]:
    """Read through a connection of our own: only committed data is visible to it."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def count(path: Path, table: str) -> int:
    return on_disk(path, f"SELECT count(*) FROM {table}")[0][0]


def file_bytes(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
