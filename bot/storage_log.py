"""The question log: what was asked and how it went (`interactions`), the 👍/👎 given on
answers (`feedback`) and the suggestions users chose from a "did you mean" list
(`choices`). An unanswered question also joins the queue (bot/storage_queue.py) as it is
logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlite_utils import Database

from bot.accounts import write_audit
from bot.counting import log_columns, outcome, questions
from bot.redact import redact
from bot.storage_base import StorageBase, UnknownIdError, check, id_list, utc
from bot.storage_schema import (
    ACCEPTED,
    CHANNELS,
    CHAT_TYPES,
    CHOICE_SOURCES,
    FEEDBACK_REASONS,
    IGNORED,
    NEW,
    STATUSES,
    SUGGESTION,
    TEXT_SOURCES,
    wording,
)
from bot.storage_users import opted_out

# The audit actions of staff reviewing the chosen suggestions (the console's, bot/web/chosen.py;
# the CLI's, `audit_choices`).
CHOICE_ACTIONS = ("choices.accept", "choices.dismiss")


class LogTables(StorageBase):
    """The tables `interactions`, `feedback` and `choices` (and the queue rows and chat ids
    that logging an unanswered question adds to `unanswered` and `notify`)."""

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
        part: int | None = None,
        written_in: str | None = None,
        follows: int | str | None = None,
        browsed: bool = False,
        after: str | None = None,
    ) -> int:
        """Log one question and its outcome; an unanswered one also joins the queue, as
        ignored when staff ignored the same wording before (see `ignored_before`).

        `took_ms` is the answering core's time, `waited_ms` the user's: from receiving the
        message to sending the reply (translation and queues included), where known.

        `chat_id` is remembered (unless the user opted out) only for an unanswered question,
        to tell the user once staff have answered it; pass it only where that is welcome.
        `ref` is the caller's own unique reference for it (see `log_feedback`).
        `kind` marks a queued question that staff should tell apart (NONE_OF_THESE).
        `part` (1, 2...) marks the answer to another sentence of a message already logged
        (Answer.part): reports count the message once. `written_in` is the language the
        question is written in when the bot does not configure it (Answer.written_in).
        `follows` marks the user's step after a reply, which reports do not count as a
        question: the reply's id or `ref` (a suggestion chosen from its list, "none of
        these" said to it, an entry opened from its "See also"), 0 when it is not known.
        `browsed` marks an entry the user opened while browsing the topics: no question
        either, reports count it apart. `after` is the question a follow-up was read after
        (Answer.after): kept with a queued question, for staff to read it in context.
        """
        check("status", status, STATUSES)
        check("chat_type", chat_type, CHAT_TYPES)
        check("channel", channel, CHANNELS)
        if text_source is not None:
            check("text_source", text_source, TEXT_SOURCES)
        key, now, question = self.user_key(user_id), self._now(), redact(question)
        with self._write() as db:
            step_of = self._reply_id(db, follows)
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
                        "part": part or None,
                        "written_in": written_in,
                        "follows": step_of,
                        "browsed": 1 if browsed else None,
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
                            "asked_after": redact(after) if after else None,
                        }
                    )
                    .last_pk
                )
                if chat_id is not None and not ignored and not opted_out(db, key):
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
    def _reply_id(db: Database, follows: int | str | None) -> int | None:
        """The id of the interaction `follows` names (its id or ref); 0 when there is none
        (its write was lost, or it was forgotten); None for a question."""
        if follows is None:
            return None
        return LogTables._interaction_id(db, follows) or 0

    @staticmethod
    def _interaction_id(db: Database, interaction: int | str) -> int | None:
        """The id of the interaction logged with this id or `ref`; None if there is none."""
        column = "ref" if isinstance(interaction, str) else "id"
        found = db.execute(
            f"SELECT id FROM interactions WHERE {column} = ?", [interaction]
        ).fetchone()
        return int(found[0]) if found else None

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
            check("reason", reason, FEEDBACK_REASONS)
        key = self.user_key(user_id)
        with self._write() as db:
            interaction_id = self._interaction_id(db, interaction)
            if interaction_id is None:
                column = "ref" if isinstance(interaction, str) else "id"
                raise UnknownIdError(f"interaction {column}", [interaction])
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

    def log_choice(
        self,
        *,
        user_id: int | str,
        language: str,
        question: str,
        entry_id: str,
        source: str = SUGGESTION,
    ) -> int:
        """Record that a user asking `question` chose entry `entry_id` from a "did you mean"
        list (`source` SUGGESTION), or opened it from the answer's "See also" as the entry
        ranked next to the answer (SEE_ALSO, Answer.nearest): evidence that the question
        means that entry (see `python -m bot unanswered choices`)."""
        check("source", source, CHOICE_SOURCES)
        with self._write() as db:
            row = {
                "time": self._now(),
                "user_key": self.user_key(user_id),
                "language": language,
                "question": redact(question),
                "entry_id": entry_id,
                "status": NEW,
                "source": source,
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
            params.append(id_list(int(i) for i in ids))
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if since is not None:
            where.append("time >= ?")
            params.append(utc(since))
        if entry_id is not None:
            where.append("entry_id = ?")
            params.append(entry_id)
        return self._read(
            "SELECT id, time, user_key, language, question, entry_id, status, source FROM choices "
            f"WHERE {' AND '.join(where)} ORDER BY id",
            params,
        )

    def set_choices_accepted(self, ids: Iterable[int]) -> int:
        """Mark chosen suggestions as added to their entry's phrasings; rows changed."""
        return self._set_choices(ids, ACCEPTED)

    def set_choices_ignored(self, ids: Iterable[int]) -> int:
        """Set aside chosen suggestions still waiting (staff judged that the wording does not
        mean the entry); accepted ones stay accepted. Rows changed."""
        return self._set_choices(ids, IGNORED)

    def _set_choices(self, ids: Iterable[int], status: str) -> int:
        with self._write() as db:
            return db.execute(
                "UPDATE choices SET status = ? WHERE status = ? "
                "AND id IN (SELECT value FROM json_each(?))",
                [status, NEW, id_list(int(i) for i in ids)],
            ).rowcount

    def audit_choices(
        self, actor: str, action: str, target: str | None, before: list[dict], after: Any
    ) -> None:
        """Record an acceptance or setting aside of chosen suggestions done outside the
        console (the CLI) in the console's audit log, as the console records its own
        (bot/choices.py `audit_before`, `accepted_audit` and `dismissed_audit` give the
        target, `before` and `after`): `actor` says who ("ann (CLI)"), `action` is one of
        CHOICE_ACTIONS."""
        check("action", action, CHOICE_ACTIONS)
        with self._write() as db:
            write_audit(db, self._now(), actor, action, target, before, after)

    # Counts ------------------------------------------------------------------------------

    def stats(self, days: int = 7) -> dict:
        """Questions of the last `days` days, counted as the report counts them
        (bot/counting.py): total, by outcome and by language."""
        since = utc(self._clock() - timedelta(days=days))
        with self._lock:
            columns = log_columns(self.db.conn)
        asked = f"time >= ? AND {questions(columns)}"
        by_status = self._read(
            f"SELECT {outcome(columns)} AS status, count(*) AS n FROM interactions "
            f"WHERE {asked} GROUP BY 1 ORDER BY n DESC, 1",
            [since],
        )
        by_language = self._read(
            "SELECT language, count(*) AS n FROM interactions "
            f"WHERE {asked} GROUP BY language ORDER BY n DESC, language",
            [since],
        )
        return {
            "days": days,
            "total": sum(r["n"] for r in by_status),
            "by_status": {r["status"]: r["n"] for r in by_status},
            "by_language": {r["language"]: r["n"] for r in by_language},
        }
