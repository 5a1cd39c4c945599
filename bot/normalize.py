"""Text normalisation for matching, the same for phrasings and questions.

Unicode NFKC (full-width forms, ligatures, compatibility characters), case folding,
traditional to simplified Chinese (OpenCC), accents and Arabic diacritics dropped (and
Turkish dotless i, Polish ł, Nordic ø taken as plain letters), control,
zero-width and punctuation characters removed, and CJK characters spaced out so that
token-based scorers see one token per character in Chinese and Japanese.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")

# Combining marks that only decorate a base letter in Latin, Greek, Cyrillic and Arabic
# script (accents, harakat); dropping them lets "cafe" meet "café" and "счет" meet "счёт".
_DROP_MARKS = re.compile("[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_CJK = re.compile(
    "([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002ffff])"
)
_SPACES = re.compile(r"\s+")
# Letters that users type interchangeably: Arabic letter variants, and Latin letters whose
# mark is part of the letter (no combining mark to drop), typed without it on a keyboard
# that lacks them: Turkish "calisan" for "çalışan", Polish "zloty" for "złoty".
# Latin letters whose mark is part of the letter (diacritics.py strips them the same way).
MARKED_LETTERS = {"ı": "i", "ł": "l", "ø": "o", "đ": "d"}
_LETTERS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"} | MARKED_LETTERS
)


def _keep(ch: str) -> str:
    cat = unicodedata.category(ch)
    if cat[0] in "LN" or cat == "Mn" or cat == "Mc":
        return ch
    if ch.isspace() or cat[0] in "PSZ":
        return " "
    return ""  # control, format (zero-width, bidi marks), unassigned, private use


def clean(text: str) -> str:
    """Remove control and invisible format characters and squeeze white space.

    This is for text shown back or logged, not for matching: it keeps case and punctuation.
    """
    kept = (
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs", "Cn")
    )
    return _SPACES.sub(" ", "".join(kept)).strip()


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Matching key for `text`: see the module docstring. Idempotent."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _CJK.sub(r" \1 ", text)
    for _ in range(3):  # character by character, to a fixed point (a few t2s pairs chain)
        simplified = _T2S.convert(text)
        if simplified == text:
            break
        text = simplified
    text = unicodedata.normalize("NFD", text)
    text = _DROP_MARKS.sub("", text)
    text = unicodedata.normalize("NFC", text).translate(_LETTERS)
    text = "".join(_keep(ch) for ch in text)
    return _SPACES.sub(" ", text).strip()


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None
