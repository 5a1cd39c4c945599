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

Layout: `Storage` combines one class per table family, each in its own module: the question
log (bot/storage_log.py), the unanswered queue (storage_queue.py), user settings
(storage_users.py), staff relays (storage_relays.py) and machine translations
(storage_translations.py), over the connection and helpers of bot/storage_base.py. The
migrations live in bot/storage_schema.py; this module lists them in `MIGRATIONS`, opens the
database, keeps the `questions` view current (bot/counting.py: what the reports count, for
Datasette) and deletes across every family (`purge`, `forget`).
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from bot.accounts import staff_console_tables
from bot.chat_seal import ChatSeal
from bot.counting import drop_questions_view, keep_questions_view
from bot.entry_history import entry_history_tables
from bot.handoffmodel import handoff_tables
from bot.redact import redact
from bot.storage_base import (
    SchemaVersionError,
    StorageBase,
    StorageError,
    UnknownIdError,
    transaction,
    utc,
    utcnow,
)
from bot.storage_log import LogTables
from bot.storage_queue import QueueTables
from bot.storage_relays import TERMINAL_CHAT_ID, RelayTables, relays_of_other_channels
from bot.storage_schema import (
    ACCEPTED,
    CHANNELS,
    CHAT_TYPES,
    CHOICE_SOURCES,
    FEEDBACK_REASONS,
    IGNORED,
    NEW,
    NONE_OF_THESE,
    RESOLVED,
    SEE_ALSO,
    STATUSES,
    SUGGESTION,
    TEXT_SOURCES,
    UNANSWERED_STATUSES,
    _uncertain_outcomes,
    _v1_question_log,
    _v2_users_notify_relays,
    _v3_translations,
    _v4_interaction_refs,
    _v4_sealed_chat_ids,
    _v4_unanswered_wording,
    _v5_relay_items,
    _waited_ms,
    browsed_entries,
    choice_sources,
    follow_up_context,
    lasting_ids,
    message_parts,
    reply_steps,
    wording,
    written_languages,
)
from bot.storage_translations import TranslationTables
from bot.storage_users import UserTables
from bot.translation import source_hash
from bot.webchat_store import web_chat_tables

__all__ = [
    "ACCEPTED",
    "BUSY_TIMEOUT",
    "CHANNELS",
    "CHAT_TYPES",
    "CHOICE_SOURCES",
    "FEEDBACK_REASONS",
    "IGNORED",
    "KEY_BYTES",
    "MIGRATIONS",
    "NEW",
    "NONE_OF_THESE",
    "RESOLVED",
    "SEE_ALSO",
    "SCHEMA_VERSION",
    "STATUSES",
    "SUGGESTION",
    "TERMINAL_CHAT_ID",
    "TEXT_SOURCES",
    "UNANSWERED_STATUSES",
    "SchemaVersionError",
    "Storage",
    "StorageError",
    "UnknownIdError",
    "key_path",
    "load_secret",
    "migrate",
    "redact",
    "wording",
]


BUSY_TIMEOUT = 5.0  # seconds to wait for another connection's write lock
AUDIT_RETENTION_DAYS = 730  # as StorageConfig.audit_retention_days (see config.toml)
KEY_BYTES = 32

# Schema ----------------------------------------------------------------------------------

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
    handoff_tables,
    entry_history_tables,
    web_chat_tables,
    relays_of_other_channels,
    message_parts,
    choice_sources,
    written_languages,
    reply_steps,
    browsed_entries,
    follow_up_context,
    lasting_ids,
]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(
    db: Database,
    migrations: Sequence[Callable[[Database], None]] = MIGRATIONS,
    name: str = "the database",
) -> int:
    """Apply the migrations the database lacks, all in one transaction; return the version."""
    with transaction(db):
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


# The store -------------------------------------------------------------------------------


class Storage(LogTables, QueueTables, UserTables, RelayTables, TranslationTables, StorageBase):
    """The bot's database. Thread-safe: one connection, one lock, short transactions.

    Each table family is a class of its own (see the module docstring); this one opens the
    connection they share and deletes across all of them."""

    def __init__(
        self,
        path: Path,
        secret: bytes,
        retention_days: int = 365,
        *,
        audit_retention_days: int = AUDIT_RETENTION_DAYS,
        clock: Callable[[], datetime] = utcnow,
        apply_migrations: bool = True,
    ):
        if len(secret) < 16:
            raise ValueError("the secret must be at least 16 bytes")
        for name, days in (
            ("retention_days", retention_days),
            ("audit_retention_days", audit_retention_days),
        ):
            if days < 1:
                raise ValueError(f"{name} must be at least 1, not {days}")
        self.path = Path(path)
        self.retention_days = retention_days
        self.audit_retention_days = audit_retention_days
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
            self.db.execute("PRAGMA secure_delete = ON")
            if apply_migrations:
                version = self.db.execute("PRAGMA user_version").fetchone()[0]
                if version < SCHEMA_VERSION:  # the migrations change tables the view reads
                    drop_questions_view(conn)
                migrate(self.db, name=str(self.path))
                keep_questions_view(conn)
                if version < SCHEMA_VERSION:  # no page of the old schema's rows left in the WAL
                    self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            # After migrating: a migration that rebuilds a table (lasting_ids) drops the
            # parent of other tables' rows before its copy takes the name.
            self.db.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StorageError(f"cannot open {self.path}: {exc}") from exc
        except BaseException:
            conn.close()
            raise

    @classmethod
    def open(
        cls,
        path: Path,
        retention_days: int = 365,
        *,
        audit_retention_days: int = AUDIT_RETENTION_DAYS,
        clock: Callable[[], datetime] = utcnow,
    ) -> Storage:
        """Open `path` with the secret from `<path>.key`, creating both when new."""
        path = Path(path)
        return cls(
            path,
            load_secret(path),
            retention_days,
            audit_retention_days=audit_retention_days,
            clock=clock,
        )

    def reader(self) -> Storage:
        """A second connection to the same file, with its own lock: reads through it never
        wait behind this connection's writes (WAL readers do not wait for writers)."""
        return Storage(
            self.path,
            self._secret,
            self.retention_days,
            audit_retention_days=self.audit_retention_days,
            clock=self._clock,
            apply_migrations=False,
        )

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Retention and erasure ---------------------------------------------------------------

    def purge(self, now: datetime | None = None) -> int:
        """Delete everything older than `retention_days` except user settings, and the staff
        console's audit log older than `audit_retention_days`; rows deleted."""
        now = now or self._clock()
        cutoff = utc(now - timedelta(days=self.retention_days))
        audit_cutoff = utc(now - timedelta(days=self.audit_retention_days))
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
                "DELETE FROM translations WHERE kind = 'wording' AND time < :cutoff",
                "DELETE FROM audit WHERE time < :audit_cutoff",
            ],
            {"cutoff": cutoff, "audit_cutoff": audit_cutoff},
        )

    def forget(self, user_id: int | str) -> int:
        """Delete everything stored about one user, in every table; rows deleted. Machine
        translations of their words shown to staff (kind "wording", keyed by the text's hash)
        go too."""
        key = self.user_key(user_id)
        texts = self._read(
            """
            SELECT question AS text FROM interactions WHERE user_key = :key
            UNION SELECT question FROM unanswered WHERE user_key = :key
            UNION SELECT question FROM relays WHERE user_key = :key
            UNION SELECT question FROM relay_items WHERE user_key = :key
            """,
            {"key": key},
        )
        hashes = json.dumps([source_hash(row["text"]) for row in texts if row["text"]])
        return self._delete(
            [
                "DELETE FROM translations WHERE kind = 'wording' AND source_hash IN "
                "(SELECT value FROM json_each(:hashes))",
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
            {"key": key, "hashes": hashes},
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
