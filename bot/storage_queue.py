"""The unanswered queue: questions the bot could not answer (`unanswered`) and the chat ids
kept, sealed, to tell their askers once staff have answered them (`notify`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.accounts import write_audit
from bot.chat_seal import SealError
from bot.storage_base import StorageBase, UnknownIdError, check, id_list, utc
from bot.storage_schema import IGNORED, NEW, RESOLVED, UNANSWERED_STATUSES

logger = logging.getLogger(__name__)

# The audit actions that change a queued question's status (the console's, bot/web/views.py
# and set_aside.py; the CLI's and the staff chat's, `audit_triage`): what `last_triage` reads.
TRIAGE_ACTIONS = (
    "unanswered.attach",
    "unanswered.ignore",
    "unanswered.offtopic",
    "unanswered.restore",
)


def _unanswered_row(row: dict) -> dict:
    row = {key: value for key, value in row.items() if key != "wording"}  # internal
    return {**row, "notified": bool(row["notified"])}


class QueueTables(StorageBase):
    """The tables `unanswered` and `notify`: listing the queue, triaging it and telling the
    askers of resolved questions."""

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
        status; `ids` keeps only those items; `language` those answered or written in it (a
        Vietnamese question answered in English is found under en and vi)."""
        where, params = [], []
        if ids is not None:
            where.append("id IN (SELECT value FROM json_each(?))")
            params.append(id_list(int(i) for i in ids))
        if status is not None:
            check("status", status, UNANSWERED_STATUSES)
            where.append("status = ?")
            params.append(status)
        if since is not None:
            where.append("time >= ?")
            params.append(utc(since))
        if language is not None:  # answered in it, or written in it (Vietnamese: en, vi)
            where.append(
                "(language = ? OR interaction_id IN "
                "(SELECT id FROM interactions WHERE written_in = ?))"
            )
            params += [language, language]
        with self._lock:
            rows = self.db.table("unanswered").rows_where(
                " AND ".join(where) or None,
                params,
                order_by="id DESC" if newest_first else "id",
                limit=limit,
            )
            return [_unanswered_row(row) for row in rows]

    def unanswered_channels(self, ids: Iterable[int]) -> dict[int, str]:
        """The channel each of these queued questions was asked on (from its interaction;
        left out when that is purged)."""
        with self._lock:
            rows = self.db.execute(
                "SELECT u.id, i.channel FROM unanswered u JOIN interactions i "
                "ON i.id = u.interaction_id WHERE u.id IN (SELECT value FROM json_each(?))",
                [json.dumps(sorted({int(i) for i in ids}))],
            ).fetchall()
        return {row[0]: row[1] for row in rows}

    def set_unanswered_status(
        self,
        ids: Iterable[int],
        status: str,
        entry_id: str | None = None,
        *,
        repeats: bool = True,
        if_new: bool = False,
    ) -> int:
        """Mark queued questions new, ignored or resolved (by `entry_id`); all or nothing;
        returns how many changed.

        Ignoring or resolving also covers the questions still new that have the same
        normalised wording as one of `ids` (everyone who asked it), unless `repeats` is
        False. `if_new`: change only those still new (one resolved or set aside meanwhile,
        from another page or process, keeps what was done to it first). Raises
        UnknownIdError, changing nothing, if any id is not in the queue.
        """
        check("status", status, UNANSWERED_STATUSES)
        if entry_id is not None and status != RESOLVED:
            raise ValueError(f"an entry id goes with status {RESOLVED!r}, not {status!r}")
        wanted = id_list(int(i) for i in ids)
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
            only_new = " AND status = 'new'" if if_new else ""
            changed: int = db.execute(
                update + "WHERE id IN (SELECT value FROM json_each(?))" + only_new, values
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

    def audit_triage(
        self, actor: str, action: str, target: str | None, before: list[dict], after: dict
    ) -> None:
        """Record a triage of the queue done outside the console (the CLI, the staff chat)
        in the console's audit log, as the console records its own (bot/triage.py
        `audit_before` and the `*_audit` helpers give `before` and `after`): `actor` says
        who ("ann (CLI)", "Ann Lee (telegram:77)"), `action` is one of TRIAGE_ACTIONS."""
        check("action", action, TRIAGE_ACTIONS)
        with self._write() as db:
            write_audit(db, self._now(), actor, action, target, before, after)

    def last_triage(self, ids: Iterable[int]) -> dict[int, dict]:
        """For each of these queued questions, the last triage the audit log holds for it or
        an ask of the same wording (the `unanswered.*` rows name the questions given in
        `before`): its `action` (TRIAGE_ACTIONS), `actor` and `time`; none for a triage
        done before the CLI and the staff chat recorded theirs (`audit_triage`)."""
        rows = self._read(
            """
            SELECT u.id AS question, a.action, a.actor, a.time
            FROM unanswered u JOIN unanswered w ON w.wording = u.wording
            JOIN audit a ON a.action IN (SELECT value FROM json_each(:actions))
            JOIN json_each(CASE WHEN NOT json_valid(a.before) THEN '[]'
                WHEN json_type(a.before) = 'array' THEN a.before ELSE '[]' END) j
            WHERE u.id IN (SELECT value FROM json_each(:ids)) AND json_type(j.value) = 'object'
              AND json_extract(j.value, '$.id') = w.id
            ORDER BY a.id
            """,
            {"ids": id_list(int(i) for i in ids), "actions": json.dumps(TRIAGE_ACTIONS)},
        )
        last: dict[int, dict] = {}
        for row in rows:  # oldest first: the last one stays
            last[row.pop("question")] = row
        return last

    def restore_ignored(self, ids: Iterable[int]) -> int:
        """Put ignored questions back in the queue (staff undoing an Ignore or Off-topic):
        the questions `ids` and every ignored ask of the same normalised wording (ignoring
        set them aside, and repeats asked later were logged ignored); returns how many
        changed. Questions not ignored are left as they are. Raises UnknownIdError, changing
        nothing, if any id is not in the queue. Their askers' chat ids were not kept: they
        are not told when the question is answered."""
        wanted = id_list(int(i) for i in ids)
        in_ids = "IN (SELECT value FROM json_each(?))"
        with self._write() as db:
            found = {
                row["id"]
                for row in db.query(f"SELECT id FROM unanswered WHERE id {in_ids}", [wanted])
            }
            missing = set(json.loads(wanted)) - found
            if missing:
                raise UnknownIdError("unanswered", missing)
            changed: int = db.execute(
                f"UPDATE unanswered SET status = ? WHERE status = ? AND (id {in_ids} OR "
                f"wording IN (SELECT wording FROM unanswered WHERE id {in_ids}))",
                [NEW, IGNORED, wanted, wanted],
            ).rowcount
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
            params.append(id_list(entry_ids))
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
        wanted = id_list(int(i) for i in ids)
        in_ids = "IN (SELECT value FROM json_each(?))"
        with self._write() as db:
            db.execute(f"DELETE FROM notify WHERE unanswered_id {in_ids}", [wanted])
            return db.execute(
                f"UPDATE unanswered SET notified = 1 WHERE id {in_ids}", [wanted]
            ).rowcount
