"""The console's "Chosen by users" page: the suggestions users chose from a "did you mean"
list, and the entries ranked next to an answer that they opened from its "See also"
(bot/choices.py), grouped by entry. Staff tick the wordings that mean the entry and add them
to its phrasings (validated, written, the knowledge base reloaded) or set them aside; the
same as `unanswered choices`, `accept-choices` and `dismiss-choices`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import choices, curation, inbox
from bot.answering import reload_answerer
from bot.knowledge import KnowledgeError
from bot.storage import SUGGESTION
from bot.web import i18n
from bot.web.app import console, flash_query, id_list, requires
from bot.web.views import _n, entry_choice, knowledge_problems

# Wordings shown in a group before the rest go behind a click.
SHOWN_WORDINGS = 20
# Entries shown on the page, the most chosen first; the others once these are dealt with.
SHOWN_GROUPS = 100


def _(request: Request, text: str, **values: object) -> str:
    return i18n.translate(i18n.ui_language(request), text, **values)


@dataclass(frozen=True)
class Wording:
    """One distinct wording chosen for an entry: its text, language, how many times it was
    chosen and the ids of those choices (one form value, joined by commas)."""

    text: str
    language: str
    count: int
    ids: str
    sources: tuple[str, ...]  # storage CHOICE_SOURCES; empty for choices logged before

    @property
    def ticked(self) -> bool:
        """Ticked for adding when a user picked it from a "did you mean" list: evidence that
        it means the entry. An entry opened from "See also" may be curiosity, and a choice
        logged before sources were recorded may have been one: staff tick those themselves."""
        return SUGGESTION in self.sources


@dataclass(frozen=True)
class Group:
    """An entry's waiting choices. `question` is empty when the entry no longer exists."""

    entry_id: str
    question: str
    question_ui: str
    count: int
    wordings: list[Wording]


def _page_data(request: Request) -> dict:
    """The waiting choices of the SHOWN_GROUPS most chosen entries, with the entry's question in
    the knowledge base's and the interface's language and each wording's machine translation."""
    c = console(request)
    answerer = c.holder.answerer
    kb = answerer.kb if answerer is not None else None
    ui = i18n.ui_language(request)
    groups = []
    waiting = choices.choice_groups(c.storage)
    for group in waiting[:SHOWN_GROUPS]:
        entry = kb.by_id.get(group.entry_id) if kb is not None else None
        shown = entry_choice(entry, ui) if entry is not None else None
        wordings = [
            Wording(question, language, count, ",".join(map(str, ids)), sources)
            for (language, question, count), ids, sources in zip(
                group.wordings, group.wording_ids, group.wording_sources, strict=True
            )
        ]
        question, local = (shown.question, shown.question_ui) if shown else ("", "")
        groups.append(Group(group.entry_id, question, local, group.count, wordings))
    translated: dict[tuple[str, str], str] = {}
    if answerer is not None:
        texts = [(w.text, w.language) for g in groups for w in g.wordings]
        translated = inbox.wording_translations(
            c.storage, answerer.localizer.translator, texts, answerer.kb.language
        )
    return {
        "groups": groups,
        "total_choices": sum(g.count for g in waiting),
        "total_entries": len(waiting),
        "loaded": kb is not None,
        "translated": translated,
        "kb_language": c.config.knowledge.language,
        "shown": SHOWN_WORDINGS,
    }


@requires("manager")
async def chosen_page(request: Request) -> Response:
    """The waiting choices by entry; staff accept or set aside the wordings they tick."""
    data = await asyncio.to_thread(_page_data, request)
    return console(request).render(request, "chosen.html", **data)


def _back(message: str = "", error: str = "") -> Response:
    query = flash_query(message=message, error=error)
    return RedirectResponse("/choices" + (f"?{query}" if query else ""), status_code=303)


async def _ticked(request: Request) -> tuple[list[int], list[dict]]:
    """The ticked choices' ids, and their entries and statuses before a change (for the
    audit log)."""
    ids = id_list((await request.form()).getlist("ids"))
    rows = console(request).storage.list_choices(ids=ids, status=None) if ids else []
    return ids, choices.audit_before(rows)


def _accept(request: Request, ids: list[int]) -> list[choices.Accepted]:
    """Add the wordings to their entries, then reload so that the bot answers them."""
    c = console(request)
    with c.holder.lock:
        done = choices.accept_choices(
            c.storage, c.config.knowledge.dir, ids=ids, kb_language=c.config.knowledge.language
        )
        if done and c.holder.answerer is not None:
            c.holder.answerer = reload_answerer(c.holder.answerer, c.config, c.storage)
    return done


@requires("staff")
async def accept(request: Request) -> Response:
    """Add the ticked wordings to their entry's phrasings, each in its language."""
    c = console(request)
    ids, before = await _ticked(request)
    if not ids:
        return _back(error=_(request, "Tick the wordings first."))
    try:
        done = await asyncio.to_thread(_accept, request, ids)
    except (choices.ChoiceError, curation.CurationError) as exc:
        return _back(error=_(request, "{problem}. Nothing changed.", problem=exc))
    except KnowledgeError as exc:
        return _back(error=knowledge_problems(request, exc))
    if not done:
        return _back(error=_(request, "Those wordings were accepted or set aside already."))
    target, after = choices.accepted_audit(done)
    c.accounts.audit(request.state.session.name, "choices.accept", target, before, after)
    said = [
        _n(
            request,
            "Added {n} wording to {entry} ({file}; {skipped} already there).",
            "Added {n} wordings to {entry} ({file}; {skipped} already there).",
            a.added,
            entry=a.entry_id,
            file=a.file,
            skipped=a.skipped,
        )
        for a in done
    ]
    return _back(message=" ".join([*said, _(request, "The knowledge base is reloaded.")]))


@requires("staff")
async def dismiss(request: Request) -> Response:
    """Set the ticked wordings aside: they do not mean the entry."""
    c = console(request)
    ids, before = await _ticked(request)
    if not ids:
        return _back(error=_(request, "Tick the wordings first."))
    try:
        done = await asyncio.to_thread(choices.dismiss_choices, c.storage, ids=ids)
    except choices.ChoiceError as exc:
        return _back(error=_(request, "{problem}. Nothing changed.", problem=exc))
    if not done:
        return _back(error=_(request, "Those wordings were accepted or set aside already."))
    target, after = choices.dismissed_audit(before, done)
    c.accounts.audit(request.state.session.name, "choices.dismiss", target, before, after)
    return _back(message=_n(request, "Set aside {n} choice.", "Set aside {n} choices.", len(done)))


def routes() -> list[Route]:
    return [
        Route("/choices", chosen_page),
        Route("/choices/accept", accept, methods=["POST"]),
        Route("/choices/dismiss", dismiss, methods=["POST"]),
    ]
