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
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import kbedit
from bot.answering import reload_answerer
from bot.kbimport import save_topic_name, save_translation
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
from bot.web.app import console, flash_query, requires
from bot.web.i18n import translate, ui_language

PAGE_SIZE = 20


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


@requires("manager")
async def queue(request: Request) -> Response:
    """Missing and stale translations: counts per language, then one language's queue."""
    c = console(request)
    answerer = c.holder.answerer
    if answerer is None:
        return c.render(request, "translations.html", loaded=False, counts={}, lang="")
    kb = answerer.kb
    counts = await asyncio.to_thread(_languages, request, kb)
    lang = request.query_params.get("lang", "")
    if lang not in counts:
        lang = ""
    items: list[QueuedTranslation] = translation_queue(kb, lang) if lang else []
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(page, pages)
    shown = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    wanted = request.query_params.get("draft", "")  # translate this entry now, if not cached
    localizer = answerer.localizer if answerer.localizer.can_translate(lang) else None

    def drafts() -> list[tuple[QueuedTranslation, FaqEntry, Draft]]:
        return [
            (
                q,
                kb.by_id[q.entry_id],
                draft(kb.by_id[q.entry_id], lang, localizer, q.entry_id == wanted),
            )
            for q in shown
        ]

    rows = await asyncio.to_thread(drafts) if lang else []
    return c.render(
        request,
        "translations.html",
        loaded=True,
        kb_language=kb.language,
        counts=counts,
        lang=lang,
        rows=rows,
        topics=untranslated_topics(kb, lang) if lang else [],
        total=len(items),
        page=page,
        pages=pages,
        can_draft=localizer is not None,
        stale=STALE,
    )


def _back(lang: str, entry_id: str = "", message: str = "", error: str = "") -> Response:
    anchor = f"#tr-{entry_id}" if entry_id and error else ""
    found = "&".join(
        q
        for q in (
            urlencode({"lang": lang} if lang else {}),
            flash_query(message=message, error=error),
        )
        if q
    )
    return RedirectResponse(f"/translations?{found}{anchor}", status_code=303)


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
    """Save one entry's translation as reviewed."""
    c = console(request)
    form = await request.form()
    lang = str(form.get("lang", "")).strip()
    entry_id = str(form.get("entry", "")).strip()
    answerer = c.holder.answerer
    entry = answerer.kb.by_id.get(entry_id) if answerer else None
    if entry is None:
        return _back(lang, error=_(request, "Unknown entry {id}. Nothing changed.", id=entry_id))
    titles = [str(t).strip() for t in form.getlist("link")]
    item = {
        "id": entry_id,
        "question": str(form.get("question", "")),
        "alternates": _lines(str(form.get("alternates", ""))),
        "answer": str(form.get("answer", "")),
        "links": titles if any(titles) else [],
    }
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
        return _back(lang, entry_id, error=_(request, "{problem} Nothing changed.", problem=exc))
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
        message=_(
            request,
            "Saved the {lang} translation of {id} as reviewed; the bot serves it now.",
            lang=lang,
            id=entry_id,
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
    """Save a topic's name in one language."""
    c = console(request)
    form = await request.form()
    lang, stem = str(form.get("lang", "")).strip(), str(form.get("topic", "")).strip()
    try:
        await asyncio.to_thread(_save_topic, request, lang, stem, str(form.get("name", "")))
    except (kbedit.EditError, KnowledgeError) as exc:
        return _back(lang, error=_(request, "{problem} Nothing changed.", problem=exc))
    c.accounts.audit(
        request.state.session.name,
        "translation.topic",
        f"{stem}:{lang}",
        {"status": "missing"},
        {"status": "current"},
    )
    return _back(
        lang, message=_(request, "Saved the {lang} name of topic {id}.", lang=lang, id=stem)
    )


def routes() -> list[Route]:
    return [
        Route("/translations", queue),
        Route("/translations/save", save, methods=["POST"]),
        Route("/translations/topic", save_topic, methods=["POST"]),
    ]
