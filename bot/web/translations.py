"""The Translations page: per language, the entries whose curated translation is missing or
stale, the source text beside an editable translation, saved as reviewed.

The queue is `bot.kbstats.translation_queue` (staleness is `FaqEntry.stale`); saving is
`bot.kbimport.save_translation`, the one core function `kb translations import` also uses
(validated like `kb check`, written through bot/kbedit.py, stamped with the entry's source
version and today's review date). The knowledge base records the review date; who reviewed
is in the audit log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import kbedit, messages
from bot.answering import reload_answerer
from bot.kbimport import TranslationImportError, save_topic_name, save_translation
from bot.kbmodel import FaqEntry, KnowledgeBase
from bot.kbstats import (
    STALE,
    QueuedTranslation,
    queue_counts,
    translation_queue,
    untranslated_topics,
)
from bot.knowledge import KnowledgeError
from bot.localize import ANSWER, PHRASING, Localizer
from bot.web import kb_problems
from bot.web.app import console, flash_query, requires
from bot.web.i18n import translate, ui_language

PAGE_SIZE = 20

# Why a translation or topic name was refused (bot.kbimport's codes, by field where it
# matters), in plain words naming the field by its label on this page; {lang} is the
# language's name.
SAID = {
    "empty": "“{field}” is empty: write it in {lang}.",
    "empty:links": "“{field}” is empty: give every link a title, or leave all the link titles empty.",  # noqa: E501 (one catalog key)
    "empty:name": "the name is empty: write it in {lang}.",
    "placeholder": "“{field}” still says “{text}”: write the translation in its place.",
    "placeholder:alternates": "a line of “{field}” still says “{text}”: write the translation in its place, or delete that line.",  # noqa: E501 (one catalog key)
    "changed": "the entry's question or answer changed while you translated it: compare your translation with the new text beside it.",  # noqa: E501 (one catalog key)
    "link-count": "the entry's links changed while you translated it: check the link titles against its links now.",  # noqa: E501 (one catalog key)
    "unknown-entry": "the knowledge base has no entry {id}.",
    "unknown-topic": "the knowledge base has no topic {id}.",
    "language": "the bot does not know the language “{lang}”.",
    "own-language": "{lang} is the knowledge base's own language: it needs no translation.",
}
# The translation form's fields, as labelled on the page (the label without its hint).
LABELS = {"question": "Question", "alternates": "Other phrasings", "answer": "Answer"}


def _(request: Request, text: str, **values: object) -> str:
    return translate(ui_language(request), text, **values)


@dataclass(frozen=True)
class Draft:
    """What the translation fields hold: the curated translation, else a machine draft."""

    question: str
    alternates: tuple[str, ...]
    answer: str
    links: tuple[str, ...]  # a title per link of the entry, in its order
    machine: bool  # filled from a machine translation
    machine_answer: str = ""  # a machine draft shown beside a stale curated translation


def draft(entry: FaqEntry, lang: str, localizer: Localizer | None, live: bool) -> Draft:
    """The fields for translating `entry` into `lang`: its curated translation if it has one
    (stale or not), else the cached machine translation (`live`: translated now if none)."""

    def machine(text: str, kind: str) -> str:
        if localizer is None:
            return ""
        found = localizer.translate(text, lang, kind) if live else localizer.cached(text, lang)
        return found or ""

    current = entry.translations.get(lang)
    if current is not None:
        titles = {link.url: link.title for link in current.links}
        return Draft(
            current.question,
            current.alternates,
            current.answer,
            tuple(titles.get(link.url, "") for link in entry.links),
            False,
            machine(entry.answer, ANSWER) if entry.stale(lang) else "",
        )
    alternates = tuple(a for a in (machine(t, PHRASING) for t in entry.alternates) if a)
    return Draft(
        machine(entry.question, PHRASING),
        alternates,
        machine(entry.answer, ANSWER),
        tuple("" for _ in entry.links),
        True,
    )


def _languages(request: Request, kb: KnowledgeBase) -> dict[str, dict[str, int]]:
    return queue_counts(kb, console(request).config.languages.supported)


def _number(text: str | None) -> int:
    try:
        return max(1, int(text or "1"))
    except ValueError:
        return 1


@dataclass(frozen=True)
class Typed:
    """What staff typed for one entry's translation, shown again when saving was refused."""

    entry_id: str
    draft: Draft


async def _page(
    request: Request,
    lang: str,
    page: int,
    wanted: str = "",
    typed: Typed | None = None,
    typed_topic: tuple[str, str] = ("", ""),
    error: str | None = None,
    status: int = 200,
) -> Response:
    """The queue page: counts per language, then one page of `lang`'s queue. `wanted`: the
    entry to make a machine draft of; `typed`, `typed_topic` (topic, name): what staff typed
    and could not save, shown again in its form."""
    c = console(request)
    answerer = c.holder.answerer
    if answerer is None:
        return c.render(
            request, "translations.html", status, loaded=False, counts={}, lang="", error=error
        )
    kb = answerer.kb
    counts = await asyncio.to_thread(_languages, request, kb)
    if lang not in counts:
        lang = ""
    items: list[QueuedTranslation] = translation_queue(kb, lang) if lang else []
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(page, pages)
    shown = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    orphan = None  # typed for an entry the knowledge base no longer has
    if typed is not None and lang:
        entry = kb.by_id.get(typed.entry_id)
        if entry is None:
            orphan = typed
        elif typed.entry_id not in {q.entry_id for q in shown}:  # on another page, or done
            found = [q for q in items if q.entry_id == typed.entry_id]
            status_now = "current" if entry.translations.get(lang) else "missing"
            shown = [
                found[0] if found else QueuedTranslation(entry.id, lang, status_now, ""),
                *shown,
            ]
    localizer = answerer.localizer if answerer.localizer.can_translate(lang) else None

    def row(q: QueuedTranslation) -> tuple[QueuedTranslation, FaqEntry, Draft]:
        entry = kb.by_id[q.entry_id]
        if typed is not None and typed.entry_id == q.entry_id:
            return q, entry, _fitted(typed.draft, entry)
        return q, entry, draft(entry, lang, localizer, q.entry_id == wanted)

    rows = await asyncio.to_thread(lambda: [row(q) for q in shown]) if lang else []
    return c.render(
        request,
        "translations.html",
        status,
        loaded=True,
        kb_language=kb.language,
        counts=counts,
        lang=lang,
        rows=rows,
        orphan=orphan,
        topics=untranslated_topics(kb, lang) if lang else [],
        typed_topic=typed_topic,
        total=len(items),
        page=page,
        pages=pages,
        can_draft=localizer is not None,
        stale=STALE,
        error=error,
    )


def _fitted(typed: Draft, entry: FaqEntry) -> Draft:
    """`typed` with one link title per link the entry has now."""
    titles = (*typed.links, *("" for _ in entry.links))[: len(entry.links)]
    return Draft(typed.question, typed.alternates, typed.answer, titles, False)


@requires("manager")
async def queue(request: Request) -> Response:
    """Missing and stale translations: counts per language, then one language's queue."""
    params = request.query_params
    return await _page(
        request,
        params.get("lang", ""),
        _number(params.get("page")),
        wanted=params.get("draft", ""),  # translate this entry now, if not cached
    )


def language_name(request: Request, lang: str) -> str:
    """`lang` by its name in the interface language ("Russian"), for messages."""
    return messages.language_name(lang, ui_language(request)) if lang else "?"


def _problem(request: Request, lang: str, exc: Exception) -> str:
    """What is wrong, in plain words in the interface language: a refused translation by
    its code (`SAID`), a knowledge-base problem as the entry form says it."""
    if isinstance(exc, TranslationImportError):
        template = SAID.get(f"{exc.code}:{exc.field}") or SAID.get(exc.code)
        if template:
            if exc.field == "links":
                field = _(request, "Link title: {url}", url=exc.details.get("url", ""))
            else:
                field = _(request, LABELS.get(exc.field, exc.field))
            values = {**exc.details, "field": field, "lang": language_name(request, lang)}
            return _(request, template).format_map(values)
    said = kb_problems.said_all(exc, lambda text, **values: _(request, text, **values))
    return " ".join(s.text for s in said[:5])


def _sentence(text: str) -> str:
    """`text` ending with a full stop (a Chinese one kept as it is)."""
    return text if text.endswith((".", "。")) else text + "."


def _back(lang: str, message: str) -> Response:
    query = "&".join(
        q for q in (urlencode({"lang": lang} if lang else {}), flash_query(message=message)) if q
    )
    return RedirectResponse(f"/translations?{query}", status_code=303)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _save(request: Request, lang: str, item: dict, version: str, today: dt.date):
    """Write the translation, then reload the answerer so that it is served now."""
    c = console(request)
    with c.holder.lock:
        kb = save_translation(
            c.config.knowledge.dir,
            lang,
            item,
            c.config.knowledge.language,
            today,
            version,
            c.config.knowledge.cache_dir,
        )
        if c.holder.answerer is not None:
            c.holder.answerer = reload_answerer(c.holder.answerer, c.config, c.storage)
    return kb


@requires("staff")
async def save(request: Request) -> Response:
    """Save one entry's translation as reviewed; refused, the page comes back with what was
    typed and what to correct."""
    c = console(request)
    form = await request.form()
    lang = str(form.get("lang", "")).strip()
    entry_id = str(form.get("entry", "")).strip()
    titles = tuple(str(t).strip() for t in form.getlist("link"))
    typed = Typed(
        entry_id,
        Draft(
            str(form.get("question", "")),
            tuple(_lines(str(form.get("alternates", "")))),
            str(form.get("answer", "")),
            titles,
            False,
        ),
    )
    item = {
        "id": entry_id,
        "question": typed.draft.question,
        "alternates": list(typed.draft.alternates),
        "answer": typed.draft.answer,
        "links": list(titles) if any(titles) else [],
    }
    page = _number(str(form.get("page", "")))
    names = {"name": language_name(request, lang), "id": entry_id}

    def refused(problem: str) -> Awaitable[Response]:
        error = _(
            request,
            "The {name} translation of {id} was not saved: {problem} Nothing changed; what you typed is kept below: correct it and save again.",  # noqa: E501 (one catalog key)
            problem=_sentence(problem),
            **names,
        )
        return _page(request, lang, page, typed=typed, error=error, status=400)

    answerer = c.holder.answerer
    entry = answerer.kb.by_id.get(entry_id) if answerer else None
    if entry is None:
        return await refused(_(request, "the knowledge base has no entry {id}.", id=entry_id))
    old = entry.translations.get(lang)
    before = {
        "status": "missing" if old is None else ("stale" if entry.stale(lang) else "current"),
        "source": old.source if old else None,
        "reviewed": old.reviewed.isoformat() if old and old.reviewed else None,
    }
    today = dt.datetime.now(dt.UTC).date()
    try:
        kb = await asyncio.to_thread(
            _save, request, lang, item, str(form.get("version", "")), today
        )
    except (kbedit.EditError, KnowledgeError) as exc:
        return await refused(_problem(request, lang, exc))
    saved = kb.by_id[entry_id].translations[lang]
    after = {
        "status": "current",
        "source": saved.source,
        "reviewed": saved.reviewed.isoformat() if saved.reviewed else None,
        "alternates": len(saved.alternates),
    }
    c.accounts.audit(
        request.state.session.name, "translation.save", f"{entry_id}:{lang}", before, after
    )
    return _back(
        lang,
        _(
            request,
            "Saved the {name} translation of {id} as reviewed; the bot serves it now.",
            **names,
        ),
    )


def _save_topic(request: Request, lang: str, stem: str, name: str) -> None:
    c = console(request)
    with c.holder.lock:
        save_topic_name(
            c.config.knowledge.dir,
            lang,
            stem,
            name,
            c.config.knowledge.language,
            c.config.knowledge.cache_dir,
        )
        if c.holder.answerer is not None:
            c.holder.answerer = reload_answerer(c.holder.answerer, c.config, c.storage)


@requires("staff")
async def save_topic(request: Request) -> Response:
    """Save a topic's name in one language; refused, the page comes back with it typed."""
    c = console(request)
    form = await request.form()
    lang, stem = str(form.get("lang", "")).strip(), str(form.get("topic", "")).strip()
    name = str(form.get("name", ""))
    names = {"name": language_name(request, lang), "id": stem}
    try:
        await asyncio.to_thread(_save_topic, request, lang, stem, name)
    except (kbedit.EditError, KnowledgeError) as exc:
        error = _(
            request,
            "The {name} name of topic {id} was not saved: {problem} Nothing changed.",
            problem=_sentence(_problem(request, lang, exc)),
            **names,
        )
        page = _number(str(form.get("page", "")))
        return await _page(request, lang, page, typed_topic=(stem, name), error=error, status=400)
    c.accounts.audit(
        request.state.session.name,
        "translation.topic",
        f"{stem}:{lang}",
        {"status": "missing"},
        {"status": "current"},
    )
    return _back(lang, _(request, "Saved the {name} name of topic {id}.", **names))


def routes() -> list[Route]:
    return [
        Route("/translations", queue),
        Route("/translations/save", save, methods=["POST"]),
        Route("/translations/topic", save_topic, methods=["POST"]),
    ]
