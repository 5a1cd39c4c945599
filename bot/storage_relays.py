"""Staff relays: who asked each question forwarded to the staff chat (`relays`, and
`relay_items` for the numbered items of one message carrying several), /staff messages
typed in the terminal chat, and where the asker of a queued question can be reached.

A relay of an asker on another channel (a web chat visitor) has no chat (`user_chat` is
NULL): a staff reply reaches them through their queued question or handoff, whose channel's
sender finds them by `user_key` (bot/delivery.py).
"""

from __future__ import annotations

import logging

from sqlite_utils import Database

from bot.chat_seal import SealError
from bot.redact import redact
from bot.storage_base import StorageBase

logger = logging.getLogger(__name__)

TERMINAL_CHAT_ID = 0  # relays of /staff messages typed in the terminal chat: no staff chat


def relays_of_other_channels(db: Database) -> None:
    """Relays of askers on another channel than Telegram (the web chat) have no chat id:
    `relay_items.user_chat` may be NULL, as `relays.user_chat` already may."""
    db.table("relay_items").transform(not_null={"user_chat": False})


class RelayTables(StorageBase):
    """The tables `relays` and `relay_items`; reads `unanswered` and `notify` to find an
    asker's chat."""

    def save_relay(
        self,
        *,
        staff_chat_id: int,
        staff_message_id: int,
        user_chat_id: int | None,
        user_id: int | str,
        language: str,
        question: str,
        user_message_id: int | None = None,
        item: int | None = None,
    ) -> None:
        """Remember who asked the question forwarded as `staff_message_id` (as its numbered
        `item` when one message carries several); `user_chat_id` None for an asker on
        another channel, reached through their queued question or handoff."""
        sealed = None if user_chat_id is None else self._seal.seal(user_chat_id, "relays")
        row = {
            "staff_chat_id": staff_chat_id,
            "staff_message_id": staff_message_id,
            "user_chat": sealed,
            "user_key": self.user_key(user_id),
            "language": language,
            "question": redact(question),
            "time": self._now(),
        }
        with self._write() as db:
            if item is None:
                db.table("relays").insert({**row, "user_message_id": user_message_id}, replace=True)
            else:
                db.table("relay_items").insert({**row, "item": item}, replace=True)

    def save_staff_message(self, *, user_id: int | str, language: str, text: str) -> int:
        """Record a /staff message typed in the terminal chat (no staff chat to forward it
        to) as a relay of chat TERMINAL_CHAT_ID; returns its number there."""
        with self._write() as db:
            number = db.execute(
                "SELECT coalesce(max(staff_message_id), 0) + 1 FROM relays WHERE staff_chat_id = ?",
                [TERMINAL_CHAT_ID],
            ).fetchone()[0]
            db.table("relays").insert(
                {
                    "staff_chat_id": TERMINAL_CHAT_ID,
                    "staff_message_id": number,
                    "user_chat": self._seal.seal(TERMINAL_CHAT_ID, "relays"),
                    "user_message_id": None,
                    "user_key": self.user_key(user_id),
                    "language": language,
                    "question": redact(text),
                    "time": self._now(),
                }
            )
        return number

    def staff_messages(self) -> list[dict]:
        """/staff messages typed in the terminal chat, oldest first."""
        return self._read(
            "SELECT staff_message_id AS id, time, user_key, language, question AS text "
            "FROM relays WHERE staff_chat_id = ? ORDER BY staff_message_id",
            [TERMINAL_CHAT_ID],
        )

    def find_relay(
        self, staff_chat_id: int, staff_message_id: int, item: int | None = None
    ) -> dict | None:
        """The relay a staff reply to `staff_message_id` (its `item`) belongs to, if any;
        its `user_chat_id` is None for an asker on another channel."""
        if item is None:
            rows = self._read(
                "SELECT * FROM relays WHERE staff_chat_id = ? AND staff_message_id = ?",
                [staff_chat_id, staff_message_id],
            )
        else:
            rows = self._read(
                "SELECT * FROM relay_items "
                "WHERE staff_chat_id = ? AND staff_message_id = ? AND item = ?",
                [staff_chat_id, staff_message_id, item],
            )
        if not rows:
            return None
        row = rows[0]
        sealed = row.pop("user_chat")
        if sealed is None:
            return row | {"user_chat_id": None}
        try:
            row["user_chat_id"] = self._seal.open(sealed, "relays")
        except SealError:
            logger.warning("relay %s does not open with this key file", staff_message_id)
            return None
        return row

    def asker_chat(self, unanswered_id: int) -> int | None:
        """The chat where the asker of a queued question can be reached: the chat of their
        relayed question, else the one kept to tell them the answer; None when neither is
        known (asked on the command line, opted out, forgotten or purged)."""
        rows = self._read(
            """
            SELECT r.user_chat AS sealed, 'relays' AS tag FROM unanswered u
            JOIN relays r ON r.user_key = u.user_key AND r.question = u.question
            WHERE u.id = ? AND r.user_chat IS NOT NULL
            UNION ALL
            SELECT n.chat AS sealed, 'notify' AS tag FROM notify n WHERE n.unanswered_id = ?
            """,
            [unanswered_id, unanswered_id],
        )
        for row in rows:
            try:
                return int(self._seal.open(row["sealed"], row["tag"]))
            except SealError:
                logger.warning("a chat id of unanswered %s does not open", unanswered_id)
        return None

    def relay_unanswered(
        self,
        *,
        staff_chat_id: int,
        staff_message_id: int,
        unanswered_id: int,
        chatless: bool = False,
        on_its_way: int | None = None,
    ) -> bool:
        """Link a staff message that shows a queued question to its asker, so that a staff
        reply to it reaches them as a relayed reply; False when they cannot be reached.
        `chatless`: the asker is on another channel (the web chat), reached through the
        question's own sender; the relay keeps no chat. `on_its_way`: the asker's chat as
        the question's staff copy carries it, for when its relay is not written yet."""
        chat_id = None if chatless else self.asker_chat(unanswered_id)
        if chat_id is None and not chatless:
            chat_id = on_its_way
        items = self._read(
            "SELECT user_key, language, question FROM unanswered WHERE id = ?", [unanswered_id]
        )
        if (chat_id is None and not chatless) or not items:
            return False
        item = items[0]
        row = {
            "staff_chat_id": staff_chat_id,
            "staff_message_id": staff_message_id,
            "user_chat": None if chat_id is None else self._seal.seal(chat_id, "relays"),
            "user_message_id": None,
            "user_key": item["user_key"],
            "language": item["language"],
            "question": item["question"],
            "time": self._now(),
        }
        with self._write() as db:
            db.table("relays").insert(row, replace=True)
        return True
