"""Which language a message is in, among the configured languages.

The writing system settles most cases (Han, kana, Hangul, Arabic, Cyrillic, Greek, Hebrew,
Thai, Devanagari ...); py3langid, whose model ships in its wheel, decides between the
configured languages that share the script. Han characters without kana are Chinese unless
one of them is written only in Japanese ("労", "険"); in traditional forms alone they may be
either, and the answerer lets the phrasing a message matches decide (Detection.undecided).
Short messages are unreliable, so `choose` applies the order: the user's explicit choice, a
confident detection, Telegram's `language_code`, a probable detection of three words or
more, the knowledge base's language.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

# Script of a letter (from its Unicode name) -> languages written in it that we can tell.
SCRIPT_LANGUAGES = {
    "LATIN": None,  # many: decided by the statistical model
    "CYRILLIC": ("ru", "uk", "bg", "sr", "mk", "be", "kk", "ky", "mn", "tg"),
    "ARABIC": ("ar", "fa", "ur", "ps", "ug", "ku", "sd"),
    "CJK": ("zh", "ja"),
    "HIRAGANA": ("ja",),
    "KATAKANA": ("ja",),
    "HANGUL": ("ko",),
    "GREEK": ("el",),
    "HEBREW": ("he", "yi"),
    "THAI": ("th",),
    "DEVANAGARI": ("hi", "mr", "ne"),
    "GEORGIAN": ("ka",),
    "ARMENIAN": ("hy",),
    "BENGALI": ("bn",),
    "TAMIL": ("ta",),
    "KHMER": ("km",),
    "LAO": ("lo",),
    "MYANMAR": ("my",),
}
_NON_LATIN = frozenset(lang for langs in SCRIPT_LANGUAGES.values() if langs for lang in langs)
# Languages whose readers do not read the one configured language of their script: a Persian,
# Urdu or Pashto message is not Arabic, and its writer reads the knowledge base's language
# (English) better than Arabic. Told apart by py3langid (its codes -> ours; ary, arz are
# Moroccan and Egyptian Arabic), and claimed only when it is at least OTHER_LANGUAGE sure
# among the script's languages, so that a short or ambiguous Arabic message stays Arabic.
# Cyrillic-script languages are not listed: their readers mostly read Russian.
NOT_READ_AS = {
    "ARABIC": {
        "fa": "fa", "ur": "ur", "ps": "ps", "ug": "ug", "ku": "ku", "sdh": "ku", "uzs": "uz",
        "ar": "ar", "ary": "ar", "arz": "ar",
    },
}  # fmt: skip
OTHER_LANGUAGE = 0.7
# Languages of the Latin and Cyrillic scripts that centres' users write in, that the bot does
# not configure and that USE was not trained on, by py3langid code: Vietnamese, Uzbek;
# Kazakh, Kyrgyz, Tajik, Mongolian (whose readers read Russian, so they are answered in it).
# A message is written in one of them (Detection.written) when py3langid, among all its
# languages, gives them together at least WRITTEN_MASS and the message has MIN_LETTERS
# letters. That claimed one of the 24,919 lines of the configured languages in the
# knowledge base, the locales and the benchmark sets ("шанхай или шэньчжэнь для wfoe":
# Mongolian), and 110 of the 120 Vietnamese, Uzbek and Kazakh messages of
# bench/data/other-languages*.yaml. Not listed: Indonesian and Malay, which USE alone
# answered well (78.5% right of that set's validation questions: a list instead would cost
# more right answers than wrong ones), Ukrainian and Belarusian (near Russian, unmeasured).
WRITTEN = {"LATIN": frozenset(("vi", "uz")), "CYRILLIC": frozenset(("kk", "ky", "tg", "mn"))}
WRITTEN_MASS = 0.8
# Those languages, whose readers an app or browser set to them names even when a message is
# too short to tell ("سلام", "ممنون", "خداحافظ" are Persian as well as Arabic): choose().
READ_APART = frozenset(code for table in NOT_READ_AS.values() for code in table.values())
# Letters only Persian and Urdu keyboards type (Farsi yeh, keheh; Urdu's yeh barree, heh goal,
# retroflexes, noon ghunna, heh doachashmee) and letters only Arabic keyboards type (yeh,
# kaf, alef maksura, teh marbuta). A message with the first and none of the second is not
# Arabic, however short: none of the 2,913 Arabic lines of the knowledge base, the benchmark
# questions and the locales has one.
NOT_ARABIC_KEYBOARD = re.compile("[\u06cc\u06a9\u06d2\u06c1\u0679\u0688\u0691\u06ba\u06be]")
ARABIC_KEYBOARD = re.compile("[\u064a\u0643\u0649\u0629]")
# Probability mass the model must give our candidate languages for a detection to count fully.
CANDIDATE_MASS = 0.5
# Without a confident detection or a Telegram language_code, a detection at least this likely
# of a message of three words or more is still a better guess than the knowledge base's
# language ("contador obligatorio para mi empresa" is unsure, but Spanish).
PROBABLE = 0.4
# Fewer letters than this in a Latin- or Cyrillic-script message: detection is only a guess.
MIN_LETTERS = 12
# Letters of a non-Latin script that make a message that script's, whatever Latin words it
# carries: "WFOE注册资本最低多少" is Chinese and "как получить work permit" Russian. Latin
# acronyms and terms inside such a message never decide its language.
MIN_SCRIPT_LETTERS = {"CJK": 2, "HIRAGANA": 1, "KATAKANA": 1, "HANGUL": 2}
MIN_OTHER_SCRIPT_LETTERS = 4
# The other way round, a few Han characters, kana or Hangul quoted in a Latin-script message
# ("Business License (营业执照) verloren", "押一付三 ne demek") do not make it Chinese: when
# its Latin letters are at least this many times those, the message is Latin-script.
LATIN_PER_CJK = 4
_CJK_FAMILY = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL")
# Latin-script words that say nothing about which Latin-script language a message is in:
# the domain's loanwords and names, used alike in every language. Removed (with acronyms in
# capitals) before the statistical model ranks a Latin-script message, when enough is left.
NEUTRAL_WORDS = frozenset(
    "wfoe wfoes fapiao fapiaos vat icp pipl cit iit safe amr samr hukou wechat alipay weixin "
    "china chinese beijing shanghai shenzhen guangzhou hangzhou chengdu suzhou rmb cny usd "
    "yuan renminbi ok pls plz".split()
)
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Detection:
    language: str | None  # None: no letters at all
    confidence: float  # 0..1
    # Languages the text's writing could equally be, `language` among them, when the writing
    # system cannot tell them apart: Han characters in their traditional forms and nothing
    # else ("法人口座 開設 必要書類") are Traditional Chinese or Japanese. Another clue (the
    # phrasing the message matches) may choose among them; () when there is no such doubt.
    undecided: tuple[str, ...] = ()
    # The language the text is written in when it is none the bot can tell in its script
    # but one py3langid is sure of (WRITTEN): Vietnamese or Uzbek detected, for want of
    # better, as the nearest configured language, Kazakh as Russian (whose words its readers
    # read). Matching only (Matcher.second_weight: the first encoder never read it); the
    # reply language is still `language`'s. None otherwise.
    written: str | None = None


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    if name.startswith("CJK") or "IDEOGRAPH" in name:
        return "CJK"
    first = name.split(" ", 1)[0]
    return first if first in SCRIPT_LANGUAGES else "OTHER"


def _converted(converter: Any, chars: list[str]) -> list[str]:
    """OpenCC's conversion of each character on its own (one call, one per line)."""
    out = converter.convert("\n".join(chars)).split("\n")
    return out if len(out) == len(chars) else [converter.convert(c) for c in chars]


@cache
def japanese_only() -> frozenset[str]:
    """Han characters written only in Japanese: the post-war simplified forms (shinjitai,
    "険", "労", "円", "実") that differ from both the traditional form and China's simplified
    one ("險" / "险"), so that a Chinese text, simplified or traditional, never has them.
    Derived from OpenCC's tables (its Japanese, traditional and simplified conversions) over
    the CJK Unified Ideographs block, ~0.05 s once per process; 147 characters with OpenCC
    1.4. Not all: "増" is Japanese only too, but China writes its old form "增" unchanged, so
    the tables cannot tell it from a Chinese character; such messages stay undecided."""
    import opencc

    to_old = opencc.OpenCC("jp2t")
    to_simple, to_trad, _ = _converters()
    chars = [chr(c) for c in range(0x4E00, 0xA000)]
    pairs = [(c, old) for c, old in zip(chars, _converted(to_old, chars), strict=True) if old != c]
    new = [c for c, _ in pairs]
    old_simple = _converted(to_simple, [old for _, old in pairs])
    new_simple, new_trad = _converted(to_simple, new), _converted(to_trad, new)
    found = zip(pairs, old_simple, new_simple, new_trad, strict=True)
    return frozenset(
        c
        for (c, old), simple, c_simple, c_trad in found
        # China simplifies the old form differently, and the character is neither a
        # traditional form (t2s keeps it) nor a simplified one (s2t keeps it).
        if len(old) == 1 and simple not in (old, c) and c_simple == c and c_trad == c
    )


@cache
def _converters() -> tuple[Any, Any, Any]:
    import opencc

    return opencc.OpenCC("t2s"), opencc.OpenCC("s2t"), opencc.OpenCC("t2jp")


def _han_language(text: str, candidates: tuple[str, ...], share: float) -> Detection:
    """Han characters without kana: Chinese, unless a character only Japanese writes says
    Japanese. Text whose characters are in traditional forms, with none only China's
    simplified writing has ("法人口座 開設 必要書類", not "个人所得税"), may be Traditional
    Chinese or Japanese: Chinese, undecided between the two (see Detection.undecided)."""
    if "ja" in candidates and any(ch in japanese_only() for ch in text):
        return Detection("ja", share)
    language = "zh" if "zh" in candidates else candidates[0]
    if language != "zh" or "ja" not in candidates:
        return Detection(language, share)
    to_simple, to_trad, to_japanese = _converters()
    han = [ch for ch in text if _script(ch) == "CJK"]
    if to_simple.convert("".join(han)) == "".join(han):
        return Detection(language, share)  # nothing traditional in it
    traditional = _converted(to_trad, han)
    simplified_only = [
        ch
        for ch, trad, japanese in zip(
            han, traditional, _converted(to_japanese, traditional), strict=True
        )
        if trad != ch and japanese != ch  # "个" (個, 個 in Japanese), not "会" (會, 会)
    ]
    return Detection(language, share, () if simplified_only else ("zh", "ja"))


@cache
def _identifier():
    """py3langid's model (loaded once per process, ~0.8 s). All of its ~97 languages stay in
    play: a German sentence must not come out as confident English just because English is
    the only Latin-script language configured."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _has_other_script(scripts: Counter) -> bool:
    """Whether a message has enough letters of a script other than Latin to be that script's."""
    cjk = sum(scripts.get(script, 0) for script in _CJK_FAMILY)
    quoted = scripts.get("LATIN", 0) >= LATIN_PER_CJK * cjk
    return any(
        count >= MIN_SCRIPT_LETTERS.get(script, MIN_OTHER_SCRIPT_LETTERS)
        and not (quoted and script in _CJK_FAMILY)
        for script, count in scripts.items()
        if script not in ("LATIN", "OTHER")
    )


def _without_neutral_words(text: str, letters: int) -> tuple[str, int]:
    """`text` without acronyms and loanwords that every Latin-script language uses, and its
    letter count; unchanged when too little would be left to rank."""
    words = _WORD.findall(text)
    kept = [
        w for w in words if not (w.isupper() and len(w) > 1) and w.casefold() not in NEUTRAL_WORDS
    ]
    kept_letters = sum(map(len, kept))
    if kept == words or kept_letters < 4:
        return text, letters
    return " ".join(kept), kept_letters


class LanguageDetector:
    """Detects the language of short chat messages among `supported` languages."""

    def __init__(self, supported: tuple[str, ...] | list[str]):
        self.supported = tuple(supported)

    @property
    def _model(self):
        return _identifier()

    @staticmethod
    def _rank(ranked: dict[str, float], candidates: tuple[str, ...]) -> Detection:
        """The likeliest of `candidates` (`ranked`: py3langid's probabilities for the text)."""
        scores = np.array([ranked.get(lang, 0.0) for lang in candidates], dtype=float)
        mass = float(scores.sum())
        if not mass:
            return Detection(candidates[0], 0.0)
        best = int(scores.argmax())
        # Share among our candidates, discounted when the model thinks it is another language.
        confidence = scores[best] / mass * min(1.0, mass / CANDIDATE_MASS)
        return Detection(candidates[best], float(confidence))

    def _unread(self, text: str, script: str, configured: str) -> Detection | None:
        """The language of a message in `script` when it is confidently one whose readers do
        not read `configured` (NOT_READ_AS); None when it is `configured` or unsure."""
        ours = NOT_READ_AS.get(script)
        if ours is None or configured not in ours.values():
            return None
        totals: Counter[str] = Counter()
        for code, probability in self._model.rank(text):
            if code in ours:
                totals[ours[code]] += probability
        if (
            configured == "ar"
            and NOT_ARABIC_KEYBOARD.search(text)
            and not ARABIC_KEYBOARD.search(text)
        ):
            totals.pop(configured, None)  # typed on a Persian or Urdu keyboard
            if not totals:
                return Detection("fa", 0.5)
        mass = sum(totals.values())
        if not mass:
            return None
        language, probability = totals.most_common(1)[0]
        confidence = probability / mass
        if language == configured or (configured in totals and confidence < OTHER_LANGUAGE):
            return None
        return Detection(language, confidence)

    def _written(self, ranked: dict[str, float], script: str, letters: int) -> str | None:
        """The language a message is written in (`ranked`: py3langid's probabilities for
        it) when it is confidently one of WRITTEN that the bot does not configure."""
        if letters < MIN_LETTERS:
            return None
        others = [
            (probability, code)
            for code, probability in ranked.items()
            if code in WRITTEN.get(script, ()) and code not in self.supported
        ]
        if sum(p for p, _ in others) < WRITTEN_MASS:
            return None
        return max(others)[1]

    @staticmethod
    def _app_reads_apart(text: str, found: Detection, code: str) -> bool:
        """A message taken for Arabic with no letter only Arabic keyboards type, from an app
        or browser set to Persian, Urdu or Pashto (READ_APART): a greeting or a thank-you
        too short to tell is the app's language, whose readers do not read Arabic."""
        return (
            found.language == "ar"
            and code != "ar"
            and code in READ_APART
            and not ARABIC_KEYBOARD.search(text)
        )

    def detect(self, text: str) -> Detection:
        text = unicodedata.normalize("NFKC", text)  # half-width katakana "ｱﾌﾟﾘ" is "アプリ"
        scripts = Counter(s for s in map(_script, text) if s)
        if not scripts:
            return Detection(None, 0.0)
        if scripts.get("HIRAGANA") or scripts.get("KATAKANA"):
            # kana make Han characters Japanese, and hiragana and katakana are one language
            scripts["HIRAGANA"] += scripts.pop("KATAKANA", 0) + scripts.pop("CJK", 0)
        if scripts.get("LATIN") and _has_other_script(scripts):
            del scripts["LATIN"]  # acronyms and English terms inside another script's text
        script, letters = scripts.most_common(1)[0]
        share = letters / sum(scripts.values())
        if script == "OTHER":  # a script we cannot tell apart: never claim a language
            return Detection(None, 0.0)
        langs = SCRIPT_LANGUAGES[script]
        if langs is None:  # Latin script: the statistical model decides
            candidates = tuple(lang for lang in self.supported if lang not in _NON_LATIN)
            if not candidates:
                return Detection(None, 0.0)
        else:
            candidates = tuple(lang for lang in langs if lang in self.supported)
            if len(candidates) == 1:
                other = self._unread(text, script, candidates[0])
                if other is not None:
                    return Detection(other.language, other.confidence * share)
                written = None
                if script in WRITTEN and letters >= MIN_LETTERS:  # Kazakh: answered in Russian
                    written = self._written(dict(self._model.rank(text)), script, letters)
                return Detection(candidates[0], share, written=written)
            if not candidates:
                return Detection(langs[0], share * 0.5)
        if script == "CJK":
            return _han_language(text, candidates, share)
        if script == "LATIN":
            if len(scripts) > 1:  # without the other scripts' quoted terms
                text = "".join(ch for ch in text if _script(ch) in (None, "LATIN"))
            text, letters = _without_neutral_words(text, letters)
        ranked = dict(self._model.rank(text))
        found = self._rank(ranked, candidates)
        if letters < MIN_LETTERS:
            found = Detection(found.language, found.confidence * letters / MIN_LETTERS)
        written = self._written(ranked, script, letters)
        return Detection(found.language, found.confidence * share, written=written)

    def choose(
        self,
        text: str,
        *,
        chosen: str | None = None,
        telegram_code: str | None = None,
        fallback: str,
        min_confidence: float = 0.8,
    ) -> tuple[str, Detection]:
        """The language to answer in, and what detection said about `text`."""
        found = self.detect(text)
        if chosen:
            return chosen, found
        code = (telegram_code or "").split("-")[0].lower()
        if found.language and found.confidence >= min_confidence:
            if self._app_reads_apart(text, found, code):
                return code, found
            return found.language, found
        if code in self.supported:
            return code, found
        if found.language and found.confidence >= PROBABLE and len(text.split()) >= 3:
            return found.language, found  # no other clue: more likely than not is enough
        return fallback, found


def written_in(detector: LanguageDetector, text: str) -> str | None:
    """The language `text` is more likely than not written in (a staff reply sent as typed),
    None when detection is unsure."""
    found = detector.detect(text)
    return found.language if found.language and found.confidence >= PROBABLE else None
