"""The history of knowledge-base entries edited through the bot: every version, who, when.

Each save of an entry (console edit, new entry, rollback) records the entry's text in its
topic file before and after, as the YAML lines themselves, so that a version can be shown,
compared (`diff`) and written back. The table lives in the bot's database (migration
`entry_history_tables`, appended to bot/storage.MIGRATIONS); `EntryHistory` is its own
connection to that file, like bot/accounts.Accounts.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from sqlite_utils import Database

from bot.storage_base import SideStore


class HistoryError(Exception):
    """The history cannot be read or written as asked."""


def entry_history_tables(db: Database) -> None:
    """Versions of knowledge-base entries: the entry's YAML text before and after a save."""
    db.table("entry_versions").create(
        {
            "id": int,
            "entry_id": str,
            "file": str,
            "time": str,
            "actor": str,
            "action": str,
            "before": str,
            "after": str,
        },
        pk="id",
        not_null=["entry_id", "file", "time", "actor", "action", "before", "after"],
    )
    db.table("entry_versions").create_index(["entry_id", "id"])


@dataclass(frozen=True)
class Version:
    id: int
    entry_id: str
    file: str
    time: datetime
    actor: str
    action: str  # entry.edit | entry.new | entry.rollback | entry.move | entry.delete
    before: str  # the entry's lines before the save ("" when it was created)
    after: str

    def diff(self) -> list[str]:
        """The change as unified-diff lines (without the file header)."""
        lines = difflib.unified_diff(
            self.before.splitlines(), self.after.splitlines(), lineterm="", n=2
        )
        return [line for line in lines if not line.startswith(("---", "+++"))]


def _version(row: dict) -> Version:
    return Version(
        id=row["id"],
        entry_id=row["entry_id"],
        file=row["file"],
        time=datetime.fromisoformat(row["time"]),
        actor=row["actor"],
        action=row["action"],
        before=row["before"],
        after=row["after"],
    )


class EntryHistory(SideStore):
    """Entry versions in the database at `path` (open it with `Storage` first)."""

    TABLE, WHAT, MISSING = "entry_versions", "entry history", HistoryError

    def record(
        self, entry_id: str, file: str, actor: str, action: str, before: str, after: str
    ) -> int:
        """Store one save of `entry_id`; returns the version's id."""
        row = {
            "entry_id": entry_id,
            "file": file,
            "time": self._clock().astimezone(UTC).isoformat(timespec="seconds"),
            "actor": actor,
            "action": action,
            "before": before,
            "after": after,
        }
        with self._lock:
            with self.db.conn:
                table = self.db.table("entry_versions")
                table.insert(row)
                return int(cast(int, table.last_pk))

    def versions(self, entry_id: str, limit: int = 200) -> list[Version]:
        """The saves of `entry_id`, newest first."""
        sql = "SELECT * FROM entry_versions WHERE entry_id = ? ORDER BY id DESC LIMIT ?"
        with self._lock:
            return [_version(row) for row in self.db.query(sql, [entry_id, limit])]

    def deleted(self, limit: int = 50) -> list[Version]:
        """The latest deletes (`entry.delete` saves), newest first, one per entry."""
        sql = (
            "SELECT * FROM entry_versions WHERE id IN (SELECT max(id) FROM entry_versions "
            "WHERE action = 'entry.delete' GROUP BY entry_id) ORDER BY id DESC LIMIT ?"
        )
        with self._lock:
            return [_version(row) for row in self.db.query(sql, [limit])]

    def version(self, version_id: int) -> Version | None:
        with self._lock:
            rows = list(self.db.query("SELECT * FROM entry_versions WHERE id = ?", [version_id]))
        return _version(rows[0]) if rows else None
