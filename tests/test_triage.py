"""Triage of the unanswered queue (bot/triage.py) over a real SQLite file: the audit log is
read only to say what was done to a question already resolved or set aside otherwise."""

from __future__ import annotations

import pytest

from bot import triage
from bot.storage import Storage


@pytest.fixture
def storage(tmp_path):
    with Storage.open(tmp_path / "bot.db") as opened:
        yield opened


def ask(storage: Storage, question: str, user: int) -> int:
    storage.log_interaction(
        user_id=user, chat_type="private", language="en", question=question,
        status="unanswered", channel="terminal",
    )  # fmt: skip
    return storage.list_unanswered(status=None, newest_first=True, limit=1)[0]["id"]


@pytest.fixture
def audit_reads(storage):
    """The statements that read the audit log, as SQLite runs them."""
    read: list[str] = []
    storage.db.conn.set_trace_callback(
        lambda sql: read.append(sql) if "JOIN audit" in sql else None
    )
    yield read
    storage.db.conn.set_trace_callback(None)


def test_the_audit_log_is_read_only_for_a_question_done_otherwise(
    storage, small_kb_dir, audit_reads
):
    """Ignoring a question the same wording already set aside, or resolving one the same
    entry already resolved, is already done: nothing to explain, so the audit log (read over
    every triage row it holds) is not read. A question done otherwise is refused with what
    was done to it, read from there."""
    cat = [ask(storage, "Can I bring my cat to the office?", user) for user in (1, 2)]
    bank = [ask(storage, "bank account please", user) for user in (3, 4)]
    assert triage.ignore(storage, cat[:1]) == 2  # both asks of the wording
    assert triage.ignore(storage, cat) == 0  # the same action: done
    resolved = triage.resolve(storage, small_kb_dir, "en", bank[:1], "bank-account")
    assert resolved.changed == 2
    again = triage.resolve(storage, small_kb_dir, "en", bank, "bank-account")
    assert again.already == tuple(bank) and again.changed == 0
    assert audit_reads == []
    with pytest.raises(triage.AlreadyDoneError, match="was added to"):
        triage.ignore(storage, bank[:1])
    with pytest.raises(triage.AlreadyDoneError, match="was set aside"):
        triage.resolve(storage, small_kb_dir, "en", cat[:1], "bank-account")
    assert len(audit_reads) == 2
