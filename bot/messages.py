"""The bot's own words, curated by hand per language in `bot/locales/<code>.yaml`.

`Messages.get(lang, key, **fields)` returns the text in `lang`, falling back to English for
languages that have no locale file (machine translation of these texts is a later layer).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from ruamel.yaml import YAML

FALLBACK = "en"


@cache
def _locale(lang: str) -> dict:
    path = resources.files("bot") / "locales" / f"{lang}.yaml"
    if not path.is_file():
        return {}
    return dict(YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {})


# The files of bot/locales/ that are not one language's messages.
NOT_LANGUAGES = ("smalltalk.yaml", "places.yaml", "opposites.yaml")


def available() -> list[str]:
    folder = resources.files("bot") / "locales"
    return sorted(
        p.name[:-5]
        for p in folder.iterdir()
        if p.name.endswith(".yaml") and p.name not in NOT_LANGUAGES
    )


def text(lang: str, key: str, **fields: str) -> str:
    """The message `key` in `lang` (or English), with `{fields}` filled in."""
    value = _locale(lang).get(key) or _locale(FALLBACK)[key]
    return value.format(**fields) if fields else value


def language_name(lang: str, in_lang: str) -> str:
    """Name of language `lang` written in language `in_lang`, e.g. ("en", "ru") -> английский:
    the locale file's table, else CLDR's name (Babel: Vietnamese or Persian, languages the
    bot reads but has no locale of), else the code."""
    names = _locale(in_lang).get("language_names") or _locale(FALLBACK)["language_names"]
    return names.get(lang) or _cldr_name(lang, in_lang) or _cldr_name(lang, FALLBACK) or lang


@cache
def _cldr_name(lang: str, in_lang: str) -> str | None:
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(in_lang).languages.get(lang)
    except (UnknownLocaleError, ValueError):
        return None
    # Thai names a language "ภาษา X" in running text (the locale file's table does); CLDR
    # gives the bare X.
    if name and in_lang == "th" and not name.startswith("ภาษา"):
        name = "ภาษา" + name
    return name


def noun(count: int, one: str, other: str = "") -> str:
    """English `one` for 1, else `other` (by default `one` + s): staff messages in English
    (the command line, the staff chat, errors) say "1 question", "2 questions"."""
    return one if count == 1 else other or one + "s"


def counted(count: int, one: str, other: str = "") -> str:
    """`count` and its noun: "1 entry", "3 entries" (see `noun`)."""
    return f"{count} {noun(count, one, other)}"


def has_locale(lang: str) -> bool:
    return bool(_locale(lang))


def keys() -> list[str]:
    """Every message key (those whose value is a text, not a table)."""
    return [k for k, v in _locale(FALLBACK).items() if isinstance(v, str)]


# The words /notify takes (Telegram and the terminal chat), on and off; anything else is
# answered with `notify_usage` and changes nothing.
NOTIFY_ON = frozenset({"on", "yes", "start", "1"})
NOTIFY_OFF = frozenset({"off", "no", "stop", "0"})


def notify_choice(args: str) -> bool | None:
    """What `/notify ARGS` asks: True to be sent answers later, False not to, None when
    ARGS is not one clear on/off word (nothing, "maybe", "off please")."""
    word = args.strip().lower()
    if word in NOTIFY_ON:
        return True
    if word in NOTIFY_OFF:
        return False
    return None
