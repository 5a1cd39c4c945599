"""Pieces the command-line modules share: options, loading with clear errors, storage."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from bot.answering import Answerer, build_answerer
from bot.config import Config
from bot.knowledge import KnowledgeError
from bot.storage import Storage, StorageError

KB_OPTION = click.option(
    "--kb",
    "kb_dir",
    type=click.Path(path_type=Path),
    help="Knowledge folder (default: [knowledge] dir in the config).",
)
LANG_OPTION = click.option("--lang", help="Answer in this language instead of detecting it.")


def utf8_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(encoding="utf-8", errors="replace")


def problems_message(error: KnowledgeError) -> str:
    lines = [str(p) for p in error.problems]
    lines.append(f"{len(error.problems)} problem(s); the knowledge base was not loaded.")
    return "\n".join(lines)


def open_storage(config: Config, create: bool = False) -> Storage | None:
    """The database at [storage] database: opened if it exists (or `create`), else None."""
    path = config.storage.database
    if not create and not path.is_file():
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return Storage.open(path, config.storage.retention_days)
    except (StorageError, OSError) as exc:
        raise click.ClickException(f"cannot open the database {path}: {exc}") from exc


def load_answerer(config: Config, kb_dir: Path | None, storage: Storage | None = None) -> Answerer:
    click.echo("Loading the knowledge base...", err=True)
    try:
        return build_answerer(config, kb_dir, storage)
    except KnowledgeError as exc:
        raise click.ClickException(problems_message(exc)) from exc


def check_lang(config: Config, lang: str | None) -> str | None:
    if lang and lang not in config.languages.supported:
        supported = ", ".join(config.languages.supported)
        raise click.BadParameter(
            f"{lang!r} is not one of the configured languages: {supported}", param_hint="--lang"
        )
    return lang


_SPAN = re.compile(r"(\d+)\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
SINCE_HELP = (
    "a span back from now (90m, 24h, 30d, 2w) or a UTC date or time (2026-11-01, 2026-11-01T09:00)"
)


def parse_since(value: str, now: datetime) -> datetime:
    """The start of a period ending `now`: a span back (`90m`, `24h`, `30d`, `2w`) or an ISO
    date / date-time (taken as UTC without a zone). ValueError, with the reason, otherwise."""
    text = str(value).strip()
    span = _SPAN.fullmatch(text.lower())
    if span:
        if int(span[1]) < 1:
            raise ValueError(f"{text!r} is an empty span: give at least 1{span[2]}")
        return now - timedelta(**{_UNITS[span[2]]: int(span[1])})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a time span like 90m, 24h, 30d or 2w nor a date like 2026-11-01"
        ) from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment > now:
        raise ValueError(f"{text} is in the future")
    return moment


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
