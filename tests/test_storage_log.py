"""Tests for bot/storage_log.py: the question log, feedback, chosen suggestions, counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.storage import Storage, UnknownIdError
from tests.storage_support import *  # noqa: F403 (fixtures)
from tests.storage_support import T0, ask, count, file_bytes, on_disk


def test_log_interaction_writes_a_redacted_row(storage):
    first = ask(
        storage,
        question="hi, I am alice@example.com, my passport is E12345678",
        status="answered",
        entry_id="visa",
        score=0.91,
        took_ms=12.5,
        text_source="curated",
        language="ru",
    )
    second = ask(storage, chat_type="cli", channel="cli", status="smalltalk")
    assert second == first + 1
    row = storage.db.table("interactions").get(first)
    assert row == {
        "id": first,
        "time": "2026-03-01T12:00:00+00:00",
        "user_key": storage.user_key(1),
        "chat_type": "private",
        "language": "ru",
        "question": "hi, I am [email], my passport is [passport]",
        "status": "answered",
        "entry_id": "visa",
        "score": 0.91,
        "took_ms": 12.5,
        "text_source": "curated",
        "channel": "telegram",
        "waited_ms": None,
        "ref": None,
        "part": None,
        "written_in": None,
        "follows": None,
        "browsed": None,
    }
    assert storage.db.table("interactions").get(second)["channel"] == "cli"
    data = file_bytes(storage.path)
    assert b"alice@example.com" not in data and b"E12345678" not in data
    assert b"[email]" in data
    assert count(storage.path, "unanswered") == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "maybe"),
        ("chat_type", "channel"),
        ("channel", "sms"),
        ("text_source", "guess"),
    ],
)
def test_log_interaction_refuses_unknown_values(storage, field, value):
    with pytest.raises(ValueError, match=field):
        ask(storage, **{field: value})
    assert count(storage.path, "interactions") == 0


def test_an_unanswered_question_joins_the_queue(storage):
    interaction_id = ask(
        storage,
        question="Can I call +86 138 0013 8000?",
        status="unanswered",
        language="zh",
        chat_id=555,
    )
    [item] = storage.list_unanswered()
    assert item == {
        "id": 1,
        "interaction_id": interaction_id,
        "time": "2026-03-01T12:00:00+00:00",
        "user_key": storage.user_key(1),
        "language": "zh",
        "question": "Can I call [phone]?",
        "status": "new",
        "resolved_entry_id": None,
        "resolved_time": None,
        "notified": False,
        "kind": None,
        "asked_after": None,
    }
    [(unanswered_id, sealed, language)] = on_disk(
        storage.path, "SELECT unanswered_id, chat, language FROM notify"
    )
    assert (unanswered_id, language) == (1, "zh")
    assert sealed.startswith("v1:") and "555" not in sealed  # kept encrypted, not in clear


def test_feedback_is_one_row_per_user_and_answer(storage):
    interaction_id = ask(storage)
    storage.log_feedback(interaction_id, 7, True)
    storage.log_feedback(interaction_id, 7, False)
    storage.log_feedback(interaction_id, 8, True)
    assert on_disk(
        storage.path, "SELECT interaction_id, user_key, helpful FROM feedback ORDER BY id"
    ) == [(interaction_id, storage.user_key(7), 0), (interaction_id, storage.user_key(8), 1)]
    with pytest.raises(UnknownIdError, match="interaction id"):
        storage.log_feedback(999, 7, True)


def test_stats_count_recent_questions_by_outcome_and_language(tmp_path):
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    clock = [now - timedelta(days=10)]
    with Storage(tmp_path / "s.db", b"k" * 32, clock=lambda: clock[0]) as storage:
        storage.log_interaction(
            user_id=1, chat_type="private", language="ru", question="old", status="answered"
        )
        clock[0] = now
        for lang, status in [("ru", "answered"), ("ru", "unanswered"), ("zh", "answered")]:
            storage.log_interaction(
                user_id=2, chat_type="private", language=lang, question="q", status=status
            )
        # Counted as the report counts: a list and the suggestion chosen from it are one
        # question, answered after a suggestion; an entry opened from a topic is none.
        listed = storage.log_interaction(
            user_id=3, chat_type="private", language="zh", question="q", status="suggest"
        )
        for follows, browsed in ((listed, False), (None, True)):
            storage.log_interaction(
                user_id=3,
                chat_type="private",
                language="zh",
                question="q",
                status="answered",
                follows=follows,
                browsed=browsed,
            )
        figures = storage.stats(days=7)
    assert figures == {
        "days": 7,
        "total": 4,
        "by_status": {"answered": 2, "chosen": 1, "unanswered": 1},
        "by_language": {"ru": 2, "zh": 2},
    }


def test_chosen_suggestions_are_forgotten_purged_and_accepted(storage, clock):
    clock.moment = T0 - timedelta(days=400)
    storage.log_choice(user_id=1, language="en", question="old words", entry_id="visa")
    clock.moment = T0
    alice = storage.log_choice(user_id=1, language="ru", question="мой вопрос", entry_id="visa")
    bob = storage.log_choice(user_id=2, language="en", question="my question", entry_id="tax")
    assert storage.purge() == 1  # the old choice
    assert storage.set_choices_accepted([bob]) == 1
    assert [r["id"] for r in storage.list_choices()] == [alice]
    assert [r["status"] for r in storage.list_choices(status=None)] == ["new", "accepted"]
    assert storage.forget(1) == 1
    assert [r["id"] for r in storage.list_choices(status=None)] == [bob]


def test_chosen_suggestions_set_aside_stay_aside_and_accepted_ones_stay_accepted(storage):
    one = storage.log_choice(user_id=1, language="en", question="a", entry_id="visa")
    two = storage.log_choice(user_id=2, language="en", question="b", entry_id="visa")
    assert storage.set_choices_accepted([one]) == 1
    assert storage.set_choices_ignored([one, two]) == 1  # the accepted one is not changed
    assert storage.set_choices_accepted([two]) == 0  # nor is the one set aside
    assert storage.list_choices() == []
    assert [r["status"] for r in storage.list_choices(status=None)] == ["accepted", "ignored"]


def test_a_choice_records_where_it_was_made(storage):
    storage.log_choice(user_id=1, language="en", question="a", entry_id="visa")
    storage.log_choice(user_id=1, language="en", question="b", entry_id="visa", source="see_also")
    with pytest.raises(ValueError, match="source"):
        storage.log_choice(user_id=1, language="en", question="c", entry_id="visa", source="x")
    assert [r["source"] for r in storage.list_choices()] == ["suggestion", "see_also"]


def test_a_thumbs_down_reason_is_checked_and_kept_only_with_thumbs_down(storage):
    asked = ask(storage, 1)
    with pytest.raises(ValueError, match="reason"):
        storage.log_feedback(asked, 1, False, reason="bored")
    storage.log_feedback(asked, 1, False, reason="wrong")
    storage.log_feedback(asked, 2, True, reason="wrong")
    rows = on_disk(storage.path, "SELECT helpful, reason FROM feedback ORDER BY id")
    assert rows == [(0, "wrong"), (1, None)]


@pytest.mark.parametrize(
    ("migration", "column", "logged"),
    [
        # The release before answers by parts: its rows stay, each a message.
        ("message_parts", "part", 2),
        # The release before `written_in` (the language a question is written in when the
        # bot does not configure it): its rows stay, with none.
        ("written_languages", "written_in", "vi"),
    ],
)
def test_an_older_log_gains_a_new_column_and_keeps_its_rows(tmp_path, migration, column, logged):
    from sqlite_utils import Database

    from bot import storage_schema
    from bot.storage import MIGRATIONS, migrate
    from tests.storage_support import SECRET

    path = tmp_path / "bot.db"
    with Database(path) as db:
        migrate(db, MIGRATIONS[: MIGRATIONS.index(getattr(storage_schema, migration))])
        row = {"time": "2026-01-05T10:00:00+00:00", "user_key": "k1", "chat_type": "private",
               "language": "en", "question": "Q?", "status": "answered",
               "channel": "telegram"}  # fmt: skip
        db.table("interactions").insert(row)
        assert column not in {c.name for c in db.table("interactions").columns}
    with Storage(path, SECRET) as store:
        [kept] = store.db.query("SELECT * FROM interactions")
        assert {k: kept[k] for k in row} == row and kept[column] is None
        one = store.log_interaction(
            user_id=1, chat_type="private", language="en", question="Q2?",
            status="answered", entry_id="visa", **{column: logged},
        )  # fmt: skip
        assert store.db.table("interactions").get(one)[column] == logged
