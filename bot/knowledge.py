"""The knowledge base: one YAML file per topic in `knowledge/`, validated as a whole.

`load_knowledge(dir, language)` returns a `KnowledgeBase` or raises `KnowledgeError` listing
every problem found (file, line, entry id, message): a broken knowledge base is never
half-loaded. The file format is described in docs/knowledge-format.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError

from bot.kbcache import read_cache, write_kb_cache
from bot.kbmodel import (
    FaqEntry,
    KnowledgeBase,
    KnowledgeError,
    Link,
    Phrasing,
    Problem,
    Topic,
    Translation,
    is_placeholder,
    source_version,
)
from bot.messages import counted

__all__ = [
    "FaqEntry",
    "KnowledgeBase",
    "KnowledgeError",
    "Link",
    "Phrasing",
    "Problem",
    "Topic",
    "Translation",
    "load_knowledge",
    "source_version",
]

# Files in the knowledge folder that are not topic files.
RESERVED_FILES = frozenset({"glossary.yaml", "offtopic.yaml"})

# ISO 639-1 codes, the language codes allowed in `translations:` and `topic:`.
LANGUAGE_CODES = frozenset(
    """aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu
    cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho
    hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv
    kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr
    nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq
    sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh
    yi yo za zh zu""".split()
)

ENTRY_REQUIRED = ("id", "question", "alternates", "answer", "tags", "links", "reviewed")
ENTRY_OPTIONAL = ("translations", "phrasings", "related", "notes")
TRANSLATION_KEYS = ("question", "alternates", "answer", "links", "source", "reviewed")
SOURCE_PATTERN = re.compile(r"^[0-9a-f]{8}$")
MAX_ID_LENGTH = 60
RULES = "kb-v5"  # see content_hash
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
URL_PATTERN = re.compile(r"^https?://[^\s/]+\.[^\s]+$")


def topic_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.name not in RESERVED_FILES)


def content_hash(directory: Path, language: str) -> str:
    """Hash of every topic file's name and bytes (and the KB language). The `kb-v` number
    goes up whenever validation gets stricter, so that no cached knowledge base checked by
    the older rules is served (v4: a translation's TODO placeholder is a problem; v5: so is
    one among its alternates or the entry's phrasings)."""
    digest = hashlib.sha256(f"{RULES}:{language}".encode())
    for path in topic_files(directory):
        digest.update(path.name.encode() + b"\0")
        try:
            digest.update(path.read_bytes() + b"\0")
        except OSError as exc:  # reported by the load; never a cached knowledge base
            digest.update(f"unreadable: {exc}".encode() + b"\0")
    return digest.hexdigest()


class _DatesAsText(RoundTripConstructor):
    """Leaves dates as text, so that an impossible date is a problem with a line number."""


_DatesAsText.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda self, node: self.construct_scalar(node)
)


# What the YAML reader says of a syntax error, in words staff can act on: (part of what it
# says, what to tell staff; {char}, {key}, {opened}: filled in from the error).
_PLAIN_YAML = (
    ("found character '\\t'", "a tab character: indent with spaces only"),
    (
        "that cannot start any token",
        "a text cannot start with {char}: put the whole text in quotes",
    ),
    ("found undefined alias", "a text cannot start with *: put the whole text in quotes"),
    (
        "mapping values are not allowed here",
        "a colon followed by a space inside a text, or a line indented too far: put the "
        "whole text in quotes, or line it up with the lines above it",
    ),
    ("found duplicate key", "`{key}` is written twice here (first on line {opened}): keep one"),
    (
        "end of stream",
        "the quote opened on line {opened} is never closed: end the text with the same quote",
    ),
    (
        "while parsing a flow",
        "the brackets opened on line {opened} are never closed, or their items are not "
        "separated by commas",
    ),
    (
        "expected <block end>",
        "this line is not lined up with the lines above it, or a text goes on after its "
        "closing quote: fix the indentation, or put the whole text in quotes",
    ),
)


def yaml_problem(file: str, exc: YAMLError) -> Problem:
    """A YAML syntax error in `file` as a problem: the line it is on and what is wrong, in
    plain words where the reader's own are cryptic (those follow, for whoever knows YAML)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line: int | None = mark.line + 1 if mark is not None else None
    said = str(getattr(exc, "problem", None) or str(exc).splitlines()[0])
    context = getattr(exc, "context_mark", None)
    seen = f"{said} {getattr(exc, 'context', '') or ''}"
    plain = next((words for part, words in _PLAIN_YAML if part in seen), None)
    if plain is None:
        return Problem(file, line, None, f"invalid YAML: {said}")
    char = re.search(r"found character '(.+?)'", said)
    key = re.search(r'found duplicate key "(.*?)"', said)
    plain = plain.format(
        char=char.group(1) if char else "this character",
        key=key.group(1) if key else "a key",
        opened=context.line + 1 if context is not None else "?",
    )
    return Problem(file, line, None, f"invalid YAML: {plain} (the YAML reader says: {said})")


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _DatesAsText
    return yaml


def parse_topic_text(text: str) -> Any:
    """A topic file's text parsed round-trip (with line numbers), dates left as text."""
    return _yaml().load(text.lstrip("\ufeff"))


def round_trip_yaml() -> YAML:
    """The YAML reader/writer that edits topic files in place, keeping comments, order,
    quotes and the knowledge base's layout (used by translation import and curation)."""
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    # Never `&id001` / `*id001`: one date object in two translations' `reviewed` was
    # written as an anchor and an alias, which staff editing the file cannot follow.
    yaml.representer.ignore_aliases = lambda data: True
    return yaml


class _FileChecker:
    """Validates one parsed topic file, collecting problems instead of stopping."""

    def __init__(self, name: str, kb_language: str, problems: list[Problem]):
        self.name = name
        self.kb_language = kb_language
        self.problems = problems
        self.ids: list[tuple[str, str]] = []  # (id, "file:line") of every entry, even broken
        # (id, "file:line", related ids) of every entry naming related ones, even broken:
        # an unknown one is reported with the entry's other problems, not after they are fixed
        self.related: list[tuple[str, str, tuple[str, ...]]] = []
        self.unread = False  # the file is not valid YAML (or not readable at all)

    def problem(
        self,
        node: Any,
        key: Any,
        entry_id: str | None,
        message: str,
        code: str = "",
        field: str = "",
        **values: Any,
    ) -> None:
        """Record a problem at `node[key]`; `code`, `field` and `values`: see `Problem`."""
        line = None
        try:
            if key is not None and isinstance(node, CommentedMap | CommentedSeq):
                line = node.lc.key(key) if isinstance(node, CommentedMap) else node.lc.item(key)
                line = line[0] + 1
            elif isinstance(node, CommentedMap | CommentedSeq):
                line = node.lc.line + 1
        except (KeyError, IndexError, TypeError, AttributeError):
            line = None
        details = tuple((name, str(value)) for name, value in values.items())
        self.problems.append(Problem(self.name, line, entry_id, message, code, field, details))

    def text(self, node: Any, key: str, eid: str | None, field: str = "") -> str | None:
        value = node.get(key)
        if not isinstance(value, str) or not value.strip():
            what = "is missing" if key not in node else "must be non-empty text"
            at = key if key in node else None
            self.problem(node, at, eid, f"`{key}` {what}", "empty", field or key)
            return None
        return value.strip()

    def translated_text(self, tr: Any, key: str, code: str, eid: str | None) -> str | None:
        """A translation's question or answer: non-empty text, and no draft's placeholder
        (a translation is served as soon as it loads; there is no draft translation)."""
        field = f"translations.{code}.{key}"
        value = self.text(tr, key, eid, field)
        if value is not None and is_placeholder(value):
            self.problem(
                tr,
                key,
                eid,
                f"`{key}` of translation {code!r} is the placeholder {value!r}, not a "
                "translation: write the translation, or delete it",
                "placeholder",
                field,
                text=value,
            )
            return None
        return value

    def ways_to_ask(self, node: Any, key: str, code: str, eid: str | None, minimum: int) -> tuple:
        """More ways to ask in language `code` (a translation's `alternates`, the entry's
        `phrasings` in it): texts, and no draft's placeholder. Only the entry's own text can
        make it a draft; a placeholder here took the whole entry off the air in every
        language."""
        field = f"translations.{code}.{key}" if key == "alternates" else f"phrasings.{code}"
        texts = self.texts(node, key, eid, minimum, field)
        value = node.get(key)
        for i, item in enumerate(value if isinstance(value, list) else []):
            if isinstance(item, str) and is_placeholder(item):
                what = "alternate" if key == "alternates" else "phrasing"
                self.problem(
                    value,
                    i,
                    eid,
                    f"{what} {i + 1} in {code!r} is the placeholder {item.strip()!r}, not a way "
                    f"to ask: write a real way to ask in {code!r}, or delete it",
                    "placeholder",
                    field,
                    text=item.strip(),
                )
        return tuple(text for text in texts if not is_placeholder(text))

    def texts(self, node: Any, key: str, eid: str | None, minimum: int, field: str = "") -> tuple:
        field = field or key
        value = node.get(key)
        if key not in node:
            self.problem(node, None, eid, f"`{key}` is missing", "too-few", field, minimum=minimum)
            return ()
        if not isinstance(value, list):
            self.problem(node, key, eid, f"`{key}` must be a list of texts", "not-list", field)
            return ()
        items = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                message = f"`{key}` item {i + 1} must be non-empty text"
                self.problem(value, i, eid, message, "empty-item", field, item=i + 1)
            else:
                items.append(item.strip())
        if len(value) < minimum:
            message = f"`{key}` needs at least {counted(minimum, 'item')}"
            self.problem(node, key, eid, message, "too-few", field, minimum=minimum)
        return tuple(items)

    def language(self, node: Any, key: Any, code: Any, eid: str | None, field: str = "") -> bool:
        if not isinstance(code, str) or code not in LANGUAGE_CODES:
            message = f"unknown language code {code!r} (use ISO 639-1, e.g. zh)"
            self.problem(node, key, eid, message, "language", field, lang=code)
            return False
        return True

    def topic(self, data: Any, stem: str) -> dict[str, str]:
        raw = data.get("topic")
        if raw is None:
            return {}
        if isinstance(raw, str) and raw.strip():
            return {self.kb_language: raw.strip()}
        if not isinstance(raw, dict) or not raw:
            self.problem(data, "topic", None, "`topic` must be a name or a mapping language: name")
            return {}
        names = {}
        for code, name in raw.items():
            if self.language(raw, code, code, None):
                if not isinstance(name, str) or not name.strip():
                    self.problem(raw, code, None, f"topic name for {code!r} must be non-empty text")
                else:
                    names[code] = name.strip()
        return names

    def links(self, node: Any, eid: str, field: str = "links") -> tuple[Link, ...]:
        value = node.get("links")
        if "links" not in node:
            self.problem(node, None, eid, "`links` is missing (use [] where there is no source)")
            return ()
        if not isinstance(value, list):
            self.problem(node, "links", eid, "`links` must be a list")
            return ()
        links = []
        for i, item in enumerate(value):
            title: Any
            url: Any
            if isinstance(item, str):
                title, url = item, item
            elif isinstance(item, dict) and set(item) <= {"title", "url"} and "url" in item:
                title, url = item.get("title") or item.get("url"), item.get("url")
            else:
                message = "a link is a URL or a mapping with `title` and `url`"
                self.problem(value, i, eid, message, "link", field, item=i + 1, url="")
                continue
            if not isinstance(url, str) or not URL_PATTERN.match(url.strip()):
                message = f"link {url!r} is not an http(s) URL"
                self.problem(value, i, eid, message, "link", field, item=i + 1, url=url)
                continue
            links.append(Link(str(title).strip(), url.strip()))
        return tuple(links)

    def reviewed(self, node: Any, eid: str, field: str = "reviewed") -> dt.date | None:
        value = node.get("reviewed")
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        what = "is missing" if "reviewed" not in node else "must be a date like 2026-11-01"
        at = "reviewed" if "reviewed" in node else None
        self.problem(node, at, eid, f"`reviewed` {what}", "date", field)
        return None

    def translations(self, node: Any, eid: str, urls: tuple[str, ...]) -> dict[str, Translation]:
        raw = node.get("translations")
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problem(node, "translations", eid, "`translations` must map language codes")
            return {}
        result = {}
        for code, tr in raw.items():
            if not self.language(raw, code, code, eid, "translations"):
                continue
            if code == self.kb_language:
                self.problem(
                    raw,
                    code,
                    eid,
                    f"translation into {code!r}, the knowledge base's "
                    "own language: put that text in the entry itself",
                )
                continue
            if not isinstance(tr, dict):
                self.problem(raw, code, eid, f"translation {code!r} must have question and answer")
                continue
            for key in sorted(set(map(str, tr)) - set(TRANSLATION_KEYS)):
                self.problem(tr, key, eid, f"unknown key `{key}` in translation {code!r}")
            question = self.translated_text(tr, "question", code, eid)
            answer = self.translated_text(tr, "answer", code, eid)
            alternates = (
                self.ways_to_ask(tr, "alternates", code, eid, 0) if "alternates" in tr else ()
            )
            links = self.translated_links(tr, code, eid, urls) if "links" in tr else ()
            source = tr.get("source", "")
            if "source" in tr and not (isinstance(source, str) and SOURCE_PATTERN.match(source)):
                self.problem(
                    tr,
                    "source",
                    eid,
                    f"`source` of translation {code!r} must be 8 hex digits in quotes "
                    f"(the source version `kb translations import` writes), got {source!r}",
                )
                source = ""
            reviewed = (
                self.reviewed(tr, eid, f"translations.{code}.reviewed")
                if "reviewed" in tr
                else None
            )
            if question and answer:
                result[code] = Translation(question, answer, alternates, links, source, reviewed)
        return result

    def phrasings(
        self, node: Any, eid: str, translated: dict[str, Translation]
    ) -> dict[str, tuple[str, ...]]:
        """`phrasings`: more ways to ask, per language, matched but never shown, for the
        languages the entry has no curated translation in (those keep theirs in the
        translation's `alternates`, the knowledge base's own language in `alternates`)."""
        raw = node.get("phrasings")
        if raw is None:
            return {}
        if not isinstance(raw, dict) or not raw:
            self.problem(node, "phrasings", eid, "`phrasings` must map language codes to texts")
            return {}
        result = {}
        for code in raw:
            if not self.language(raw, code, code, eid, "phrasings"):
                continue
            if code == self.kb_language or code in translated:
                where = "`alternates`" if code == self.kb_language else f"translation {code!r}"
                self.problem(raw, code, eid, f"phrasings in {code!r} belong in the entry's {where}")
                continue
            texts = self.ways_to_ask(raw, code, code, eid, 1)
            if texts:
                result[code] = texts
        return result

    def translated_links(
        self, tr: Any, code: str, eid: str, urls: tuple[str, ...]
    ) -> tuple[Link, ...]:
        links = self.links(tr, eid, f"translations.{code}.links")
        seen = set()
        for i, link in enumerate(links):
            if link.url not in urls:
                self.problem(
                    tr["links"],
                    i,
                    eid,
                    f"translation {code!r} links to {link.url!r}, which is not one of the "
                    "entry's links (use the same URLs, with translated titles)",
                )
            elif link.url in seen:
                self.problem(tr["links"], i, eid, f"translation {code!r} repeats {link.url!r}")
            seen.add(link.url)
        return links

    def entry(self, parent: Any, index: int, stem: str) -> FaqEntry | None:
        node = parent[index]
        if not isinstance(node, dict):
            self.problem(parent, index, None, "an entry must be a mapping with id, question, ...")
            return None
        raw_id = node.get("id")
        eid = raw_id if isinstance(raw_id, str) else None
        if eid is None or not ID_PATTERN.match(eid):
            self.problem(
                node,
                "id" if "id" in node else None,
                eid,
                "`id` must be a slug of lowercase letters, digits and hyphens",
                "id-format",
                "id",
            )
        elif len(eid) > MAX_ID_LENGTH:
            self.problem(
                node,
                "id",
                eid,
                f"`id` must be at most {MAX_ID_LENGTH} characters (it travels in Telegram buttons)",
                "id-length",
                "id",
                maximum=MAX_ID_LENGTH,
            )
        for key in sorted(set(map(str, node)) - set(ENTRY_REQUIRED) - set(ENTRY_OPTIONAL)):
            self.problem(node, key, eid, f"unknown key `{key}`")
        question = self.text(node, "question", eid)
        alternates = self.texts(node, "alternates", eid, 1)
        answer = self.text(node, "answer", eid)
        tags = self.texts(node, "tags", eid, 1)
        links = self.links(node, eid or "?")
        reviewed = self.reviewed(node, eid or "?")
        translations = self.translations(node, eid or "?", tuple(link.url for link in links))
        phrasings = self.phrasings(node, eid or "?", translations)
        related = self.texts(node, "related", eid, 0) if "related" in node else ()
        notes = node.get("notes", "")
        if not isinstance(notes, str):
            self.problem(node, "notes", eid, "`notes` must be text")
            notes = ""
        line = node.lc.line + 1 if isinstance(node, CommentedMap) else 0
        if eid is not None:
            self.ids.append((eid, f"{self.name}:{line}"))
            if related:
                self.related.append((eid, f"{self.name}:{line}", related))
        if eid is None or question is None or answer is None or reviewed is None:
            return None
        return FaqEntry(
            id=eid,
            topic=stem,
            question=question,
            alternates=alternates,
            answer=answer,
            tags=tags,
            links=links,
            reviewed=reviewed,
            translations=translations,
            phrasings=phrasings,
            related=related,
            notes=notes.strip(),
            source=f"{self.name}:{line}",
        )


# Parsed topic files by content, so that validating an edit (a staged copy of the folder
# with one file changed) parses only that file: the round-trip parse is most of the time.
# Bounded by the size of the texts kept.
_PARSED: OrderedDict[bytes, tuple[Any, int]] = OrderedDict()
_PARSED_LIMIT = 4_000_000  # characters of YAML text: about 40 MB of parsed trees
_PARSED_LOCK = threading.Lock()


def parsed_topic(text: str) -> Any:
    """`parse_topic_text(text)`, remembered by content: callers must not change the tree
    (the loader and bot/kbedit.py only read it)."""
    key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    with _PARSED_LOCK:
        if key in _PARSED:
            _PARSED.move_to_end(key)
            return _PARSED[key][0]
    data = parse_topic_text(text)  # raises YAMLError, ValueError: not remembered
    if len(text) <= _PARSED_LIMIT:
        with _PARSED_LOCK:
            _PARSED[key] = (data, len(text))
            while sum(size for _, size in _PARSED.values()) > _PARSED_LIMIT:
                _PARSED.popitem(last=False)
    return data


def _parse(path: Path, problems: list[Problem]) -> Any:
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:  # a folder named *.yaml, a file staff may not read
        problems.append(Problem(name, None, None, f"cannot read the file: {exc.strerror}"))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = data[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(name, at, None, f"not UTF-8 text (byte {exc.start}): save the file as UTF-8")
        )
        return None
    try:
        return parsed_topic(text)
    except YAMLError as exc:
        problems.append(yaml_problem(name, exc))
    except (ValueError, TypeError) as exc:  # e.g. an explicit tag on a wrong value: !!int abc
        problems.append(Problem(name, None, None, f"invalid value: {exc}"))
    return None


def _check_file(path: Path, checker: _FileChecker) -> tuple[Topic, list]:
    problems = checker.problems
    before = len(problems)
    data = _parse(path, problems)
    checker.unread = len(problems) > before
    empty = Topic(path.stem, {})
    if data is None and not any(p.file == path.name for p in problems):
        checker.problem(None, None, None, "the file is empty: it needs an `entries:` list")
    if data is None:
        return empty, []
    if not isinstance(data, dict):
        checker.problem(data, None, None, "the file must be a mapping with an `entries:` list")
        return empty, []
    for key in sorted(set(map(str, data)) - {"topic", "entries"}):
        checker.problem(data, key, None, f"unknown top-level key `{key}`")
    names = checker.topic(data, path.stem)
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        checker.problem(
            data,
            "entries" if "entries" in data else None,
            None,
            "`entries` must be a non-empty list",
        )
        return Topic(path.stem, names), []
    found = (checker.entry(raw_entries, i, path.stem) for i in range(len(raw_entries)))
    entries = [e for e in found if e]
    return Topic(path.stem, names, tuple(e.id for e in entries)), entries


# Each topic file's validated result (its topic, entries and ids) by name and content, so
# that validating an edit (a staged copy of the folder with one file changed) parses and
# checks only the changed file: the round-trip parse of ~4 MB of YAML took 10-50 s on a
# busy machine. Only files without problems are kept; bounded by the entries kept.
_CHECKED: OrderedDict[tuple[str, str, bytes], tuple[Topic, tuple[FaqEntry, ...]]] = OrderedDict()
_CHECKED_LIMIT = 100_000  # entries: the running knowledge base's objects, shared
_CHECKED_LOCK = threading.Lock()


def _file_key(path: Path, language: str) -> tuple[str, str, bytes] | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return (path.name, f"{RULES}:{language}", hashlib.sha256(data).digest())


def _remember_checked(key: tuple[str, str, bytes] | None, topic: Topic, entries: list) -> None:
    if key is None:
        return
    with _CHECKED_LOCK:
        _CHECKED[key] = (topic, tuple(entries))
        _CHECKED.move_to_end(key)
        while sum(len(found) for _, found in _CHECKED.values()) > _CHECKED_LIMIT:
            _CHECKED.popitem(last=False)


def _checked(key: tuple[str, str, bytes] | None) -> tuple[Topic, tuple[FaqEntry, ...]] | None:
    with _CHECKED_LOCK:
        if key is None or key not in _CHECKED:
            return None
        _CHECKED.move_to_end(key)
        return _CHECKED[key]


def _remember_files(kb: KnowledgeBase, keys: dict[str, tuple[str, str, bytes] | None]) -> None:
    """Each file's part of `kb` (valid as a whole: loaded from the cache), for `_checked`."""
    by_file: dict[str, list[FaqEntry]] = {}
    for e in kb.entries:
        by_file.setdefault(e.source.rsplit(":", 1)[0], []).append(e)
    for topic in kb.topics:
        name = f"{topic.id}.yaml"
        if name in keys:
            _remember_checked(keys[name], topic, by_file.get(name, []))


def _raw_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return ""


def _written_in(entry_id: str, texts: list[str]) -> bool:
    """Whether one of `texts` (files that could not be read as YAML) seems to hold the
    entry `entry_id`: its `id:` line."""
    line = re.compile(rf"^[ -]*id: *['\"]?{re.escape(entry_id)}['\"]? *(#.*)?$", re.MULTILINE)
    return any(line.search(text) for text in texts)


def _check_links(
    ids: list[tuple[str, str]],
    named: list[tuple[str, str, tuple[str, ...]]],
    problems: list[Problem],
    unread: list[str],
) -> None:
    """Duplicate ids, and `related` names no entry has (`named`: each entry's id, source
    and related ids, broken entries' too; `unread`: the text of files that are not valid
    YAML, whose entries are not known; a name found there is not reported, it would be a
    second, wrong problem)."""
    seen: dict[str, str] = {}
    for eid, source in ids:
        if eid in seen:
            file, line = source.rsplit(":", 1)
            message = f"duplicate id: also used at {seen[eid]}"
            other = (("id", eid), ("other", seen[eid]))
            problems.append(Problem(file, int(line), eid, message, "duplicate-id", "id", other))
        else:
            seen[eid] = source
    for eid, source, related in named:
        for rel in related:
            if rel not in seen and not _written_in(rel, unread):
                file, line = source.rsplit(":", 1)
                message = f"`related` names unknown entry {rel!r}"
                details = (("id", rel),)
                problems.append(
                    Problem(file, int(line), eid, message, "unknown-related", "related", details)
                )


def load_knowledge(
    directory: Path, language: str = "en", cache_dir: Path | None = None
) -> KnowledgeBase:
    """Load and validate every topic file in `directory`, or raise KnowledgeError.

    With `cache_dir`, a knowledge base that loaded without problems is stored there as JSON
    keyed by its content hash, and the next load of the same content skips YAML parsing.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise KnowledgeError([Problem(str(directory), None, None, "no such knowledge folder")])
    files = topic_files(directory)
    if not files:
        raise KnowledgeError([Problem(str(directory), None, None, "no topic files (*.yaml)")])
    digest = content_hash(directory, language)
    cache = Path(cache_dir) / f"knowledge-{digest[:32]}.json" if cache_dir else None
    keys = {path.name: _file_key(path, language) for path in files}
    if cache is not None and cache.is_file():
        cached = read_cache(cache, digest)
        if cached is not None:
            _remember_files(cached, keys)
            return cached
    problems: list[Problem] = []
    topics, unread = [], []
    entries: list[FaqEntry] = []
    ids: list[tuple[str, str]] = []
    named: list[tuple[str, str, tuple[str, ...]]] = []
    for path in files:
        known = _checked(keys[path.name])
        if known is not None:  # this very file validated before: nothing to parse
            topics.append(known[0])
            entries.extend(known[1])
            ids.extend((e.id, e.source) for e in known[1])
            named.extend((e.id, e.source, e.related) for e in known[1] if e.related)
            continue
        checker = _FileChecker(path.name, language, [])
        topic, found = _check_file(path, checker)
        topics.append(topic)
        entries.extend(found)
        ids.extend(checker.ids)
        named.extend(checker.related)
        if checker.unread:
            unread.append(_raw_text(path))
        if not checker.problems:
            _remember_checked(keys[path.name], topic, found)
        problems.extend(checker.problems)
    _check_links(ids, named, problems, unread)
    if problems:
        raise KnowledgeError(problems)
    kb = KnowledgeBase(
        language=language,
        topics=tuple(topics),
        entries=tuple(entries),
        content_hash=digest,
        by_id={e.id: e for e in entries},
    )
    if cache is not None:
        write_kb_cache(cache, kb)
    return kb
