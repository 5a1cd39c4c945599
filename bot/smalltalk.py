"""Greetings, thanks, goodbyes, "are you a bot?", frustration and gibberish: recognised before
matching, answered politely.

Such messages are not questions: they never get a random entry as an answer and are never
logged as unanswered. The phrases live in `bot/locales/smalltalk.yaml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rapidfuzz import fuzz, process
from ruamel.yaml import YAML

from bot.normalize import normalize

GREETING, THANKS, GOODBYE, GIBBERISH, EMPTY = "greeting", "thanks", "goodbye", "gibberish", "empty"
ABOUT_BOT, FRUSTRATION = "about_bot", "frustration"
INTENTS = (GREETING, THANKS, GOODBYE, ABOUT_BOT, FRUSTRATION)
# Letter rows of the QWERTY, AZERTY, QWERTZ and ЙЦУКЕН keyboards, and the digits.
_KEYBOARD_ROWS = (
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
    "qwertzuiop",
    "yxcvbnm",
    "1234567890",
    "йцукенгшщзхъ",
    "фывапролджэ",
    "ячсмитьбю",
)
_VOWELS = set("aeiouyàâäéèêëîïôöùûüáíóúñ")
_CYRILLIC_VOWELS = set("аеёиоуыэюяі")
# Single characters that say "ok" or "yes", repeated: 好好好, 对对对, 嗯嗯嗯, 네네네.
_ACKNOWLEDGING = frozenset("好对嗯是行네예")
_LATIN_WORD = re.compile(r"^[a-z]+$")
_CYRILLIC_WORD = re.compile(r"^[а-яёії]+$")
# Laughter beside a phrase ("jajaja eres un bot?", "哈哈 谢谢") adds nothing to it.
_LAUGHTER = re.compile(
    r"^(?:[hja]{4,}|[he]{4,}|[hi]{4,}|[ах]{4,}|[хе]{4,}|lo+l|k{3,}|ه{3,}|哈|呵|[ᄏᄒ]+|w{3,})$"
)
# Longest phrase, in tokens (normalising splits kana, Hangul and Han into one token each:
# ありがとうございます is 10).
MAX_PHRASE_TOKENS = 12
# Longest message read for small talk, in tokens: "ありがとうございました！とても助かりました"
# is 19, "감사합니다 도움이 많이 됐어요 좋은 하루 되세요" 18.
MAX_MESSAGE_TOKENS = 40
# Thai is written without spaces between words: "ขอบคุณมากครับ" is one token.
_THAI = re.compile("[\u0e00-\u0e7f]")


@dataclass(frozen=True)
class _Phrases:
    intents: dict[str, str]  # normalised phrase -> intent
    languages: dict[str, frozenset[str]]  # normalised phrase -> the languages that say it
    filler: frozenset[str]  # normalised words and phrases ("for the help")


@cache
def _phrases() -> _Phrases:
    path = resources.files("bot") / "locales" / "smalltalk.yaml"
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    intents: dict[str, str] = {}
    languages: dict[str, set[str]] = {}
    for intent in INTENTS:
        for lang, phrases in data[intent].items():
            for phrase in phrases:
                key = normalize(str(phrase))
                intents.setdefault(key, intent)
                languages.setdefault(key, set()).add(str(lang))
    filler = frozenset(normalize(str(w)) for w in data["filler"])
    return _Phrases(intents, {k: frozenset(v) for k, v in languages.items()}, filler)


@cache
def _thai_words() -> frozenset[str]:
    """The Thai phrases and filler, each one token: what a Thai token may be made of."""
    phrases = _phrases()
    return frozenset(w for w in (*phrases.intents, *phrases.filler) if _THAI.search(w))


def _split_thai(word: str) -> list[str]:
    """A Thai token cut into known phrases and filler, fewest pieces first
    ("ขอบคุณมากครับ" is "ขอบคุณมาก" and "ครับ"), or whole when it is anything more."""
    known = _thai_words()
    longest = max(map(len, known))
    best: dict[int, list[str]] = {0: []}  # end -> fewest pieces up to it
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - longest), end):
            if start in best and word[start:end] in known:
                pieces = [*best[start], word[start:end]]
                if end not in best or len(pieces) < len(best[end]):
                    best[end] = pieces
    return best.get(len(word), [word])


def _tokens(key: str) -> list[str]:
    return [piece for w in key.split() for piece in (_split_thai(w) if _THAI.search(w) else [w])]


def _strip_phrases(key: str) -> tuple[str | None, str, list[str]]:
    """Read the normalised text as small-talk phrases, filler and other words, leaving as
    few other words as it can ("danke, sehr hilfreich" is "danke" and "sehr hilfreich", not
    "danke sehr" and "hilfreich"): the first phrase's intent, the other words (laughter
    dropped), and the phrases."""
    phrases = _phrases()
    words = _tokens(key)
    # best[i]: the reading of words[:i] with the fewest other words, then the fewest pieces;
    # a piece is (phrase | filler | word, its text).
    best: list[tuple[tuple[int, int], list[tuple[str, str]]]] = [((0, 0), [])]
    for end in range(1, len(words) + 1):
        candidates = []
        for start in range(max(0, end - MAX_PHRASE_TOKENS), end):
            span = " ".join(words[start:end])
            kind = (
                "phrase" if span in phrases.intents else "filler" if span in phrases.filler else ""
            )
            if kind:
                (others, count), pieces = best[start]
                candidates.append(((others, count + 1), [*pieces, (kind, span)]))
        word = words[end - 1]
        kind = "filler" if _LAUGHTER.match(word) else "word"
        (others, count), pieces = best[end - 1]
        candidates.append(((others + (kind == "word"), count + 1), [*pieces, (kind, word)]))
        best.append(min(candidates, key=lambda c: c[0]))
    pieces = best[-1][1]
    seen = [text for kind, text in pieces if kind == "phrase"]
    rest = " ".join(text for kind, text in pieces if kind == "word")
    return (phrases.intents[seen[0]] if seen else None), rest, seen


@cache
def _keyboard_rows() -> tuple[str, ...]:
    """Each row forwards and backwards: `lkjh` is as much a mash as `hjkl`."""
    rows = [normalize(row) for row in _KEYBOARD_ROWS]
    return tuple(rows + [row[::-1] for row in rows])


def _on_one_row(word: str) -> bool:
    return any(word in row for row in _keyboard_rows())


def _repeated_run(word: str) -> bool:
    """`asdasd`, `kjhkjh`: a short keyboard run typed over and over."""
    for size in range(2, 5):
        unit = word[:size]
        if len(word) >= 2 * size and len(word) % size == 0 and word == unit * (len(word) // size):
            return _on_one_row(unit) or len(set(unit)) == 1
    return False


# Letter groups that spell one sound: `Wirtschaft`, `strengths` have no real cluster of 5.
_GRAPHEMES = re.compile(r"tsch|sch|ch|ck|sh|th|ph|ng|gh|tz|qu")
_LATIN_RUN = re.compile(r"[^aeiouyàâäéèêëîïôöùûüáíóúñ]+")
_CYRILLIC_RUN = re.compile(r"[^аеёиоуыэюяіьъй]{6,}")


def _row_neighbours(run: str) -> bool:
    """Two letters side by side on one keyboard row (`sd`, `kj`): typed by rolling fingers."""
    return any(_on_one_row(run[i : i + 2]) for i in range(len(run) - 1))


def _s_joint(run: str) -> bool:
    """Consonants that meet at an `s` joining two words or syllables: at most 4 end the
    first part and at most 3 begin the next, the `s` on either side (German
    Ausland|s|krankenversicherung, selbst|ständig, Vertrag|s|strafe; Dutch leeftijd|s|grens,
    Polish pow|strzymać)."""
    for i, ch in enumerate(run):
        if ch == "s" and (
            (len(run[: i + 1]) <= 4 and len(run[i + 1 :]) <= 3)
            or (len(run[:i]) <= 4 and len(run[i:]) <= 3)
        ):
            return True
    return False


def _mash_cluster(word: str) -> bool:
    """Consonants no language puts together: 6 in a row, or 5 with two of them keyboard
    neighbours (`asdkjh`); German `ftspr` (Wirtschaftsprüfer) has none, and a cluster
    joined at an `s` (`ndskr` in Auslandskrankenversicherung) is no mash."""
    for run in _LATIN_RUN.findall(_GRAPHEMES.sub("C", word)):
        if (len(run) >= 6 or (len(run) == 5 and _row_neighbours(run))) and not _s_joint(run):
            return True
    return False


def _gibberish_word(word: str) -> bool:
    """A word nobody types by meaning: a keyboard run, one key held, no vowels."""
    if len(word) >= 4 and len(set(word)) == 1:
        return True
    if len(word) >= 4 and (_on_one_row(word) or _repeated_run(word)):
        return True
    if _LATIN_WORD.match(word) and len(word) >= 5:
        return not _VOWELS & set(word) or _mash_cluster(word)
    if _CYRILLIC_WORD.match(word) and len(word) >= 5:
        return not _CYRILLIC_VOWELS & set(word) or bool(_CYRILLIC_RUN.search(word))
    return False


def _mash_fragment(word: str) -> bool:
    """A short word that is a mash only beside a longer one (`asdkjh qwe`, `xcvb nm`):
    two or three keys side by side on one row, or one key repeated. Alone, such a word
    (`hr`, `vat`) may be an acronym and is left to matching."""
    return len(word) <= 3 and (len(set(word)) == 1 or (len(word) >= 2 and _on_one_row(word)))


def classify(question: str) -> str | None:
    """`greeting`, `thanks`, `goodbye`, `about_bot`, `frustration`, `empty`, `gibberish`, or
    None for a real question."""
    key = normalize(question)
    if not any(ch.isalpha() for ch in key):
        return EMPTY if not key or not any(ch.isdigit() for ch in key) else GIBBERISH
    words = key.split()
    if len(words) <= MAX_MESSAGE_TOKENS:
        said = _said(key)
        if said:
            return _intent_of(said)
    letters = [w for w in words if not w.isdigit()]
    if len(letters) >= 3 and len(set(letters)) == 1 and len(letters[0]) == 1:
        # One kana, Hangul or Han character typed over and over (normalising splits them):
        # 好好好 or 네네네 is "ok", 啊啊啊啊 or ああああ is no question.
        return THANKS if letters[0] in _ACKNOWLEDGING else GIBBERISH
    mashed = [_gibberish_word(w) for w in letters]
    if all(mashed):
        return GIBBERISH
    if any(mashed) and all(m or _mash_fragment(w) for w, m in zip(letters, mashed, strict=True)):
        return GIBBERISH
    return None


def _intent_of(said: list[str]) -> str:
    """The intent of a message made of these phrases: the first one's, but a greeting gives
    way to any other ("ciao, grazie" ends a chat; "hi, are you a bot?" asks about the bot)."""
    intents = [_phrases().intents[phrase] for phrase in said]
    return next((intent for intent in intents if intent != GREETING), intents[0])


def _said(key: str) -> list[str]:
    """The small-talk phrases a normalised message consists of ([] when it is more than
    small talk): "hola buenos dias" is two; a message of one or two words may be a typo of
    one ("graciass")."""
    intent, rest, seen = _strip_phrases(key)
    if intent and not rest:
        return seen
    if len(key.split()) <= 2 and not intent and len(key) >= 4:
        intents = _phrases().intents
        hit = process.extractOne(key, intents.keys(), scorer=fuzz.ratio, score_cutoff=88)
        if hit:
            return [hit[0]]
    return []


def language_of(question: str) -> str | None:
    """The language a small-talk message is written in, when its phrases tell: "hola",
    "obrigado", "merci beaucoup" have one; "ok" or "hallo" (German and Dutch) have several,
    and then None, as for a message that is not small talk. A language only
    `bot/locales/smalltalk.yaml` knows ("other") is None too."""
    key = normalize(question)
    if len(key.split()) > MAX_MESSAGE_TOKENS:
        return None
    said = _said(key)
    if not said:
        return None
    languages = _phrases().languages
    common = frozenset.intersection(*(languages[phrase] for phrase in said))
    if len(common) != 1:
        return None
    (lang,) = common
    return None if lang == "other" else lang
