"""Curation: turn the unanswered queue into knowledge-base changes.

`clusters()` groups queued questions that mean the same thing, across languages, so staff
answer a question once for everyone who asked it. `add_alternates()` adds asked questions
to an existing entry's phrasings; `new_entry_scaffold()` drafts a new entry for staff to
complete. Every change to a topic file is made on a staged copy of the knowledge base and
written only if the whole knowledge base still validates.

Clustering is average-link (UPGMA) on the encoder's unit vectors, cut at a mean cosine of
`threshold` between groups, computed exactly with the nearest-neighbour chain on the dense
similarity matrix. Unlike connected components, it does not chain unrelated questions
together through a few borderline pairs; unlike a fixed number of clusters, it needs no
guess of how many topics there are. Deterministic (ties go to the lower index); 10,000
distinct questions take 1.5-3.5 s and 0.4 GB on 2 cores, after embedding them (~0.6 ms each).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import textwrap
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from bot import kbedit
from bot.config import LanguagesConfig
from bot.knowledge import (
    MAX_ID_LENGTH,
    FaqEntry,
    KnowledgeBase,
    load_knowledge,
    round_trip_yaml,
    topic_files,
)
from bot.language import LanguageDetector
from bot.messages import counted
from bot.normalize import normalize

DEFAULT_THRESHOLD = 0.6  # chosen on bench/data/heldout.yaml and CLINC150: see group()
MAX_DISTINCT = 20_000  # distinct questions clustered at once: a 1.6 GB similarity matrix
TODO_ANSWER = "TODO: write the answer"


class Encodes(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


class CurationError(Exception):
    """A curation step cannot be done as asked; nothing was written."""


class UnknownEntryError(CurationError):
    def __init__(self, entry_id: str, known: Sequence[str] = ()):
        import difflib

        self.entry_id = entry_id
        close = difflib.get_close_matches(entry_id, list(known), n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        super().__init__(f"unknown entry id {entry_id!r}{hint}")


# Clustering ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cluster:
    """Queued questions that mean the same thing; members closest to the representative
    come first (`ids`, `questions` and `item_languages` are parallel)."""

    ids: tuple[int, ...]
    questions: tuple[str, ...]
    item_languages: tuple[str, ...]
    languages: dict[str, int] = field(hash=False)  # language -> people asking in it, most first
    users: tuple[str, ...]  # distinct user keys
    representative: str  # the medoid: most similar, on average, to the other members
    representative_id: int

    @property
    def counts(self) -> str:
        """Like "12 people in 4 languages"."""
        people, langs = len(self.users), len(self.languages)
        return (
            f"{people} {'person' if people == 1 else 'people'} in {langs} "
            f"language{'' if langs == 1 else 's'}"
        )

    @property
    def summary(self) -> str:
        return f"{self.counts} asked: {self.representative}"

    def question_in(self, language: str) -> str:
        """The most central member asked in `language`, else the representative."""
        for question, lang in zip(self.questions, self.item_languages, strict=True):
            if lang == language:
                return question
        return self.representative


def group(vectors: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> list[list[int]]:
    """Average-link clustering of unit `vectors`, cut where the mean cosine between two
    groups falls below `threshold`: lists of row indices.

    The nearest-neighbour-chain algorithm on the dense similarity matrix (float32, n x n):
    about 3n row operations after one matrix product. A group whose best neighbour is
    below the threshold is final, since average link can only lower that similarity.
    """
    n = len(vectors)
    if n > MAX_DISTINCT:
        raise CurationError(
            f"{n} distinct questions is more than the {MAX_DISTINCT} that "
            "can be clustered at once; narrow them down (by time or language)"
        )
    sims = np.asarray(vectors, dtype=np.float32) @ np.asarray(vectors, dtype=np.float32).T
    np.fill_diagonal(sims, -np.inf)
    size = np.ones(n)
    members: list[list[int]] = [[i] for i in range(n)]
    alive = np.ones(n, dtype=bool)
    final: list[list[int]] = []
    chain: list[int] = []
    first = 0
    while True:
        if not chain:
            while first < n and not alive[first]:
                first += 1
            if first == n:
                return final
            chain.append(first)
        a = chain[-1]
        b = int(np.argmax(sims[a]))
        if len(chain) > 1 and sims[a, chain[-2]] >= sims[a, b]:
            b = chain[-2]  # on a tie, go back down the chain: it must end
        if sims[a, b] < threshold:  # nothing near enough: a is finished
            chain.pop()
            final.append(members[a])
            alive[a] = False
            sims[a, :] = sims[:, a] = -np.inf
        elif len(chain) > 1 and b == chain[-2]:  # reciprocal nearest neighbours: merge
            del chain[-2:]
            keep, gone = min(a, b), max(a, b)
            row = (size[a] * sims[a] + size[b] * sims[b]) / (size[a] + size[b])
            row[[keep, gone]] = -np.inf
            sims[keep, :] = sims[:, keep] = row
            sims[gone, :] = sims[:, gone] = -np.inf
            size[keep] += size[gone]
            members[keep] += members[gone]
            alive[gone] = False
        else:
            chain.append(b)


def _make_cluster(items: list[dict], vectors: np.ndarray) -> Cluster:
    """One cluster of `items` (rows of the unanswered table) with their unit vectors."""
    closeness = vectors @ vectors.sum(axis=0)  # sum of cosines to every member
    medoid = int(np.argmax(closeness))
    closeness = vectors @ vectors[medoid]
    closeness[medoid] = np.inf
    ranked = [items[i] for i in np.lexsort(([it["id"] for it in items], -closeness))]
    # The language each is written in (a Vietnamese question is logged as answered, in English):
    # a new entry's question is the central one asked in the knowledge base's language.
    written = tuple(asked_language(it["question"], it["language"]) for it in ranked)
    # People, not questions: one who asked twice in Russian is "ru 1"
    people = dict.fromkeys((it["user_key"], lang) for it, lang in zip(ranked, written, strict=True))
    languages = Counter(lang for _, lang in people)
    return Cluster(
        ids=tuple(it["id"] for it in ranked),
        questions=tuple(it["question"] for it in ranked),
        item_languages=written,
        languages=dict(languages.most_common()),
        users=tuple(dict.fromkeys(it["user_key"] for it in ranked)),
        representative=items[medoid]["question"],
        representative_id=items[medoid]["id"],
    )


def _unique_vectors(items: list[dict], encoder: Encodes) -> tuple[np.ndarray, np.ndarray]:
    """Vectors of the distinct questions (by normalised text) and each item's row in them."""
    keys: dict[str, int] = {}
    texts: list[str] = []
    rows = np.empty(len(items), dtype=np.int64)
    for i, item in enumerate(items):
        key = normalize(item["question"]) or item["question"]
        if key not in keys:
            keys[key] = len(texts)
            texts.append(item["question"])
        rows[i] = keys[key]
    return np.asarray(encoder.encode(texts), dtype=np.float32), rows


def clusters(
    items: list[dict], encoder: Encodes, threshold: float = DEFAULT_THRESHOLD
) -> list[Cluster]:
    """Group queued questions (dicts with id, question, language, user_key) that mean the
    same thing in any language; biggest first (most people, then most questions).

    Questions equal after normalisation are embedded once and always share a cluster.
    """
    if not items:
        return []
    unique, rows = _unique_vectors(items, encoder)
    groups = group(unique, threshold)
    owner = np.empty(len(unique), dtype=np.int64)
    for g, members in enumerate(groups):
        owner[members] = g
    by_group: dict[int, list[int]] = {}
    for i in np.argsort(owner[rows], kind="stable"):
        by_group.setdefault(int(owner[rows[i]]), []).append(int(i))
    result = [
        _make_cluster([items[i] for i in idx], unique[rows[idx]]) for idx in by_group.values()
    ]
    result.sort(key=lambda c: (-len(c.users), -len(c.ids), min(c.ids)))
    return result


def cluster_of(items: list[dict], encoder: Encodes) -> Cluster:
    """All `items` as one cluster, to find their representative."""
    if not items:
        raise CurationError("no questions given")
    unique, rows = _unique_vectors(items, encoder)
    return _make_cluster(items, unique[rows])


# Editing topic files ---------------------------------------------------------------------


def _yaml() -> YAML:
    return round_trip_yaml()


def _dump(data: object) -> str:
    stream = io.StringIO()
    _yaml().dump(data, stream)
    return stream.getvalue()


@dataclass(frozen=True)
class AlternatesPlan:
    """What `add_alternates` would do: (language, or None for the knowledge base's own, text)
    to add, and the questions skipped because the entry already has them."""

    entry: FaqEntry
    added: tuple[tuple[str | None, str], ...]
    skipped: tuple[str, ...]

    @property
    def file(self) -> str:
        return self.entry.source.rsplit(":", 1)[0]


@functools.cache
def _detector() -> LanguageDetector:
    return LanguageDetector(LanguagesConfig().supported)


def asked_language(question: str, logged: str) -> str:
    """The language a logged question is written in, for its place among an entry's
    phrasings. The log holds the language it was answered in: for Vietnamese or Uzbek that
    is English (or the language the user chose), for Kazakh Russian, for Hindi or Persian
    from a user who chose English, English; "Làm sao mở tài khoản ngân hàng" would become
    an English alternate. Detection names a language the bot does not configure by its
    script or letters (Detection.written); any other question keeps `logged`."""
    found = _detector().detect(question)
    code = found.written or found.language
    return code if code and code not in _detector().supported else logged


def plan_alternates(
    kb: KnowledgeBase,
    entry_id: str,
    questions: Sequence[str],
    languages: Sequence[str] | None = None,
) -> AlternatesPlan:
    """Decide where each question goes; see `add_alternates`."""
    entry = kb.by_id.get(entry_id)
    if entry is None:
        raise UnknownEntryError(entry_id, [e.id for e in kb.entries])
    languages = list(languages) if languages is not None else [kb.language] * len(questions)
    if len(languages) != len(questions):
        raise ValueError("give one language per question")
    seen = set(_phrasing_keys(entry))
    owners = {
        key: other for other in kb.entries if other.id != entry_id for key in _phrasing_keys(other)
    }
    added, skipped = [], []
    for question, logged in zip(questions, languages, strict=True):
        text = question.strip()
        key = normalize(text)
        if not key or key in seen:
            skipped.append(question)
            continue
        if key in owners:  # resolved there already (a stale page, the CLI, a chosen suggestion)
            owner = owners[key]
            raise CurationError(
                f"{text!r} is already a phrasing of entry {owner.id!r} (“{owner.question}”): "
                f"a wording answers one entry; take it out of {owner.id} first if it "
                f"belongs to {entry_id}"
            )
        seen.add(key)
        lang = asked_language(text, logged)
        added.append((lang if lang != kb.language else None, text))
    return AlternatesPlan(entry, tuple(added), tuple(skipped))


def _phrasing_keys(entry: FaqEntry) -> Iterator[str]:
    """The normalised texts of every phrasing of `entry`, in any language."""
    yield from map(normalize, (entry.question, *entry.alternates))
    for tr in entry.translations.values():
        yield from map(normalize, (tr.question, *tr.alternates))
    for texts in entry.phrasings.values():
        yield from map(normalize, texts)


def is_unfinished(entry: FaqEntry) -> bool:
    """A drafted entry not completed yet: a TODO answer or the `todo` tag."""
    return entry.unfinished


def add_alternates(
    kb_dir: Path,
    entry_id: str,
    questions: Sequence[str],
    *,
    languages: Sequence[str] | None = None,
    kb_language: str = "en",
) -> Path:
    """Append `questions` to the phrasings of entry `entry_id`; return the file written.

    Questions already among the entry's phrasings (after normalisation) are skipped. A
    question in another language than the knowledge base's (`languages`, parallel to
    `questions`) goes to `translations: {lang: {alternates: [...]}}` when the entry has a
    curated translation into that language, otherwise to `phrasings: {lang: [...]}` (matched,
    never shown: a translation block cannot be started without a curated question and
    answer). A question written in a language the bot does not configure goes to that
    language's phrasings whatever `languages` says (`asked_language`): the log holds the
    language it was answered in. A question that is already another entry's phrasing is
    refused (CurationError): one wording answers one entry. Comments, order and formatting
    are kept; the knowledge base is validated on a staged copy first and nothing is written
    on error.
    """
    kb_dir = Path(kb_dir)
    plan = plan_alternates(load_knowledge(kb_dir, kb_language), entry_id, questions, languages)
    path = kb_dir / plan.file
    if not plan.added:
        return path
    by_language: dict[str | None, list[str]] = {}
    for lang, question in plan.added:
        by_language.setdefault(lang, []).append(question)
    try:
        edit = kbedit.stage(kb_dir, kb_language)
        topic = edit.file(plan.file)
        phrasings = {}
        for lang, texts in by_language.items():
            if lang is None or lang in plan.entry.translations:
                topic.append_alternates(entry_id, lang, texts)
            else:
                phrasings[lang] = texts
        if phrasings:
            topic.append_phrasings(entry_id, phrasings)
        edit.commit()
    except kbedit.EditError as exc:
        raise CurationError(str(exc)) from exc
    return path


# New entries -----------------------------------------------------------------------------

_STOP_WORDS = frozenset(
    """a an the i my me we our you your do does did can could should would will is are am
    be it to of for in on at and or how what when where which who why there any some this
    that with please get""".split()
)


def _words(text: str) -> list[str]:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.findall(r"[a-z0-9]+", ascii_text.lower())


def _known_ids(kb_dir: Path) -> set[str]:
    """Entry ids in every topic file, read leniently (a broken file still counts)."""
    ids: set[str] = set()
    for path in topic_files(kb_dir) if kb_dir.is_dir() else []:
        try:
            data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, YAMLError, ValueError, TypeError):
            continue  # validation reports a broken file; here only the ids matter
        entries = data.get("entries") if isinstance(data, dict) else None
        for node in entries if isinstance(entries, list) else []:
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                ids.add(node["id"])
    return ids


def entry_slug(question: str, taken: set[str]) -> str:
    """An id for a new entry: the question's content words, unique against `taken`."""
    words = _words(question)
    content = [w for w in words if w not in _STOP_WORDS] or words
    slug = ""
    for word in content[:6]:
        if len(slug) + len(word) + 1 > MAX_ID_LENGTH - 4:
            break
        slug = f"{slug}-{word}" if slug else word
    slug = slug or "new-entry"
    unique, n = slug, 2
    while unique in taken:
        unique, n = f"{slug}-{n}", n + 1
    return unique


@dataclass(frozen=True)
class Scaffold:
    entry_id: str
    text: str  # one list item, indented for a topic file's `entries:`
    values: dict = field(hash=False, compare=False, default_factory=dict)
    comments: tuple[str, ...] = ()


def file_wordings(
    question: str, wordings: Sequence[tuple[str, str]], kb_language: str
) -> tuple[list[str], dict[str, list[str]]]:
    """Where a new entry whose question is `question` keeps the asked (text, language)
    `wordings` (languages as `asked_language` gives them): those in `kb_language` as its
    alternates, the others as its phrasings under their own language (matched, never shown,
    until the entry has a curated translation into it). Each text once (normalised), in the
    order given; the question itself is left out."""
    seen = {normalize(question)} if question.strip() else set()
    alternates: list[str] = []
    phrasings: dict[str, list[str]] = {}
    for text, lang in wordings:
        text = text.strip()
        if not text or normalize(text) in seen:
            continue
        seen.add(normalize(text))
        if lang == kb_language:
            alternates.append(text)
        else:
            phrasings.setdefault(lang, []).append(text)
    return alternates, phrasings


def _scaffold(
    source: Cluster | Sequence[str],
    topic_file: Path,
    kb_language: str,
    today: dt.date | None,
    indent: int,
) -> Scaffold:
    language = kb_language
    if isinstance(source, Cluster):
        question = source.question_in(kb_language)
        wordings = list(zip(source.questions, source.item_languages, strict=True))
        if kb_language not in source.languages:
            language = source.item_languages[0]  # the representative's
        ids = ", ".join(map(str, sorted(source.ids)))
        origin = f"unanswered questions {ids} ({source.counts})"
    elif source:
        question, origin = source[0], f"{counted(len(source), 'asked question')}"
        wordings = [(text, kb_language) for text in source]
    else:
        raise CurationError("no questions given")
    question = question.strip()
    alternates, phrasings = file_wordings(question, wordings, kb_language)
    entry_id = entry_slug(question, _known_ids(Path(topic_file).parent))
    node = CommentedMap()
    node["id"] = entry_id
    node["question"] = question
    node["alternates"] = CommentedSeq(alternates or ["TODO: another way to ask this"])
    node["answer"] = TODO_ANSWER
    node["tags"] = CommentedSeq(["todo"])
    node["links"] = CommentedSeq()
    node["reviewed"] = today or dt.date.today()
    if phrasings:
        node["phrasings"] = phrasings
    comments = [
        f"# TODO: new entry drafted from {origin}.",
        "# Write answer, tags and links, then delete these TODO lines; /reload only after.",
    ]
    if language != kb_language:
        comments.append(
            f"# TODO: the question is in {language}: write it in {kb_language} "
            f"and move this one to the phrasings under {language}."
        )
    return Scaffold(entry_id, entry_item_text(node, indent, comments), node, tuple(comments))


def entry_item_text(values: dict, indent: int, comments: Sequence[str] = ()) -> str:
    """One `entries:` item holding `values`, indented by `indent`, after `comments` lines."""
    node = kbedit.yaml_value(values)
    for key in ("tags", "related"):  # short lists of slugs: [on, one, line]
        if isinstance(node.get(key), CommentedSeq):
            node[key].fa.set_flow_style()
    if isinstance(node.get("links"), CommentedSeq) and not node["links"]:
        node["links"].fa.set_flow_style()
    pad = " " * indent
    lines = [pad + comment for comment in comments]
    # Split on "\n" only: str.splitlines() also breaks at U+2028 and U+2029, which the
    # dumper keeps inside quoted scalars (a question with one came back changed).
    for line in _dump(CommentedSeq([node])).removesuffix("\n").split("\n"):
        lines.append(pad + (line[2:] if line.startswith("  ") else line))
    return "\n".join(lines) + "\n"


def new_entry_scaffold(
    cluster_or_questions: Cluster | Sequence[str],
    topic_file: Path,
    *,
    kb_language: str = "en",
    today: dt.date | None = None,
) -> str:
    """YAML text of a new entry drafted from asked questions, for staff to complete.

    The id is a slug of the question, unique in the knowledge base around `topic_file`;
    the question is the cluster's most central one in `kb_language` (else its
    representative; for a plain list, the first); the others are its `alternates` or, when
    asked in another language, its `phrasings` in that language (`file_wordings`); `answer`,
    `tags` are TODO markers and `reviewed` is today. The text is one list item indented for
    a topic file's `entries:`, preceded by a `# TODO` comment line.
    """
    return _scaffold(cluster_or_questions, topic_file, kb_language, today, 2).text


def append_scaffold(
    cluster_or_questions: Cluster | Sequence[str],
    topic_file: Path,
    *,
    kb_language: str = "en",
    today: dt.date | None = None,
) -> str:
    """Append a new entry scaffold to the `entries:` of an existing topic file, keeping the
    rest of the file byte for byte; validated on a staged copy first. Returns the new id."""
    scaffold = _scaffold(
        cluster_or_questions, topic_file, kb_language, today, item_indent(Path(topic_file))
    )
    return append_entry(
        topic_file, scaffold.values, kb_language=kb_language, comments=scaffold.comments
    )


def item_indent(topic_file: Path) -> int:
    """How far the entries of `topic_file` are indented (2 when it has none)."""
    try:
        text = topic_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 2
    items = re.search(r"^( *)- +id:", text, re.MULTILINE)
    return len(items.group(1)) if items else 2


def append_entry(
    topic_file: Path,
    values: dict,
    *,
    kb_language: str = "en",
    comments: Sequence[str] = (),
    cache_dir: Path | None = None,
) -> str:
    """Append an entry holding `values` (after `comments` lines) to the `entries:` of an
    existing topic file, keeping the rest of the file byte for byte; validated on a staged
    copy first (nothing written on error). Returns its id. The one way new entries are
    written: drafts (`unanswered new-entry`) and entries made in the console. `cache_dir`:
    see `kbedit.stage`."""
    topic_file = Path(topic_file)
    if not topic_file.is_file():
        raise CurationError(f"{topic_file}: no such topic file")
    kb_dir = topic_file.parent
    if topic_file.resolve() not in {p.resolve() for p in topic_files(kb_dir)}:
        raise CurationError(f"{topic_file}: not a topic file (*.yaml, not the glossary)")
    entry_id = str(values.get("id", ""))
    text = entry_item_text(values, item_indent(topic_file), comments)
    try:
        edit = kbedit.stage(kb_dir, kb_language, cache_dir)
        [entry] = YAML(typ="safe").load(textwrap.dedent(text))
        edit.file(topic_file.name).append_text(text, entry)
        edit.commit(must_have=(entry_id,))
    except kbedit.EditError as exc:
        raise CurationError(str(exc)) from exc
    return entry_id


def meaning_clusterer(encoder: Encodes, limit: int = 2000, threshold: float = DEFAULT_THRESHOLD):
    """A clusterer for the managers' report: wordings that mean the same thing go together,
    across languages. Only the `limit` most asked wordings are embedded (the rest are
    grouped by equal normalised text), so a report over months stays fast."""

    def cluster(items: list) -> list[list]:
        by_text: dict[str, list] = {}
        for item in items:
            by_text.setdefault(normalize(item.question), []).append(item)
        ranked = sorted(by_text.values(), key=lambda g: -sum(i.count for i in g))
        head, tail = ranked[:limit], ranked[limit:]
        if len(head) < 2:
            return head + tail
        vectors = encoder.encode([g[0].question for g in head])
        merged = [[item for i in rows for item in head[i]] for rows in group(vectors, threshold)]
        return merged + tail

    return cluster
