"""One visitor's request in the web chat: who they are (`Visit`, from the signed session
cookie), the words in their language, and `Turn`, which answers through the shared core
(`Answerer.ask` / `answer_entry`), logs with channel `web` (`Storage.log_interaction`,
`log_feedback`, `log_choice`) and adds the messages to their conversation; the page's
buttons are the ACTIONS, as Telegram's inline buttons are in bot/telegram/handlers.py."""

from __future__ import annotations

import asyncio
import functools
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from starlette.requests import Request

from bot import messages
from bot.answering import (
    SUGGEST,
    Answer,
    Answerer,
    Earlier,
    chosen_suggestion,
    none_chosen,
    with_notice,
)
from bot.language import READ_APART
from bot.storage import FEEDBACK_REASONS, NONE_OF_THESE, SEE_ALSO, UnknownIdError
from bot.web.app import console
from bot.web.chat_hub import Hub, StaffNote
from bot.web.chat_render import message_html
from bot.web.i18n import browser_language
from bot.webchat_store import ChatMessage

CHANNEL = "web"
CHAT_TYPE = "private"
COOKIE = "chat_session"
HANDOFF = "staff_message"  # the kind of a queued item that is a visitor's message for staff
PAGE_SIZE = 8
AUTO = "auto"  # the language picker's "automatic": each message answered in its own
RTL = frozenset({"ar", "fa", "he", "ur"})
WORDS = (  # the page's own words, sent again when its language changes
    "web_title", "web_placeholder", "web_send", "web_topics", "web_staff", "web_staff_mode",
    "web_forget", "web_forget_confirm", "web_language", "web_language_auto", "web_conversation",
    "web_cancel",
    "web_close", "web_staff_prompt", "web_offline", "web_no_session",
)  # fmt: skip
# A command as Telegram's: "/staff I need help", "/topics", "/start@SomeBot".
COMMAND = re.compile(r"^/([A-Za-z_]+)(?:@\w+)?(?:\s+(.*))?$", re.S)
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


class BadRequest(Refused):
    """A request our page never sends (not JSON, malformed, a field missing or of the wrong
    type): a client error, told in plain words (`web_bad_request`); `detail`, what was wrong,
    is for the log."""

    def __init__(self, detail: str, status: int = 400):
        super().__init__(status, "web_bad_request")
        self.detail = detail


def hub_of(request: Request) -> Hub:
    return request.app.state.webchat


# The visitor --------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """Who is asking: their session id (as the storage user id), its key and languages."""

    user_id: str
    key: str
    chosen: str | None
    language: str | None
    browser: str | None
    hint: str | None  # browser_hint: for the answerer
    pages: tuple[str, ...]  # the languages the page is offered in ([languages] supported)

    @property
    def ui(self) -> str | None:
        """The page's language: the one chosen, else the last answer's when the page is
        offered in it (a Persian question is answered in English, with no Persian words for
        the page: not an English page set right to left), else the browser's."""
        answered = self.language if self.language in self.pages else None
        return self.chosen or answered or self.browser


_APART = tuple(sorted(READ_APART))


def browser_hint(request: Request, supported: tuple[str, ...]) -> str | None:
    """The language the browser tells the answerer (as Telegram tells its language_code):
    its first one that the bot speaks or tells apart from one it speaks (Persian, Urdu,
    Pashto: language.READ_APART), so that a Persian browser's "سلام" is not taken for
    Arabic. The pages' own words follow browser_language."""
    return browser_language(request, (*supported, *_APART))


def session_id(request: Request) -> str | None:
    raw = request.cookies.get(COOKIE)
    value = console(request).unsign(raw) if raw else None
    return value if value and value.startswith("web:") else None


async def visit_of(request: Request, user_id: str) -> Visit:
    """The visitor of a valid session (noted again if their row expired meanwhile)."""
    c, hub = console(request), hub_of(request)
    key = c.storage.user_key(user_id)
    found = await asyncio.to_thread(hub.store.visitor, key)
    if found is None:
        await asyncio.to_thread(hub.store.touch, key)
    return Visit(
        user_id,
        key,
        found.chosen if found else None,
        found.language if found else None,
        browser_language(request, c.config.languages.supported),
        browser_hint(request, c.config.languages.supported),
        c.config.languages.supported,
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


def ui_words(request: Request, lang: str, chosen: str | None = None) -> dict:
    """The page's words in `lang`, its direction, and the language the visitor picked
    (`chosen`; None: each message's own, "automatic" in the picker)."""
    return {
        "lang": lang,
        "dir": "rtl" if lang in RTL else "ltr",
        "words": {key: say(request, lang, key) for key in WORDS},
        "chosen": chosen,
    }


def rendered(request: Request, lang: str, items: list[ChatMessage]) -> list[dict]:
    """Messages as HTML; a notice made for this response only (not stored: id 0) is in
    `lang`, the page's language. The page's words in a message (who said it, "Sources",
    "See also", 👍/👎, the staff heading) are in `lang` too, as everywhere on the page; only
    the message's text (and title) is marked with the language it is written in (data
    "lang"): an answer that falls back to the knowledge base's English keeps the visitor's
    labels around it."""

    def words(key: str) -> str:
        return say(request, lang, key)

    def written(m: ChatMessage) -> ChatMessage:
        if m.id or m.role == "visitor" or "lang" in m.data:
            return m
        return replace(m, data={**m.data, "lang": lang})

    return [
        {"id": m.id, "role": m.role, "html": message_html(m, words, lang)}
        for m in map(written, items)
    ]


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

    async def add(
        self, role: str, kind: str, text: str, data: dict | None = None, lang: str | None = None
    ) -> ChatMessage:
        """Append a message; the bot's carry the language they are written in (`lang`, the
        page's by default), so that a screen reader reads each in its own."""
        if role != "visitor":
            data = {**(data or {}), "lang": lang or self.ui}
        message = await asyncio.to_thread(
            self.hub.store.append, self.visit.key, role, kind, text, data
        )
        self.added.append(message)
        self.hub.publish(self.visit.key, message)
        return message

    async def store(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(getattr(self.c.storage, method), *args, **kwargs)

    def to_staff(
        self, label: str, text: str, language: str, handoff: str | None = None, after: str = ""
    ) -> None:
        """Copy the visitor's words to the staff room of another adapter, if one is served
        (chat_hub.py); its reply comes back through `Deliveries`. `after`: the question a
        follow-up was asked after (Answer.after)."""
        if self.hub.staff_copies is not None:
            note = StaffNote(label, text, language, self.visit.user_id, handoff, after)
            self.hub.staff_copies.copy(note)

    async def notice(self, key: str, lang: str | None = None, **fields: str) -> None:
        await self.add("bot", "notice", self.say(key, lang, **fields), lang=lang)

    async def answer(
        self,
        answer: Answer,
        started: float,
        question: str | None = None,
        follows: int | str | None = None,
        browsed: bool = False,
    ) -> None:
        """Show an answer, then log it (channel web) with the time the visitor waited;
        `follows`: the reply it is a step after (Storage.log_interaction), None for a question;
        `browsed`: an entry opened from a topic, no question either."""
        answer = await translated(self.request, answer)
        ref = secrets.token_urlsafe(9)
        for_staff = answer.status == "unanswered" and not await self.store(
            "ignored_before", answer.question
        )
        if for_staff:
            noted = self.say("web_unanswered_noted", answer.language)
            answer = replace(answer, reply=with_notice(answer.notice, noted))
        if answer.status == "answered" and answer.id is not None:
            answerer = answerer_of(self.request)
            data: dict[str, Any] = {
                "title": answerer.title(answer),
                "links": [{"title": link.title, "url": link.url} for link in answer.links],
                "ref": ref,
                "entry": answer.id,
                "related": [{"id": r.id, "question": r.question} for r in answer.related],
            }
            # What a follow-up is read with (_earlier): a message's first answer, as Telegram
            # and the terminal chat keep it, never the answer to one of its other parts.
            earlier = None if answer.part else answer.earlier()
            if earlier is not None:
                data["asked"] = earlier.question
            if answer.nearest is not None:  # opening it records a choice (act_entry)
                data["nearest"] = {
                    "id": answer.nearest,
                    "question": answer.question,
                    "language": answer.language,
                }
            body = answerer.body(answer)
            # an answer not translated yet is mostly the knowledge base's own text
            written = answerer.kb.language if answer.text_source == "source" else answer.language
            await self.add("bot", "answer", body, data, lang=written)
        elif answer.status == SUGGEST:
            items = [{"id": s.id, "question": s.question} for s in answer.suggestions]
            offer = {"items": items, "open": True, "question": question or answer.question,
                     "language": answer.language, "ref": ref,
                     "after": answer.after}  # fmt: skip
            key = "elsewhere_suggest" if answer.elsewhere else "did_you_mean"
            lead = self.say(key, answer.language)
            await self.add(
                "bot", "suggest", with_notice(answer.notice, lead), offer, lang=answer.language
            )
        else:
            await self.add("bot", "notice", answer.reply, lang=answer.language)
        waited = round((time.perf_counter() - started) * 1000, 3)
        await self.store(
            "log_interaction",
            **answer.log_fields(),
            user_id=self.visit.user_id,
            chat_type=CHAT_TYPE,
            channel=CHANNEL,
            waited_ms=waited,
            ref=ref,
            follows=follows,
            browsed=browsed,
        )
        if for_staff:  # queued (logged) first: a reply to the copy finds the question
            self.to_staff("❓ Unanswered", answer.question, answer.language, after=answer.after)
        if self.visit.chosen is None and answer.language != self.visit.language:
            await asyncio.to_thread(
                self.hub.store.set_language, self.visit.key, language=answer.language
            )
            self.visit = replace(self.visit, language=answer.language)
            if self.visit.key in self.hub.streams:  # redraw its open pages' buttons in it
                self.hub.languages[self.visit.key] = self.ui
        for part in answer.parts:  # the message's other questions, each its own answer
            await self.answer(part, started)

    async def ask(self, text: str) -> None:
        command = COMMAND.match(text)
        if command is not None:
            await self.command(command.group(1).lower(), (command.group(2) or "").strip(), text)
            return
        started = time.perf_counter()
        await self.add("visitor", "text", text)
        recent = await self.recent()
        offered = _open_list(recent)
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
            telegram_code=self.visit.hint,
            recent=self.visit.language,
            earlier=_earlier(recent),
        )
        await self.answer(answer, started)

    async def recent(self) -> list[ChatMessage]:
        """The conversation's last 20 messages, oldest first."""
        return await asyncio.to_thread(self.hub.store.transcript, self.visit.key, None, 20)

    async def detect_languages(self) -> None:
        """`/lang auto`: the picked language forgotten, each message answered in its own
        again (the page keeps the last answer's language until the next one)."""
        await asyncio.to_thread(self.hub.store.forget_choice, self.visit.key)
        await self.store("set_user_language", self.visit.user_id, None)
        self.visit = replace(self.visit, chosen=None)
        if self.visit.key in self.hub.streams:
            self.hub.languages[self.visit.key] = self.ui
        await self.notice("terminal_language_detected")

    async def command(self, name: str, rest: str, text: str) -> None:
        """A Telegram-style command typed here (the knowledge base's answers tell users to
        "send /staff followed by your message"): /staff MESSAGE goes to staff as "Talk to a
        person" does, /topics lists the topics, /lang CODE sets the language (/lang auto
        detects each message's again); anything else
        (/start, /help, /forget, /notify...) is told what this chat offers. Never matched as
        a question, so never queued for staff as an unanswered one."""
        if name == "staff" and rest:
            await self.to_person(rest)
            return
        await self.add("visitor", "text", text)
        if name == "staff":
            await self.notice("staff_usage")
        elif name == "topics":
            await act_topics(self, {})
        elif name in ("lang", "language") and rest.lower() in self.c.config.languages.supported:
            await act_language(self, {"lang": rest.lower()})
        elif name in ("lang", "language") and rest.lower() == AUTO:
            await self.detect_languages()
        else:
            await self.notice(
                "web_commands",
                topics=self.say("web_topics"),
                staff=self.say("web_staff"),
                forget=self.say("web_forget"),
            )

    async def to_person(self, text: str) -> None:
        """A message for a person at the centre: queued for the staff's inbox (a handoff);
        their reply comes back here through `deliver`."""
        config = self.c.config.telegram
        now = time.monotonic()
        if not self.hub.allowed(
            "staff:" + self.visit.key, config.staff_limit_messages, config.staff_limit_seconds, now
        ):
            raise Refused(429, "staff_rate_limited")
        await self.add("visitor", "text", text, {"to": "staff"})
        await self.notice("web_staff_sent")
        await self.store(
            "log_interaction",
            user_id=self.visit.user_id,
            chat_type=CHAT_TYPE,
            language=self.ui,
            question=text,
            status="unanswered",
            channel=CHANNEL,
            kind=HANDOFF,
        )
        self.to_staff("✉️ Talk to a person", text, self.ui)

    async def offered(self, ident: int | None = None) -> ChatMessage | None:
        """The open "did you mean" list (message `ident`, else the newest), if any."""
        return _open_list(await self.recent(), ident)

    async def close(self, message: ChatMessage) -> None:
        """A list is chosen from once: its buttons go."""
        await self.redraw(message, {**message.data, "open": False})

    async def redraw(self, message: ChatMessage, data: dict) -> None:
        """Store what `message` now shows (its buttons) and redraw it on the visitor's pages,
        one revision on: a page that gets an older copy later (by a slow stream) keeps this."""
        data = {**data, "rev": int(message.data.get("rev") or 0) + 1}
        await asyncio.to_thread(self.hub.store.set_data, self.visit.key, message.id, data)
        self.added.append(replace(message, data=data))
        self.hub.publish(self.visit.key, replace(message, data=data))

    async def rated(self, ident: int) -> ChatMessage | None:
        """Answer `ident` of this conversation, if it has 👍/👎 (it was logged, with a ref)."""
        found = await asyncio.to_thread(self.hub.store.message, self.visit.key, ident)
        return found if found and found.kind == "answer" and found.data.get("ref") else None

    async def message(self, ident: int | None, *kinds: str) -> ChatMessage | None:
        """Message `ident` of this conversation, if it is among the last 50 and of `kinds`."""
        recent = await asyncio.to_thread(self.hub.store.transcript, self.visit.key, None, 50)
        return next((m for m in recent if m.id == ident and m.kind in kinds), None)

    async def shown_again(self, listed: ChatMessage, entry_id: str) -> bool:
        """Entry `entry_id` opened already from the list or answer `listed`: the answer
        shown then is sent back (the page brings it into view), neither added nor logged
        again; False when it was not, or is gone."""
        opened = listed.data.get("opened")
        if not isinstance(opened, dict) or not isinstance(opened.get(entry_id), int):
            return False
        shown = await asyncio.to_thread(self.hub.store.message, self.visit.key, opened[entry_id])
        if shown is not None:
            self.added.append(shown)
        return shown is not None

    async def from_topic(self, ident: int, entry_id: str, started: float) -> None:
        """Entry `entry_id` chosen in topic list `ident`: answered (logged as browsed, no
        question), and the list redrawn with its button marked as opened; pressed again, the
        answer already shown is brought back into view, as under "See also". Hold
        `Hub.holding`."""
        answerer = answerer_of(self.request)
        listed = await self.message(ident, "topic")
        if listed is not None and await self.shown_again(listed, entry_id):
            return
        before = len(self.added)
        await self.answer(answerer.answer_entry(entry_id, self.ui), started, browsed=True)
        new = next((m for m in self.added[before:] if m.kind == "answer"), None)
        if listed is not None and new is not None:
            opened = listed.data.get("opened")
            opened = dict(opened) if isinstance(opened, dict) else {}
            await self.redraw(listed, {**listed.data, "opened": {**opened, entry_id: new.id}})

    async def see_also(self, ident: int, entry_id: str, started: float) -> None:
        """Entry `entry_id` opened from the "See also" of answer `ident` (among the last 50):
        answered as a step after that answer, and that answer redrawn with the button marked
        as opened. Once: opened again (a double click, a replayed request), the answer
        already shown is sent back, neither added again nor logged. The entry ranked next
        (Answer.nearest) opened from there shows that the visitor's question may mean it:
        its question is recorded as a choice of it. Hold `Hub.holding` for `ident`."""
        answerer = answerer_of(self.request)
        answered = await self.message(ident, "answer")
        if answered is None:  # an answer long gone from the page: a step after "no answer"
            await self.answer(answerer.answer_entry(entry_id, self.ui), started, follows=0)
            return
        if await self.shown_again(answered, entry_id):
            return
        opened = answered.data.get("opened")
        opened = dict(opened) if isinstance(opened, dict) else {}
        data = dict(answered.data)
        nearest = data.get("nearest")
        chosen = nearest if isinstance(nearest, dict) and nearest.get("id") == entry_id else None
        if chosen is not None:
            del data["nearest"]  # recorded once
        before = len(self.added)
        follows = answered.data.get("ref") or 0
        await self.answer(answerer.answer_entry(entry_id, self.ui), started, follows=follows)
        new = next((m for m in self.added[before:] if m.kind == "answer"), None)
        if new is not None:
            data["opened"] = {**opened, entry_id: new.id}
        if new is not None or chosen is not None:  # one write: opened, the choice taken
            await self.redraw(answered, data)
        if chosen is not None:
            await self.store(
                "log_choice",
                user_id=self.visit.user_id,
                language=str(chosen.get("language") or self.ui),
                question=str(chosen.get("question", "")),
                entry_id=entry_id,
                source=SEE_ALSO,
            )

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
        follows = offered.data.get("ref") or 0  # one question: the list's, now answered
        await self.answer(answerer.answer_entry(entry_id, lang), started, follows=follows)

    async def none_of_these(self, offered: ChatMessage) -> None:
        """None of the suggestions fits: the question joins the staff's queue, marked."""
        lang = offered.data.get("language") or self.ui
        question = offered.data.get("question", "")
        after = offered.data.get("after") or ""  # the question it was asked after, if any
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
            follows=offered.data.get("ref") or 0,  # one question: the list's, now unanswered
            after=after or None,
        )
        self.to_staff("🤷 None of these fit", question, lang, after=after)


# Actions (the page's buttons) -----------------------------------------------------------


async def act_choose(turn: Turn, body: dict) -> None:
    ident, entry_id = number(body, "msg"), word(body, "entry")
    offered = await turn.offered(ident)
    if offered is None:
        await turn.notice("stale_button")
        return
    await turn.choose(offered, entry_id)


async def act_none(turn: Turn, body: dict) -> None:
    offered = await turn.offered(number(body, "msg"))
    if offered is None:
        await turn.notice("stale_button")
        return
    await turn.none_of_these(offered)


async def act_entry(turn: Turn, body: dict) -> None:
    """An entry chosen while browsing a topic (`msg`: that list, `from`: "topic"; logged as
    browsed, not a question, and opened once: Turn.from_topic), or under an answer's "See
    also" (`msg`: that answer; logged as a step after it, not a question, and opened once:
    Turn.see_also)."""
    started = time.perf_counter()
    answerer = answerer_of(turn.request)
    entry_id = word(body, "entry")
    ident = number(body, "msg") if body.get("msg") is not None else None
    if entry_id not in answerer.kb.by_id:
        await turn.notice("stale_button")
        return
    if ident is None:  # a topic list drawn before lists marked what was opened
        await turn.answer(answerer.answer_entry(entry_id, turn.ui), started, browsed=True)
        return
    async with turn.hub.holding(turn.visit.key, ident):
        if body.get("from") == "topic":
            await turn.from_topic(ident, entry_id, started)
        else:
            await turn.see_also(ident, entry_id, started)


async def act_feedback(turn: Turn, body: dict) -> None:
    """👍/👎 under answer `msg`: one rating per answer. A change of mind replaces it; the same
    again (a double click, a replayed request) records nothing. The answer is redrawn with
    the chosen button pressed and, after 👎, asks for a reason itself (chat_render), so that
    a reason is always about this answer, and goes when a 👍 replaces the 👎."""
    ident, value = number(body, "msg"), number(body, "value")
    if value not in (0, 1):
        raise BadRequest("'value' is neither 0 nor 1")
    async with turn.hub.holding(turn.visit.key, ident):
        answered = await turn.rated(ident)
        if answered is None:
            await turn.notice("stale_button")
            return
        if answered.data.get("rated") == value:  # as it is: shown again, not recorded
            turn.added.append(answered)
            return
        try:
            await turn.store("log_feedback", answered.data["ref"], turn.visit.user_id, value == 1)
        except UnknownIdError:  # the answer's log entry is gone (retention)
            await turn.notice("stale_button")
            return
        data = {k: v for k, v in answered.data.items() if k != "reason"}
        await turn.redraw(answered, {**data, "rated": value})


async def act_reason(turn: Turn, body: dict) -> None:
    """The one-tap reason for a 👎, asked in answer `msg`: taken once, and only while that
    answer's rating is the 👎 it was asked for; a copy goes to the staff room."""
    ident, reason = number(body, "msg"), word(body, "reason")
    if reason not in FEEDBACK_REASONS:
        raise BadRequest("'reason' is none of " + ", ".join(FEEDBACK_REASONS))
    async with turn.hub.holding(turn.visit.key, ident):
        answered = await turn.rated(ident)
        if answered is None or answered.data.get("rated") != 0 or answered.data.get("reason"):
            if answered is not None:
                turn.added.append(answered)  # the page had an old state: shown as it is
            await turn.notice("stale_button")
            return
        ref = answered.data["ref"]
        try:
            await turn.store("log_feedback", ref, turn.visit.user_id, False, reason=reason)
        except UnknownIdError:
            await turn.notice("stale_button")
            return
        await turn.redraw(answered, {**answered.data, "reason": reason})
    logged = await turn.store("interaction", ref)
    if logged:  # a copy with the question and the entry, as Telegram's (handlers.py)
        kb_language = answerer_of(turn.request).kb.language
        label = "👎 " + say(turn.request, kb_language, f"reason_{reason}")
        text = f"{logged['question']}\n\n(entry {logged['entry_id']})"
        turn.to_staff(label, text, logged["language"], "feedback")


async def act_topics(turn: Turn, body: dict) -> None:
    answerer = answerer_of(turn.request)
    items = [{"id": t.id, "name": answerer.localizer.topic(t, turn.ui)} for t in answerer.kb.topics]
    await turn.add("bot", "topics", turn.say("topics"), {"items": items})


async def act_topic(turn: Turn, body: dict) -> None:
    answerer = answerer_of(turn.request)
    topic = answerer.topics.get(word(body, "topic"))
    page = number(body, "page")
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
    """The language picker: a language for every answer and the page, or "auto" (as
    `/lang auto`) for each message's own again."""
    code = word(body, "lang")
    if code == AUTO:
        await turn.detect_languages()
        return
    if code not in turn.c.config.languages.supported:
        raise Refused(400, "stale_button")
    await asyncio.to_thread(turn.hub.store.set_language, turn.visit.key, chosen=code, language=code)
    await turn.store("set_user_language", turn.visit.user_id, code)
    turn.visit = replace(turn.visit, chosen=code, language=code)
    if turn.visit.key in turn.hub.streams:
        turn.hub.languages[turn.visit.key] = code
    await turn.notice("language_set", code)


async def act_staff(turn: Turn, body: dict) -> None:
    """ "Talk to a person": the visitor's words for the staff (Turn.to_person)."""
    await turn.to_person(text_of(turn, body))


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


MAX_ID = 2**63 - 1  # SQLite's largest integer: a message id is never more


def int_of(value: Any) -> int | None:
    """A number from a query string or header; None when absent or no id could be it."""
    try:
        found = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return found if 0 <= found <= MAX_ID else None


def number(body: dict, name: str) -> int:
    """Field `name` of a POST: a whole number, sent as one or as its digits (the page sends
    its buttons' data attributes, which are text); BadRequest when it is not one."""
    value = body.get(name)
    if isinstance(value, str) and value.isascii() and value.isdecimal() and len(value) < 19:
        value = int(value)
    if type(value) is not int or not 0 <= value <= MAX_ID:  # bool is no number here
        raise BadRequest(f"{name!r} is missing" if value is None else f"{name!r} is no number")
    return value


def word(body: dict, name: str) -> str:
    """Field `name` of a POST: a string; BadRequest when missing or of another type."""
    value = body.get(name)
    if not isinstance(value, str):
        raise BadRequest(f"{name!r} is missing" if value is None else f"{name!r} is no string")
    return value


def text_of(turn: Turn, body: dict) -> str:
    text = word(body, "text")
    if not text.strip():
        raise Refused(400, "empty")
    limit = turn.c.config.web.chat_max_chars
    if len(text) > limit:
        raise Refused(413, "web_too_long", limit=str(limit))
    return text.strip()


def _open_list(recent: list[ChatMessage], ident: int | None = None) -> ChatMessage | None:
    """The open "did you mean" list among `recent` (message `ident`, else the newest)."""
    for message in reversed(recent):
        if message.kind == "suggest" and message.data.get("open"):
            return message if ident is None or message.id == ident else None
    return None


def _earlier(recent: list[ChatMessage]) -> Earlier | None:
    """What the conversation was last answered (the newest answer among `recent` that
    recorded what it was `asked`: a message's first, Answer.earlier, not the answers to its
    other parts), for a follow-up ("and how much does it cost?": Answerer.ask)."""
    for message in reversed(recent):
        asked, entry = message.data.get("asked"), message.data.get("entry")
        if message.kind == "answer" and asked and entry:
            return Earlier(asked, entry, datetime.fromisoformat(message.time).timestamp())
    return None
