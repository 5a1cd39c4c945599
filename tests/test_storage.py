"""Tests for bot/storage.py: real SQLite files in tmp_path, real threads, a real killed child."""

from __future__ import annotations

import re
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlite_utils import Database

from bot.storage import (
    MIGRATIONS,
    SCHEMA_VERSION,
    SchemaVersionError,
    Storage,
    StorageError,
    key_path,
    migrate,
    redact,
)
from tests.storage_support import *  # noqa: F403 (fixtures)
from tests.storage_support import SECRET, T0, ask, count, file_bytes, on_disk

ROOT = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).resolve().parent / "storage_child.py"

TABLES = ("interactions", "unanswered", "feedback", "users", "notify", "relays")
# An e-mail address as a reader would recognise one; redact() must leave none behind.
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]{2,}")


# Redaction -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to alice@example.com please", "write to [email] please"),
        ("John.Smith+vat@mail.company.co.uk", "[email]"),
        ("邮箱是zhang.san@qq.com谢谢", "邮箱是[email]谢谢"),
        ("call +86 138 0013 8000", "call [phone]"),
        ("+86-138-0013-8000", "[phone]"),
        ("+8613800138000", "[phone]"),
        ("+1 (415) 555-2671", "[phone]"),
        ("+44 20 7946 0958 office", "[phone] office"),
        (
            "Мой телефон +7 912 345 67 89, как открыть счёт?",
            "Мой телефон [phone], как открыть счёт?",
        ),
        ("13800138000", "[phone]"),
        ("手机13912345678", "手机[phone]"),
        ("138 0013 8000", "[phone]"),
        ("138-0013-8000!", "[phone]!"),
        ("passport E12345678", "passport [passport]"),
        ("G1234567", "[passport]"),
        ("护照号码EA1234567", "护照号码[passport]"),
        ("id 11010119900307451X", "id [id-number]"),
        ("身份证110101199003074514", "身份证[id-number]"),
        ("card 6222021234567890123", "card [card]"),
        ("4111111111111 ok", "[card] ok"),
        ("4111 1111 1111 1111", "[card]"),
        ("4111-1111-1111-1111", "[card]"),
        ("6222 0212 3456 7890 123", "[card]"),
        ("3782 822463 10005", "[card]"),
        ("my card 4111 1111 1111 1111 expires 2026", "my card [card] expires 2026"),
        ("4111111111111111A1234567", "[card][passport]"),
        ("a@b.cc and bob@x.org, +33 1 23 45 67 89", "[email] and [email], [phone]"),
    ],
)
def test_redact_replaces_personal_data(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "13% VAT",
        "Is VAT 13% or 6%?",
        "2026",
        "in 2026 and 2027",
        "100,000 RMB",
        "RMB 100 000",
        "1,000,000,000 yuan",
        "183 days",
        "24 hours",
        "call the 12366 hotline",
        "Article 12345",
        "order 1234567",
        "ISO 9001",
        "Q1 2026",
        "2026-03-15 15:30",
        "+5% growth",
        "+30 days",
        "version 1.2.3",
        "GB/T 19001-2016",
        "room 1203B",
        "USD 50000",
        "between 10 and 20 employees",
        "code A123456",
        "3.1415926535",
        "个税起征点5000元",
        "注册资本100万元",
        "@support on Telegram",
        "e-mail me at home",
    ],
)
def test_redact_leaves_ordinary_numbers_alone(text):
    assert redact(text) == text


@given(st.text())
@example("4111111111111111+1234567")
@example("a@b@c.com")
def test_redact_never_raises_and_is_idempotent(text):
    once = redact(text)
    assert redact(once) == once


def test_redact_goes_on_until_nothing_is_left():
    assert redact("4111111111111111+1234567") == "[card][phone]"


@given(st.text(alphabet=st.sampled_from("0123456789 +-.()@aAeEgxX例_"), max_size=80))
def test_redact_leaves_no_email_or_long_digit_run(text):
    out = redact(text)
    assert redact(out) == out
    assert not EMAIL.search(out)
    assert not re.search(r"(?<!\d)\d{13,19}(?!\d)", out)


@given(st.emails(), st.text(max_size=30), st.text(max_size=30))
def test_redact_removes_any_email_address(email, before, after):
    out = redact(f"{before} {email} {after}")
    assert email not in out
    assert not EMAIL.search(out)


@given(st.text().filter(lambda t: "@" not in t and not re.search(r"\d", t)))
def test_redact_does_not_touch_text_without_digits_or_at_signs(text):
    assert redact(text) == text


@given(
    st.one_of(
        st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True).map(lambda s: (s, "[phone]")),
        st.from_regex(r"[A-Z]{1,2}[0-9]{7,9}", fullmatch=True)
        .filter(lambda s: not s.startswith("QQ"))  # read as a QQ id: below
        .map(lambda s: (s, "[passport]")),
        st.from_regex(r"[1-9][0-9]{16}[0-9X]", fullmatch=True).map(lambda s: (s, "[id-number]")),
        st.from_regex(r"[0-9]{13,17}|[0-9]{19}", fullmatch=True).map(lambda s: (s, "[card]")),
    )
)
def test_redact_finds_generated_numbers_in_a_sentence(case):
    number, placeholder = case
    assert redact(f"mine is {number}, thanks") == f"mine is {placeholder}, thanks"


def test_a_passport_like_number_after_qq_is_redacted_as_a_qq_id():
    """ "QQ1000000" is a QQ id as users write it ("加我QQ12345678") and a passport number alike:
    either way the number goes (hypothesis found it)."""
    assert redact("mine is QQ1000000, thanks") == "mine is QQ[qq], thanks"


# Opening, keys and settings --------------------------------------------------------------


def test_open_creates_a_private_key_file_and_reuses_it(tmp_path):
    path = tmp_path / "data" / "bot.db"
    with Storage.open(path) as store:
        key = store.user_key(42)
    key_file = tmp_path / "data" / "bot.db.key"
    assert key_path(path) == key_file
    assert len(key_file.read_bytes()) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with Storage.open(path) as store:
        assert store.user_key(42) == key
    with Storage.open(tmp_path / "other.db") as other:
        assert other.user_key(42) != key


def test_open_refuses_a_database_whose_key_file_is_missing(tmp_path):
    path = tmp_path / "bot.db"
    with Storage.open(path) as store:
        ask(store)
    key_path(path).unlink()
    with pytest.raises(StorageError, match="key file .* is missing"):
        Storage.open(path)
    assert not key_path(path).exists()


def test_open_rejects_a_damaged_key_file(tmp_path):
    path = tmp_path / "bot.db"
    key_path(path).write_bytes(b"too short")
    with pytest.raises(StorageError, match="must hold 32 bytes"):
        Storage.open(path)


def test_a_file_that_is_not_a_database_is_a_storage_error(tmp_path):
    path = tmp_path / "bot.db"
    path.write_text("not SQLite at all " * 100)
    with pytest.raises(StorageError, match="cannot open"):
        Storage(path, SECRET)


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="secret"):
        Storage(tmp_path / "bot.db", b"short")
    with pytest.raises(ValueError, match="retention_days"):
        Storage(tmp_path / "bot.db", SECRET, retention_days=0)


def test_connection_settings(storage):
    pragma = {
        name: storage.db.execute(f"PRAGMA {name}").fetchone()[0]
        for name in (
            "journal_mode",
            "synchronous",
            "foreign_keys",
            "busy_timeout",
            "secure_delete",
            "user_version",
        )
    }
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 5000,
        "secure_delete": 1,
        "user_version": SCHEMA_VERSION,
    }
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        storage.db.table("feedback").insert(
            {"interaction_id": 999, "time": "t", "user_key": "k", "helpful": 1}
        )


def test_context_manager_closes_and_the_data_stays(tmp_path):
    path = tmp_path / "bot.db"
    with Storage(path, SECRET) as store:
        ask(store, status="unanswered")
    with pytest.raises(sqlite3.ProgrammingError):
        store.list_unanswered()
    with Storage(path, SECRET) as store:
        assert len(store.list_unanswered()) == 1


# Pseudonymous users ----------------------------------------------------------------------


def test_user_key_is_a_keyed_hash_not_the_id(tmp_path, storage):
    key = storage.user_key(123456789)
    assert re.fullmatch(r"[0-9a-f]{16}", key)
    assert storage.user_key("123456789") == key
    assert storage.user_key(123456780) != key
    with Storage(tmp_path / "other.db", bytes(32)) as other:
        assert other.user_key(123456789) != key


def test_the_raw_user_id_is_never_written(storage):
    user_id = 987654321
    interaction_id = ask(storage, user_id, question="how to register a company")
    storage.log_feedback(interaction_id, user_id, True)
    storage.set_user_language(user_id, "zh")
    storage.set_notify_opt_out(user_id, True)
    for table in TABLES:
        for row in storage.db.table(table).rows:
            assert str(user_id) not in map(str, row.values()), (table, row)
    assert b"987654321" not in file_bytes(storage.path)
    assert on_disk(storage.path, "SELECT user_key FROM interactions") == [
        (storage.user_key(user_id),)
    ]


# Retention and erasure -------------------------------------------------------------------


def relay(storage: Storage, message_id: int, user_id: int) -> None:
    storage.save_relay(
        staff_chat_id=-1,
        staff_message_id=message_id,
        user_chat_id=user_id,
        user_id=user_id,
        language="en",
        question="q",
    )


def test_purge_deletes_what_is_older_than_the_retention_period(storage, clock):
    clock.moment = T0 - timedelta(days=40)
    old = ask(storage, 1, status="unanswered", chat_id=1)
    relay(storage, 1, 1)
    storage.set_user_language(1, "ru")
    clock.moment = T0 - timedelta(days=1)
    storage.log_feedback(old, 2, True)  # recent feedback on an old answer goes with it
    new = ask(storage, 2, status="unanswered", chat_id=2)
    storage.log_feedback(new, 1, False)
    relay(storage, 2, 2)
    clock.moment = T0

    # the old interaction, its queue item, its chat id, the feedback on it, the old relay
    assert storage.purge() == 5
    assert on_disk(storage.path, "SELECT id FROM interactions") == [(new,)]
    assert [count(storage.path, t) for t in TABLES] == [1, 1, 1, 1, 1, 1]
    assert storage.find_relay(-1, 2) is not None
    assert storage.get_user_language(1) == "ru"  # settings are not a log
    assert storage.purge() == 0
    assert storage.purge(now=T0 + timedelta(days=60)) == 5
    assert [count(storage.path, t) for t in TABLES] == [0, 0, 0, 1, 0, 0]


def test_purge_deletes_the_audit_log_older_than_its_own_retention(tmp_path, clock):
    """The staff console's audit log is kept [storage] audit_retention_days (here 90, the
    question log 30), and purged by the same daily purge; staff accounts stay."""
    from bot.accounts import Accounts

    store = Storage(
        tmp_path / "bot.db", SECRET, retention_days=30, audit_retention_days=90, clock=clock
    )
    accounts = Accounts(store.path, clock=clock)
    clock.moment = T0 - timedelta(days=120)
    accounts.add("mei", "staff", actor="admin")  # audited as staff.add
    for days in (100, 60):
        clock.moment = T0 - timedelta(days=days)
        accounts.audit("mei", "unanswered.ignore", str(days), [{"id": days}], None)
    clock.moment = T0
    assert store.purge() == 2
    assert [row["target"] for row in accounts.audit_log()] == ["60"]
    assert store.purge(now=T0 + timedelta(days=31)) == 1
    assert accounts.audit_log() == [] and [a["name"] for a in accounts.all()] == ["mei"]
    accounts.close()
    store.close()


def test_the_audit_retention_is_checked(tmp_path):
    with pytest.raises(ValueError, match="audit_retention_days must be at least 1, not 0"):
        Storage(tmp_path / "bot.db", SECRET, audit_retention_days=0)


def test_forget_deletes_everything_about_one_user(storage):
    alice, bob = 111, 222
    asked = ask(storage, alice, status="unanswered", chat_id=alice)
    ask(storage, alice)
    bobs = ask(storage, bob, status="unanswered", chat_id=bob)
    storage.log_feedback(asked, alice, True)
    storage.log_feedback(bobs, alice, False)
    storage.log_feedback(asked, bob, True)  # goes with alice's answer
    storage.set_user_language(alice, "fr")
    storage.set_user_language(bob, "es")
    relay(storage, 1, alice)
    relay(storage, 2, bob)

    # 2 interactions, 1 queue item, 1 chat id, 3 feedback, 1 user, 1 relay
    assert storage.forget(alice) == 9
    key = storage.user_key(alice)
    for table in TABLES:
        assert on_disk(storage.path, f"SELECT count(*) FROM {table} WHERE user_key = ?", [key]) == [
            (0,)
        ]
    assert [count(storage.path, t) for t in TABLES] == [1, 1, 0, 1, 1, 1]
    assert storage.get_user_language(bob) == "es"
    assert storage.forget(alice) == 0


def test_translations_of_a_users_words_go_with_forget_and_purge(storage, clock):
    from bot.translation import source_hash

    def translated(text: str, kind: str = "wording") -> None:
        storage.put_translation(
            source_hash=source_hash(text), source_lang="ru", target_lang="en", model="m",
            kind=kind, source="", text=f"<{text}>",
        )  # fmt: skip

    def kept() -> set[str]:
        return {text for (text,) in on_disk(storage.path, "SELECT text FROM translations")}

    clock.moment = T0 - timedelta(days=40)
    ask(storage, 3, question="старый вопрос", status="unanswered")
    translated("старый вопрос")
    translated("Answer of an entry", kind="answer")  # the knowledge base's: not a user's
    clock.moment = T0
    ask(storage, 1, question="как открыть счёт", status="unanswered")
    ask(storage, 2, question="где мой паспорт", status="unanswered")
    translated("как открыть счёт")
    translated("где мой паспорт")
    storage.forget(1)
    assert kept() == {"<старый вопрос>", "<Answer of an entry>", "<где мой паспорт>"}
    storage.purge()
    assert kept() == {"<Answer of an entry>", "<где мой паспорт>"}


def test_a_forgotten_question_is_gone_from_the_files(tmp_path):
    path = tmp_path / "bot.db"
    with Storage(path, SECRET) as store:
        ask(store, 2, question="someone else's question")
        ask(store, 1, question="zebra-crossing-secret", status="unanswered", chat_id=1)
        ask(store, 2, question="someone else's other question", status="unanswered")
    with Storage(path, SECRET) as store:  # now in the database file, not only in the WAL
        assert b"zebra-crossing-secret" in file_bytes(path)
        assert store.forget(1) == 3
        assert b"zebra-crossing-secret" not in file_bytes(path)
        assert b"someone else's other question" in file_bytes(path)


# Schema migrations -----------------------------------------------------------------------


def test_a_newer_release_upgrades_a_version_1_database(tmp_path):
    path = tmp_path / "bot.db"
    with Database(path) as db:
        assert migrate(db, MIGRATIONS[:1]) == 1
        db.table("interactions").insert(
            {
                "time": "2026-01-05T10:00:00+00:00",
                "user_key": "0123456789abcdef",
                "chat_type": "private",
                "language": "ru",
                "question": "old question",
                "status": "unanswered",
            }
        )
        db.table("unanswered").insert(
            {
                "interaction_id": 1,
                "time": "2026-01-05T10:00:00+00:00",
                "user_key": "0123456789abcdef",
                "language": "ru",
                "question": "old question",
            }
        )
        db.table("feedback").insert(
            {
                "interaction_id": 1,
                "time": "2026-01-05T10:01:00+00:00",
                "user_key": "0123456789abcdef",
                "helpful": False,
            }
        )
        assert "relays" not in db.table_names()

    with Storage(path, SECRET) as store:
        assert (
            store.db.execute("PRAGMA user_version").fetchone()[0]
            == SCHEMA_VERSION
            == len(MIGRATIONS)
        )
        assert set(TABLES) <= set(store.db.table_names())
        row = store.db.table("interactions").get(1)
        assert (row["question"], row["channel"]) == ("old question", "telegram")
        [item] = store.list_unanswered()
        assert (item["question"], item["status"], item["notified"]) == (
            "old question",
            "new",
            False,
        )
        assert count(path, "feedback") == 1
        assert store.db.execute("SELECT wording FROM unanswered").fetchall() == [("old question",)]
        assert store.set_unanswered_status([1], "resolved", "visa") == 1
        assert ask(store) == 2


def test_a_database_from_a_newer_release_is_refused(tmp_path):
    path = tmp_path / "bot.db"
    Storage(path, SECRET).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    newer = f"schema version {SCHEMA_VERSION + 1}.*newer release"
    with pytest.raises(SchemaVersionError, match=newer):
        Storage(path, SECRET)
    assert on_disk(path, "PRAGMA user_version") == [(SCHEMA_VERSION + 1,)]


def test_a_failing_migration_changes_nothing(tmp_path):
    def broken(db: Database) -> None:
        db.table("half_done").create({"id": int})
        raise RuntimeError("boom")

    path = tmp_path / "bot.db"
    with Database(path) as db:
        with pytest.raises(RuntimeError, match="boom"):
            migrate(db, [MIGRATIONS[0], broken])
        assert db.execute("PRAGMA user_version").fetchone()[0] == 0
        assert db.table_names() == []
        migrate(db)
        with pytest.raises(RuntimeError, match="boom"):
            migrate(db, [*MIGRATIONS, broken])
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert "half_done" not in db.table_names()


def view_sql(path: Path) -> str:
    return on_disk(path, "SELECT sql FROM sqlite_master WHERE name = 'questions'")[0][0]


def test_the_questions_view_is_kept_current_and_out_of_the_migrations_way(tmp_path, monkeypatch):
    """The `questions` view (what the reports count, for Datasette) comes with the database;
    a stale one is replaced on opening; it is dropped before migrations, which may change
    the columns it reads, and made again after them."""
    path = tmp_path / "bot.db"
    Storage(path, SECRET).close()
    current = view_sql(path)
    assert current.startswith("CREATE VIEW questions AS SELECT id, time,")
    conn = sqlite3.connect(path)
    conn.execute("DROP VIEW questions")
    conn.execute("CREATE VIEW questions AS SELECT id, status AS outcome FROM interactions")
    conn.commit()
    conn.close()
    Storage(path, SECRET).close()
    assert view_sql(path) == current

    def drops_a_column(db: Database) -> None:  # as a later release's migration may
        db.execute("ALTER TABLE interactions DROP COLUMN took_ms")

    monkeypatch.setattr("bot.storage.SCHEMA_VERSION", SCHEMA_VERSION + 1)
    MIGRATIONS.append(drops_a_column)
    try:
        Storage(path, SECRET).close()
    finally:
        MIGRATIONS.pop()
    assert view_sql(path) == current.replace(" took_ms,", "")


# Durability and concurrency --------------------------------------------------------------


def test_what_was_logged_survives_a_killed_process(tmp_path):
    path, logged = tmp_path / "bot.db", 40
    with open(tmp_path / "child.err", "w") as err:
        child = subprocess.Popen(
            [sys.executable, str(CHILD), str(path), str(logged)],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            cwd=ROOT,
        )
    watchdog = threading.Timer(60, child.kill)
    watchdog.start()
    ids = []
    try:
        for line in child.stdout:
            if line.strip() == "done":
                child.send_signal(signal.SIGKILL)
                break
            ids.append(int(line.split()[1]))
    finally:
        watchdog.cancel()
        child.kill()
        child.wait(timeout=10)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL, (tmp_path / "child.err").read_text()
    assert len(ids) == logged
    with Storage.open(path) as store:
        assert store.db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        found = dict(
            store.db.execute(
                "SELECT id, question FROM interactions WHERE id <= ?", [max(ids)]
            ).fetchall()
        )
        assert found == {i: f"question {n}" for n, i in enumerate(ids)}
        queued = store.db.execute(
            "SELECT count(*) FROM unanswered WHERE interaction_id <= ?", [max(ids)]
        )
        assert queued.fetchone()[0] == logged // 2


def test_threads_logging_at_once_lose_nothing(storage):
    def work(thread: int) -> list[int]:
        return [
            ask(
                storage,
                thread,
                question=f"thread {thread} question {i}",
                status="unanswered" if i % 4 == 0 else "answered",
                chat_id=thread,
            )
            for i in range(200)
        ]

    with ThreadPoolExecutor(8) as pool:
        ids = [i for batch in pool.map(work, range(8)) for i in batch]
    assert len(set(ids)) == 1600
    assert count(storage.path, "interactions") == 1600
    assert count(storage.path, "unanswered") == count(storage.path, "notify") == 400
    questions = {q for (q,) in on_disk(storage.path, "SELECT question FROM interactions")}
    assert questions == {f"thread {t} question {i}" for t in range(8) for i in range(200)}


def test_two_connections_write_at_once_without_database_is_locked(tmp_path):
    path = tmp_path / "bot.db"
    with Storage(path, SECRET) as first, Storage(path, SECRET) as second:

        def work(thread: int) -> None:
            store = first if thread % 2 else second
            for i in range(50):
                iid = ask(store, thread, question=f"{thread}/{i}", status="unanswered")
                store.log_feedback(iid, thread, True)
                store.list_unanswered(limit=5)

        with ThreadPoolExecutor(6) as pool:
            list(pool.map(work, range(6)))
    assert [count(path, t) for t in ("interactions", "unanswered", "feedback")] == [300] * 3


def _schema(db: Database, kind: str) -> dict[str, str]:
    return {
        row[0]: row[1]
        for row in db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = ? AND sql IS NOT NULL", [kind]
        )
    }


def test_ids_that_staff_see_are_never_given_again_after_an_upgrade(tmp_path):
    """A database of the schema before `lasting_ids`: its rows, ids and indexes are kept,
    and the id of a deleted last row (a forgotten asker's handoff) is not given again, nor
    that of a handoff deleted before the upgrade whose number the audit log shows."""
    path = tmp_path / "bot.db"
    with Database(path) as db:
        migrate(db, MIGRATIONS[:-1])
        for n in (1, 2, 3):
            db.execute(
                "INSERT INTO handoffs (kind, channel, state, created, updated, ref, language) "
                "VALUES ('staff_message', 'web', 'new', ?, ?, ?, 'en')",
                [T0.isoformat(), T0.isoformat(), f"ref-{n}"],
            )
        db.execute("DELETE FROM handoffs WHERE id = 3")
        # the old schema gives a deleted last id again: what the migration must end
        db.execute(
            "INSERT INTO handoffs (kind, channel, state, created, updated, ref, language) "
            "VALUES ('staff_message', 'web', 'new', ?, ?, 'ref-again', 'en')",
            [T0.isoformat(), T0.isoformat()],
        )
        assert db.execute("SELECT id FROM handoffs WHERE ref = 'ref-again'").fetchone() == (3,)
        db.execute("DELETE FROM handoffs WHERE id = 3")
        db.execute(
            "INSERT INTO audit (time, actor, action, target) "
            "VALUES (?, 'mei', 'handoff.claim', 'handoff:3')",
            [T0.isoformat()],
        )
        old_indexes = _schema(db, "index")
        old_tables = _schema(db, "table")

    with Storage(path, SECRET) as store:
        ask(store, 7, question="a question the bot cannot answer", status="unanswered")
        tables = _schema(store.db, "table")
        assert _schema(store.db, "index") == old_indexes
        for table in (
            "interactions",
            "unanswered",
            "choices",
            "handoffs",
            "handoff_replies",
            "web_messages",
            "entry_versions",
        ):
            assert "AUTOINCREMENT" in tables[table], table
            assert "AUTOINCREMENT" not in old_tables[table]
        assert store.db.execute("SELECT id, ref FROM handoffs ORDER BY id").fetchall() == [
            (1, "ref-1"),
            (2, "ref-2"),
        ]
        [unanswered] = store.list_unanswered()
        store.db.execute("DELETE FROM handoffs WHERE id = 2")
        store.db.execute(
            "INSERT INTO handoffs (kind, channel, state, created, updated, ref, language) "
            "VALUES ('staff_message', 'web', 'new', ?, ?, 'ref-new', 'en')",
            [T0.isoformat(), T0.isoformat()],
        )
        # not 2 (deleted now), nor 3: deleted before, its number in the audit log
        assert store.db.execute("SELECT id FROM handoffs WHERE ref = 'ref-new'").fetchone() == (4,)
        assert store.forget(7) > 0
        ask(store, 8, question="another question it cannot answer", status="unanswered")
        [again] = store.list_unanswered()
        assert again["id"] > unanswered["id"]
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
