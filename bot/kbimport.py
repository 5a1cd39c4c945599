"""Curated translations into the topic files: `kb translations import FILE`.

FILE is a translator's file (the format is in docs/knowledge-format.md): `language`,
optional `topics` (topic file stem -> translated topic name) and `entries`, each with the
entry's `id`, `reviewed: true` (only those are imported), `question`, `alternates`,
`answer` and `links` (translated titles, in the order of the entry's links). Each imported
translation is stamped with the source version it translates and today's review date, and
written through the topic-file editor (only its own lines change; validated first).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot import kbedit
from bot.kbmodel import is_placeholder
from bot.knowledge import LANGUAGE_CODES, FaqEntry, KnowledgeBase, load_knowledge
from bot.messages import counted
from bot.normalize import normalize


class TranslationImportError(kbedit.EditError):
    """The translation file cannot be imported as it is; nothing was written. Its message
    is for `kb translations import`; `code`, `field` (the item's key: question,
    alternates, answer, links, name) and `details` let the console say it in its own
    words (bot/web/translations.py)."""

    def __init__(self, message: str, code: str = "", field: str = "", **details: Any):
        super().__init__(message, code, **details)
        self.field = field


@dataclass(frozen=True)
class ImportResult:
    language: str
    imported: tuple[str, ...]  # entry ids
    left_out: int  # entries not marked `reviewed: true`
    topics: int  # topic names set
    files: int  # topic files written
    unknown: tuple[str, ...] = ()  # entry ids and topics not in the knowledge base: skipped


def _text(item: dict, key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TranslationImportError(f"{where}: `{key}` must be non-empty text", "empty", key)
    return _written(value.strip(), f"{where}: `{key}`", key)


def _written(text: str, what: str, field: str) -> str:
    """`text`, unless it is a draft's placeholder (TODO): a translation has no drafts, it
    is served as soon as it is saved."""
    if is_placeholder(text):
        raise TranslationImportError(
            f"{what} is the placeholder {text!r}, not a translation: write the translation",
            "placeholder",
            field,
            text=text,
        )
    return text


def _links(item: dict, entry: FaqEntry, where: str) -> list[dict[str, str]]:
    titles = item.get("links") or []
    if not isinstance(titles, list):
        raise TranslationImportError(f"{where}: `links` must be a list of translated titles")
    if not titles:
        return []
    if len(titles) != len(entry.links):
        raise TranslationImportError(
            f"{where}: {counted(len(titles), 'link title')} for the entry's "
            f"{counted(len(entry.links), 'link')}; "
            "give one translated title per link, in the entry's order",
            "link-count",
            "links",
        )
    result = []
    for title, link in zip(titles, entry.links, strict=True):
        if isinstance(title, dict):  # {title, url} also accepted, if the URL is the same
            if title.get("url") != link.url:
                raise TranslationImportError(
                    f"{where}: link {title.get('url')!r} is not {link.url!r}"
                )
            title = title.get("title")
        if not isinstance(title, str) or not title.strip():
            raise TranslationImportError(
                f"{where}: every link title must be non-empty text", "empty", "links", url=link.url
            )
        result.append({"title": title.strip(), "url": link.url})
    return result


def translation_values(item: dict, entry: FaqEntry, today: dt.date) -> dict[str, Any]:
    """The `translations.<lang>` block written for one reviewed item."""
    where = f"entry {entry.id!r}"
    values: dict[str, Any] = {"question": _text(item, "question", where)}
    raw = item.get("alternates") or []
    if not isinstance(raw, list):
        raise TranslationImportError(f"{where}: `alternates` must be a list")
    alternates = [
        _written(str(a).strip(), f"{where}: alternate", "alternates") for a in raw if str(a).strip()
    ]
    if alternates:
        values["alternates"] = alternates
    values["answer"] = _text(item, "answer", where)
    links = _links(item, entry, where)
    if links:
        values["links"] = links
    values["source"] = entry.version
    values["reviewed"] = today
    return values


def _stage(edit: kbedit.Edit, kb: KnowledgeBase, lang: str, item: dict, today: dt.date) -> None:
    """Stage one translation. The entry's `phrasings.<lang>` (ways to ask collected before
    the entry had a translation into `lang`) become the translation's alternates, after the
    translator's own: a language with a curated translation keeps them there."""
    entry = kb.by_id[item["id"]]
    values = translation_values(item, entry, today)
    moved = entry.phrasings.get(lang, ())
    if moved:
        seen = {normalize(values["question"]), *map(normalize, values.get("alternates", []))}
        extra = []
        for text in moved:
            if normalize(text) not in seen:
                seen.add(normalize(text))
                extra.append(text)
        alternates = [*values.get("alternates", []), *extra]
        values = {
            "question": values["question"],
            **({"alternates": alternates} if alternates else {}),
            **{k: v for k, v in values.items() if k not in ("question", "alternates")},
        }
    topic_file = edit.file_of(kb, entry.id)
    topic_file.set_translation(entry.id, lang, values)
    if moved:
        topic_file.drop_phrasings(entry.id, lang)


def _stage_topic(edit: kbedit.Edit, stem: str, name: Any, lang: str, kb_language: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise TranslationImportError(
            f"topic {stem!r}: the name must be non-empty text", "empty", "name"
        )
    edit.file(f"{stem}.yaml").set_topic_name(lang, name.strip(), kb_language)


def _check_language(lang: str, kb_language: str) -> None:
    if lang not in LANGUAGE_CODES:
        raise TranslationImportError(
            f"`language` must be an ISO 639-1 code like ru, got {lang!r}", "language", lang=lang
        )
    if lang == kb_language:
        raise TranslationImportError(
            f"{lang!r} is the knowledge base's own language", "own-language", lang=lang
        )


def save_topic_name(
    kb_dir: Path,
    lang: str,
    stem: str,
    name: str,
    kb_language: str = "en",
    cache_dir: Path | None = None,
) -> KnowledgeBase:
    """Write one topic's name in `lang` (as `topics` of a translator's file does)."""
    _check_language(lang, kb_language)
    kb = load_knowledge(kb_dir, kb_language, cache_dir)
    if stem not in {t.id for t in kb.topics}:
        raise TranslationImportError(f"unknown topic {stem!r}", "unknown-topic", id=stem)
    edit = kbedit.stage(kb_dir, kb_language)
    _stage_topic(edit, stem, name, lang, kb_language)
    return edit.commit(cache_dir=cache_dir) or kb


def save_translation(
    kb_dir: Path,
    lang: str,
    item: dict,
    kb_language: str = "en",
    today: dt.date | None = None,
    version: str | None = None,
    cache_dir: Path | None = None,
) -> KnowledgeBase:
    """Write one reviewed translation (`item` as in a translator's file: id, question,
    alternates, answer, links) into `lang`, stamped like `import_translations` does: the
    entry's current source version and today's review date. `version`: the source version
    the translator saw; refused if the entry's text changed since. Validated like `kb
    check` before anything is written; returns the knowledge base as written. `cache_dir`:
    the knowledge cache (`[knowledge] cache_dir`), to skip parsing unchanged YAML."""
    today = today or dt.date.today()
    _check_language(lang, kb_language)
    kb = load_knowledge(kb_dir, kb_language, cache_dir)
    entry = kb.by_id.get(str(item.get("id")))
    if entry is None:
        raise TranslationImportError(
            f"unknown entry id {item.get('id')!r}", "unknown-entry", id=str(item.get("id"))
        )
    if version is not None and version != entry.version:
        raise TranslationImportError(
            f"entry {entry.id!r}: its question or answer changed while you translated it; "
            "look at the new text",
            "changed",
        )
    edit = kbedit.stage(kb_dir, kb_language)
    _stage(edit, kb, lang, item, today)
    return edit.commit(cache_dir=cache_dir) or kb


def import_translations(
    kb_dir: Path, review: Any, kb_language: str = "en", today: dt.date | None = None
) -> ImportResult:
    """Write the reviewed translations (and topic names) of a translator's file. Entries
    and topics the knowledge base does not have (yet) are skipped and listed in the result;
    any other problem refuses the whole file."""
    today = today or dt.date.today()
    if not isinstance(review, dict) or not isinstance(review.get("entries", []), list):
        raise TranslationImportError("not a translation file (needs `language` and `entries`)")
    lang = review.get("language")
    if not isinstance(lang, str) or lang not in LANGUAGE_CODES:
        raise TranslationImportError(f"`language` must be an ISO 639-1 code like ru, got {lang!r}")
    if lang == kb_language:
        raise TranslationImportError(f"{lang!r} is the knowledge base's own language")
    kb = load_knowledge(kb_dir, kb_language)
    entries = review.get("entries") or []
    reviewed = [e for e in entries if isinstance(e, dict) and e.get("reviewed") is True]
    chosen = [e for e in reviewed if e.get("id") in kb.by_id]
    unknown = [f"entry {e.get('id')}" for e in reviewed if e.get("id") not in kb.by_id]
    topics = review.get("topics") or {}
    if not isinstance(topics, dict):
        raise TranslationImportError("`topics` must map topic file names (without .yaml) to names")
    stems = {t.id for t in kb.topics}
    unknown += [f"topic {stem}" for stem in topics if stem not in stems]
    topics = {stem: name for stem, name in topics.items() if stem in stems}
    edit = kbedit.stage(kb_dir, kb_language)
    for item in chosen:
        _stage(edit, kb, lang, item, today)
    for stem, name in topics.items():
        _stage_topic(edit, stem, name, lang, kb_language)
    edit.commit()
    return ImportResult(
        lang,
        tuple(item["id"] for item in chosen),
        len(entries) - len(reviewed),
        len(topics),
        sum(1 for f in edit.files.values() if f.changed),
        tuple(unknown),
    )
