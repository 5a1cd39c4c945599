import html

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram.format import split_text, topic_page


def test_short_text_is_one_piece():
    assert split_text("hello") == ["hello"]


def test_split_prefers_paragraph_breaks():
    text = "a" * 50 + "\n\n" + "b" * 50
    assert split_text(text, limit=60) == ["a" * 50, "b" * 50]


def test_escaping_is_counted_against_the_limit():
    pieces = split_text("&" * 100, limit=50)
    assert all(len(html.escape(p)) <= 50 for p in pieces)
    assert "".join(pieces) == "&" * 100


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3000), st.integers(min_value=10, max_value=400))
def test_split_never_loses_text_or_exceeds_the_limit(text, limit):
    pieces = split_text(text, limit)
    assert all(len(html.escape(p)) <= limit for p in pieces)
    # Only white space may go (where a piece was cut); every other character stays, in order.
    assert "".join("".join(pieces).split()) == "".join(text.split())


def test_topic_pages(small_answerer):
    text, keyboard = topic_page(small_answerer, "money", 0, "zh")
    assert text.startswith("资金")
    assert [row[0].text for row in keyboard.inline_keyboard[:2]] == [
        "公司银行账户怎么开？",
        "什么是发票？",
    ]
    assert topic_page(small_answerer, "money", 1, "en") is None
    assert topic_page(small_answerer, "nope", 0, "en") is None
