"""The web chat's own tables: each visitor's conversation, kept so that it (staff replies
included) is still there when they come back.

A visitor is known only by a random session id held in a signed cookie; the tables store
`Storage.user_key` of it (a keyed hash, the same pseudonym the question log uses), never the
id itself, so the database alone cannot be turned back into a cookie. One row per message
shown in the conversation: who said it (`visitor`, `bot`, `staff`), a kind, the plain text
and, as JSON, what the page needs to draw it (links, suggestions, the feedback reference).
Text is stored as plain text and escaped only when shown (bot/web/chat_render.py).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

BUSY_TIMEOUT = 5.0
ROLES = ("visitor", "bot", "staff")
TRANSCRIPT_LIMIT = 200  # messages a page loads when it opens (the newest)


def web_chat_tables(db: Database) -> None:
    """The web chat: visitors (by pseudonymous key) and their conversations."""
    db.table("web_visitors").create(
        {"user_key": str, "created": str, "seen": str, "chosen": str, "language": str},
        pk="user_key",
        not_null=["created", "seen"],
    )
    db.table("web_messages").create(
        {"id": int, "user_key": str, "time": str, "role": str, "kind": str, "text": str,
         "data": str},
        pk="id",
        not_null=["user_key", "time", "role", "kind", "text"],
    )  # fmt: skip
    db.table("web_messages").create_index(["user_key", "id"])
    db.table("web_messages").create_index(["time"])


@dataclass(frozen=True)
class Visitor:
    user_key: str
    chosen: str | None  # the language picked in the page, if any
    language: str | None  # the language last answered in (detected or chosen)


@dataclass(frozen=True)
class ChatMessage:
    id: int
    time: str
    role: str  # visitor | bot | staff
    kind: str  # text | answer | suggest | topics | topic | notice (| reason: older, no buttons)
    text: str
    data: dict

    def to_json(self) -> dict:
        return {"id": self.id, "time": self.time, "role": self.role, "kind": self.kind,
                "text": self.text, "data": self.data}  # fmt: skip


class WebChats:
    """The conversations of web visitors; its own connection to the bot's database."""

    def __init__(self, db_path: Path, clock: Callable[[], datetime] | None = None):
        self.path = Path(db_path)
        connection = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT, check_same_thread=False, isolation_level=None
        )
        self.db = Database(connection)
        self.db.execute("PRAGMA busy_timeout = 5000")
        self.db.execute("PRAGMA synchronous = FULL")  # as Storage: a stored reply survives
        self.db.execute("PRAGMA secure_delete = ON")  # "forget me" zeroes the pages
        self._lock = threading.Lock()
        self._clock = clock or (lambda: datetime.now(UTC))

    def close(self) -> None:
        self.db.close()

    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat(timespec="milliseconds")

    def _write(self, sql: str, params: list[Any]) -> int:
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self.db.execute(sql, params)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            return int(cursor.lastrowid or 0) if sql.startswith("INSERT") else cursor.rowcount

    def visitor(self, user_key: str) -> Visitor | None:
        with self._lock:
            row = self.db.execute(
                "SELECT chosen, language FROM web_visitors WHERE user_key = ?", [user_key]
            ).fetchone()
        return Visitor(user_key, row[0], row[1]) if row else None

    def touch(self, user_key: str) -> None:
        """Note the visitor (a first visit creates them)."""
        now = self._now()
        self._write(
            "INSERT INTO web_visitors (user_key, created, seen) VALUES (?, ?, ?) "
            "ON CONFLICT(user_key) DO UPDATE SET seen = excluded.seen",
            [user_key, now, now],
        )

    def set_language(self, user_key: str, *, chosen: str | None = None, language: str) -> None:
        """Remember the language answered in; `chosen` also when the visitor picked it."""
        now = self._now()
        if chosen is not None:
            sql = (
                "INSERT INTO web_visitors (user_key, created, seen, chosen, language) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(user_key) DO UPDATE SET "
                "seen = excluded.seen, chosen = excluded.chosen, language = excluded.language"
            )
            self._write(sql, [user_key, now, now, chosen, language])
        else:
            sql = (
                "INSERT INTO web_visitors (user_key, created, seen, language) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(user_key) DO UPDATE SET seen = excluded.seen, "
                "language = excluded.language"
            )
            self._write(sql, [user_key, now, now, language])

    def forget_choice(self, user_key: str) -> None:
        """The visitor's picked language forgotten (`/lang auto`): each message's again."""
        self._write("UPDATE web_visitors SET chosen = NULL WHERE user_key = ?", [user_key])

    def is_visitor(self, user_key: str) -> bool:
        return self.visitor(user_key) is not None

    def append(
        self, user_key: str, role: str, kind: str, text: str, data: dict | None = None
    ) -> ChatMessage:
        """Add one message to the visitor's conversation; returns it with its id."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        now = self._now()
        payload = json.dumps(data or {}, ensure_ascii=False)
        ident = self._write(
            "INSERT INTO web_messages (user_key, time, role, kind, text, data) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [user_key, now, role, kind, text, payload],
        )
        return ChatMessage(ident, now, role, kind, text, data or {})

    def message(self, user_key: str, ident: int) -> ChatMessage | None:
        """Message `ident` of the visitor's conversation, if it is theirs."""
        with self._lock:
            row = self.db.execute(
                "SELECT id, time, role, kind, text, data FROM web_messages "
                "WHERE id = ? AND user_key = ?",
                [ident, user_key],
            ).fetchone()
        if row is None:
            return None
        return ChatMessage(row[0], row[1], row[2], row[3], row[4], json.loads(row[5] or "{}"))

    def set_data(self, user_key: str, ident: int, data: dict) -> bool:
        """Replace what a message's buttons offer (a list chosen from is closed)."""
        payload = json.dumps(data, ensure_ascii=False)
        return bool(
            self._write(
                "UPDATE web_messages SET data = ? WHERE id = ? AND user_key = ?",
                [payload, ident, user_key],
            )
        )

    def transcript(
        self, user_key: str, after: int | None = None, limit: int = TRANSCRIPT_LIMIT
    ) -> list[ChatMessage]:
        """The visitor's messages, oldest first: the newest `limit`, or (`after` given) the
        first `limit` after message `after` (page on with the last id)."""
        order = "DESC" if after is None else "ASC"
        with self._lock:
            rows = self.db.execute(
                "SELECT id, time, role, kind, text, data FROM web_messages "
                f"WHERE user_key = ? AND id > ? ORDER BY id {order} LIMIT ?",
                [user_key, after or 0, limit],
            ).fetchall()
        found = [ChatMessage(r[0], r[1], r[2], r[3], r[4], json.loads(r[5] or "{}")) for r in rows]
        return found[::-1] if after is None else found

    def forget(self, user_key: str) -> int:
        """Delete the visitor and their whole conversation; rows deleted."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                deleted = self.db.execute(
                    "DELETE FROM web_messages WHERE user_key = ?", [user_key]
                ).rowcount
                deleted += self.db.execute(
                    "DELETE FROM web_visitors WHERE user_key = ?", [user_key]
                ).rowcount
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            if deleted:
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted

    def purge(self, days: int) -> int:
        """Delete conversations older than `days` (the storage retention); rows deleted."""
        cutoff = (self._clock() - timedelta(days=days)).astimezone(UTC).isoformat()
        deleted = self._write("DELETE FROM web_messages WHERE time < ?", [cutoff])
        deleted += self._write("DELETE FROM web_visitors WHERE seen < ?", [cutoff])
        return deleted
