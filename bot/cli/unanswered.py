"""`python -m bot unanswered ...`: the staff's curation loop over unanswered questions.

List the queue, see which questions many people asked (in any language), then either add
them to an existing entry (`resolve`, after which /reload tells the askers the answer),
draft a new entry (`new-entry`), set them aside (`ignore`), or set them aside and teach the
bot to hold such questions back (`offtopic`); `restore` puts set-aside ones back.
Suggestions users chose from a "did you mean" list, and the entries ranked next to an
answer that users opened from its "See also", are reviewed with `choices`, added as
alternates with `accept-choices` and set aside with `dismiss-choices` (or all three on the
staff console's "Chosen by users" page).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click

from bot import choices as chosen
from bot import curation, entry_edit, kbedit, triage
from bot.cli.common import (
    AS_OPTION,
    KB_OPTION,
    SINCE_HELP,
    Since,
    cli_actor,
    open_storage,
    problems_message,
)
from bot.cli.terminal import json_line, shown, shown_lines
from bot.config import Config
from bot.entry_history import EntryHistory
from bot.knowledge import KnowledgeError
from bot.messages import counted, noun
from bot.offtopic import FILE as OFFTOPIC_FILE
from bot.storage import (
    IGNORED,
    NEW,
    NONE_OF_THESE,
    RESOLVED,
    SEE_ALSO,
    SUGGESTION,
    UNANSWERED_STATUSES,
    Storage,
    UnknownIdError,
)

QUESTION_WIDTH = 70
SOURCE_LABELS = {SUGGESTION: "did you mean", SEE_ALSO: "See also"}  # where a choice was made


SINCE_OPTION = click.option(
    "--since",
    type=Since(),
    help=f"Only questions asked since then: {SINCE_HELP}.",
)
LANG_OPTION = click.option(
    "--lang",
    help="Only questions in this language (answered or written in it), e.g. ru or vi.",
)
STATUS_OPTION = click.option(
    "--status",
    type=click.Choice([*UNANSWERED_STATUSES, "all"]),
    default="new",
    show_default=True,
    help="Only questions with this status (all: any status).",
)
JSON_OPTION = click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per line instead of a table."
)
IDS_ARGUMENT = click.argument("ids", nargs=-1, type=int, required=True)


@click.group()
def unanswered() -> None:
    """Review unanswered questions and turn them into knowledge-base entries."""


@contextmanager
def _storage(config: Config) -> Iterator[Storage]:
    storage = open_storage(config)
    if storage is None:
        raise click.ClickException(
            f"no database yet at {config.storage.database}: the bot has not logged anything"
        )
    with storage:
        yield storage


def _query(
    storage: Storage,
    since: datetime | None,
    lang: str | None,
    status: str,
    limit: int | None = None,
) -> list[dict]:
    return storage.list_unanswered(
        since=since, language=lang, limit=limit, status=None if status == "all" else status
    )


def _items(storage: Storage, ids: tuple[int, ...]) -> list[dict]:
    """The queued questions `ids`, in that order, or a clear error naming the unknown ones."""
    rows = {row["id"]: row for row in storage.list_unanswered(status=None, ids=ids)}
    unknown = [str(i) for i in dict.fromkeys(ids) if i not in rows]
    if unknown:
        raise click.ClickException(
            f"unknown unanswered question {noun(len(unknown), 'id')}: {', '.join(unknown)}; "
            "nothing changed (see `unanswered list --status all`)"
        )
    return [rows[i] for i in dict.fromkeys(ids)]


def _cut(text: str, width: int = QUESTION_WIDTH) -> str:
    """A user's question on one line of the staff terminal: controls shown escaped."""
    text = shown(" ".join(text.split()))
    return text if len(text) <= width else text[: width - 1] + "…"


def _marked(row: dict) -> str:
    """A queued question on one line, marked when it is not a plain unanswered one."""
    if row.get("kind") == NONE_OF_THESE:
        return "[none of these] " + _cut(row["question"], QUESTION_WIDTH - 16)
    return _cut(row["question"])


def _ids(ids: tuple[int, ...] | list[int]) -> str:
    return " ".join(map(str, sorted(ids)))


def _these(ids: tuple[int, ...] | list[int]) -> str:
    """The questions `ids` as the subject of a sentence: "Question 12 was", "Questions 12
    15 were"."""
    if len(set(ids)) == 1:
        return f"Question {_ids(ids)} was"
    return f"Questions {_ids(ids)} were"


@unanswered.command("list")
@SINCE_OPTION
@LANG_OPTION
@STATUS_OPTION
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many questions.")
@JSON_OPTION
@click.pass_obj
def list_(
    config: Config,
    since: datetime | None,
    lang: str | None,
    status: str,
    limit: int | None,
    as_json: bool,
) -> None:
    """List queued questions, oldest first; times are UTC; lang is the language a question
    is written in (JSON: `language`, the one it was answered in). A question whose asker
    said "none of these" to a "did you mean" list is marked [none of these] (JSON: its
    `kind`). A short follow-up that the bot read with the question asked before it ("how
    much?" after a trademark question) shows that question on the line below, after
    "after:" (JSON: `asked_after`).

    Example: python -m bot unanswered list --since 7d --lang ru
    """
    with _storage(config) as storage:
        rows = _query(storage, since, lang, status, limit)
    if as_json:
        for row in rows:
            click.echo(json_line(row))
        return
    if not rows:
        click.echo("No unanswered questions match.")
        return
    click.echo(f"{'id':>6}  {'time (UTC)':<16}  {'lang':<4}  {'status':<8}  question")
    for row in rows:
        when = row["time"][:16].replace("T", " ")
        # the language it is written in: Vietnamese answered in English shows as vi
        lang = curation.asked_language(row["question"], row["language"])
        click.echo(f"{row['id']:>6}  {when:<16}  {lang:<4}  {row['status']:<8}  {_marked(row)}")
        _echo_after(row.get("asked_after"), 42)  # under the question column
    click.echo(counted(len(rows), "question"))


def _echo_after(after: str | None, indent: int) -> None:
    """Below a follow-up, indented by `indent`: the question it was asked after."""
    if after:
        click.echo(f"{'':>{indent}}after: {_cut(after, QUESTION_WIDTH - 7)}")


def _encoder():
    from bot.encoder import Encoder

    return Encoder()


@unanswered.command("clusters")
@SINCE_OPTION
@LANG_OPTION
@STATUS_OPTION
@click.option(
    "--threshold",
    type=click.FloatRange(-1, 1),
    default=curation.DEFAULT_THRESHOLD,
    show_default=True,
    help="Mean cosine similarity two groups need to merge: higher gives smaller, purer clusters.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Show only the biggest N clusters.")
@JSON_OPTION
@click.pass_obj
def clusters(
    config: Config,
    since: datetime | None,
    lang: str | None,
    status: str,
    threshold: float,
    limit: int | None,
    as_json: bool,
) -> None:
    """Group questions that mean the same thing, in any language; biggest first. A short
    follow-up that the bot read with the question asked before it ("how much?" after a
    trademark question) shows that question on the line below, after "after:" (JSON: each
    question's `asked_after`), as in `unanswered list`.

    Example: python -m bot unanswered clusters --since 30d
    """
    with _storage(config) as storage:
        rows = _query(storage, since, lang, status)
    if not rows:
        click.echo("No unanswered questions match.")
        return
    click.echo(f"Grouping {counted(len(rows), 'question')}...", err=True)
    try:
        found = curation.clusters(rows, _encoder(), threshold)[:limit]
    except curation.CurationError as exc:
        raise click.ClickException(shown_lines(str(exc))) from exc
    afters = {row["id"]: row.get("asked_after") or None for row in rows}
    for n, cluster in enumerate(found, 1):
        if as_json:
            click.echo(
                json_line(
                    {
                        "summary": cluster.summary,
                        "representative": cluster.representative,
                        "representative_id": cluster.representative_id,
                        "people": len(cluster.users),
                        "languages": cluster.languages,
                        "ids": sorted(cluster.ids),
                        "questions": [
                            {"id": i, "language": lang, "question": q, "asked_after": afters[i]}
                            for i, lang, q in zip(
                                cluster.ids, cluster.item_languages, cluster.questions, strict=True
                            )
                        ],
                    }
                )
            )
            continue
        langs = ", ".join(f"{code} {count}" for code, count in cluster.languages.items())
        click.echo(f"{n}. {cluster.counts} asked about: {_cut(cluster.representative)}")
        _echo_after(afters[cluster.representative_id], 3)
        click.echo(f"   ids: {_ids(cluster.ids)}   ({langs})")
        for qid, question in zip(cluster.ids[1:4], cluster.questions[1:4], strict=True):
            click.echo(f"   - {_cut(question, QUESTION_WIDTH - 5)}")
            _echo_after(afters[qid], 5)
        if len(cluster.questions) > 4:
            click.echo(f"   ... and {len(cluster.questions) - 4} more")
    if not as_json:
        click.echo(
            "\nNext: `unanswered resolve IDS --entry ENTRY_ID` to add them to an entry, "
            "`unanswered new-entry IDS` to draft one, or `unanswered ignore IDS`."
        )


@unanswered.command()
@IDS_ARGUMENT
@click.option(
    "--entry",
    "entry_id",
    required=True,
    help="Id of the knowledge-base entry that answers these questions.",
)
@KB_OPTION
@AS_OPTION
@click.pass_obj
def resolve(
    config: Config, ids: tuple[int, ...], entry_id: str, kb_dir: Path | None, actor: str | None
) -> None:
    """Add the questions IDS to the phrasings of an entry and mark them resolved by it,
    with every other ask of the same wording still new.

    The topic file keeps its comments and layout and is written only if the knowledge base
    still validates. Askers waiting for an answer get it when the bot next reloads. A
    question resolved by another entry or set aside already (in the console, say) is
    refused, saying what was done to it (and by whom); one resolved by this entry already is
    skipped. What was done is recorded in the audit log as done by you (--as).

    Example: python -m bot unanswered resolve 12 15 31 --entry bank-account
    """
    folder = Path(kb_dir or config.knowledge.dir)
    with _storage(config) as storage:
        before = triage.audit_before(_items(storage, ids))
        try:
            done = triage.resolve(storage, folder, config.knowledge.language, ids, entry_id)
        except KnowledgeError as exc:
            raise click.ClickException(shown_lines(problems_message(exc))) from exc
        except triage.TriageError as exc:
            raise click.ClickException(shown_lines(f"{exc}\nNothing changed.")) from exc
        if done.ids:
            after = triage.resolved_audit(done)
            storage.audit_triage(cli_actor(actor), "unanswered.attach", entry_id, before, after)
    if done.already:
        click.echo(
            f"{_these(list(done.already))} already added to entry {entry_id}"
            + ("; nothing changed." if not done.ids else ".")
        )
    if not done.ids:
        return
    translated = sum(1 for lang, _ in done.added if lang)
    note = f" ({translated} under their curated translation)" if translated else ""
    click.echo(
        f"Added {counted(len(done.added), 'question')} to entry {entry_id} in {done.file}{note}; "
        f"{len(done.skipped)} already there."
    )
    click.echo(
        f"Marked {counted(len(done.ids), 'question')} resolved by {entry_id}: "
        f"{_ids(list(done.ids))}{_repeats(done.changed - len(done.ids))}."
    )
    waiting = done.waiting
    askers = f" and sends the answer to {counted(waiting, 'waiting asker')}" if waiting else ""
    click.echo(f"Now send /reload to the bot so that it serves the new phrasings{askers}.")


@unanswered.command("new-entry")
@IDS_ARGUMENT
@click.option(
    "--topic",
    help="Topic the entry belongs to (a topic file's name without "
    ".yaml, e.g. company); only shown in the draft's hint.",
)
@click.option(
    "--append-to",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Append the draft to this topic file (e.g. knowledge/company.yaml) instead "
    "of printing it; written only if the knowledge base still validates.",
)
@KB_OPTION
@AS_OPTION
@click.pass_obj
def new_entry(
    config: Config,
    ids: tuple[int, ...],
    topic: str | None,
    append_to: Path | None,
    kb_dir: Path | None,
    actor: str | None,
) -> None:
    """Draft a new entry from the questions IDS, for staff to complete.

    The draft has an id, the most central question (in the knowledge base's language when
    one was asked in it), the others as alternates, and TODO answer and tags. A draft
    appended to a topic file is the entry's first version in its history (the console's
    History page), as written by you (--as).

    Example: python -m bot unanswered new-entry 12 15 31 --append-to knowledge/company.yaml
    """
    folder = Path(kb_dir or config.knowledge.dir)
    if append_to is not None and topic is not None and append_to.stem != topic:
        raise click.UsageError(f"--topic {topic} and --append-to {append_to} disagree")
    with _storage(config) as storage:
        items = _items(storage, ids)
    cluster = curation.cluster_of(items, _encoder())
    language = config.knowledge.language
    if append_to is None:
        topic_file = folder / f"{topic or 'TOPIC'}.yaml"
        click.echo(f"# Paste under `entries:` in {topic_file}, or rerun with --append-to.")
        scaffold = curation.new_entry_scaffold(cluster, topic_file, kb_language=language)
        # YAML keeps bidi overrides raw: on the terminal they are shown as escapes instead.
        click.echo(shown_lines(scaffold), nl=False)
        return
    try:
        new_id = curation.append_scaffold(cluster, append_to, kb_language=language)
    except curation.CurationError as exc:
        raise click.ClickException(shown_lines(str(exc))) from exc
    _record_new(config, append_to, new_id, cli_actor(actor))
    click.echo(f"Appended draft entry {new_id} to {append_to}, marked # TODO.")
    click.echo(
        "Write its answer, tags and links and delete the TODO lines before the bot "
        f"reloads; then: python -m bot unanswered resolve {_ids(ids)} --entry {new_id}"
    )


def _record_new(config: Config, topic_file: Path, entry_id: str, actor: str) -> None:
    """The new entry's first version in the entry history (the console's History page),
    written by `actor`."""
    text = kbedit.TopicFile.open(topic_file).entry_text(entry_id)
    with _storage(config) as storage:
        history = EntryHistory(storage.path)
        try:
            history.record(entry_id, topic_file.name, actor, entry_edit.NEW, "", text)
        finally:
            history.close()


@unanswered.command()
@IDS_ARGUMENT
@AS_OPTION
@click.pass_obj
def ignore(config: Config, ids: tuple[int, ...], actor: str | None) -> None:
    """Mark the questions IDS ignored, with every other ask of the same wording still new:
    they leave the queue, and the same wording asked again is logged as ignored. Recorded
    in the audit log as done by you (--as).

    Example: python -m bot unanswered ignore 14 22
    """
    with _storage(config) as storage:
        before = triage.audit_before(storage.list_unanswered(status=None, ids=ids))
        try:
            count = triage.ignore(storage, ids)
        except UnknownIdError as exc:
            raise click.ClickException(shown_lines(f"{exc}; nothing changed")) from exc
        except triage.TriageError as exc:
            raise click.ClickException(shown_lines(f"{exc}\nNothing changed.")) from exc
        if count:
            target = " ".join(map(str, ids))
            after = triage.ignored_audit(count)
            storage.audit_triage(cli_actor(actor), "unanswered.ignore", target, before, after)
    if not count:
        click.echo(f"{_these(ids)} already ignored; nothing changed.")
        return
    given = len(set(ids))
    click.echo(
        f"Marked {counted(given, 'question')} ignored: {_ids(ids)}{_repeats(count - given)}."
    )
    click.echo("The same wording asked again is logged as ignored, without calling on staff.")


@unanswered.command("offtopic")
@IDS_ARGUMENT
@KB_OPTION
@AS_OPTION
@click.pass_obj
def offtopic_(config: Config, ids: tuple[int, ...], kb_dir: Path | None, actor: str | None) -> None:
    """Add the questions IDS to the off-topic examples (offtopic.yaml in the knowledge
    base) and mark them ignored, with every other ask of the same wording still new.

    For questions far outside what the centre answers (weather, health, recipes...): after
    the next /reload the bot holds such questions back for staff instead of answering them
    with the nearest entry. A question that is one of an entry's phrasings is refused.
    Recorded in the audit log as done by you (--as).

    Example: python -m bot unanswered offtopic 14 22
    """
    folder = Path(kb_dir or config.knowledge.dir)
    with _storage(config) as storage:
        before = triage.audit_before(_items(storage, ids))
        try:
            done = triage.mark_offtopic(storage, folder, config.knowledge.language, ids)
        except KnowledgeError as exc:
            raise click.ClickException(shown_lines(problems_message(exc))) from exc
        except triage.TriageError as exc:
            raise click.ClickException(shown_lines(f"{exc}\nNothing changed.")) from exc
        if done.changed or done.added:
            after = triage.offtopic_audit(done)
            storage.audit_triage(
                cli_actor(actor), "unanswered.offtopic", OFFTOPIC_FILE, before, after
            )
    if not done.changed and not done.added:
        click.echo(f"{_these(ids)} already marked off-topic; nothing changed.")
        return
    given = len(set(ids))
    click.echo(
        f"Added {counted(len(done.added), 'off-topic example')} to {folder / 'offtopic.yaml'}; "
        f"{len(done.skipped)} already there."
    )
    click.echo(
        f"Marked {counted(given, 'question')} ignored: {_ids(ids)}{_repeats(done.changed - given)}."
    )
    click.echo("Now send /reload to the bot so that it holds such questions back.")


@unanswered.command()
@IDS_ARGUMENT
@click.option(
    "--keep-example",
    is_flag=True,
    help="Keep the wordings of questions marked off-topic among the off-topic examples "
    f"({OFFTOPIC_FILE}): by default they are taken out, as on the console's Set aside page.",
)
@KB_OPTION
@AS_OPTION
@click.pass_obj
def restore(
    config: Config, ids: tuple[int, ...], keep_example: bool, kb_dir: Path | None, actor: str | None
) -> None:
    """Put the set-aside questions IDS (ignored, or marked off-topic) back in the queue, with
    every ignored ask of the same wording: the undo of `ignore` and `offtopic`, as Restore on
    the console's Set aside page. A wording that is an off-topic example is taken out of
    offtopic.yaml (unless --keep-example), so that after the next /reload the bot no longer
    holds such questions back. Their askers are not sent the answer later: their chat was
    forgotten when the question was set aside. A question resolved by an entry is refused;
    one already in the queue is left as it is. Recorded in the audit log as done by you
    (--as).

    Example: python -m bot unanswered restore 14 22
    """
    folder = Path(kb_dir or config.knowledge.dir)
    with _storage(config) as storage:
        given = _items(storage, ids)
        resolved = [item for item in given if item["status"] == RESOLVED]
        if resolved:
            said = "; ".join(f"question #{item['id']} was {triage.fate(item)}" for item in resolved)
            raise click.ClickException(
                shown_lines(
                    f"{said}: only questions set aside (ignored or off-topic) can be restored."
                    "\nNothing changed."
                )
            )
        aside = [item for item in given if item["status"] == IGNORED]
        waiting = [item["id"] for item in given if item["status"] == NEW]
        if not aside:
            click.echo(
                f"{_these(waiting)} not set aside: "
                f"{noun(len(set(waiting)), 'it is', 'they are')} in the queue already; "
                "nothing changed."
            )
            return
        restoring = [item["id"] for item in aside]
        try:
            done = triage.restore(storage, folder, restoring, () if keep_example else restoring)
        except (OSError, kbedit.EditError) as exc:
            raise click.ClickException(
                shown_lines(
                    f"{folder / OFFTOPIC_FILE} could not be written: {exc}\nNothing changed."
                )
            ) from exc
        if done.changed or done.removed:  # as the console's Restore records it
            after = {
                "status": NEW,
                "changed": done.changed,
                "offtopic_examples_removed": [text for _lang, text in done.removed],
            }
            before = triage.audit_before(aside)
            target = " ".join(map(str, restoring))
            storage.audit_triage(cli_actor(actor), "unanswered.restore", target, before, after)
    if not done.changed and not done.removed:  # restored meanwhile, elsewhere
        click.echo(f"{_these(restoring)} back in the queue already; nothing changed.")
        return
    if done.changed:
        click.echo(
            f"Put {counted(len(restoring), 'question')} back in the queue: {_ids(restoring)}"
            f"{_set_aside_repeats(done.changed - len(restoring))}."
        )
    if waiting:
        left = noun(len(set(waiting)), "it is", "they are")
        click.echo(f"{_these(waiting)} in the queue already; left as {left}.")
    if done.removed:
        click.echo(
            f"Took {counted(len(done.removed), 'off-topic example')} out of "
            f"{folder / OFFTOPIC_FILE}. "
            "Now send /reload to the bot so that it no longer holds such questions back."
        )
    if done.changed:
        click.echo("Their askers will not be sent the answer: their chat was not kept.")


def _set_aside_repeats(count: int) -> str:
    """How many other set-aside asks of the same wording a restore covered."""
    return f", and {counted(count, 'other ask')} of the same wording set aside" if count > 0 else ""


def _repeats(count: int) -> str:
    """How many other asks of the same wording a status change covered."""
    return f", and {counted(count, 'other ask')} of the same wording still new" if count > 0 else ""


@unanswered.command()
@JSON_OPTION
@click.pass_obj
def messages(config: Config, as_json: bool) -> None:
    """List the /staff messages typed in the terminal chat, oldest first; times are UTC.

    (On Telegram, /staff messages go straight to the staff chat.)

    Example: python -m bot unanswered messages
    """
    with _storage(config) as storage:
        rows = storage.staff_messages()
    if as_json:
        for row in rows:
            click.echo(json_line(row))
        return
    if not rows:
        click.echo("No /staff messages from the terminal chat.")
        return
    for row in rows:
        when = row["time"][:16].replace("T", " ")
        click.echo(f"{row['id']:>6}  {when:<16}  {row['language']:<4}  {_cut(row['text'])}")
    click.echo(counted(len(rows), "message"))


@unanswered.command("choices")
@click.option("--since", type=Since(), help=f"Only suggestions chosen since then: {SINCE_HELP}.")
@JSON_OPTION
@click.pass_obj
def choices_(config: Config, since: datetime | None, as_json: bool) -> None:
    """List the suggestions users chose from a "did you mean" list, and the entries ranked
    next to an answer that users opened from its "See also", not yet accepted or set aside,
    grouped by entry, the most chosen first: each wording is evidence that it means the entry
    (accept them with `accept-choices`, set them aside with `dismiss-choices`). Each wording
    says where it was chosen: [did you mean] or [See also].

    Example: python -m bot unanswered choices --since 30d
    """
    with _storage(config) as storage:
        groups = chosen.choice_groups(storage, since)
    if as_json:
        for group in groups:
            click.echo(json_line(group.to_json()))
        return
    if not groups:
        click.echo("No chosen suggestions waiting.")
        return
    for group in groups:
        click.echo(
            f"{group.entry_id}: chosen {counted(group.count, 'time')}; ids {_ids(list(group.ids))}"
        )
        for (lang, question, count), sources in zip(
            group.wordings, group.wording_sources, strict=True
        ):
            seen = f"  [{', '.join(SOURCE_LABELS[s] for s in sources)}]" if sources else ""
            click.echo(f"  {count:>4}x  {lang:<4}  {_cut(question)}{seen}")
    choices = counted(sum(g.count for g in groups), "choice")
    click.echo(f"{choices} for {counted(len(groups), 'entry', 'entries')}")


def _choices_given(storage: Storage, ids: tuple[int, ...], entry_id: str | None) -> list[dict]:
    """The choices an `accept-choices` or `dismiss-choices` is given, as they are before it:
    the choices IDS (the audit row names them all, as the console names the ticked ones), or
    those waiting for ENTRY (the row names the ones the command took)."""
    if ids:
        return storage.list_choices(ids=ids, status=None)
    return storage.list_choices(entry_id=entry_id, status=NEW)


@unanswered.command("accept-choices")
@click.argument("ids", nargs=-1, type=int)
@click.option(
    "--all-for",
    "entry_id",
    help='Accept the waiting choices of this entry picked from a "did you mean" list, '
    "instead of listing ids.",
)
@KB_OPTION
@AS_OPTION
@click.pass_obj
def accept_choices(
    config: Config,
    ids: tuple[int, ...],
    entry_id: str | None,
    kb_dir: Path | None,
    actor: str | None,
) -> None:
    """Add the wordings of the chosen suggestions IDS (or all of one entry's that users
    picked from a "did you mean" list) to their entries' alternates, in their language, and
    mark them accepted.

    With --all-for, a wording users only opened from "See also" is left waiting: opening an
    entry next to an answer does not show that the question means it (the console ticks
    only "did you mean" choices too). Accept those by id once you have read them.

    A wording in another language than the knowledge base's goes under the entry's curated
    translation into that language where there is one. The topic file keeps its comments and
    layout and is written only if the knowledge base still validates. Recorded in the audit
    log as done by you (--as), as the console's "Chosen by users" page records it.

    Example: python -m bot unanswered accept-choices --all-for bank-account
    """
    if bool(ids) == bool(entry_id):
        raise click.UsageError("give either choice IDS or --all-for ENTRY")
    folder = Path(kb_dir or config.knowledge.dir)
    with _storage(config) as storage:
        given = _choices_given(storage, ids, entry_id)
        try:
            done = chosen.accept_choices(
                storage,
                folder,
                ids=ids,
                entry_id=entry_id,
                kb_language=config.knowledge.language,
            )
        except (chosen.ChoiceError, curation.CurationError, KnowledgeError) as exc:
            raise click.ClickException(shown_lines(f"{exc}\nNothing else changed.")) from exc
        if done:
            accepted = {i for item in done for i in item.ids}
            before = chosen.audit_before(r for r in given if ids or r["id"] in accepted)
            target, after = chosen.accepted_audit(done)
            storage.audit_choices(cli_actor(actor), "choices.accept", target, before, after)
    if not done:
        click.echo("Those choices were accepted already; nothing changed.")
        return
    for item in done:
        click.echo(
            f"Added {counted(item.added, 'wording')} to entry {item.entry_id} in {item.file} "
            f"({item.skipped} already there); accepted {noun(len(item.ids), 'choice')} "
            f"{_ids(list(item.ids))}."
        )
        if item.left_out:
            click.echo(
                f"Left out {counted(len(item.left_out), 'choice')} of {item.entry_id} not "
                "picked from a "
                '"did you mean" list (opened from "See also", or chosen before the bot '
                "recorded where; that does not show that the question means the entry): "
                "read them with `unanswered choices` and accept the ones that mean it by id: "
                f"{_ids(list(item.left_out))}."
            )
    click.echo("Now send /reload to the bot so that it serves the new phrasings.")


@unanswered.command("dismiss-choices")
@click.argument("ids", nargs=-1, type=int)
@click.option(
    "--all-for",
    "entry_id",
    help="Set aside every waiting choice of this entry instead of listing ids.",
)
@AS_OPTION
@click.pass_obj
def dismiss_choices(
    config: Config, ids: tuple[int, ...], entry_id: str | None, actor: str | None
) -> None:
    """Set aside the chosen suggestions IDS (or all of one entry's) whose wording does not
    mean the entry: a user may open an entry out of curiosity. They leave `choices` and are
    never added as alternates; the knowledge base is not touched. Recorded in the audit log
    as done by you (--as), as the console's "Chosen by users" page records it.

    Example: python -m bot unanswered dismiss-choices 5 9
    """
    if bool(ids) == bool(entry_id):
        raise click.UsageError("give either choice IDS or --all-for ENTRY")
    with _storage(config) as storage:
        given = _choices_given(storage, ids, entry_id)
        try:
            done = chosen.dismiss_choices(storage, ids=ids, entry_id=entry_id)
        except chosen.ChoiceError as exc:
            raise click.ClickException(f"{exc}\nNothing changed.") from exc
        if done:
            before = chosen.audit_before(r for r in given if ids or r["id"] in done)
            target, after = chosen.dismissed_audit(before, done)
            storage.audit_choices(cli_actor(actor), "choices.dismiss", target, before, after)
    if not done:
        click.echo("Those choices were accepted or set aside already; nothing changed.")
        return
    click.echo(f"Set aside {counted(len(done), 'choice')}: {_ids(list(done))}.")
