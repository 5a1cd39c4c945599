"""Off-topic examples: what the knowledge base must not answer (knowledge/offtopic.yaml).

The classifier that ranks entries only says which entry a question is most like, never
whether it is like any: "me duele la muela, qué hago" shares its "what do I do" with an
entry about overstaying a visa. Messages far outside the knowledge base's domain (weather,
recipes, sport, health, homework...) therefore train a gate: per encoder, a layer whose
classes are the entries plus "off-topic", never shown as an answer. When the gate finds a
question more likely than `[matching] offtopic_threshold` to be off-topic, it is left
unanswered and reaches staff like any other gap (matching.py). Entries are still ranked by
the layers trained on entries alone.

The file is content, like the topic files, and belongs to this knowledge base only: a
knowledge base about something else (the benchmarks' BANKING77 or CLINC150) has its own or
none. Format:

    examples:
      en:
        - will it rain in shenzhen tomorrow
      zh:
        - 推荐一部好看的电影

Examples must be far from every entry: a near-domain question the knowledge base does not
answer yet ("minimum wage in Beijing") belongs in the unanswered queue, where staff can write
its entry, not here. Staff add examples from the console's inbox ("Off-topic") or with
`unanswered offtopic` (`add_examples`, through bot/triage.py).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from bot.kbedit import replace_file
from bot.kbmodel import KnowledgeBase, KnowledgeError, Phrasing, Problem
from bot.knowledge import LANGUAGE_CODES, yaml_problem
from bot.normalize import normalize

FILE = "offtopic.yaml"
# The matcher's class for these examples. Not a valid entry id (ids are lowercase words and
# hyphens), so it can never name an entry.
OFFTOPIC = "~offtopic"


def load_offtopic(kb_dir: Path, languages: frozenset[str] | None = None) -> tuple[Phrasing, ...]:
    """The examples in `kb_dir`/offtopic.yaml (none without the file); raises KnowledgeError
    listing every problem. `languages`: the language codes allowed (None: any)."""
    path = Path(kb_dir) / FILE
    if not path.is_file():
        return ()
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        raise KnowledgeError([yaml_problem(FILE, exc)]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError([Problem(FILE, None, None, f"cannot read: {exc}")]) from exc
    if data is None:
        return ()
    if not isinstance(data, dict) or set(data) != {"examples"}:
        raise KnowledgeError(
            [Problem(FILE, None, None, "must be a mapping with one key, `examples`")]
        )
    examples = data["examples"] or {}
    if not isinstance(examples, dict):
        raise KnowledgeError(
            [Problem(FILE, None, None, "`examples` must map language codes to lists of text")]
        )
    problems: list[Problem] = []
    found: list[Phrasing] = []
    for lang, texts in examples.items():
        if not isinstance(lang, str) or (languages is not None and lang not in languages):
            problems.append(Problem(FILE, None, None, f"unknown language code {lang!r}"))
            continue
        if not isinstance(texts, list):
            problems.append(Problem(FILE, None, None, f"`{lang}` must be a list of text"))
            continue
        for text in texts:
            if not isinstance(text, str) or not text.strip():
                problems.append(Problem(FILE, None, None, f"`{lang}`: empty or not text"))
                continue
            found.append(Phrasing(OFFTOPIC, lang, text.strip()))
    if problems:
        raise KnowledgeError(problems)
    return tuple(found)


# The start of a new offtopic.yaml written by `add_examples`.
NEW_FILE = """\
# Off-topic examples: messages far outside this knowledge base's domain, which the bot must
# not answer with its nearest entry (bot/offtopic.py). Staff add them from the console's inbox
# ("Off-topic") or with `python -m bot unanswered offtopic IDS`.
examples: {}
"""


class OffTopicError(Exception):
    """The examples cannot be added as asked; nothing was written."""


def add_examples(
    kb_dir: Path, examples: Sequence[tuple[str, str]], kb: KnowledgeBase
) -> tuple[list[tuple[str, str]], list[str]]:
    """Add (language, text) examples to `kb_dir`/offtopic.yaml (created if missing), keeping
    its comments and layout; returns (added, skipped: already there). Raises OffTopicError,
    writing nothing, for a text that is one of the entries' phrasings (it would teach the
    gate to hold back the entry's own wording) or a language the file may not hold."""
    owners: dict[str, str] = {}
    for p in kb.phrasings():
        owners.setdefault(normalize(p.text), p.entry_id)
    path = Path(kb_dir) / FILE
    original = path.read_bytes() if path.is_file() else None
    have = {normalize(p.text) for p in load_offtopic(kb_dir, LANGUAGE_CODES)}
    yaml = YAML()  # round trip: comments, order and quoting stay as they are
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = yaml.load(original.decode("utf-8") if original else NEW_FILE)
    if data is None:
        data = yaml.load(NEW_FILE)
    if data.get("examples") is None:
        data["examples"] = {}
    added: list[tuple[str, str]] = []
    skipped: list[str] = []
    for lang, text in examples:
        text = " ".join(text.split())
        key = normalize(text)
        if not key:
            continue
        if lang not in LANGUAGE_CODES:
            raise OffTopicError(f"{text!r}: unknown language code {lang!r}")
        if key in owners:
            raise OffTopicError(
                f"{text!r} is a phrasing of entry {owners[key]!r}: it cannot also be "
                "off-topic (ignore it instead, or change the entry)"
            )
        if key in have:
            skipped.append(text)
            continue
        have.add(key)
        data["examples"].setdefault(lang, []).append(DoubleQuotedScalarString(text))
        added.append((lang, text))
    if not added:
        return added, skipped
    out = io.StringIO()
    yaml.dump(data, out)
    if original is None:
        path.write_text(out.getvalue(), encoding="utf-8")
    else:
        replace_file(path, original, out.getvalue())
    try:
        load_offtopic(kb_dir, LANGUAGE_CODES)
    except KnowledgeError as exc:  # never leave a file the bot cannot load
        if original is None:
            path.unlink()
        else:
            path.write_bytes(original)
        raise OffTopicError(f"{FILE} would not load: {exc}") from exc
    return added, skipped


def remove_examples(kb_dir: Path, texts: Sequence[str]) -> list[tuple[str, str]]:
    """Take out of `kb_dir`/offtopic.yaml the examples equal to `texts` once normalised, in
    any language, keeping the file's comments and layout (a language left without examples
    goes too); returns the (language, text) removed. Undoes `add_examples` for the questions
    staff put back in the inbox."""
    path = Path(kb_dir) / FILE
    keys = {normalize(text) for text in texts} - {""}
    if not keys or not path.is_file():
        return []
    original = path.read_bytes()
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = yaml.load(original.decode("utf-8"))
    examples = data.get("examples") if isinstance(data, dict) else None
    if not isinstance(examples, dict):
        return []
    removed: list[tuple[str, str]] = []
    for lang in list(examples):
        items = examples[lang]
        if not isinstance(items, list):
            continue
        gone = [
            i for i, text in enumerate(items) if isinstance(text, str) and normalize(text) in keys
        ]
        removed += [(lang, str(items[i])) for i in gone]
        for i in reversed(gone):
            del items[i]
        if not items:
            del examples[lang]
    if not removed:
        return []
    out = io.StringIO()
    yaml.dump(data, out)
    replace_file(path, original, out.getvalue())
    return removed
