"""Finding knowledge-base entries for staff who do not know their ids.

`candidates()` is the matcher's ranking of the entries for a question (what the bot itself
would consider); `search()` finds entries by text in any language: plain substring over
ids, questions, alternates and curated translations first, then the matcher's ranking
(which also covers the cached machine translations of the phrasings).
"""

from __future__ import annotations

from bot.answering import Answerer
from bot.kbmodel import FaqEntry
from bot.normalize import normalize

MATCHER_RESULTS = 5  # the matcher's best entries added after the substring hits


def candidates(answerer: Answerer, question: str, limit: int = 5) -> list[FaqEntry]:
    """The finished entries the matcher ranks best for `question`, best first."""
    kb = answerer.kb
    ranked = answerer.matcher.scores(question, limit=limit)
    found = [kb.by_id[c.entry_id] for c in ranked if c.entry_id in kb.by_id]
    return [e for e in found if not e.unfinished][:limit]


def _texts(entry: FaqEntry) -> list[str]:
    texts = [entry.id, entry.question, *entry.alternates]
    for tr in entry.translations.values():
        texts += [tr.question, *tr.alternates]
    return texts


def search(answerer: Answerer, text: str, limit: int = 10) -> list[FaqEntry]:
    """Entries whose phrasings (in any language) contain `text`, then the matcher's best."""
    needle = text.strip().casefold()
    if not needle:
        return []
    folded = normalize(needle) or needle
    kb = answerer.kb
    hits = [
        e
        for e in kb.entries
        if not e.unfinished
        and any(needle in t.casefold() or folded in (normalize(t) or "") for t in _texts(e))
    ]
    found = {e.id: e for e in hits[:limit]}
    for e in candidates(answerer, text, MATCHER_RESULTS):
        if len(found) >= limit:
            break
        found.setdefault(e.id, e)
    return list(found.values())
