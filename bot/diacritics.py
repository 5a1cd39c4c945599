"""Accents put back into a question typed without them, before the sentence encoders see it.

Users often type without their language's accented letters: a phone or laptop without a
Turkish layout gives "sirket nasil kurulur" for "şirket nasıl kurulur", a Brazilian writes
"nao" for "não". The lexical pass does not care (normalize.py drops accents on both sides),
but the sentence encoders read "sirket" as a different, unknown word: on
bench/data/validation.yaml, Turkish questions with their accents removed were answered right
89 times of 175 instead of 154.

The knowledge base's own phrasings are the dictionary. A word of the question written in
plain ASCII letters becomes the accented word of the phrasings that spells the same without
its marks ("sirket" -> "şirket"), the most frequent one when there are several, but only
when no phrasing uses the plain spelling as a word of its own: "e", "esta", "is" stay as they
are, since "e" (and), "esta" (this) and "is" are words too. Acronyms in capitals (VAT, WFOE)
and words the phrasings do not contain are left alone. The dictionary mixes languages, so a
word can take another language's accents ("grace" -> "grâce"): 3 of the 1,738 validation
questions, none of whose outcomes changed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable

from bot.normalize import MARKED_LETTERS

_WORD = re.compile(r"[^\W\d_]+")
# Letters whose mark is part of the letter (no combining mark to drop), as normalize.py
# takes them, and ligatures typed as two letters.
_LETTERS = str.maketrans(MARKED_LETTERS | {"ß": "ss", "œ": "oe", "æ": "ae"})


def unmarked(word: str) -> str:
    """`word` without its accents and other marks: "şirket" -> "sirket", "não" -> "nao"."""
    decomposed = unicodedata.normalize("NFD", word.translate(_LETTERS))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


class AccentRestorer:
    """Built from the knowledge base's phrasings; `restore()` puts their accents back."""

    def __init__(self, texts: Iterable[str]):
        plain: set[str] = set()
        forms: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for word, count in Counter(_WORD.findall("\n".join(texts).lower())).items():
            if word.isascii():
                plain.add(word)
                continue
            bare = unmarked(word)
            if bare != word and bare.isascii():
                forms[bare][word] += count
        # "sirket" -> "şirket": only spellings no phrasing uses as a word of its own.
        self.accented = {
            bare: counts.most_common(1)[0][0] for bare, counts in forms.items() if bare not in plain
        }

    def restore(self, text: str) -> str:
        """`text` with each plain word that the phrasings only write with accents accented."""
        return _WORD.sub(self._word, text) if self.accented else text

    def _word(self, match: re.Match[str]) -> str:
        word = match.group(0)
        if not word.isascii() or (len(word) > 1 and word.isupper()):
            return word  # already accented, or an acronym
        accented = self.accented.get(word.lower())
        if accented is None:
            return word
        return accented[0].upper() + accented[1:] if word[0].isupper() else accented
