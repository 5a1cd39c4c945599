"""Greetings, thanks, goodbyes and gibberish: recognised before matching, answered politely.

Such messages are not questions: they never get a random entry as an answer and are never
logged as unanswered. The phrases live in `bot/locales/smalltalk.yaml`.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from rapidfuzz import fuzz, process
from ruamel.yaml import YAML

from bot.normalize import normalize

GREETING, THANKS, GOODBYE, GIBBERISH, EMPTY = "greeting", "thanks", "goodbye", "gibberish", "empty"
INTENTS = (GREETING, THANKS, GOODBYE)
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890", "йцукенгшщзхъ", "фывапролджэ")
_VOWELS = set("aeiouyàâäéèêëîïôöùûüáíóúñ")
_LATIN_WORD = re.compile(r"^[a-z]+$")
# Longest phrase, in tokens (normalising splits kana, Hangul and Han into one token each:
# ありがとうございます is 10).
MAX_PHRASE_TOKENS = 12


@cache
def _phrases() -> tuple[dict[str, str], frozenset[str]]:
    path = resources.files("bot") / "locales" / "smalltalk.yaml"
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    phrases: dict[str, str] = {}
    for intent in INTENTS:
        for phrase in data[intent]:
            phrases.setdefault(normalize(str(phrase)), intent)
    filler = frozenset(normalize(str(w)) for w in data["filler"])
    return phrases, filler


def _strip_phrases(key: str) -> tuple[str | None, str]:
    """Remove small-talk phrases (longest first) from the normalised text; what is left."""
    phrases, filler = _phrases()
    words = key.split()
    found = None
    i = 0
    left = []
    while i < len(words):
        for n in range(min(MAX_PHRASE_TOKENS, len(words) - i), 0, -1):
            intent = phrases.get(" ".join(words[i : i + n]))
            if intent:
                found = found or intent
                i += n
                break
        else:
            left.append(words[i])
            i += 1
    return found, " ".join(w for w in left if w not in filler)


@cache
def _keyboard_rows() -> tuple[str, ...]:
    return tuple(normalize(row) for row in _KEYBOARD_ROWS)


def _gibberish_word(word: str) -> bool:
    if len(word) >= 4 and len(set(word)) == 1:
        return True
    if len(word) >= 4 and any(word in row for row in _keyboard_rows()):
        return True
    if _LATIN_WORD.match(word) and len(word) >= 5:
        if not _VOWELS & set(word):
            return True
        if re.search(r"[^aeiouy]{5,}", word):
            return True
    return False


def classify(question: str) -> str | None:
    """`greeting`, `thanks`, `goodbye`, `empty`, `gibberish`, or None for a real question."""
    key = normalize(question)
    if not any(ch.isalpha() for ch in key):
        return EMPTY if not key or not any(ch.isdigit() for ch in key) else GIBBERISH
    words = key.split()
    if len(words) <= MAX_PHRASE_TOKENS:
        intent, rest = _strip_phrases(key)
        if intent and not rest:
            return intent
        if len(words) <= 2 and not intent:
            phrases, _ = _phrases()
            hit = process.extractOne(key, phrases.keys(), scorer=fuzz.ratio, score_cutoff=88)
            if hit and len(key) >= 4:
                return phrases[hit[0]]
    if all(_gibberish_word(w) for w in words if not w.isdigit()):
        return GIBBERISH
    return None
