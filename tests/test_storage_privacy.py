"""Privacy of what the database keeps: no Telegram id in clear beside its pseudonym, chat ids
only as long as delivery needs them, files readable by the owner only."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.chat_seal import ChatSeal, SealError
from bot.storage import IGNORED, MIGRATIONS, RESOLVED, Storage, key_path, migrate

SECRET = bytes(range(32))
BASE_ID = 5_123_456_789_000  # Telegram-sized ids (6 bytes as SQLite stores them)


def _everything(path: Path) -> list[tuple[str, str, object]]:
    """Every value in every table: (table, column, value)."""
    conn = sqlite3.connect(path)
    try:
        found = []
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cursor = conn.execute(f"SELECT * FROM [{table}]")
            names = [d[0] for d in cursor.description]
            for row in cursor:
                found += [(table, name, value) for name, value in zip(names, row, strict=True)]
        return found
    finally:
        conn.close()


def _raw_ids(path: Path, ids: set[int]) -> list[tuple[str, str, object]]:
    return [
        (t, c, v)
        for t, c, v in _everything(path)
        if v in ids or (isinstance(v, str) and any(str(i) in v for i in ids))
    ]


def _bytes(path: Path) -> bytes:
    return b"".join(
        p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
    )


def _deliver_like_the_bot(store: Storage, n: int) -> set[int]:
    """The Telegram layer's writes: private chats (chat id == user id), unanswered questions
    kept for notification, questions relayed to staff."""
    ids = set()
    for i in range(n):
        user = BASE_ID + i
        ids.add(user)
        store.log_interaction(
            user_id=user, chat_type="private", language="en", question=f"question {i}",
            status="unanswered", chat_id=user,
        )  # fmt: skip
        store.save_relay(
            staff_chat_id=-100123, staff_message_id=i, user_chat_id=user, user_id=user,
            language="en", question=f"question {i}", user_message_id=i,
        )  # fmt: skip
    return ids


def test_no_telegram_id_is_stored_in_clear(tmp_path):
    path = tmp_path / "bot.db"
    with Storage(path, SECRET) as store:
        ids = _deliver_like_the_bot(store, 60)
        rows = store.db.execute("SELECT count(*) FROM notify").fetchone()[0]
        rows += store.db.execute("SELECT count(*) FROM relays").fetchone()[0]
        assert rows == 120
        assert _raw_ids(path, ids) == []
        # and delivery still works: the ids come back from the sealed values
        store.set_unanswered_status([1, 2], RESOLVED, "visa")
        assert sorted(p["chat_id"] for p in store.pending_notifications()) == [BASE_ID, BASE_ID + 1]
        assert store.find_relay(-100123, 7)["user_chat_id"] == BASE_ID + 7
    assert not any(i.to_bytes(6, "big") in _bytes(path) for i in ids)


def test_a_version_3_database_is_sealed_on_opening(tmp_path):
    path = tmp_path / "bot.db"
    clear = {BASE_ID + 1, BASE_ID + 2}
    with Database(path) as db:
        migrate(db, MIGRATIONS[:3])
        db.execute("PRAGMA secure_delete = ON")
        db.table("interactions").insert(
            {"time": "2026-01-05T10:00:00+00:00", "user_key": "k1", "chat_type": "private",
             "language": "ru", "question": "old", "status": "unanswered"}
        )  # fmt: skip
        db.table("unanswered").insert(
            {"interaction_id": 1, "time": "2026-01-05T10:00:00+00:00", "user_key": "k1",
             "language": "ru", "question": "old", "status": "resolved",
             "resolved_entry_id": "visa"}
        )  # fmt: skip
        db.table("notify").insert(
            {"unanswered_id": 1, "chat_id": BASE_ID + 1, "user_key": "k1", "language": "ru",
             "time": "2026-01-05T10:00:00+00:00"}
        )  # fmt: skip
        db.table("relays").insert(
            {"staff_chat_id": -1, "staff_message_id": 9, "user_chat_id": BASE_ID + 2,
             "user_key": "k2", "language": "en", "question": "q", "time": "2026-01-05"}
        )  # fmt: skip
    assert len(_raw_ids(path, clear)) == 2
    with Storage(path, SECRET) as store:
        assert [p["chat_id"] for p in store.pending_notifications()] == [BASE_ID + 1]
        assert store.find_relay(-1, 9)["user_chat_id"] == BASE_ID + 2
    assert _raw_ids(path, clear) == []
    assert not any(i.to_bytes(6, "big") in _bytes(path) for i in clear)


def test_an_ignored_question_forgets_the_askers_chat(tmp_path):
    with Storage(tmp_path / "bot.db", SECRET) as store:
        _deliver_like_the_bot(store, 3)
        assert store.db.execute("SELECT count(*) FROM notify").fetchone()[0] == 3
        store.set_unanswered_status([1, 2], IGNORED)
        assert [r[0] for r in store.db.execute("SELECT unanswered_id FROM notify")] == [3]
        store.set_unanswered_status([1, 2, 3], RESOLVED, "visa")  # later resolved after all
        assert [p["chat_id"] for p in store.pending_notifications()] == [BASE_ID + 2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_wal_and_key_files_are_owner_only(tmp_path):
    old = os.umask(0o022)  # the usual umask: files would be 0644
    try:
        path = tmp_path / "data" / "bot.db"
        with Storage.open(path) as store:
            store.log_interaction(
                user_id=1, chat_type="private", language="en", question="q", status="answered"
            )
            files = [path, Path(f"{path}-wal"), Path(f"{path}-shm"), key_path(path)]
            assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert _mode(path.parent) == 0o700
    finally:
        os.umask(old)


def test_an_open_database_of_an_older_release_is_tightened(tmp_path):
    path = tmp_path / "bot.db"
    Storage.open(path).close()
    path.chmod(0o644)
    with Storage.open(path):
        assert _mode(path) == 0o600
        assert _mode(Path(f"{path}-wal")) == 0o600


def test_a_sealed_chat_id_opens_only_with_its_key_and_table():
    seal = ChatSeal(SECRET)
    box = seal.seal(BASE_ID, "notify")
    assert seal.open(box, "notify") == BASE_ID
    assert box != seal.seal(BASE_ID, "notify")  # a fresh nonce each time
    with pytest.raises(SealError):
        seal.open(box, "relays")
    with pytest.raises(SealError):
        ChatSeal(bytes(32)).open(box, "notify")
    for broken in ("v1:A", "v1:AAAA", "v1:" + "A" * 40, "12345", box[:-4]):
        with pytest.raises(SealError):
            seal.open(broken, "notify")


def test_a_sealed_value_that_does_not_open_is_skipped_not_fatal(tmp_path, caplog):
    with Storage(tmp_path / "bot.db", SECRET) as store:
        _deliver_like_the_bot(store, 2)
        store.set_unanswered_status([1, 2], RESOLVED, "visa")
        store.db.execute("UPDATE notify SET chat = ? WHERE unanswered_id = 1", ["v1:AAAA"])
        store.db.execute("UPDATE relays SET user_chat = 'tampered' WHERE staff_message_id = 0")
        store.db.commit()
        assert [p["chat_id"] for p in store.pending_notifications()] == [BASE_ID + 1]
        assert store.find_relay(-100123, 0) is None
        assert store.find_relay(-100123, 1)["user_chat_id"] == BASE_ID + 1
    assert "does not open with this key file" in caplog.text
