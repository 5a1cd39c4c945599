"""Machine translation that keeps Markdown, links, numbers and glossary terms intact.

`translate_markdown(text, translate, glossary=..., target="ru")` calls `translate` (an Argos
sentence model, or any str -> str function) only on natural-language pieces of `text`:

* line by line: line breaks, blank lines, fenced code blocks and the Markdown prefix of a line
  (indentation, `> `, `# `, `- `, `* `, `1. `) stay as they are;
* sentence by sentence within a line;
* inside a sentence, protected spans (`protected_spans`) are masked with placeholders, so that
  the model translates the sentence whole, and are put back after translation: verbatim
  (code spans, URLs, e-mail addresses, HTML tags, /commands, numbers, identifiers, acronyms,
  Chinese terms inside non-Chinese text), with only their text translated (the text of
  `[text](url)`, the text between `**` markers), or as the glossary renders them (a term
  with an official Chinese name gets " (中文)" after its first rendering in a text).

Placeholders are the three-digit numbers 101, 102, ... Every SentencePiece vocabulary of the
Argos models holds the digits, and models trained on parallel text copy numbers through
reliably, where invented markers fare badly: `__1__` comes back with spaces for `_` (the
`▁` word marker), brackets and rare symbols (`⟦1⟧`, `§1`, private-use characters) become
unknown pieces that are dropped or copied from the wrong place, and letter codes (`XYZ1`) are
transliterated into Cyrillic or Arabic. Three digits are never grouped with separators nor
spelt out, and a number reads naturally where the masked span is itself a number. The masked
text holds no other digit (every digit of the source is inside a protected span), so the
output must hold each placeholder exactly once and no other digits (full-width and
Arabic-Indic digits count). Otherwise the model dropped, duplicated or garbled one, and the
sentence is translated again piece by piece: each natural-language piece between protected
spans on its own, joined with the spans, so nothing protected is ever lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from bot.knowledge import LANGUAGE_CODES, Problem, yaml_problem

Span = tuple[int, int, str]  # start, end, kind

PLACEHOLDER_BASE = 101
MAX_PLACEHOLDERS = 899  # 101 ... 999
CONTAINERS = frozenset({"link", "emphasis"})

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002ffff"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_W = rf"[^\W{_CJK}]"  # a word character of a script that separates words with spaces
_URL_CHARS = r"[^\s<>()\[\]{}`\"']"
_TIERS: list[Any] = [  # earlier tiers win over later ones
    [("code", re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)"))],
    [
        ("link", re.compile(r"\[[^\[\]\n]+\]\([^()\s]+\)")),
        (
            "emphasis",
            re.compile(
                r"\*\*(?=\S).+?(?<=\S)\*\*|__(?=\S).+?(?<=\S)__"
                r"|(?<!\*)\*(?=[^\s*]).+?(?<=[^\s*])\*(?!\*)"
                r"|(?<!\w)_(?=[^\s_]).+?(?<=[^\s_])_(?!\w)"
            ),
        ),
    ],
    [
        ("url", re.compile(rf"(?<!{_W})(?:https?://|ftp://|www\.){_URL_CHARS}+")),
        (
            "url",
            re.compile(
                r"(?<![\w.@/-])(?:[A-Za-z0-9-]+\.)+(?:cn|com|net|org|gov|edu|int|io|hk"
                rf"|mo|tw)(?![\w-])(?:/{_URL_CHARS}*)?"
            ),
        ),
        (
            "email",
            re.compile(
                r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+"
                r"(?:\.[A-Za-z0-9-]+)+"
            ),
        ),
        ("html", re.compile(r"</?[A-Za-z][^<>\n]*>")),
        ("command", re.compile(r"(?<![\w/])/[A-Za-z][A-Za-z0-9_]*")),
    ],
    "terms",
    [
        ("number", re.compile(rf"(?<!{_W})\+?[¥$€£]?\d+(?:[.,:/\-–]\d+)*%?(?!{_W})")),
        (
            "id",
            re.compile(
                rf"(?<!{_W})(?:[A-Za-z0-9]+[-/])*[A-Za-z0-9]*\d[A-Za-z0-9]*"
                rf"(?:[-/][A-Za-z0-9]+)*(?!{_W})"
            ),
        ),
        ("acronym", re.compile(rf"(?<!{_W})[A-Z]{{2,}}s?(?!{_W})")),
        ("cjk", re.compile(f"[{_CJK}]+")),
    ],
    [("number", re.compile(rf"(?<!{_W}){_W}*\d{_W}*"))],  # any word with a digit left
]
_JOINER = re.compile(r"[ \t\u00a0]*[-–—/~+×]?[ \t\u00a0]*")  # merges spans into one group
_DIGITS = re.compile(r"\d+")
_FENCE = re.compile(r"[ \t]*(```|~~~)")
_PREFIX = re.compile(
    r"[ \t]*(?:>[ \t]?)*[ \t]*"
    r"(?:#{1,6}(?=[ \t]|$)|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t]))?[ \t]*"
)
_SENTENCE_END = re.compile(r"(?:[.!?…]+[\"'”’»)\]]*[ \t]+|[。！？]+[”’」』）]*[ \t]*)(?=\S)")
_ABBREVIATIONS = frozenset("e.g i.e mr mrs ms dr no nos vs approx art fig p pp".split())
_PAREN = re.compile(r"[ \t]*[(（][ \t]*([^()（）\n]+?)[ \t]*[)）]")


# Glossary ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GlossaryTerm:
    term: str  # as written in the knowledge base's language
    renderings: dict[str, str] = field(default_factory=dict, hash=False)  # language -> text
    chinese: str = ""  # official Chinese term shown beside the rendering
    line: int | None = None


class GlossaryError(Exception):
    """The glossary file has problems; `problems` lists every one, `line` is the first's."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        self.line = problems[0].line if problems else None
        super().__init__("\n".join(map(str, problems)))


@dataclass(frozen=True)
class Glossary:
    """Protected terms: masked before translation and rendered as the glossary says."""

    terms: tuple[GlossaryTerm, ...] = ()
    _pattern: re.Pattern | None = field(init=False, repr=False, compare=False)
    _index: dict[str, GlossaryTerm] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = sorted(self.terms, key=lambda t: -len(t.term))
        pattern = "|".join(_term_regex(t.term) for t in ordered)
        object.__setattr__(self, "_pattern", re.compile(pattern) if pattern else None)
        object.__setattr__(self, "_index", {_key(t.term): t for t in self.terms})

    @classmethod
    def empty(cls) -> Glossary:
        return cls(())

    @classmethod
    def load(cls, path: Path) -> Glossary:
        """Read and validate a glossary file, or raise GlossaryError listing every problem."""
        path = Path(path)
        problems: list[Problem] = []
        terms = _check_glossary(_parse(path, problems), path.name, problems)
        if problems:
            raise GlossaryError(problems)
        return cls(tuple(terms))

    def lookup(self, matched: str) -> GlossaryTerm | None:
        """The term a matched text stands for (case and a plural -s/-es ignored)."""
        key = _key(matched)
        for candidate in (key, key[:-1], key[:-2]):
            if candidate in self._index:
                return self._index[candidate]
        return None

    def spans(self, text: str) -> list[Span]:
        """Where terms occur; a term's span takes in its Chinese name in parentheses after it."""
        if self._pattern is None:
            return []
        found = []
        for m in self._pattern.finditer(text):
            term, end = self.lookup(m.group()), m.end()
            paren = _PAREN.match(text, end)
            if term and paren and paren.group(1) in {term.chinese, term.renderings.get("zh")}:
                end = paren.end()
            found.append((m.start(), end, "term"))
        return found

    def split(self, span: str) -> tuple[str, GlossaryTerm | None]:
        """The term's own text at the start of a span found by `spans`, and its entry."""
        m = self._pattern.match(span) if self._pattern else None
        matched = m.group() if m else span
        return matched, self.lookup(matched)

    def render(self, span: str, target: str, annotate: bool = True) -> str:
        """A term's span as it reads in `target`; " (中文)" follows in non-Chinese targets
        when the term has a `chinese` name, `annotate` is true and the span lacks it."""
        matched, term = self.split(span)
        if term is None:
            return span
        if target == "zh":
            return term.renderings.get("zh") or term.chinese or matched
        base, rest = term.renderings.get(target) or matched, span[len(matched) :]
        if rest or not term.chinese or not annotate:
            return base + rest
        return f"{base} ({term.chinese})"


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _term_regex(term: str) -> str:
    body = r"\s+".join(re.escape(word) for word in term.split())
    if _CJK_CHAR.search(term):
        return body  # plain substring: CJK text has no spaces between words
    if term[-1].isascii() and term[-1].isalpha():
        body += "(?:e?s)?"
    if not (term.upper() == term and any(c.isalpha() for c in term)):
        body = f"(?i:{body})"  # acronyms match in capitals only: SAFE, not "safe"
    return rf"(?<!{_W}){body}(?!{_W})"


def _parse(path: Path, problems: list[Problem]) -> Any:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        problems.append(Problem(path.name, None, None, f"cannot read the file: {exc}"))
        return None
    except UnicodeDecodeError as exc:
        problems.append(Problem(path.name, None, None, f"not UTF-8 text (byte {exc.start})"))
        return None
    try:
        return YAML(typ="rt").load(text.lstrip("\ufeff"))
    except YAMLError as exc:
        problems.append(yaml_problem(path.name, exc))
        return None


def _line(node: Any, key: Any) -> int | None:
    try:
        if isinstance(node, CommentedMap):
            return node.lc.key(key)[0] + 1
        if isinstance(node, CommentedSeq):
            return node.lc.item(key)[0] + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    return None


def _check_glossary(data: Any, name: str, problems: list[Problem]) -> list[GlossaryTerm]:
    def problem(line: int | None, term: str | None, message: str) -> None:
        problems.append(Problem(name, line, term, message))

    if problems:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("terms"), list):
        problem(None, None, "the glossary must be a mapping with a `terms:` list")
        return []
    for key in sorted(set(map(str, data)) - {"terms"}):
        problem(_line(data, key), None, f"unknown top-level key `{key}`")
    terms: list[GlossaryTerm] = []
    seen: dict[str, int | None] = {}
    for i, node in enumerate(data["terms"]):
        term = _check_term(node, _line(data["terms"], i), problem)
        if term is None:
            continue
        if _key(term.term) in seen:
            problem(term.line, term.term, f"duplicate term (first at line {seen[_key(term.term)]})")
        else:
            seen[_key(term.term)] = term.line
            terms.append(term)
    return terms


def _check_term(node: Any, line: int | None, problem: Callable) -> GlossaryTerm | None:
    if not isinstance(node, dict):
        problem(line, None, "a term must be a mapping like `- term: business licence`")
        return None
    term = node.get("term")
    if not isinstance(term, str) or not term.strip() or "\n" in term.strip():
        what = "is missing" if "term" not in node else "must be non-empty text on one line"
        problem(_line(node, "term") or line, None, f"`term` {what}")
        return None
    term, renderings, ok = term.strip(), {}, True
    for key, value in node.items():
        where = _line(node, key) or line
        if key == "term":
            continue
        if key != "chinese" and not (isinstance(key, str) and re.fullmatch(r"[a-z]{2,3}", key)):
            problem(where, term, f"unknown key `{key}` (use term, chinese or a language code)")
        elif key != "chinese" and key not in LANGUAGE_CODES:
            problem(where, term, f"unknown language code {key!r} (use ISO 639-1, e.g. zh)")
        elif not isinstance(value, str) or not value.strip() or "\n" in value.strip():
            problem(where, term, f"`{key}` must be non-empty text on one line")
        elif key == "chinese" and not _CJK_CHAR.search(value):
            problem(where, term, "`chinese` must be the term in Chinese characters")
        else:
            renderings[key] = value.strip()
            continue
        ok = False
    if not ok:
        return None
    chinese = renderings.pop("chinese", "")
    return GlossaryTerm(term, renderings, chinese, line)


# Protected spans ----------------------------------------------------------------------


def protected_spans(text: str, glossary: Glossary | None = None) -> list[Span]:
    """Sorted, non-overlapping (start, end, kind) spans of one line of `text` to keep intact.

    Kinds: code, link, emphasis, url, email, html, command, term, number, id, acronym, cjk.
    Runs of CJK characters are protected only when most letters of `text` are not CJK.
    """
    return _spans(text, glossary or Glossary.empty(), _mostly_non_cjk(text))


def _spans(text: str, glossary: Glossary, protect_cjk: bool) -> list[Span]:
    chosen: list[Span] = []
    for tier in _TIERS:
        found = glossary.spans(text) if tier == "terms" else _candidates(text, tier, protect_cjk)
        for start, end, kind in sorted(found, key=lambda c: (c[0], -c[1])):
            overlap = [c for c in chosen if c[0] < end and start < c[1]]
            if not overlap:
                chosen.append((start, end, kind))
            elif kind in CONTAINERS and all(start <= c[0] and c[1] <= end for c in overlap):
                chosen = [c for c in chosen if c not in overlap] + [(start, end, kind)]
    return sorted(chosen)


def _candidates(text: str, tier: list, protect_cjk: bool) -> list[Span]:
    found = []
    for kind, pattern in tier:
        if kind == "cjk" and not protect_cjk:
            continue
        for m in pattern.finditer(text):
            end = m.start() + len(m.group().rstrip(".,;:!?*")) if kind == "url" else m.end()
            if end > m.start():
                found.append((m.start(), end, kind))
    return found


def _mostly_non_cjk(text: str) -> bool:
    cjk = len(_CJK_CHAR.findall(text))
    return sum(c.isalpha() for c in text) - cjk > cjk


def _groups(text: str, spans: list[Span]) -> list[list[Span]]:
    """Spans that touch, or are joined by a space or dash, share one placeholder."""
    groups: list[list[Span]] = []
    for span in spans:
        if groups:
            last = groups[-1][-1]
            gap = text[last[1] : span[0]]
            plain = last[2] not in CONTAINERS and span[2] not in CONTAINERS
            if not gap or (plain and _JOINER.fullmatch(gap)):
                groups[-1].append(span)
                continue
        groups.append([span])
    return groups


def _sentence_breaks(text: str, spans: list[Span]) -> list[int]:
    breaks = []
    for m in _SENTENCE_END.finditer(text):
        end, mark = m.end(), m.group()[0]
        if any(s <= m.start() < e or s < end < e for s, e, _ in spans):
            continue
        if mark in ".!?…" and text[end].islower():
            continue
        if not any(ch.isalnum() for ch in text[end:]):
            continue  # only marks follow ("。。", "?!"): no sentence of their own
        word = re.search(r"[A-Za-z.]+$", text[: m.start()])
        if mark == "." and word and word.group().strip(".").lower() in _ABBREVIATIONS:
            continue
        breaks.append(end)
    return breaks


def split_sentences(text: str, glossary: Glossary | None = None) -> list[str]:
    """The project's one sentence splitter, line by line: where `translate_markdown` cuts a
    line into the sentences it hands to the model. "e.g.", "Dr." and the like, a lower-case
    continuation, or a full stop inside a URL or number do not end a sentence. A sentence
    it returned comes back whole, so the Argos side (bot/translation.py) can use it again."""
    out = []
    for line in text.split("\n"):
        spans = _spans(line, glossary or Glossary.empty(), _mostly_non_cjk(line))
        start = 0
        for end in [*_sentence_breaks(line, spans), len(line)]:
            if line[start:end].strip():
                out.append(line[start:end].strip())
            start = end
    return out or [text]


# Translation ---------------------------------------------------------------------------


def translate_markdown(
    text: str, translate: Callable[[str], str], *, glossary: Glossary | None = None, target: str
) -> str:
    """`text` translated by `translate` piece by piece, its structure and protected spans kept.

    Example: translate_markdown("- See https://x.cn/ by 2027.", argos.translate, target="fr")
    calls argos.translate("See 101 by 102.") and returns "- Voir https://x.cn/ d'ici 2027."
    """
    job = _Job(translate, glossary or Glossary.empty(), target)
    lines, fenced = [], False
    for line in text.split("\n"):
        if _FENCE.match(line) or fenced:
            fenced ^= bool(_FENCE.match(line))
            lines.append(line)
            continue
        prefix = _PREFIX.match(line).end()  # type: ignore[union-attr]  # matches any line
        lines.append(line[:prefix] + job.inline(line[prefix:]))
    return "\n".join(lines)


@dataclass(frozen=True)
class _Job:
    translate: Callable[[str], str]
    glossary: Glossary
    target: str
    annotated: set[str] = field(default_factory=set)  # terms already shown with " (中文)"

    def inline(self, text: str, protect_cjk: bool | None = None) -> str:
        """One line (or a link's or emphasis' text), sentence by sentence."""
        if not _has_letter(text):
            return text
        if protect_cjk is None:
            protect_cjk = _mostly_non_cjk(text)
        spans = _spans(text, self.glossary, protect_cjk)
        out, start = [], 0
        for end in [*_sentence_breaks(text, spans), len(text)]:
            inside = [(s - start, e - start, k) for s, e, k in spans if start <= s < end]
            out.append(self.sentence(text[start:end], inside, protect_cjk))
            start = end
        return "".join(out)

    def sentence(self, text: str, spans: list[Span], protect_cjk: bool) -> str:
        """Masked and translated whole; piece by piece if the placeholders do not survive."""
        groups = _groups(text, spans)
        rendered = [self.render_group(text, g, protect_cjk) for g in groups]
        masked = _mask(text, groups)
        lead, core, trail = _split_space(masked or "")
        if masked is not None and _has_letter(_DIGITS.sub("", core)):
            restored = _unmask(self.call(core), rendered)
            if restored is not None:
                return lead + restored + trail
        return self.piecewise(text, groups, rendered)

    def piecewise(self, text: str, groups: list[list[Span]], rendered: list[str]) -> str:
        out, start = [], 0
        for group, done in zip(groups, rendered, strict=True):
            out += [self.piece(text[start : group[0][0]]), done]
            start = group[-1][1]
        return "".join(out) + self.piece(text[start:])

    def piece(self, text: str) -> str:
        lead, core, trail = _split_space(text)
        if not _has_letter(core):
            return text
        return lead + self.call(core) + trail

    def call(self, core: str) -> str:
        """The model's translation of one piece, on one line like its source."""
        return self.translate(core).replace("\n", " ").strip()

    def render_group(self, text: str, group: list[Span], protect_cjk: bool) -> str:
        out, start = [], group[0][0]
        for s, e, kind in group:
            out += [text[start:s], self.render(text[s:e], kind, protect_cjk)]
            start = e
        return "".join(out)

    def render(self, span: str, kind: str, protect_cjk: bool) -> str:
        if kind == "term":
            term = self.glossary.split(span)[1]
            first = term is not None and term.term not in self.annotated
            self.annotated.add(term.term if term else "")
            return self.glossary.render(span, self.target, annotate=first)
        if kind == "link":
            middle = span.index("](")
            return "[" + self.inline(span[1:middle], protect_cjk) + span[middle:]
        if kind == "emphasis":
            n = 2 if span[:2] in ("**", "__") else 1
            return span[:n] + self.inline(span[n:-n], protect_cjk) + span[-n:]
        return span


def _mask(text: str, groups: list[list[Span]]) -> str | None:
    if len(groups) > MAX_PLACEHOLDERS:
        return None
    out, start = [], 0
    for i, group in enumerate(groups):
        out += [text[start : group[0][0]], str(PLACEHOLDER_BASE + i)]
        start = group[-1][1]
    masked = "".join(out) + text[start:]
    expected = [str(PLACEHOLDER_BASE + i) for i in range(len(groups))]
    return masked if _DIGITS.findall(masked) == expected else None


def _unmask(output: str, rendered: list[str]) -> str | None:
    """`output` with placeholders replaced, or None unless each occurs exactly once."""
    runs = _DIGITS.findall(output)
    if any(len(run) > 3 for run in runs):
        return None
    if sorted(int(run) for run in runs) != list(
        range(PLACEHOLDER_BASE, PLACEHOLDER_BASE + len(rendered))
    ):
        return None
    return _DIGITS.sub(lambda m: rendered[int(m.group()) - PLACEHOLDER_BASE], output)


def _split_space(text: str) -> tuple[str, str, str]:
    core = text.strip()
    lead = text[: len(text) - len(text.lstrip())]
    return lead, core, text[len(lead) + len(core) :]


def _has_letter(text: str) -> bool:
    return any(c.isalpha() for c in text)
