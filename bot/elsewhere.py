"""Questions set in another country: "How do I register a company in Japan?", "Almanya'da
GmbH kurmak için ne kadar sermaye lazım?", "베트남 사업비자 발급 기간 얼마나 걸려요?".

The knowledge base answers about China. Matched on their words alone, such questions get a
confident Chinese answer (registered capital, the M visa) that is wrong for the country
asked about. A question is set elsewhere when it names another country as the place where
things happen ("in Japan", "en Allemagne", "в Германии", "w Niemczech", "في ألمانيا",
"भारत में", "ভারতে", "日本で", "베트남에서", "在日本", "ที่ญี่ปุ่น"; in Korean and Chinese a
country named before a noun, "베트남 사업비자", counts too), or a city abroad the same way
("in Tokyo", "в Москве"), or names a visa for it ("a work visa for Canada", "виза в
Германию", "wiza do Japonii", "werkvisum voor Vietnam", "วีซ่าทำงานญี่ปุ่น", "Almanya
vizesi"), and nothing in it points to China: the country, its cities and provinces, its
language, "foreigner", a WFOE or a fapiao, or money, documents, a parent company, data or
work experience going between the two countries (`bot/locales/places.yaml`). "I live in
Germany, how do I open a company in Shanghai?" and "send the profits to our parent company
in Italy" are about China; "from Germany", "to the US", "I am German" and "I live in
Japan" name no place where things happen.

Country names are CLDR's (Babel's territory names) in the question's language and in
English, and cities CLDR's time zone cities for the zones places.yaml lists, with the
aliases in places.yaml. The detected language, the reply language and the language a
message is written in when the bot does not configure it (Vietnamese, Uzbek, Kazakh:
Detection.written) are each read in their own grammar, and English and Indonesian always
(detection takes Indonesian for English, Dutch or Turkish; on the benchmark questions its
"di" and "ke" named no place in any other language). Hong Kong, Macao and Taiwan are
never "another country" here, since questions about them are usually questions about doing
business with the mainland. The answerer then offers its suggestions instead of an
answer, after a note that names the country (Answerer.ask); nothing is said and nothing
changes when the check finds no country.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import get_timezone_location
from ruamel.yaml import YAML

from bot.normalize import normalize

# Never "another country": China itself, and the places whose questions are about China.
NOT_ELSEWHERE = frozenset({"CN", "HK", "MO", "TW"})
# Words before a country that put things there ("in Japan"), per language, and the articles
# that may stand between ("in the Netherlands", "dans les Emirats").
BEFORE = {
    "en": {"in", "inside", "within"},
    "de": {"in", "im"},
    "nl": {"in"},
    "fr": {"en", "au", "aux", "a", "dans"},
    "es": {"en"},
    "it": {"in", "a", "nel", "nella", "negli", "nei", "nelle", "al", "alla", "agli"},
    "pt": {"em", "no", "na", "nos", "nas"},
    "pl": {"w", "we", "na"},  # "na Ukrainie", "na Węgrzech"
    "ru": {"в", "во"},
    "ar": {"في", "داخل"},
    "fa": {"در", "تو"},  # "تو دبی": spoken Persian's "in"
    "ps": {"په"},  # "په المان کې"
    "zh": {"在", "于"},
    "vi": {"o", "tai"},  # "ở Nhật", "tại Hàn Quốc"
    "id": {"di"},
}
ARTICLES = {"the", "der", "den", "die", "le", "la", "les", "l", "el", "los", "las", "de", "il",
            "lo", "gli", "o", "a", "os", "as", "het"}  # fmt: skip
# Where someone lives or is ("I live in Japan", "moro em Portugal", "지금 한국에 있는데",
# "Türkiye'de yaşayabilir mi") is not where the question is set: the asker or a manager
# abroad asking about China. The word before "in" (or, in Korean and Turkish, the word after
# the country) says so.
RESIDING_BEFORE = {
    "en": {"live", "lives", "living", "lived", "based", "reside", "resides", "residing", "am",
           "im", "are", "stay", "staying", "currently"},
    "fr": {"habite", "habitons", "vis", "vit", "vivons", "suis", "sommes", "reside", "base",
           "basee", "actuellement"},
    "es": {"vivo", "vive", "vivimos", "estoy", "estamos", "resido", "reside", "radicado"},
    "pt": {"moro", "mora", "moramos", "morando", "vivo", "vive", "vivendo", "estou", "estamos",
           "resido", "residindo"},
    "de": {"wohne", "wohnt", "lebe", "lebt", "bin", "sind", "sitze", "sitzt", "ansassig",
           "derzeit"},
    "it": {"vivo", "vive", "abito", "abita", "sono", "siamo", "risiedo"},
    "nl": {"woon", "woont", "wonen", "ben", "zit", "zitten", "verblijf", "verblijven",
           "gevestigd", "momenteel"},
    "pl": {"mieszkam", "mieszka", "mieszkamy", "mieszkaja", "jestem", "jestesmy",
           "przebywam", "przebywamy", "obecnie", "teraz", "zyje", "zyjemy"},
    "ru": {"живу", "живет", "живем", "живут", "нахожусь", "находится"},
    "ar": {"اعيش", "يعيش", "اسكن", "يسكن", "مقيم", "اقيم"},
    # "tôi ở Việt Nam", "đang sống ở Hà Nội": ở is also "live, be"
    "vi": {"toi", "minh", "em", "anh", "chi", "song", "dang", "hien", "nha"},
    "id": {"tinggal", "menetap", "berdomisili", "domisili", "saya", "aku", "kami", "sekarang",
           "lagi", "masih", "kerja", "bekerja", "kuliah"},
}  # fmt: skip
RESIDING_AFTER_KO = (("있",), ("살",), ("거", "주"), ("머", "물"))
RESIDING_AFTER_TR = ("yasa", "yasi", "otur", "ikamet")
# Uzbek and Kazakh as Turkish: "Toshkentda yashayman", "Алматыда тұрамын" (live there).
RESIDING_AFTER_JOINED = {
    "tr": RESIDING_AFTER_TR,
    "uz": ("yasha", "tura", "turi", "istiqomat"),
    "kk": ("тұра", "тұры", "тура", "туры", "өмір", "омир"),
}
# Persian, Urdu and Pashto say it after the country (and its postposition): "در آلمان زندگی
# می‌کنم", "جرمنی میں رہتا ہوں", "په المان کې اوسېږم". Word beginnings; a space ends a
# whole word ("رہ رہا ہوں" lives, "رہائش" is residence).
RESIDING_AFTER = {
    "fa": ("زندگی", "ساکن", "مقیم", "هستم", "هستیم", "میمان"),
    "ur": ("رہتا", "رہتی", "رہتے", "رہ ", "مقیم", "ہوں", "ہیں", "موجود"),
    "ps": ("اوس", "ژوند", "یم", "یو"),
    "hi": ("रहता", "रहती", "रहते", "रह ", "हूँ", "हूं", "हैं", "मौजूद"),
    "bn": ("থাকি", "থাকেন", "থাকে", "থাকছি", "আছি", "আছেন", "বাস"),
}
# Postpositions after a country that put things there: Japanese で / にて / における,
# Korean 에서 / 에 / 의, Turkish -da / -de / -ta / -te (apart after an apostrophe, or joined).
KOREAN_IN = (("에", "서"), ("에",))
AFTER = {
    "ja": (("で",), ("に", "て"), ("に", "お", "け", "る")),
    "ko": (*KOREAN_IN, ("의",)),
    "ur": (("میں",),),  # "دبئی میں" (before a country, "میں" is "I")
    "hi": (("में",),),  # "भारत में"
}
# A visa or permit for a country is that country's ("a work visa for Japan", "Visum für
# Vietnam", "visto per il Canada"): the word for "for" before the country, and a visa word
# (a word beginning with one of VISA_WORDS) among the three words before that.
VISA_FOR = {
    "en": {"for"},
    "de": {"fur"},
    "fr": {"pour"},
    "es": {"para"},
    "it": {"per"},
    "nl": {"voor", "naar"},
    "pl": {"do"},  # "wiza do Japonii": to Japan
    "pt": {"para", "pro"},
    "vi": {"di", "sang"},  # "visa đi Nhật", "visa sang Hàn": to go to
    "id": {"ke", "untuk"},
}
VISA_WORDS = {
    "en": ("visa", "permit", "residence"),
    "de": ("visum", "visa", "arbeitsvisum", "aufenthalt", "arbeitserlaubnis"),
    "fr": ("visa", "permis", "titre"),
    "es": ("visa", "visado", "permiso", "residencia"),
    "it": ("visto", "visti", "permesso"),
    "nl": ("visum", "visa", "werkvergunning", "verblijfsvergunning"),
    "pl": ("wiz", "zezwoleni", "pozwoleni"),
    "pt": ("visto", "vistos", "autorizacao", "residencia"),
    "vi": ("visa",),
    "id": ("visa", "izin"),
}
# German joins the visa to its kind: "Arbeitsvisum", "Geschäftsvisum".
VISA_ENDINGS = {"de": ("visum", "visa"), "nl": ("visum", "visa")}
# Russian puts a visa "to" a country in the accusative: "виза в Германию", "визу в Японию".
RUSSIAN_VISA = ("виз", "разрешени", "внж")
RUSSIAN_ACCUSATIVE = ("у", "ю")
ACCUSATIVE = "acc"  # what _mentions says of a name found in it
# Persian names a country after a visa or residence word joined by the ezafe ("ویزای کار
# آلمان", "اقامت ترکیه"): the country that issues it.
# Arabic does the same with the construct state: "فيزا ألمانيا", "تأشيرة عمل كندا".
ISSUED_BY = {
    "fa": {"ویزا", "ویزای", "ویزه", "اقامت"},
    "ar": {"فيزا", "الفيزا", "فيزه", "تاشيره", "التاشيره", "اقامه", "الاقامه"},
}
VISA_KINDS = {
    "fa": {"کار", "کاری", "تجاری", "توریستی", "تحصیلی", "دانشجویی"},
    "ar": {"عمل", "العمل", "سياحه", "سياحيه", "زياره", "دراسه", "تجاريه", "اعمال"},
}
# Turkish puts the country first: "Almanya vizesi", "Kanada çalışma vizesi".
TURKISH_VISA = ("vize",)
# Pashto and Urdu say it with the genitive: "د دوبۍ ویزه", "دبئی کا ویزا" (Dubai's visa).
# (the word before the country or None, the words after it, the visa or residence words)
GENITIVE_VISA = {
    "ps": ("د", (), {"ویزه", "ویزې", "ویزا", "اقامت", "اقامه"}),
    "ur": (None, ("کا", "کی", "کے"), {"ویزا", "ویزہ", "ویزے", "اقامہ", "اقامت"}),
}

TURKISH_LOCATIVE = ("da", "de", "ta", "te", "nda", "nde")
# Uzbek joins "in" as -da ("Germaniyada", "Dubayda"), Kazakh as -да/-де/-та/-те/-нда/-нде
# ("Германияда", "Дубайда"); "-dan"/"-дан" is from, "-ga"/"-ға" to.
UZBEK_LOCATIVE = ("da",)
KAZAKH_LOCATIVE = ("да", "де", "та", "те", "нда", "нде")
# Bengali joins "in" to the name: "ভারতে", "দুবাইতে", "মালয়েশিয়ায়" (-e, -te, -y; "ভারতের",
# of India, and "ভারত থেকে", from India, name no place).
BENGALI_LOCATIVE = ("\u09c7", "\u09a4\u09c7", "\u09af\u09bc", "\u098f")
# What a word may add to a one-word name, by language: the joined "in" (Arabic's is a prefix).
JOINED_SUFFIXES = {
    "tr": TURKISH_LOCATIVE,
    "bn": BENGALI_LOCATIVE,
    "uz": UZBEK_LOCATIVE,
    "kk": KAZAKH_LOCATIVE,
}
# Korean and Chinese name a country before a noun ("베트남 사업비자", "美国签证"): such a
# mention counts unless a word saying who or what comes from there follows, or a word saying
# from or to precedes (Chinese).
# A Korean name must begin a word (Korean writes spaces between words: "인도" is India, "법인
# 도장" is not) and, without a postposition, be the whole word ("한국시리즈" is no place).
BARE = {"ko", "zh"}
NOT_A_PLACE_AFTER = {
    "ko": (
        ("인",),
        ("어",),
        ("사", "람"),
        ("출", "신"),
        ("국", "적"),
        ("계",),
        ("으", "로"),
        ("로",),
        ("나", "가"),
        ("돌", "아"),
        ("가",),
        ("와",),
        ("들", "어"),
        ("귀", "국"),
        ("복", "귀"),
    ),
    "zh": (
        ("人",),
        ("籍",),
        ("语",),
        ("话",),
        ("文",),
        ("产",),
        ("制",),
        ("护", "照"),
        ("客", "户"),
        ("朋", "友"),
    ),
}
NOT_A_PLACE_BEFORE = {"zh": {"从", "自", "去", "到", "往", "向", "寄", "汇", "回", "对"}}
# Russian country names change their endings: "в Германии", "в Южной Корее" (in) but "в
# Германию" (to). A word matches a name's word in the prepositional case: the name's word
# without its final vowels, then one of these endings; short names that do not change (США,
# ОАЭ, Перу) match as they are.
RUSSIAN_ENDINGS = ("е", "и", "ии", "ее", "ои", "ом", "ах", "ях", "их")
_RUSSIAN_VOWELS = "аеиоуыэюяь"
# Polish country names change their endings too: "w Japonii", "we Francji", "w Wietnamie",
# "w Kanadzie", "w Korei Południowej", "do Wietnamu" (to). A word matches a name's word when
# it is that word without its final vowels (three letters at least) plus one of these
# endings, the adjective ones only in a name of several words ("Korea Południowa", not
# "polskiej firmie"); the irregular forms ("w Niemczech", "w Polsce") are aliases in
# places.yaml.
POLISH_ENDINGS = ("i", "ii", "ji", "ie", "u", "y", "e", "ze", "zie", "ei", "ach", "iach", "ech")
POLISH_ADJECTIVE_ENDINGS = ("ej", "iej", "ych", "ich")
_POLISH_VOWELS = "aeiouy"
_STEM_VOWELS = {"ru": _RUSSIAN_VOWELS, "pl": _POLISH_VOWELS}
# Thai writes no spaces between words: a Thai name is looked for inside the text, and
# counts when "in" or "at" (ใน, ที่, optionally with "country" or "city") or a visa
# ("วีซ่าทำงานญี่ปุ่น", "วีซ่าไปเกาหลี") comes just before it, unless the asker lives or is
# there ("ผมอยู่ไทย", "อยู่ที่ญี่ปุ่น").
# (Patterns in NFKC, as normalize() leaves Thai: "ำ" is "ํา".)
_THAI = re.compile(r"[\u0e00-\u0e7f]")
_THAI_BEFORE = re.compile(unicodedata.normalize("NFKC", r"(?:ใน|ที่)(?:ประเทศ|เมือง)?$"))
_THAI_VISA = re.compile(
    unicodedata.normalize(
        "NFKC",
        r"(?:วีซ่า|ใบอนุญาตทำงาน)(?:ทำงาน|ธุรกิจ|ท่องเที่ยว|นักเรียน|นักศึกษา|ครอบครัว)?"
        r"(?:ไป|เข้า)?(?:ประเทศ)?$",
    )
)
_THAI_RESIDING = re.compile(unicodedata.normalize("NFKC", r"อยู่(?:ที่|ใน)?(?:ประเทศ|เมือง)?$"))
# Arabic joins "in" to the name ("بألمانيا", "بالإمارات"); ل (to, for) names no place.
_ARABIC_PREFIXES = ("ب", "وب")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@dataclass(frozen=True)
class Place:
    """A country a question is set in: its ISO 3166 code and the words the question used."""

    code: str
    written: str

    def name(self, lang: str) -> str:
        """The country's name in `lang` (CLDR), else in English."""
        return _territories(lang).get(self.code) or _territories("en")[self.code]


@cache
def _data() -> dict:
    path = resources.files("bot") / "locales" / "places.yaml"
    return dict(YAML(typ="safe").load(path.read_text(encoding="utf-8")))


@cache
def _territories(lang: str) -> dict[str, str]:
    try:
        names = Locale.parse(lang).territories
    except (UnknownLocaleError, ValueError):
        return {}
    return {
        code: name
        for code, name in names.items()
        if len(code) == 2 and code.isalpha() and code not in {"EU", "EZ", "UN", "QO", "ZZ"}
    }


@cache
def _cities(lang: str) -> dict[str, str]:
    """The cities of places.yaml's `cities` by their name in `lang` (CLDR's time zone
    cities, else the zone's own), each with its country's code."""
    aliases, countries = get_global("zone_aliases"), get_global("zone_territories")
    found = {}
    for zone in _data()["cities"]:
        cldr = aliases.get(zone, zone)
        try:
            name = get_timezone_location(cldr, locale=lang, return_city=True)
        except (UnknownLocaleError, ValueError, LookupError):
            continue
        found[name] = countries[cldr]
    return found


def _words(text: str) -> tuple[str, ...]:
    return tuple(normalize(text).split())


def _word_starts(text: str) -> frozenset[int]:
    """The positions in _words(text) where a word written between spaces begins (a Hangul
    word is several of _words, one a syllable)."""
    starts, at = set(), 0
    for chunk in text.split():
        starts.add(at)
        at += len(_words(chunk))
    return frozenset(starts)


@dataclass(frozen=True)
class _WordList:
    """A word list of places.yaml (`china`, `between`): whole words and word sequences, and
    beginnings (the * ones: one word's, or a sequence whose last word is a beginning)."""

    whole: frozenset[tuple[str, ...]]
    starts: tuple[str, ...]
    sequences: tuple[tuple[tuple[str, ...], str], ...]
    longest: int

    def found_in(self, words: tuple[str, ...]) -> bool:
        for i, word in enumerate(words):
            if word.startswith(self.starts):
                return True
            if any(words[i : i + n] in self.whole for n in range(1, self.longest + 1)):
                return True
            for head, start in self.sequences:
                end = i + len(head)
                if words[i:end] == head and end < len(words) and words[end].startswith(start):
                    return True
        return False


@cache
def _word_list(group: str) -> _WordList:
    whole: set[tuple[str, ...]] = set()
    starts: list[str] = []
    sequences: list[tuple[tuple[str, ...], str]] = []
    for written in _data()[group].values():
        for word in written:
            words = _words(word.rstrip("*"))
            if not words:
                continue
            if not word.endswith("*"):
                whole.add(words)
            elif len(words) == 1:
                starts.append(words[0])
            else:
                sequences.append((words[:-1], words[-1]))
    longest = max((len(w) for w in whole), default=0)
    return _WordList(frozenset(whole), tuple(starts), tuple(sequences), longest)


@cache
def _names(lang: str) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """Country names to look for in a question in `lang`, by first word: (words, code)."""
    ignored = {_words(w) for w in _data()["ignore"].get(lang, []) + _data()["ignore"]["en"]}
    found: dict[tuple[str, ...], str] = {}
    for source in (_territories("en"), _territories(lang)):
        for code, name in source.items():
            if code not in NOT_ELSEWHERE:
                found.setdefault(_words(name), code)
    for cities in (_cities("en"), _cities(lang)):
        for name, code in cities.items():
            found.setdefault(_words(name), code)
    aliases = _data()["aliases"]
    for group in ("all", "en", lang):
        for code, names in (aliases.get(group) or {}).items():
            for name in names:
                found.setdefault(_words(name), code)
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for words, code in found.items():
        if words and words not in ignored:
            key = _stem(words[0], lang) if lang in _STEM_VOWELS else words[0]
            index.setdefault(key, []).append((words, code))
    return index


def _stem(word: str, lang: str) -> str:
    """A Russian or Polish word without its final vowels, when three letters are left."""
    stem = word.rstrip(_STEM_VOWELS[lang])
    return stem if len(stem) >= 3 else word


def _same(word: str, name_word: str, lang: str, several: bool = False) -> bool:
    """Whether `word` is `name_word` as the question writes it (`several`: the name has
    more than one word)."""
    if lang == "ru" and word != name_word:
        stem = _stem(name_word, "ru")
        return word.startswith(stem) and word[len(stem) :] in RUSSIAN_ENDINGS
    if lang == "ru":
        return len(word) <= 3 or (not word.endswith(("а", "я")) and word[-1] in _RUSSIAN_VOWELS)
    if lang == "pl" and word != name_word:
        stem = _stem(name_word, "pl")
        if not word.startswith(stem) or (stem == name_word and name_word[-1] in _POLISH_VOWELS):
            return False
        ending = word[len(stem) :]
        if not ending:  # "do Czech", "do Włoch": a plural name's genitive
            return name_word.endswith("y") and len(stem) >= 4
        return ending in POLISH_ENDINGS or (several and ending in POLISH_ADJECTIVE_ENDINGS)
    return word == name_word


def _follows(words: tuple[str, ...], at: int, options: tuple[tuple[str, ...], ...]) -> bool:
    return any(words[at : at + len(o)] == o for o in options)


def _placed(
    words: tuple[str, ...], start: int, end: int, lang: str, suffix: str, starts: frozenset[int]
) -> bool:
    """Whether the country at words[start:end] is where things happen, by the words around
    it; `suffix` is what a Turkish or Arabic word added to the name ("almanyada"); `starts`:
    where written words begin (_word_starts)."""
    if lang in RESIDING_AFTER_JOINED:
        after = end + (not suffix)  # the word after "almanyada", or after "almanya da"
        if after < len(words) and words[after].startswith(RESIDING_AFTER_JOINED[lang]):
            return False
        if lang == "tr" and not suffix and _visa_after(words, end, TURKISH_VISA):
            return True  # "Almanya vizesi", "Kanada çalışma vizesi"
        joined = JOINED_SUFFIXES[lang]
        return suffix in joined or (
            lang == "tr" and not suffix and end < len(words) and words[end] in joined
        )
    if lang == "ru" and suffix == ACCUSATIVE:  # "виза в Германию"
        return (
            start >= 2
            and words[start - 1] in BEFORE["ru"]
            and any(w.startswith(RUSSIAN_VISA) for w in words[max(0, start - 4) : start - 1])
        )
    if lang == "ar" and suffix:
        return True  # "بألمانيا", "بالإمارات": the prefix ب is "in"
    if lang == "ko":
        if start not in starts:
            return False
        for particle in KOREAN_IN:  # "한국에 있는데": where someone is
            if _follows(words, end, (particle,)) and _follows(
                words, end + len(particle), RESIDING_AFTER_KO
            ):
                return False
        if _follows(words, end, (("에", "서"),)) and _came(words, end + 2, starts):
            return False  # "한국에서 왔는데": 에서 is "from" too
    if lang in RESIDING_AFTER:
        after = end + (
            lang in ("ur", "hi") or (lang == "ps" and end < len(words) and words[end] == "کې")
        )
        if after < len(words) and f"{words[after]} ".startswith(RESIDING_AFTER[lang]):
            return False
    if lang == "bn":
        return suffix in BENGALI_LOCATIVE  # "ভারতে থাকি" (lives there) was ruled out above
    if lang in ISSUED_BY and start:
        issued, kinds = ISSUED_BY[lang], VISA_KINDS[lang]
        word = words[start - 1]
        if word in issued or (start > 1 and word in kinds and words[start - 2] in issued):
            return True
    if lang in GENITIVE_VISA:
        of, particles, visas = GENITIVE_VISA[lang]
        if of is None or (start and words[start - 1] == of):
            at = end + (end < len(words) and words[end] in particles)
            if (not particles or at > end) and at < len(words) and words[at] in visas:
                return True
    if lang in AFTER and _follows(words, end, AFTER[lang]):
        return True
    if lang == "ko" and end < len(words) and end not in starts:
        return False
    if lang in BARE:
        if _follows(words, end, NOT_A_PLACE_AFTER[lang]):
            return False
        return not (start and words[start - 1] in NOT_A_PLACE_BEFORE.get(lang, ()))
    before = BEFORE.get(lang, set())
    at = start - 1
    if at >= 1 and words[at] in ARTICLES and words[at] not in before:  # "a" is Italian "in"
        at -= 1
    if at >= 1 and words[at] in VISA_FOR.get(lang, ()) and _visa_before(words, at, lang):
        return True
    if at < 0 or words[at] not in before:
        return False
    return not (at and words[at - 1] in RESIDING_BEFORE.get(lang, ()))


def _came(words: tuple[str, ...], at: int, starts: frozenset[int]) -> bool:
    """Whether one of the two Korean written words from `at` says someone came ("왔어요",
    "출장 왔는데", "온 직원"): then "X에서" is "from X"."""
    ends = sorted(i for i in starts if i > at)[:2]
    stop = ends[-1] if len(ends) == 2 else len(words)
    # the written words from `at`: (start, end) pairs
    bounds = list(zip([at, *ends[:1]], [*ends[:1], stop], strict=True))
    return any("왔" in words[a:b] or words[a:b] == ("온",) for a, b in bounds)


def _visa_before(words: tuple[str, ...], at: int, lang: str) -> bool:
    """Whether a visa word is among the three words before words[at] ("visa for")."""
    starts, ends = VISA_WORDS[lang], VISA_ENDINGS.get(lang, ())
    return any(w.startswith(starts) or w.endswith(ends) for w in words[max(0, at - 3) : at])


def _visa_after(words: tuple[str, ...], end: int, starts: tuple[str, ...]) -> bool:
    """Whether one of the two words after a country is a visa word ("Almanya vizesi")."""
    return any(w.startswith(starts) for w in words[end : end + 2])


def _mentions(words: tuple[str, ...], lang: str):
    """(start, end, code, suffix) of each country named in `words`."""
    index = _names(lang)
    for i, word in enumerate(words):
        for names, code, suffix in _candidates(index, word, lang):
            end = i + len(names)
            if end > len(words):
                continue
            several = len(names) > 1
            pairs = zip(words[i : end - 1], names[:-1], strict=True)
            if all(_same(w, n, lang, several) for w, n in pairs):
                last = words[end - 1]
                if (lang in JOINED_SUFFIXES or lang == "ar") and len(names) == 1:
                    yield i, end, code, suffix
                elif _same(last, names[-1], lang, several):
                    yield i, end, code, ""
                elif lang == "ru" and _accusative(last, names[-1]):
                    yield i, end, code, ACCUSATIVE


def _accusative(word: str, name_word: str) -> bool:
    """Whether a Russian word is a name's word in the accusative ("германию", "корею")."""
    stem = name_word[:-1] if name_word.endswith(("а", "я")) else None
    return stem is not None and word[len(stem) :] in RUSSIAN_ACCUSATIVE and word.startswith(stem)


def _candidates(index, word: str, lang: str):
    """Names whose first word `word` may be: (words, code, what `word` adds to a one-word
    name in Turkish, Arabic or Bengali)."""
    if lang == "ru":  # the word is a name's stem plus an ending (or none): one look-up each
        keys = {word[: len(word) - len(e)] for e in ("", *RUSSIAN_ENDINGS) if word.endswith(e)}
        keys.add(_stem(word, "ru"))  # "германию": the accusative (_accusative)
        for key in keys:
            for names_words, code in index.get(key, []):
                yield names_words, code, ""
        return
    if lang == "pl":  # the word is a name's stem plus an ending, or the name itself
        endings = (*POLISH_ENDINGS, *POLISH_ADJECTIVE_ENDINGS)
        keys = {word[: len(word) - len(e)] for e in ("", *endings) if word.endswith(e)}
        keys.add(_stem(word, "pl"))
        for key in keys:
            for names_words, code in index.get(key, []):
                yield names_words, code, ""
        return
    for names_words, code in index.get(word, []):
        yield names_words, code, ""
    for suffix in JOINED_SUFFIXES.get(lang, ()):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            for names_words, code in index.get(word[: -len(suffix)], []):
                if len(names_words) == 1:
                    yield names_words, code, suffix
    if lang == "ar":
        for prefix in _ARABIC_PREFIXES:
            if word.startswith(prefix) and len(word) > len(prefix) + 2:
                for names_words, code in index.get(word[len(prefix) :], []):
                    if len(names_words) == 1:
                        yield names_words, code, prefix


@cache
def _thai_names() -> tuple[tuple[str, str], ...]:
    """Thai names of countries and cities abroad (CLDR's, and the aliases), longest first."""
    found: dict[str, str] = {}
    for code, name in _territories("th").items():
        if code not in NOT_ELSEWHERE:
            found.setdefault(normalize(name), code)
    for name, code in _cities("th").items():
        found.setdefault(normalize(name), code)
    for group in ("all", "th"):
        for code, names in (_data()["aliases"].get(group) or {}).items():
            for name in names:
                found.setdefault(normalize(name), code)
    thai = {name: code for name, code in found.items() if _THAI.search(name)}
    return tuple(sorted(thai.items(), key=lambda item: -len(item[0])))


@cache
def _thai_words(group: str) -> tuple[str, ...]:
    """A places.yaml word list's Thai words, found anywhere in a Thai text."""
    return tuple(normalize(w.rstrip("*")) for w in _data()[group].get("thai", []))


def _thai_place(text: str) -> Place | None:
    """The country a Thai text names after "in", "at" or a visa (see _THAI_BEFORE)."""
    for name, code in _thai_names():
        at = text.find(name)
        while at >= 0:
            before = text[:at].rstrip()
            if not _THAI_RESIDING.search(before) and (
                _THAI_BEFORE.search(before) or _THAI_VISA.search(before)
            ):
                return Place(code, name)
            at = text.find(name, at + 1)
    return None


def _by_script(text: str) -> tuple[str, ...]:
    """Languages a question's writing names for certain, whatever detection said: Thai
    letters are Thai, Hangul Korean, kana Japanese, Han without kana Chinese. (Chinese
    grammar is never applied to Japanese: "日本から" is "from Japan", not a country named
    before a noun.)"""
    found = []
    if _THAI.search(text):
        found.append("th")
    if _HANGUL.search(text):
        found.append("ko")
    if _KANA.search(text):
        found.append("ja")
    elif _HAN.search(text):
        found.append("zh")
    return tuple(found)


def place_elsewhere(text: str, languages: tuple[str, ...]) -> Place | None:
    """The other country `text` is set in, read in each of `languages` (the detected and
    the reply language; English and Indonesian are always read too), or None: no country
    named as the place where things happen, or a word of China's or of the two countries'
    ties anywhere in the text."""
    words, starts = _words(text), _word_starts(text)
    if not words or _word_list("china").found_in(words) or _word_list("between").found_in(words):
        return None
    thai = normalize(text) if _THAI.search(text) else ""
    if thai and any(w in thai for w in (*_thai_words("china"), *_thai_words("between"))):
        return None
    script = _by_script(text)
    if "ja" in script:  # detection may say Chinese for a Japanese question full of Han
        languages = tuple(lang for lang in languages if lang != "zh")
    for lang in dict.fromkeys((*languages, *script, "en", "id")):
        if lang == "th":
            place = _thai_place(thai) if thai else None
            if place is not None:
                return place
            continue
        for start, end, code, suffix in _mentions(words, lang):
            if _placed(words, start, end, lang, suffix, starts):
                named = words[start:end]
                joined = all(len(w) == 1 for w in named)  # Han, kana, Hangul: one a word
                return Place(code, ("" if joined else " ").join(named))
    return None
