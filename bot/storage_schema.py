"""The database's schema: the values its rows may hold and the migrations that build it.

Each migration is a function of one `sqlite_utils.Database`; bot/storage.py lists them in
`MIGRATIONS` (append only) and `migrate()` applies those a database lacks. A released
migration is never edited: existing databases must open unchanged. The `questions` view is
no migration: Storage drops it before migrating (so a migration may change the columns it
reads) and creates it again, from bot/counting.py, after.
"""

from __future__ import annotations

from sqlite_utils import Database

from bot.normalize import normalize

STATUSES = ("answered", "suggest", "unanswered", "smalltalk")
CHAT_TYPES = ("private", "group", "supergroup", "cli")
CHANNELS = ("telegram", "cli", "terminal", "web")
TEXT_SOURCES = ("original", "curated", "machine", "source")
NEW, IGNORED, RESOLVED = "new", "ignored", "resolved"
ACCEPTED = "accepted"  # a chosen suggestion added to the entry's phrasings
NONE_OF_THESE = "none_of_these"  # unanswered kind: the user rejected a "did you mean" list
FEEDBACK_REASONS = ("wrong", "outdated", "not_mine")  # why an answer got a 👎
UNANSWERED_STATUSES = (NEW, IGNORED, RESOLVED)
# Where a chosen suggestion came from: a "did you mean" list, or the entry ranked next to an
# answer, opened from its "See also" (Answer.nearest). NULL in rows logged before the column.
SUGGESTION, SEE_ALSO = "suggestion", "see_also"
CHOICE_SOURCES = (SUGGESTION, SEE_ALSO)


def _v1_question_log(db: Database) -> None:
    """Interactions, the unanswered queue and feedback."""
    db.table("interactions").create(
        {
            "id": int,
            "time": str,
            "user_key": str,
            "chat_type": str,
            "language": str,
            "question": str,
            "status": str,
            "entry_id": str,
            "score": float,
            "took_ms": float,
            "text_source": str,
        },
        pk="id",
        not_null=["time", "user_key", "chat_type", "language", "question", "status"],
    )
    db.table("interactions").create_index(["time"])
    db.table("interactions").create_index(["user_key"])
    db.table("unanswered").create(
        {
            "id": int,
            "interaction_id": int,
            "time": str,
            "user_key": str,
            "language": str,
            "question": str,
            "status": str,
            "resolved_entry_id": str,
            "resolved_time": str,
        },
        pk="id",
        foreign_keys=[("interaction_id", "interactions", "id")],
        not_null=["interaction_id", "time", "user_key", "language", "question", "status"],
        defaults={"status": NEW},
    )
    db.table("unanswered").create_index(["status", "time"])
    db.table("unanswered").create_index(["interaction_id"])
    db.table("unanswered").create_index(["user_key"])
    db.table("feedback").create(
        {"id": int, "interaction_id": int, "time": str, "user_key": str, "helpful": bool},
        pk="id",
        foreign_keys=[("interaction_id", "interactions", "id")],
        not_null=["interaction_id", "time", "user_key", "helpful"],
    )
    db.table("feedback").create_index(["interaction_id", "user_key"], unique=True)
    db.table("feedback").create_index(["user_key"])


def _v2_users_notify_relays(db: Database) -> None:
    """User settings, chat ids for later notification, staff relays; channel and notified."""
    db.table("interactions").add_column("channel", str, not_null_default="telegram")
    db.table("unanswered").add_column("notified", bool, not_null_default=0)
    db.table("users").create(
        {"user_key": str, "language": str, "notify_opt_out": bool, "updated": str},
        pk="user_key",
        not_null=["notify_opt_out", "updated"],
        defaults={"notify_opt_out": 0},
    )
    db.table("notify").create(
        {"unanswered_id": int, "chat_id": int, "user_key": str, "language": str, "time": str},
        pk="unanswered_id",
        foreign_keys=[("unanswered_id", "unanswered", "id")],
        not_null=["chat_id", "user_key", "language", "time"],
    )
    db.table("notify").create_index(["user_key"])
    db.table("relays").create(
        {
            "staff_chat_id": int,
            "staff_message_id": int,
            "user_chat_id": int,
            "user_message_id": int,
            "user_key": str,
            "language": str,
            "question": str,
            "time": str,
        },
        pk=("staff_chat_id", "staff_message_id"),
        not_null=["user_chat_id", "user_key", "language", "question", "time"],
    )
    db.table("relays").create_index(["time"])
    db.table("relays").create_index(["user_key"])


def _v3_translations(db: Database) -> None:
    """Machine translations of the knowledge base, by source text hash and model."""
    db.table("translations").create(
        {
            "source_hash": str,
            "source_lang": str,
            "target_lang": str,
            "model": str,
            "kind": str,
            "source": str,
            "text": str,
            "time": str,
        },
        pk=("source_hash", "source_lang", "target_lang", "model"),
        not_null=["kind", "source", "text", "time"],
    )
    db.table("translations").create_index(["target_lang"])


def wording(question: str) -> str | None:
    """The normalised wording that repeats of a question share; None when nothing is left
    (emoji or punctuation only), so that such questions are never taken for repeats."""
    return normalize(question) or None


def _v4_unanswered_wording(db: Database) -> None:
    """The normalised wording of each queued question, to find repeats of it."""
    db.table("unanswered").add_column("wording", str)
    rows = list(db.query("SELECT id, question FROM unanswered"))
    for row in rows:
        db.execute(
            "UPDATE unanswered SET wording = ? WHERE id = ?", [wording(row["question"]), row["id"]]
        )
    db.table("unanswered").create_index(["wording", "status"])


def _waited_ms(db: Database) -> None:
    """How long the user waited for the reply (reading to sending), besides matching time."""
    db.table("interactions").add_column("waited_ms", float)


def message_parts(db: Database) -> None:
    """A message that asks several things is logged as one row per answer (see
    Answerer._by_parts): `part` is NULL for the message's own row, whose status is the
    message's outcome, and 1, 2... for the answers to its other sentences. Reports count
    messages and their times from the first, and every entry asked from all."""
    db.table("interactions").add_column("part", int)


def choice_sources(db: Database) -> None:
    """`choices.source`: a "did you mean" list or the answer's "See also" (CHOICE_SOURCES),
    so that staff weigh the evidence; NULL for choices logged before."""
    db.table("choices").add_column("source", str)


def written_languages(db: Database) -> None:
    """`interactions.written_in`: the language a question is written in when the bot does not
    configure it and `language` is another (Vietnamese or Uzbek answered in English, Kazakh
    in Russian, Hindi from a user who chose English; Answer.written_in); NULL otherwise, and
    for rows logged before. Reports count such questions under the language they are
    written in."""
    db.table("interactions").add_column("written_in", str)


def reply_steps(db: Database) -> None:
    """`interactions.follows`: a row that is the user's step after a reply, not a question
    of its own: a suggestion chosen from a "did you mean" list, "none of these" said to it,
    an entry opened from an answer's "See also". It holds the id of that reply's row (0 when
    it is not known), so that reports count the question once, with the outcome the step
    gave it; NULL for a question, and for rows logged before."""
    db.table("interactions").add_column("follows", int)
    db.table("interactions").create_index(["follows"])


def browsed_entries(db: Database) -> None:
    """`interactions.browsed`: 1 on a row that is an entry the user opened while browsing
    the topics (/topics, then a topic, then an entry), not a question: reports count such
    openings apart from the questions; NULL for a question, and for rows logged before
    (which counted as questions)."""
    db.table("interactions").add_column("browsed", int)


def follow_up_context(db: Database) -> None:
    """`unanswered.asked_after`: the question a queued follow-up was read after (Answer.after:
    "大概多少钱" after "How do I register a trademark?"), which staff need to understand it;
    NULL for a question read alone, and for rows queued before."""
    db.table("unanswered").add_column("asked_after", str)


def _v4_sealed_chat_ids(db: Database) -> None:
    """Chat ids kept for delivery are stored only encrypted (bot/chat_seal.py):
    `notify.chat` and `relays.user_chat` replace the clear `chat_id` and `user_chat_id`.
    Existing rows are sealed with the SQL function `seal_chat_id` that Storage registers."""
    for table, clear, sealed in (
        ("notify", "chat_id", "chat"),
        ("relays", "user_chat_id", "user_chat"),
    ):
        db.execute(f"ALTER TABLE {table} ADD COLUMN {sealed} TEXT")
        if db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
            db.execute(f"UPDATE {table} SET {sealed} = seal_chat_id({clear}, '{table}')")
        db.execute(f"ALTER TABLE {table} DROP COLUMN {clear}")


def _v4_interaction_refs(db: Database) -> None:
    """A reference chosen by the bot for each interaction, so feedback buttons can be sent
    before the interaction is written (answer first, log later)."""
    db.table("interactions").add_column("ref", str)
    db.table("interactions").create_index(["ref"], unique=True)


def _v5_relay_items(db: Database) -> None:
    """Staff copies sent together in one message: who asked each numbered item."""
    db.table("relay_items").create(
        {
            "staff_chat_id": int,
            "staff_message_id": int,
            "item": int,
            "user_chat": str,
            "user_key": str,
            "language": str,
            "question": str,
            "time": str,
        },
        pk=("staff_chat_id", "staff_message_id", "item"),
        not_null=["user_chat", "user_key", "language", "question", "time"],
    )
    db.table("relay_items").create_index(["time"])
    db.table("relay_items").create_index(["user_key"])


def _uncertain_outcomes(db: Database) -> None:
    """Uncertain outcomes: the kind of a queued question ("none of these" after a "did you
    mean" list), the reason given with a 👎, and the suggestions users chose."""
    db.table("unanswered").add_column("kind", str)
    db.table("feedback").add_column("reason", str)
    db.table("choices").create(
        {
            "id": int,
            "time": str,
            "user_key": str,
            "language": str,
            "question": str,
            "entry_id": str,
            "status": str,
        },
        pk="id",
        not_null=["time", "user_key", "language", "question", "entry_id", "status"],
        defaults={"status": NEW},
    )
    db.table("choices").create_index(["entry_id", "status"])
    db.table("choices").create_index(["user_key"])


# Tables whose ids leave the database: shown on console pages and posted back by its forms
# (handoffs, queued questions, chosen suggestions, replies seen, entry versions), used by
# the web chat (its messages), or kept by other rows (interactions).
LASTING_ID_TABLES = (
    "interactions",
    "unanswered",
    "choices",
    "handoffs",
    "handoff_replies",
    "web_messages",
    "entry_versions",
)


def lasting_ids(db: Database) -> None:
    """Ids that staff see or forms post are never given again: without AUTOINCREMENT SQLite
    gives the highest id anew once its row is deleted (an asker's "Forget me"), and a page
    still open on the deleted handoff then replied to the next asker, who got that number.
    Each table is rebuilt with `INTEGER PRIMARY KEY AUTOINCREMENT`, its rows, ids and
    indexes kept (the rebuild SQLite documents for a change ALTER TABLE cannot make;
    foreign keys are not enforced on this connection, and the `questions` view is dropped
    while migrating). A handoff number the audit log shows is not given again either, even
    when the handoff was deleted before this migration."""
    for table in LASTING_ID_TABLES:
        sql = db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
        ).fetchone()[0]
        indexes = [
            row[0]
            for row in db.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL",
                [table],
            )
        ]
        key = '"id" INTEGER PRIMARY KEY'
        assert sql.count(key) == 1 and "AUTOINCREMENT" not in sql, table
        rebuilt = f"_{table}_rebuilt"
        db.execute(
            sql.replace(f'CREATE TABLE "{table}"', f'CREATE TABLE "{rebuilt}"', 1).replace(
                key, key + " AUTOINCREMENT"
            )
        )
        db.execute(f'INSERT INTO "{rebuilt}" SELECT * FROM "{table}"')
        db.execute(f'DROP TABLE "{table}"')
        db.execute(f'ALTER TABLE "{rebuilt}" RENAME TO "{table}"')
        for index in indexes:
            db.execute(index)
    # A handoff deleted before this migration left its number in the audit log (staff saw
    # it there and on its page): the next handoff does not take it either.
    audited = db.execute(
        "SELECT max(CAST(substr(target, 9) AS INTEGER)) FROM audit WHERE target LIKE 'handoff:%'"
    ).fetchone()[0]
    if audited:
        raised = db.execute(
            "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'handoffs'", [audited]
        ).rowcount
        if not raised:  # no handoff left
            db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('handoffs', ?)", [audited])
