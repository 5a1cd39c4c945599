"""One sentence splitter for the whole project: the model gets whole sentences."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import translation
from bot.segments import split_sentences
from bot.translation import MachineTranslator
from tests.argos_packages import PackageFactory

# Glossary keys that span a full stop: the package translates them only when the model
# receives the sentence whole; a fragment "Dr." or "e.g." leaves them as they are.
WORDS = {"Dr. Wang": "DOKTORWANG", "e.g. a bank": "EXEMPLI", "open": "ABRIR", "Wang": "WANG"}


@pytest.fixture(scope="module")
def translator(tmp_path_factory) -> MachineTranslator:
    pytest.importorskip("ctranslate2")
    folder = tmp_path_factory.mktemp("split")
    packages = PackageFactory(folder / "packages")
    t = MachineTranslator(folder / "models", beam_size=1)
    t.install_file(packages("en", "xx", WORDS, with_splitter=True))  # ships MiniSBD too
    return t


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ask Dr. Wang to open it.", "Ask DOKTORWANG to ABRIR it."),
        ("Bring something, e.g. a bank statement.", "Bring something, EXEMPLI statement."),
        ("Come in. Dr. Wang can help.", "Come in. DOKTORWANG can help."),
        ("- Ask Dr. Wang: https://x.cn/a.b", "- Ask DOKTORWANG: https://x.cn/a.b"),
    ],
)
def test_the_model_receives_abbreviated_sentences_whole(translator, text, expected):
    assert translator.translate(text, "en", "xx") == expected


def test_the_argos_side_uses_the_same_splitter(translator):
    translator.translate("open", "en", "xx")
    with translation._LIBRARY_LOCK:
        pair = translator._translation("en", "xx")
    stack, sentencizers = [pair], []
    while stack:
        item = stack.pop()
        stack += [getattr(item, n) for n in ("underlying", "t1", "t2") if hasattr(item, n)]
        if hasattr(item, "sentencizer"):
            sentencizers.append(item.sentencizer)
    assert sentencizers
    for sentencizer in sentencizers:
        assert sentencizer.split_sentences("Ask Dr. Wang, e.g. today. Then go.") == [
            "Ask Dr. Wang, e.g. today.",
            "Then go.",
        ]
    assert translation.split_sentences is split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("See Dr. Li. Then pay.", ["See Dr. Li.", "Then pay."]),
        ("Costs 3.5 yuan, e.g. for a visa! Ok?", ["Costs 3.5 yuan, e.g. for a visa!", "Ok?"]),
        (
            "Ends with a URL https://x.cn/a. Next one.",
            ["Ends with a URL https://x.cn/a.", "Next one."],
        ),
        ("第一句。第二句！", ["第一句。", "第二句！"]),
        ("line one.\nline two", ["line one.", "line two"]),
        ("no end mark", ["no end mark"]),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


PIECES = [*"ab .!?。\nA", "e.g. ", "Dr. ", "3.5", "https://x.cn/a. "]


@given(st.lists(st.sampled_from(PIECES)).map("".join))
def test_a_sentence_it_returned_comes_back_whole(text):
    for sentence in split_sentences(text):
        assert split_sentences(sentence) == [sentence]
