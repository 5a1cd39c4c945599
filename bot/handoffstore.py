"""The handoff tables' store (see bot/handoff.py for what a handoff is).

`HandoffStore` is its own connection to the bot's database, with its own lock, like
`Accounts`. It reads the tables a handoff refers to (`unanswered`, `interactions`, `relays`,
`relay_items`, `users`) and writes only its own and the `audit` table. The states, kinds,
errors, migration and result types are in bot/handoffmodel.py (re-exported here).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from bot.handoffmodel import (  # noqa: F401  (re-exported: callers import them from here)
    ANSWERED,
    CLAIMED,
    CLOSED,
    FEEDBACK,
    GRACE,
    KINDS,
    MESSAGE,
    NEW,
    NONE_OF_THESE,
    OPEN_STATES,
    QUESTION,
    SENDING,
    SENDING_FOR,
    STAFF_MESSAGE,
    STATES,
    TERMINAL_CHAT_ID,
    Actor,
    AlreadyRepliedError,
    ClosedError,
    Delivery,
    Handoff,
    HandoffError,
    HeldError,
    ReplyResult,
    UnknownHandoffError,
    _ids,
    _utc,
    handoff_tables,
)
from bot.storage_base import SideStore

_SELECT = """
    SELECT h.id, h.kind, h.channel, h.state, h.created, h.updated, h.unanswered_id,
           h.staff_chat_id, h.staff_message_id, h.item, h.ref, h.holder, h.holder_name,
           h.claimed_at, h.done_by, h.done_at,
           COALESCE(u.question, r.question, ri.question) AS question,
           COALESCE(u.user_key, r.user_key, ri.user_key) AS user_key,
           COALESCE(s.language, u.language, r.language, ri.language, h.language) AS language,
           u.status AS question_status, u.resolved_entry_id AS question_entry, u.asked_after,
           (SELECT NOT d.delivered FROM handoff_deliveries d WHERE d.handoff_id = h.id
            AND d.error IS NOT ? ORDER BY d.id DESC LIMIT 1) AS undelivered
    FROM handoffs h
    LEFT JOIN unanswered u ON u.id = h.unanswered_id
    LEFT JOIN relays r ON h.unanswered_id IS NULL AND h.item IS NULL
         AND r.staff_chat_id = h.staff_chat_id AND r.staff_message_id = h.staff_message_id
    LEFT JOIN relay_items ri ON h.unanswered_id IS NULL AND h.item IS NOT NULL
         AND ri.staff_chat_id = h.staff_chat_id AND ri.staff_message_id = h.staff_message_id
         AND ri.item = h.item
    LEFT JOIN users s ON s.user_key = COALESCE(u.user_key, r.user_key, ri.user_key)
"""


# What `HandoffStore.sync` makes a handoff for: queued questions still new, and /staff
# messages typed in the terminal chat (relays of chat TERMINAL_CHAT_ID, the `?`), that have none.
_UNMADE_QUESTIONS = """
    FROM unanswered u JOIN interactions i ON i.id = u.interaction_id
    WHERE u.status = 'new' AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.unanswered_id = u.id)
"""
_UNMADE_TERMINAL = """
    FROM relays r WHERE r.staff_chat_id = ? AND NOT EXISTS (
        SELECT 1 FROM handoffs h WHERE h.staff_chat_id = r.staff_chat_id
        AND h.staff_message_id = r.staff_message_id AND h.unanswered_id IS NULL)
"""


def open_counts(conn: sqlite3.Connection, now: datetime | None = None) -> dict[str, int]:
    """Open handoffs by state (new, claimed) as `HandoffStore.sync` leaves them, counted
    from any connection to the bot's database, a read-only one too: the handoffs made, less
    the new ones whose question staff handled in the inbox (sync closes them) and those whose
    question or relay is gone (sync deletes them), plus a new one for every queued question
    and terminal /staff message that has none yet. So a count needs nobody to have opened
    the console's handoff list first. `now`: the time sync would run at (default: now)."""
    cutoff = _utc((now or datetime.now(UTC)) - GRACE)
    found = dict(
        conn.execute(
            f"""
            SELECT state, count(*) FROM (
                SELECT h.state FROM handoffs h LEFT JOIN unanswered u ON u.id = h.unanswered_id
                WHERE h.state IN ('{NEW}', '{CLAIMED}') AND CASE
                    WHEN h.unanswered_id IS NOT NULL
                        THEN u.id IS NOT NULL AND (h.state != '{NEW}' OR u.status = 'new')
                    WHEN h.ref IS NOT NULL OR h.created >= ? THEN 1
                    ELSE EXISTS (SELECT 1 FROM relays r WHERE h.item IS NULL
                            AND r.staff_chat_id = h.staff_chat_id
                            AND r.staff_message_id = h.staff_message_id)
                        OR EXISTS (SELECT 1 FROM relay_items r
                            WHERE r.staff_chat_id = h.staff_chat_id
                            AND r.staff_message_id = h.staff_message_id AND r.item = h.item)
                    END
                UNION ALL SELECT '{NEW}' {_UNMADE_QUESTIONS}
                UNION ALL SELECT '{NEW}' {_UNMADE_TERMINAL}
            ) GROUP BY state
            """,
            [cutoff, TERMINAL_CHAT_ID],
        )
    )
    return {state: found.get(state, 0) for state in OPEN_STATES}


class HandoffStore(SideStore):
    """The handoff tables in the bot's database at `path` (opened with `Storage` first, so
    that the migrations are applied); its own connection and lock, like `Accounts`."""

    TABLE, WHAT, MISSING = "handoffs", "handoff tables", HandoffError

    def _now(self) -> str:
        return _utc(self._clock())

    def _audit(
        self,
        db: Database,
        actor: Actor,
        action: str,
        handoff: int,
        before,
        after,
        at: str | None = None,
    ) -> None:
        db.execute(
            "INSERT INTO audit (time, actor, action, target, before, after) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                at or self._now(),
                actor.id,
                action,
                f"handoff:{handoff}",
                json.dumps(before, ensure_ascii=False),
                json.dumps(after, ensure_ascii=False),
            ],
        )

    # Making handoffs ---------------------------------------------------------------------

    def sync(self) -> int:
        """Make a handoff for every new queued question and terminal /staff message that has
        none; close the unclaimed ones whose question staff resolved or ignored in the inbox;
        delete those whose question or relay is gone. Returns handoffs made."""
        now = self._now()
        with self._write() as db:
            made: int = db.execute(
                """
                INSERT INTO handoffs (kind, channel, state, created, updated, unanswered_id)
                SELECT CASE WHEN u.kind IN ('none_of_these', 'staff_message', 'feedback')
                            THEN u.kind ELSE 'question' END,
                       i.channel, 'new', u.time, u.time, u.id
                """
                + _UNMADE_QUESTIONS
            ).rowcount
            made += db.execute(
                """
                INSERT INTO handoffs (kind, channel, state, created, updated,
                                      staff_chat_id, staff_message_id)
                SELECT 'staff_message', 'terminal', 'new', r.time, r.time,
                       r.staff_chat_id, r.staff_message_id
                """
                + _UNMADE_TERMINAL,
                [TERMINAL_CHAT_ID],
            ).rowcount
            settled = list(
                db.query(
                    "SELECT h.id, u.status FROM handoffs h JOIN unanswered u "
                    "ON u.id = h.unanswered_id WHERE h.state = 'new' AND u.status != 'new'"
                )
            )
            system = Actor("inbox", "inbox")
            for row in settled:
                db.execute(
                    "UPDATE handoffs SET state = ?, updated = ?, done_by = ?, done_at = ? "
                    "WHERE id = ?",
                    [CLOSED, now, system.name, now, row["id"]],
                )
                self._audit(
                    db,
                    system,
                    "handoff.close",
                    row["id"],
                    {"state": NEW},
                    {"state": CLOSED, "question": row["status"]},
                )
            self._prune(db)
        return made

    def _prune(self, db: Database) -> None:
        cutoff = _utc(self._clock() - GRACE)
        gone = [
            row["id"]
            for row in db.query(
                """
                SELECT h.id FROM handoffs h WHERE (h.unanswered_id IS NOT NULL AND NOT EXISTS
                    (SELECT 1 FROM unanswered u WHERE u.id = h.unanswered_id))
                OR (h.unanswered_id IS NULL AND h.ref IS NULL AND h.created < ? AND NOT EXISTS
                    (SELECT 1 FROM relays r WHERE r.staff_chat_id = h.staff_chat_id
                     AND r.staff_message_id = h.staff_message_id AND h.item IS NULL)
                    AND NOT EXISTS (SELECT 1 FROM relay_items r
                     WHERE r.staff_chat_id = h.staff_chat_id
                     AND r.staff_message_id = h.staff_message_id AND r.item = h.item))
                """,
                [cutoff],
            )
        ]
        if not gone:
            return
        wanted = _ids(gone)
        db.execute(
            "DELETE FROM handoff_deliveries WHERE handoff_id IN (SELECT value FROM json_each(?))",
            [wanted],
        )
        db.execute(
            "DELETE FROM handoff_replies WHERE NOT EXISTS "
            "(SELECT 1 FROM handoff_deliveries d WHERE d.reply_id = handoff_replies.id)"
        )
        db.execute("DELETE FROM handoffs WHERE id IN (SELECT value FROM json_each(?))", [wanted])

    def for_questions(self, unanswered_ids: Iterable[int]) -> list[Handoff]:
        """The handoffs of these queued questions, made where missing (whatever their status:
        staff may answer a question they ignored). Unknown ids are skipped."""
        wanted = _ids(unanswered_ids)
        now = self._now()
        with self._write() as db:
            db.execute(
                """
                INSERT INTO handoffs (kind, channel, state, created, updated, unanswered_id)
                SELECT CASE WHEN u.kind IN ('none_of_these', 'staff_message', 'feedback')
                            THEN u.kind ELSE 'question' END, i.channel, 'new', ?, ?, u.id
                FROM unanswered u JOIN interactions i ON i.id = u.interaction_id
                WHERE u.id IN (SELECT value FROM json_each(?))
                  AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.unanswered_id = u.id)
                """,
                [now, now, wanted],
            )
        return self._many(
            "h.unanswered_id IN (SELECT value FROM json_each(?)) ORDER BY h.id", [wanted]
        )

    def open_relay(
        self,
        *,
        kind: str,
        staff_chat_id: int,
        staff_message_id: int,
        item: int | None = None,
        channel: str = "telegram",
    ) -> int:
        """A handoff for a message copied to the staff chat (a /staff message, a 👎 with its
        reason); the same copy twice gives the same handoff."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        with self._write() as db:
            found = self._relay_handoff(db, staff_chat_id, staff_message_id, item)
            if found is not None:
                return found
            now = self._now()
            return int(
                db.execute(
                    "INSERT INTO handoffs (kind, channel, state, created, updated, "
                    "staff_chat_id, staff_message_id, item) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [kind, channel, NEW, now, now, staff_chat_id, staff_message_id, item],
                ).lastrowid
                or 0
            )

    def open_ref(self, *, kind: str, channel: str, ref: str, language: str) -> int:
        """A handoff for something a channel keeps itself (its sender gets `ref` back)."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        now = self._now()
        with self._write() as db:
            found = db.execute(
                "SELECT id FROM handoffs WHERE channel = ? AND ref = ?", [channel, ref]
            ).fetchone()
            if found:
                return int(found[0])
            return int(
                db.execute(
                    "INSERT INTO handoffs (kind, channel, state, created, updated, ref, language) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [kind, channel, NEW, now, now, ref, language],
                ).lastrowid
                or 0
            )

    @staticmethod
    def _relay_handoff(db: Database, chat: int, message: int, item: int | None) -> int | None:
        row = db.execute(
            "SELECT id FROM handoffs WHERE staff_chat_id = ? AND staff_message_id = ? "
            "AND item IS ? AND unanswered_id IS NULL",
            [chat, message, item],
        ).fetchone()
        return int(row[0]) if row else None

    def for_relay(
        self, staff_chat_id: int, staff_message_id: int, item: int | None = None
    ) -> Handoff | None:
        """The handoff a staff-chat message (its numbered `item`) shows: its own, else that
        of the queued question it copies (the same asker and words), else a new one; None
        when the relay is gone."""
        with self._lock:
            found = self._relay_handoff(self.db, staff_chat_id, staff_message_id, item)
            if found is not None:
                return self.get(found)
            if item is None:
                relay = self.db.execute(
                    "SELECT user_key, question FROM relays "
                    "WHERE staff_chat_id = ? AND staff_message_id = ?",
                    [staff_chat_id, staff_message_id],
                ).fetchone()
            else:
                relay = self.db.execute(
                    "SELECT user_key, question FROM relay_items "
                    "WHERE staff_chat_id = ? AND staff_message_id = ? AND item = ?",
                    [staff_chat_id, staff_message_id, item],
                ).fetchone()
            if relay is None:
                return None
            question = self.db.execute(
                "SELECT id FROM unanswered WHERE user_key = ? AND question = ? "
                "ORDER BY id DESC LIMIT 1",
                list(relay),
            ).fetchone()
            if question is not None:
                handoffs = self.for_questions([question[0]])
                return handoffs[0] if handoffs else None
            made = self.open_relay(
                kind=MESSAGE,
                staff_chat_id=staff_chat_id,
                staff_message_id=staff_message_id,
                item=item,
                channel="terminal" if staff_chat_id == TERMINAL_CHAT_ID else "telegram",
            )
            return self.get(made)

    # Reading -----------------------------------------------------------------------------

    def _many(self, where: str, params: list[Any]) -> list[Handoff]:
        rows = self._read(f"{_SELECT} WHERE {where}", [SENDING, *params])
        return [Handoff(**row | {"undelivered": bool(row["undelivered"])}) for row in rows]

    def get(self, handoff_id: int) -> Handoff:
        found = self._many("h.id = ?", [handoff_id])
        if not found:
            raise UnknownHandoffError(f"no handoff {handoff_id}")
        return found[0]

    def of_questions(self, unanswered_ids: Iterable[int]) -> dict[int, Handoff]:
        """The handoffs these queued questions have, by question id (none is made: a
        question without one was not handed to anybody yet)."""
        found = self._many(
            "h.unanswered_id IN (SELECT value FROM json_each(?))", [_ids(unanswered_ids)]
        )
        return {h.unanswered_id: h for h in found if h.unanswered_id is not None}

    def get_many(self, handoff_ids: Iterable[int]) -> list[Handoff]:
        wanted = _ids(handoff_ids)
        found = self._many("h.id IN (SELECT value FROM json_each(?)) ORDER BY h.id", [wanted])
        missing = set(json.loads(wanted)) - {h.id for h in found}
        if missing:
            raise UnknownHandoffError(f"no handoff {', '.join(map(str, sorted(missing)))}")
        return found

    def find(self, states: Iterable[str] = STATES, limit: int = 200) -> list[Handoff]:
        """Handoffs in `states`, newest first."""
        states = list(states)
        for state in states:
            if state not in STATES:
                raise ValueError(f"state must be one of {', '.join(STATES)}, not {state!r}")
        # The newest ids first, then their joins: joining every open handoff costs more.
        return self._many(
            "h.id IN (SELECT id FROM handoffs WHERE state IN (SELECT value FROM json_each(?)) "
            "ORDER BY id DESC LIMIT ?) ORDER BY h.id DESC",
            [json.dumps(states), limit],
        )

    def counts(self) -> dict[str, int]:
        rows = self._read("SELECT state, count(*) AS n FROM handoffs GROUP BY state")
        return {state: 0 for state in STATES} | {r["state"]: r["n"] for r in rows}

    def conversation(self, handoff: Handoff, limit: int = 20) -> list[dict]:
        """The asker's latest questions and what the bot did with each, oldest first."""
        if handoff.user_key is None:
            return []
        rows = self._read(
            "SELECT time, language, question, status, entry_id FROM interactions "
            "WHERE user_key = ? ORDER BY id DESC LIMIT ?",
            [handoff.user_key, limit],
        )
        return rows[::-1]

    def replies(self, handoff_id: int) -> list[dict]:
        """Replies sent to this handoff's asker, oldest first, with their delivery (`language`:
        the language the reply went out in, which is not the asker's when no translation into
        theirs exists)."""
        return self._read(
            "SELECT r.id, r.time, r.actor, r.actor_name, r.via, r.text, r.entry_id, "
            "d.channel, d.language, d.delivered, d.error FROM handoff_replies r "
            "JOIN handoff_deliveries d ON d.reply_id = r.id WHERE d.handoff_id = ? "
            "ORDER BY r.id",
            [handoff_id],
        )

    def sent_before(
        self, handoff_ids: Iterable[int], text: str, entry_id: str | None = None
    ) -> dict[int, dict]:
        """For each of these handoffs whose asker was sent this reply already (the words
        `text`, or with `entry_id` that entry's answer), or is being sent it right now: the
        first such reply's `time` and `actor_name`. A reply that did not reach the asker
        does not count, nor one still "being sent" long after (its sender stopped)."""
        same = "r.entry_id = ?" if entry_id is not None else "r.entry_id IS NULL AND r.text = ?"
        rows = self._read(
            "SELECT d.handoff_id, r.time, r.actor_name FROM handoff_replies r "
            "JOIN handoff_deliveries d ON d.reply_id = r.id "
            "WHERE d.handoff_id IN (SELECT value FROM json_each(?)) "
            f"AND (d.delivered OR (d.error = ? AND r.time >= ?)) AND {same} ORDER BY r.id",
            [
                _ids(handoff_ids),
                SENDING,
                _utc(self._clock() - SENDING_FOR),
                entry_id if entry_id is not None else text,
            ],
        )
        found: dict[int, dict] = {}
        for row in rows:
            found.setdefault(row["handoff_id"], row)
        return found

    def history(self, handoff_id: int) -> list[dict]:
        return self._read(
            "SELECT time, actor, action, target, before, after FROM audit WHERE target = ? "
            "ORDER BY id",
            [f"handoff:{handoff_id}"],
        )

    def askers(self, handoffs: Iterable[Handoff]) -> list[dict]:
        """One row per handoff for `Deliveries.deliver`: `handoff_id`, `channel`, `language`
        and what finds the asker: `id` (the queued question), `relay` (the staff-chat copy)
        or `ref` (the channel's own); `gone` when the asker's data is gone."""
        rows = []
        for h in handoffs:
            relay = None
            if h.unanswered_id is None and h.staff_chat_id is not None:
                relay = {
                    "staff_chat_id": h.staff_chat_id,
                    "staff_message_id": h.staff_message_id,
                    "item": h.item,
                }
            rows.append(
                {
                    "handoff_id": h.id,
                    "id": h.unanswered_id,
                    "channel": h.channel,
                    "language": h.language or "",
                    "user_key": h.user_key,
                    "question": h.question,
                    "relay": relay,
                    "ref": h.ref,
                    "gone": h.ref is None and h.question is None,
                }
            )
        return rows

    def staff_messages(self, handoff_ids: Iterable[int]) -> list[tuple[int, int]]:
        """The staff-chat messages (chat, message id) that show these handoffs."""
        wanted = _ids(handoff_ids)
        rows = self._read(
            """
            SELECT h.staff_chat_id AS chat, h.staff_message_id AS message FROM handoffs h
            WHERE h.id IN (SELECT value FROM json_each(:ids)) AND h.unanswered_id IS NULL
              AND h.staff_chat_id IS NOT NULL
            UNION
            SELECT r.staff_chat_id, r.staff_message_id FROM handoffs h
            JOIN unanswered u ON u.id = h.unanswered_id
            JOIN relays r ON r.user_key = u.user_key AND r.question = u.question
            WHERE h.id IN (SELECT value FROM json_each(:ids))
            UNION
            SELECT r.staff_chat_id, r.staff_message_id FROM handoffs h
            JOIN unanswered u ON u.id = h.unanswered_id
            JOIN relay_items r ON r.user_key = u.user_key AND r.question = u.question
            WHERE h.id IN (SELECT value FROM json_each(:ids))
            """,
            {"ids": wanted},
        )
        return sorted({(r["chat"], r["message"]) for r in rows if r["chat"] != TERMINAL_CHAT_ID})

    def in_message(
        self, staff_chat_id: int, staff_message_id: int
    ) -> list[tuple[int | None, Handoff]]:
        """The handoffs a staff-chat message shows: (item number or None, handoff)."""
        items = [
            r["item"]
            for r in self._read(
                "SELECT item FROM relay_items WHERE staff_chat_id = ? AND staff_message_id = ? "
                "ORDER BY item",
                [staff_chat_id, staff_message_id],
            )
        ] or [None]
        shown = []
        for item in items:
            handoff = self.for_relay(staff_chat_id, staff_message_id, item)
            if handoff is not None:
                shown.append((item, handoff))
        return shown

    # Changing state ----------------------------------------------------------------------

    def _change(
        self,
        handoff_ids: Iterable[int],
        actor: Actor,
        action: str,
        takeover: bool,
        update: Callable[[Handoff], dict[str, Any]],
    ) -> list[Handoff]:
        """Apply `update` to each handoff, all or none; refused when another holds one."""
        wanted = list(handoff_ids)
        with self._write() as db:
            self._apply(db, wanted, actor, action, takeover, update)
        return self.get_many(wanted)

    def _apply(
        self,
        db: Database,
        handoff_ids: list[int],
        actor: Actor,
        action: str,
        takeover: bool,
        update: Callable[[Handoff], dict[str, Any]],
        noted: dict[str, Any] | None = None,
        at: str | None = None,
    ) -> None:
        """Change the handoffs by `update` and audit each (`noted` added to what the audit
        says after, `at` its time if given)."""
        current = self.get_many(handoff_ids)
        for handoff in current:
            if handoff.held_by_other(actor) and not takeover:
                raise HeldError(handoff)
        for handoff in current:
            values = update(handoff) | {"updated": self._now()}
            sets = ", ".join(f"{column} = ?" for column in values)
            db.execute(f"UPDATE handoffs SET {sets} WHERE id = ?", [*values.values(), handoff.id])
            before = {"state": handoff.state, "holder": handoff.holder}
            after = {"state": values.get("state", handoff.state), "holder": values["holder"]}
            if handoff.held_by_other(actor):
                after["taken_over_from"] = handoff.holder
            self._audit(db, actor, action, handoff.id, before, after | (noted or {}), at)

    def claim(
        self, handoff_id: int, actor: Actor, *, takeover: bool = False, reopen: bool = False
    ) -> Handoff:
        """Make `actor` the holder: others cannot claim, reply or close until they take it
        over (`takeover=True`). Claiming one's own handoff again changes nothing. A closed
        handoff is claimed only with `reopen=True` (ClosedError otherwise, nothing changed),
        and the audit log says it was reopened."""
        current = self.get(handoff_id)
        if current.state == CLAIMED and current.holder == actor.id:
            return current
        if current.state == CLOSED and not reopen:
            raise ClosedError(current)
        now = self._now()
        if current.state == CLOSED:
            action = "handoff.reopen"
        elif current.held_by_other(actor):
            action = "handoff.takeover"
        else:
            action = "handoff.claim"

        def claimed(h: Handoff) -> dict[str, Any]:
            if h.state == CLOSED and not reopen:  # closed meanwhile: nothing written
                raise ClosedError(h)
            return {
                "state": CLAIMED,
                "holder": actor.id,
                "holder_name": actor.name,
                "claimed_at": now,
            }

        return self._change([handoff_id], actor, action, takeover, claimed)[0]

    def close_handoff(self, handoff_id: int, actor: Actor, *, takeover: bool = False) -> Handoff:
        """Nothing more to do for this asker; the hold ends. Closing it again does nothing."""
        if self.get(handoff_id).state == CLOSED:
            return self.get(handoff_id)
        now = self._now()
        return self._change(
            [handoff_id],
            actor,
            "handoff.close",
            takeover,
            lambda h: {
                "state": CLOSED,
                "holder": None,
                "holder_name": None,
                "done_by": actor.name,
                "done_at": now,
            },
        )[0]

    def check_free(self, handoff_ids: Iterable[int], actor: Actor) -> list[Handoff]:
        """The handoffs; HeldError when another holds one of them."""
        current = self.get_many(handoff_ids)
        for handoff in current:
            if handoff.held_by_other(actor):
                raise HeldError(handoff)
        return current

    def reserve_reply(
        self,
        actor: Actor,
        via: str,
        text: str,
        askers: Iterable[dict],
        *,
        entry_id: str | None = None,
        not_twice: bool = False,
    ) -> tuple[int, list[dict], int]:
        """Before sending a reply: record it, with a delivery "being sent" (`SENDING`) per
        asker (rows of `askers`). With `not_twice`, the askers who were sent this very reply
        before, or are being sent it, are left out, in the same transaction: two sends of
        the same reply at the same instant (two tabs, the console and Telegram) cannot both
        pass. Returns (the reply's id, the askers to send it to, how many were left out);
        AlreadyRepliedError, recording nothing, when that is all of them. Each delivery
        is then settled by `finish_reply`."""
        askers = list(askers)
        now = self._now()
        with self._write() as db:
            left_out = 0
            if not_twice:
                sent = self.sent_before([a["handoff_id"] for a in askers], text, entry_id)
                if sent and len(sent) == len(askers):
                    first = min(sent.values(), key=lambda row: row["time"])
                    raise AlreadyRepliedError(first["time"], first["actor_name"])
                askers = [a for a in askers if a["handoff_id"] not in sent]
                left_out = len(sent)
            reply_id = int(
                db.execute(
                    "INSERT INTO handoff_replies (time, actor, actor_name, via, text, entry_id) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [now, actor.id, actor.name, via, text, entry_id],
                ).lastrowid
                or 0
            )
            for asker in askers:
                db.execute(
                    "INSERT INTO handoff_deliveries (reply_id, handoff_id, channel, language, "
                    "delivered, error) VALUES (?, ?, ?, ?, 0, ?)",
                    [reply_id, asker["handoff_id"], asker["channel"], asker["language"], SENDING],
                )
        return reply_id, askers, left_out

    def finish_reply(self, reply_id: int, actor: Actor, deliveries: Iterable[Delivery]) -> None:
        """Settle a reserved reply: what reached whom; the handoffs whose asker it reached
        become answered, held by `actor` (a follow-up by someone else needs a takeover).
        One whose asker it did not reach (a blocked bot, a web visitor gone) keeps its state
        and waits as before, its reply shown as not delivered, so staff may send again. A
        delivery not given (its sending was interrupted before it was tried) is removed, so
        the reply may be sent again; so is the reply when none was tried. The caller checked
        the holds before sending: what was sent is recorded whatever happened meanwhile (a
        claim made since shows as taken over in the audit)."""
        deliveries = list(deliveries)
        now = self._now()
        with self._write() as db:
            # the send, told apart from every other in the audit log even when "Forget me"
            # deleted the reply before and its id is used again: its first audit row's id
            send = int(db.execute("SELECT coalesce(max(id), 0) + 1 FROM audit").fetchone()[0])
            noted = {"reply": reply_id, "send": send}
            answered = []
            for d in deliveries:
                changed = db.execute(
                    "UPDATE handoff_deliveries SET channel = ?, language = ?, delivered = ?, "
                    "error = ? WHERE reply_id = ? AND handoff_id = ?",
                    [d.channel, d.language, d.delivered, d.error, reply_id, d.handoff_id],
                ).rowcount
                if changed and d.delivered:  # else forgotten meanwhile (see _prune), or unread
                    answered.append(d.handoff_id)
            db.execute(
                "DELETE FROM handoff_deliveries WHERE reply_id = ? AND error = ?",
                [reply_id, SENDING],
            )
            db.execute(
                "DELETE FROM handoff_replies WHERE id = ? AND NOT EXISTS "
                "(SELECT 1 FROM handoff_deliveries d WHERE d.reply_id = ?)",
                [reply_id, reply_id],
            )
            self._apply(
                db,
                sorted(set(answered)),
                actor,
                "handoff.reply",
                True,
                lambda h: {
                    "state": ANSWERED,
                    "holder": actor.id,
                    "holder_name": actor.name,
                    "claimed_at": h.claimed_at or now,
                    "done_by": actor.name,
                    "done_at": now,
                },
                noted | {"delivered": True},
                now,
            )
            # A reply tried that did not reach its asker (or reached one whose handoff was
            # forgotten meanwhile) was sent all the same: the audit log, which outlives the
            # askers' data, records it too, one row per asker at the reply's time, so that
            # staff work counts it (bot/staffwork.py).
            others = [d for d in deliveries if d.handoff_id not in answered]
            wanted = _ids(d.handoff_id for d in others)
            found = {
                h.id: h for h in self._many("h.id IN (SELECT value FROM json_each(?))", [wanted])
            }
            for d in others:
                handoff = found.get(d.handoff_id)
                before = {"state": handoff.state, "holder": handoff.holder} if handoff else {}
                after = before | noted | {"delivered": bool(d.delivered)}
                self._audit(db, actor, "handoff.reply", d.handoff_id, before, after, now)
