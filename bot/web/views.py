"""The console's pages: login, the inbox of unanswered questions, entries, the audit log."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Collection
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import curation, entrysearch, inbox, triage
from bot.accounts import MAX_PASSWORD, MIN_PASSWORD
from bot.answering import reload_answerer
from bot.entry_history import EntryHistory
from bot.kbmodel import FaqEntry
from bot.knowledge import KnowledgeBase, KnowledgeError
from bot.normalize import normalize
from bot.offtopic import FILE as OFFTOPIC_FILE
from bot.storage import NEW, UnknownIdError
from bot.vector_memo import remembering
from bot.web import i18n, kb_problems
from bot.web.app import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Console,
    OnceForms,
    console,
    current_session,
    flash_query,
    forbidden,
    id_list,
    login_form,
    question_in,
    requires,
    resume_path,
)

INBOX_LIMIT = 2000
# Groups shown on one page of the inbox, biggest first; each is offered the matcher's
# candidate entries and its wordings' translations.
INBOX_PAGE = 50


def _(request: Request, text: str, **values: object) -> str:
    """`text` in the request's interface language."""
    return i18n.translate(i18n.ui_language(request), text, **values)


def _n(request: Request, one: str, other: str, count: int, **values: object) -> str:
    """`one` or `other` by `count`, in the request's interface language (i18n.plural)."""
    return i18n.plural(i18n.ui_language(request), one, other, count, **values)


# newest questions grouped on one page


async def login_page(request: Request) -> Response:
    """The login form."""
    c = console(request)
    if request.method == "GET" and current_session(request):
        return RedirectResponse("/inbox", status_code=303)
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(16)
    error = None
    status = 200
    name = ""  # typed before a refusal: kept in the form
    if request.method == "POST":
        form = await request.form()
        token = str(form.get("csrf", ""))
        name = str(form.get("name", "")).strip()
        password = str(form.get("password", ""))
        address = request.client.host if request.client else "unknown"
        if not request.cookies.get(LOGIN_COOKIE) or not secrets.compare_digest(
            token.encode(), c.login_token(nonce).encode()
        ):
            return forbidden(request, "The form has expired or is not ours: reload the page.")
        if c.accounts.locked_out(name, address):
            error, status = (
                _(request, "Too many failed logins: wait 15 minutes and try again."),
                429,
            )
        else:
            hours = c.config.web.session_hours
            session = await asyncio.to_thread(c.accounts.login, name, password, address, hours)
            if session is not None:
                resume = str(form.get("resume", ""))  # a form kept when the session ended
                target = resume_path(request, resume) if resume else "/inbox"
                redirect = RedirectResponse(target, status_code=303)
                c.set_cookie(redirect, SESSION_COOKIE, c.sign(session.id), hours * 3600)
                redirect.delete_cookie(LOGIN_COOKIE, path="/")
                return redirect
            error, status = _(request, "Wrong name or password."), 401
        return login_form(request, status, error, str(form.get("resume", "")), typed=name)
    return login_form(request, status, error)


@requires("manager")
async def logout(request: Request) -> Response:
    """End the session."""
    console(request).accounts.logout(request.state.session.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def ui_language(request: Request) -> Response:
    """Choose the interface language (a cookie); back to `next`, a path on this site."""
    language = request.query_params.get("to", "")
    target = request.query_params.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = RedirectResponse(target, status_code=303)
    if language in i18n.UI_LANGUAGES:
        console(request).set_cookie(response, i18n.COOKIE, language, 365 * 24 * 3600)
    return response


@requires("manager")
async def home(request: Request) -> Response:
    return RedirectResponse("/inbox", status_code=303)


def _clusters(rows: list[dict], answerer) -> tuple[list[curation.Cluster], bool]:
    """The queued questions grouped by meaning, biggest first; (clusters, grouped)."""
    if answerer is not None and rows:
        return curation.clusters(rows, remembering(answerer.matcher.encoder)), True
    return [curation.cluster_of([row], _NoEncoder()) for row in rows], False


class _NoEncoder:
    """One question per group when no encoder is loaded."""

    def encode(self, texts: list[str]):
        import numpy as np

        return np.ones((len(texts), 1), dtype=np.float32)


@dataclass(frozen=True)
class Choice:
    """An entry offered to attach a group to: its question in the knowledge base's
    language and, where curated and current, in the staff member's interface language."""

    id: str
    question: str
    question_ui: str


def entry_choice(entry: FaqEntry, ui: str) -> Choice:
    """The entry's question, and its current curated translation into `ui` if any."""
    tr = entry.translations.get(ui)
    local = tr.question if tr is not None and not entry.stale(ui) else ""
    return Choice(entry.id, entry.question, local)


def _page_of(found: list, page: int | None, target: int | None) -> tuple[int, int]:
    """(page shown, number of pages): `page` if given, else the one holding group `target`
    (a question of it: a reply form sends its group's representative)."""
    pages = max(1, -(-len(found) // INBOX_PAGE))
    if page is None:
        at = [i for i, cl in enumerate(found) if target in cl.ids]
        page = at[0] // INBOX_PAGE + 1 if at else 1
    return min(max(page, 1), pages), pages


@dataclass(frozen=True)
class Wording:
    """One distinct wording of an inbox group: the same text in the same language and of the
    same kind, asked `count` times (`first`: the id of the first of them in the group), after
    the same question (`after`: a follow-up's, "大概多少钱" after a trademark question; "" for
    a question read alone)."""

    text: str
    language: str
    kind: str
    count: int
    first: int
    after: str = ""
    channel: str = ""  # where it was asked: a message to staff is named by its channel


def _wordings(
    cluster, kinds: dict[int, str], afters: dict[int, str], channels: dict[int, str]
) -> list[Wording]:
    """The group's distinct wordings, closest to its representative first: a group of
    hundreds of questions often has a few dozen wordings."""
    found: dict[tuple[str, str, str, str, str], list[int]] = {}
    for qid, text, lang in zip(cluster.ids, cluster.questions, cluster.item_languages, strict=True):
        key = (text, lang, kinds[qid], afters.get(qid, ""), channels.get(qid, ""))
        found.setdefault(key, []).append(qid)
    return [
        Wording(t, lang, kind, len(ids), ids[0], after, channel)
        for (t, lang, kind, after, channel), ids in found.items()
    ]


def _handed(c: Console, found: list[curation.Cluster]) -> dict[int, list]:
    """For each group (by its representative's id), the handoffs of its questions that were
    answered or closed on Handoffs (or by a reply from the inbox), the earliest first: their
    askers wait for staff no more (bot/counting.py `waiting`), though the group may still be
    a gap in the knowledge base."""
    if c.desk is None:
        return {cl.representative_id: [] for cl in found}
    handoffs = c.desk.store.of_questions(qid for cl in found for qid in cl.ids)
    return {
        cl.representative_id: sorted(
            (h for qid in cl.ids if (h := handoffs.get(qid)) is not None and h.done),
            key=lambda h: (h.done_at or "", h.id),
        )
        for cl in found
    }


def _inbox_data(
    request: Request, lang: str, kind: str, find: str, target: int | None, page: int | None
) -> dict:
    """Everything the inbox shows, computed off the event loop."""
    c = console(request)
    answerer = c.holder.answerer
    ui = i18n.ui_language(request)
    queued = kind in ("", *inbox.QUEUED_KINDS)
    rows = c.storage.list_unanswered(status=NEW, limit=INBOX_LIMIT, newest_first=True)
    # A question is under the language it was answered in and the one it is written in, as
    # its group shows it (Vietnamese answered in English: en and vi).
    written = {row["id"]: curation.asked_language(row["question"], row["language"]) for row in rows}
    languages = sorted({row["language"] for row in rows} | set(written.values()))
    rows = [
        row
        for row in rows
        if (not lang or lang in (row["language"], written[row["id"]]))
        and (not kind or inbox.kind_of(row) == kind)
    ]
    found, grouped = _clusters(rows, answerer) if queued else ([], False)
    page, pages = _page_of(found, page, target)
    total = len(found)
    handed = _handed(c, found)
    settled = sum(len(handed[cl.representative_id]) == len(cl.ids) for cl in found)
    found = found[(page - 1) * INBOX_PAGE : page * INBOX_PAGE]
    kinds = {row["id"]: inbox.kind_of(row) for row in rows}
    afters = {row["id"]: row.get("asked_after") or "" for row in rows}
    # The askers' languages a typed reply cannot be translated into: said by the reply form.
    asked_in = {row["id"]: row["language"] or c.config.knowledge.language for row in rows}
    untranslated = {
        cl.representative_id: [
            lang for lang in sorted({asked_in[i] for i in cl.ids}) if c.desk.sent_in(lang) != lang
        ]
        for cl in found
        if c.desk is not None
    }
    channels = c.storage.unanswered_channels(kinds)
    wordings = {cl.representative_id: _wordings(cl, kinds, afters, channels) for cl in found}
    wanted = [k for k in inbox.KINDS if k not in inbox.QUEUED_KINDS and kind in ("", k)]
    others = [s for s in inbox.signals(c.storage.path, wanted) if not lang or s.language == lang]
    languages = sorted({*languages, *(s.language for s in others)})
    offered: dict[int, list[Choice]] = {}
    searched: list[Choice] = []
    kb_language = c.config.knowledge.language
    translated: dict[tuple[str, str], str] = {}
    if answerer is not None:
        for cluster in found:
            ranked = entrysearch.candidates(answerer, cluster.question_in(kb_language))
            offered[cluster.representative_id] = [entry_choice(e, ui) for e in ranked]
        if find:
            searched = [entry_choice(e, ui) for e in entrysearch.search(answerer, find)]
        texts = [
            (q, lng) for cl in found for q, lng in zip(cl.questions, cl.item_languages, strict=True)
        ]
        texts += [(s.text, s.language) for s in others]
        translated = inbox.wording_translations(
            c.storage, answerer.localizer.translator, texts, answerer.kb.language
        )
    return {
        "clusters": found,
        "wordings": wordings,
        "untranslated": untranslated,
        "total_clusters": total,
        "handed": handed,
        "settled": settled,
        "page": page,
        "pages": pages,
        "grouped": grouped,
        "kinds": kinds,
        "others": others,
        "offered": offered,
        "searched": searched,
        "find": find,
        "target": target,
        "translated": translated,
        "languages": languages,
        "kb_language": kb_language,
        "lang": lang,
        "kind": kind,
        "all_kinds": inbox.KINDS,
        "chosen_waiting": len(c.storage.list_choices(status=NEW)),  # see /choices
    }


@requires("manager")
async def inbox_page(request: Request) -> Response:
    """Unanswered questions grouped by meaning across languages, biggest group first, with
    the entries to attach them to; then suggestion-only questions, 👎 and /staff messages."""
    c = console(request)
    params = request.query_params
    kind = params.get("kind", "")
    kind = kind if kind in inbox.KINDS else ""
    target, page = _number(params.get("for")), _number(params.get("page"))
    data = await asyncio.to_thread(
        _inbox_data,
        request,
        params.get("lang", "").strip(),
        kind,
        params.get("find", ""),
        target,
        page,
    )
    once = OnceForms.token()  # see inbox_reply
    return c.render(request, "inbox.html", undo=undo_of(request), **data, once=once)


def _number(text: str | None) -> int | None:
    try:
        return int(text or "")
    except ValueError:
        return None


def _ids(form) -> list[int]:
    return id_list(form.getlist("ids"))


def _back(message: str = "", error: str = "") -> Response:
    query = flash_query(message=message, error=error)
    return RedirectResponse("/inbox" + (f"?{query}" if query else ""), status_code=303)


def _undoable(
    message: str, action: str, rows: list[dict], unlearn: Collection[str] = ()
) -> Response:
    """Back to the inbox showing `message` and an Undo button for `action` ("ignore",
    "offtopic") that puts the questions `rows` back (one id per wording: restoring a
    question restores its wording's repeats) and takes the off-topic examples with the
    normalised texts `unlearn` out again."""
    ids: dict[str, int] = {}
    for row in rows:
        ids.setdefault(normalize(row["question"]) or f"#{row['id']}", row["id"])
    undo = {
        "ids": list(ids.values()),
        "unlearn": [i for key, i in ids.items() if key in unlearn],
        "action": action,
    }
    query = flash_query(message=message, undo=json.dumps(undo))
    return RedirectResponse(f"/inbox?{query}", status_code=303)


def undo_of(request: Request) -> dict[str, str] | None:
    """The Undo the redirect after Ignore or Off-topic offers: the restore form's `ids` and
    `unlearn`, comma-joined, and the `action` it undoes; None without one (or with one not
    signed by this console)."""
    token = request.query_params.get("undo")
    text = console(request).flashed(token) if token else None
    if text is None:
        return None
    undo = json.loads(text)
    found = {key: ",".join(map(str, undo[key])) for key in ("ids", "unlearn")}
    return found | {"action": undo.get("action", "")}


def _statuses(c: Console, ids: list[int]) -> list[dict]:
    """The questions' ids and statuses before a change, for the audit log."""
    return triage.audit_before(c.storage.list_unanswered(status=None, ids=ids))


def nothing_changed(request: Request, exc: Exception) -> str:
    """Why a change was refused, and that nothing changed: in the staff's words where the
    refusal has a code (a topic file changed meanwhile, say: kb_problems.REFUSED), else
    as the core says it."""
    coded = kb_problems.refused(exc, lambda text, **values: _(request, text, **values))
    if coded is not None:
        return _(request, "Nothing changed: {problems}", problems=coded.text)
    return _(request, "{problem}. Nothing changed.", problem=exc)


def knowledge_problems(request: Request, exc: KnowledgeError) -> str:
    """What to tell staff when a change would leave the knowledge base invalid."""
    said = kb_problems.said_all(exc, lambda text, **values: _(request, text, **values))
    problems = "; ".join(p.text for p in said[:5])
    return _(
        request, "The knowledge base has problems: {problems}. Nothing changed.", problems=problems
    )


def _broken(request: Request, exc: KnowledgeError) -> Response:
    return _back(error=knowledge_problems(request, exc))


def _attach(request: Request, ids: list[int], entry_id: str) -> triage.Resolved:
    """Resolve, then reload the knowledge base so that the new phrasings are live."""
    c = console(request)
    with c.holder.lock:
        done = triage.resolve(
            c.storage, c.config.knowledge.dir, c.config.knowledge.language, ids, entry_id
        )
        if c.holder.answerer is not None and done.ids:
            c.holder.answerer = reload_answerer(c.holder.answerer, c.config, c.storage)
    return done


@requires("staff")
async def attach(request: Request) -> Response:
    """Add a group of questions to an entry's phrasings and mark them resolved."""
    c = console(request)
    form = await request.form()
    ids, entry_id = _ids(form), str(form.get("entry", "")).strip()
    if not ids or not entry_id:
        return _back(error=_(request, "Choose the questions and an entry."))
    before = _statuses(c, ids)
    try:
        done = await asyncio.to_thread(_attach, request, ids, entry_id)
    except (UnknownIdError, triage.TriageError) as exc:
        return _back(error=nothing_changed(request, exc))
    except KnowledgeError as exc:
        return _broken(request, exc)
    if not done.ids:  # a second click, or a stale page: nothing left to do
        return _back(
            message=_(
                request,
                "These questions were already added to {entry}; nothing changed.",
                entry=entry_id,
            )
        )
    session = request.state.session
    c.accounts.audit(
        session.name, "unanswered.attach", entry_id, before, triage.resolved_audit(done)
    )
    told = ""
    if c.holder.after_reload is not None:  # a bot in this process tells the askers now
        told = " " + _n(
            request,
            "{n} asker was sent the answer.",
            "{n} askers were sent the answer.",
            await c.holder.after_reload(),
        )
    return _back(
        message=_n(
            request,
            "Added {n} question to {entry} ({file}).",
            "Added {n} questions to {entry} ({file}).",
            len(done.added),
            entry=entry_id,
            file=done.file,
        )
        + " "
        + _n(request, "{n} question resolved.", "{n} questions resolved.", done.changed)
        + " "
        + _(request, "The knowledge base is reloaded.")
        + told
        + _already(request, done)
    )


def _already(request: Request, done: triage.Resolved) -> str:
    """What a partly stale page's group had: questions added to the same entry before."""
    if not done.already:
        return ""
    return " " + _(request, "{n} of them had been added to it before.", n=len(done.already))


@requires("staff")
async def ignore(request: Request) -> Response:
    """Set a group of questions aside."""
    c = console(request)
    ids = _ids(await request.form())
    if not ids:
        return _back(error=_(request, "Choose the questions to ignore."))
    rows = c.storage.list_unanswered(status=None, ids=ids)
    before = triage.audit_before(rows)
    kb = c.holder.answerer.kb if c.holder.answerer is not None else None
    try:
        changed = await asyncio.to_thread(triage.ignore, c.storage, ids, kb)
    except (UnknownIdError, triage.TriageError) as exc:
        return _back(error=nothing_changed(request, exc))
    if not changed:
        return _back(message=_(request, "These questions were already set aside; nothing changed."))
    session = request.state.session
    target = " ".join(map(str, ids))
    c.accounts.audit(
        session.name, "unanswered.ignore", target, before, triage.ignored_audit(changed)
    )
    return _undoable(
        _n(request, "Ignored {n} question.", "Ignored {n} questions.", changed),
        "ignore",
        _new(rows),
    )


def _offtopic(request: Request, ids: list[int]) -> triage.OffTopic:
    """Add to the off-topic examples, then reload so that the gate has learnt them."""
    c = console(request)
    with c.holder.lock:
        done = triage.mark_offtopic(
            c.storage, c.config.knowledge.dir, c.config.knowledge.language, ids
        )
        if c.holder.answerer is not None and done.added:
            c.holder.answerer = reload_answerer(c.holder.answerer, c.config, c.storage)
    return done


@requires("staff")
async def offtopic(request: Request) -> Response:
    """Set a group of questions aside as off-topic, and teach the bot to hold such
    questions back (knowledge/offtopic.yaml) instead of answering with the nearest entry."""
    c = console(request)
    ids = _ids(await request.form())
    if not ids:
        return _back(error=_(request, "Choose the questions that are off-topic."))
    rows = c.storage.list_unanswered(status=None, ids=ids)
    before = triage.audit_before(rows)
    try:
        done = await asyncio.to_thread(_offtopic, request, ids)
    except (UnknownIdError, triage.TriageError) as exc:
        return _back(error=nothing_changed(request, exc))
    except KnowledgeError as exc:
        return _broken(request, exc)
    if not done.changed and not done.added:
        return _back(
            message=_(request, "These questions were already marked off-topic; nothing changed.")
        )
    session = request.state.session
    after = triage.offtopic_audit(done)
    c.accounts.audit(session.name, "unanswered.offtopic", OFFTOPIC_FILE, before, after)
    message = (
        _n(
            request,
            "Marked {n} question off-topic.",
            "Marked {n} questions off-topic.",
            done.changed,
        )
        + " "
        + _n(
            request,
            "{n} example added to {file}, and the knowledge base is reloaded: such questions are now held back for staff instead of answered.",  # noqa: E501 (one catalog key)
            "{n} examples added to {file}, and the knowledge base is reloaded: such questions are now held back for staff instead of answered.",  # noqa: E501 (one catalog key)
            len(done.added),
            file=OFFTOPIC_FILE,
        )
    )
    added = {normalize(text) for _lang, text in done.added}
    return _undoable(message, "offtopic", _new(rows), added)


def _new(rows: list[dict]) -> list[dict]:
    """The questions an Ignore or Off-topic set aside itself (new before it): its Undo puts
    back those, not one a stale page listed that another action had set aside already."""
    return [row for row in rows if row["status"] == "new"]


@requires("manager")
async def entries(request: Request) -> Response:
    """Every entry by topic; `q` keeps those whose id, question or alternates contain it."""
    c = console(request)
    query = request.query_params.get("q", "").strip()
    answerer = c.holder.answerer
    kb = answerer.kb if answerer else None
    topics = []
    ui = i18n.ui_language(request)
    if kb is not None:
        needle = query.casefold()
        for topic in kb.topics:
            found = [
                kb.by_id[i]
                for i in topic.entry_ids
                if not needle
                or any(
                    needle in text.casefold()
                    for text in (
                        i,
                        kb.by_id[i].question,
                        *kb.by_id[i].alternates,
                        question_in(kb.by_id[i], ui),  # the question as the page shows it
                    )
                )
            ]
            if found:  # named in the console's language where the topic has that name
                topics.append((topic.name_in(ui, kb.language), found))
    return c.render(
        request,
        "entries.html",
        topics=topics,
        query=query,
        loaded=kb is not None,
        deleted=await asyncio.to_thread(_deleted, c, kb) if not query else [],
    )


def _deleted(c: Console, kb: KnowledgeBase | None) -> list:
    """Entries deleted in the console and not back since: restored from their history."""
    history = EntryHistory(c.storage.path)
    try:
        return [v for v in history.deleted() if kb is None or v.entry_id not in kb.by_id]
    finally:
        history.close()


@requires("manager")
async def account(request: Request) -> Response:
    """The logged-in account: its name and role, and the form to change its password."""
    return console(request).render(
        request,
        "account.html",
        minimum=MIN_PASSWORD,
    )


@requires("manager")
async def change_password(request: Request) -> Response:
    """Change one's own password (the current one first); other sessions end."""
    c = console(request)
    form = await request.form()
    session = request.state.session
    current, new = str(form.get("current", "")), str(form.get("new", ""))
    address = request.client.host if request.client else "unknown"
    error = None
    if new != str(form.get("again", "")):
        error = _(request, "The two new passwords differ.")
    elif not MIN_PASSWORD <= len(new) <= MAX_PASSWORD:
        error = _(
            request,
            "A password needs {low} to {high} characters.",
            low=MIN_PASSWORD,
            high=MAX_PASSWORD,
        )
    elif c.accounts.locked_out(session.name, address):
        error = _(request, "Too many failed logins: wait 15 minutes and try again.")
    elif not await asyncio.to_thread(
        c.accounts.change_own_password, session.name, current, new, address, session.id
    ):
        error = _(request, "The current password is not right.")
    if error:
        query = flash_query(error=error)
    else:
        query = flash_query(message=_(request, "Password changed; your other sessions are ended."))
    return RedirectResponse(f"/account?{query}", status_code=303)


def routes() -> list[Route]:
    return [
        Route("/login", login_page, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/account", account),
        Route("/account/password", change_password, methods=["POST"]),
        Route("/ui-language", ui_language),
        Route("/", home),
        Route("/inbox", inbox_page),
        Route("/inbox/attach", attach, methods=["POST"]),
        Route("/inbox/ignore", ignore, methods=["POST"]),
        Route("/inbox/offtopic", offtopic, methods=["POST"]),
        Route("/entries", entries),
    ]
