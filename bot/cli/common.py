"""Pieces the command-line modules share: options, loading with clear errors, storage."""

from __future__ import annotations

import getpass
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from bot.answering import Answerer, build_answerer
from bot.config import Config
from bot.knowledge import KnowledgeError
from bot.messages import counted
from bot.period import SINCE_HELP as SINCE_HELP  # re-exported for the commands
from bot.period import parse_since as parse_since
from bot.storage import Storage, StorageError

KB_OPTION = click.option(
    "--kb",
    "kb_dir",
    type=click.Path(path_type=Path),
    help="Knowledge folder (default: [knowledge] dir in the config).",
)
LANG_OPTION = click.option("--lang", help="Answer in this language instead of detecting it.")
AS_OPTION = click.option(
    "--as",
    "actor",
    metavar="NAME",
    help="Who is doing this, as the console's audit log and histories name them "
    '("by whom"); default: your login name on this computer.',
)


def cli_actor(name: str | None) -> str:
    """Who a change made from the command line is recorded as (audit log, entry history):
    `--as NAME`, else the login name, marked as done from the CLI ("ann (CLI)")."""
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no login name (a container without one)
            name = "unknown"
    return f"{' '.join(name.split())} (CLI)"


def utf8_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(encoding="utf-8", errors="replace")


def problems_message(error: KnowledgeError) -> str:
    lines = [str(p) for p in error.problems]
    lines.append(f"{counted(len(error.problems), 'problem')}; the knowledge base was not loaded.")
    return "\n".join(lines)


def open_storage(config: Config, create: bool = False) -> Storage | None:
    """The database at [storage] database: opened if it exists (or `create`), else None."""
    path = config.storage.database
    if not create and not path.is_file():
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return Storage.open(
            path,
            config.storage.retention_days,
            audit_retention_days=config.storage.audit_retention_days,
        )
    except (StorageError, OSError) as exc:
        raise click.ClickException(f"cannot open the database {path}: {exc}") from exc


def load_answerer(
    config: Config,
    kb_dir: Path | None,
    storage: Storage | None = None,
    *,
    defer_second: bool = False,
) -> Answerer:
    """The answerer, with a line on stderr while it loads and, on a first start (when the
    whole knowledge base is embedded, minutes with the second encoder), its progress.
    `defer_second` (long-running modes; see bot/warmup.py): on a first start, answer with
    the first encoder alone at once, and say so."""
    click.echo("Loading the knowledge base...", err=True)
    progress = logging.getLogger("bot.encoder")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    level = progress.level
    progress.addHandler(handler)
    progress.setLevel(logging.INFO)
    try:
        answerer = build_answerer(config, kb_dir, storage, defer_second=defer_second)
    except KnowledgeError as exc:
        raise click.ClickException(problems_message(exc)) from exc
    finally:
        progress.removeHandler(handler)
        progress.setLevel(level)
    second = answerer.matcher.second_pending
    if second is not None:
        click.echo(
            f"First start: answering with {answerer.matcher.encoder.name.upper()} alone for "
            f"now; the second encoder ({second.name}) embeds the knowledge base in the "
            "background (a few minutes, once) and takes over when it is ready.",
            err=True,
        )
    return answerer


def check_lang(config: Config, lang: str | None) -> str | None:
    if lang and lang not in config.languages.supported:
        supported = ", ".join(config.languages.supported)
        raise click.BadParameter(
            f"{lang!r} is not one of the configured languages: {supported}", param_hint="--lang"
        )
    return lang


class Since(click.ParamType):
    """A `--since` value for every command that takes one: see `parse_since`."""

    name = "since"

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_since(value, datetime.now(UTC))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
