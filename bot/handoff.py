"""Handoff state: each conversation handed to staff is new, claimed, answered or closed.

What is handed to staff is already stored elsewhere; a handoff only refers to it and adds a
state, so it holds no user's words:
- a queued question (`unanswered` row: an unanswered question, a "none of these"), one
  handoff per row, made by `sync` for every new row;
- a message copied to the staff chat that is not a queued question (a `/staff` message, a
  👎 with its reason): the relay `(staff_chat_id, staff_message_id, item)`, made when the
  copy is sent (`open_relay`), or when staff reply to a copy that has none yet; `/staff`
  messages typed in the terminal chat (relays of chat 0) by `sync`;
- a channel's own reference (`open_ref`: e.g. the web chat's "talk to a person").

Claiming makes one staff member its holder: a claim, a reply or a close by anyone else is
refused (`HeldError`) unless they explicitly take it over, so two people never answer the
same user. A reply (`Desk.reply`) goes to every asker of a group of handoffs through
`bot.delivery.Deliveries`, in each asker's language, and is recorded with whether it
reached each asker. Every change of state is written to the `audit` table in the same
transaction as the change.

A handoff whose question or relay is gone (the asker used "forget me", or it expired) is
deleted by `sync` (with its replies' deliveries), so forgetting a user also forgets them here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from typing import Any

from bot.delivery import Deliveries, NoSenderError
from bot.handoffmodel import FAILED, GONE, NOT_CONNECTED, UNDELIVERED
from bot.handoffstore import (
    ANSWERED,
    CLAIMED,
    CLOSED,
    KINDS,
    NEW,
    OPEN_STATES,
    STATES,
    Actor,
    AlreadyRepliedError,
    ClosedError,
    Delivery,
    Handoff,
    HandoffError,
    HandoffStore,
    HeldError,
    ReplyResult,
    UnknownHandoffError,
    handoff_tables,
)
from bot.localize import SOURCE

log = logging.getLogger(__name__)

__all__ = [
    "ANSWERED",
    "CLAIMED",
    "CLOSED",
    "KINDS",
    "NEW",
    "OPEN_STATES",
    "STATES",
    "Actor",
    "AlreadyRepliedError",
    "ClosedError",
    "Delivery",
    "Desk",
    "Handoff",
    "HandoffError",
    "HandoffStore",
    "HeldError",
    "ReplyResult",
    "UnknownHandoffError",
    "handoff_tables",
]

# The operations every adapter calls ------------------------------------------------------

Watcher = Callable[[list[int]], Awaitable[None]]
Translate = Callable[[str, str, str], str | None]
Covers = Callable[[str, str], bool]
Detect = Callable[[str], str | None]


class Desk:
    """Handoff operations for every adapter (console, Telegram staff chat): the store, the
    senders that reach askers, and whoever wants to hear of a change of state (the staff
    chat shows it on its message). Database work runs in a thread."""

    def __init__(
        self,
        store: HandoffStore,
        deliveries: Deliveries,
        *,
        kb_language: str,
        translate: Translate | None = None,
        covers: Covers | None = None,
        detect: Detect | None = None,
    ):
        """`translate(text, source, target)`: None when no model covers the pair;
        `covers(source, target)`: whether one does, without translating (staff are told
        before sending which language a reply goes out in). Without `covers`, `translate`
        is taken to cover every pair. `detect(text)`: the language staff wrote a reply in
        (None when unsure), recorded for a reply sent as typed; without it, or unsure, the
        knowledge base's is recorded."""
        self.store = store
        self.deliveries = deliveries
        self.kb_language = kb_language
        self.translate = translate
        self.covers = covers
        self.detect = detect
        self._watchers: list[Watcher] = []

    def sent_in(self, language: str | None) -> str:
        """The language a typed reply to an asker of `language` goes out in, written in the
        knowledge base's: theirs when it is the knowledge base's or a model translates into
        it, else the knowledge base's. In that last case the reply goes exactly as typed,
        so whatever language staff write it in is what the asker reads (staff are told)."""
        language = language or self.kb_language
        if language == self.kb_language:
            return language
        if self.translate is None:
            return self.kb_language
        if self.covers is not None and not self.covers(self.kb_language, language):
            return self.kb_language
        return language

    def watch(self, watcher: Watcher) -> None:
        """Call `watcher(handoff_ids)` after each change of state."""
        self._watchers.append(watcher)

    async def _changed(self, handoff_ids: list[int]) -> None:
        for watcher in self._watchers:
            try:
                await watcher(handoff_ids)
            except Exception:  # showing the state is best effort: the change is made
                log.exception("a handoff watcher failed")

    async def claim(
        self, handoff_id: int, actor: Actor, *, takeover: bool = False, reopen: bool = False
    ) -> Handoff:
        """Claim (see `HandoffStore.claim`); a closed handoff only with `reopen=True`."""
        done = await asyncio.to_thread(
            self.store.claim, handoff_id, actor, takeover=takeover, reopen=reopen
        )
        await self._changed([handoff_id])
        return done

    async def close(self, handoff_id: int, actor: Actor, *, takeover: bool = False) -> Handoff:
        done = await asyncio.to_thread(
            self.store.close_handoff, handoff_id, actor, takeover=takeover
        )
        await self._changed([handoff_id])
        return done

    async def reply(
        self,
        handoff_ids: Iterable[int],
        text: str,
        actor: Actor,
        *,
        via: str,
        takeover: bool = False,
        entry_id: str | None = None,
        answerer: Any = None,
        not_twice: bool = False,
    ) -> ReplyResult:
        """Send staff words (or, with `entry_id`, that entry's answer) to every asker of
        these handoffs, each in their language; record it and what reached whom; the
        handoffs whose asker it reached become answered, the others keep waiting (see
        `HandoffStore.finish_reply`). HeldError (nothing sent) when another holds one.

        `not_twice`: askers who were sent this very reply before, or are being sent it now,
        are left out (a second tab, a stale page, the same reply from the staff chat);
        AlreadyRepliedError, sending nothing, when that is all of them."""
        wanted = sorted(set(handoff_ids))
        text = text.strip()
        if not wanted:
            raise HandoffError("no handoff to reply to")
        if not text and entry_id is None:
            raise HandoffError("the reply is empty")
        if entry_id is not None and (answerer is None or entry_id not in answerer.kb.by_id):
            raise HandoffError(f"no entry {entry_id!r} in the knowledge base")
        if takeover:
            current = await asyncio.to_thread(self.store.get_many, wanted)
        else:
            current = await asyncio.to_thread(self.store.check_free, wanted, actor)
        recorded = text
        if entry_id is not None:  # the entry's answer as staff read it
            recorded = (await self._text_for(self.kb_language, "", entry_id, answerer))[0]
        askers = [
            row | {"language": row["language"] or self.kb_language}
            for row in self.store.askers(current)
        ]
        # Recorded before it is sent, and checked in the same transaction (not_twice): the
        # same reply sent from two places at once goes once.
        reply_id, askers, already = await asyncio.to_thread(
            self.store.reserve_reply,
            actor,
            via,
            recorded,
            askers,
            entry_id=entry_id,
            not_twice=not_twice,
        )
        deliveries: list[Delivery] = []
        # One reply a person: a visitor who asked twice (two handoffs) reads it once, and
        # both handoffs share that delivery.
        people: dict[tuple[str, Any], Delivery] = {}
        repeats: set[int] = set()
        try:
            texts: dict[str, tuple[str, str | None, str]] = {}
            for row in askers:
                person = _person(row)
                if person in people:
                    deliveries.append(replace(people[person], handoff_id=row["handoff_id"]))
                    repeats.add(row["handoff_id"])
                    continue
                lang = row["language"]
                if lang not in texts:
                    texts[lang] = await self._text_for(lang, text, entry_id, answerer)
                people[person] = await self._deliver(row, lang, *texts[lang], entry_id)
                deliveries.append(people[person])
        finally:  # also when interrupted: the askers not tried may be sent it again
            await asyncio.shield(
                asyncio.to_thread(self.store.finish_reply, reply_id, actor, deliveries)
            )
        await self._changed(wanted)
        return ReplyResult(reply_id, tuple(deliveries), already, frozenset(repeats))

    async def _text_for(
        self, lang: str, text: str, entry_id: str | None, answerer: Any
    ) -> tuple[str, str | None, str]:
        """(what the asker reads, the staff's own words when that is a translation, the
        language it is in: for an entry's answer, the knowledge base's when the entry has no
        translation into `lang`; for typed words with no model into `lang`, the language
        they were typed in, as they go exactly as typed)."""
        if entry_id is not None:
            answer = answerer.answer_entry(entry_id, lang)
            if answerer.config.translation.live:
                answer = await asyncio.to_thread(answerer.translated, answer)
            # the source text, with a note in their language that it is not translated yet
            source = answer.text_source == SOURCE and lang != self.kb_language
            return answer.reply, None, self.kb_language if source else lang
        if lang == self.kb_language:
            return text, None, lang
        translated = None
        if self.translate is not None:
            translated = await asyncio.to_thread(self.translate, text, self.kb_language, lang)
        if translated:
            return translated, text, lang
        return text, None, await asyncio.to_thread(self._written_in, text)

    def _written_in(self, text: str) -> str:
        """The language of a reply sent as typed: what staff wrote it in, where that can be
        told, else the knowledge base's (what staff are asked to write in)."""
        found = self.detect(text) if self.detect is not None else None
        return found or self.kb_language

    async def _deliver(
        self,
        row: dict,
        lang: str,
        text: str,
        original: str | None,
        sent_in: str,
        entry_id: str | None,
    ) -> Delivery:
        def done(delivered: bool, error: str | None = None) -> Delivery:
            return Delivery(row["handoff_id"], row["channel"], sent_in, delivered, error, lang)

        if row["gone"]:
            return done(False, GONE)
        try:
            sent = await self.deliveries.deliver(
                row | {"language": lang, "original_text": original, "entry_id": entry_id}, text
            )
        except NoSenderError as exc:
            log.warning("a staff reply was not delivered: %s", exc)
            return done(False, NOT_CONNECTED)
        except Exception:  # a channel's fault must not lose the other askers' replies
            log.exception("delivering a staff reply on %s failed", row["channel"])
            return done(False, FAILED)
        return done(bool(sent), None if sent else UNDELIVERED)


def _person(row: dict) -> tuple[str, Any]:
    """Who an asker row (`HandoffStore.askers`) reaches: its channel's user, else (a
    channel's own ref, a staff-chat copy without a user) the handoff alone."""
    if row.get("user_key"):
        return row["channel"], row["user_key"]
    return "handoff", row["handoff_id"]


def actor_of(name: str) -> Actor:
    """A console account as an actor."""
    return Actor(name, name)
