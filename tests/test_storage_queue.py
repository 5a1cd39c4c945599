"""Tests for bot/storage_queue.py: the unanswered queue and the askers to notify."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.storage import UnknownIdError
from tests.storage_support import *  # noqa: F403 (fixtures)
from tests.storage_support import T0, ask, on_disk


def test_list_unanswered_filters_by_time_language_status_and_limit(storage, clock):
    clock.moment = T0 - timedelta(days=3)
    ask(storage, question="old en", status="unanswered")
    clock.moment = T0 - timedelta(days=1)
    ask(storage, question="new zh", status="unanswered", language="zh")
    ask(storage, question="answered", status="answered")
    ask(storage, question="new en", status="unanswered")

    def questions(**filters):
        return [item["question"] for item in storage.list_unanswered(**filters)]

    assert questions() == ["old en", "new zh", "new en"]
    assert questions(since=T0 - timedelta(days=2)) == ["new zh", "new en"]
    assert questions(since=datetime(2026, 2, 27, 12, 0)) == ["new zh", "new en"]  # naive: UTC
    assert questions(language="zh") == ["new zh"]
    assert questions(limit=2) == ["old en", "new zh"]
    storage.set_unanswered_status([1], "ignored")
    assert questions() == ["new zh", "new en"]
    assert questions(status="ignored") == ["old en"]
    assert questions(status=None) == ["old en", "new zh", "new en"]
    with pytest.raises(ValueError, match="status"):
        storage.list_unanswered(status="open")


def test_list_unanswered_finds_a_question_under_the_language_it_is_written_in(storage):
    """A Vietnamese question answered in English (`written_in` vi) is listed under vi and en;
    a question asked in English is not listed under vi."""
    ask(storage, question="Làm sao mở tài khoản?", status="unanswered", written_in="vi")
    ask(storage, question="How do I open an account?", status="unanswered")
    ask(storage, question="Mở công ty", status="answered", written_in="vi")  # not queued

    def questions(language):
        return [item["question"] for item in storage.list_unanswered(language=language)]

    assert questions("vi") == ["Làm sao mở tài khoản?"]
    assert questions("en") == ["Làm sao mở tài khoản?", "How do I open an account?"]
    assert questions("kk") == []


def test_set_unanswered_status_is_validated_and_all_or_nothing(storage, clock):
    for i in range(3):
        ask(storage, status="unanswered", question=f"What is the VAT rate on item {i}?")
    clock.moment = T0 + timedelta(hours=5)
    assert storage.set_unanswered_status([1, 2], "resolved", "vat-rate") == 2
    item = storage.list_unanswered(status="resolved")[0]
    assert (item["resolved_entry_id"], item["resolved_time"]) == (
        "vat-rate",
        "2026-03-01T17:00:00+00:00",
    )
    assert storage.set_unanswered_status([2], "new") == 1
    assert [(i["id"], i["resolved_entry_id"]) for i in storage.list_unanswered()] == [
        (2, None),
        (3, None),
    ]
    with pytest.raises(UnknownIdError, match="98, 99") as error:
        storage.set_unanswered_status([3, 99, 98], "ignored")
    assert error.value.ids == [98, 99]
    assert [i["id"] for i in storage.list_unanswered()] == [2, 3]
    with pytest.raises(ValueError, match="status"):
        storage.set_unanswered_status([3], "done")
    with pytest.raises(ValueError, match="entry id"):
        storage.set_unanswered_status([3], "ignored", "vat-rate")
    assert storage.set_unanswered_status([], "ignored") == 0


def test_pending_notifications_reach_each_asker_once(storage):
    visa = "How do I get a work visa?"
    ask(storage, 1, question=visa, status="unanswered", chat_id=101)
    ask(storage, 1, question=visa, status="unanswered", chat_id=101)  # asked twice
    ask(storage, 2, question=visa, status="unanswered", chat_id=202, language="ru")
    ask(storage, 3, question=visa, status="unanswered", chat_id=303)  # opts out below
    ask(storage, 4, question=visa, status="unanswered")  # no chat id to answer to
    ask(storage, 5, question="VAT?", status="unanswered", chat_id=505)
    ask(storage, 6, question=visa, status="unanswered", chat_id=606)  # stays unresolved
    storage.set_user_language(2, "zh")
    storage.set_notify_opt_out(3, True)
    storage.set_unanswered_status([1, 2, 3, 4, 5], "resolved", "work-visa", repeats=False)
    storage.set_unanswered_status([6], "resolved", "vat-rate")

    pending = storage.pending_notifications(["work-visa"])
    assert [(p["chat_id"], p["ids"], p["language"], p["entry_id"]) for p in pending] == [
        (101, [1, 2], "en", "work-visa"),
        (202, [3], "zh", "work-visa"),
    ]
    assert pending[0]["question"] == visa and pending[0]["id"] == 1
    assert pending[0]["user_key"] == storage.user_key(1)
    assert [p["chat_id"] for p in storage.pending_notifications()] == [101, 202, 505]

    assert storage.mark_notified([1, 2, 3, 999]) == 3
    assert storage.pending_notifications(["work-visa"]) == []
    assert on_disk(storage.path, "SELECT unanswered_id FROM notify ORDER BY 1") == [(6,), (7,)]
    assert [i["notified"] for i in storage.list_unanswered(status="resolved")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def test_resolving_or_ignoring_covers_every_new_repeat_of_the_same_wording(storage):
    visa = "How do I get a work visa?"
    ask(storage, 1, question=visa, status="unanswered", chat_id=101)
    ask(storage, 2, question="how do I get a WORK visa", status="unanswered", chat_id=202)
    ask(storage, 3, question="How do I get a work visa for my wife?", status="unanswered")
    ask(storage, 4, question="What about taxes?", status="unanswered")
    ask(storage, 5, question="what about taxes", status="unanswered")
    ask(storage, 6, question="🙂", status="unanswered")
    ask(storage, 7, question="👍", status="unanswered")
    assert storage.set_unanswered_status([1], "resolved", "work-visa") == 2
    assert storage.set_unanswered_status([5], "ignored") == 2
    assert storage.set_unanswered_status([6], "ignored") == 1  # no wording: no repeats
    rows = {
        i["id"]: (i["status"], i["resolved_entry_id"]) for i in storage.list_unanswered(status=None)
    }
    assert rows == {
        1: ("resolved", "work-visa"),
        2: ("resolved", "work-visa"),
        3: ("new", None),
        4: ("ignored", None),
        5: ("ignored", None),
        6: ("ignored", None),
        7: ("new", None),
    }
    assert [p["chat_id"] for p in storage.pending_notifications(["work-visa"])] == [101, 202]


def test_an_ignored_wording_asked_again_is_logged_as_ignored(storage):
    first = ask(storage, 1, question="Where can I buy a cat?", status="unanswered", chat_id=1)
    assert not storage.ignored_before("where can i buy a cat")
    storage.set_unanswered_status([1], "ignored")
    assert storage.ignored_before("Where can I buy a CAT???")
    again = ask(storage, 2, question="where can I buy a cat", status="unanswered", chat_id=2)
    other = ask(storage, 3, question="Where can I buy a dog?", status="unanswered", chat_id=3)
    assert (first, again, other) == (1, 2, 3)
    assert [i["id"] for i in storage.list_unanswered()] == [3]
    assert [i["id"] for i in storage.list_unanswered(status="ignored")] == [1, 2]
    # Ignored questions keep no chat id: only the dog's asker can be told an answer later.
    assert on_disk(storage.path, "SELECT unanswered_id FROM notify ORDER BY 1") == [(3,)]
    assert not storage.ignored_before("🙂") and not storage.ignored_before("")


def test_restoring_ignored_questions_brings_their_wording_back_to_the_queue(storage):
    """Undoing an Ignore: the questions and every ignored ask of their wording (repeats
    ignored with them, and those asked later, logged ignored) are new again; others stay."""
    ask(storage, 1, question="Where can I buy a cat?", status="unanswered")
    ask(storage, 2, question="where can i buy a CAT", status="unanswered")
    ask(storage, 3, question="What about taxes?", status="unanswered")
    ask(storage, 4, question="🙂", status="unanswered")
    ask(storage, 5, question="🙂", status="unanswered")
    storage.set_unanswered_status([1, 3, 4, 5], "ignored")
    ask(storage, 6, question="Where can I buy a cat???", status="unanswered")  # logged ignored
    storage.set_unanswered_status([3], "resolved", "taxes", repeats=False)
    with pytest.raises(UnknownIdError):
        storage.restore_ignored([1, 99])
    assert storage.list_unanswered() == []  # nothing changed
    assert storage.restore_ignored([2, 3, 4]) == 4  # 1, 2 and 6; 4 (no wording: by its id)
    statuses = {i["id"]: i["status"] for i in storage.list_unanswered(status=None)}
    assert statuses == {1: "new", 2: "new", 3: "resolved", 4: "new", 5: "ignored", 6: "new"}
    assert not storage.ignored_before("where can I buy a cat")
    ask(storage, 7, question="Where can I buy a cat", status="unanswered")
    assert storage.list_unanswered()[-1]["id"] == 7  # asked again: new, not set aside
    assert storage.restore_ignored([1]) == 0


def test_a_queued_follow_up_keeps_the_question_it_was_asked_after(tmp_path):
    """`unanswered.asked_after` (migration `follow_up_context`): an older database gains it
    and keeps its queued questions, with none; a follow-up queued now keeps the question it
    was read after (redacted like the question), a question asked alone none."""
    from sqlite_utils import Database

    from bot.storage import MIGRATIONS, SCHEMA_VERSION, Storage, migrate
    from bot.storage_schema import follow_up_context
    from tests.storage_support import SECRET

    path = tmp_path / "bot.db"
    with Database(path) as db:
        migrate(db, MIGRATIONS[: MIGRATIONS.index(follow_up_context)])  # the release before
        db.table("interactions").insert(
            {"id": 1, "time": "2026-01-05T10:00:00+00:00", "user_key": "k1",
             "chat_type": "private", "language": "en", "question": "Q?",
             "status": "unanswered", "channel": "telegram"}
        )  # fmt: skip
        db.table("unanswered").insert(
            {"interaction_id": 1, "time": "2026-01-05T10:00:00+00:00", "user_key": "k1",
             "language": "en", "question": "Q?", "status": "new", "wording": "q"}
        )  # fmt: skip
        assert "asked_after" not in {c.name for c in db.table("unanswered").columns}
    with Storage(path, SECRET) as store:
        assert on_disk(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
        [old] = store.list_unanswered()
        assert (old["question"], old["asked_after"]) == ("Q?", None)
        store.log_interaction(
            user_id=1, chat_type="private", language="zh", question="大概多少钱",
            status="unanswered", after="How do I open a bank account? mail me at a@b.cn",
        )  # fmt: skip
        store.log_interaction(
            user_id=2, chat_type="private", language="zh", question="大概多少钱",
            status="unanswered",
        )  # fmt: skip
        rows = store.list_unanswered()
        assert [(r["question"], r["asked_after"]) for r in rows] == [
            ("Q?", None),
            ("大概多少钱", "How do I open a bank account? mail me at [email]"),
            ("大概多少钱", None),
        ]
        # Only the queue keeps it: the question log holds the message's own words.
        assert "asked_after" not in {c.name for c in store.db.table("interactions").columns}
