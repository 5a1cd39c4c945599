"""The validated knowledge base as JSON, keyed by the topic files' content hash, so that
loading unchanged files again skips YAML parsing and validation."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from bot.cachefile import write_cache
from bot.kbmodel import FaqEntry, KnowledgeBase, Link, Topic, Translation

log = logging.getLogger(__name__)


def _to_json(kb: KnowledgeBase) -> dict:
    def entry(e: FaqEntry) -> dict:
        return {
            "id": e.id,
            "topic": e.topic,
            "question": e.question,
            "alternates": list(e.alternates),
            "answer": e.answer,
            "tags": list(e.tags),
            "links": [[link.title, link.url] for link in e.links],
            "reviewed": e.reviewed.isoformat(),
            "translations": {
                lang: [
                    t.question,
                    t.answer,
                    list(t.alternates),
                    [[link.title, link.url] for link in t.links],
                    t.source,
                    t.reviewed.isoformat() if t.reviewed else None,
                ]
                for lang, t in e.translations.items()
            },
            "phrasings": {lang: list(texts) for lang, texts in e.phrasings.items()},
            "related": list(e.related),
            "notes": e.notes,
            "source": e.source,
        }

    return {
        "language": kb.language,
        "content_hash": kb.content_hash,
        "topics": [[t.id, t.names, list(t.entry_ids)] for t in kb.topics],
        "entries": [entry(e) for e in kb.entries],
    }


def _from_json(data: dict) -> KnowledgeBase:
    entries = tuple(
        FaqEntry(
            id=e["id"],
            topic=e["topic"],
            question=e["question"],
            alternates=tuple(e["alternates"]),
            answer=e["answer"],
            tags=tuple(e["tags"]),
            links=tuple(Link(title, url) for title, url in e["links"]),
            reviewed=dt.date.fromisoformat(e["reviewed"]),
            translations={
                lang: Translation(
                    q,
                    a,
                    tuple(alts),
                    tuple(Link(title, url) for title, url in links),
                    source,
                    dt.date.fromisoformat(reviewed) if reviewed else None,
                )
                for lang, (q, a, alts, links, source, reviewed) in e["translations"].items()
            },
            phrasings={lang: tuple(t) for lang, t in e.get("phrasings", {}).items()},
            related=tuple(e["related"]),
            notes=e["notes"],
            source=e["source"],
        )
        for e in data["entries"]
    )
    topics = tuple(Topic(tid, names, tuple(ids)) for tid, names, ids in data["topics"])
    return KnowledgeBase(
        data["language"], topics, entries, data["content_hash"], {e.id: e for e in entries}
    )


def read_cache(path: Path, digest: str) -> KnowledgeBase | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("content_hash") == digest:
            return _from_json(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring unreadable knowledge cache %s: %s", path, exc)
    return None


def write_kb_cache(path: Path, kb: KnowledgeBase) -> None:
    data = _to_json(kb)
    write_cache(path, lambda f: json.dump(data, f, ensure_ascii=False), text=True)
