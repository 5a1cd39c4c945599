"""The web chat for visitors: `/chat` (a page of its own, or `?embed=1` inside the panel that
`/widget.js` opens on the centre's site), its actions, and live staff replies.

An adapter like bot/telegram/handlers.py over the same core: `Answerer.ask` /
`answer_entry` answer, `Storage.log_interaction` / `log_feedback` / `log_choice` / `forget`
log with channel `web`. The visitor is an anonymous session: a random id in a signed,
HttpOnly cookie, logged under `Storage.user_key("web:<id>")`; their conversation is kept by
bot/webchat_store.py and shown again when they come back. Staff replies reach it through
`Deliveries` (channel "web"): stored, then pushed to the visitor's open pages over
server-sent events (`/chat/events`).

Every POST is JSON from our own origin (checked), within the per-session and per-address
rate limits and the size limit of `[web]`; the answer is the new messages as safe HTML.
"""

from __future__ import annotations

import asyncio
import functools
import json
import secrets
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from bot import messages
from bot.answering import SUGGEST, Answer, Answerer, chosen_suggestion, none_chosen
from bot.storage import FEEDBACK_REASONS, NONE_OF_THESE, UnknownIdError
from bot.web.app import Console, console
from bot.web.chat_render import message_html
from bot.webchat_store import ChatMessage, WebChats

CHANNEL = "web"
CHAT_TYPE = "private"
COOKIE = "chat_session"
COOKIE_DAYS = 365
HANDOFF = "staff_message"  # the kind of a queued item that is a visitor's message for staff
PAGE_SIZE = 8
PING_SECONDS = 15.0
RTL = frozenset({"ar", "fa", "he", "ur"})
WORDS = (  # the page's own words, sent again when its language changes
    "web_title", "web_placeholder", "web_send", "web_topics", "web_staff", "web_staff_mode",
    "web_forget", "web_forget_confirm", "web_language", "web_conversation", "web_cancel",
    "web_close", "web_staff_prompt",
)  # fmt: skip
LANGUAGE_NAMES = {  # each language's name in itself, for the picker
    "en": "English", "zh": "中文", "ru": "Русский", "ar": "العربية", "fr": "Français",
    "es": "Español", "de": "Deutsch", "ja": "日本語", "ko": "한국어", "pt": "Português",
    "it": "Italiano", "tr": "Türkçe", "th": "ไทย", "nl": "Nederlands", "pl": "Polski",
}  # fmt: skip


class Refused(Exception):
    """A visitor request that is answered with a message instead (status, message key)."""

    def __init__(self, status: int, key: str, **fields: str):
        super().__init__(key)
        self.status, self.key, self.fields = status, key, fields


@dataclass
class Hub:
    """The web chat's state in this process: its store, open event streams, rate windows."""

    store: WebChats
    streams: dict[str, set[asyncio.Queue]] = field(default_factory=lambda: defaultdict(set))
    times: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    # One matching thread, as for Telegram: answering holds the GIL; threads only contend.
    pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="web-matching")
    )

    def publish(self, user_key: str, message: ChatMessage) -> None:
        for queue in list(self.streams.get(user_key, ())):
            queue.put_nowait(message)

    sweep_at: float = 0.0
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


def install(app: Any) -> None:
    """Open the web chat's store and register its sender for staff replies."""
    c: Console = app.state.console
    hub = Hub(WebChats(c.storage.path))
    app.state.webchat = hub

    async def send(row: dict, text: str) -> bool:
        return await deliver(c, hub, row, text)

    c.deliveries.register(CHANNEL, send)
    earlier = c.holder.after_reload  # Telegram's, when `run` serves both

    async def tell_askers() -> int:
        told = await earlier() if earlier is not None else 0
        return told + await tell_resolved(c, hub)

    c.holder.after_reload = tell_askers


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
        data = {
            "title": answerer.localizer.question(answerer.kb.by_id[entry_id], lang),
            "links": [{"title": link.title, "url": link.url} for link in answer.links],
            "entry": entry_id,
        }
        body = "\n\n".join([intro, *answerer.notes(answer), answer.answer or ""])
        message = await asyncio.to_thread(
            hub.store.append, row["user_key"], "bot", "answer", body, data
        )
        hub.publish(row["user_key"], message)
        await asyncio.to_thread(c.storage.mark_notified, [row["id"]])
        told += 1
    return told


def hub_of(request: Request) -> Hub:
    return request.app.state.webchat


async def deliver(c: Console, hub: Hub, row: dict, text: str) -> bool:
    """A staff reply to a queued question (`row`): added to the asker's conversation and
    pushed to their open pages; False when no web visitor has that key (forgotten)."""
    key = row.get("user_key")
    if not key or not await asyncio.to_thread(hub.store.is_visitor, key):
        return False
    data = {"question": row.get("question") or "", "unanswered_id": row.get("id")}
    if row.get("original_text"):  # a reply translated into the visitor's language
        data["original"] = row["original_text"]
    message = await asyncio.to_thread(hub.store.append, key, "staff", "text", text, data)
    hub.publish(key, message)
    return True


# The visitor --------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """Who is asking: their session id (as the storage user id), its key and languages."""

    user_id: str
    key: str
    chosen: str | None
    language: str | None
    browser: str | None

    @property
    def ui(self) -> str | None:
        return self.chosen or self.language or self.browser


def browser_language(request: Request, supported: tuple[str, ...]) -> str | None:
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower().split("-")[0]
        if code in supported:
            return code
    return None


def session_id(request: Request) -> str | None:
    raw = request.cookies.get(COOKIE)
    value = console(request).unsign(raw) if raw else None
    return value if value and value.startswith("web:") else None


async def visit_of(request: Request, user_id: str) -> Visit:
    c, hub = console(request), hub_of(request)
    key = c.storage.user_key(user_id)
    found = await asyncio.to_thread(hub.store.visitor, key)
    return Visit(
        user_id,
        key,
        found.chosen if found else None,
        found.language if found else None,
        browser_language(request, c.config.languages.supported),
    )


def answerer_of(request: Request) -> Answerer:
    answerer = console(request).holder.answerer
    if answerer is None:
        raise Refused(503, "error")
    return answerer


def say(request: Request, lang: str, key: str, **fields: str) -> str:
    answerer = console(request).holder.answerer
    if answerer is not None:
        return answerer.localizer.message(lang, key, **fields)
    return messages.text(lang, key, **fields)


def ui_of(request: Request, visit: Visit | None) -> str:
    if visit is not None and visit.ui:
        return visit.ui
    answerer = console(request).holder.answerer
    return answerer.kb.language if answerer else messages.FALLBACK


def ui_words(request: Request, lang: str) -> dict:
    return {
        "lang": lang,
        "dir": "rtl" if lang in RTL else "ltr",
        "words": {key: say(request, lang, key) for key in WORDS},
    }


def rendered(request: Request, lang: str, items: list[ChatMessage]) -> list[dict]:
    def words(key: str) -> str:
        return say(request, lang, key)

    return [{"id": m.id, "role": m.role, "html": message_html(m, words)} for m in items]


def same_origin(request: Request) -> bool:
    """A POST from our own pages: its Origin (sent by every browser on a POST) is ours."""
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    return origin is None or origin == own


# Answering ---------------------------------------------------------------------------


async def off_loop(request: Request, function: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        hub_of(request).pool, functools.partial(function, *args, **kw)
    )


async def translated(request: Request, answer: Answer) -> Answer:
    """An answer that has only its source text, translated now when live translation is on."""
    answerer = answerer_of(request)
    if (
        answer.text_source != "source"
        or not answerer.config.translation.live
        or not answerer.localizer.can_translate(answer.language)
    ):
        return answer
    done: Answer = await off_loop(request, answerer.translated, answer)
    return done


class Turn:
    """One request of one visitor: appends messages to their conversation as it goes."""

    def __init__(self, request: Request, visit: Visit):
        self.request, self.visit = request, visit
        self.c, self.hub = console(request), hub_of(request)
        self.added: list[ChatMessage] = []

    @property
    def ui(self) -> str:
        return ui_of(self.request, self.visit)

    def say(self, key: str, lang: str | None = None, **fields: str) -> str:
        return say(self.request, lang or self.ui, key, **fields)

    async def add(self, role: str, kind: str, text: str, data: dict | None = None) -> ChatMessage:
        message = await asyncio.to_thread(
            self.hub.store.append, self.visit.key, role, kind, text, data
        )
        self.added.append(message)
        self.hub.publish(self.visit.key, message)
        return message

    async def store(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(getattr(self.c.storage, method), *args, **kwargs)

    async def notice(self, key: str, lang: str | None = None, **fields: str) -> None:
        await self.add("bot", "notice", self.say(key, lang, **fields))

    async def answer(self, answer: Answer, started: float, question: str | None = None) -> None:
        """Show an answer, then log it (channel web) with the time the visitor waited."""
        answer = await translated(self.request, answer)
        ref = secrets.token_urlsafe(9)
        if answer.status == "unanswered" and not await self.store(
            "ignored_before", answer.question
        ):
            answer = replace(answer, reply=self.say("web_unanswered_noted", answer.language))
        if answer.status == "answered" and answer.id is not None:
            answerer = answerer_of(self.request)
            entry = answerer.kb.by_id[answer.id]
            data: dict[str, Any] = {
                "title": answerer.localizer.question(entry, answer.language),
                "links": [{"title": link.title, "url": link.url} for link in answer.links],
                "ref": ref,
                "entry": answer.id,
            }
            body = "\n\n".join([*answerer.notes(answer), answer.answer or ""])
            await self.add("bot", "answer", body, data)
        elif answer.status == SUGGEST:
            items = [{"id": s.id, "question": s.question} for s in answer.suggestions]
            offer = {"items": items, "open": True, "question": question or answer.question,
                     "language": answer.language}  # fmt: skip
            await self.add("bot", "suggest", self.say("did_you_mean", answer.language), offer)
        else:
            await self.add("bot", "notice", answer.reply)
        waited = round((time.perf_counter() - started) * 1000, 3)
        await self.store(
            "log_interaction",
            **answer.log_fields(),
            user_id=self.visit.user_id,
            chat_type=CHAT_TYPE,
            channel=CHANNEL,
            waited_ms=waited,
            ref=ref,
        )
        if self.visit.chosen is None and answer.language != self.visit.language:
            await asyncio.to_thread(
                self.hub.store.set_language, self.visit.key, language=answer.language
            )
            self.visit = replace(self.visit, language=answer.language)

    async def ask(self, text: str) -> None:
        started = time.perf_counter()
        await self.add("visitor", "text", text)
        offered = await self.offered()
        if offered is not None and none_chosen(text):
            await self.none_of_these(offered)
            return
        if offered is not None:
            entry = chosen_suggestion(text, [s["id"] for s in offered.data["items"]])
            if entry is not None:
                await self.choose(offered, entry)
                return
        answerer = answerer_of(self.request)
        answer = await off_loop(
            self.request,
            answerer.ask,
            text,
            lang=self.visit.chosen,
            telegram_code=self.visit.browser,
        )
        await self.answer(answer, started)

    async def offered(self, ident: int | None = None) -> ChatMessage | None:
        """The open "did you mean" list (message `ident`, else the newest), if any."""
        recent = await asyncio.to_thread(self.hub.store.transcript, self.visit.key, None, 20)
        for message in reversed(recent):
            if message.kind == "suggest" and message.data.get("open"):
                return message if ident is None or message.id == ident else None
        return None

    async def close(self, message: ChatMessage) -> None:
        """A list is chosen from once: its buttons go."""
        data = {**message.data, "open": False}
        await asyncio.to_thread(self.hub.store.set_data, self.visit.key, message.id, data)
        self.added.append(replace(message, data=data))
        self.hub.publish(self.visit.key, replace(message, data=data))

    async def choose(self, offered: ChatMessage, entry_id: str) -> None:
        started = time.perf_counter()
        answerer = answerer_of(self.request)
        lang = offered.data.get("language") or self.ui
        await self.close(offered)
        if entry_id not in answerer.kb.by_id:
            await self.notice("stale_button")
            return
        await self.store(
            "log_choice",
            user_id=self.visit.user_id,
            language=lang,
            question=offered.data.get("question", ""),
            entry_id=entry_id,
        )
        await self.answer(answerer.answer_entry(entry_id, lang), started)

    async def none_of_these(self, offered: ChatMessage) -> None:
        """None of the suggestions fits: the question joins the staff's queue, marked."""
        lang = offered.data.get("language") or self.ui
        question = offered.data.get("question", "")
        await self.close(offered)
        await self.notice("none_noted", lang)
        await self.store(
            "log_interaction",
            user_id=self.visit.user_id,
            chat_type=CHAT_TYPE,
            language=lang,
            question=question,
            status="unanswered",
            channel=CHANNEL,
            kind=NONE_OF_THESE,
        )


# Actions (the page's buttons) -----------------------------------------------------------


async def act_choose(turn: Turn, body: dict) -> None:
    offered = await turn.offered(_int(body.get("msg")))
    if offered is None:
        await turn.notice("stale_button")
        return
    await turn.choose(offered, str(body.get("entry", "")))


async def act_none(turn: Turn, body: dict) -> None:
    offered = await turn.offered(_int(body.get("msg")))
    if offered is None:
        await turn.notice("stale_button")
        return
    await turn.none_of_these(offered)


async def act_entry(turn: Turn, body: dict) -> None:
    """A question chosen while browsing a topic."""
    started = time.perf_counter()
    answerer = answerer_of(turn.request)
    entry_id = str(body.get("entry", ""))
    if entry_id not in answerer.kb.by_id:
        await turn.notice("stale_button")
        return
    await turn.answer(answerer.answer_entry(entry_id, turn.ui), started)


async def act_feedback(turn: Turn, body: dict) -> None:
    ref, value = str(body.get("ref", "")), body.get("value")
    if value not in (0, 1, "0", "1"):
        raise Refused(400, "stale_button")
    helpful = str(value) == "1"
    try:
        await turn.store("log_feedback", ref, turn.visit.user_id, helpful)
    except UnknownIdError:
        await turn.notice("stale_button")
        return
    await turn.notice("feedback_thanks")
    if not helpful:  # 👎: an optional reason, one tap
        await turn.add("bot", "reason", turn.say("feedback_reason"), {"ref": ref, "open": True})


async def act_reason(turn: Turn, body: dict) -> None:
    reason, ident = str(body.get("reason", "")), _int(body.get("msg"))
    recent = await asyncio.to_thread(turn.hub.store.transcript, turn.visit.key, None, 50)
    asked = next((m for m in recent if m.id == ident and m.kind == "reason"), None)
    if asked is None or not asked.data.get("open") or reason not in FEEDBACK_REASONS:
        await turn.notice("stale_button")
        return
    try:
        await turn.store(
            "log_feedback", asked.data["ref"], turn.visit.user_id, False, reason=reason
        )
    except UnknownIdError:
        await turn.notice("stale_button")
        return
    await turn.close(asked)
    await turn.notice("reason_thanks")


async def act_topics(turn: Turn, body: dict) -> None:
    answerer = answerer_of(turn.request)
    items = [{"id": t.id, "name": answerer.localizer.topic(t, turn.ui)} for t in answerer.kb.topics]
    await turn.add("bot", "topics", turn.say("topics"), {"items": items})


async def act_topic(turn: Turn, body: dict) -> None:
    answerer = answerer_of(turn.request)
    topic = answerer.topics.get(str(body.get("topic", "")))
    page = _int(body.get("page")) or 0
    if topic is None:
        await turn.notice("stale_button")
        return
    pages = max(1, -(-len(topic.entry_ids) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    ids = topic.entry_ids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    items = [{"id": e, "question": answerer.localizer.question(answerer.kb.by_id[e], turn.ui)}
             for e in ids]  # fmt: skip
    head = turn.say("topic_entries", topic=answerer.localizer.topic(topic, turn.ui))
    data = {"items": items, "topic": topic.id, "page": page, "pages": pages}
    await turn.add("bot", "topic", head, data)


async def act_language(turn: Turn, body: dict) -> None:
    code = str(body.get("lang", ""))
    if code not in turn.c.config.languages.supported:
        raise Refused(400, "stale_button")
    await asyncio.to_thread(turn.hub.store.set_language, turn.visit.key, chosen=code, language=code)
    await turn.store("set_user_language", turn.visit.user_id, code)
    turn.visit = replace(turn.visit, chosen=code, language=code)
    await turn.notice("language_set", code)


async def act_staff(turn: Turn, body: dict) -> None:
    """A message for a person at the centre: queued for the staff's inbox (a handoff);
    their reply comes back here through `deliver`."""
    text = _text(turn, body)
    config = turn.c.config.telegram
    now = time.monotonic()
    if not turn.hub.allowed(
        "staff:" + turn.visit.key, config.staff_limit_messages, config.staff_limit_seconds, now
    ):
        raise Refused(429, "staff_rate_limited")
    await turn.add("visitor", "text", text, {"to": "staff"})
    await turn.notice("web_staff_sent")
    await turn.store(
        "log_interaction",
        user_id=turn.visit.user_id,
        chat_type=CHAT_TYPE,
        language=turn.ui,
        question=text,
        status="unanswered",
        channel=CHANNEL,
        kind=HANDOFF,
    )


ACTIONS: dict[str, Callable[[Turn, dict], Awaitable[None]]] = {
    "choose": act_choose,
    "entry": act_entry,
    "feedback": act_feedback,
    "language": act_language,
    "none": act_none,
    "reason": act_reason,
    "staff": act_staff,
    "topic": act_topic,
    "topics": act_topics,
}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(turn: Turn, body: dict) -> str:
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise Refused(400, "empty")
    limit = turn.c.config.web.chat_max_chars
    if len(text) > limit:
        raise Refused(413, "web_too_long", limit=str(limit))
    return text.strip()


# Routes ------------------------------------------------------------------------------


async def guarded(request: Request, run: Callable[[Turn, dict], Awaitable[None]]) -> Response:
    """The common part of every POST: origin, session, limits, body; then `run`."""
    if not same_origin(request):
        return JSONResponse({"error": "not from this site"}, status_code=403)
    user_id = session_id(request)
    if user_id is None:
        return JSONResponse({"error": "no chat session: reload the page"}, status_code=403)
    visit = await visit_of(request, user_id)
    turn = Turn(request, visit)
    web = turn.c.config.web
    try:
        raw = await request.body()
        if len(raw) > web.chat_max_chars * 4 + 1024:
            raise Refused(413, "web_too_long", limit=str(web.chat_max_chars))
        try:
            body = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise Refused(400, "error") from None
        if not isinstance(body, dict):
            raise Refused(400, "error")
        now = time.monotonic()
        address = request.client.host if request.client else "unknown"
        hub = turn.hub
        if not hub.allowed(
            "visitor:" + visit.key, web.chat_rate_messages, web.chat_rate_seconds, now
        ) or not hub.allowed(
            "address:" + address, web.chat_address_messages, web.chat_rate_seconds, now
        ):
            raise Refused(429, "rate_limited")
        await run(turn, body)
    except Refused as refused:  # told, not stored: the conversation stays as it was
        lang = ui_of(request, turn.visit)
        text = say(request, lang, refused.key, **refused.fields)
        notice = ChatMessage(0, "", "bot", "notice", text, {})
        return JSONResponse(
            {"messages": rendered(request, lang, [notice]), "ui": ui_words(request, lang)},
            status_code=refused.status,
        )
    lang = ui_of(request, turn.visit)
    return JSONResponse(
        {"messages": rendered(request, lang, turn.added), "ui": ui_words(request, lang)}
    )


async def send(request: Request) -> Response:
    """POST {"text": ...}: a question (or the number of a suggestion, or "0")."""

    async def run(turn: Turn, body: dict) -> None:
        await turn.ask(_text(turn, body))

    return await guarded(request, run)


async def act(request: Request) -> Response:
    """POST {"act": name, ...}: a button of the page (ACTIONS)."""

    async def run(turn: Turn, body: dict) -> None:
        action = ACTIONS.get(str(body.get("act", "")))
        if action is None:
            raise Refused(400, "stale_button")
        await action(turn, body)

    return await guarded(request, run)


async def forget(request: Request) -> Response:
    """POST: delete everything stored about this visitor; the cookie goes too."""
    if not same_origin(request):
        return JSONResponse({"error": "not from this site"}, status_code=403)
    user_id = session_id(request)
    if user_id is None:
        return JSONResponse({"error": "no chat session: reload the page"}, status_code=403)
    visit = await visit_of(request, user_id)
    c, hub = console(request), hub_of(request)
    lang = ui_of(request, visit)
    await asyncio.to_thread(c.storage.forget, user_id)
    await asyncio.to_thread(hub.store.forget, visit.key)
    for queue in list(hub.streams.pop(visit.key, ())):
        queue.put_nowait(None)
    notice = ChatMessage(0, "", "bot", "notice", say(request, lang, "forgotten"), {})
    response = JSONResponse({"messages": rendered(request, lang, [notice]), "forgotten": True})
    response.delete_cookie(COOKIE, path="/")
    return response


async def history(request: Request) -> Response:
    """GET ?after=N: the conversation (after message N), as safe HTML, and the page words."""
    user_id = session_id(request)
    if user_id is None:
        return JSONResponse({"messages": [], "ui": ui_words(request, ui_of(request, None))})
    visit = await visit_of(request, user_id)
    after = _int(request.query_params.get("after"))
    items = await asyncio.to_thread(hub_of(request).store.transcript, visit.key, after)
    lang = ui_of(request, visit)
    return JSONResponse({"messages": rendered(request, lang, items), "ui": ui_words(request, lang)})


async def events(request: Request) -> Response:
    """Server-sent events: every message added to this visitor's conversation (staff
    replies above all), starting after `Last-Event-ID` (or ?after=N)."""
    user_id = session_id(request)
    if user_id is None:
        return Response("no chat session", status_code=403, media_type="text/plain")
    visit = await visit_of(request, user_id)
    hub = hub_of(request)
    after = _int(request.headers.get("last-event-id"))
    if after is None:
        after = _int(request.query_params.get("after"))
    queue: asyncio.Queue = asyncio.Queue()
    hub.streams[visit.key].add(queue)  # before reading, so nothing falls in between

    async def stream() -> AsyncIterator[str]:
        nonlocal after
        last = after or 0
        try:
            yield "retry: 2000\n\n"
            pending: list[ChatMessage | None] = []
            while True:  # what this page missed (the newest, for a page that has none)
                missed = await asyncio.to_thread(hub.store.transcript, visit.key, after)
                pending += missed
                if after is None or not missed:
                    break
                after = missed[-1].id
            while True:
                while pending:
                    message = pending.pop(0)
                    if message is None:
                        return
                    if message.id <= last and message.data.get("open", True):
                        continue
                    last = max(last, message.id)
                    item = rendered(request, ui_of(request, visit), [message])[0]
                    yield f"id: {last}\ndata: {json.dumps(item, ensure_ascii=False)}\n\n"
                try:
                    pending.append(await asyncio.wait_for(queue.get(), PING_SECONDS))
                except TimeoutError:
                    yield ": ping\n\n"
        finally:
            streams = hub.streams.get(visit.key)
            if streams is not None:
                streams.discard(queue)
                if not streams:
                    hub.streams.pop(visit.key, None)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


def chat_csp(config: Any, embed: bool) -> str:
    ancestors = " ".join(["'self'", *config.web.chat_origins]) if embed else "'none'"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; "
        f"frame-ancestors {ancestors}"
    )


async def page(request: Request) -> Response:
    """The chat page; `?embed=1` for the widget's panel (framable by `[web] chat_origins`)."""
    c = console(request)
    embed = request.query_params.get("embed") == "1"
    user_id = session_id(request)
    fresh = user_id is None
    if user_id is None:
        user_id = "web:" + secrets.token_urlsafe(24)
    visit = await visit_of(request, user_id)
    hub = hub_of(request)
    await asyncio.to_thread(hub.store.touch, visit.key)
    if time.monotonic() >= hub.purge_at:  # retention, as Storage.purge for the question log
        hub.purge_at = time.monotonic() + 86400
        await asyncio.to_thread(hub.store.purge, c.config.storage.retention_days)
    lang = ui_of(request, visit)
    ui = ui_words(request, lang)
    html = c.templates.get_template("chat.html").render(
        request=request,
        embed=embed,
        lang=lang,
        dir=ui["dir"],
        words=ui["words"],
        languages=[(code, LANGUAGE_NAMES.get(code, code)) for code in c.config.languages.supported],
    )
    response = Response(html, media_type="text/html; charset=utf-8")
    response.headers["content-security-policy"] = chat_csp(c.config, embed)
    # Browsers obey frame-ancestors over X-Frame-Options; the old header guards the rest.
    response.headers["x-frame-options"] = "SAMEORIGIN" if embed else "DENY"
    if fresh:
        set_chat_cookie(c, response, user_id, embed)
    return response


def set_chat_cookie(c: Console, response: Response, user_id: str, embed: bool) -> None:
    """HttpOnly, signed; inside another site's page (the widget) the cookie must be
    SameSite=None, Secure and Partitioned, which needs HTTPS (docs/webchat.md)."""
    third_party = embed and c.config.web.secure_cookies
    response.set_cookie(
        COOKIE,
        c.sign(user_id),
        max_age=COOKIE_DAYS * 86400,
        httponly=True,
        samesite="none" if third_party else "lax",
        secure=c.config.web.secure_cookies,
        partitioned=third_party,
        path="/",
    )


async def widget(request: Request) -> Response:
    """The script a centre's site includes: opens the chat panel, on allowed origins only."""
    c = console(request)
    words = {
        code: {"open": messages.text(code, "web_open"), "close": messages.text(code, "web_close")}
        for code in c.config.languages.supported
    }
    body = WIDGET.replace("__ORIGINS__", json.dumps(list(c.config.web.chat_origins))).replace(
        "__WORDS__", json.dumps(words, ensure_ascii=False)
    )
    response = Response(body, media_type="text/javascript; charset=utf-8")
    response.headers["cross-origin-resource-policy"] = "cross-origin"
    response.headers["content-security-policy"] = "default-src 'none'"
    return response


def routes() -> list[Route]:
    return [
        Route("/chat", page, methods=["GET"]),
        Route("/chat/messages", history, methods=["GET"]),
        Route("/chat/events", events, methods=["GET"]),
        Route("/chat/send", send, methods=["POST"]),
        Route("/chat/act", act, methods=["POST"]),
        Route("/chat/forget", forget, methods=["POST"]),
        Route("/widget.js", widget, methods=["GET"]),
    ]


WIDGET = (Path(__file__).parent / "static" / "widget.js").read_text(encoding="utf-8")
