"""The console's handoff pages: conversations handed to staff, their state, and replies.

`/handoffs` lists them by state; `/handoffs/<id>` shows one (the question, the asker's
latest questions, replies and whether each reached the asker, the history as the audit log
shows it) with the forms to claim, reply (typed, or an entry's answer in the asker's
language) and close. `/inbox/reply` replies to every asker of an inbox group. The
operations are the core's (bot/handoff.py `Desk`); each change is written to the audit log
by the core.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import times
from bot.handoff import (
    CLOSED,
    OPEN_STATES,
    STATES,
    Actor,
    AlreadyRepliedError,
    ClosedError,
    Desk,
    HandoffError,
    HeldError,
    ReplyResult,
    UnknownHandoffError,
)
from bot.web import i18n
from bot.web.app import OnceForms, console, error_page, flash_query, id_list, requires
from bot.web.audit import audit_row

FILTERS = ("open", *STATES, "all")
KIND_LABELS = {
    "question": "Unanswered question",
    "none_of_these": "None of the suggestions fit",
    "staff_message": "Message to staff",
    "feedback": "👎 with a reason",
    "message": "Staff-chat message",
}
# A message to staff, by the channel it came through (the inbox names them the same way).
STAFF_LABELS = {
    "telegram": "Message to staff (/staff on Telegram)",
    "terminal": "Message to staff (/staff in the terminal chat)",
    "web": "“Talk to a person” on the web chat",
}


def kind_label(kind: str, channel: str) -> str:
    """What a handoff is, in plain words (English: the catalog key)."""
    if kind == "staff_message" and channel in STAFF_LABELS:
        return STAFF_LABELS[channel]
    return KIND_LABELS.get(kind, kind)


MAX_REPLY = 4000


def _(request: Request, text: str, **values: object) -> str:
    """`text` in the request's interface language."""
    return i18n.translate(i18n.ui_language(request), text, **values)


def _n(request: Request, one: str, other: str, count: int, **values: object) -> str:
    """`one` or `other` by `count`, in the request's interface language."""
    return i18n.plural(i18n.ui_language(request), one, other, count, **values)


def _desk(request: Request) -> Desk:
    desk = console(request).desk
    assert desk is not None, "create_app always gives the console a desk"
    return desk


def _actor(request: Request) -> Actor:
    name = request.state.session.name
    return Actor(name, name)


def _to(
    path: str, message: str = "", error: str = "", draft: str = "", draft_entry: str = ""
) -> Response:
    """A redirect to `path` (it may have a query and a #fragment) showing `message` or
    `error`; `draft` and `draft_entry`: a reply typed and an entry's answer chosen but not
    sent, put back in the reply form."""
    query = flash_query(message=message, error=error, draft=draft, draft_entry=draft_entry)
    base, hash_, fragment = path.partition("#")
    if query:
        base += ("&" if "?" in base else "?") + query
    return RedirectResponse(base + hash_ + fragment, status_code=303)


def _held(request: Request, exc: HeldError) -> str:
    return _(
        request,
        "{name} has claimed this conversation: tick “take over” to act on it. Nothing changed.",
        name=exc.handoff.holder_name or "?",
    )


def _sent(request: Request, result: ReplyResult, entry: bool = False) -> str:
    """What a reply did: how many it reached, which askers got it in another language than
    theirs (an entry with no translation into theirs: in which; typed words with no model
    into theirs: as typed), and who it did not reach."""
    text = _n(request, "Reply sent to {n} asker.", "Reply sent to {n} askers.", result.delivered)
    ui = i18n.ui_language(request)
    why = (
        (
            "Sent in {sent} to {n} asker who reads {asked}: the entry has no {asked} translation.",
            "Sent in {sent} to {n} askers who read {asked}: the entry has no {asked} translation.",
        )
        if entry
        else (
            "Delivered as typed to {n} asker who reads {asked}: "
            "no {asked} translation model is installed.",
            "Delivered as typed to {n} askers who read {asked}: "
            "no {asked} translation model is installed.",
        )
    )
    for asked, (sent, n) in sorted(result.untranslated().items()):
        names = {"sent": i18n.language_name(sent, ui), "asked": i18n.language_name(asked, ui)}
        text += " " + _n(request, *why, n, **names)
    if result.failed:
        text += " " + _(request, "Not delivered to {n}: see the replies below.", n=result.failed)
    if result.already:
        text += " " + _n(
            request,
            "Not sent again to {n} asker who was sent this very reply before.",
            "Not sent again to {n} askers who were sent this very reply before.",
            result.already,
        )
    return text


def _refused(request: Request, exc: HandoffError) -> str:
    """Why the core refused a reply, as a sentence (the core's reasons are written in lower
    case), in the console's language where the catalog has it."""
    said = _(request, str(exc))
    return _(request, "{problem}. Nothing was sent.", problem=said[:1].upper() + said[1:])


def _sent_before(request: Request, exc: AlreadyRepliedError) -> str:
    where = times.zone(console(request).config.web.timezone)
    return _(
        request,
        "This very reply was sent already, at {time} ({zone}) by {name}: the asker would read it twice. Nothing was sent.",  # noqa: E501 (one catalog key)
        time=times.shown(exc.time, where),
        zone=times.zone_label(where),
        name=exc.actor_name or "?",
    )


@requires("manager")
async def handoff_list(request: Request) -> Response:
    """Conversations handed to staff, newest first, filtered by state (open by default)."""
    chosen = request.query_params.get("state", "open")
    if chosen not in FILTERS:
        chosen = "open"
    states = OPEN_STATES if chosen == "open" else STATES if chosen == "all" else (chosen,)
    desk = _desk(request)
    await asyncio.to_thread(desk.store.sync)
    found = await asyncio.to_thread(desk.store.find, states)
    counts = await asyncio.to_thread(desk.store.counts)
    return console(request).render(
        request,
        "handoffs.html",
        handoffs=found,
        kind_label=kind_label,
        chosen=chosen,
        filters=FILTERS,
        counts=counts,
    )


@requires("manager")
async def handoff_page(request: Request) -> Response:
    """One handoff: the question, the asker's conversation, replies, history, actions."""
    raw = request.path_params["id"]
    desk = _desk(request)
    try:
        handoff = await asyncio.to_thread(desk.store.get, int(raw))
    except (ValueError, UnknownHandoffError):
        return error_page(request, 404, _(request, "No such handoff."))
    answerer = console(request).holder.answerer
    entries = [e for e in answerer.kb.entries if not e.unfinished] if answerer else []
    replies = await asyncio.to_thread(desk.store.replies, handoff.id)
    history = await asyncio.to_thread(desk.store.history, handoff.id)
    return console(request).render(
        request,
        "handoff.html",
        handoff=handoff,
        kind_label=kind_label,
        # The asker's language, and the one a typed reply goes out in: staff are warned
        # before sending when no model translates into theirs.
        asked_in=handoff.language or desk.kb_language,
        sent_in=desk.sent_in(handoff.language),
        kb_language=desk.kb_language,
        conversation=await asyncio.to_thread(desk.store.conversation, handoff),
        replies=replies,
        seen=max((r["id"] for r in replies), default=0),  # see _replied_since
        history=[audit_row(request, row) for row in history],
        held_by_other=handoff.held_by_other(_actor_of_session(request)),
        entries=entries,
        once=OnceForms.token(),  # the reply form's: sent twice, it is sent once
    )


def _actor_of_session(request: Request) -> Actor:
    session = getattr(request.state, "session", None)
    name = session.name if session else ""
    return Actor(name, name)


async def _form(request: Request) -> tuple[int | None, dict[str, str]]:
    form = await request.form()
    values = {key: str(value) for key, value in form.items()}
    raw = values.get("id", "")
    return (int(raw) if raw.isdecimal() else None), values


async def _change(
    request: Request, act: Callable[..., Awaitable[object]], done: str, **options: bool
) -> Response:
    """Claim or close the form's handoff with `act` (`Desk.claim` / `Desk.close`)."""
    handoff_id, form = await _form(request)
    if handoff_id is None:
        return _to("/handoffs", error=_(request, "Choose a handoff."))
    page = f"/handoffs/{handoff_id}"
    try:
        await act(handoff_id, _actor(request), takeover="takeover" in form, **options)
    except HeldError as exc:
        return _to(page, error=_held(request, exc))
    except ClosedError as exc:  # closed since the page showed it open
        error = _(
            request,
            "This conversation was closed (by {name}): reopen it to answer again. Nothing changed.",
            name=exc.handoff.done_by or "?",
        )
        return _to(page, error=error)
    except UnknownHandoffError:
        return _to("/handoffs", error=_(request, "No such handoff."))
    return _to(page, message=done)


@requires("staff")
async def claim(request: Request) -> Response:
    """Claim a handoff (or take it over from whoever holds it); not a closed one (see
    `reopen`), which a page that still showed it open would reopen unawares."""
    done = _(request, "Claimed: the others see that you are answering.")
    return await _change(request, _desk(request).claim, done)


@requires("staff")
async def reopen(request: Request) -> Response:
    """Reopen a closed handoff: it is claimed by whoever reopens it (audited as a reopen)."""
    done = _(request, "Reopened: it is claimed by you, and the others see that you are answering.")
    return await _change(request, _desk(request).claim, done, reopen=True)


@requires("staff")
async def close(request: Request) -> Response:
    """Close a handoff: nothing more to do for this asker."""
    return await _change(request, _desk(request).close, _(request, "Closed."))


class BothGiven(HandoffError):
    """A reply typed and an entry's answer chosen: which one to send is not ours to guess."""


async def _reply(request: Request, handoff_ids: list[int], form: dict[str, str]) -> ReplyResult:
    text = form.get("text", "")[:MAX_REPLY]
    entry_id = form.get("entry", "").strip() or None
    if entry_id and text.strip():  # the typed words were dropped without a word before
        raise BothGiven(_(request, "Type a reply or choose an entry's answer, not both"))
    if not entry_id and not text.strip():
        raise HandoffError(_(request, "The reply is empty: type one or choose an entry's answer"))
    answerer = console(request).holder.answerer
    if entry_id and (answerer is None or entry_id not in answerer.kb.by_id):
        raise HandoffError(_(request, "There is no entry {id} in the knowledge base", id=entry_id))
    return await _desk(request).reply(
        handoff_ids,
        text,
        _actor(request),
        via="console",
        takeover="takeover" in form,
        entry_id=entry_id,
        answerer=answerer,
        not_twice=True,  # a second tab, opened before the first sent it
    )


@dataclass(frozen=True)
class Outcome:
    """Where sending a reply form led: the page, and what it said there (`draft`: the
    typed reply, put back when nothing was sent)."""

    path: str
    message: str = ""
    error: str = ""
    draft: str = ""
    draft_entry: str = ""

    def response(self) -> Response:
        return _to(self.path, self.message, self.error, self.draft, self.draft_entry)


def _kept(form: dict[str, str]) -> dict[str, str]:
    """What a reply form that sent nothing puts back: the words typed, the entry chosen."""
    return {"draft": form.get("text", "")[:MAX_REPLY], "draft_entry": form.get("entry", "")}


async def _once(
    request: Request,
    form: dict[str, str],
    target: str,
    page: str,
    send: Callable[[], Awaitable[Outcome]],
) -> Response:
    """`send` once per page load: the form sent again with the same token (`once`) to the
    same `target` (a double click, a resubmit) waits for the first send and says what it
    did on `page`, sending nothing more. A form without a token (a page older than tokens)
    sends."""
    token = form.get("once", "")
    if not token:
        return (await send()).response()
    forms = console(request).once
    is_first, future = forms.first(f"{token}|{target}")
    if not is_first:
        return _again(request, await asyncio.shield(future), page).response()
    try:
        outcome = await send()
    except BaseException:
        forms.done(future, None)
        raise
    forms.done(future, outcome)
    return outcome.response()


def _again(request: Request, first: Outcome | None, path: str) -> Outcome:
    """What a form sent twice says: the first send's outcome."""
    if first is None:
        error = _(
            request,
            "This form was sent twice and the first send did not finish: check the replies "
            "before sending again.",
        )
        return Outcome(path, error=error)
    if first.error:
        return first
    said = _(request, "Already sent: the form was sent twice, and the reply went once.")
    return replace(first, message=f"{said} {first.message}")


GONE = "This conversation is gone: its asker deleted their data. Nothing was sent."


async def _changed_since(request: Request, handoff_id: int, form: dict[str, str]) -> Outcome | None:
    """Where a reply form goes, sending nothing, when the page it was sent from no longer
    shows this handoff as it is (None when it still does, or the form does not say: a page
    older than these fields). Gone: its asker's data was deleted ("Forget me"), and its
    number is no one's (or, in a database from before ids lasted, another asker's).
    Closed since: a reply would silently reopen it; the words are kept, and the closed
    page's own "Reply again" form, which says what a reply does, still sends."""
    asked, shown = form.get("asked", ""), form.get("shown", "")
    try:
        current = await asyncio.to_thread(_desk(request).store.get, handoff_id)
    except UnknownHandoffError:
        return Outcome("/handoffs", error=_(request, GONE)) if asked else None
    if asked and current.asker != asked:
        return Outcome("/handoffs", error=_(request, GONE))
    if shown and shown != CLOSED and current.state == CLOSED:
        error = _(
            request,
            "This conversation was closed (by {name}) after you opened this page: reopen it to answer again. Nothing was sent.",  # noqa: E501 (one catalog key)
            name=current.done_by or "?",
        )
        return Outcome(f"/handoffs/{handoff_id}", error=error, **_kept(form))
    return None


async def _reply_to(request: Request, handoff_id: int, form: dict[str, str]) -> Outcome:
    page = f"/handoffs/{handoff_id}"
    kept = _kept(form)
    changed = await _changed_since(request, handoff_id, form)
    if changed is not None:
        return changed
    try:
        result = await _reply(request, [handoff_id], form)
    except HeldError as exc:
        return Outcome(page, error=_held(request, exc), **kept)
    except AlreadyRepliedError as exc:
        return Outcome(page, error=_sent_before(request, exc), **kept)
    except UnknownHandoffError:
        return Outcome("/handoffs", error=_(request, "No such handoff."))
    except HandoffError as exc:
        return Outcome(page, error=_refused(request, exc), **kept)
    message = _sent(request, result, entry=bool(form.get("entry", "").strip()))
    if result.failed and not result.delivered:  # it still waits: the words kept to send again
        return Outcome(page, error=message, **kept)
    others = await _replied_since(request, handoff_id, form.get("seen", ""), result.reply_id)
    if others:
        message += " " + _(
            request,
            "Another reply was sent since you opened this page (by {names}): see the replies below.",  # noqa: E501 (one catalog key)
            names=", ".join(others),
        )
    return Outcome(page, message=message)


async def _replied_since(request: Request, handoff_id: int, seen: str, mine: int) -> list[str]:
    """Who else replied to the handoff after the page with the reply form showed reply
    `seen` as its latest (none when the form does not say)."""
    if not seen.isdecimal():
        return []
    replies = await asyncio.to_thread(_desk(request).store.replies, handoff_id)
    names = [r["actor_name"] or r["actor"] for r in replies if int(seen) < r["id"] != mine]
    return list(dict.fromkeys(names))


@requires("staff")
async def reply(request: Request) -> Response:
    """Send a reply (typed, or an entry's answer) to the handoff's asker, in their language;
    once per page load."""
    handoff_id, form = await _form(request)
    if handoff_id is None:
        return _to("/handoffs", error=_(request, "Choose a handoff."))
    page = f"/handoffs/{handoff_id}"
    return await _once(request, form, page, page, lambda: _reply_to(request, handoff_id, form))


async def _reply_to_group(request: Request, ids: list[int], form: dict[str, str]) -> Outcome:
    # Back to the group replied to (its representative: `group`), its form refilled when
    # nothing was sent.
    group = form.get("group", "")
    page = f"/inbox?for={group}#cluster-{group}" if group.isdecimal() else "/inbox"
    kept = _kept(form)
    found = await asyncio.to_thread(_desk(request).store.for_questions, ids)
    if not found:  # deleted since the page showed them: their askers used "Forget me"
        error = _n(
            request,
            "This question is gone: its asker deleted their data. Nothing was sent.",
            "These questions are gone: their askers deleted their data. Nothing was sent.",
            len(ids),
        )
        return Outcome("/inbox", error=error)
    try:
        result = await _reply(request, [h.id for h in found], form)
    except HeldError as exc:
        return Outcome(page, error=_held(request, exc), **kept)
    except AlreadyRepliedError as exc:
        return Outcome(page, error=_sent_before(request, exc), **kept)
    except HandoffError as exc:
        return Outcome(page, error=_refused(request, exc), **kept)
    message = _sent(request, result, entry=bool(form.get("entry", "").strip()))
    if result.failed and not result.delivered:  # they still wait: the words kept to send again
        return Outcome(page, error=message, **kept)
    return Outcome("/inbox", message=message)


@requires("staff")
async def inbox_reply(request: Request) -> Response:
    """Reply to every asker of an inbox group (queued question ids); once per page load."""
    form = await request.form()
    ids = id_list(form.getlist("ids"))
    values = {key: str(value) for key, value in form.items()}
    if not ids:
        return _to("/inbox", error=_(request, "Choose the questions."))
    target = "inbox:" + ",".join(map(str, sorted(ids)))
    return await _once(
        request, values, target, "/inbox", lambda: _reply_to_group(request, ids, values)
    )


def routes() -> list[Route]:
    return [
        Route("/handoffs", handoff_list),
        Route("/handoffs/claim", claim, methods=["POST"]),
        Route("/handoffs/reopen", reopen, methods=["POST"]),
        Route("/handoffs/close", close, methods=["POST"]),
        Route("/handoffs/reply", reply, methods=["POST"]),
        Route("/handoffs/{id}", handoff_page),
        Route("/inbox/reply", inbox_reply, methods=["POST"]),
    ]
