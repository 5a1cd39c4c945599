"""User settings (`users`): the language a user chose and whether they opted out of being
told when their question gets an answer.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from bot.storage_base import StorageBase


def opted_out(db: Database, key: str) -> bool:
    """Whether the user with this key opted out of being notified."""
    row = db.execute("SELECT notify_opt_out FROM users WHERE user_key = ?", [key]).fetchone()
    return bool(row and row[0])


class UserTables(StorageBase):
    """The table `users` (and, on opting out, the user's rows in `notify`)."""

    def _set_user(self, user_id: int | str, **values: Any) -> None:
        row = {"user_key": self.user_key(user_id), **values, "updated": self._now()}
        with self._write() as db:
            db.table("users").upsert(row, pk="user_key")
            if values.get("notify_opt_out"):
                db.execute("DELETE FROM notify WHERE user_key = ?", [row["user_key"]])

    def _user(self, user_id: int | str) -> dict | None:
        rows = self._read("SELECT * FROM users WHERE user_key = ?", [self.user_key(user_id)])
        return rows[0] if rows else None

    def set_user_language(self, user_id: int | str, language: str | None) -> None:
        """Remember the user's chosen language; None goes back to detecting it."""
        self._set_user(user_id, language=language)

    def get_user_language(self, user_id: int | str) -> str | None:
        user = self._user(user_id)
        return user["language"] if user else None

    def set_notify_opt_out(self, user_id: int | str, opt_out: bool) -> None:
        """Opting out also deletes the chat ids kept to notify this user."""
        self._set_user(user_id, notify_opt_out=bool(opt_out))

    def get_notify_opt_out(self, user_id: int | str) -> bool:
        user = self._user(user_id)
        return bool(user and user["notify_opt_out"])
