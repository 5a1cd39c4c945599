"""Chosen suggestions: what users picked from a "did you mean" list, or the entry ranked next
to their answer that they opened from its "See also" (Answer.nearest), as evidence that
their question means that entry. Staff review them grouped by entry (`choice_groups`) and accept
them as the entry's alternates in bulk (`accept_choices`), through the one topic-file editor
(`curation.add_alternates`): validated first, comments and layout kept; or set aside those
that do not mean it (`dismiss_choices`: a user may open an entry out of curiosity).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot import curation
from bot.knowledge import load_knowledge
from bot.messages import noun
from bot.normalize import normalize
from bot.storage import IGNORED, NEW, SUGGESTION, Storage


class ChoiceError(Exception):
    """Choices that cannot be accepted as asked (unknown ids, nothing to accept)."""


@dataclass(frozen=True)
class ChoiceGroup:
    """The chosen suggestions of one entry: their ids and each distinct wording with its
    count, its choices' ids and where it was chosen."""

    entry_id: str
    ids: tuple[int, ...]
    wordings: tuple[tuple[str, str, int], ...]  # (language, question, times chosen)
    wording_ids: tuple[tuple[int, ...], ...]  # each wording's choice ids, in that order
    # Each wording's sources (storage CHOICE_SOURCES: a "did you mean" list, "See also"),
    # in that order; empty for choices logged before sources were recorded.
    wording_sources: tuple[tuple[str, ...], ...]

    @property
    def count(self) -> int:
        return len(self.ids)

    def to_json(self) -> dict:
        return {
            "entry_id": self.entry_id,
            "count": self.count,
            "ids": list(self.ids),
            "wordings": [
                {"language": lang, "question": question, "count": n, "sources": list(sources)}
                for (lang, question, n), sources in zip(
                    self.wordings, self.wording_sources, strict=True
                )
            ],
        }


@dataclass(frozen=True)
class Accepted:
    """What `accept_choices` did for one entry."""

    entry_id: str
    file: str
    added: int
    skipped: int
    ids: tuple[int, ...]
    # With `entry_id`: its waiting choices not taken, as never picked from "did you mean".
    left_out: tuple[int, ...] = ()


def group_choices(rows: Iterable[dict]) -> list[ChoiceGroup]:
    """Choices grouped by entry, the most chosen entry first (then by entry id). Each
    wording's language is the one it is written in where the log holds the one its asker
    was answered in (`curation.asked_language`: Vietnamese, not English)."""
    by_entry: dict[str, list[dict]] = {}
    for row in rows:
        row = {**row, "language": curation.asked_language(row["question"], row["language"])}
        by_entry.setdefault(row["entry_id"], []).append(row)
    groups = []
    for entry_id, items in by_entry.items():
        counts = Counter((r["language"], r["question"]) for r in items)
        wordings = tuple((lang, q, n) for (lang, q), n in counts.most_common())
        ids: dict[tuple[str, str], list[int]] = {}
        sources: dict[tuple[str, str], set[str]] = {}
        for r in items:
            ids.setdefault((r["language"], r["question"]), []).append(r["id"])
            if r.get("source"):
                sources.setdefault((r["language"], r["question"]), set()).add(r["source"])
        groups.append(
            ChoiceGroup(
                entry_id,
                tuple(r["id"] for r in items),
                wordings,
                tuple(tuple(ids[(lang, q)]) for lang, q, _ in wordings),
                tuple(tuple(sorted(sources.get((lang, q), ()))) for lang, q, _ in wordings),
            )
        )
    return sorted(groups, key=lambda g: (-g.count, g.entry_id))


def choice_groups(storage: Storage, since: datetime | None = None) -> list[ChoiceGroup]:
    """The chosen suggestions not accepted yet, grouped by entry."""
    return group_choices(storage.list_choices(since=since, status=NEW))


def _selected(storage: Storage, ids: Sequence[int], entry_id: str | None) -> list[dict]:
    if entry_id is not None:
        rows = storage.list_choices(entry_id=entry_id, status=NEW)
        if not rows:
            raise ChoiceError(f"no chosen suggestions waiting for entry {entry_id!r}")
        return rows
    rows = storage.list_choices(ids=ids, status=None)
    unknown = sorted(set(ids) - {r["id"] for r in rows})
    if unknown:
        listed = ", ".join(map(str, unknown))
        raise ChoiceError(f"unknown choice {noun(len(unknown), 'id')}: {listed}")
    return [r for r in rows if r["status"] == NEW]


def picked_from_did_you_mean(rows: Iterable[dict]) -> tuple[list[dict], list[dict]]:
    """The choices whose wording users picked from a "did you mean" list at least once
    (evidence that it means the entry: the console's Chosen page ticks these), and the
    others: opened from "See also" only (maybe curiosity), or logged before sources were
    recorded. Staff accept those one by one, by id, after reading them."""
    rows = list(rows)

    def wording(row: dict) -> tuple[str, str]:
        return curation.asked_language(row["question"], row["language"]), row["question"]

    picked = {wording(r) for r in rows if r.get("source") == SUGGESTION}
    return [r for r in rows if wording(r) in picked], [r for r in rows if wording(r) not in picked]


def dismiss_choices(
    storage: Storage, *, ids: Sequence[int] = (), entry_id: str | None = None
) -> tuple[int, ...]:
    """Set aside the choices `ids` (or all waiting for `entry_id`): they leave the review
    list and never become alternates. Returns the ids that were waiting and are set aside
    now; raises ChoiceError for unknown ids or an entry with nothing waiting, changing
    nothing."""
    if not ids and entry_id is None:
        raise ChoiceError("give choice ids or an entry")
    waiting = tuple(row["id"] for row in _selected(storage, ids, entry_id))
    storage.set_choices_ignored(waiting)
    return waiting


def audit_before(rows: Iterable[dict]) -> list[dict]:
    """The choices' ids, entries and statuses before they are accepted or set aside, as the
    audit row of either (`choices.accept`, `choices.dismiss`) records them."""
    return [{"id": r["id"], "entry": r["entry_id"], "status": r["status"]} for r in rows]


def accepted_audit(done: Sequence[Accepted]) -> tuple[str, list[dict]]:
    """What an audit row of `accept_choices` ("choices.accept") records: its target (the
    entries' ids) and, after, each entry's file and how many wordings were added to it."""
    after = [
        {"entry": a.entry_id, "file": a.file, "added": a.added, "already_there": a.skipped}
        for a in done
    ]
    return " ".join(a.entry_id for a in done), after


def dismissed_audit(before: Sequence[dict], done: Sequence[int]) -> tuple[str, dict]:
    """What an audit row of `dismiss_choices` ("choices.dismiss") records: its target (the
    entries of the choices set aside, from `audit_before`) and, after, their ids."""
    target = " ".join(sorted({row["entry"] for row in before if row["id"] in done}))
    return target, {"status": IGNORED, "ids": list(done)}


def _one_entry_each(plans: dict[str, curation.AlternatesPlan]) -> None:
    """ChoiceError when one wording would be added to two entries at once (users chose both
    for it): staff decide which it means."""
    owners: dict[str, str] = {}
    for entry_id, plan in plans.items():
        for _lang, text in plan.added:
            other = owners.setdefault(normalize(text), entry_id)
            if other != entry_id:
                raise ChoiceError(
                    f"{text!r} was chosen for both {other} and {entry_id}: accept it for the "
                    "one it means and set the other aside"
                )


def _none_picked(count: int, entry_id: str) -> str:
    """Why `--all-for` accepted nothing: the `count` choices waiting were not picked from a
    "did you mean" list."""
    why = (
        'opened from "See also" (or chosen before the bot recorded where), which does not '
        "show that the question means the entry."
    )
    if count == 1:
        return (
            f"the one choice waiting for entry {entry_id!r} was not picked from a "
            f'"did you mean" list: it was {why} Read it with `unanswered choices` and '
            "accept it by id if it means the entry"
        )
    return (
        f"none of the {count} choices waiting for entry {entry_id!r} was picked from a "
        f'"did you mean" list: they were {why} Read them with `unanswered choices` and '
        "accept the ones that mean it by id"
    )


def accept_choices(
    storage: Storage,
    kb_dir: Path,
    *,
    ids: Sequence[int] = (),
    entry_id: str | None = None,
    kb_language: str = "en",
) -> list[Accepted]:
    """Add the wordings of the choices `ids` (or those waiting for `entry_id` that users
    picked from a "did you mean" list: `picked_from_did_you_mean`; the others are left
    waiting, in `Accepted.left_out`) to their entries' phrasings, each in its language (see
    `curation.add_alternates`), then mark them accepted. Every entry is checked before
    anything is written: a wording that is another entry's phrasing already raises
    `curation.CurationError`, one chosen for two of these entries ChoiceError, writing
    nothing; an entry whose file would not validate raises `curation.CurationError` with
    nothing written for it."""
    if not ids and entry_id is None:
        raise ChoiceError("give choice ids or an entry")
    selected, left_out = _selected(storage, ids, entry_id), list[dict]()
    if entry_id is not None:
        selected, left_out = picked_from_did_you_mean(selected)
        if not selected:
            raise ChoiceError(_none_picked(len(left_out), entry_id))
    groups = group_choices(selected)
    kb = load_knowledge(kb_dir, kb_language)
    plans = {
        group.entry_id: curation.plan_alternates(
            kb,
            group.entry_id,
            [q for _, q, _ in group.wordings],
            [lang for lang, _, _ in group.wordings],
        )
        for group in groups
    }
    _one_entry_each(plans)
    done: list[Accepted] = []
    for group in groups:
        plan = plans[group.entry_id]
        try:
            curation.add_alternates(
                kb_dir,
                group.entry_id,
                [q for _, q, _ in group.wordings],
                languages=[lang for lang, _, _ in group.wordings],
                kb_language=kb_language,
            )
        except curation.CurationError as exc:
            if done:
                updated = ", ".join(a.entry_id for a in done)
                raise curation.CurationError(
                    f"{exc}\n(entries {updated} were updated and their choices accepted first)"
                ) from exc
            raise
        storage.set_choices_accepted(group.ids)
        done.append(
            Accepted(
                group.entry_id,
                plan.file,
                len(plan.added),
                len(plan.skipped),
                group.ids,
                tuple(r["id"] for r in left_out if r["entry_id"] == group.entry_id),
            )
        )
    return done
