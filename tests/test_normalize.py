"""Tests for bot/normalize.py: matching keys and cleaned display text."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.normalize import clean, has_cjk, normalize

INVISIBLE = ("Cc", "Cf")


def test_full_width_forms_become_ascii():
    assert normalize("ＡＢＣ１２３") == "abc123"


def test_compatibility_characters():
    assert normalize("ﬁle") == "file"
    assert normalize("①") == "1"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Hello WORLD", "hello world"),
        ("VAT Rate", "vat rate"),
        ("Straße", "strasse"),
        ("ПРИВЕТ Мир", "привет мир"),
        ("ΣΟΦΙΑ", "σοφια"),
    ],
)
def test_case_folding(text, key):
    assert normalize(text) == key


def test_traditional_chinese_becomes_simplified():
    assert normalize("開設銀行帳戶") == normalize("开设银行帐户")
    assert normalize("開設銀行帳戶") == "开 设 银 行 帐 户"
    assert normalize("發票") == normalize("发票") == "发 票"


@pytest.mark.parametrize(
    ("accented", "plain"),
    [
        ("café", "cafe"),
        ("счёт", "счет"),
        ("Ñandú", "nandu"),
        ("dépôt à l'étranger", "depot a l etranger"),
        # Letters whose mark is part of the letter, typed plain on other keyboards
        ("Çalışan istifa ederse ihbar süresi", "calisan istifa ederse ihbar suresi"),
        ("İŞ İZNİ", "is izni"),
        ("złoty", "zloty"),
        ("Tromsø", "tromso"),
    ],
)
def test_accents_are_dropped(accented, plain):
    assert normalize(accented) == normalize(plain) == plain


def test_accents_dropped_in_decomposed_form_too():
    assert normalize("cafe\u0301") == "cafe"


def test_arabic_diacritics_are_dropped():
    assert normalize("مُحَمَّد") == normalize("محمد") == "محمد"
    assert normalize("شُكْرًا") == "شكرا"
    assert normalize("عـــربي") == "عربي"  # tatweel


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        ("أحمد", "احمد"),
        ("إسلام", "اسلام"),
        ("آمن", "امن"),
        ("مستشفى", "مستشفي"),
        ("مدرسة", "مدرسه"),
        ("مؤسسة", "موسسه"),
        ("رئيس", "رييس"),
    ],
)
def test_arabic_letter_variants_are_unified(variant, plain):
    assert normalize(variant) == normalize(plain) == plain


@pytest.mark.parametrize(
    "text",
    [
        "visa\u200b",
        "vi\u200bsa",
        "\ufeffvisa",
        "vi\u200dsa",
        "vi\u00adsa",
        "\u202evisa",
        "vi\x00sa",
        "visa\x07",
        "\x1bvisa",
        "vi\u2060sa",
    ],
)
def test_zero_width_and_control_characters_are_removed(text):
    assert normalize(text) == "visa"


def test_white_space_is_squeezed():
    assert normalize("  work\t\tpermit \n\u3000 visa\u00a0 ") == "work permit visa"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Hello, world! (test)?", "hello world test"),
        ("VAT-rate: 13%", "vat rate 13"),
        ("«Comment?»", "comment"),
        ("¿Cómo?", "como"),
        ("发票怎么开？", "发 票 怎 么 开"),
        ("...!!!", ""),
    ],
)
def test_punctuation_is_removed(text, key):
    assert normalize(text) == key


def test_cjk_characters_become_tokens():
    assert normalize("你好世界") == "你 好 世 界"
    assert normalize("VAT增值税rate") == "vat 增 值 税 rate"
    assert normalize("こんにちは") == "こ ん に ち は"
    assert normalize("안녕") == "안 녕"
    assert normalize("发票，怎么开") == "发 票 怎 么 开"


def test_has_cjk():
    assert has_cjk("VAT 增值税")
    assert has_cjk("カタカナ")
    assert not has_cjk("VAT rate")
    assert not has_cjk("счёт")


@given(st.text())
def test_normalize_never_raises(text):
    assert isinstance(normalize(text), str)


@given(st.text())
@example("ＡＢＣ１２３ 開設銀行帳戶")
@example("café\u200b, مُحَمَّد!")
def test_normalize_is_idempotent(text):
    key = normalize(text)
    assert normalize(key) == key


@pytest.mark.parametrize("text", ["乾隆", "薴"])
def test_normalize_is_idempotent_for_chinese_phrases(text):
    key = normalize(text)
    assert normalize(key) == key


@given(st.text())
@example(" \u200b a\u3000\u3000b \x00")
def test_normalize_output_shape(text):
    key = normalize(text)
    assert key == key.strip()
    assert "  " not in key
    assert not any(ch.isspace() and ch != " " for ch in key)
    assert not any(unicodedata.category(ch) in INVISIBLE for ch in key)


def test_clean_keeps_case_and_punctuation():
    assert clean("How do I get a Z-visa?") == "How do I get a Z-visa?"
    assert clean("«Comment ouvrir un compte ?»") == "«Comment ouvrir un compte ?»"
    assert clean("開設銀行帳戶！") == "開設銀行帳戶！"


def test_clean_removes_control_and_zero_width_characters():
    assert clean("Hello,\u200b World!\x00") == "Hello, World!"
    assert clean("\ufeffvi\u200dsa\x07?") == "visa?"
    assert clean("  line one\n\n\tline two  ") == "line one line two"


@given(st.text())
def test_clean_output_has_no_invisible_characters(text):
    cleaned = clean(text)
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned
    assert not any(unicodedata.category(ch) in INVISIBLE for ch in cleaned)
    assert clean(cleaned) == cleaned
