"""Tests for bot/messages.py and bot/locales/*.yaml: the bot's own words."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from ruamel.yaml import YAML

import bot
from bot.messages import available, has_locale, language_name, text

LOCALES = Path(bot.__file__).resolve().parent / "locales"
# Every language the sentence encoder understands has curated words.
LANGUAGES = (
    "ar",
    "de",
    "en",
    "es",
    "fr",
    "it",
    "ja",
    "ko",
    "nl",
    "pl",
    "pt",
    "ru",
    "th",
    "tr",
    "zh",
)


def read_locale(lang: str) -> dict:
    return YAML(typ="safe").load((LOCALES / f"{lang}.yaml").read_text(encoding="utf-8"))


def placeholders(value: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(value) if field is not None}


def test_available_locales():
    assert available() == sorted(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_locale_has_the_same_keys_as_english(lang):
    english, other = read_locale("en"), read_locale(lang)
    assert sorted(other) == sorted(english)
    assert sorted(other["language_names"]) == sorted(english["language_names"])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_locale_values_have_the_same_placeholders_as_english(lang):
    english, other = read_locale("en"), read_locale(lang)
    for key, value in english.items():
        if isinstance(value, str):
            assert isinstance(other[key], str) and other[key].strip(), key
            assert placeholders(other[key]) == placeholders(value), key


@pytest.mark.parametrize("lang", LANGUAGES)
def test_locale_keeps_commands_and_markup(lang):
    english, other = read_locale("en"), read_locale(lang)
    for key, value in english.items():
        if isinstance(value, str):
            assert re.findall(r"/[a-z]+(?: on| off)?", other[key]) == re.findall(
                r"/[a-z]+(?: on| off)?", value
            ), key
            assert other[key].count("\n") == value.count("\n"), key


def test_every_locale_names_every_locale_language():
    for lang in LANGUAGES:
        assert sorted(read_locale(lang)["language_names"]) == sorted(LANGUAGES), lang


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_locale_is_translated(lang):
    english, other = read_locale("en"), read_locale(lang)
    assert other["greeting"] != english["greeting"]
    assert other["language_names"][lang] != english["language_names"][lang]


def test_text_in_a_language():
    assert text("en", "goodbye") == "Goodbye, and good luck with your business!"
    assert text("ru", "goodbye") == "До свидания, и удачи в делах!"
    assert text("zh", "goodbye") == "再见，祝您生意兴隆！"


def test_text_fills_placeholders():
    assert text("en", "no_translation", source="Chinese") == (
        "This answer is not yet available in your language; here it is in Chinese."
    )
    filled = text("fr", "no_translation", source="anglais")
    assert "anglais" in filled
    assert "{" not in filled


@pytest.mark.parametrize("lang", ["vi", "uk", "xx", ""])
def test_text_falls_back_to_english(lang):
    assert not has_locale(lang)
    assert text(lang, "thanks") == read_locale("en")["thanks"]
    assert text(lang, "no_translation", source="English").endswith("here it is in English.")


def test_has_locale():
    assert all(has_locale(lang) for lang in LANGUAGES)


@pytest.mark.parametrize(
    ("lang", "in_lang", "name"),
    [
        ("ru", "en", "Russian"),
        ("en", "ru", "английский"),
        ("zh", "zh", "中文"),
        ("es", "fr", "espagnol"),
        ("ar", "es", "árabe"),
        ("fr", "ar", "الفرنسية"),
        ("fr", "de", "Französisch"),
        ("en", "ja", "英語"),
        ("fr", "vi", "French"),  # no Vietnamese locale: English names
        # Languages without a locale file are named by CLDR (Babel)...
        ("vi", "en", "Vietnamese"),
        ("kk", "ru", "казахский"),
        ("fa", "zh", "波斯语"),
        ("fa", "th", "ภาษาเปอร์เซีย"),  # as the Thai table names languages
        ("vi", "vi", "Tiếng Việt"),
        ("fa", "qq", "Persian"),  # in a language CLDR does not know: in English
        ("qq", "en", "qq"),  # no name known: the code itself
    ],
)
def test_language_name(lang, in_lang, name):
    assert language_name(lang, in_lang) == name
