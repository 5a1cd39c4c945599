"""The encoder memo: the same vectors as the encoder, each text embedded once."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.vector_memo import RememberingEncoder, remembering


class Counting:
    """The real encoder, counting the texts it is asked to embed."""

    def __init__(self, encoder):
        self.encoder = encoder
        self.embedded: list[str] = []

    def encode(self, texts):
        self.embedded += texts
        return self.encoder.encode(texts)


def test_each_text_is_embedded_once_with_the_same_vector(encoder):
    counting = Counting(encoder)
    memo = RememberingEncoder(counting)
    texts = ["Where can I park?", "أين يمكنني ركن السيارة؟", "Where can I park?"]
    first = memo.encode(texts)
    assert np.allclose(first, encoder.encode(texts), atol=1e-5)
    assert counting.embedded == ["Where can I park?", "أين يمكنني ركن السيارة؟"]
    again = memo.encode(["أين يمكنني ركن السيارة؟", "new one"])
    assert counting.embedded[2:] == ["new one"]
    assert np.allclose(again[0], first[1])


def test_the_oldest_vectors_make_room(encoder):
    counting = Counting(encoder)
    memo = RememberingEncoder(counting, size=2)
    memo.encode(["a", "b", "c"])
    memo.encode(["a"])
    assert counting.embedded == ["a", "b", "c", "a"]


def test_one_memo_per_encoder(encoder):
    assert remembering(encoder) is remembering(encoder)


@given(st.lists(st.text(max_size=15), max_size=6))
@settings(max_examples=25, deadline=None)
def test_any_texts_give_one_row_each(texts):
    class Fixed:
        def encode(self, batch):
            return np.array([[len(t), 1.0] for t in batch], dtype=np.float32).reshape(-1, 2)

    rows = RememberingEncoder(Fixed()).encode(texts)
    assert len(rows) == len(texts)
    assert [r[0] for r in rows] == [len(t) for t in texts]
