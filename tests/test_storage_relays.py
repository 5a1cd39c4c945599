"""Tests for bot/storage_relays.py: staff relays lead a reply back to the asker."""

from __future__ import annotations

from bot.storage import Storage
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
