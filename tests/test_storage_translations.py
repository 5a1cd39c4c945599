"""Tests for bot/storage_translations.py: the machine translation cache."""

from __future__ import annotations

from bot.storage import Storage
from tests.storage_support import *  # noqa: F403 (fixtures)


def test_machine_translations_are_stored_by_source_hash_and_model(tmp_path):
    with Storage.open(tmp_path / "t.db") as storage:
        row = dict(
            source_hash="abc",
            source_lang="en",
            target_lang="ru",
            model="en-ru@1.0",
            kind="answer",
            source="Hello",
            text="Привет",
        )
        storage.put_translation(**row)
        storage.put_translation(**{**row, "text": "Здравствуйте"})  # same key: replaced
        storage.put_translation(**{**row, "model": "en-ru@1.1", "text": "Добрый день"})
        storage.put_translation(**{**row, "target_lang": "fr", "text": "Bonjour"})
        ru = storage.translations("ru")
        assert sorted((r["model"], r["text"]) for r in ru) == [
            ("en-ru@1.0", "Здравствуйте"),
            ("en-ru@1.1", "Добрый день"),
        ]
        assert len(storage.translations()) == 3
