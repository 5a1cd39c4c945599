"""Keyboard mash is gibberish, one word or several; real short questions never are,
in any of the bot's languages (en, zh, ru, ar, fr, es) or German."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.knowledge import load_knowledge
from bot.smalltalk import GIBBERISH, classify
from tests.conftest import ROOT

MASH = [
    "asdkjh qwe",
    "sdfgh jkl",
    "xcvb nm",
    "lkjh",
    "jjjj kkk",
    "asdasd",
    "qweqwe kjhkjh",
    "poiu",
    "zxcv asdf qwer",
    "dkjfhskd",
    "hjfdks jfkdls",
    "ASDKJH QWE!!",
    "йцук фыв",
    "вапвап",
    "azerty qsdf",  # French keyboard
    "qwertz",  # German keyboard
]

REAL = [
    # English: acronyms and two-word questions
    "vat rate",
    "wfoe cost",
    "visa?",
    "fapiao",
    "VAT",
    "IIT",
    "CIT rate",
    "ICP license",
    "HR",
    "sz hk",
    "SAFE",
    "Z visa",
    "strengths",
    "rhythm",
    # Chinese
    "发票",
    "社保",
    "签证？",
    # Russian
    "ИНН?",
    "виза",
    "НДС ставка",
    "контрпродуктивный",
    "взгляд",
    # Arabic
    "ضريبة",
    "تأشيرة؟",
    # French
    "TVA ?",
    "SIRET",
    "Kbis",
    # Spanish
    "IVA",
    "NIE",
    "CIF empresa",
    # German
    "GmbH",
    "Kfz Steuer",
    "Steuernummer?",
    "Wirtschaftsprüfer",
    "Rechtsschutz",
    "Geschäftsführer",
    "Angstschweiß",
    "Herbstschnitt",
    "Handelsregisterauszug",
    # consonants joined at an "s" between two parts of a compound
    "Auslandskrankenversicherung",
    "selbstständig",
    "Vertragsstrafe",
    "leeftijdsgrens",
    "powstrzymać",
]


@pytest.mark.parametrize("text", MASH)
def test_keyboard_mash_is_gibberish(text):
    assert classify(text) == GIBBERISH


@pytest.mark.parametrize("text", REAL)
def test_real_short_questions_are_not_gibberish(text):
    assert classify(text) != GIBBERISH


def _phrasings() -> list[str]:
    kb = load_knowledge(ROOT / "knowledge", "en")
    texts = []
    for entry in kb.entries:
        texts += [entry.question, *entry.alternates]
        for version in entry.translations.values():
            texts += [version.question, *getattr(version, "alternates", ())]
        for phrasings in entry.phrasings.values():
            texts += phrasings
    return texts


PHRASINGS = _phrasings()
WORDS = sorted(
    {w for text in PHRASINGS for w in re.findall(r"[^\W\d_]{2,}", text)}  # letters only
)


def test_no_phrasing_of_the_knowledge_base_is_small_talk_or_gibberish():
    """Every phrasing staff attached to an entry reaches matching: none is taken for a
    greeting, "are you a bot?", frustration or a keyboard mash."""
    assert len(PHRASINGS) > 10_000
    assert [t for t in PHRASINGS if classify(t) is not None] == []


def test_no_word_of_the_knowledge_base_alone_is_gibberish():
    """A user may type one word of an entry's phrasings and nothing else: "selbstständig",
    "Inlandsflug" and five more were taken for a keyboard mash."""
    assert len(WORDS) > 30_000
    assert [w for w in WORDS if classify(w) == GIBBERISH] == []


@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))
def test_real_words_in_any_combination_are_not_gibberish(words):
    assert classify(" ".join(words)) != GIBBERISH


ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm", "poiuytrewq", "lkjhgfdsa", "йцукенгшщз"]


@st.composite
def mash(draw):
    """One keyboard run of 4+ keys, and up to two fragments of 2-3 keys beside it."""
    row = draw(st.sampled_from(ROWS))
    start = draw(st.integers(0, len(row) - 4))
    words = [row[start : start + draw(st.integers(4, len(row) - start))]]
    for _ in range(draw(st.integers(0, 2))):
        row = draw(st.sampled_from(ROWS))
        start = draw(st.integers(0, len(row) - 3))
        words.insert(draw(st.integers(0, len(words))), row[start : start + draw(st.integers(2, 3))])
    return " ".join(words)


@given(mash())
def test_keyboard_runs_with_fragments_are_gibberish(text):
    assert classify(text) == GIBBERISH
