"""The `report` command: the managers' HTML page (and CSV tables) from the question log."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path

import click
from click.core import ParameterSource

from bot import times
from bot.cli.common import KB_OPTION, SINCE_HELP, Since, problems_message
from bot.config import Config
from bot.curation import meaning_clusterer
from bot.encoder import Encoder
from bot.knowledge import KnowledgeBase, KnowledgeError, load_knowledge
from bot.report import (
    CHANNELS,
    ReportError,
    build_report,
    channel_of,
    language_code,
    render_html,
    write_csv,
)
from bot.web import i18n


def _language(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A language code as the log writes it ("VI" is vi), or a usage error."""
    if value is None:
        return None
    try:
        code = language_code(value)
    except ValueError as exc:
        raise click.BadParameter(f"{exc}.") from exc
    if code is None:
        raise click.BadParameter(f"{value!r} is not a language code (e.g. en, zh, vi).")
    return code


class ChannelChoice(click.Choice):
    """A channel as the log stores it (`bot.report.channel_of`): "cli" is the terminal."""

    def convert(self, value, param, ctx):
        try:
            value = channel_of(value) if isinstance(value, str) else value
        except ValueError:
            pass  # click.Choice says what the choices are
        return super().convert(value, param, ctx)


def _knowledge(config: Config, kb_dir: Path | None) -> KnowledgeBase | None:
    """The knowledge base for entry questions and review dates; None (with a warning) if broken."""
    try:
        return load_knowledge(
            kb_dir or config.knowledge.dir, config.knowledge.language, config.knowledge.cache_dir
        )
    except KnowledgeError as exc:
        click.echo(problems_message(exc), err=True)
        click.echo("Warning: the report leaves out entry questions and review dates.", err=True)
        return None


@click.command()
@click.option(
    "--since",
    type=Since(),
    default="30d",
    show_default=True,
    help=f"Start of the period: {SINCE_HELP}. The period ends now.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="The HTML page to write (self-contained: open it offline, mail it).",
)
@click.option(
    "--csv",
    "csv_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write every table as a CSV file into this folder (UTF-8 with a byte-order "
    "mark, as the console's CSV links: spreadsheets read every script right).",
)
@click.option(
    "--language",
    callback=_language,
    metavar="CODE",
    help="Only questions in this language (written or answered in it), e.g. vi or zh.",
)
@click.option(
    "--channel",
    type=ChannelChoice(CHANNELS, case_sensitive=False),
    help="Only questions that came through this channel: telegram, web (the web chat) or "
    "terminal (`chat` and `ask --log`; cli means the same).",
)
@click.option(
    "--page-language",
    type=click.Choice(sorted(i18n.UI_LANGUAGES)),
    help="The page's language (default: the knowledge base's where the console has it, "
    "as the staff digest's; else English).",
)
@KB_OPTION
@click.option(
    "--review-age-days",
    type=click.IntRange(min=1),
    default=365,
    show_default=True,
    help="List entries whose `reviewed` date is older than this many days.",
)
@click.option(
    "--digest",
    type=click.Choice(["daily", "weekly", "configured"]),
    is_flag=False,
    flag_value="configured",
    metavar="[daily|weekly]",
    help="Print the staff digest of the last day or week instead (alone: [telegram] digest's "
    "period, daily when it is off), or of the period --since gives; writes no file.",
)
@click.pass_obj
def report(
    config: Config,
    since: datetime,
    out: Path,
    csv_dir: Path | None,
    kb_dir: Path | None,
    language: str | None,
    channel: str | None,
    page_language: str | None,
    review_age_days: int,
    digest: str | None,
) -> None:
    """Write the managers' report: questions per day, outcomes, languages, top unanswered
    questions, most used entries, helpful feedback, reply time, what each staff member did
    and entries due for review.

    Reads the database at [storage] database read-only; the bot may keep running.

    Example: python -m bot report --since 30d --out report.html --csv report-csv

    Example: python -m bot report --since 7d --language vi --out report-vi.html

    Example: python -m bot report --page-language zh --out report-zh.html

    Example: python -m bot report --digest weekly

    Example: python -m bot report --digest --since 3d
    """
    now = datetime.now(UTC).replace(microsecond=0)
    if digest:
        ctx = click.get_current_context()
        given = {p.name for p in ctx.command.params if _given(ctx, p.name)}
        unused = sorted(given & PAGE_ONLY.keys())
        if unused:
            names = ", ".join("--" + PAGE_ONLY[name] for name in unused)
            raise click.UsageError(
                f"--digest prints the staff digest, which has no {names}: it covers every "
                "language and channel and writes no file. Leave those out, or leave out "
                "--digest to write the report page."
            )
        _print_digest(config, kb_dir, digest, now, since if "since" in given else None)
        return
    start = min(since, now)
    kb = _knowledge(config, kb_dir)
    try:
        result = build_report(
            config.storage.database,
            kb,
            since=start,
            now=now,
            review_age_days=review_age_days,
            clusterer=meaning_clusterer(Encoder()),
            language=language,
            channel=channel,
            zone=times.zone(config.web.timezone),  # the page's days are the centre's
        )
    except ReportError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        words = page_language or i18n.staff_language(config.knowledge.language)
        page = render_html(result, functools.partial(i18n.translate, words), words, result.zone)
        out.write_text(page, encoding="utf-8")
        written = write_csv(result, csv_dir) if csv_dir else []
    except OSError as exc:
        raise click.ClickException(f"cannot write the report: {exc}") from exc
    plural = "" if result.total == 1 else "s"
    only = "".join(f" {k} {v}" for k, v in (("in", language), ("through", channel)) if v)
    click.echo(
        f"Wrote {out}: {result.total:,} question{plural}{only} from {start:%Y-%m-%d %H:%M} "
        f"to {now:%Y-%m-%d %H:%M} UTC."
    )
    if result.browsed:
        entries = "entry" if result.browsed == 1 else "entries"
        click.echo(f"Also {result.browsed:,} {entries} opened from the topics (not questions).")
    if written:
        click.echo(f"Wrote {len(written)} CSV files to {csv_dir}.")


# The options of the report page that the digest has no use for, by parameter name.
PAGE_ONLY = {
    "out": "out",
    "csv_dir": "csv",
    "language": "language",
    "channel": "channel",
    "page_language": "page-language",
    "review_age_days": "review-age-days",
}


def _given(ctx: click.Context, name: str | None) -> bool:
    """Whether the option was typed (or set in the environment), not left at its default."""
    source = ctx.get_parameter_source(name) if name else None
    return source not in (None, ParameterSource.DEFAULT)


def _print_digest(
    config: Config, kb_dir: Path | None, period: str, now: datetime, since: datetime | None
) -> None:
    """The staff digest as the staff chat would get it; of the period from `since` to now
    when `since` is given."""
    from bot.digest import build_digest, render_digest
    from bot.telegram.digest import staff_gettext

    if period == "configured":
        period = config.telegram.digest if config.telegram.digest != "off" else "daily"
    kb = _knowledge(config, kb_dir)
    try:
        found = build_digest(
            config.storage.database, kb, period=period, now=now, since=since and min(since, now)
        )
    except (ReportError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    language = i18n.staff_language(config.knowledge.language)
    zone = times.zone(config.web.timezone)
    click.echo(render_digest(found, staff_gettext(config), zone, language))
