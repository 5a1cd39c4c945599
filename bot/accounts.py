"""Staff accounts for the web console: passwords, sessions, failed logins and the audit log.

The tables live in the bot's database (created by the `staff_console` migration in
bot/storage.py); `Accounts` is its own connection to that file, with its own lock. Passwords
are kept only as argon2id hashes. A session is a random id kept in the `web_sessions` table,
so logging out, removing an account or changing its password ends it at once. Failed logins
are counted per name and per address: more than MAX_FAILURES within FAILURE_WINDOW refuses
further tries from that name or address until the window has passed.

Roles: a `manager` reads; `staff` also change things.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlite_utils import Database

from bot.storage_base import SideStore

ROLES = ("manager", "staff")  # each can do what the ones before it can
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MIN_PASSWORD = 10
MAX_PASSWORD = 1000
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


class AccountError(Exception):
    """An account operation cannot be done as asked; nothing changed."""


def staff_console_tables(db: Database) -> None:
    """Staff accounts, their sessions, failed logins and the audit log of console changes."""
    db.table("staff").create(
        {"name": str, "role": str, "password_hash": str, "created": str, "password_changed": str},
        pk="name",
        not_null=["role", "created"],
    )
    db.table("web_sessions").create(
        {"id": str, "name": str, "csrf": str, "created": str, "expires": str},
        pk="id",
        not_null=["name", "csrf", "created", "expires"],
        foreign_keys=[("name", "staff", "name")],
    )
    db.table("web_sessions").create_index(["name"])
    db.table("login_failures").create(
        {"id": int, "key": str, "time": str}, pk="id", not_null=["key", "time"]
    )
    db.table("login_failures").create_index(["key", "time"])
    db.table("audit").create(
        {
            "id": int,
            "time": str,
            "actor": str,
            "action": str,
            "target": str,
            "before": str,
            "after": str,
        },
        pk="id",
        not_null=["time", "actor", "action"],
    )
    db.table("audit").create_index(["time"])


@dataclass(frozen=True)
class Session:
    id: str
    name: str
    role: str
    csrf: str
    expires: datetime

    def can(self, role: str) -> bool:
        """True when this account's role includes `role`."""
        return ROLES.index(self.role) >= ROLES.index(role)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def write_audit(
    db: Database, when: str, actor: str, action: str, target: str | None, before: Any, after: Any
) -> None:
    """One audit row (in the caller's transaction): who, when (stored UTC time), what, and
    the state before and after, as JSON. The console writes its own changes through
    `Accounts.audit`; the CLI and the staff chat their triage of the queue through
    `Storage.audit_triage`."""
    db.execute(
        "INSERT INTO audit (time, actor, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?)",
        [
            when,
            actor,
            action,
            target,
            None if before is None else json.dumps(before, ensure_ascii=False),
            None if after is None else json.dumps(after, ensure_ascii=False),
        ],
    )


# The account a name is, case aside: the one of exactly that name first.
_SAME_NAME = "SELECT name FROM staff WHERE name = ? COLLATE NOCASE ORDER BY name != ? LIMIT 1"


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise AccountError(
            f"{name!r} is not a valid account name: 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(
            f"a password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters, not {len(password)}"
        )
    return password


class Accounts(SideStore):
    """Staff accounts, sessions and the audit log in the database at `path`, which must
    already exist with its migrations applied (open it with `Storage` first)."""

    TABLE, WHAT, MISSING = "staff", "staff tables", AccountError

    def __init__(self, path: Path, *, clock: Callable[[], datetime] | None = None):
        super().__init__(path, clock=clock)
        self._hasher = PasswordHasher()
        # A hash to verify against for unknown names, so that they take as long as known ones.
        self._dummy = self._hasher.hash(secrets.token_hex(16))

    def now(self) -> datetime:
        return self._clock()

    def _one(self, sql: str, params: list[Any]) -> dict | None:
        with self._lock:
            rows = list(self.db.query(sql, params))
        return rows[0] if rows else None

    # Accounts ----------------------------------------------------------------------------

    def add(self, name: str, role: str, *, actor: str) -> None:
        """Create the account `name` with `role`; recorded in the audit log as done by
        `actor` (who made the change, as the console or `cli_actor` names them)."""
        check_name(name)
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        with self._write() as db:
            # Names are told apart without case (staff log in as "Mei" or "mei" alike), so
            # two accounts may not differ only in case.
            found = [r["name"] for r in db.query(_SAME_NAME, [name, name])]
            if found:
                other = "" if found[0] == name else f" as {found[0]!r} (case does not count)"
                raise AccountError(f"account {name!r} exists already{other}")
            db.execute(
                "INSERT INTO staff (name, role, created) VALUES (?, ?, ?)",
                [name, role, _utc(self.now())],
            )
            self._audit(db, actor, "staff.add", name, None, {"role": role})

    def account_name(self, name: str) -> str:
        """The account `name` is, written as it was created: names are told apart without
        case ("Mei" is "mei"). An account of exactly `name` comes first (one made before
        this rule may differ from another only in case); `name` itself when none is."""
        row = self._one(_SAME_NAME, [name, name])
        return row["name"] if row else name

    def all(self) -> list[dict]:
        with self._lock:
            return list(
                self.db.query(
                    "SELECT name, role, created, password_changed, "
                    "password_hash IS NOT NULL AS has_password FROM staff ORDER BY name"
                )
            )

    def remove(self, name: str, *, actor: str) -> None:
        """Delete the account `name` and end its sessions; audited as done by `actor`."""
        with self._write() as db:
            row = list(db.query("SELECT role FROM staff WHERE name = ?", [name]))
            if not row:
                raise AccountError(f"no account named {name!r}")
            db.execute("DELETE FROM web_sessions WHERE name = ?", [name])
            db.execute("DELETE FROM staff WHERE name = ?", [name])
            self._audit(db, actor, "staff.remove", name, {"role": row[0]["role"]}, None)

    def set_password(self, name: str, password: str, *, actor: str) -> int:
        """Set the password and end the account's sessions; how many were ended. Audited as
        done by `actor`."""
        check_password(password)
        hashed = self._hasher.hash(password)
        with self._write() as db:
            changed = db.execute(
                "UPDATE staff SET password_hash = ?, password_changed = ? WHERE name = ?",
                [hashed, _utc(self.now()), name],
            ).rowcount
            if not changed:
                raise AccountError(f"no account named {name!r}")
            ended = db.execute("DELETE FROM web_sessions WHERE name = ?", [name]).rowcount
            self._audit(db, actor, "staff.password", name, None, None)
        return ended

    def change_own_password(
        self, name: str, current: str, new: str, address: str, keep: str | None = None
    ) -> bool:
        """Set `name`'s password to `new` when `current` is its password now (a wrong one
        counts as a failed login, so the form cannot be used to guess it); end its other
        sessions, all but `keep`. False when `current` is wrong or the account is locked
        out; AccountError for a `new` of the wrong length (nothing changed)."""
        check_password(new)
        if self.locked_out(name, address) or not self._verified(name, current):
            self._failed(name, address)
            return False
        hashed = self._hasher.hash(new)
        with self._write() as db:
            db.execute(
                "UPDATE staff SET password_hash = ?, password_changed = ? WHERE name = ?",
                [hashed, _utc(self.now()), name],
            )
            db.execute("DELETE FROM web_sessions WHERE name = ? AND id IS NOT ?", [name, keep])
            self._audit(db, name, "staff.password", name, None, {"by": "self"})
        return True

    # Logging in --------------------------------------------------------------------------

    def _verified(self, name: str, password: str) -> bool:
        """Whether `password` is `name`'s (as long for unknown names as for known ones)."""
        row = self._one("SELECT password_hash FROM staff WHERE name = ?", [name])
        stored = row["password_hash"] if row and row["password_hash"] else None
        try:
            ok: bool = self._hasher.verify(stored or self._dummy, password)
        except (VerificationError, InvalidHashError):
            ok = False
        return ok and stored is not None

    def _failed(self, name: str, address: str) -> None:
        name = self.account_name(name)
        now = self.now()
        with self._write() as db:
            for key in (f"name:{name}", f"addr:{address}"):
                db.execute("INSERT INTO login_failures (key, time) VALUES (?, ?)", [key, _utc(now)])
            db.execute("DELETE FROM login_failures WHERE time < ?", [_utc(now - FAILURE_WINDOW)])

    def _failures(self, key: str) -> int:
        since = _utc(self.now() - FAILURE_WINDOW)
        row = self._one(
            "SELECT count(*) AS n FROM login_failures WHERE key = ? AND time > ?", [key, since]
        )
        return row["n"] if row else 0

    def locked_out(self, name: str, address: str) -> bool:
        """Too many failed logins lately for this name (in any case) or from this address."""
        name = self.account_name(name)
        return any(
            self._failures(key) >= MAX_FAILURES for key in (f"name:{name}", f"addr:{address}")
        )

    def login(self, name: str, password: str, address: str, hours: int) -> Session | None:
        """A new session when `password` is right and neither name nor address is locked
        out; else None, and the failure is counted. `name` in any case ("Mei" is "mei")."""
        name = self.account_name(name)
        if self.locked_out(name, address):
            return None
        if not self._verified(name, password):
            self._failed(name, address)
            return None
        row = self._one("SELECT role FROM staff WHERE name = ?", [name])
        if row is None:  # removed meanwhile
            return None
        now = self.now()
        with self._write() as db:
            session = Session(
                secrets.token_urlsafe(32),
                name,
                row["role"],
                secrets.token_urlsafe(32),
                now + timedelta(hours=hours),
            )
            db.execute(
                "INSERT INTO web_sessions (id, name, csrf, created, expires) "
                "VALUES (?, ?, ?, ?, ?)",
                [session.id, name, session.csrf, _utc(now), _utc(session.expires)],
            )
            db.execute("DELETE FROM web_sessions WHERE expires <= ?", [_utc(now)])
        return session

    def session(self, session_id: str) -> Session | None:
        """The live session `session_id`, or None (unknown, expired, account removed)."""
        row = self._one(
            "SELECT s.id, s.name, s.csrf, s.expires, staff.role FROM web_sessions s "
            "JOIN staff ON staff.name = s.name WHERE s.id = ?",
            [session_id],
        )
        if row is None:
            return None
        expires = datetime.fromisoformat(row["expires"])
        if expires <= self.now():
            return None
        return Session(row["id"], row["name"], row["role"], row["csrf"], expires)

    def logout(self, session_id: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM web_sessions WHERE id = ?", [session_id])

    # Audit -------------------------------------------------------------------------------

    def _audit(
        self, db: Database, actor: str, action: str, target: str | None, before: Any, after: Any
    ) -> None:
        write_audit(db, _utc(self.now()), actor, action, target, before, after)

    def audit(self, actor: str, action: str, target: str | None, before: Any, after: Any) -> None:
        """Record one change: who, when, what, and the state before and after (JSON)."""
        with self._write() as db:
            self._audit(db, actor, action, target, before, after)

    def audit_log(
        self,
        limit: int = 200,
        *,
        actor: str | None = None,
        kinds: tuple[str, ...] = (),
        since: datetime | None = None,
    ) -> list[dict]:
        """The newest audit rows first; only `actor`'s, of actions starting with one of
        `kinds` ("entry.", "handoff." ...), at or after `since`, when given."""
        where, args = [], []
        if actor is not None:
            where.append("actor = ?")
            args.append(actor)
        if kinds:
            where.append("(" + " OR ".join("action LIKE ?" for _ in kinds) + ")")
            args += [kind.replace("%", "") + "%" for kind in kinds]
        if since is not None:
            where.append("time >= ?")
            args.append(_utc(since))
        sql = "SELECT * FROM audit" + (" WHERE " + " AND ".join(where) if where else "")
        with self._lock:
            return list(self.db.query(sql + " ORDER BY id DESC LIMIT ?", [*args, limit]))

    def audit_actors(self) -> list[str]:
        """Everyone who has a row in the audit log, by name."""
        with self._lock:
            rows = self.db.query("SELECT DISTINCT actor FROM audit ORDER BY actor")
            return [row["actor"] for row in rows]
