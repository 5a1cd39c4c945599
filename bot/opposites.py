"""Opposite intents: a question about opening a company is not answered about closing one.

The sentence encoders place "open a company" and "close a company" close together in most
languages (Turkish "şirket açmak" and "şirket kapatmak" share all but one word), and the
classifier layers learn little from one entry of each. A question that says one side of a
pair (`bot/locales/opposites.yaml`: closing / opening) and not the other gets a penalty on
the entries whose phrasings say the other side and not its own; the matcher adds log(penalty)
to those entries' scores before they are compared (bot/matching.py).

Words are read after normalize() (lower case, no accents, Chinese simplified, CJK characters
spaced). A word ending in * matches every word that starts with it; a word of several parts
needs each part, anywhere in the text; Chinese, Japanese, Korean and Thai words are found
inside the text. Arabic words are also read without a leading "و", "ف", "ب", "ل", "ك" or
"ال". A word found for one side is not read again for a later one: "deregister" and Thai
"ยกเลิกการจดทะเบียน" (cancel a registration) say closing, and their "register" is not read as
opening.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np
from ruamel.yaml import YAML

from bot.normalize import normalize

# Runs of Chinese, Japanese and Korean characters (spaced out by normalize()) and Thai.
_SOLID = re.compile("[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_ARABIC = re.compile("[\u0600-\u06ff]")
_ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")
_MIN_ARABIC_STEM = 3
# An entry says a side when at least this share of its phrasings do, and at most
# OTHER_SHARE say the other side.
ENTRY_SHARE = 0.5
OTHER_SHARE = 0.1


def solid_script(text: str) -> bool:
    """Whether `text` has Chinese, Japanese, Korean or Thai letters, whose words are found
    inside runs of letters (and need normalize()'s text in its order, not sorted tokens)."""
    return _SOLID.search(text) is not None


@dataclass(frozen=True)
class Side:
    """One side's words, compiled: one-part words as sets looked up with each word of a
    text, words of several parts as their parts, solid words as one pattern searched in the
    text's solid runs."""

    exact: frozenset[str]  # one-part words matched whole
    starts: frozenset[str]  # one-part words ending in *: the start of a word
    multi: tuple[tuple[tuple[str, bool], ...], ...]  # per word, its parts: (text, ends in *)
    solid: re.Pattern[str] | None
    hints: tuple[str, ...]  # a part of each word, one of which a text saying the side has

    def says(self, word: str) -> bool:
        """Whether `word` is one of the one-part words, or starts with one ending in *."""
        return word in self.exact or any(word[:n] in self.starts for n in range(1, len(word) + 1))


def _part(raw: str) -> tuple[str, bool]:
    """A word's normalized text, and whether it ends in * (matches the words it starts)."""
    return normalize(raw.rstrip("*")), raw.endswith("*")


def _is(form: str, part: tuple[str, bool]) -> bool:
    text, star = part
    return form.startswith(text) if star else form == text


def _alternatives(patterns: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(sorted(patterns, key=len, reverse=True))) if patterns else None


def _side(words: list[str]) -> Side:
    exact: set[str] = set()
    starts: set[str] = set()
    multi: list[tuple[tuple[str, bool], ...]] = []
    solid: list[str] = []
    hints: list[str] = []
    for word in words:
        if _SOLID.search(word):
            solid.append(re.escape(normalize(word).replace(" ", "")))
            hints.append(normalize(word))
            continue
        parts = word.split()
        if len(parts) == 1:
            text, star = _part(word)
            (starts if star else exact).add(text)
        else:
            # the longest part first: the one least often there
            multi.append(tuple(_part(p) for p in sorted(parts, key=len)[::-1]))
        hints.append(normalize(max(parts, key=len).rstrip("*")))
    return Side(
        frozenset(exact), frozenset(starts), tuple(multi), _alternatives(solid), tuple(hints)
    )


def _words_file() -> Traversable:
    return resources.files("bot") / "locales" / "opposites.yaml"


@cache
def sides() -> dict[str, Side]:
    """The sides of opposites.yaml, each with its words in every language."""
    data = YAML(typ="safe").load(_words_file().read_text(encoding="utf-8"))
    return {
        side: _side([w for words in by_language.values() for w in words])
        for side, by_language in data.items()
    }


@cache
def _hint() -> re.Pattern[str]:
    """A hint of any side where it could begin a word (after an Arabic particle too; solid
    words with normalize()'s spaces between their characters): a text without one says no
    side. Most texts have none, and reading them word by word would take seconds over a
    knowledge base's phrasings."""
    hints = {h for side in sides().values() for h in side.hints}
    spaced = [" ?".join(map(re.escape, h.replace(" ", ""))) for h in hints if _SOLID.search(h)]
    starts = [re.escape(h) for h in hints if not _SOLID.search(h)]
    particles = "|".join(_ARABIC_PREFIXES)
    return re.compile(
        f"(?<!\\S)(?:{particles})?(?:{'|'.join(sorted(starts, key=len, reverse=True))})"
        f"|{'|'.join(sorted(spaced, key=len, reverse=True))}"
    )


def _forms(token: str) -> tuple[str, ...]:
    """`token`, and an Arabic one also without each leading particle it may have."""
    if not _ARABIC.search(token):
        return (token,)
    return (token,) + tuple(
        token[len(p) :]
        for p in _ARABIC_PREFIXES
        if token.startswith(p) and len(token) - len(p) >= _MIN_ARABIC_STEM
    )


def opposites_source() -> bytes:
    """This module's source and opposites.yaml: what the sides a text says depend on."""
    return Path(__file__).read_bytes() + _words_file().read_bytes()


def said(text: str) -> frozenset[str]:
    """The sides of opposites.yaml that `text` says."""
    return said_normalized(normalize(text))


@lru_cache(maxsize=65536)
def said_normalized(normalized: str) -> frozenset[str]:
    """said() of a text normalize() gave; for a text in no solid script, its tokens may come
    in any order (a matching key)."""
    if not _hint().search(normalized):
        return frozenset()
    tokens = normalized.split()
    forms = [_forms(t) for t in tokens if not _SOLID.search(t)]
    solid = "".join(t for t in tokens if _SOLID.search(t))
    taken: set[int] = set()
    found = set()

    def first(part: tuple[str, bool]) -> int | None:
        for i, token_forms in enumerate(forms):
            if i not in taken and any(_is(f, part) for f in token_forms):
                return i
        return None

    for name, side in sides().items():
        hit = False
        if side.solid is not None and side.solid.search(solid):
            solid, hit = side.solid.sub(" ", solid), True
        for parts in side.multi:
            at = []
            for part in parts:
                index = first(part)
                if index is None:
                    break
                at.append(index)
            else:
                taken.update(at)
                hit = True
        for i, token_forms in enumerate(forms):
            if i not in taken and any(side.says(f) for f in token_forms):
                taken.add(i)
                hit = True
        if hit:
            found.add(name)
    return frozenset(found)


class Opposites:
    """Which entries say which side, from their phrasings, and the penalty a question gives
    them."""

    def __init__(self, said_by: Sequence[Sequence[str]], owner: np.ndarray, entries: int) -> None:
        """`said_by`: per phrasing, the sides it says; `owner`: per phrasing, its entry."""
        names = list(sides())
        counts = np.zeros((entries, len(names)), dtype=np.float32)
        totals = np.bincount(owner, minlength=entries).astype(np.float32)
        for found, entry in zip(said_by, owner, strict=True):
            for side in found:
                counts[entry, names.index(side)] += 1
        share = counts / np.maximum(totals, 1)[:, None]
        self.names = names
        # entry x side: the entry says that side and not the others
        self.says = (share >= ENTRY_SHARE) & (
            share.sum(axis=1, keepdims=True) - share <= OTHER_SHARE
        )

    def log_penalty(self, question: str, penalty: float) -> np.ndarray | None:
        """Per entry, log(penalty) where the question says one side alone and the entry
        says another one alone, else 0; None when nothing is penalized."""
        if penalty >= 1.0:
            return None
        found = said(question)
        if len(found) != 1:
            return None
        (side,) = found
        others = [i for i, name in enumerate(self.names) if name != side]
        hit = self.says[:, others].any(axis=1)
        if not hit.any():
            return None
        return np.where(hit, np.float32(np.log(max(penalty, 1e-6))), np.float32(0.0))
