"""Triage of the unanswered queue: the operations every adapter (CLI, web console) calls.

`resolve()` adds queued questions to an entry's phrasings and marks them resolved by it;
`ignore()` sets them aside; `mark_offtopic()` sets them aside and teaches the off-topic gate
to hold such questions back; `restore()` puts set-aside questions back (and unteaches the
gate). All check every id first and change nothing on error. Every adapter records what it
did in the audit log, with who did it, in the same shape: `audit_before` and the `*_audit`
helpers (the console through `Accounts.audit`, the CLI and the staff chat through
`Storage.audit_triage`), so that `how_done` can say by whom.

A question resolved or set aside already (from a stale page, another tab or the CLI) is not
resolved again: the action is refused with what was done to it (`AlreadyDoneError`), except
when it was the same action (the same entry, ignored again), which is already done.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bot import curation, offtopic
from bot.knowledge import LANGUAGE_CODES, KnowledgeBase, load_knowledge
from bot.normalize import normalize
from bot.storage import IGNORED, NEW, RESOLVED, Storage, UnknownIdError

NAMED = 5  # questions named in an AlreadyDoneError; the others counted


class TriageError(Exception):
    """The questions cannot be resolved or ignored as asked; nothing changed."""


class AlreadyDoneError(TriageError):
    """Some of the questions were resolved or set aside already, otherwise than asked now
    (from a stale page, another tab or the CLI); nothing changed."""


@dataclass(frozen=True)
class Resolved:
    """What `resolve` did."""

    entry_id: str
    file: str  # the topic file written, relative to the knowledge folder
    ids: tuple[int, ...]  # the questions given
    added: tuple[tuple[str | None, str], ...]  # (translation language or None, text)
    skipped: tuple[str, ...]  # already among the entry's phrasings
    changed: int  # queued questions marked resolved, repeats of the same wording included
    waiting: int  # askers waiting to be told the answer (sent when the bot reloads)
    already: tuple[int, ...] = ()  # given questions resolved by this entry before: skipped


def audit_before(queued: Sequence[dict]) -> list[dict]:
    """The questions' ids and statuses before a triage, as its audit row records them (and
    `Storage.last_triage` reads them)."""
    return [{"id": item["id"], "status": item["status"]} for item in queued]


def items(storage: Storage, ids: Sequence[int]) -> list[dict]:
    """The queued questions `ids`, in that order; UnknownIdError names the missing ones."""
    rows = {row["id"]: row for row in storage.list_unanswered(status=None, ids=ids)}
    unknown = [i for i in dict.fromkeys(ids) if i not in rows]
    if unknown:
        raise UnknownIdError("unanswered", unknown)
    return [rows[i] for i in dict.fromkeys(ids)]


def _title(entry_id: str, kb: KnowledgeBase | None) -> str:
    entry = kb.by_id.get(entry_id) if kb is not None else None
    return f"“{entry.question}” ({entry_id})" if entry is not None else entry_id


IGNORED_PLAIN, OFFTOPIC = "ignored", "offtopic"
_ACTIONS = {
    "unanswered.attach": RESOLVED,
    "unanswered.ignore": IGNORED_PLAIN,
    "unanswered.offtopic": OFFTOPIC,
}


@dataclass(frozen=True)
class Done:
    """How a question that is no longer new was set aside or resolved: `what` (RESOLVED,
    IGNORED_PLAIN or OFFTOPIC) and who did it (`by`), where known."""

    what: str
    by: str | None = None


def fate(item: dict, kb: KnowledgeBase | None = None, how: Done | None = None) -> str:
    """What was done to a queued question that is no longer new, in plain words: what
    `how_done` found, else what its status says."""
    if item["status"] == RESOLVED:
        entry_id = item.get("resolved_entry_id")
        said = f"added to {_title(entry_id, kb)}" if entry_id else "resolved"
    elif how is None or how.what not in (IGNORED_PLAIN, OFFTOPIC):
        said = "set aside (ignored or off-topic)"
    else:
        said = "ignored" if how.what == IGNORED_PLAIN else "marked off-topic"
    return f"{said} by {how.by}" if how is not None and how.by else said


def how_done(
    storage: Storage, queued: Sequence[dict], examples: set[str] | None = None
) -> dict[int, Done]:
    """How each of the questions of `queued` that is no longer new came to be so: the last
    console action on it, from the audit log (`Storage.last_triage`), when that is what its
    status shows; else, for one set aside, whether its wording is one of the off-topic
    `examples` (normalised; None: unknown). Ignored and marked off-topic are one status in
    the queue, so without the audit log that is the only sign."""
    done = [item for item in queued if item["status"] != NEW]
    if not done:
        return {}
    last = storage.last_triage([item["id"] for item in done])
    found = {}
    for item in done:
        action = last.get(item["id"], {})
        what = _ACTIONS.get(action.get("action", ""))
        if (what == RESOLVED) == (item["status"] == RESOLVED) and what is not None:
            found[item["id"]] = Done(what, action.get("actor"))
        elif item["status"] == RESOLVED:
            found[item["id"]] = Done(RESOLVED)
        elif examples is not None:
            example = normalize(item["question"]) in examples
            found[item["id"]] = Done(OFFTOPIC if example else IGNORED_PLAIN)
    return found


Explain = Callable[[Sequence[dict]], Mapping[int, Done]]


def still_new(
    queued: Sequence[dict],
    kb: KnowledgeBase | None,
    same: Callable[[dict], bool],
    explain: Explain | None = None,
) -> list[dict]:
    """The questions of `queued` still new. Those resolved or set aside already count as done
    when `same(item)` says it was the action asked now; any other raises AlreadyDoneError
    saying what was done to each (and by whom: `explain(those)`, e.g. `how_done`, asked
    only then)."""
    others = [item for item in queued if item["status"] != NEW and not same(item)]
    if others:
        how = explain(others) if explain is not None else {}
        said = [
            f"question #{item['id']} was {fate(item, kb, how.get(item['id']))}"
            for item in others[:NAMED]
        ]
        if len(others) > NAMED:
            said.append(f"and {len(others) - NAMED} more")
        raise AlreadyDoneError(
            "Already done, on another page or by someone else: " + "; ".join(said)
        )
    return [item for item in queued if item["status"] == NEW]


def resolve(
    storage: Storage, kb_dir: Path, kb_language: str, ids: Sequence[int], entry_id: str
) -> Resolved:
    """Add the questions `ids` to the phrasings of entry `entry_id` (see
    `curation.add_alternates`) and mark them, and other asks of the same wording, resolved.

    Questions resolved by this entry already are skipped (`Resolved.already`). Raises
    UnknownIdError for unknown ids, KnowledgeError for a broken knowledge base, TriageError
    for an unknown or unfinished entry and AlreadyDoneError for a question resolved by
    another entry or set aside; nothing is written then.
    """
    queued = items(storage, ids)
    kb = load_knowledge(kb_dir, kb_language)
    waiting = still_new(
        queued,
        kb,
        lambda item: item["status"] == RESOLVED and item["resolved_entry_id"] == entry_id,
        partial(how_done, storage),
    )
    already = tuple(item["id"] for item in queued if item["status"] != NEW)
    questions = [item["question"] for item in waiting]
    languages = [item["language"] for item in waiting]
    try:
        plan = curation.plan_alternates(kb, entry_id, questions, languages)
        if not waiting:
            return Resolved(entry_id, plan.file, (), (), (), 0, 0, already)
        if curation.is_unfinished(plan.entry):
            raise curation.CurationError(
                f"entry {entry_id!r} is not finished ({'; '.join(plan.entry.draft_marks)} "
                f"in {plan.entry.source}): complete it first, or askers would be sent a draft"
            )
        curation.add_alternates(
            kb_dir, entry_id, questions, languages=languages, kb_language=kb.language
        )
    except curation.CurationError as exc:
        raise TriageError(str(exc)) from exc
    given = tuple(item["id"] for item in waiting)
    changed = storage.set_unanswered_status(given, RESOLVED, entry_id, if_new=True)
    told = storage.pending_notifications([entry_id])
    return Resolved(
        entry_id, plan.file, given, plan.added, plan.skipped, changed, len(told), already
    )


def resolved_audit(done: Resolved) -> dict:
    """What an audit row of `resolve` ("unanswered.attach", target the entry) records after."""
    return {
        "status": RESOLVED,
        "entry": done.entry_id,
        "file": done.file,
        "phrasings_added": len(done.added),
        "changed": done.changed,
    }


def ignored_audit(changed: int) -> dict:
    """What an audit row of `ignore` ("unanswered.ignore", target the ids) records after."""
    return {"status": IGNORED, "changed": changed}


def ignore(storage: Storage, ids: Sequence[int], kb: KnowledgeBase | None = None) -> int:
    """Mark the questions `ids`, and other asks of the same wording still new, ignored;
    returns how many changed (0: all were ignored already). Raises UnknownIdError, and
    AlreadyDoneError for a question resolved meanwhile (named by its entry in `kb`),
    changing nothing."""
    queued = items(storage, ids)
    waiting = still_new(
        queued, kb, lambda item: item["status"] == IGNORED, partial(how_done, storage)
    )
    if not waiting:
        return 0
    return storage.set_unanswered_status([item["id"] for item in waiting], IGNORED, if_new=True)


@dataclass(frozen=True)
class OffTopic:
    """What `mark_offtopic` did."""

    added: tuple[tuple[str, str], ...]  # (language, text) added to offtopic.yaml
    skipped: tuple[str, ...]  # already off-topic examples
    changed: int  # queued questions marked ignored, repeats of the same wording included


def offtopic_audit(done: OffTopic) -> dict:
    """What an audit row of `mark_offtopic` ("unanswered.offtopic", target offtopic.yaml)
    records after."""
    return {
        "status": IGNORED,
        "offtopic_examples_added": [text for _lang, text in done.added],
        "changed": done.changed,
    }


def _logged(language: str, kb: KnowledgeBase) -> str:
    """A logged language as an example's: the knowledge base's when it is no language code."""
    return language if language in LANGUAGE_CODES else kb.language


def mark_offtopic(storage: Storage, kb_dir: Path, kb_language: str, ids: Sequence[int]) -> OffTopic:
    """Add the questions `ids` to the knowledge base's off-topic examples (offtopic.py: once
    the bot reloads, the gate holds such questions back instead of answering them with the
    nearest entry) and mark them, and other asks of the same wording, ignored.

    Raises UnknownIdError for unknown ids, KnowledgeError for a broken knowledge base,
    TriageError for a question that is one of an entry's phrasings and AlreadyDoneError for
    one resolved or ignored (not marked off-topic: `how_done`) meanwhile, saying what was
    done to it and by whom; nothing is written then. Questions already marked off-topic are
    done: all of them, and nothing changes.
    """
    kb = load_knowledge(kb_dir, kb_language)
    examples_now = {normalize(p.text) for p in offtopic.load_offtopic(kb_dir, LANGUAGE_CODES)}
    given = items(storage, ids)
    how = how_done(storage, given, examples_now)  # ignored or off-topic: the same status
    queued = still_new(
        given,
        kb,
        lambda item: item["id"] in how and how[item["id"]].what == OFFTOPIC,
        lambda _: how,
    )
    if not queued:
        return OffTopic((), (), 0)
    examples = [
        (curation.asked_language(item["question"], _logged(item["language"], kb)), item["question"])
        for item in queued
    ]
    try:
        added, skipped = offtopic.add_examples(kb_dir, examples, kb)
    except offtopic.OffTopicError as exc:
        raise TriageError(str(exc)) from exc
    changed = storage.set_unanswered_status(
        tuple(item["id"] for item in queued), IGNORED, if_new=True
    )
    return OffTopic(tuple(added), tuple(skipped), changed)


@dataclass(frozen=True)
class Restored:
    """What `restore` did."""

    changed: int  # ignored questions back in the queue, repeats of the same wording included
    removed: tuple[tuple[str, str], ...]  # (language, text) taken out of offtopic.yaml


class ChangedSinceError(TriageError):
    """An Undo offered after an Ignore or Off-topic no longer fits: the questions were put
    back and set aside again otherwise since; nothing changed."""


UNDOABLE = ("ignore", "offtopic")


def _changed_since(queued: list[dict], kb_dir: Path, unlearn: set[int], undoing: str) -> bool:
    """Whether the set-aside questions of an Undo of `undoing` were set aside otherwise
    since: marked off-topic after an Ignore, or ignored again after an Off-topic whose
    examples were taken out."""
    examples = {normalize(p.text) for p in offtopic.load_offtopic(kb_dir, LANGUAGE_CODES)}
    for item in queued:
        if item["status"] != IGNORED:
            continue
        example = normalize(item["question"]) in examples
        if example if undoing == "ignore" else item["id"] in unlearn and not example:
            return True
    return False


def restore(
    storage: Storage,
    kb_dir: Path,
    ids: Sequence[int],
    unlearn: Sequence[int] = (),
    *,
    undoing: str | None = None,
) -> Restored:
    """Put the ignored questions `ids` (and the ignored asks of their wordings) back in the
    queue, undoing `ignore` or `mark_offtopic`; the off-topic examples that are the
    wordings of `unlearn` (those `mark_offtopic` added) are taken out of offtopic.yaml, so
    that once the bot reloads the gate no longer holds such questions back.

    `undoing` ("ignore" or "offtopic"): this is the Undo offered right after that action,
    which undoes only it: ChangedSinceError when the questions were put back and set aside
    otherwise since (its example would stay in offtopic.yaml). Raises UnknownIdError for
    unknown ids; nothing changes on error.
    """
    queued = items(storage, [*ids, *unlearn])
    if undoing is not None and _changed_since(queued, kb_dir, set(unlearn), undoing):
        raise ChangedSinceError(
            "these questions were put back and set aside again since this Undo was offered"
        )
    texts = [item["question"] for item in queued if item["id"] in set(unlearn)]
    removed = offtopic.remove_examples(kb_dir, texts) if texts else []
    changed = storage.restore_ignored([*ids, *unlearn])
    return Restored(changed, tuple(removed))
