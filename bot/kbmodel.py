"""What the knowledge base is made of: entries, translations, topics, and its problems.

`bot/knowledge.py` reads and validates topic files into these frozen dataclasses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from bot.messages import counted


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class Translation:
    question: str
    answer: str
    alternates: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()  # the entry's URLs with translated titles
    source: str = ""  # source_version() of the text it translates; "" if not recorded
    reviewed: dt.date | None = None  # when a person last reviewed it


def _normalised(text: str) -> str:
    lines = (" ".join(line.split()) for line in unicodedata.normalize("NFC", text).split("\n"))
    return "\n".join(lines).strip()


def source_version(question: str, answer: str) -> str:
    """The short hash a translation records as `source`: 8 hex digits of the SHA-256 of
    the normalised question, a newline and the normalised answer (Unicode NFC, runs of
    spaces as one, each line and the whole text trimmed)."""
    text = _normalised(question) + "\n" + _normalised(answer)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


# A draft's stand-in for a text staff have still to write: TODO, in capitals, at its start
# and not followed by a letter ("TODO: write the answer", "TODO: another way to ask this").
_PLACEHOLDER = re.compile(r"TODO(?![^\W\d_])")


def is_placeholder(text: str) -> bool:
    """Whether `text` is a draft's placeholder, never a real answer or way of asking. Only
    TODO in capitals: Spanish and Portuguese "todo"/"Todo" ("all", "every") is a word."""
    return _PLACEHOLDER.match(text.strip()) is not None


@dataclass(frozen=True)
class FaqEntry:
    id: str
    topic: str
    question: str
    alternates: tuple[str, ...]
    answer: str
    tags: tuple[str, ...]
    links: tuple[Link, ...]
    reviewed: dt.date
    translations: dict[str, Translation] = field(default_factory=dict, hash=False)
    # more ways to ask per language without a curated translation: matched, never shown
    phrasings: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    related: tuple[str, ...] = ()
    notes: str = ""
    source: str = ""  # "company.yaml:12", for staff

    @property
    def version(self) -> str:
        """The `source` a translation of this entry's current text records."""
        return source_version(self.question, self.answer)

    def stale(self, lang: str) -> bool:
        """The curated translation into `lang` was made from an older question or answer."""
        tr = self.translations.get(lang)
        return tr is not None and bool(tr.source) and tr.source != self.version

    def link_titles(self, lang: str) -> tuple[Link, ...]:
        """The entry's links, titled in `lang` where a current translation gives titles."""
        tr = self.translations.get(lang)
        if tr is None or not tr.links or self.stale(lang):
            return self.links
        titles = {link.url: link.title for link in tr.links}
        return tuple(Link(titles.get(link.url, link.title), link.url) for link in self.links)

    @cached_property
    def draft_marks(self) -> tuple[str, ...]:
        """What makes this entry a draft staff have not completed, in words for them: a
        TODO answer, the `todo` tag, placeholder phrasings in its own question or alternates
        (`is_placeholder`); none for a finished entry. A translation is never a draft: a
        placeholder in it, or in the phrasings of another language, is a problem of the
        knowledge base (bot/knowledge.py), not a reason to serve the entry in no language."""
        texts = [self.question, *self.alternates]
        marks = ["a TODO answer"] if is_placeholder(self.answer) else []
        if "todo" in self.tags:
            marks.append("the `todo` tag")
        marks += [f"the placeholder phrasing {text!r}" for text in texts if is_placeholder(text)]
        return tuple(marks)

    @property
    def unfinished(self) -> bool:
        """A draft staff have not completed (`draft_marks`). The bot does not serve it nor
        match any of its phrasings; `kb check` warns about it."""
        return bool(self.draft_marks)


@dataclass(frozen=True)
class Topic:
    id: str  # the file's stem
    names: dict[str, str] = field(hash=False)
    entry_ids: tuple[str, ...] = ()

    def name_in(self, lang: str, fallback: str) -> str:
        return self.names.get(lang) or self.names.get(fallback) or self.id


@dataclass(frozen=True)
class Phrasing:
    """One way of asking for an entry: its question, an alternate, or a translation of them."""

    entry_id: str
    language: str
    text: str


@dataclass(frozen=True)
class KnowledgeBase:
    language: str
    topics: tuple[Topic, ...]
    entries: tuple[FaqEntry, ...]
    content_hash: str
    by_id: dict[str, FaqEntry] = field(hash=False, repr=False, compare=False)

    def phrasings(self) -> Iterator[Phrasing]:
        """Every phrasing of every finished entry, grouped by entry."""
        for e in self.entries:
            if e.unfinished:
                continue
            for text in (e.question, *e.alternates):
                yield Phrasing(e.id, self.language, text)
            for lang, tr in e.translations.items():
                for text in (tr.question, *tr.alternates):
                    yield Phrasing(e.id, lang, text)
            for lang, texts in e.phrasings.items():
                for text in texts:
                    yield Phrasing(e.id, lang, text)

    def related_both_ways(self) -> dict[str, list[str]]:
        """Per entry id, the entries staff linked to it with `related`, either way: its own
        list first, then the entries that name it."""
        related = {e.id: list(e.related) for e in self.entries}
        for entry in self.entries:
            for other in entry.related:
                named = related.setdefault(other, [])
                if entry.id not in named:
                    named.append(entry.id)
        return related

    def languages(self) -> list[str]:
        langs = {self.language}
        for e in self.entries:
            langs.update(e.translations)
        return sorted(langs)


@dataclass(frozen=True)
class Problem:
    """One problem of the knowledge base. `message` is for the CLI and logs (with `file` and
    `line`, as `kb check` prints it); `code`, `field` and `values` say the same for a form
    that words it for staff: `field` is the key as the entry's form knows it ("answer",
    "tags", "translations.zh.answer", "phrasings.de"), `code` what is wrong with it
    ("empty", "too-few", "language", "duplicate-id", ...), `values` the details
    (("line", "2"), ("other", "money.yaml:12") ...). Empty `code`: only the message says it."""

    file: str
    line: int | None
    entry_id: str | None
    message: str
    code: str = ""
    field: str = ""
    values: tuple[tuple[str, str], ...] = ()

    @property
    def details(self) -> dict[str, str]:
        return dict(self.values)

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        entry = f" [{self.entry_id}]" if self.entry_id else ""
        return f"{where}{entry}: {self.message}"


class KnowledgeError(Exception):
    """The knowledge base has problems; `problems` lists every one of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{counted(len(problems), 'problem')} in the knowledge base")
