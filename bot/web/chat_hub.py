"""The web chat's state in one process: the visitors' conversations (bot/webchat_store.py),
their open event streams, the rate-limit windows and the one matching thread; and what reaches
visitors from staff: replies through `Deliveries` (`deliver`) and answers to questions staff
have since resolved (`tell_resolved`).

What visitors say to staff is queued for the console's inbox; when another adapter in the
process has a staff room (the Telegram staff chat under `python -m bot run`), it sets
`Hub.staff_copies`, and each of those words is also copied there as a `StaffNote`. A reply
to the copy comes back through `Deliveries` like the console's."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from bot.web.app import Console
from bot.webchat_store import ChatMessage, WebChats


@dataclass(frozen=True)
class StaffNote:
    """A visitor's words for staff, to copy to another adapter's staff room."""

    label: str  # what it is, in the knowledge base's language: "❓ Unanswered", "👎 …"
    text: str
    language: str
    user_id: str  # the session's storage user id ("web:<id>"): Storage.user_key of it
    handoff: str | None = None  # its handoff kind when it is no queued question (a 👎)
    after: str = ""  # the question a follow-up was asked after (Answer.after), for context


class StaffCopies(Protocol):
    """Another adapter's staff room (set by bot/telegram/app.py when it has one)."""

    def copy(self, note: StaffNote) -> None: ...

    def forget(self, user_id: str) -> None: ...


@dataclass
class Hub:
    """The web chat's state in this process: its store, open event streams, rate windows."""

    store: WebChats
    streams: dict[str, set[asyncio.Queue]] = field(default_factory=lambda: defaultdict(set))
    times: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    # The interface language of visitors whose pages are open, as it changes: what the
    # event stream draws buttons in.
    languages: dict[str, str] = field(default_factory=dict)
    # One matching thread, as for Telegram: answering holds the GIL; threads only contend.
    pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="web-matching")
    )
    # The locks of the answers being rated (or opened from) now, and how many hold or await
    # each: see `holding`.
    held: dict[tuple[str, int], tuple[asyncio.Lock, int]] = field(default_factory=dict)

    def publish(self, user_key: str, message: ChatMessage) -> None:
        for queue in list(self.streams.get(user_key, ())):
            queue.put_nowait(message)

    @contextlib.asynccontextmanager
    async def holding(self, user_key: str, ident: int) -> AsyncIterator[None]:
        """Message `ident` of a conversation, changed by one request at a time (👍/👎, its
        reason, an entry opened from its "See also"): two quick presses or a replayed
        request find the first one's outcome, never a half-recorded one. Per message, so
        that no other answer, and no other visitor, waits for a slow one."""
        key = (user_key, ident)
        lock, users = self.held.get(key) or (asyncio.Lock(), 0)
        self.held[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self.held[key]
            if users > 1:
                self.held[key] = (lock, users - 1)
            else:
                del self.held[key]

    sweep_at: float = 0.0
    staff_copies: StaffCopies | None = None  # the Telegram staff chat, when it is served
    purge_at: float = 0.0  # conversations older than [storage] retention_days go daily

    def allowed(self, key: str, limit: int, window: float, now: float) -> bool:
        """Sliding window: False when `key` already used `limit` in the last `window` s."""
        if now >= self.sweep_at:  # forget the quiet ones (windows are at most a day)
            for old in [
                k for k, times in self.times.items() if not times or now - times[-1] > 86400
            ]:
                del self.times[old]
            self.sweep_at = now + 60
        recent = self.times[key]
        while recent and now - recent[0] >= window:
            recent.popleft()
        if len(recent) >= limit:
            return False
        recent.append(now)
        return True


async def deliver(c: Console, hub: Hub, row: dict, text: str) -> bool:
    """A staff reply to a queued question (`row`): added to the asker's conversation and
    pushed to their open pages; False when no web visitor has that key (forgotten)."""
    key = row.get("user_key")
    if not key or not await asyncio.to_thread(hub.store.is_visitor, key):
        return False
    data = {"question": row.get("question") or "", "unanswered_id": row.get("id")}
    if row.get("original_text"):  # a reply translated into the visitor's language
        data["original"] = row["original_text"]
        data["lang"] = row.get("language")
    message = await asyncio.to_thread(hub.store.append, key, "staff", "text", text, data)
    hub.publish(key, message)
    return True


async def tell_resolved(c: Console, hub: Hub) -> int:
    """Closing the loop: visitors whose question staff have now answered (attached to an
    entry) get that answer in their conversation, once. Returns how many were told."""
    answerer = c.holder.answerer
    if answerer is None:
        return 0
    rows = await asyncio.to_thread(c.storage.list_unanswered, status="resolved")
    told = 0
    for row in rows:
        entry_id = row.get("resolved_entry_id")
        if row["notified"] or entry_id not in answerer.kb.by_id:
            continue
        if not await asyncio.to_thread(hub.store.is_visitor, row["user_key"]):
            continue  # not asked on the web
        lang = row["language"]
        intro = answerer.localizer.message(lang, "resolved_answer", question=row["question"])
        answer = answerer.answer_entry(entry_id, lang)
        # The answer as written: the knowledge base's own text until it is translated
        written = answerer.kb.language if answer.text_source == "source" else answer.language
        data = {
            "title": answerer.localizer.question(answerer.kb.by_id[entry_id], lang),
            "links": [{"title": link.title, "url": link.url} for link in answer.links],
            "entry": entry_id,
            "lang": written,
        }
        # The intro (and any note) in the asker's language, the answer in its own: two
        # messages, so that each is labelled and read in the language it is written in.
        said = "\n\n".join([intro, *answerer.notes(answer)])
        for kind, body, extra in (("text", said, {"lang": lang}), ("answer", answer.answer, data)):
            message = await asyncio.to_thread(
                hub.store.append, row["user_key"], "bot", kind, body or "", extra
            )
            hub.publish(row["user_key"], message)
        await asyncio.to_thread(c.storage.mark_notified, [row["id"]])
        told += 1
    return told
