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
import hashlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from bot import messages
from bot.web.app import Console, console
from bot.web.chat_hub import Hub, deliver, tell_resolved
from bot.web.chat_turn import (
    ACTIONS,
    CHANNEL,
    COOKIE,
    LANGUAGE_NAMES,
    BadRequest,
    Refused,
    Turn,
    hub_of,
    int_of,
    rendered,
    say,
    session_id,
    text_of,
    ui_of,
    ui_words,
    visit_of,
    word,
)
from bot.web.i18n import browser_language
from bot.web.serving import REVALIDATE
from bot.webchat_store import ChatMessage, WebChats

log = logging.getLogger(__name__)
COOKIE_DAYS = 365
PING_SECONDS = 15.0


def install(app: Any) -> None:
    """Open the web chat's store and register its sender for staff replies."""
    c: Console = app.state.console
    hub = Hub(WebChats(c.storage.path))
    app.state.webchat = hub

    async def send(row: dict, text: str) -> bool:
        return await deliver(c, hub, row, text)

    if CHANNEL not in c.deliveries.channels():  # a caller's own web sender (a test) stays
        c.deliveries.register(CHANNEL, send)
    earlier = c.holder.after_reload  # Telegram's, when `run` serves both

    async def tell_askers() -> int:
        told = await earlier() if earlier is not None else 0
        return told + await tell_resolved(c, hub)

    c.holder.after_reload = tell_askers


def same_origin(request: Request) -> bool:
    """A POST from our own pages: its Origin, sent by every browser on a POST, names our
    host. The host, not the scheme: behind a TLS proxy the app itself may be reached over
    http. (A browser without Origin cannot send another site's form as JSON either, which
    needs a preflight, never granted: `json_of` refuses any other content type.)"""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc == request.url.netloc


# Routes ------------------------------------------------------------------------------


async def capped_body(request: Request, limit: int, chars: int) -> bytes:
    """The request's body, read no further than `limit` bytes: a longer one is refused
    (413) as soon as its Content-Length says so, or as soon as that much has arrived,
    never held whole in memory. The refusal tells the visitor the limit they can act on,
    `chars` characters (2,000 Chinese characters are over the byte cap before the
    message's length is read: "under 5024 characters" was wrong)."""
    declared = request.headers.get("content-length", "")
    if declared.strip().isdecimal() and int(declared) > limit:
        raise Refused(413, "web_too_long", limit=str(chars))
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise Refused(413, "web_too_long", limit=str(chars))
    return bytes(raw)


async def json_of(request: Request, limit: int, chars: int) -> dict:
    """The body of a POST: a JSON object (an empty body is an empty one), at most `limit`
    bytes (said as `chars` characters); BadRequest, a client error, when it is anything
    else."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise BadRequest(f"content type {kind or 'none'!r}, not application/json", 415)
    raw = await capped_body(request, limit, chars)
    try:
        body = json.loads(raw or b"{}")
        json.dumps(body, ensure_ascii=False).encode()  # a lone surrogate cannot be stored
    except UnicodeError:
        raise BadRequest("the body is not UTF-8 text, or holds a lone surrogate") from None
    except ValueError as error:
        raise BadRequest(f"malformed JSON: {error}") from None
    if not isinstance(body, dict):
        raise BadRequest(f"the body is a JSON {type(body).__name__}, not an object")
    return body


def body_limit(turn: Turn) -> int:
    """The most bytes a POST may carry: a message of `chat_max_chars` characters of up to
    four bytes each, in JSON, with room for the other fields."""
    return turn.c.config.web.chat_max_chars * 4 + 1024


async def guarded(
    request: Request, run: Callable[[Turn, dict], Awaitable[None]], typed: bool = False
) -> Response:
    """The common part of every POST: origin, session, limits, body; then `run`. Every POST
    counts against the client address's limit (checked before the body is read); `typed`,
    a message the visitor typed (a question, or words for staff), against the session's
    limit of messages too: buttons (topics, 👍/👎 and its reason, a suggestion) do not use
    up the messages a visitor may send."""
    if not same_origin(request):
        return JSONResponse({"error": "not from this site"}, status_code=403)
    user_id = session_id(request)
    if user_id is None:
        return no_session(request)
    visit = await visit_of(request, user_id)
    turn = Turn(request, visit)
    web = turn.c.config.web
    try:
        now = time.monotonic()
        address = request.client.host if request.client else "unknown"
        hub = turn.hub
        if not hub.allowed(
            "address:" + address, web.chat_address_messages, web.chat_rate_seconds, now
        ):
            raise Refused(429, "rate_limited")
        body = await json_of(request, body_limit(turn), turn.c.config.web.chat_max_chars)
        if (typed or body.get("act") == "staff") and not hub.allowed(
            "visitor:" + visit.key, web.chat_rate_messages, web.chat_rate_seconds, now
        ):
            raise Refused(429, "rate_limited")
        await run(turn, body)
    except Refused as refused:  # told, not stored: the conversation stays as it was
        return refused_response(request, ui_of(request, turn.visit), refused, turn.visit.chosen)
    lang = ui_of(request, turn.visit)
    return JSONResponse(
        {
            "messages": rendered(request, lang, turn.added),
            "ui": ui_words(request, lang, turn.visit.chosen),
            "session": conversation_tag(visit.key),
        }
    )


def conversation_tag(key: str) -> str:
    """A short tag of the conversation a response belongs to, so that a page still showing
    another one (a second tab after "Forget me" in the first: its cookie now names a new
    conversation) loads the one its message went to instead of dropping what came back."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def no_session(request: Request) -> JSONResponse:
    """A POST without a session (the cookie gone, or blocked by the browser): said in the
    browser's language, if supported."""
    supported = console(request).config.languages.supported
    lang = browser_language(request, supported) or ui_of(request, None)
    return refused_response(request, lang, Refused(403, "web_no_session"))


def refused_response(
    request: Request, lang: str, refused: Refused, chosen: str | None = None
) -> JSONResponse:
    """A request refused: its reason as a notice in the visitor's language (shown, not
    stored), with the HTTP status; `chosen`, the language the visitor picked, if any. A bad
    request is logged as the client's error it is."""
    if isinstance(refused, BadRequest):
        log.info("web chat: client error %s on %s: %s", refused.status, request.url.path,
                 refused.detail)  # fmt: skip
    text = say(request, lang, refused.key, **refused.fields)
    notice = ChatMessage(0, "", "bot", "notice", text, {})
    return JSONResponse(
        {"messages": rendered(request, lang, [notice]), "ui": ui_words(request, lang, chosen)},
        status_code=refused.status,
    )


async def send(request: Request) -> Response:
    """POST {"text": ...}: a question (or the number of a suggestion, or "0")."""

    async def run(turn: Turn, body: dict) -> None:
        await turn.ask(text_of(turn, body))

    return await guarded(request, run, typed=True)


async def act(request: Request) -> Response:
    """POST {"act": name, ...}: a button of the page (ACTIONS)."""

    async def run(turn: Turn, body: dict) -> None:
        action = ACTIONS.get(word(body, "act"))
        if action is None:
            raise Refused(400, "stale_button")
        await action(turn, body)

    return await guarded(request, run)


async def forget(request: Request) -> Response:
    """POST: delete everything stored about this visitor. Their cookie is replaced by a new
    session's, so that the page goes on as a new, empty conversation (nothing is stored
    about it until they write). Body: {"embed": true} from the widget's panel."""
    if not same_origin(request):
        return JSONResponse({"error": "not from this site"}, status_code=403)
    user_id = session_id(request)
    if user_id is None:
        return no_session(request)
    visit = await visit_of(request, user_id)
    c, hub = console(request), hub_of(request)
    lang = ui_of(request, visit)
    try:
        body = await json_of(request, 1024, 1024)
        embed = body.get("embed", False)
        if not isinstance(embed, bool):
            raise BadRequest("'embed' is not true or false")
    except Refused as refused:  # nothing is deleted
        return refused_response(request, lang, refused, visit.chosen)
    await asyncio.to_thread(c.storage.forget, user_id)
    await asyncio.to_thread(hub.store.forget, visit.key)
    if hub.staff_copies is not None:  # their copies still waiting are not sent
        hub.staff_copies.forget(user_id)
    hub.languages.pop(visit.key, None)
    for queue in list(hub.streams.pop(visit.key, ())):
        queue.put_nowait(None)
    notice = ChatMessage(0, "", "bot", "notice", say(request, lang, "forgotten"), {})
    response = JSONResponse({"messages": rendered(request, lang, [notice]), "forgotten": True})
    set_chat_cookie(c, response, "web:" + secrets.token_urlsafe(24), embed)
    return response


async def history(request: Request) -> Response:
    """GET ?after=N: the conversation (after message N), as safe HTML, and the page words;
    the greeting (not stored) while there is no conversation yet."""
    user_id = session_id(request)
    if user_id is None:
        return JSONResponse({"messages": [], "ui": ui_words(request, ui_of(request, None))})
    visit = await visit_of(request, user_id)
    after = int_of(request.query_params.get("after"))
    items = await asyncio.to_thread(hub_of(request).store.transcript, visit.key, after)
    lang = ui_of(request, visit)
    if not items and after is None:  # a new conversation opens with the bot's greeting
        items = [ChatMessage(0, "", "bot", "notice", say(request, lang, "greeting"), {})]
    return JSONResponse(
        {
            "messages": rendered(request, lang, items),
            "ui": ui_words(request, lang, visit.chosen),
            "session": conversation_tag(visit.key),
        }
    )


async def events(request: Request) -> Response:
    """Server-sent events: every message added to this visitor's conversation (staff
    replies above all), starting after `Last-Event-ID` (or ?after=N)."""
    user_id = session_id(request)
    if user_id is None:
        return Response("no chat session", status_code=403, media_type="text/plain")
    visit = await visit_of(request, user_id)
    hub = hub_of(request)
    after = int_of(request.headers.get("last-event-id"))
    if after is None:
        after = int_of(request.query_params.get("after"))
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
                    lang = hub.languages.get(visit.key) or ui_of(request, visit)
                    item = rendered(request, lang, [message])[0]
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
                    hub.languages.pop(visit.key, None)

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
    await asyncio.to_thread(hub.store.touch, visit.key)  # seen now: kept for retention_days
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
        chosen=visit.chosen,
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
        path="/",
    )
    if third_party:
        # Starlette sets `Partitioned` only on Python 3.14 and later (http.cookies knows it
        # from then) and refuses it before, which made every embedded page fail: added here.
        name, value = response.raw_headers[-1]
        assert name == b"set-cookie"
        response.raw_headers[-1] = (name, value + b"; Partitioned")


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
    # Its URL is fixed (the centre's pages name it): kept by browsers, asked again on each
    # use, and not sent again while unchanged.
    tag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
    asked = request.headers.get("if-none-match", "")
    unchanged = tag in [t.strip().removeprefix("W/") for t in asked.split(",")]
    response = Response(
        None if unchanged else body,
        status_code=304 if unchanged else 200,
        media_type=None if unchanged else "text/javascript; charset=utf-8",
    )
    response.headers["etag"] = tag
    response.headers["cache-control"] = REVALIDATE
    response.headers["cross-origin-resource-policy"] = "cross-origin"
    response.headers["content-security-policy"] = "default-src 'none'"
    return response


async def favicon(request: Request) -> Response:
    """The site's icon, for the chat's pages and the console's: /favicon.svg, which the pages
    link, and /favicon.ico, which browsers ask for on any page; cached for 30 days."""
    name = request.url.path.lstrip("/")
    kind = "image/svg+xml" if name.endswith(".svg") else "image/x-icon"
    return Response(ICONS[name], media_type=kind, headers={"cache-control": ICON_CACHE})


def routes() -> list[Route]:
    return [
        Route("/favicon.ico", favicon, methods=["GET"]),
        Route("/favicon.svg", favicon, methods=["GET"]),
        Route("/chat", page, methods=["GET"]),
        Route("/chat/messages", history, methods=["GET"]),
        Route("/chat/events", events, methods=["GET"]),
        Route("/chat/send", send, methods=["POST"]),
        Route("/chat/act", act, methods=["POST"]),
        Route("/chat/forget", forget, methods=["POST"]),
        Route("/widget.js", widget, methods=["GET"]),
    ]


STATIC = Path(__file__).parent / "static"
WIDGET = (STATIC / "widget.js").read_text(encoding="utf-8")
ICONS = {name: (STATIC / name).read_bytes() for name in ("favicon.ico", "favicon.svg")}
ICON_CACHE = "public, max-age=2592000"  # 30 days: a new icon shows within a month
