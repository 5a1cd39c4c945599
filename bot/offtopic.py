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
its entry, not here.
"""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from bot.kbmodel import KnowledgeError, Phrasing, Problem

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
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
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
