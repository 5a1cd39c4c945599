"""What the reports count as a question, and how it ended: the one definition, as SQL over
the question log, that the report (bot/report.py), the staff digest (bot/digest.py) and the
`questions` view (which Datasette's canned queries read: datasette-metadata.yaml) share.

`interactions` holds more rows than questions. A message that asked several things has a
row per answer (`part` 1, 2... after the first): questions, outcomes and times are the
messages', from their first row. The user's steps after a reply (`follows`: a suggestion
chosen, "none of these", an entry opened from "See also") are no questions, nor are the
entries opened while browsing the topics (`browsed`: counted apart), nor the messages a user
writes to the staff on purpose (the web chat's "Talk to a person" and /staff, queued as kind
STAFF_MESSAGE; Telegram's and the terminal's are not logged). A queued question is in the
inbox (`in_inbox`, a gap in the knowledge base) until staff add it to an entry or set it
aside there, and its asker waits for staff (`waiting`) until then or until it is answered or
closed on the console's handoffs. An older log lacks some of these columns: each condition is
written for the columns the log has.
"""

from __future__ import annotations

import sqlite3

from bot.handoffmodel import ANSWERED, CLOSED, STAFF_MESSAGE

# How a question ended: answered; answered after a suggestion (the user chose one from the
# "did you mean" list it got); suggested only (no choice made); unanswered (also when the user
# said "none of these" to the list); small talk. See `outcome`.
OUTCOMES = ("answered", "chosen", "suggest", "unanswered", "smalltalk")
QUEUE_KIND = "unanswered.kind"  # in `log_columns` where the queue has kinds
QUESTIONS_VIEW = "questions"
# The view's columns besides `outcome`, where the log has them.
_VIEW_COLUMNS = (
    "id", "time", "user_key", "channel", "chat_type", "language", "written_in", "question",
    "entry_id", "score", "took_ms", "waited_ms", "text_source",
)  # fmt: skip


def log_columns(conn: sqlite3.Connection) -> set[str]:
    """The columns of `interactions` (an older log lacks the newer ones), and
    `unanswered.kind` (QUEUE_KIND) where the queue has it."""
    found = {row[1] for row in conn.execute("PRAGMA table_info(interactions)")}
    if "kind" in {row[1] for row in conn.execute("PRAGMA table_info(unanswered)")}:
        found.add(QUEUE_KIND)
    return found


def to_staff(columns: set[str]) -> str:
    """The condition, on `unanswered`, that leaves out messages written to the staff."""
    return f"kind IS NOT '{STAFF_MESSAGE}'" if QUEUE_KIND in columns else "1"


def in_inbox(columns: set[str], name: str = "unanswered") -> str:
    """The condition, on `unanswered` (`name`: its name or alias in the query), that keeps
    the questions the console's inbox lists (status new: not yet added to an entry nor set
    aside), messages to the staff left out: gaps in the knowledge base, also those whose
    asker got a reply on the handoffs (the inbox says so beside them)."""
    return f"{name}.status = 'new' AND {to_staff(columns)}"


def waiting(conn: sqlite3.Connection, columns: set[str], name: str = "unanswered") -> str:
    """The condition, on `unanswered` (`name`: its name or alias in the query), that keeps
    the questions whose asker still waits for staff: in the inbox (`in_inbox`) and not
    answered or closed from the console's handoffs (bot/handoffstore.py; a log from before
    them has none)."""
    kept = in_inbox(columns, name)
    if "state" in {row[1] for row in conn.execute("PRAGMA table_info(handoffs)")}:
        kept += (
            f" AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.unanswered_id = {name}.id "
            f"AND h.state IN ('{ANSWERED}', '{CLOSED}'))"
        )
    return kept


def browsed(conn: sqlite3.Connection, columns: set[str], period: str, params: dict) -> int:
    """The entries opened while browsing the topics (no questions: counted apart) among
    the `interactions` rows that the condition `period` keeps; 0 for an older log."""
    if "browsed" not in columns:
        return 0
    sql = f"SELECT count(*) FROM interactions WHERE browsed = 1 AND {period}"
    return int(conn.execute(sql, params).fetchone()[0])


def questions(columns: set[str]) -> str:
    """The condition, on `interactions`, that keeps the questions: one row per message
    (its first answer)."""
    kept = ["part IS NULL"] if "part" in columns else []
    kept += ["follows IS NULL"] if "follows" in columns else []
    kept += ["browsed IS NULL"] if "browsed" in columns else []
    if QUEUE_KIND in columns:
        kept.append(
            f"id NOT IN (SELECT interaction_id FROM unanswered WHERE kind = '{STAFF_MESSAGE}')"
        )
    return " AND ".join(kept) or "1"


def outcome(columns: set[str]) -> str:
    """How a question ended, as SQL over its `interactions` row (OUTCOMES): a "did you mean"
    list from which the user chose a suggestion is `chosen`, one they said "none of these"
    to is `unanswered` (its step after the list: the row that `follows` it)."""
    if "follows" not in columns:
        return "status"
    step = (
        "(SELECT CASE WHEN max(c.status = 'answered') THEN 'chosen' "
        "WHEN max(c.status = 'unanswered') THEN 'unanswered' END "
        "FROM interactions c WHERE c.follows = interactions.id)"
    )
    return f"CASE WHEN status = 'suggest' THEN coalesce({step}, 'suggest') ELSE status END"


def questions_view(columns: set[str]) -> str:
    """CREATE VIEW for `questions`: one row per question with its `outcome`, for Datasette."""
    kept = ", ".join(c for c in _VIEW_COLUMNS if c in columns)
    return (
        f"CREATE VIEW {QUESTIONS_VIEW} AS SELECT {kept}, {outcome(columns)} AS outcome "
        f"FROM interactions WHERE {questions(columns)}"
    )


def drop_questions_view(conn: sqlite3.Connection) -> None:
    """Drop the view, so that migrations may change the tables it reads."""
    conn.execute(f"DROP VIEW IF EXISTS {QUESTIONS_VIEW}")


def keep_questions_view(conn: sqlite3.Connection) -> bool:
    """Create the `questions` view, or replace it when it is not this release's definition
    (a new column, a changed rule): derived from the tables, it is not a migration. True
    when it was (re)created. The caller holds no transaction."""
    wanted = questions_view(log_columns(conn))
    found = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?", [QUESTIONS_VIEW]
    ).fetchone()
    if found is not None and found[0] == wanted:
        return False
    conn.execute("BEGIN IMMEDIATE")
    try:
        drop_questions_view(conn)
        conn.execute(wanted)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return True
