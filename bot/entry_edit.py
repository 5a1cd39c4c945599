"""Editing one knowledge-base entry as a whole: what the console's entry pages call.

`read_entry()` gives an entry's values as its topic file holds them; `save_entry()` makes
the entry hold new values, `create_entry()` appends a new one (through
`curation.append_entry`, the writer `unanswered new-entry` uses), `move_entry()` moves one to
another topic file, `delete_entry()` removes one (and its name from other entries'
`related`), `rollback()` writes an earlier version back (re-creating a deleted entry).
Each validates the whole knowledge base on a staged copy first (the
checks of `kb check`), writes through bot/kbedit.py (comments and layout kept, only the
edited lines change) and records the entry's text before and after in bot/entry_history.py.

`form_fields()` and `values_from_form()` translate between values and the flat text fields
of a form (one line per alternate, link or tag). A curated translation whose answer is
rewritten, or that staff mark current, records the source text it now matches (`source`, see
bot/kbmodel.source_version) and today's date; one whose answer is left as it was keeps its
`source` (its question, phrasings or links edited alone included), so editing the entry's
question or answer leaves it stale, as `kb check` then warns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from bot import curation, kbedit
from bot.entry_history import EntryHistory, Version
from bot.kbmodel import KnowledgeError, Problem, is_placeholder
from bot.knowledge import TRANSLATION_KEYS, KnowledgeBase, source_version, topic_files
from bot.normalize import normalize

EDIT, NEW, ROLLBACK = "entry.edit", "entry.new", "entry.rollback"
MOVE, DELETE = "entry.move", "entry.delete"
ORDER = ("id", "question", "alternates", "answer", "tags", "links", "reviewed")


class EntryError(Exception):
    """The entry cannot be read or saved as asked; nothing was written. The message is for
    the command line and the log; `code` and `details` (id, file) let the console say it in
    its own words (bot/web/kb_problems.py); one raised from a kbedit.EditError has that
    error's."""

    def __init__(self, message: str, code: str = "", **details: Any):
        super().__init__(message)
        self.code, self.details = code, details


class EntryConflictError(EntryError):
    """The entry was changed by someone else since the form or page was opened."""


@dataclass(frozen=True)
class Saved:
    """What a save did."""

    entry_id: str
    file: str  # the topic file, relative to the knowledge folder
    before: str  # the entry's lines before ("" for a new entry)
    after: str
    version: int | None  # the history row; None when nothing changed
    moved_from: str = ""  # after a move: the topic file it was in
    again: bool = False  # the form was saved already (sent twice): nothing more to write

    @property
    def changed(self) -> bool:
        return self.before != self.after or bool(self.moved_from and self.moved_from != self.file)


def text_version(values: Mapping[str, Any]) -> str:
    """A short hash of an entry's values: a form carries it to notice a save made meanwhile."""
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def entry_file(kb_dir: Path, entry_id: str, kb: KnowledgeBase | None = None) -> str:
    """The topic file holding `entry_id`: where `kb` says (the running knowledge base: no
    file read), else found by reading the topic files."""
    if kb is not None and entry_id in kb.by_id:
        name = kb.by_id[entry_id].source.rsplit(":", 1)[0]
        if (Path(kb_dir) / name).is_file():
            return name
    for path in topic_files(Path(kb_dir)):
        try:
            if kbedit.TopicFile.open(path).has_entry(entry_id):
                return path.name
        except kbedit.EditError:
            continue
    raise EntryError(f"no entry {entry_id!r} in the knowledge base", "no-entry", id=entry_id)


def read_entry(kb_dir: Path, entry_id: str, kb: KnowledgeBase | None = None) -> tuple[str, dict]:
    """(topic file, values) of `entry_id` as the file holds them now."""
    name = entry_file(kb_dir, entry_id, kb)
    try:
        return name, kbedit.TopicFile.open(Path(kb_dir) / name).entry_values(entry_id)
    except kbedit.EditError as exc:
        raise EntryError(str(exc)) from exc


def _record(history: EntryHistory | None, saved: Saved, actor: str, action: str) -> int | None:
    if history is None or not saved.changed:
        return None
    return history.record(saved.entry_id, saved.file, actor, action, saved.before, saved.after)


def _stored_already(topic: kbedit.TopicFile, entry_id: str, values: dict) -> bool:
    """Whether writing `values` into entry `entry_id` would leave its file as it is: a form
    sent twice (a double click), whose first send saved it. Tried on the staged copy."""
    try:
        topic.replace_entry(entry_id, values)
    except kbedit.EditError:
        return False
    return topic.text().encode("utf-8") == topic.original


def save_entry(
    kb_dir: Path,
    kb_language: str,
    entry_id: str,
    values: dict[str, Any],
    *,
    history: EntryHistory | None = None,
    actor: str = "",
    action: str = EDIT,
    kb: KnowledgeBase | None = None,
    base: str | None = None,
    cache_dir: Path | None = None,
) -> Saved:
    """Make entry `entry_id` hold exactly `values`, validated first; record the version.
    Raises EntryError (with every problem `kb check` would list), writing nothing.

    `base`: the `text_version` of the values the edit started from; if the entry has
    changed since, nothing is written: EntryError, unless it holds `values` already (the
    same form sent twice: `Saved.again`). `cache_dir`: the knowledge cache (see `kbedit.stage`),
    so that the reload after the save does not parse the files again."""
    kb_dir = Path(kb_dir)
    name = entry_file(kb_dir, entry_id, kb)
    try:
        edit = kbedit.stage(kb_dir, kb_language, cache_dir)
        topic = edit.file(name)
        before = topic.entry_text(entry_id)
        if base is not None and base != text_version(topic.entry_values(entry_id)):
            if _stored_already(topic, entry_id, values):  # the same save twice
                return Saved(entry_id, name, before, before, None, again=True)
            raise EntryConflictError(
                f"nothing written: {entry_id} was changed by someone else since this form was "
                "opened. Open the entry again in another tab, then copy your changes over."
            )
        topic.replace_entry(entry_id, values)
        edit.commit(must_have=(entry_id,))
        after = kbedit.TopicFile.open(kb_dir / name).entry_text(entry_id)
    except kbedit.EditError as exc:
        raise EntryError(str(exc)) from exc
    saved = Saved(entry_id, name, before, after, None)
    return Saved(entry_id, name, before, after, _record(history, saved, actor, action))


def created_already(kb_dir: Path, values: dict[str, Any], kb: KnowledgeBase | None) -> Saved | None:
    """`Saved.again` when an entry with `values`' id holds exactly `values` already: a New
    entry form sent twice (a double click), whose first send created it. None otherwise
    (no such entry, or a different one: creating it is then refused as a duplicate id)."""
    entry_id = str(values.get("id", ""))
    if kb is None or entry_id not in kb.by_id:  # (the running one: no file is searched)
        return None
    try:
        name = entry_file(Path(kb_dir), entry_id, kb)
        topic = kbedit.TopicFile.open(Path(kb_dir) / name)
        before = topic.entry_text(entry_id)
    except (EntryError, kbedit.EditError):
        return None
    if not _stored_already(topic, entry_id, values):
        return None
    return Saved(entry_id, name, before, before, None, again=True)


def create_entry(
    kb_dir: Path,
    kb_language: str,
    topic_file: str,
    values: dict[str, Any],
    *,
    history: EntryHistory | None = None,
    actor: str = "",
    cache_dir: Path | None = None,
    kb: KnowledgeBase | None = None,
) -> Saved:
    """Append a new entry holding `values` to `topic_file` (a name in the knowledge folder).
    An id already taken is refused at once (`duplicate_id`), before the slow validation."""
    kb_dir = Path(kb_dir)
    entry_id = str(values.get("id", ""))
    duplicate_id(kb_dir, entry_id, kb)
    try:
        curation.append_entry(
            kb_dir / topic_file, values, kb_language=kb_language, cache_dir=cache_dir
        )
        after = kbedit.TopicFile.open(kb_dir / topic_file).entry_text(entry_id)
    except (curation.CurationError, kbedit.EditError) as exc:
        raise EntryError(str(exc)) from exc
    saved = Saved(entry_id, topic_file, "", after, None)
    return Saved(entry_id, topic_file, "", after, _record(history, saved, actor, NEW))


def duplicate_id(kb_dir: Path, entry_id: str, kb: KnowledgeBase | None = None) -> None:
    """Raise EntryError (from a KnowledgeError with the `duplicate-id` problem, as the
    validation would say it) when an entry `entry_id` exists already: in `kb` (the running
    knowledge base: nothing read), else in a topic file."""
    if not entry_id or (kb is not None and entry_id not in kb.by_id):
        return  # one added on disk meanwhile is found by the validation
    try:
        name = entry_file(kb_dir, entry_id, kb)
    except EntryError:
        return  # no such entry: the id is free
    entry = kb.by_id.get(entry_id) if kb is not None else None
    where = entry.source if entry is not None else name
    message = f"duplicate id: also used at {where}"
    problem = Problem(name, None, entry_id, message, "duplicate-id", "id", (("id", entry_id),))
    said = f"nothing written: the knowledge base would not validate:\n{problem}"
    raise EntryError(said) from KnowledgeError([problem])


@dataclass(frozen=True)
class Deleted:
    """What a delete did: the entry's last text (`saved.before`; `saved.after` is empty) and
    the entries whose `related` list named it, which no longer do (each a save of its own)."""

    saved: Saved
    unlinked: tuple[Saved, ...]


def _check_base(topic: kbedit.TopicFile, entry_id: str, base: str | None) -> None:
    if base is not None and base != text_version(topic.entry_values(entry_id)):
        raise EntryConflictError(
            f"nothing written: {entry_id} was changed by someone else since this page was "
            "opened. Open the entry again, then try again."
        )


def _reindented(text: str, topic: kbedit.TopicFile) -> tuple[str, dict]:
    """An entry's lines (from another file, or a version) indented as `topic`'s entries
    are, comments and layout kept; and their values."""
    raw = textwrap.dedent(text)
    indent = curation.item_indent(topic.path)
    return textwrap.indent(raw, " " * indent), values_of_text(raw)


def referring(edit: kbedit.Edit, kb_dir: Path, entry_id: str) -> list[tuple[str, str]]:
    """(topic file, id) of every other entry whose `related` list names `entry_id`."""
    found = []
    for path in topic_files(kb_dir):
        for node in edit.file(path.name).data["entries"]:
            related = node.get("related") if isinstance(node, dict) else None
            if isinstance(related, list) and entry_id in related and node.get("id") != entry_id:
                found.append((path.name, str(node["id"])))
    return found


def delete_entry(
    kb_dir: Path,
    kb_language: str,
    entry_id: str,
    *,
    history: EntryHistory | None = None,
    actor: str = "",
    kb: KnowledgeBase | None = None,
    base: str | None = None,
    cache_dir: Path | None = None,
) -> Deleted:
    """Remove entry `entry_id` from its topic file, and its id from every other entry's
    `related` list, validated first; each change recorded in the history (the entry's last
    text stays there: `rollback` to the text before the delete brings it back). Raises
    EntryError, writing nothing, when it is its topic's only entry or `base` is stale."""
    kb_dir = Path(kb_dir)
    name = entry_file(kb_dir, entry_id, kb)
    try:
        edit = kbedit.stage(kb_dir, kb_language, cache_dir)
        topic = edit.file(name)
        before = topic.entry_text(entry_id)
        _check_base(topic, entry_id, base)
        others = referring(edit, kb_dir, entry_id)
        texts = {}
        for file, other in others:  # before the removal: it shifts the file's entries
            values = edit.file(file).entry_values(other)
            texts[other] = edit.file(file).entry_text(other)
            kept = [r for r in values.get("related") or [] if r != entry_id]
            if kept:
                values["related"] = kept
            else:
                values.pop("related", None)
            edit.file(file).replace_entry(other, values)
        topic.remove_entry(entry_id)
        edit.commit()
        unlinked = []
        for file, other in others:
            after = kbedit.TopicFile.open(kb_dir / file).entry_text(other)
            saved = Saved(other, file, texts[other], after, None)
            unlinked.append(
                Saved(other, file, texts[other], after, _record(history, saved, actor, EDIT))
            )
    except kbedit.EditError as exc:
        raise EntryError(str(exc)) from exc
    gone = Saved(entry_id, name, before, "", None)
    return Deleted(
        Saved(entry_id, name, before, "", _record(history, gone, actor, DELETE)), tuple(unlinked)
    )


def move_entry(
    kb_dir: Path,
    kb_language: str,
    entry_id: str,
    topic_file: str,
    *,
    history: EntryHistory | None = None,
    actor: str = "",
    kb: KnowledgeBase | None = None,
    base: str | None = None,
    cache_dir: Path | None = None,
) -> Saved:
    """Move entry `entry_id` to the end of `topic_file` (a name in the knowledge folder), its
    lines as they are (comments kept, indented as that file's entries); validated first."""
    kb_dir = Path(kb_dir)
    name = entry_file(kb_dir, entry_id, kb)
    if name == topic_file:
        raise EntryError(
            f"{entry_id} is already in {topic_file}", "already-there", id=entry_id, file=topic_file
        )
    try:
        edit = kbedit.stage(kb_dir, kb_language, cache_dir)
        source, target = edit.file(name), edit.file(topic_file)
        before = source.entry_text(entry_id)
        _check_base(source, entry_id, base)
        text, values = _reindented(before, target)
        source.remove_entry(entry_id)
        target.append_text(text, values)
        edit.commit(must_have=(entry_id,))
        after = kbedit.TopicFile.open(kb_dir / topic_file).entry_text(entry_id)
    except kbedit.EditError as exc:
        raise EntryError(str(exc)) from exc
    saved = Saved(entry_id, topic_file, before, after, None, name)
    return replace(saved, version=_record(history, saved, actor, MOVE))


def _recreate(
    kb_dir: Path,
    kb_language: str,
    entry_id: str,
    text: str,
    topic_file: str,
    history: EntryHistory | None,
    actor: str,
    cache_dir: Path | None,
) -> Saved:
    """Append a deleted entry's `text` (a version's lines) to `topic_file` again."""
    try:
        edit = kbedit.stage(kb_dir, kb_language, cache_dir)
        target = edit.file(topic_file)
        lines, values = _reindented(text, target)
        if values.get("id") != entry_id:
            raise EntryError(f"that version is not entry {entry_id}", "bad-version", id=entry_id)
        target.append_text(lines, values)
        edit.commit(must_have=(entry_id,))
        after = kbedit.TopicFile.open(kb_dir / topic_file).entry_text(entry_id)
    except kbedit.EditError as exc:
        raise EntryError(str(exc)) from exc
    saved = Saved(entry_id, topic_file, "", after, None)
    return Saved(entry_id, topic_file, "", after, _record(history, saved, actor, ROLLBACK))


def values_of_text(text: str) -> dict:
    """The values of one entry's lines (as `Saved.after` or a version holds them)."""
    try:
        loaded = YAML(typ="safe").load(textwrap.dedent(text))
    except YAMLError as exc:
        raise EntryError(f"the version cannot be read: {exc}", "bad-version") from exc
    if not isinstance(loaded, list) or len(loaded) != 1 or not isinstance(loaded[0], dict):
        raise EntryError("the version is not one entry", "bad-version")
    return loaded[0]


def rollback(
    kb_dir: Path,
    kb_language: str,
    version: Version,
    *,
    side: str = "after",
    history: EntryHistory | None = None,
    actor: str = "",
    kb: KnowledgeBase | None = None,
    cache_dir: Path | None = None,
) -> Saved:
    """Write back the entry as it was after (or before) `version`, through `save_entry`; an
    entry deleted since is appended again to the topic file it was last in (or, if that file
    is gone, to the version's)."""
    text = version.after if side == "after" else version.before
    if not text:
        raise EntryError(
            "that version has no text to go back to (the entry was new, or deleted, then)",
            "empty-version",
        )
    values = values_of_text(text)
    kb_dir = Path(kb_dir)
    try:
        entry_file(kb_dir, version.entry_id, kb)
    except EntryError:  # deleted: restore it where it was last
        latest = history.versions(version.entry_id, limit=1) if history is not None else []
        names = [v.file for v in latest] + [version.file]
        found = [n for n in names if (kb_dir / n).is_file()]
        if not found:
            raise EntryError(
                f"the topic file {version.file} is gone: restore by hand",
                "file-gone",
                file=version.file,
            ) from None
        return _recreate(
            kb_dir, kb_language, version.entry_id, text, found[0], history, actor, cache_dir
        )
    return save_entry(
        kb_dir,
        kb_language,
        version.entry_id,
        values,
        history=history,
        actor=actor,
        action=ROLLBACK,
        kb=kb,
        cache_dir=cache_dir,
    )


# Forms ------------------------------------------------------------------------------------


def _link_line(link: Any) -> str:
    if isinstance(link, dict):
        title, url = str(link.get("title") or ""), str(link.get("url") or "")
        return f"{title} | {url}" if title and title != url else url
    return str(link)


def _lines(values: list | None) -> str:
    return "\n".join(str(v) for v in values or [])


def form_fields(values: Mapping[str, Any], languages: list[str]) -> dict[str, str]:
    """The text fields of a form showing `values`; translations as `tr-<lang>-<field>`."""
    fields = {
        "id": str(values.get("id", "")),
        "question": str(values.get("question", "")),
        "alternates": _lines(values.get("alternates")),
        "answer": str(values.get("answer", "")),
        "tags": ", ".join(str(t) for t in values.get("tags") or []),
        "links": "\n".join(_link_line(link) for link in values.get("links") or []),
        "reviewed": str(values.get("reviewed", "")),
        "related": ", ".join(str(r) for r in values.get("related") or []),
        "notes": str(values.get("notes", "")),
        "phrasings": "\n".join(
            f"{lang}: {text}"
            for lang, texts in (values.get("phrasings") or {}).items()
            for text in texts or []
        ),
    }
    translations = values.get("translations") or {}
    for lang in languages:
        tr = translations.get(lang) or {}
        fields[f"tr-{lang}-question"] = str(tr.get("question", ""))
        fields[f"tr-{lang}-alternates"] = _lines(tr.get("alternates"))
        fields[f"tr-{lang}-answer"] = str(tr.get("answer", ""))
        fields[f"tr-{lang}-links"] = "\n".join(_link_line(x) for x in tr.get("links") or [])
    return fields


def _text(form: Mapping[str, str], key: str) -> str:
    return str(form.get(key, "")).replace("\r\n", "\n").replace("\r", "\n").strip()


def _list(form: Mapping[str, str], key: str) -> list[str]:
    return [line.strip() for line in _text(form, key).split("\n") if line.strip()]


# Commas, semicolons and colons as a Chinese (or Japanese) keyboard types them, too.
_SEPARATORS = re.compile(r"[,，、;；\s]+")
_COLON = re.compile(r"[:：]")


def _words(form: Mapping[str, str], key: str) -> list[str]:
    return [w for w in _SEPARATORS.split(_text(form, key)) if w]


def _links(form: Mapping[str, str], key: str) -> list[Any]:
    links: list[Any] = []
    for line in _list(form, key):
        title, bar, url = line.rpartition("|")
        if bar and title.strip():
            links.append({"title": title.strip(), "url": url.strip()})
        else:
            links.append(url.strip())
    return links


def _phrasings(form: Mapping[str, str]) -> dict[str, list[str]]:
    """`de: Firmenkonto eröffnen` lines, grouped by language in the order given; a line
    without a language code goes under "?", for validation to report."""
    found: dict[str, list[str]] = {}
    for line in _list(form, "phrasings"):
        code, colon, text = _COLON.sub(":", line, count=1).partition(":")
        code = code.strip().lower()
        if not colon or not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]+)?", code) or not text.strip():
            code, text = "?", line
        found.setdefault(code, []).append(text.strip())
    return found


def _stripped(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stripped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stripped(v) for v in value]
    return value.strip() if isinstance(value, str) else value


def _date(text: str) -> dt.date | str:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return text  # validation says what is wrong with it


def _translation(
    form: Mapping[str, str], lang: str, old: Mapping[str, Any], version: str, today: dt.date
) -> dict | None:
    prefix = f"tr-{lang}-"
    tr: dict[str, Any] = {"question": _text(form, prefix + "question")}
    alternates, links = _list(form, prefix + "alternates"), _links(form, prefix + "links")
    if alternates:
        tr["alternates"] = alternates
    tr["answer"] = _text(form, prefix + "answer")
    if links:
        tr["links"] = links
    if not (tr["question"] or tr["answer"] or alternates or links):
        return None
    # Its answer rewritten (or a new translation): translated from today's text. Other
    # fields edited alone (a phrasing added, a link) say nothing of whether the answer
    # caught up with the source, and a stale translation stays stale.
    rewritten = _stripped(tr["answer"]) != _stripped(old.get("answer", ""))
    if rewritten or form.get(prefix + "current"):
        tr["source"], tr["reviewed"] = version, today
    else:
        for key in ("source", "reviewed"):
            if key in old:
                tr[key] = old[key]
    extra = {k: v for k, v in old.items() if k not in TRANSLATION_KEYS}
    return {**tr, **extra}  # unknown keys stay, for validation to report


def _with_alternates(tr: dict, texts: list[str]) -> dict:
    """Translation `tr` with `texts` (ways to ask in its language, from the entry's
    phrasings) after its own alternates, each once: a language with a curated translation
    keeps them there, as the Translations page and `kb translations import` do."""
    own = [str(a) for a in tr.get("alternates") or []]
    seen = {normalize(str(tr.get("question", ""))), *map(normalize, own)}
    extra = []
    for text in texts:
        if normalize(text) not in seen:
            seen.add(normalize(text))
            extra.append(text)
    alternates = own + extra
    return {
        "question": tr.get("question", ""),
        **({"alternates": alternates} if alternates else {}),
        **{k: v for k, v in tr.items() if k not in ("question", "alternates")},
    }


def values_from_form(
    form: Mapping[str, str],
    languages: list[str],
    original: Mapping[str, Any] | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The entry values a submitted form means. Translations (`languages`) left empty are
    removed (those of other languages are kept); one edited, or with `tr-<lang>-current`
    ticked, records the current source version and today as reviewed."""
    original = original or {}
    today = today or dt.date.today()
    values: dict[str, Any] = {
        "id": _text(form, "id") or original.get("id", ""),
        "question": _text(form, "question"),
        "alternates": _list(form, "alternates"),
        "answer": _text(form, "answer"),
        "tags": _words(form, "tags"),
        "links": _links(form, "links"),
        "reviewed": _date(_text(form, "reviewed")),
    }
    version = source_version(values["question"], values["answer"])
    old_translations = original.get("translations") or {}
    translations = {}
    for lang, old in old_translations.items():
        if lang not in languages:  # not on the form: kept as it is
            translations[lang] = old
    for lang in languages:
        tr = _translation(form, lang, old_translations.get(lang) or {}, version, today)
        if tr is not None:
            translations[lang] = tr
    phrasings = _phrasings(form)
    # A translation begun in this form takes the phrasings of its language (ways to ask
    # gathered before it existed: a new entry's asked wordings) into its alternates.
    begun = [c for c in phrasings if c not in old_translations and c in translations]
    for lang in begun:
        translations[lang] = _with_alternates(translations[lang], phrasings.pop(lang))
    if translations:
        values["translations"] = translations
    if phrasings:
        values["phrasings"] = phrasings
    related, notes = _words(form, "related"), _text(form, "notes")
    if related:
        values["related"] = related
    if notes:
        values["notes"] = notes
    return values


@dataclass(frozen=True)
class SameWording:
    """A way to ask in an entry being saved that another entry has already."""

    text: str  # as typed in the form
    entry_id: str  # the other entry
    as_question: bool  # it is the other entry's question (else one of its alternates)


_WORDINGS: dict[str, dict[str, tuple[str, bool]]] = {}  # the latest knowledge base's only


def _wordings(kb: KnowledgeBase) -> dict[str, tuple[str, bool]]:
    """Every entry's question and alternates, normalised: (entry id, is the question)."""
    if kb.content_hash not in _WORDINGS:
        found: dict[str, tuple[str, bool]] = {}
        for e in kb.entries:
            for alternate in e.alternates:
                found.setdefault(normalize(alternate), (e.id, False))
        for e in kb.entries:
            found[normalize(e.question)] = (e.id, True)  # a question says more
        _WORDINGS.clear()
        _WORDINGS[kb.content_hash] = found
    return _WORDINGS[kb.content_hash]


def same_wordings(kb: KnowledgeBase, entry_id: str, values: Mapping[str, Any]) -> list[SameWording]:
    """The question and alternates in `values` (entry `entry_id`, being saved) that another
    entry of `kb` has as its question or one of its alternates: a duplicate entry, or two
    entries competing for one wording."""
    known = _wordings(kb)
    found = []
    for text in [values.get("question", ""), *(values.get("alternates") or [])]:
        owner = known.get(normalize(str(text)))
        if str(text).strip() and owner is not None and owner[0] != entry_id:
            found.append(SameWording(str(text), owner[0], owner[1]))
    return found


def translation_state(values: Mapping[str, Any], lang: str) -> str:
    """The curated translation into `lang`: current (made from the entry's current text),
    stale (from an older text), unrecorded (no `source` kept) or none."""
    tr = (values.get("translations") or {}).get(lang)
    if not tr:
        return "none"
    if not tr.get("source"):
        return "unrecorded"
    current = source_version(str(values.get("question", "")), str(values.get("answer", "")))
    return "current" if tr["source"] == current else "stale"


def unfinished(values: Mapping[str, Any]) -> bool:
    """A draft, as FaqEntry.unfinished says: a TODO answer, the `todo` tag or a placeholder
    in the entry's own question or alternates (one in a translation or phrasing is refused
    when the entry is saved)."""
    texts = [values.get("question", ""), *(values.get("alternates") or [])]
    return (
        is_placeholder(str(values.get("answer", "")))
        or "todo" in (values.get("tags") or [])
        or any(is_placeholder(str(text)) for text in texts)
    )


def new_entry_fields(
    question: str,
    wordings: list[tuple[str, str]],
    kb_language: str,
    taken: set[str],
    today: dt.date,
) -> dict[str, str]:
    """A new entry's form prefilled from asked questions: `question` (the cluster's
    `question_in(kb_language)`; empty when none was asked in it) and the asked (text,
    language) `wordings`, each filed under its own language (`curation.file_wordings`):
    alternates in the knowledge base's language (`question`, an asker's wording, first:
    kept when staff rewrite the question), phrasings in the others."""
    question = question.strip()
    alternates, phrasings = curation.file_wordings(question, wordings, kb_language)
    if question:  # the asker's own wording stays a way to ask when staff rewrite the question
        alternates = [question, *alternates]
    values = {
        "id": curation.entry_slug(question, taken) if question else "",
        "question": question,
        "alternates": alternates,
        "answer": "",
        "tags": [],
        "links": [],
        "reviewed": today.isoformat(),
        "phrasings": phrasings,
    }
    return form_fields(values, [])


def machine_drafts(
    translator: Any,
    kb_language: str,
    form: Mapping[str, str],
    languages: list[str],
    glossary: Any = None,
) -> dict[str, str]:
    """Form fields for each language in `languages` whose tab is empty and a model covers:
    the question, alternates and answer translated by machine, for staff to check."""
    fields: dict[str, str] = {}
    if translator is None:
        return fields
    for lang in languages:
        prefix = f"tr-{lang}-"
        if _text(form, prefix + "question") or _text(form, prefix + "answer"):
            continue
        if not translator.covers(kb_language, lang):
            continue

        def tr(text: str, lang: str = lang) -> str:
            found = translator.translate(text, kb_language, lang, glossary) if text else ""
            return (found or "").strip()

        fields[prefix + "question"] = tr(_text(form, "question"))
        fields[prefix + "alternates"] = "\n".join(tr(a) for a in _list(form, "alternates"))
        fields[prefix + "answer"] = tr(_text(form, "answer"))
    return fields
