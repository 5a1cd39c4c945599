"""The staff console's wiring: `create_app` builds the Starlette app over the core.

Authentication lives here: a signed, HttpOnly, SameSite=Lax session cookie naming a session
kept in the database (bot/accounts.py); a CSRF token on every form; `requires(role)` on
every view that is not public. Views are in bot/web/views.py.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import wraps
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from bot import times
from bot.accounts import Accounts, Session
from bot.answering import Answerer
from bot.config import Config
from bot.delivery import Deliveries
from bot.handoff import Desk, HandoffStore
from bot.kbmodel import FaqEntry
from bot.language import written_in
from bot.storage import Storage
from bot.web import i18n
from bot.web.serving import Static

HERE = Path(__file__).resolve().parent
# Each page module has `routes() -> list[Route]`; a new group of pages adds its module here.
PAGE_MODULES = (
    "bot.web.views",
    "bot.web.set_aside",
    "bot.web.chosen",
    "bot.web.handoffs",
    "bot.web.entries_edit",
    "bot.web.translations",
    "bot.web.audit",
    "bot.web.reports",
    "bot.web.chat",
    "bot.web.kept",
)
SESSION_COOKIE = "console_session"
LOGIN_COOKIE = "console_login"  # a random value the login form's CSRF token is bound to

View = Callable[[Request], Awaitable[Response]]


@dataclass
class AnswererHolder:
    """The answerer serving now; replaced, under the lock, when the knowledge base reloads."""

    answerer: Answerer | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Set by `run`: sends the answer to everyone whose question was just resolved (Telegram's
    # notify_resolved), returning how many were told; None when no bot shares the process.
    after_reload: Callable[[], Awaitable[int]] | None = None


class OnceForms:
    """One-time tokens for forms that send something to users (a staff reply): each page
    load gives its form a new token; the first send with it goes through, and a second (a
    double click, the form sent again after a slow answer or after Back) waits for the
    first and is told what it did instead of sending again. In memory: the console is one
    process; the `keep` latest are remembered."""

    def __init__(self, keep: int = 10_000):
        self.keep = keep
        self._seen: OrderedDict[str, asyncio.Future[Any]] = OrderedDict()

    @staticmethod
    def token() -> str:
        return secrets.token_urlsafe(16)

    def first(self, key: str) -> tuple[bool, asyncio.Future[Any]]:
        """Whether `key` (a form's token and what it acts on) is used for the first time,
        and the future of the first use's outcome: the first use reports it with `done`
        (None if it failed unexpectedly), a later one awaits it. The future itself is
        handed back, so forgetting old keys never leaves a later use waiting."""
        if key in self._seen:
            return False, self._seen[key]
        future = self._seen[key] = asyncio.get_running_loop().create_future()
        while len(self._seen) > self.keep:
            self._seen.popitem(last=False)
        return True, future

    @staticmethod
    def done(future: asyncio.Future[Any], outcome: Any) -> None:
        if not future.done():
            future.set_result(outcome)


@dataclass(frozen=True)
class KeptForm:
    """A form sent when its session had ended: where it went and what it held."""

    path: str
    items: tuple[tuple[str, str], ...]  # its fields in order, the CSRF token left out
    at: float


class KeptForms:
    """Forms that arrived after their session ended (logged out in another tab, timed out,
    password changed), kept briefly so that nothing typed is lost: the login page carries
    the token and, once logged in, the form comes back to be checked and sent again. Never
    acted upon on their own. In memory (one process), the `keep` latest, for `ttl` s."""

    def __init__(self, keep: int = 500, ttl: float = 4 * 3600):
        self.keep, self.ttl = keep, ttl
        self._forms: OrderedDict[str, KeptForm] = OrderedDict()

    def put(self, path: str, items: Iterable[tuple[str, str]]) -> str:
        token = secrets.token_urlsafe(16)
        self._forms[token] = KeptForm(path, tuple(items), time.monotonic())
        while len(self._forms) > self.keep:
            self._forms.popitem(last=False)
        return token

    def get(self, token: str) -> KeptForm | None:
        kept = self._forms.get(token)
        if kept is None or time.monotonic() - kept.at > self.ttl:
            return None
        return kept

    def fields(self, token: str, path: str) -> dict[str, str] | None:
        """The text fields of the form kept under `token` for `path` (a list field's last
        value); None when there is none."""
        kept = self.get(token)
        return dict(kept.items) if kept is not None and kept.path == path else None

    def values(self, token: str, path: str, name: str) -> list[str]:
        kept = self.get(token)
        if kept is None or kept.path != path:
            return []
        return [value for key, value in kept.items if key == name]


@dataclass(frozen=True)
class Console:
    """What every view needs, kept in `app.state.console`."""

    config: Config
    storage: Storage
    accounts: Accounts
    holder: AnswererHolder
    secret: bytes
    templates: Environment
    # How staff replies reach askers: each channel in this process registers its sender.
    deliveries: Deliveries = field(default_factory=Deliveries)
    # Handoff state and replies to askers (bot/handoff.py), over `deliveries`.
    desk: Desk | None = None
    # Forms that send to users once per page load (a staff reply).
    once: OnceForms = field(default_factory=OnceForms)
    # Forms sent after their session ended, until the login brings them back.
    kept: KeptForms = field(default_factory=KeptForms)

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        session = getattr(request.state, "session", None)
        ui = i18n.ui_language(request)
        # What the redirect to this page said it did; `draft` and `draft_entry`, the words
        # typed and the entry chosen in a reply form that sent nothing.
        for key in ("message", "error", "draft", "draft_entry"):
            if context.get(key) is None:
                token = request.query_params.get(key)
                context[key] = self.flashed(token) if token else None
        html = self.templates.get_template(name).render(
            request=request,
            session=session,
            ui_lang=ui,
            ui_dir="rtl" if ui in i18n.RTL else "ltr",
            ui_languages=i18n.UI_LANGUAGES,
            **context,
        )
        return Response(html, status_code=status, media_type="text/html; charset=utf-8")

    def sign(self, value: str) -> str:
        return URLSafeSerializer(self.secret, salt="console-session").dumps(value)

    def unsign(self, value: str) -> str | None:
        try:
            return str(URLSafeSerializer(self.secret, salt="console-session").loads(value))
        except BadSignature:
            return None

    def flash(self, text: str) -> str:
        """`text` signed, for the query string of a redirect (see `flash_query`)."""
        return URLSafeSerializer(self.secret, salt=FLASH_SALT).dumps(text)

    def flashed(self, token: str) -> str | None:
        """The text `flash` signed; None for anything else (a crafted or damaged link)."""
        try:
            text = URLSafeSerializer(self.secret, salt=FLASH_SALT).loads(token)
        except BadSignature:
            return None
        return text if isinstance(text, str) else None

    def login_token(self, nonce: str) -> str:
        return hmac.new(self.secret, b"login-csrf:" + nonce.encode(), hashlib.sha256).hexdigest()

    def set_cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=True,
            samesite="lax",
            secure=self.config.web.secure_cookies,
            path="/",
        )


def question_in(entry: FaqEntry, ui: str) -> str:
    """The entry's question in the console's language `ui` where it has a current curated
    translation into it, else its own (the knowledge base's language)."""
    tr = entry.translations.get(ui)
    if tr is not None and tr.question and not entry.stale(ui):
        return tr.question
    return entry.question


def _entry_question(holder: AnswererHolder) -> Callable[..., str]:
    """`entry_question(entry or id, fallback)` for the templates: `question_in` the
    request's interface language; `fallback` for an id the knowledge base no longer has."""

    @pass_context
    def entry_question(context: Any, entry: FaqEntry | str, fallback: str = "") -> str:
        request = context.get("request")
        ui = i18n.ui_language(request) if request is not None else "en"
        if isinstance(entry, str):
            answerer = holder.answerer
            found = answerer.kb.by_id.get(entry) if answerer is not None else None
            if found is None:
                return fallback
            entry = found
        return question_in(entry, ui)

    return entry_question


def console(request: Request) -> Console:
    return request.app.state.console


def id_list(values: Iterable[object]) -> list[int]:
    """Question ids from form or query values, each one id or several joined by commas (an
    inbox group's forms carry its ids as one value); empty when any is not a number."""
    try:
        return [int(part) for value in values for part in str(value).split(",") if part.strip()]
    except ValueError:
        return []


# The messages shown after an action ("Saved ...", "Nothing changed: ...") travel in the
# redirect's query string, signed with the console's secret: a link made elsewhere cannot
# make the console show words of its own. The console of the request being served, for
# the redirect helpers: set by `requires`.
FLASH_SALT = "console-flash"
_serving: ContextVar[Console] = ContextVar("serving_console")


def flash_query(**texts: str) -> str:
    """The query string for a redirect that shows `texts` (`message=`, `error=`), signed;
    empty ones left out. Call while serving a request that `requires` let through."""
    c = _serving.get()
    return urlencode({key: c.flash(text) for key, text in texts.items() if text})


def current_session(request: Request) -> Session | None:
    raw = request.cookies.get(SESSION_COOKIE)
    session_id = console(request).unsign(raw) if raw else None
    return console(request).accounts.session(session_id) if session_id else None


# The title of a console error page, by its status.
ERROR_TITLES = {
    400: "This cannot be done",
    403: "Not allowed",
    404: "Page not found",
    405: "Page not found",
}
# Where an error page's way back leads, and what it says, by the part of the console.
WAYS_BACK = {
    "/handoffs": "Back to Handoffs",
    "/entries": "Back to Entries",
    "/translations": "Back to Translations",
    "/audit": "Back to the audit log",
    "/reports": "Back to Reports",
}
# Addresses outside the console: the web chat's and the files', whose errors stay plain.
PLAIN_ERRORS = ("/chat", "/widget.js", "/static", "/favicon")


def error_page(request: Request, status: int, text: str, back: str = "") -> Response:
    """A console page saying `text` (already in the console's language) with `status`, in
    the console's layout, with a way back: to `back` (a WAYS_BACK path), else the part of
    the console the address belongs to, else the inbox."""
    if not hasattr(request.state, "session"):  # an address no view served: who is it?
        request.state.session = current_session(request)
    part = "/" + request.url.path.strip("/").split("/")[0]
    back = back or (part if part in WAYS_BACK else "/inbox")
    return console(request).render(
        request,
        "error.html",
        status,
        title=ERROR_TITLES.get(status, "This cannot be done"),
        problem=text,
        back=back,
        back_label=WAYS_BACK.get(back, "Back to the inbox"),
    )


def forbidden(request: Request, text: str) -> Response:
    """A refusal (403): `text`, an English catalog key, in the console's language."""
    return error_page(request, 403, i18n.translate(i18n.ui_language(request), text))


async def _http_error(request: Request, exc: Exception) -> Response:
    """An address or method the console has no page for: a console page saying so (the web
    chat's addresses and the static files answer in plain text, as before)."""
    status = getattr(exc, "status_code", 500)
    if request.url.path.startswith(PLAIN_ERRORS) or status not in ERROR_TITLES:
        return PlainTextResponse(str(getattr(exc, "detail", "")), status_code=status)
    text = i18n.translate(
        i18n.ui_language(request),
        "There is no page at this address in the console: it may have been mistyped, or "
        "what it showed is gone.",
    )
    return error_page(request, status, text)


def login_form(
    request: Request,
    status: int = 200,
    error: str | None = None,
    resume: str = "",
    typed: str = "",
) -> Response:
    """The login page; `resume`: the token of a kept form to bring back after the login;
    `typed`: the name typed before a refusal, kept in the form."""
    c = console(request)
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(16)
    response = c.render(
        request,
        "login.html",
        status,
        csrf=c.login_token(nonce),
        error=error,
        resume=resume,
        typed=typed,
    )
    c.set_cookie(response, LOGIN_COOKIE, nonce, 3600)
    return response


def same_origin(request: Request) -> bool:
    """Whether a POST came from one of the console's own pages (Origin, else Referer): only
    such a form is kept, so a form posted from another site is never offered to resend."""
    own = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    if origin is not None:
        return origin == own
    referer = request.headers.get("referer", "")
    return referer == own or referer.startswith(own + "/")


# Forms never kept: nothing typed to lose (logout), or passwords (never held or echoed).
NEVER_KEPT = ("/logout", "/account/password")


async def _kept(request: Request) -> str:
    """The token of the POSTed form, kept (see KeptForms); "" when it is not kept."""
    if request.url.path in NEVER_KEPT or not same_origin(request):
        return ""
    form = await request.form()
    items = [(k, v) for k, v in form.multi_items() if k != "csrf" and isinstance(v, str)]
    return console(request).kept.put(request.url.path, items)


def _login_again(request: Request, kept: str) -> Response:
    text = i18n.translate(
        i18n.ui_language(request),
        "Your session has ended (logged out, timed out or the password changed). Log in "
        "again: what you typed is kept and comes back in the form; nothing is saved until "
        "you send it again."
        if kept
        else "Your session has ended (logged out, timed out or the password changed). "
        "Log in again.",
    )
    return login_form(request, 401, text, kept)


def resume_path(request: Request, token: str) -> str:
    """Where a kept form comes back after the login: its own page filled in again (pages
    whose view is marked `restores_form`), else the page that offers to send it again."""
    kept = console(request).kept.get(token)
    if kept is None:
        return "/inbox"
    for route in request.app.routes:
        if (
            isinstance(route, Route)
            and "GET" in (route.methods or ())
            and getattr(route.endpoint, "restores_form", False)
            and route.path_regex.fullmatch(kept.path)
        ):
            return f"{kept.path}?{urlencode({'restore': token})}"
    return f"/resend?{urlencode({'form': token})}"


def requires(role: str) -> Callable[[View], View]:
    """Only a logged-in account with `role` (see bot/accounts.ROLES) reaches the view; a
    POST must carry the session's CSRF token in its `csrf` field. A POST whose session has
    ended, or that was made in an earlier session, loses nothing: the form is kept and the
    login (or, still logged in, the page to send it again) brings it back."""

    def wrap(view: View) -> View:
        @wraps(view)
        async def endpoint(request: Request) -> Response:
            session = current_session(request)
            if session is None:
                if request.method == "GET":
                    return RedirectResponse("/login", status_code=303)
                return _login_again(request, await _kept(request))
            if not session.can(role):
                ui = i18n.ui_language(request)
                role_name = i18n.role_name(session.role, ui)
                request.state.session = session
                text = i18n.translate(ui, "Your role ({role}) cannot do this.", role=role_name)
                return error_page(request, 403, text)
            if request.method == "POST":
                form = await request.form()
                token = str(form.get("csrf", ""))
                if not secrets.compare_digest(token.encode(), session.csrf.encode()):
                    kept = await _kept(request)
                    if kept:
                        return RedirectResponse(resume_path(request, kept), status_code=303)
                    request.state.session = session
                    return forbidden(
                        request, "The form has expired or is not ours: reload the page."
                    )
            request.state.session = session
            _serving.set(console(request))
            return await view(request)

        endpoint.role = role  # type: ignore[attr-defined]
        return endpoint

    return wrap


SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'; form-action 'self'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    """No framing, no inline scripts, no caching of pages that show users' questions.
    A header the page set itself is kept (the web chat's own policy allows its embedding)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                message["headers"] = [
                    *headers,
                    *((name, value) for name, value in SECURITY_HEADERS if name not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(
    config: Config,
    storage: Storage,
    holder: AnswererHolder,
    accounts: Accounts | None = None,
    secret: bytes | None = None,
    deliveries: Deliveries | None = None,
    desk: Desk | None = None,
) -> Starlette:
    """The console over `storage` (its database also holds the accounts) and the answerer
    in `holder`. `secret` signs cookies: by default derived from the database's key."""
    if secret is None:
        from bot.storage import load_secret

        secret = hmac.new(load_secret(storage.path), b"web-console", hashlib.sha256).digest()
    templates = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    i18n.install(templates)
    where = times.zone(config.web.timezone)  # times as staff read them ([web] timezone)
    templates.filters["when"] = functools.partial(times.shown, where=where)
    templates.globals["zone_label"] = functools.partial(times.zone_label, where)
    templates.globals["entry_question"] = _entry_question(holder)
    static = Static(HERE / "static")
    templates.globals["static_url"] = static.url  # the file's URL with its content's hash
    deliveries = desk.deliveries if desk is not None else deliveries or Deliveries()
    if desk is None:

        def translate(text: str, source: str, target: str) -> str | None:
            """The serving answerer's machine translation, where a model exists."""
            answerer = holder.answerer
            translator = answerer.localizer.translator if answerer else None
            return translator.translate(text, source, target) if translator else None

        def covers(source: str, target: str) -> bool:
            """Whether an installed model translates source -> target (nothing loaded)."""
            answerer = holder.answerer
            translator = answerer.localizer.translator if answerer else None
            return translator is not None and translator.covers(source, target)

        def detect(text: str) -> str | None:
            """The language staff typed a reply in (sent as typed when no model covers)."""
            answerer = holder.answerer
            return written_in(answerer.detector, text) if answerer else None

        desk = Desk(
            HandoffStore(storage.path),
            deliveries,
            kb_language=config.knowledge.language,
            translate=translate,
            covers=covers,
            detect=detect,
        )
    state = Console(
        config,
        storage,
        accounts or Accounts(storage.path),
        holder,
        secret,
        templates,
        deliveries,
        desk,
    )
    routes = [
        *(route for module in PAGE_MODULES for route in import_module(module).routes()),
        Mount("/static", static, name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={404: _http_error, 405: _http_error},
    )
    app.state.console = state
    for module in PAGE_MODULES:  # a page module may set up state of its own (the web chat)
        setup = getattr(import_module(module), "install", None)
        if setup is not None:
            setup(app)
    return app


# Every other route requires a role; the web chat is for anonymous visitors.
PUBLIC_PATHS = ("/login", "/static", "/ui-language", "/chat", "/widget.js", "/favicon")


def route_roles(app: Starlette) -> list[tuple[str, set[str], str | None]]:
    """(path, methods, required role or None) of every route: for the tests and docs."""
    found = []
    for route in app.routes:
        if isinstance(route, Route):
            role = getattr(route.endpoint, "role", None)
            found.append((route.path, set(route.methods or ()), role))
        elif isinstance(route, Mount):
            found.append((route.path, {"GET"}, None))
    return found
