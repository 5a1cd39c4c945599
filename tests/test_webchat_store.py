"""The web chat's tables (bot/webchat_store.py) over a real database file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.storage import Storage
from bot.webchat_store import WebChats


@pytest.fixture
def chats(tmp_path):
    Storage.open(tmp_path / "bot.db").close()  # the migrations make the tables
    store = WebChats(tmp_path / "bot.db")
    yield store
    store.close()


def test_a_conversation_is_kept_in_order_and_pages(chats):
    for i in range(5):
        chats.append("k1", "visitor", "text", f"q{i}")
    chats.append("k2", "visitor", "text", "someone else")
    assert [m.text for m in chats.transcript("k1")] == [f"q{i}" for i in range(5)]
    assert [m.text for m in chats.transcript("k1", limit=2)] == ["q3", "q4"]  # the newest
    first = chats.transcript("k1", after=0, limit=2)
    assert [m.text for m in first] == ["q0", "q1"]
    assert [m.text for m in chats.transcript("k1", after=first[-1].id, limit=2)] == ["q2", "q3"]


def test_data_round_trips_and_only_for_its_visitor(chats):
    message = chats.append("k1", "bot", "suggest", "did you mean", {"items": [], "open": True})
    assert chats.transcript("k1")[0].data == {"items": [], "open": True}
    assert not chats.set_data("k2", message.id, {"open": False})
    assert chats.set_data("k1", message.id, {"open": False})
    assert chats.transcript("k1")[0].data == {"open": False}
    with pytest.raises(ValueError):
        chats.append("k1", "admin", "text", "x")
    assert chats.message("k1", message.id) == chats.transcript("k1")[0]
    assert chats.message("k2", message.id) is None  # another visitor's: not found
    assert chats.message("k1", message.id + 1) is None


def test_languages_and_forget(chats):
    assert chats.visitor("k1") is None
    chats.touch("k1")
    chats.set_language("k1", language="ru")
    assert (chats.visitor("k1").chosen, chats.visitor("k1").language) == (None, "ru")
    chats.set_language("k1", chosen="zh", language="zh")
    assert chats.visitor("k1").chosen == "zh"
    chats.append("k1", "visitor", "text", "secret words")
    assert chats.forget("k1") == 2
    assert chats.visitor("k1") is None and chats.transcript("k1") == []
    assert b"secret words" not in chats.path.read_bytes()


def test_purge_removes_old_conversations(tmp_path):
    Storage.open(tmp_path / "bot.db").close()
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    chats = WebChats(tmp_path / "bot.db", clock=lambda: now[0])
    chats.touch("old")
    chats.append("old", "visitor", "text", "long ago")
    now[0] += timedelta(days=400)
    chats.touch("new")
    assert chats.purge(365) == 2
    assert chats.is_visitor("new") and not chats.is_visitor("old")
    chats.close()
