"""Opposite intents (bot/opposites.py): which side of opening / closing a text says, which
entries say one side, and the penalty a question gives the entries of the other."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bot.answering import Answerer
from bot.matching import Matcher
from bot.opposites import Opposites, said

CLOSING = (
    "How do I deregister my WFOE?",
    "shut down my company properly",
    "公司注销要多久",
    "會社を畳みたい",  # Japanese in traditional-looking kanji: normalize() reads 会社
    "법인 폐업 절차가 어떻게 되나요",
    "снять компанию с регистрации",
    "Как закрыть ООО в Китае?",
    "şirketi kapatmak istiyorum",
    "WFOE tasfiyesi ne kadar sürer",
    "chiudere una società in Cina",
    "fermer ma société en Chine",
    "cerrar mi empresa en China",
    "baja simplificada de empresa",
    "fechar a empresa na China",
    "Firma in China schließen",
    "Löschung der GmbH",
    "mijn bedrijf in China opheffen",
    "jak zlikwidować spółkę w Chinach",
    "ขั้นตอนยกเลิกการจดทะเบียนบริษัทในจีน",
    "عايز اقفل الشركة بتاعتي",
    "إجراءات إغلاق الشركة",
    "كيف أقوم بإغلاق الشركة",  # with a leading particle
)
OPENING = (
    "how to register a company in china",
    "How do I set up a WFOE?",
    "在中国注册公司需要多少钱",
    "中国で会社を設立したい",
    "중국에서 법인 설립하려면",
    "Как открыть компанию в Китае?",
    "çinde şirket açmak toplam kaça mal olur",
    "sirket kurmak ne kadar",
    "costituire una società in Cina",
    "créer une société en Chine",
    "abrir una empresa en China",
    "abrir empresa na China",
    "eine Firma in China gründen",
    "een bedrijf oprichten in China",
    "założyć firmę w Chinach",
    "จดทะเบียนบริษัทในจีน",
    "تأسيس شركة في الصين",
    "والتسجيل في الصين",
)
NEITHER = (
    "How much is the VAT rate?",
    "汇算清缴什么时候截止",  # the annual reconciliation, not a company's liquidation
    "plazo de la liquidación anual del impuesto",  # a tax settlement
    "cálculo de salário líquido",  # net pay
    "Wie hoch ist die Körperschaftsteuer?",
    "",
)


@pytest.mark.parametrize("text", CLOSING)
def test_closing_is_read_in_every_language(text):
    assert said(text) == {"closing"}


@pytest.mark.parametrize("text", OPENING)
def test_opening_is_read_in_every_language(text):
    assert said(text) == {"opening"}


@pytest.mark.parametrize("text", NEITHER)
def test_other_questions_say_neither(text):
    assert said(text) == frozenset()


def test_a_word_read_for_closing_is_not_read_again_for_opening():
    """ "deregister" holds "register", Thai "cancel the registration" holds "registration",
    Russian "снять с регистрации" a registration word: each says closing alone."""
    assert said("deregister the company") == {"closing"}
    assert said("ยกเลิกการจดทะเบียนบริษัท") == {"closing"}
    assert said("снять с регистрации") == {"closing"}


def test_a_question_can_say_both():
    assert said("close the representative office after opening the WFOE") == {
        "closing",
        "opening",
    }


def _opposites(said_by: list[list[str]], owner: list[int]) -> Opposites:
    return Opposites(said_by, np.array(owner, dtype=np.int64), max(owner) + 1)


def test_an_entry_says_a_side_when_most_of_its_phrasings_do():
    # entry 0: 3 of 4 closing; entry 1: 2 of 3 opening, 1 closing (a third: too many);
    # entry 2: 1 of 3 opening (too few); entry 3: 2 of 2 opening
    opposites = _opposites(
        [["closing"], ["closing"], ["closing"], []]
        + [["opening"], ["opening"], ["closing"]]
        + [["opening"], [], []]
        + [["opening"], ["opening"]],
        [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3],
    )
    closing, opening = (opposites.names.index(n) for n in ("closing", "opening"))
    assert opposites.says[:, closing].tolist() == [True, False, False, False]
    assert opposites.says[:, opening].tolist() == [False, False, False, True]


def test_a_question_of_one_side_penalizes_the_entries_of_the_other():
    opposites = _opposites([["closing"], ["opening"], []], [0, 1, 2])
    penalty = opposites.log_penalty("how do I set up a company", 0.01)
    assert penalty is not None
    assert penalty.tolist() == pytest.approx([np.log(0.01), 0.0, 0.0])
    penalty = opposites.log_penalty("how do I close my company", 0.01)
    assert penalty is not None
    assert penalty.tolist() == pytest.approx([0.0, np.log(0.01), 0.0])


def test_no_penalty_for_both_sides_neither_or_a_penalty_of_one():
    opposites = _opposites([["closing"], ["opening"], []], [0, 1, 2])
    assert opposites.log_penalty("close the old office and open a new one", 0.01) is None
    assert opposites.log_penalty("what is the VAT rate", 0.01) is None
    assert opposites.log_penalty("how do I close my company", 1.0) is None


def test_the_shipped_knowledge_base_does_not_answer_closing_with_setting_up(answerer, config):
    """USE alone answered "how long to close a company" with the set-up timeline."""
    question = "how long to close a company in china"
    answer = answerer.ask(question)
    assert answer.id != "company-setup-timeline"
    offered = [answer.id] if answer.id else [s.id for s in answer.suggestions]
    assert offered[0] == "deregister-close-company", offered
    off = replace(config, matching=replace(config.matching, opposite_penalty=1.0))
    matcher = Matcher(answerer.kb, off.matching, answerer.matcher.encoder, None)
    before = Answerer(answerer.kb, matcher, answerer.detector, off).ask(question)
    # What the penalty is for: the set-up timeline answered, or offered first.
    assert (before.id or before.suggestions[0].id) == "company-setup-timeline", before


def test_the_matcher_reads_its_entries_sides(answerer):
    """The shipped knowledge base: the deregistration entry is about closing, the set-up
    steps and costs about opening, and nothing else about closing."""
    opposites = answerer.matcher.opposites
    ids = answerer.matcher.entry_ids
    closing = {ids[i] for i in np.flatnonzero(opposites.says[:, opposites.names.index("closing")])}
    opening = {ids[i] for i in np.flatnonzero(opposites.says[:, opposites.names.index("opening")])}
    assert closing == {"deregister-close-company"}
    assert {"company-setup-steps", "company-setup-cost"} <= opening
    assert not opening & {"deregister-close-company", "centre-opening-hours"}
