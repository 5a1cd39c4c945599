"""What staff did in a period, per staff member: the report's "Staff work" figures.

Read with one GROUP BY query from the audit log (`audit`) the console, the CLI and the staff
chat write as they work, which outlives the askers' data ("Forget me" deletes their replies):
replies to askers (reached or not), handoffs closed, inbox questions added to entries or set
aside, users' choices accepted or set aside, entries and translations saved.

A staff member is named as the audit log names them: a console account (`sam`), a triage
from the command line (`ann (CLI)`), a Telegram staff member by their name and id
(`Ann Lee (telegram:77)`). The handoffs record a Telegram staff member by id alone
(`telegram:77`): those rows count under the same person, named by the latest name their
replies or staff-chat triage recorded. What the bot did by itself (`inbox`: closing the
handoff of a question handled in the inbox) is nobody's work.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, fields

SYSTEM_ACTORS = ("inbox",)  # bot/handoffstore.py `sync`
_TELEGRAM = "telegram:"


@dataclass(frozen=True)
class StaffWork:
    """One staff member's work in the period (`name` "" for everyone's together)."""

    name: str
    replies: int = 0  # replies sent to askers: one a send (a reply to a group counts once)
    delivered: int = 0  # of those, the ones that reached their asker (one of the group, at least)
    closed: int = 0  # handoffs closed and still closed, each once
    attached: int = 0  # inbox questions added to an entry's wordings
    new_entries: int = 0  # entries made from inbox questions
    set_aside: int = 0  # inbox questions ignored or marked off-topic
    choices_accepted: int = 0  # users' choices ("did you mean", "See also") accepted
    choices_set_aside: int = 0  # users' choices set aside
    edited: int = 0  # entry changes saved: edits, rollbacks, moves, deletions
    created: int = 0  # entries created (from inbox questions or not)
    translations: int = 0  # curated translations saved

    @property
    def counts(self) -> tuple[int, ...]:
        return tuple(getattr(self, f.name) for f in fields(self)[1:])


COUNTED = tuple(f.name for f in fields(StaffWork)[1:])


def _person(column: str) -> str:
    """SQL: the person an actor `column` is: a staff-chat actor "Ann Lee (telegram:77)" is
    `telegram:77`, as the handoffs record them; anyone else is as recorded."""
    start = f"instr({column}, ' ({_TELEGRAM}')"
    return (
        f"CASE WHEN {start} > 0 AND {column} LIKE '%)' "
        f"THEN substr({column}, {start} + 2, length({column}) - {start} - 2) "
        f"ELSE {column} END"
    )


# A reply as the audit log records it: one row per asker, with the send it was part of
# (bot/handoffstore.py finish_reply; an older row has none: one per asker it reached,
# replies told apart by their time).
_REPLY = (
    "CASE WHEN action = 'handoff.reply' THEN "
    "coalesce('#' || json_extract(after, '$.send'), time) END"
)
# The audit log's figures, one count per StaffWork field it gives.
_AUDIT_COUNTS = {
    # replies sent, reached or not; their askers' data may be deleted since
    "replies": f"count(DISTINCT {_REPLY})",
    "delivered": f"count(DISTINCT CASE WHEN coalesce(json_extract(after, '$.delivered'), 1) "
    f"THEN {_REPLY} END)",
    # handoffs closed, each once, that are still closed: nothing moved them out of closed
    # since this close (a handoff reopened or answered again since is not)
    "closed": "count(DISTINCT CASE WHEN action = 'handoff.close' AND NOT EXISTS (SELECT 1 "
    "FROM audit later WHERE later.target = audit.target AND later.id > audit.id AND "
    "later.action LIKE 'handoff.%' AND json_extract(later.after, '$.state') IS NOT 'closed') "
    "THEN target END)",
}
_AUDIT_SUMS = {
    "attached": "CASE WHEN action = 'unanswered.attach' "
    "THEN coalesce(json_extract(after, '$.changed'), 0) END",
    "new_entries": "action = 'entry.new' "
    "AND json_array_length(coalesce(json_extract(after, '$.questions'), '[]')) > 0",
    "set_aside": "CASE WHEN action IN ('unanswered.ignore', 'unanswered.offtopic') "
    "THEN coalesce(json_extract(after, '$.changed'), 0) END",
    # the choices named that were waiting (bot/choices.py `audit_before`): it took them all
    "choices_accepted": "CASE WHEN action = 'choices.accept' THEN (SELECT count(*) FROM "
    "json_each(CASE WHEN json_valid(before) AND json_type(before) = 'array' THEN before "
    "ELSE '[]' END) j WHERE json_type(j.value) = 'object' "
    "AND json_extract(j.value, '$.status') = 'new') END",
    "choices_set_aside": "CASE WHEN action = 'choices.dismiss' "
    "THEN coalesce(json_array_length(json_extract(after, '$.ids')), 0) END",
    # an edit that only unlinked a deleted entry is part of that deletion
    "edited": "action IN ('entry.rollback', 'entry.move', 'entry.delete') OR (action = "
    "'entry.edit' AND json_extract(after, '$.unlinked_from') IS NULL)",
    "created": "action = 'entry.new'",
    "translations": "action = 'translation.save'",
}
_AUDIT_COUNTS |= {name: f"coalesce(sum({sql}), 0)" for name, sql in _AUDIT_SUMS.items()}
_ACTIONS = (
    "handoff.reply", "handoff.close", "unanswered.attach", "unanswered.ignore",
    "unanswered.offtopic", "choices.accept", "choices.dismiss", "entry.new", "entry.edit",
    "entry.rollback", "entry.move", "entry.delete", "translation.save",
)  # fmt: skip


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def staff_work(conn: sqlite3.Connection, since: str, until: str) -> tuple[StaffWork, ...]:
    """Each staff member's work from `since` to `until` (stored UTC times, both included),
    by name; nothing for a database without the audit log or the handoff tables."""
    tables = _tables(conn)
    found: dict[str, dict[str, int]] = {}
    params = {"since": since, "until": until}
    if "audit" in tables:
        sums = ", ".join(_AUDIT_COUNTS.values())
        actions = ", ".join(f"'{a}'" for a in _ACTIONS)
        system = ", ".join(f"'{a}'" for a in SYSTEM_ACTORS)
        rows = conn.execute(
            f"SELECT {_person('actor')} AS who, {sums} FROM audit "
            f"WHERE time >= :since AND time <= :until AND action IN ({actions}) "
            f"AND actor NOT IN ({system}) GROUP BY who",
            params,
        )
        for who, *counts in rows:
            found.setdefault(who, {}).update(zip(_AUDIT_COUNTS, counts, strict=True))
    names = _names(conn, [who for who in found if who.startswith(_TELEGRAM)], tables)
    work = [StaffWork(names.get(who, who), **counts) for who, counts in found.items()]
    return tuple(sorted(work, key=lambda w: (-sum(w.counts), w.name.casefold(), w.name)))


def _names(conn: sqlite3.Connection, people: list[str], tables: set[str]) -> dict[str, str]:
    """Telegram staff members (`telegram:77`) as the audit log names them in the staff
    chat's triage ("Ann Lee (telegram:77)"): by the latest name their replies or triage
    recorded; by id alone when neither did."""
    if not people:
        return {}
    said = []
    if "handoff_replies" in tables:
        said.append(
            "SELECT time, actor AS who, actor_name AS name FROM handoff_replies "
            "WHERE actor IN (SELECT value FROM json_each(:people)) AND actor_name IS NOT NULL"
        )
    if "audit" in tables:
        said.append(
            f"SELECT time, {_person('actor')} AS who, "
            f"substr(actor, 1, instr(actor, ' ({_TELEGRAM}') - 1) AS name FROM audit "
            f"WHERE actor LIKE '% ({_TELEGRAM}%)' "
            f"AND {_person('actor')} IN (SELECT value FROM json_each(:people))"
        )
    rows = conn.execute(
        # the latest name each: SQLite takes the bare columns from the max(time) row
        f"SELECT who, name, max(time) FROM ({' UNION ALL '.join(said)}) GROUP BY who",
        {"people": json.dumps(people)},
    )
    names = {who: f"{name} ({who})" for who, name, _time in rows if name}
    return {who: names.get(who, who) for who in people}


def total(work: tuple[StaffWork, ...]) -> StaffWork:
    """Everyone's work together."""
    return StaffWork("", *(sum(column) for column in zip(*(w.counts for w in work), strict=True)))
