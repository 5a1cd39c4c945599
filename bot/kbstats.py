"""Figures about a knowledge base: coverage per language and translations that went stale.

A curated translation records the `source` version (a short hash of the entry's question and
answer) it was made from; when the entry's text changes, the translation is stale until a
person updates it. `kb check` warns about stale translations, `kb stats` counts them, the
managers' report lists them, and the bot does not serve them as current.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from bot.knowledge import KnowledgeBase, Topic


@dataclass(frozen=True)
class StaleTranslation:
    entry_id: str
    language: str
    topic: str
    recorded: str  # the source version the translation was made from
    current: str  # the entry's source version now
    reviewed: str  # ISO date of its last review, or ""
    where: str  # "company.yaml:12"


def stale_translations(kb: KnowledgeBase) -> list[StaleTranslation]:
    """Every curated translation made from an older text of its entry, by entry order."""
    return [
        StaleTranslation(
            e.id,
            lang,
            e.topic,
            tr.source,
            e.version,
            tr.reviewed.isoformat() if tr.reviewed else "",
            e.source,
        )
        for e in kb.entries
        for lang, tr in sorted(e.translations.items())
        if e.stale(lang)
    ]


@dataclass(frozen=True)
class QueuedTranslation:
    """An entry whose curated translation into `language` is missing or stale."""

    entry_id: str
    language: str
    status: str  # MISSING or STALE
    topic: str


MISSING, STALE = "missing", "stale"


def translation_queue(kb: KnowledgeBase, lang: str) -> list[QueuedTranslation]:
    """The finished entries to translate into `lang`, stale ones first, then by entry order:
    no curated translation yet, or one made from an older text (`FaqEntry.stale`)."""
    if lang == kb.language:
        return []
    found = [
        QueuedTranslation(e.id, lang, STALE if e.stale(lang) else MISSING, e.topic)
        for e in kb.entries
        if not e.unfinished and (lang not in e.translations or e.stale(lang))
    ]
    return sorted(found, key=lambda q: q.status != STALE)


def queue_counts(kb: KnowledgeBase, languages: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """Per language (the knowledge base's own left out): entries missing and stale, and
    topics without a name in it."""
    counts = {}
    for lang in sorted(set(languages) | set(kb.languages())):
        if lang == kb.language:
            continue
        queue = translation_queue(kb, lang)
        stale = sum(1 for q in queue if q.status == STALE)
        topics = len(untranslated_topics(kb, lang))
        counts[lang] = {MISSING: len(queue) - stale, STALE: stale, "topics": topics}
    return counts


def untranslated_topics(kb: KnowledgeBase, lang: str) -> list[Topic]:
    """The topics with no name in `lang` (shown in the knowledge base's language)."""
    return [t for t in kb.topics if lang != kb.language and lang not in t.names]


def _spread(counts: list[int]) -> dict:
    if not counts:
        return {"min": 0, "median": 0}
    return {"min": min(counts), "median": statistics.median(counts)}


def knowledge_stats(kb: KnowledgeBase, languages: tuple[str, ...] = ()) -> dict:
    """Entries per topic; per language: curated entries, share, stale and unversioned
    translations, and phrasings per translated entry (min, median)."""
    finished = [e for e in kb.entries if not e.unfinished]
    total = len(kb.entries)
    per_topic = Counter(e.topic for e in kb.entries)
    stale = Counter(s.language for s in stale_translations(kb))
    # and the languages only matched, never answered in (`phrasings`: Persian, Urdu ...)
    matched = {lang for e in kb.entries for lang in e.phrasings}
    langs = sorted((set(languages) | set(kb.languages()) | matched) - {kb.language})
    coverage = {}
    for lang in langs:
        done = [e for e in kb.entries if lang in e.translations]
        phrasings = [
            1 + len(e.translations[lang].alternates)
            if lang in e.translations
            else len(e.phrasings[lang])
            for e in finished
            if lang in e.translations or lang in e.phrasings
        ]
        coverage[lang] = {
            "entries": len(done),
            "share": round(len(done) / total, 3) if total else 0.0,
            "stale": stale[lang],
            "unversioned": sum(1 for e in done if not e.translations[lang].source),
            # entries with `phrasings` in it and no translation: matched, answered in kb.language
            "phrasings_only": sum(
                1 for e in kb.entries if lang in e.phrasings and lang not in e.translations
            ),
            "phrasings_per_entry": _spread(phrasings),
        }
    return {
        "entries": total,
        "phrasings": sum(1 for _ in kb.phrasings()),
        "language": kb.language,
        "phrasings_per_entry": _spread([1 + len(e.alternates) for e in finished]),
        "topics": [
            {
                "topic": t.id,
                "name": t.name_in(kb.language, kb.language),
                "entries": per_topic[t.id],
                "names": sorted(t.names),
            }
            for t in kb.topics
        ],
        "translations": coverage,
    }
