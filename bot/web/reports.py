"""The managers' report as console pages: period, language and channel filters, charts as
server-drawn SVG (bot/report_html.py), and every table as CSV (`/reports.csv?table=...`).

The figures are the `python -m bot report` figures: one `bot.report.build_report` call.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot import times
from bot.counting import in_inbox, log_columns, waiting
from bot.curation import meaning_clusterer
from bot.period import PeriodError, parse_since, parse_until
from bot.report import (
    CHANNELS,
    MIN_VOTES,
    OUTCOMES,
    Report,
    ReportError,
    build_report,
    channel_of,
    csv_text,
    language_code,
    open_readonly,
    reasons_text,
    tables,
)
from bot.report_html import COLOURS as CHART_COLOURS
from bot.report_html import (
    COUNTING,
    NO_STAFF_WORK,
    STAFF_HEADINGS,
    STAFF_NOTE,
    STAFF_UNFILTERED,
    hbars,
    per_day_bars,
    staff_rows,
)
from bot.vector_memo import remembering
from bot.web import i18n
from bot.web.app import console, requires

PRESETS = (7, 30, 90)
# The outcomes' names on the page (translated by the catalogs), as in the HTML report.
NAMES = {
    "answered": "answered",
    "chosen": "answered after a suggestion",
    "suggest": "suggested",
    "unanswered": "unanswered",
    "smalltalk": "small talk",
}
DEFAULT_DAYS = 30
DEFAULT_SINCE = f"{DEFAULT_DAYS}d"
MAX_DAYS = 731  # a page of two years of days at most
_cache: dict[tuple, Report] = {}  # see _build
_cache_lock = threading.Lock()


def _(request: Request, text: str, **values: object) -> str:
    return i18n.translate(i18n.ui_language(request), text, **values)


@dataclass(frozen=True)
class Filters:
    since_text: str
    until_text: str
    since: datetime
    until: datetime
    language: str | None
    channel: str | None
    # False when the period typed cannot be read: no report is shown, the text is kept
    period_ok: bool = True

    def query(self, **extra: str) -> str:
        values = {
            "since": self.since_text,
            "until": self.until_text,
            "language": self.language or "",
            "channel": self.channel or "",
            **extra,
        }
        return urlencode({k: v for k, v in values.items() if v})


def filters_of(request: Request, now: datetime) -> tuple[Filters, list[str]]:
    """The filters in the query string; what cannot be used is left out, with the reason. A
    period that cannot be read (`period_ok` False) keeps what was typed, for the form."""
    params = request.query_params
    errors = []
    where = times.zone(console(request).config.web.timezone)  # dates typed are the centre's
    since_text = params.get("since", "").strip() or DEFAULT_SINCE
    until_text = params.get("until", "").strip()
    period_ok = True
    try:
        until = parse_until(until_text, now, where)
    except PeriodError as exc:
        errors.append(_(request, exc.text, **exc.values))
        until, period_ok = now, False
    try:
        since = parse_since(since_text, until, where)
    except PeriodError as exc:
        try:  # a date that is only later than the end: the period is the wrong way round
            later = parse_since(since_text, datetime.max.replace(tzinfo=UTC), where)
        except PeriodError:
            later = None
        if later is not None and period_ok and until_text:
            errors.append(
                _(
                    request,
                    "The period cannot start ({since}) after it ends ({until}): choose an "
                    "earlier start.",
                    since=since_text,
                    until=until_text,
                )
            )
        else:
            errors.append(_(request, exc.text, **exc.values))
        since, period_ok = until, False
    if period_ok and until - since > timedelta(days=MAX_DAYS):
        errors.append(
            _(request, "A report covers at most {n} days: these are the last {n}.", n=MAX_DAYS)
        )
        since = until - timedelta(days=MAX_DAYS)
        since_text = since.astimezone(where).strftime("%Y-%m-%dT%H:%M:%S")
    try:
        language = language_code(params.get("language", ""))
    except ValueError:
        typed = params.get("language", "").strip()
        errors.append(_(request, "{value} is not a language code.", value=repr(typed)))
        language = None
    channel = params.get("channel", "").strip() or None
    if channel:
        try:
            channel = channel_of(channel)
        except ValueError:
            errors.append(_(request, "{value} is not a channel.", value=repr(channel)))
            channel = None
    found = Filters(since_text, until_text, since, until, language, channel, period_ok)
    return found, errors


def _log_version(path) -> tuple:
    """What changes whenever the report would: new questions, votes, queued questions and
    their handling, in the inbox or on the handoffs, and staff work (a few index lookups)."""
    conn = open_readonly(path)
    try:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        handoffs = "handoffs" in names
        columns = log_columns(conn)
        return tuple(
            conn.execute(
                "SELECT (SELECT max(id) FROM interactions), (SELECT max(id) FROM feedback), "
                "(SELECT max(id) FROM unanswered), "
                # the questions in the inbox and those waiting, as the report counts them:
                # a handoff answered in the same second as the one before changes no
                # `updated` below, setting a question aside changes no handoff
                f"(SELECT count(*) FROM unanswered WHERE {in_inbox(columns)}), "
                f"(SELECT count(*) FROM unanswered WHERE {waiting(conn, columns)}), "
                + ("(SELECT max(updated) FROM handoffs), " if handoffs else "NULL, ")
                # staff work: what the audit log records, and replies (delivered or not)
                + ("(SELECT max(id) FROM audit), " if "audit" in names else "NULL, ")
                + (
                    "(SELECT max(id) FROM handoff_replies)"
                    if "handoff_replies" in names
                    else "NULL"
                )
            ).fetchone()
        )
    finally:
        conn.close()


def _build(request: Request, f: Filters) -> Report:
    """The report for `f`, with unanswered wordings grouped by meaning across languages.

    A report is kept for the rest of the minute it was built in, while nothing is logged
    or handled: reloading a page, or going back to a preset, costs a few index lookups."""
    c = console(request)
    answerer = c.holder.answerer
    key = (
        str(c.storage.path),
        f.since_text,
        f.until_text,
        f.language,
        f.channel,
        id(answerer),
        f"{_now():%Y-%m-%dT%H:%M}",
        _log_version(c.storage.path),
    )
    with _cache_lock:
        found = _cache.get(key)
    if found is not None:
        return found
    report = build_report(
        c.storage.path,
        answerer.kb if answerer else None,
        since=f.since,
        now=f.until,
        clusterer=meaning_clusterer(remembering(answerer.matcher.encoder)) if answerer else None,
        language=f.language,
        channel=f.channel,
        zone=times.zone(c.config.web.timezone),
    )
    with _cache_lock:
        for old in [k for k in _cache if k[6] != key[6]]:
            del _cache[old]
        _cache[key] = report
    return report


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@requires("manager")
async def reports(request: Request) -> Response:
    """The managers' report for a period, language and channel."""
    c = console(request)
    f, errors = filters_of(request, _now())
    if not f.period_ok:  # said, with the text typed kept: no other period shown instead
        return c.render(
            request,
            "reports.html",
            error="; ".join(errors),
            report=None,
            f=f,
            presets=[(days, f.query(since=f"{days}d", until="")) for days in PRESETS],
            languages=sorted(set(c.config.languages.supported)),
            channels=CHANNELS,
        )
    try:
        report = await asyncio.to_thread(_build, request, f)
    except ReportError as exc:
        return c.render(request, "reports.html", status=503, error=str(exc), report=None, f=f)
    known = set(c.config.languages.supported) | {o.key for o in report.languages}
    if f.language and f.language not in known and not report.total:
        # a code the bot does not speak and nobody wrote in: say so, not just "0 questions"
        unknown = _(
            request,
            "No question in this period was written in {code}, and the bot is not set up for "
            "it (its languages: {languages}).",
            code=i18n.language_name(f.language, i18n.ui_language(request)),
            languages=", ".join(
                i18n.language_name(code, i18n.ui_language(request))
                for code in sorted(c.config.languages.supported)
            ),
        )
        errors.append(unknown)
    languages = sorted(known | ({f.language} if f.language else set()))
    ui = i18n.ui_language(request)
    bars = [
        (
            i18n.language_name(row.key, ui),
            [
                (
                    getattr(row, o),
                    CHART_COLOURS[o],
                    _(
                        request,
                        "{code}: {count} {outcome}",
                        code=i18n.language_name(row.key, ui),
                        count=f"{getattr(row, o):,}",
                        outcome=_(request, NAMES[o]),
                    ),
                )
                for o in OUTCOMES
            ],
            f"{row.total:,}",
        )
        for row in report.languages
    ]
    return c.render(
        request,
        "reports.html",
        report=report,
        f=f,
        error="; ".join(errors) or None,
        presets=[(days, f.query(since=f"{days}d", until="")) for days in PRESETS],
        csv_link=lambda table: "/reports.csv?" + f.query(table=table),
        languages=languages,
        channels=CHANNELS,
        outcomes=OUTCOMES,
        names=NAMES,
        counting=_(request, COUNTING),
        min_votes=MIN_VOTES,
        days_chart=per_day_bars(report.days, say=partial(_, request)) if report.total else "",
        languages_chart=hbars(bars, _(request, "Questions by language")) if bars else "",
        pct=_pct,
        ms=_ms,
        reasons=partial(reasons_text, say=partial(_, request)),
        staff_headings=[_(request, h) for h in STAFF_HEADINGS],
        staff_rows=staff_rows(report, partial(_, request)),
        staff_note=_staff_note(request, report),
    )


def _staff_note(request: Request, report: Report) -> str:
    """What the staff work table counts; that it covers everything, when the rest is filtered."""
    if not report.staff:
        return _(request, NO_STAFF_WORK)
    note = _(request, STAFF_NOTE)
    if report.language or report.channel:
        note += ("" if note.endswith("。") else " ") + _(request, STAFF_UNFILTERED)
    return note


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} ms"


@requires("manager")
async def reports_csv(request: Request) -> Response:
    """One table of the report, as the page shows it, as a CSV file."""
    f, errors = filters_of(request, _now())
    if errors:
        return PlainTextResponse("; ".join(errors), status_code=400)
    name = request.query_params.get("table", "")
    try:
        report = await asyncio.to_thread(_build, request, f)
    except ReportError as exc:
        return PlainTextResponse(str(exc), status_code=503)
    found = tables(report)
    if name not in found:
        known = ", ".join(found)
        return PlainTextResponse(f"No table {name!r}; the tables are: {known}", status_code=404)
    header, rows = found[name]
    # the filters in the name: a French web-only export is no all-language one
    only = "".join(f"-{value}" for value in (f.language, f.channel) if value)
    where = report.zone  # the dates the page's period says
    since, until = (moment.astimezone(where) for moment in (f.since, f.until))
    filename = f"report-{name}-{since:%Y%m%d}-{until:%Y%m%d}{only}.csv"
    return Response(
        csv_text(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def routes() -> list[Route]:
    return [
        Route("/reports", reports),
        Route("/reports.csv", reports_csv),
    ]
