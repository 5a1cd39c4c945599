"""Tests for bot/storage_users.py: a user's language and notification opt-out."""

from __future__ import annotations

from tests.storage_support import *  # noqa: F403 (fixtures)
from tests.storage_support import ask, count, on_disk


def test_opting_out_deletes_chat_ids_and_stops_keeping_them(storage):
    ask(storage, status="unanswered", chat_id=1)
    assert storage.get_notify_opt_out(1) is False
    storage.set_notify_opt_out(1, True)
    assert storage.get_notify_opt_out(1) is True
    assert count(storage.path, "notify") == 0
    ask(storage, status="unanswered", chat_id=1)
    assert count(storage.path, "notify") == 0
    storage.set_notify_opt_out(1, False)
    ask(storage, status="unanswered", chat_id=1)
    assert count(storage.path, "notify") == 1
    assert storage.get_user_language(1) is None


def test_user_language_is_remembered_and_can_be_cleared(storage):
    assert storage.get_user_language(5) is None
    storage.set_user_language(5, "ar")
    assert storage.get_user_language(5) == "ar"
    storage.set_notify_opt_out(5, True)
    storage.set_user_language(5, "fr")
    assert storage.get_user_language(5) == "fr"
    assert storage.get_notify_opt_out(5) is True
    storage.set_user_language(5, None)
    assert storage.get_user_language(5) is None
    assert on_disk(storage.path, "SELECT user_key, notify_opt_out FROM users") == [
        (storage.user_key(5), 1)
    ]
