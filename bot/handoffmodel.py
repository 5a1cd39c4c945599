"""What a handoff is, as data: states, kinds, errors, the `handoff_tables` migration
(appended to bot/storage.py's MIGRATIONS) and the frozen results the store returns.

The store is bot/handoffstore.py; the operations every adapter calls are in bot/handoff.py.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

NEW, CLAIMED, ANSWERED, CLOSED = "new", "claimed", "answered", "closed"
STATES = (NEW, CLAIMED, ANSWERED, CLOSED)
OPEN_STATES = (NEW, CLAIMED)
QUESTION, NONE_OF_THESE, STAFF_MESSAGE, FEEDBACK, MESSAGE = (
    "question",
    "none_of_these",
    "staff_message",
    "feedback",
    "message",
)
KINDS = (QUESTION, NONE_OF_THESE, STAFF_MESSAGE, FEEDBACK, MESSAGE)
TERMINAL_CHAT_ID = 0  # bot.storage.TERMINAL_CHAT_ID: /staff messages typed in the terminal
GRACE = timedelta(minutes=10)  # a handoff younger than this is kept while its relay is written
# A delivery recorded before it is sent (`HandoffStore.reserve_reply`) has this as its error
# until it is settled; one left so longer (its process stopped while sending) counts no more.
SENDING = "not confirmed: still being sent, or the sending was interrupted"
SENDING_FOR = timedelta(minutes=10)
# Why a reply was not delivered, recorded with it in these fixed words: the console shows
# them in its language (the zh catalog has each).
GONE = "the asker's data is gone (forgotten or expired)"
NOT_CONNECTED = "the bot is not connected to this asker's channel here"
UNDELIVERED = "the channel could not deliver it"
FAILED = "the channel failed while sending it (the details are in the bot's log)"
DELIVERY_ERRORS = (SENDING, GONE, NOT_CONNECTED, UNDELIVERED, FAILED)


class HandoffError(Exception):
    """A handoff operation cannot be done as asked; nothing changed."""


class UnknownHandoffError(HandoffError):
    """No handoff with that id (or its asker's data is gone)."""


class HeldError(HandoffError):
    """Someone else holds the handoff: take it over explicitly to act on it."""

    def __init__(self, handoff: Handoff):
        self.handoff = handoff
        super().__init__(
            f"handoff {handoff.id} is claimed by {handoff.holder_name}: take it over to act on it"
        )


class ClosedError(HandoffError):
    """The handoff is closed: claiming it reopens it, which is done only when asked for
    (`reopen=True`), not by a claim from a page that still showed it open."""

    def __init__(self, handoff: Handoff):
        self.handoff = handoff
        super().__init__(
            f"handoff {handoff.id} was closed by {handoff.done_by or '?'}: reopen it to claim it"
        )


class AlreadyRepliedError(HandoffError):
    """The askers were sent this very reply already (the same words, or the same entry's
    answer): sent again, they would read it twice. Nothing was sent."""

    def __init__(self, time: str, actor_name: str | None):
        self.time, self.actor_name = time, actor_name
        super().__init__(f"this reply was sent already, at {time} by {actor_name or '?'}")


def handoff_tables(db: Database) -> None:
    """Handoff state, staff replies to askers and whether each reached its asker."""
    db.table("handoffs").create(
        {
            "id": int,
            "kind": str,
            "channel": str,
            "state": str,
            "created": str,
            "updated": str,
            "unanswered_id": int,
            "staff_chat_id": int,
            "staff_message_id": int,
            "item": int,
            "ref": str,
            "language": str,
            "holder": str,
            "holder_name": str,
            "claimed_at": str,
            "done_by": str,
            "done_at": str,
        },
        pk="id",
        not_null=["kind", "channel", "state", "created", "updated"],
    )
    db.table("handoffs").create_index(["unanswered_id"], unique=True)
    db.table("handoffs").create_index(["staff_chat_id", "staff_message_id", "item"])
    db.table("handoffs").create_index(["state", "id"])
    db.table("handoff_replies").create(
        {
            "id": int,
            "time": str,
            "actor": str,
            "actor_name": str,
            "via": str,
            "text": str,
            "entry_id": str,
        },
        pk="id",
        not_null=["time", "actor", "via", "text"],
    )
    db.table("handoff_deliveries").create(
        {
            "id": int,
            "reply_id": int,
            "handoff_id": int,
            "channel": str,
            "language": str,
            "delivered": bool,
            "error": str,
        },
        pk="id",
        foreign_keys=[("reply_id", "handoff_replies", "id"), ("handoff_id", "handoffs", "id")],
        not_null=["reply_id", "handoff_id", "delivered"],
    )
    db.table("handoff_deliveries").create_index(["handoff_id"])
    db.table("handoff_deliveries").create_index(["reply_id"])


@dataclass(frozen=True)
class Actor:
    """Who acts: a stable identity (`sam`, `telegram:77`) and the name shown to others."""

    id: str
    name: str


@dataclass(frozen=True)
class Handoff:
    id: int
    kind: str
    channel: str
    state: str
    created: str
    updated: str
    unanswered_id: int | None
    staff_chat_id: int | None
    staff_message_id: int | None
    item: int | None
    ref: str | None
    language: str | None
    holder: str | None
    holder_name: str | None
    claimed_at: str | None
    done_by: str | None
    done_at: str | None
    # Joined from what it refers to (None when gone):
    question: str | None = None
    user_key: str | None = None
    question_status: str | None = None  # the queued question's: new, resolved, ignored
    question_entry: str | None = None  # the entry a resolved question was added to
    # Whether the latest reply sent to its asker did not reach them (staff may send again)
    undelivered: bool = False
    # The question a queued follow-up was read after (unanswered.asked_after), for context.
    asked_after: str | None = None

    def held_by_other(self, actor: Actor) -> bool:
        return self.holder is not None and self.holder != actor.id

    @property
    def asker(self) -> str:
        """Whose handoff this is, as a page's form carries it to check that the handoff
        still is that asker's: a digest of their pseudonymous key (or the channel's ref)
        and when it began. It changes when the asker's data is deleted ("Forget me")."""
        who = f"{self.user_key or ''}|{self.ref or ''}|{self.created}"
        return hashlib.sha256(who.encode()).hexdigest()[:16]

    @property
    def done(self) -> bool:
        """Answered or closed: its asker waits for staff no more."""
        return self.state in (ANSWERED, CLOSED)


@dataclass(frozen=True)
class Delivery:
    """One asker's copy of a reply: whether the channel confirmed it reached them.

    `language` is the language the reply went out in (what is recorded); `asked_in` the
    asker's. They differ when no translation into the asker's language exists: the reply
    then goes in the knowledge base's language, and staff are told so."""

    handoff_id: int
    channel: str
    language: str
    delivered: bool
    error: str | None = None
    asked_in: str | None = None

    @property
    def untranslated(self) -> bool:
        """Sent in another language than the asker's: no translation into theirs."""
        return self.asked_in is not None and self.asked_in != self.language


@dataclass(frozen=True)
class ReplyResult:
    reply_id: int
    deliveries: tuple[Delivery, ...]
    already: int = 0  # askers left out: they were sent this very reply before
    # Handoffs whose asker had asked another of them too: they share its delivery (one
    # reply a person), and are not counted again.
    repeats: frozenset[int] = frozenset()

    @property
    def delivered(self) -> int:
        """People the reply reached."""
        return sum(d.delivered for d in self.deliveries if d.handoff_id not in self.repeats)

    @property
    def failed(self) -> int:
        """People it did not reach."""
        return len(self.deliveries) - len(self.repeats) - self.delivered

    def untranslated(self) -> dict[str, tuple[str, int]]:
        """Asker's language -> (the language they were sent instead, how many askers), for
        the askers reached in another language than theirs."""
        found: dict[str, tuple[str, int]] = {}
        for d in self.deliveries:
            if d.delivered and d.untranslated and d.asked_in is not None:
                found[d.asked_in] = (d.language, found.get(d.asked_in, ("", 0))[1] + 1)
        return found


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _ids(values: Iterable[int]) -> str:
    return json.dumps(sorted({int(v) for v in values}))
