"""`python -m bot kb ...`: check, describe and translate the knowledge base."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from bot.answering import glossary_key, load_glossary, machine_translator
from bot.cli.common import KB_OPTION, open_storage, problems_message
from bot.config import Config
from bot.kbedit import EditError
from bot.kbimport import import_translations
from bot.kbstats import knowledge_stats, stale_translations
from bot.knowledge import (
    LANGUAGE_CODES,
    KnowledgeBase,
    KnowledgeError,
    Phrasing,
    Problem,
    load_knowledge,
    round_trip_yaml,
)
from bot.localize import Localizer
from bot.messages import counted
from bot.normalize import normalize
from bot.offtopic import FILE as OFFTOPIC_FILE
from bot.offtopic import load_offtopic

T = TypeVar("T")


@click.group()
def kb() -> None:
    """Check, describe and translate the knowledge base."""


def _load(config: Config, kb_dir: Path | None) -> KnowledgeBase:
    try:
        return load_knowledge(kb_dir or config.knowledge.dir, config.knowledge.language)
    except KnowledgeError as exc:
        raise click.ClickException(problems_message(exc)) from exc


@kb.command()
@KB_OPTION
@click.pass_obj
def check(config: Config, kb_dir: Path | None) -> None:
    """Validate every topic file, the glossary and the off-topic examples; list all
    problems, exit 1 if any. Warnings (exit 0): unfinished drafts, stale translations (made
    from an older text of their entry), phrasings shared by several entries, off-topic
    examples that are also an entry's phrasing.

    Example: python -m bot kb check --kb knowledge/
    """
    folder = Path(kb_dir or config.knowledge.dir)
    problems: list[Problem] = []
    base = _checked(problems, load_knowledge, folder, config.knowledge.language)
    glossary = _checked(problems, load_glossary, folder)
    offtopic = _checked(problems, load_offtopic, folder, LANGUAGE_CODES)
    if problems or base is None:
        click.echo(problems_message(KnowledgeError(problems)), err=True)
        raise SystemExit(1)
    owners = _phrasing_owners(base)
    for warning in [*_warnings(base, owners), *_offtopic_warnings(owners, offtopic or ())]:
        click.echo(f"warning: {warning}", err=True)
    terms = f", glossary of {counted(len(glossary.terms), 'term')}" if glossary else ""
    if offtopic:
        languages = len({p.language for p in offtopic})
        terms += (
            f", {counted(len(offtopic), 'off-topic example')} in {counted(languages, 'language')}"
        )
    click.echo(
        f"OK: {counted(len(base.entries), 'entry', 'entries')} in "
        f"{counted(len(base.topics), 'topic')} "
        f"({', '.join(base.languages())}){terms} in {folder}"
    )


def _checked(problems: list[Problem], load: Callable[..., T], *args: Any) -> T | None:
    """What `load` returns, or None with its problems added to `problems`: one broken file
    does not hide the problems of the others."""
    try:
        return load(*args)
    except KnowledgeError as exc:
        problems.extend(exc.problems)
        return None


def _phrasing_owners(base: KnowledgeBase) -> dict[str, set[str]]:
    """The entries each normalised phrasing belongs to."""
    owners: dict[str, set[str]] = {}
    for p in base.phrasings():
        owners.setdefault(normalize(p.text), set()).add(p.entry_id)
    return owners


def _offtopic_warnings(owners: dict[str, set[str]], offtopic: tuple[Phrasing, ...]) -> list[str]:
    """Off-topic examples that are also a phrasing of an entry: the two classes fight."""
    found = ((p, owners.get(normalize(p.text))) for p in offtopic)
    return [
        f"{OFFTOPIC_FILE}: off-topic example {p.text!r} ({p.language}) is also a phrasing "
        f"of entry {', '.join(sorted(ids))}"
        for p, ids in found
        if ids
    ]


def _warnings(base: KnowledgeBase, owners: dict[str, set[str]]) -> list[str]:
    drafts = [
        f"{e.source} [{e.id}]: unfinished draft ({'; '.join(e.draft_marks)}): the bot does "
        "not serve it until it is completed"
        + (
            " (write a real way to ask in place of each placeholder phrasing, or delete it)"
            if any(mark.startswith("the placeholder") for mark in e.draft_marks)
            else ""
        )
        for e in base.entries
        if e.unfinished
    ]
    stale = [
        f"{s.where} [{s.entry_id}]: the {s.language} translation was made from an older text "
        f"(source {s.recorded}, now {s.current}): the bot serves the current text until a "
        "person updates the translation and its `source`"
        for s in stale_translations(base)
    ]
    return (
        drafts
        + stale
        + [
            f"the phrasing {key!r} belongs to several entries: {', '.join(sorted(ids))}"
            for key, ids in owners.items()
            if len(ids) > 1
        ]
    )


@kb.command()
@KB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
def stats(config: Config, kb_dir: Path | None, as_json: bool) -> None:
    """Entries per topic; per language: curated translations, stale ones (made from an
    older source text), ones without a recorded source version, and phrasings per entry
    (with the entries whose phrasings in that language are matched but never shown).

    Example: python -m bot kb stats --json
    """
    figures = knowledge_stats(_load(config, kb_dir), config.languages.supported)
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{counted(figures['entries'], 'entry', 'entries')}, "
        f"{counted(figures['phrasings'], 'phrasing')}, "
        f"written in {figures['language']}\n"
    )
    click.echo(f"{'topic':<20} {'name':<32} entries  names in")
    for row in figures["topics"]:
        names = ", ".join(row["names"])
        click.echo(f"{row['topic']:<20} {row['name']:<32} {row['entries']:>7}  {names}")
    spread = figures["phrasings_per_entry"]
    click.echo(
        f"\n{'language':<10} {'curated':>16} {'stale':>6} {'no version':>11}  "
        "phrasings per entry (min, median)"
    )
    click.echo(
        f"{figures['language']:<10} {'(source)':>16} {'':>6} {'':>11}  "
        f"{spread['min']}, {spread['median']:g}"
    )
    for lang, row in figures["translations"].items():
        share = f"{row['entries']}/{figures['entries']} ({row['share'] * 100:.0f}%)"
        spread = row["phrasings_per_entry"]
        click.echo(
            f"{lang:<10} {share:>16} {row['stale']:>6} {row['unversioned']:>11}  "
            + (f"{spread['min']}, {spread['median']:g}" if spread["min"] else "-")
            + (
                f" (phrasings only: {row['phrasings_only']} "
                f"{'entry' if row['phrasings_only'] == 1 else 'entries'})"
                if row["phrasings_only"]
                else ""
            )
        )


def _localizer(config: Config, kb_dir: Path | None) -> Localizer:
    base = _load(config, kb_dir)
    translator = machine_translator(config)
    if translator is None:
        raise click.ClickException(
            f"no translation models in {config.translation.packages_dir}: install some with "
            "`python -m bot models install --from-file PATH.argosmodel`"
        )
    try:
        glossary = load_glossary(Path(kb_dir or config.knowledge.dir))
    except KnowledgeError as exc:
        raise click.ClickException(problems_message(exc)) from exc
    folder = Path(kb_dir or config.knowledge.dir)
    return Localizer(
        base,
        config.translation,
        translator,
        open_storage(config, create=True),
        glossary,
        config.languages.supported,
        glossary_key(folder),
    )


@kb.command()
@KB_OPTION
@click.option(
    "--lang",
    "langs",
    multiple=True,
    help="Only this language (repeat for several); default: every language the "
    "installed models cover.",
)
@click.pass_obj
def translate(config: Config, kb_dir: Path | None, langs: tuple[str, ...]) -> None:
    """Machine-translate answers, phrasings, topic names (and, for languages without a
    curated locale, the bot's own words) into the database's translation cache.

    Only what is not cached yet for the installed model is translated: a changed text is
    translated again, an unchanged one never is.

    Example: python -m bot kb translate --lang ru --lang ar
    """
    localizer = _localizer(config, kb_dir)
    unknown = [lang for lang in langs if not localizer.can_translate(lang)]
    if unknown:
        raise click.ClickException(
            f"no installed model covers {localizer.kb.language} -> "
            f"{', '.join(unknown)} (see `python -m bot models list`)"
        )
    todo = localizer.pending(list(langs) or None)
    click.echo(
        f"{counted(len(todo), 'text')} to translate into "
        f"{', '.join(sorted({lang for _, lang, _ in todo})) or 'no language'}",
        err=True,
    )
    with click.progressbar(todo, label="Translating", file=sys.stderr, show_pos=True) as bar:
        for text, lang, kind in bar:
            localizer.translate(text, lang, kind)
    click.echo(f"Done: {len(todo)} translated; cached translations are served from now on.")


@kb.group()
def translations() -> None:
    """Curated translations: review machine ones (export), import reviewed or translated files."""


@translations.command("export")
@KB_OPTION
@click.option("--lang", required=True, help="Language to export, e.g. ru.")
@click.option("--out", type=click.Path(path_type=Path), help="File to write (default: stdout).")
@click.pass_obj
def export(config: Config, kb_dir: Path | None, lang: str, out: Path | None) -> None:
    """Write the cached machine translations for LANG to a YAML file for staff review
    (entries without a curated translation, or whose curated one is stale).

    Example: python -m bot kb translations export --lang ru --out review-ru.yaml
    """
    localizer = _localizer(config, kb_dir)
    items = []
    for entry in localizer.kb.entries:
        if lang in entry.translations and not entry.stale(lang):
            continue  # curated and current: nothing to review
        question = localizer.cached(entry.question, lang)
        answer = localizer.cached(entry.answer, lang)
        if question is None or answer is None:
            continue
        alternates = [a for a in (localizer.cached(t, lang) for t in entry.alternates) if a]
        items.append(
            {
                "id": entry.id,
                "reviewed": False,
                "source": {"question": entry.question, "answer": entry.answer},
                "question": question,
                "alternates": alternates,
                "answer": answer,
            }
        )
    entries = counted(len(items), "entry", "entries")
    header = (
        f"# Machine translations into {lang} for review ({entries}).\n"
        "# Correct question, alternates and answer, set `reviewed: true` on each entry\n"
        "# you checked, then: python -m bot kb translations import THIS-FILE\n"
    )
    stream = io.StringIO()
    _yaml().dump(
        {"language": lang, "model": localizer.versions.get(lang), "entries": items}, stream
    )
    text = header + stream.getvalue()
    if out:
        out.write_text(text, encoding="utf-8")
        click.echo(f"{entries} written to {out}", err=True)
    else:
        click.echo(text, nl=False)


def _yaml() -> YAML:
    return round_trip_yaml()


@translations.command("import")
@KB_OPTION
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.pass_obj
def import_(config: Config, kb_dir: Path | None, file: Path) -> None:
    """Write the entries marked `reviewed: true` in FILE (a translator's file, or one made
    by `export`) as curated translations into the topic files, with translated link titles
    and topic names; each is stamped with the source version it translates and today's
    review date. Only the lines of what changes are written, and nothing is written unless
    the whole knowledge base still validates.

    Example: python -m bot kb translations import review-ru.yaml
    """
    folder = Path(kb_dir or config.knowledge.dir)
    try:
        review = YAML(typ="safe").load(file.read_text(encoding="utf-8"))
    except (YAMLError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file}: not readable YAML: {exc}") from exc
    try:
        result = import_translations(folder, review, config.knowledge.language)
    except KnowledgeError as exc:
        raise click.ClickException(problems_message(exc)) from exc
    except EditError as exc:
        raise click.ClickException(f"{file}: not imported: {exc}") from exc
    for what in result.unknown:
        click.echo(f"warning: {file}: skipped {what}: not in the knowledge base", err=True)
    click.echo(
        f"{counted(len(result.imported), 'reviewed translation')} into {result.language} and "
        f"{counted(result.topics, 'topic name')} imported into "
        f"{counted(result.files, 'file')}; "
        f"{result.left_out} left out (not `reviewed: true`)."
    )
