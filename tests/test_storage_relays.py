"""Tests for bot/storage_relays.py: staff relays lead a reply back to the asker."""

from __future__ import annotations

from sqlite_utils import Database

from bot.storage import MIGRATIONS, Storage, migrate
from bot.storage_relays import relays_of_other_channels
from tests.storage_support import *  # noqa: F403 (fixtures)
from tests.storage_support import SECRET


def test_relays_lead_a_staff_reply_back_to_the_asker_after_a_restart(tmp_path):
    path = tmp_path / "bot.db"
    with Storage(path, SECRET) as store:
        store.save_relay(
            staff_chat_id=-100123,
            staff_message_id=77,
            user_chat_id=555,
            user_id=555,
            language="ru",
            user_message_id=12,
            question="Мой телефон +7 912 345 67 89, как открыть счёт?",
        )
        store.save_relay(
            staff_chat_id=-100123,
            staff_message_id=78,
            user_chat_id=666,
            user_id=666,
            language="en",
            question="Where is the tax office?",
        )
    with Storage(path, SECRET) as store:
        relay = store.find_relay(-100123, 77)
        assert relay == {
            "staff_chat_id": -100123,
            "staff_message_id": 77,
            "user_chat_id": 555,
            "user_message_id": 12,
            "user_key": store.user_key(555),
            "language": "ru",
            "question": "Мой телефон [phone], как открыть счёт?",
            "time": relay["time"],
        }
        assert store.find_relay(-100123, 78)["user_chat_id"] == 666
        assert store.find_relay(-100123, 79) is None
        assert store.find_relay(-1, 77) is None


def test_a_relay_of_an_asker_on_another_channel_has_no_chat(tmp_path):
    """A web visitor's copy in the staff chat: found by its message (and item), no chat; the
    queued question it copies is still reached only through its own channel."""
    with Storage(tmp_path / "bot.db", SECRET) as store:
        store.log_interaction(
            user_id="web:abc", chat_type="private", language="en",
            question="Where is the tax office?", status="unanswered", channel="web",
        )  # fmt: skip
        for item in (None, 2):
            store.save_relay(
                staff_chat_id=-100123,
                staff_message_id=80,
                user_chat_id=None,
                user_id="web:abc",
                language="en",
                question="Where is the tax office?",
                item=item,
            )
        for item in (None, 2):
            relay = store.find_relay(-100123, 80, item=item)
            assert relay["user_chat_id"] is None
            assert relay["user_key"] == store.user_key("web:abc")
        [queued] = store.list_unanswered()
        assert store.asker_chat(queued["id"]) is None  # no Telegram chat to send to


def test_the_migration_keeps_the_relay_items_of_an_older_database(tmp_path):
    path = tmp_path / "bot.db"
    row = {"staff_chat_id": -1, "staff_message_id": 5, "item": 1, "user_chat": "sealed",
           "user_key": "k1", "language": "en", "question": "Q?", "time": "2026-01-05"}  # fmt: skip
    with Database(path) as db:
        before = MIGRATIONS.index(relays_of_other_channels)
        migrate(db, MIGRATIONS[:before])  # the release before: a chat in every item
        db.table("relay_items").insert(row)
        assert {c.name: c.notnull for c in db.table("relay_items").columns}["user_chat"]
    with Storage(path, SECRET) as store:
        assert list(store.db.query("SELECT * FROM relay_items")) == [row]
        assert not {c.name: c.notnull for c in store.db.table("relay_items").columns}["user_chat"]
        assert {tuple(i.columns) for i in store.db.table("relay_items").indexes} >= {
            ("time",),
            ("user_key",),
        }
