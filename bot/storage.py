"""Storage: one SQLite file for the question log, the unanswered queue, feedback, user
settings and staff relays.

Privacy: a user is stored under a pseudonymous key (HMAC-SHA256 of the Telegram user id with
a secret kept in `<db>.key`), never the raw id; questions pass through `redact()` before they
are written; `purge()` deletes by age and `forget()` by user, with `secure_delete` on so the
deleted text does not linger in the file. The chat id needed to tell a user that their
question now has an answer lives in its own table (`notify`), encrypted with a key derived
from the secret (bot/chat_seal.py), and is deleted once used or when the question is
ignored; so is the asker's chat id kept for a staff reply (`relays`). The database, its WAL
files and the key file are readable by the owner only (0600).

Threading: one connection shared by all threads and guarded by a lock, so the Telegram layer
may call any method through `asyncio.to_thread`. Every write is one `BEGIN IMMEDIATE`
transaction: another process (the CLI) holding the write lock makes us wait up to
BUSY_TIMEOUT instead of failing. Durability: WAL with `synchronous=FULL`, so what a method
wrote is on disk when it returns and survives a killed process or a power cut.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlite_utils import Database

from bot.accounts import staff_console_tables
from bot.chat_seal import ChatSeal, SealError
from bot.normalize import normalize
from bot.redact import redact
from bot.webchat_store import web_chat_tables

logger = logging.getLogger(__name__)

BUSY_TIMEOUT = 5.0  # seconds to wait for another connection's write lock
KEY_BYTES = 32

STATUSES = ("answered", "suggest", "unanswered", "smalltalk")
CHAT_TYPES = ("private", "group", "supergroup", "cli")
CHANNELS = ("telegram", "cli", "terminal", "web")
TERMINAL_CHAT_ID = 0  # relays of /staff messages typed in the terminal chat: no staff chat
TEXT_SOURCES = ("original", "curated", "machine", "source")
NEW, IGNORED, RESOLVED = "new", "ignored", "resolved"
ACCEPTED = "accepted"  # a chosen suggestion added to the entry's phrasings
NONE_OF_THESE = "none_of_these"  # unanswered kind: the user rejected a "did you mean" list
FEEDBACK_REASONS = ("wrong", "outdated", "not_mine")  # why an answer got a 👎
UNANSWERED_STATUSES = (NEW, IGNORED, RESOLVED)


class StorageError(Exception):
    """The database or its key file cannot be opened or used as asked."""


class SchemaVersionError(StorageError):
    """The database was written by a newer release than this one."""


class UnknownIdError(StorageError):
    """Some of the given ids do not exist (or no longer exist)."""

    def __init__(self, what: str, ids: Iterable[Any]):
        self.ids = sorted(ids)
        super().__init__(f"unknown {what} id(s): {', '.join(map(str, self.ids))}")


# Schema ----------------------------------------------------------------------------------


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


# Append only: never edit a released migration, add a new one.
MIGRATIONS: list[Callable[[Database], None]] = [
    _v1_question_log,
    _v2_users_notify_relays,
    _v3_translations,
    _v4_unanswered_wording,
    _waited_ms,
    _v4_sealed_chat_ids,
    _v4_interaction_refs,
    _v5_relay_items,
    staff_console_tables,
    _uncertain_outcomes,
    web_chat_tables,
]
SCHEMA_VERSION = len(MIGRATIONS)


@contextmanager
def _transaction(db: Database) -> Iterator[Database]:
    """BEGIN IMMEDIATE takes the write lock up front, so a busy database means waiting."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        raise


def migrate(
    db: Database,
    migrations: Sequence[Callable[[Database], None]] = MIGRATIONS,
    name: str = "the database",
) -> int:
    """Apply the migrations the database lacks, all in one transaction; return the version."""
    with _transaction(db):
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(migrations):
            raise SchemaVersionError(
                f"{name} has schema version {version}, but this release knows only up to "
                f"{len(migrations)}: it was written by a newer release of the bot"
            )
        for migration in migrations[version:]:
            migration(db)
        db.execute(f"PRAGMA user_version = {len(migrations)}")
    return len(migrations)


# Keys and time ---------------------------------------------------------------------------


def key_path(db_path: Path) -> Path:
    """Where the secret for `db_path` lives: `bot.db` -> `bot.db.key`."""
    return db_path.with_name(db_path.name + ".key")


def load_secret(db_path: Path) -> bytes:
    """The secret for `db_path`, created (32 random bytes, mode 0600) with a new database."""
    key_file = key_path(db_path)
    if not key_file.exists():
        if db_path.exists() and db_path.stat().st_size > 0:
            raise StorageError(
                f"{db_path} exists but its key file {key_file} is missing; restore it, "
                "without it the stored users cannot be recognised or forgotten"
            )
        key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it just now: read theirs
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(KEY_BYTES))
                out.flush()
                os.fsync(out.fileno())
    secret = key_file.read_bytes()
    if len(secret) != KEY_BYTES:
        raise StorageError(f"{key_file} must hold {KEY_BYTES} bytes, it holds {len(secret)}")
    return secret


def _private_file(db_path: Path) -> None:
    """The database and its WAL files readable by the owner only (0600): created so, and
    tightened if an older release left them open to others. SQLite gives the -wal and -shm
    files the mode of the database file."""
    db_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    for path in (db_path, *(db_path.with_name(db_path.name + s) for s in ("-wal", "-shm"))):
        try:
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
        except FileNotFoundError:
            pass


def _utc(moment: datetime) -> str:
    """A time as stored: UTC ISO 8601 to the second; naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _check(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; not {value!r}")


def _ids(values: Iterable[Any]) -> str:
    """A JSON list for `IN (SELECT value FROM json_each(?))`: no limit on the number of ids."""
    return json.dumps(sorted(set(values)))


def _unanswered_row(row: dict) -> dict:
    row = {key: value for key, value in row.items() if key != "wording"}  # internal
    return {**row, "notified": bool(row["notified"])}


# The store -------------------------------------------------------------------------------


class Storage:
    """The bot's database. Thread-safe: one connection, one lock, short transactions."""

    def __init__(
        self,
        path: Path,
        secret: bytes,
        retention_days: int = 365,
        *,
        clock: Callable[[], datetime] = _utcnow,
        apply_migrations: bool = True,
    ):
        if len(secret) < 16:
            raise ValueError("the secret must be at least 16 bytes")
        if retention_days < 1:
            raise ValueError(f"retention_days must be at least 1, not {retention_days}")
        self.path = Path(path)
        self.retention_days = retention_days
        self._secret = secret
        self._clock = clock
        self._lock = threading.RLock()
        self._seal = ChatSeal(secret)
        _private_file(self.path)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, check_same_thread=False)
        try:
            conn.create_function("seal_chat_id", 2, self._seal.seal_sql)
            self.db = Database(conn, execute_plugins=False)
            self.db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            self.db.enable_wal()
            self.db.execute("PRAGMA synchronous = FULL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA secure_delete = ON")
            if apply_migrations:
                version = self.db.execute("PRAGMA user_version").fetchone()[0]
                migrate(self.db, name=str(self.path))
                if version < SCHEMA_VERSION:  # no page of the old schema's rows left in the WAL
                    self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StorageError(f"cannot open {self.path}: {exc}") from exc
        except BaseException:
            conn.close()
            raise

    @classmethod
    def open(
        cls, path: Path, retention_days: int = 365, *, clock: Callable[[], datetime] = _utcnow
    ) -> Storage:
        """Open `path` with the secret from `<path>.key`, creating both when new."""
        path = Path(path)
        return cls(path, load_secret(path), retention_days, clock=clock)

    def reader(self) -> Storage:
        """A second connection to the same file, with its own lock: reads through it never
        wait behind this connection's writes (WAL readers do not wait for writers)."""
        return Storage(
            self.path, self._secret, self.retention_days, clock=self._clock, apply_migrations=False
        )

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Database]:
        with self._lock, _transaction(self.db) as db:
            yield db

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[dict]:
        with self._lock:
            return list(self.db.query(sql, params))

    def _now(self) -> str:
        return _utc(self._clock())

    def user_key(self, user_id: int | str) -> str:
        """The pseudonymous key stored instead of a Telegram user id."""
        digest = hmac.new(self._secret, str(user_id).encode(), hashlib.sha256)
        return digest.hexdigest()[:16]

    # The question log --------------------------------------------------------------------

    def log_interaction(
        self,
        *,
        user_id: int | str,
        chat_type: str,
        language: str,
        question: str,
        status: str,
        entry_id: str | None = None,
        score: float | None = None,
        took_ms: float | None = None,
        text_source: str | None = None,
        channel: str = "telegram",
        chat_id: int | None = None,
        waited_ms: float | None = None,
        ref: str | None = None,
        kind: str | None = None,
    ) -> int:
        """Log one question and its outcome; an unanswered one also joins the queue, as
        ignored when staff ignored the same wording before (see `ignored_before`).

        `took_ms` is the answering core's time, `waited_ms` the user's: from receiving the
        message to sending the reply (translation and queues included), where known.

        `chat_id` is remembered (unless the user opted out) only for an unanswered question,
        to tell the user once staff have answered it; pass it only where that is welcome.
        `ref` is the caller's own unique reference for it (see `log_feedback`).
        `kind` marks a queued question that staff should tell apart (NONE_OF_THESE).
        """
        _check("status", status, STATUSES)
        _check("chat_type", chat_type, CHAT_TYPES)
        _check("channel", channel, CHANNELS)
        if text_source is not None:
            _check("text_source", text_source, TEXT_SOURCES)
        key, now, question = self.user_key(user_id), self._now(), redact(question)
        with self._write() as db:
            interaction_id = (
                db.table("interactions")
                .insert(
                    {
                        "time": now,
                        "user_key": key,
                        "chat_type": chat_type,
                        "language": language,
                        "question": question,
                        "status": status,
                        "entry_id": entry_id,
                        "score": None if score is None else float(score),  # numpy floats too
                        "took_ms": None if took_ms is None else float(took_ms),
                        "text_source": text_source,
                        "channel": channel,
                        "waited_ms": None if waited_ms is None else float(waited_ms),
                        "ref": ref,
                    }
                )
                .last_pk
            )
            if status == "unanswered":
                words = wording(question)
                ignored = self._ignored(db, words)
                unanswered_id = (
                    db.table("unanswered")
                    .insert(
                        {
                            "interaction_id": interaction_id,
                            "time": now,
                            "user_key": key,
                            "language": language,
                            "question": question,
                            "status": IGNORED if ignored else NEW,
                            "wording": words,
                            "kind": kind,
                        }
                    )
                    .last_pk
                )
                if chat_id is not None and not ignored and not self._opted_out(db, key):
                    db.table("notify").insert(
                        {
                            "unanswered_id": unanswered_id,
                            "chat": self._seal.seal(chat_id, "notify"),
                            "user_key": key,
                            "language": language,
                            "time": now,
                        }
                    )
        return cast(int, interaction_id)

    @staticmethod
    def _ignored(db: Database, words: str | None) -> bool:
        return words is not None and bool(
            db.execute(
                "SELECT 1 FROM unanswered WHERE wording = ? AND status = ? LIMIT 1",
                [words, IGNORED],
            ).fetchone()
        )

    def ignored_before(self, question: str) -> bool:
        """Whether staff ignored a question of the same normalised wording before (then
        asking it again does not call on staff again)."""
        with self._lock:
            return self._ignored(self.db, wording(redact(question)))

    def log_feedback(
        self,
        interaction: int | str,
        user_id: int | str,
        helpful: bool,
        reason: str | None = None,
    ) -> None:
        """Record 👍/👎 on an answer (its id, or the `ref` it was logged with), with the
        reason given for a 👎 (FEEDBACK_REASONS); a user's second click replaces their first."""
        if reason is not None:
            _check("reason", reason, FEEDBACK_REASONS)
        key = self.user_key(user_id)
        column = "ref" if isinstance(interaction, str) else "id"
        with self._write() as db:
            found = db.execute(
                f"SELECT id FROM interactions WHERE {column} = ?", [interaction]
            ).fetchone()
            if not found:
                raise UnknownIdError(f"interaction {column}", [interaction])
            interaction_id = found[0]
            row = {
                "interaction_id": interaction_id,
                "time": self._now(),
                "user_key": key,
                "helpful": bool(helpful),
                "reason": None if helpful else reason,
            }
            feedback = db.table("feedback")
            old = list(
                feedback.rows_where(
                    "interaction_id = ? AND user_key = ?", [interaction_id, key], select="id"
                )
            )
            if old:
                feedback.update(old[0]["id"], row)
            else:
                feedback.insert(row)

    def interaction(self, ref: str) -> dict | None:
        """The question, entry and language of the interaction logged with `ref`, if any."""
        rows = self._read(
            "SELECT question, entry_id, language FROM interactions WHERE ref = ?", [ref]
        )
        return rows[0] if rows else None

    # Chosen suggestions -----------------------------------------------------------------

    def log_choice(self, *, user_id: int | str, language: str, question: str, entry_id: str) -> int:
        """Record that a user asking `question` chose entry `entry_id` from a "did you mean"
        list: evidence that the question means that entry (see `python -m bot unanswered
        choices`)."""
        with self._write() as db:
            row = {
                "time": self._now(),
                "user_key": self.user_key(user_id),
                "language": language,
                "question": redact(question),
                "entry_id": entry_id,
                "status": NEW,
            }
            return cast(int, db.table("choices").insert(row).last_pk)

    def list_choices(
        self,
        *,
        since: datetime | None = None,
        status: str | None = NEW,
        ids: Iterable[int] | None = None,
        entry_id: str | None = None,
    ) -> list[dict]:
        """Chosen suggestions, oldest first; `status=None` lists accepted ones too."""
        where, params = ["1"], []
        if ids is not None:
            where.append("id IN (SELECT value FROM json_each(?))")
            params.append(_ids(int(i) for i in ids))
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if since is not None:
            where.append("time >= ?")
            params.append(_utc(since))
        if entry_id is not None:
            where.append("entry_id = ?")
            params.append(entry_id)
        return self._read(
            "SELECT id, time, user_key, language, question, entry_id, status FROM choices "
            f"WHERE {' AND '.join(where)} ORDER BY id",
            params,
        )

    def set_choices_accepted(self, ids: Iterable[int]) -> int:
        """Mark chosen suggestions as added to their entry's phrasings; rows changed."""
        with self._write() as db:
            return db.execute(
                "UPDATE choices SET status = ? WHERE id IN (SELECT value FROM json_each(?))",
                [ACCEPTED, _ids(int(i) for i in ids)],
            ).rowcount

    # The unanswered queue ----------------------------------------------------------------

    def list_unanswered(
        self,
        *,
        since: datetime | None = None,
        language: str | None = None,
        status: str | None = NEW,
        limit: int | None = None,
        ids: Iterable[int] | None = None,
        newest_first: bool = False,
    ) -> list[dict]:
        """Queued questions, oldest first (or newest first); `status=None` lists every
        status; `ids` keeps only those items."""
        where, params = [], []
        if ids is not None:
            where.append("id IN (SELECT value FROM json_each(?))")
            params.append(_ids(int(i) for i in ids))
        if status is not None:
            _check("status", status, UNANSWERED_STATUSES)
            where.append("status = ?")
            params.append(status)
        if since is not None:
            where.append("time >= ?")
            params.append(_utc(since))
        if language is not None:
            where.append("language = ?")
            params.append(language)
        with self._lock:
            rows = self.db.table("unanswered").rows_where(
                " AND ".join(where) or None,
                params,
                order_by="id DESC" if newest_first else "id",
                limit=limit,
            )
            return [_unanswered_row(row) for row in rows]

    def set_unanswered_status(
        self,
        ids: Iterable[int],
        status: str,
        entry_id: str | None = None,
        *,
        repeats: bool = True,
    ) -> int:
        """Mark queued questions new, ignored or resolved (by `entry_id`); all or nothing;
        returns how many changed.

        Ignoring or resolving also covers the questions still new that have the same
        normalised wording as one of `ids` (everyone who asked it), unless `repeats` is
        False. Raises UnknownIdError, changing nothing, if any id is not in the queue.
        """
        _check("status", status, UNANSWERED_STATUSES)
        if entry_id is not None and status != RESOLVED:
            raise ValueError(f"an entry id goes with status {RESOLVED!r}, not {status!r}")
        wanted = _ids(int(i) for i in ids)
        resolved_time = self._now() if status == RESOLVED else None
        with self._write() as db:
            found = {
                row["id"]
                for row in db.query(
                    "SELECT id FROM unanswered WHERE id IN (SELECT value FROM json_each(?))",
                    [wanted],
                )
            }
            missing = set(json.loads(wanted)) - found
            if missing:
                raise UnknownIdError("unanswered", missing)
            update = "UPDATE unanswered SET status = ?, resolved_entry_id = ?, resolved_time = ? "
            values = [status, entry_id, resolved_time, wanted]
            changed: int = db.execute(
                update + "WHERE id IN (SELECT value FROM json_each(?))", values
            ).rowcount
            if repeats and status != NEW:
                changed += db.execute(
                    update + "WHERE status = 'new' AND wording IN (SELECT wording FROM "
                    "unanswered WHERE id IN (SELECT value FROM json_each(?)))",
                    values,
                ).rowcount
            if status == IGNORED:  # nobody will be told: the askers' chat ids are not needed
                db.execute(
                    "DELETE FROM notify WHERE unanswered_id IN "
                    "(SELECT id FROM unanswered WHERE status = 'ignored')"
                )
            return changed

    def pending_notifications(self, entry_ids: Iterable[str] | None = None) -> list[dict]:
        """Resolved questions whose askers can be told the answer now, one per chat and entry.

        Each dict has `id` and `ids` (the queued questions it covers, for `mark_notified`),
        `chat_id`, `user_key`, `language` (the user's chosen one, else the question's),
        `question` and `entry_id`. `entry_ids=None` means any entry.
        """
        sql = """
            SELECT u.id, u.resolved_entry_id AS entry_id, u.question, u.user_key, n.chat,
                   COALESCE(s.language, n.language) AS language
            FROM unanswered u
            JOIN notify n ON n.unanswered_id = u.id
            LEFT JOIN users s ON s.user_key = u.user_key
            WHERE u.status = 'resolved' AND u.notified = 0
              AND u.resolved_entry_id IS NOT NULL AND COALESCE(s.notify_opt_out, 0) = 0
        """
        params: list[Any] = []
        if entry_ids is not None:
            sql += " AND u.resolved_entry_id IN (SELECT value FROM json_each(?))"
            params.append(_ids(entry_ids))
        pending: dict[tuple[int, str], dict] = {}
        for row in self._read(sql + " ORDER BY u.id", params):
            try:
                row["chat_id"] = self._seal.open(row.pop("chat"), "notify")
            except SealError:
                logger.warning("notify row %s does not open with this key file: skipped", row["id"])
                continue
            item = pending.setdefault((row["chat_id"], row["entry_id"]), {**row, "ids": []})
            item["ids"].append(row["id"])
        return list(pending.values())

    def mark_notified(self, ids: Iterable[int]) -> int:
        """Note that these askers were told, and forget their chat ids; returns rows marked.

        Ids that no longer exist (forgotten or purged meanwhile) are skipped.
        """
        wanted = _ids(int(i) for i in ids)
        in_ids = "IN (SELECT value FROM json_each(?))"
        with self._write() as db:
            db.execute(f"DELETE FROM notify WHERE unanswered_id {in_ids}", [wanted])
            return db.execute(
                f"UPDATE unanswered SET notified = 1 WHERE id {in_ids}", [wanted]
            ).rowcount

    # Users -------------------------------------------------------------------------------

    def _set_user(self, user_id: int | str, **values: Any) -> None:
        row = {"user_key": self.user_key(user_id), **values, "updated": self._now()}
        with self._write() as db:
            db.table("users").upsert(row, pk="user_key")
            if values.get("notify_opt_out"):
                db.execute("DELETE FROM notify WHERE user_key = ?", [row["user_key"]])

    def _user(self, user_id: int | str) -> dict | None:
        rows = self._read("SELECT * FROM users WHERE user_key = ?", [self.user_key(user_id)])
        return rows[0] if rows else None

    @staticmethod
    def _opted_out(db: Database, key: str) -> bool:
        row = db.execute("SELECT notify_opt_out FROM users WHERE user_key = ?", [key]).fetchone()
        return bool(row and row[0])

    def set_user_language(self, user_id: int | str, language: str | None) -> None:
        """Remember the user's chosen language; None goes back to detecting it."""
        self._set_user(user_id, language=language)

    def get_user_language(self, user_id: int | str) -> str | None:
        user = self._user(user_id)
        return user["language"] if user else None

    def set_notify_opt_out(self, user_id: int | str, opt_out: bool) -> None:
        """Opting out also deletes the chat ids kept to notify this user."""
        self._set_user(user_id, notify_opt_out=bool(opt_out))

    def get_notify_opt_out(self, user_id: int | str) -> bool:
        user = self._user(user_id)
        return bool(user and user["notify_opt_out"])

    # Staff relays ------------------------------------------------------------------------

    def save_relay(
        self,
        *,
        staff_chat_id: int,
        staff_message_id: int,
        user_chat_id: int,
        user_id: int | str,
        language: str,
        question: str,
        user_message_id: int | None = None,
        item: int | None = None,
    ) -> None:
        """Remember who asked the question forwarded as `staff_message_id` (as its numbered
        `item` when one message carries several)."""
        row = {
            "staff_chat_id": staff_chat_id,
            "staff_message_id": staff_message_id,
            "user_chat": self._seal.seal(user_chat_id, "relays"),
            "user_key": self.user_key(user_id),
            "language": language,
            "question": redact(question),
            "time": self._now(),
        }
        with self._write() as db:
            if item is None:
                db.table("relays").insert({**row, "user_message_id": user_message_id}, replace=True)
            else:
                db.table("relay_items").insert({**row, "item": item}, replace=True)

    def save_staff_message(self, *, user_id: int | str, language: str, text: str) -> int:
        """Record a /staff message typed in the terminal chat (no staff chat to forward it
        to) as a relay of chat TERMINAL_CHAT_ID; returns its number there."""
        with self._write() as db:
            number = db.execute(
                "SELECT coalesce(max(staff_message_id), 0) + 1 FROM relays WHERE staff_chat_id = ?",
                [TERMINAL_CHAT_ID],
            ).fetchone()[0]
            db.table("relays").insert(
                {
                    "staff_chat_id": TERMINAL_CHAT_ID,
                    "staff_message_id": number,
                    "user_chat": self._seal.seal(TERMINAL_CHAT_ID, "relays"),
                    "user_message_id": None,
                    "user_key": self.user_key(user_id),
                    "language": language,
                    "question": redact(text),
                    "time": self._now(),
                }
            )
        return number

    def staff_messages(self) -> list[dict]:
        """/staff messages typed in the terminal chat, oldest first."""
        return self._read(
            "SELECT staff_message_id AS id, time, user_key, language, question AS text "
            "FROM relays WHERE staff_chat_id = ? ORDER BY staff_message_id",
            [TERMINAL_CHAT_ID],
        )

    def find_relay(
        self, staff_chat_id: int, staff_message_id: int, item: int | None = None
    ) -> dict | None:
        """The relay a staff reply to `staff_message_id` (its `item`) belongs to, if any."""
        if item is None:
            rows = self._read(
                "SELECT * FROM relays WHERE staff_chat_id = ? AND staff_message_id = ?",
                [staff_chat_id, staff_message_id],
            )
        else:
            rows = self._read(
                "SELECT * FROM relay_items "
                "WHERE staff_chat_id = ? AND staff_message_id = ? AND item = ?",
                [staff_chat_id, staff_message_id, item],
            )
        if not rows:
            return None
        row = rows[0]
        try:
            row["user_chat_id"] = self._seal.open(row.pop("user_chat"), "relays")
        except SealError:
            logger.warning("relay %s does not open with this key file", staff_message_id)
            return None
        return row

    def asker_chat(self, unanswered_id: int) -> int | None:
        """The chat where the asker of a queued question can be reached: the chat of their
        relayed question, else the one kept to tell them the answer; None when neither is
        known (asked on the command line, opted out, forgotten or purged)."""
        rows = self._read(
            """
            SELECT r.user_chat AS sealed, 'relays' AS tag FROM unanswered u
            JOIN relays r ON r.user_key = u.user_key AND r.question = u.question
            WHERE u.id = ?
            UNION ALL
            SELECT n.chat AS sealed, 'notify' AS tag FROM notify n WHERE n.unanswered_id = ?
            """,
            [unanswered_id, unanswered_id],
        )
        for row in rows:
            try:
                return int(self._seal.open(row["sealed"], row["tag"]))
            except SealError:
                logger.warning("a chat id of unanswered %s does not open", unanswered_id)
        return None

    def relay_unanswered(
        self, *, staff_chat_id: int, staff_message_id: int, unanswered_id: int
    ) -> bool:
        """Link a staff message that shows a queued question to its asker, so that a staff
        reply to it reaches them as a relayed reply; False when they cannot be reached."""
        chat_id = self.asker_chat(unanswered_id)
        items = self.list_unanswered(status=None, ids=[unanswered_id])
        if chat_id is None or not items:
            return False
        item = items[0]
        row = {
            "staff_chat_id": staff_chat_id,
            "staff_message_id": staff_message_id,
            "user_chat": self._seal.seal(chat_id, "relays"),
            "user_message_id": None,
            "user_key": item["user_key"],
            "language": item["language"],
            "question": item["question"],
            "time": self._now(),
        }
        with self._write() as db:
            db.table("relays").insert(row, replace=True)
        return True

    # Retention and erasure ---------------------------------------------------------------

    # Machine translations ---------------------------------------------------------------

    def put_translation(
        self,
        *,
        source_hash: str,
        source_lang: str,
        target_lang: str,
        model: str,
        kind: str,
        source: str,
        text: str,
    ) -> None:
        """Store one machine translation (replacing one for the same source and model)."""
        row = {
            "source_hash": source_hash,
            "source_lang": source_lang,
            "target_lang": target_lang,
            "model": model,
            "kind": kind,
            "source": source,
            "text": text,
            "time": self._now(),
        }
        with self._write() as db:
            db.table("translations").insert(row, replace=True)

    def translations(self, target_lang: str | None = None) -> list[dict]:
        """Stored machine translations, for one target language or all."""
        sql = "SELECT * FROM translations"
        params: list[Any] = []
        if target_lang is not None:
            sql += " WHERE target_lang = ?"
            params.append(target_lang)
        return self._read(sql + " ORDER BY time", params)

    def stats(self, days: int = 7) -> dict:
        """Questions of the last `days` days: total, by outcome and by language."""
        since = _utc(self._clock() - timedelta(days=days))
        by_status = self._read(
            "SELECT status, count(*) AS n FROM interactions WHERE time >= ? "
            "GROUP BY status ORDER BY n DESC",
            [since],
        )
        by_language = self._read(
            "SELECT language, count(*) AS n FROM interactions "
            "WHERE time >= ? GROUP BY language ORDER BY n DESC",
            [since],
        )
        return {
            "days": days,
            "total": sum(r["n"] for r in by_status),
            "by_status": {r["status"]: r["n"] for r in by_status},
            "by_language": {r["language"]: r["n"] for r in by_language},
        }

    def purge(self, now: datetime | None = None) -> int:
        """Delete everything older than `retention_days` except user settings; rows deleted."""
        cutoff = _utc((now or self._clock()) - timedelta(days=self.retention_days))
        old_interactions = "SELECT id FROM interactions WHERE time < :cutoff"
        old_unanswered = (
            "SELECT id FROM unanswered WHERE time < :cutoff "
            f"OR interaction_id IN ({old_interactions})"
        )
        return self._delete(
            [
                f"DELETE FROM notify WHERE time < :cutoff OR unanswered_id IN ({old_unanswered})",
                "DELETE FROM feedback WHERE time < :cutoff "
                f"OR interaction_id IN ({old_interactions})",
                f"DELETE FROM unanswered WHERE id IN ({old_unanswered})",
                "DELETE FROM interactions WHERE time < :cutoff",
                "DELETE FROM relays WHERE time < :cutoff",
                "DELETE FROM relay_items WHERE time < :cutoff",
                "DELETE FROM choices WHERE time < :cutoff",
            ],
            {"cutoff": cutoff},
        )

    def forget(self, user_id: int | str) -> int:
        """Delete everything stored about one user, in every table; rows deleted."""
        return self._delete(
            [
                "DELETE FROM notify WHERE user_key = :key",
                "DELETE FROM feedback WHERE user_key = :key OR interaction_id IN "
                "(SELECT id FROM interactions WHERE user_key = :key)",
                "DELETE FROM unanswered WHERE user_key = :key",
                "DELETE FROM interactions WHERE user_key = :key",
                "DELETE FROM relays WHERE user_key = :key",
                "DELETE FROM relay_items WHERE user_key = :key",
                "DELETE FROM choices WHERE user_key = :key",
                "DELETE FROM users WHERE user_key = :key",
            ],
            {"key": self.user_key(user_id)},
        )

    def _delete(self, statements: list[str], params: dict[str, Any]) -> int:
        with self._lock:
            with self._write() as db:
                deleted = sum(db.execute(sql, params).rowcount for sql in statements)
            if deleted:
                # Copy the zeroed pages into the database and empty the WAL, so the deleted
                # text is gone from both files, not just unreachable.
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted
