"""The entry history store: versions recorded by every save, newest first, with a diff."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.entry_history import EntryHistory, HistoryError
from bot.storage import SCHEMA_VERSION, Storage

BEFORE = """  - id: fapiao
    question: What is a fapiao?
    answer: An invoice.
"""
AFTER = BEFORE.replace("An invoice.", "The <official> tax invoice.")


@pytest.fixture
def history(tmp_path):
    with Storage.open(tmp_path / "bot.db") as storage:
        store = EntryHistory(storage.path, clock=lambda: datetime(2026, 11, 26, 3, 0, tzinfo=UTC))
        yield store
        store.close()


def test_the_migration_creates_the_table_once(tmp_path):
    with Storage.open(tmp_path / "bot.db"):
        pass
    with Storage.open(tmp_path / "bot.db") as storage:  # opened again: nothing to migrate
        version = storage.db.execute("PRAGMA user_version").fetchone()[0]
        assert version == SCHEMA_VERSION
        assert storage.db.table("entry_versions").exists()


def test_a_database_without_the_table_is_refused(tmp_path):
    import sqlite3

    sqlite3.connect(tmp_path / "other.db").close()
    with pytest.raises(HistoryError, match="open it with Storage first"):
        EntryHistory(tmp_path / "other.db")


def test_versions_are_kept_per_entry_newest_first(history):
    first = history.record("fapiao", "money.yaml", "sam", "entry.edit", BEFORE, AFTER)
    history.record("bank-account", "money.yaml", "sam", "entry.edit", "a\n", "b\n")
    second = history.record("fapiao", "money.yaml", "ada", "entry.rollback", AFTER, BEFORE)
    versions = history.versions("fapiao")
    assert [v.id for v in versions] == [second, first]
    assert versions[0].actor == "ada" and versions[0].action == "entry.rollback"
    assert versions[1].time == datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    assert history.version(first) == versions[1]
    assert history.version(9999) is None
    assert history.versions("nothing") == []


def test_diff_shows_only_what_changed(history):
    version = history.version(
        history.record("fapiao", "money.yaml", "sam", "entry.edit", BEFORE, AFTER)
    )
    assert version is not None
    diff = version.diff()
    assert "-    answer: An invoice." in diff
    assert "+    answer: The <official> tax invoice." in diff
    assert not any(line.startswith(("---", "+++")) for line in diff)
    assert sum(line.startswith(("-", "+")) for line in diff) == 2


def test_a_new_entry_diffs_from_nothing(history):
    version = history.version(history.record("x", "money.yaml", "sam", "entry.new", "", AFTER))
    assert version is not None
    assert all(line.startswith(("@@", "+")) for line in version.diff())
