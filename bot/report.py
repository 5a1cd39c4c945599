"""The managers' report: what was asked, what was answered and what is missing.

`build_report()` reads the question log with a few GROUP BY queries in SQLite (one pass over
the period's rows each, never a Python loop over rows), so a million interactions take
seconds. `render_html()` turns the result into one self-contained page: inline CSS, charts
drawn here as inline SVG, no script, font or request to anywhere. `write_csv()` writes the
same tables as CSV files.

Privacy: the report shows counts and question texts (already redacted when logged), never a
user: people are only counted, by their pseudonymous key.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import sqlite3
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import astuple, dataclass, fields
from html import escape
from pathlib import Path
from typing import Any

from bot.knowledge import KnowledgeBase
from bot.normalize import normalize

OUTCOMES = ("answered", "suggest", "unanswered", "smalltalk")
TOP_CLUSTERS = 20
TOP_ENTRIES = 20


class ReportError(Exception):
    """The database is missing or is not the bot's database."""


@dataclass(frozen=True)
class Outcomes:
    """Questions of one day (`key` = YYYY-MM-DD, UTC) or one language, by outcome."""

    key: str
    total: int
    answered: int
    suggest: int
    unanswered: int
    smalltalk: int

    def share(self, outcome: str) -> float:
        return getattr(self, outcome) / self.total if self.total else 0.0


@dataclass(frozen=True)
class UnansweredItem:
    """One wording of an unanswered question, in one language, with how often it was asked."""

    question: str
    language: str
    count: int


@dataclass(frozen=True)
class Cluster:
    """Unanswered questions that ask the same thing: `label` is the most frequent wording."""

    label: str
    count: int
    languages: tuple[str, ...]  # most frequent first
    examples: tuple[str, ...]  # up to three other wordings


@dataclass(frozen=True)
class EntryStats:
    entry_id: str
    question: str  # from the knowledge base; "" when it is not (or no longer) there
    uses: int  # answers given with this entry
    votes: int
    helpful: int

    @property
    def helpful_rate(self) -> float | None:
        return self.helpful / self.votes if self.votes else None


@dataclass(frozen=True)
class StaleEntry:
    entry_id: str
    topic: str
    question: str
    reviewed: dt.date
    age_days: int


@dataclass(frozen=True)
class Report:
    since: dt.datetime
    now: dt.datetime
    review_age_days: int
    total: int
    people: int  # distinct pseudonymous user keys
    days: tuple[Outcomes, ...]  # every day of the period, empty days too
    languages: tuple[Outcomes, ...]  # most questions first
    clusters: tuple[Cluster, ...]  # biggest first, at most TOP_CLUSTERS
    unanswered_total: int
    top_entries: tuple[EntryStats, ...]  # most used first, at most TOP_ENTRIES
    entry_feedback: tuple[EntryStats, ...]  # every entry with votes, most unhelpful first
    votes: int
    helpful: int
    replies_timed: int
    median_ms: float | None
    p90_ms: float | None
    text_sources: tuple[tuple[str, int], ...]  # (original|curated|machine|source, answers)
    stale_entries: tuple[StaleEntry, ...]  # oldest review first
    kb_loaded: bool

    @property
    def helpful_rate(self) -> float | None:
        return self.helpful / self.votes if self.votes else None

    def outcome_total(self, outcome: str) -> int:
        return sum(getattr(day, outcome) for day in self.days)

    def share(self, outcome: str) -> float:
        return self.outcome_total(outcome) / self.total if self.total else 0.0


Clusterer = Callable[[list[UnansweredItem]], Sequence[Sequence[UnansweredItem]]]


# Building ---------------------------------------------------------------------------------


def _connect(db_path: Path) -> sqlite3.Connection:
    """Read-only where SQLite can; else (a WAL file whose -shm it may not create) query-only."""
    conn = sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA query_only = ON")
    return conn


def open_readonly(db_path: Path) -> sqlite3.Connection:
    """The bot's database, opened so that nothing can be written; ReportError if it isn't."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise ReportError(
            f"no database at {db_path}: the bot has not logged any question "
            "there yet, or [storage] database points elsewhere"
        )
    try:
        conn = _connect(db_path)
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise ReportError(f"cannot read {db_path}: {exc}") from exc
    missing = {"interactions", "feedback"} - names
    if missing:
        conn.close()
        raise ReportError(
            f"{db_path} is not the bot's database (no table {', '.join(sorted(missing))})"
        )
    return conn


def _iso(moment: dt.datetime) -> str:
    """As storage writes times: UTC ISO 8601 to the second (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


_PERIOD = "time >= :since AND time <= :until"
_PERIOD_I = "i.time >= :since AND i.time <= :until"
_COUNTS = "count(*) AS total, " + ", ".join(f"sum(status = '{s}') AS {s}" for s in OUTCOMES)


def _outcomes(conn: sqlite3.Connection, key: str, order: str, params: dict) -> list[Outcomes]:
    sql = (
        f"SELECT {key} AS key, {_COUNTS} FROM interactions WHERE {_PERIOD} "
        f"GROUP BY 1 ORDER BY {order}"
    )
    return [Outcomes(*row) for row in conn.execute(sql, params)]


def _every_day(found: list[Outcomes], since: dt.datetime, now: dt.datetime) -> list[Outcomes]:
    by_day = {day.key: day for day in found}
    first, last = (dt.datetime.fromisoformat(_iso(t)).date() for t in (since, now))
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return [by_day.get(d.isoformat(), Outcomes(d.isoformat(), 0, 0, 0, 0, 0)) for d in days]


def _reply_times(conn: sqlite3.Connection, params: dict) -> tuple[int, float | None, float | None]:
    """Median (mean of the two middle values for an even count) and p90 (nearest rank)."""
    where = f"{_PERIOD} AND took_ms IS NOT NULL"
    n = conn.execute(f"SELECT count(*) FROM interactions WHERE {where}", params).fetchone()[0]
    if not n:
        return 0, None, None
    low, high, p90 = (n + 1) // 2, n // 2 + 1, math.ceil(0.9 * n)
    # One sort in SQLite; only the (at most three) wanted ranks come back to Python.
    rows = dict(
        conn.execute(
            f"SELECT rank, took_ms FROM (SELECT took_ms, row_number() OVER (ORDER BY took_ms) "
            f"AS rank FROM interactions WHERE {where}) WHERE rank IN (:low, :high, :p90)",
            {**params, "low": low, "high": high, "p90": p90},
        )
    )
    return n, (rows[low] + rows[high]) / 2, rows[p90]


def group_by_normalized(items: list[UnansweredItem]) -> list[list[UnansweredItem]]:
    """The default clusterer: wordings that are equal after `normalize()` go together."""
    groups: dict[str, list[UnansweredItem]] = {}
    for item in items:
        groups.setdefault(normalize(item.question), []).append(item)
    return list(groups.values())


def _cluster(group: Sequence[UnansweredItem]) -> Cluster:
    wordings: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    for item in group:
        wordings[item.question] += item.count
        languages[item.language] += item.count
    ranked = [text for text, _ in sorted(wordings.items(), key=lambda kv: (-kv[1], kv[0]))]
    return Cluster(
        ranked[0],
        sum(wordings.values()),
        tuple(lang for lang, _ in sorted(languages.items(), key=lambda kv: (-kv[1], kv[0]))),
        tuple(ranked[1:4]),
    )


def _clusters(conn: sqlite3.Connection, params: dict, clusterer: Clusterer | None) -> list[Cluster]:
    items = [
        UnansweredItem(*row)
        for row in conn.execute(
            f"SELECT question, language, count(*) FROM interactions "
            f"WHERE status = 'unanswered' AND {_PERIOD} GROUP BY question, language",
            params,
        )
    ]
    groups = (clusterer or group_by_normalized)(items)
    clusters = [_cluster(group) for group in groups if group]
    clusters.sort(key=lambda c: (-c.count, c.label))
    return clusters[:TOP_CLUSTERS]


def _entries(
    conn: sqlite3.Connection, params: dict, kb: KnowledgeBase | None
) -> tuple[list[EntryStats], list[EntryStats]]:
    uses = dict(
        conn.execute(
            f"SELECT entry_id, count(*) FROM interactions WHERE entry_id IS NOT NULL AND {_PERIOD} "
            "GROUP BY entry_id",
            params,
        )
    )
    votes = {
        row[0]: row[1:]
        for row in conn.execute(
            "SELECT i.entry_id, count(*), sum(f.helpful) FROM feedback f "
            "JOIN interactions i ON i.id = f.interaction_id "
            f"WHERE i.entry_id IS NOT NULL AND {_PERIOD_I} "
            "GROUP BY i.entry_id",
            params,
        )
    }
    by_id = kb.by_id if kb else {}

    def stats(entry_id: str) -> EntryStats:
        entry = by_id.get(entry_id)
        n, helpful = votes.get(entry_id, (0, 0))
        return EntryStats(
            entry_id, entry.question if entry else "", uses.get(entry_id, 0), n, helpful
        )

    top = sorted(uses, key=lambda e: (-uses[e], e))[:TOP_ENTRIES]
    rated = sorted(
        (stats(e) for e in votes), key=lambda s: (s.helpful - s.votes, s.helpful_rate, s.entry_id)
    )
    return [stats(e) for e in top], rated


def _stale(kb: KnowledgeBase | None, today: dt.date, max_age: int) -> list[StaleEntry]:
    if kb is None:
        return []
    stale = [
        StaleEntry(e.id, e.topic, e.question, e.reviewed, (today - e.reviewed).days)
        for e in kb.entries
        if (today - e.reviewed).days > max_age
    ]
    return sorted(stale, key=lambda s: (s.reviewed, s.entry_id))


def build_report(
    db_path: Path,
    kb: KnowledgeBase | None,
    *,
    since: dt.datetime,
    now: dt.datetime,
    review_age_days: int = 365,
    clusterer: Clusterer | None = None,
) -> Report:
    """The report on the questions logged from `since` to `now` (both included).

    `kb` supplies entry questions and review dates (None leaves them out). `clusterer`
    groups the period's unanswered wordings (`UnansweredItem`s) into clusters, each a
    sequence of items; the default groups wordings equal after normalisation.
    """
    if since > now:
        raise ValueError(f"the period starts ({since}) after it ends ({now})")
    params = {"since": _iso(since), "until": _iso(now)}
    conn = open_readonly(db_path)
    try:
        conn.execute("BEGIN")  # one snapshot for every figure, while the bot goes on logging
        days = _every_day(_outcomes(conn, "substr(time, 1, 10)", "1", params), since, now)
        languages = _outcomes(conn, "language", "total DESC, key", params)
        total = sum(day.total for day in days)
        people = conn.execute(
            f"SELECT count(DISTINCT user_key) FROM interactions WHERE {_PERIOD}", params
        ).fetchone()[0]
        top, rated = _entries(conn, params, kb)
        votes, helpful = conn.execute(
            "SELECT count(*), coalesce(sum(f.helpful), 0) FROM feedback f "
            "JOIN interactions i ON i.id = f.interaction_id "
            f"WHERE {_PERIOD_I}",
            params,
        ).fetchone()
        timed, median, p90 = _reply_times(conn, params)
        sources = conn.execute(
            f"SELECT text_source, count(*) AS n FROM interactions WHERE text_source IS NOT NULL "
            f"AND {_PERIOD} GROUP BY text_source ORDER BY n DESC, text_source",
            params,
        ).fetchall()
        clusters = _clusters(conn, params, clusterer)
    finally:
        conn.close()
    return Report(
        since=since,
        now=now,
        review_age_days=review_age_days,
        total=total,
        people=people,
        days=tuple(days),
        languages=tuple(languages),
        clusters=tuple(clusters),
        unanswered_total=sum(day.unanswered for day in days),
        top_entries=tuple(top),
        entry_feedback=tuple(rated),
        votes=votes,
        helpful=helpful,
        replies_timed=timed,
        median_ms=median,
        p90_ms=p90,
        text_sources=tuple(map(tuple, sources)),
        stale_entries=tuple(_stale(kb, now.date(), review_age_days)),
        kb_loaded=kb is not None,
    )


# CSV ----------------------------------------------------------------------------------------


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"


def tables(report: Report) -> dict[str, tuple[list[str], list[list]]]:
    """Every table of the report by file stem: (header, rows)."""
    outcome_header = ["total", *OUTCOMES, *(f"{o}_pct" for o in OUTCOMES)]

    def outcome_rows(rows: Sequence[Outcomes]) -> list[list]:
        return [[*astuple(r), *(_percent(r.share(o)) for o in OUTCOMES)] for r in rows]

    def entry_rows(rows: Sequence[EntryStats]) -> list[list]:
        return [[*astuple(r), _percent(r.helpful_rate)] for r in rows]

    entry_header = [f.name for f in fields(EntryStats)] + ["helpful_pct"]
    summary: list[list[Any]] = [
        ["since", _iso(report.since)],
        ["until", _iso(report.now)],
        ["questions", report.total],
        ["people", report.people],
        *([f"{o}_pct", _percent(report.share(o))] for o in OUTCOMES),
        ["votes", report.votes],
        ["helpful", report.helpful],
        ["helpful_pct", _percent(report.helpful_rate)],
        ["replies_timed", report.replies_timed],
        ["median_ms", "" if report.median_ms is None else round(report.median_ms, 3)],
        ["p90_ms", "" if report.p90_ms is None else round(report.p90_ms, 3)],
    ]
    sources_total = sum(n for _, n in report.text_sources)
    return {
        "summary": (["figure", "value"], summary),
        "per_day": (["day", *outcome_header], outcome_rows(report.days)),
        "languages": (["language", *outcome_header], outcome_rows(report.languages)),
        "unanswered_clusters": (
            ["question", "count", "languages", "other_wordings"],
            [
                [c.label, c.count, " ".join(c.languages), " | ".join(c.examples)]
                for c in report.clusters
            ],
        ),
        "top_entries": (entry_header, entry_rows(report.top_entries)),
        "entry_feedback": (entry_header, entry_rows(report.entry_feedback)),
        "text_sources": (
            ["text_source", "answers", "pct"],
            [[s, n, _percent(n / sources_total)] for s, n in report.text_sources],
        ),
        "stale_entries": (
            [f.name for f in fields(StaleEntry)],
            [
                [s.entry_id, s.topic, s.question, s.reviewed.isoformat(), s.age_days]
                for s in report.stale_entries
            ],
        ),
    }


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell no spreadsheet runs as a formula: text starting with = + - @ tab or CR (a
    user's question can) gets a leading apostrophe. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(report: Report, folder: Path) -> list[Path]:
    """One UTF-8 CSV file with a header row per table; returns the files written.
    Text cells that a spreadsheet would take for a formula are neutralised (`csv_cell`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (header, rows) in tables(report).items():
        path = folder / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows([csv_cell(cell) for cell in row] for row in rows)
        written.append(path)
    return written


# HTML ---------------------------------------------------------------------------------------

COLOURS = {
    "answered": "#2e7d32",
    "suggest": "#f2a900",
    "unanswered": "#c62828",
    "smalltalk": "#90a4ae",
    "original": "#1565c0",
    "curated": "#2e7d32",
    "machine": "#ef6c00",
    "source": "#8e24aa",
}
NAMES = {
    "answered": "answered",
    "suggest": "suggested",
    "unanswered": "unanswered",
    "smalltalk": "small talk",
    "original": "original language",
    "curated": "curated translation",
    "machine": "machine translation",
    "source": "not yet translated",
}
CHART_W, AXIS_L, AXIS_R, AXIS_T, AXIS_B = 960, 56, 12, 14, 34
CSS = """
body{font:15px/1.45 system-ui,"Segoe UI","DejaVu Sans",sans-serif;color:#222;margin:0;
background:#f4f5f7}
main{max-width:1040px;margin:0 auto;padding:24px}
header{background:#1f3a5f;color:#fff;padding:20px 24px}
header h1{margin:0 0 4px;font-size:24px}header p{margin:0;opacity:.9}
section{background:#fff;border-radius:8px;padding:16px 20px;margin:0 0 20px;
box-shadow:0 1px 3px rgba(0,0,0,.12)}
h2{font-size:18px;margin:0 0 8px}p.note{color:#555;margin:0 0 10px;font-size:14px}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}
.card{background:#f7f9fc;border-radius:6px;padding:10px 12px}
.card b{display:block;font-size:24px}.card span{color:#555;font-size:13px}
svg{width:100%;height:auto;display:block;margin:4px 0 8px}
svg text{font:12px system-ui,"DejaVu Sans",sans-serif;fill:#333}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:start;padding:5px 8px;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#f0f2f5;font-weight:600}td.num,th.num{text-align:right;white-space:nowrap}
.legend span{margin-right:14px;white-space:nowrap;font-size:13px}
.legend i{display:inline-block;width:11px;height:11px;margin-right:5px;border-radius:2px}
footer{color:#666;font-size:13px;text-align:center;padding:0 0 24px}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f} ms"


def _short(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _nice(peak: float) -> float:
    """The smallest round number (1, 1.2, 1.6, 2, ... x 10^k) at or above `peak`."""
    if peak <= 0:
        return 1
    power = 10 ** math.floor(math.log10(peak))
    return next(m * power for m in (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10) if m * power >= peak)


def _svg(height: float, title: str, parts: list[str]) -> str:
    return (
        f'<svg viewBox="0 0 {CHART_W} {height:.0f}" role="img" aria-label="{_e(title)}">'
        f"<title>{_e(title)}</title>{''.join(parts)}</svg>"
    )


def _rect(x: float, y: float, w: float, h: float, colour: str, tip: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
        f'fill="{colour}"><title>{_e(tip)}</title></rect>'
    )


def _text(x: float, y: float, text: str, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{_e(text)}</text>'


def _day_axes(
    days: Sequence[Outcomes], height: float, top: float, label: Callable[[float], str]
) -> list[str]:
    plot_h = height - AXIS_T - AXIS_B
    slot = (CHART_W - AXIS_L - AXIS_R) / len(days)
    parts = []
    for i in range(5):
        y = AXIS_T + plot_h * (1 - i / 4)
        parts.append(
            f'<line x1="{AXIS_L}" x2="{CHART_W - AXIS_R}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{"#999" if i == 0 else "#e3e6ea"}"/>'
        )
        parts.append(_text(AXIS_L - 6, y + 4, label(top * i / 4), "end"))
    step = max(1, math.ceil(len(days) / 12))
    for i in range(0, len(days), step):
        parts.append(
            _text(AXIS_L + (i + 0.5) * slot, height - AXIS_B + 18, days[i].key[5:], "middle")
        )
    return parts


def per_day_bars(days: Sequence[Outcomes], height: float = 280) -> str:
    """Questions per day as stacked bars, one colour per outcome."""
    peak = max(d.total for d in days)
    top = max(4, 4 * math.ceil(peak / 4)) if peak < 40 else _nice(peak)  # whole-number ticks
    parts = _day_axes(days, height, top, lambda v: f"{v:,.0f}")
    plot_h = height - AXIS_T - AXIS_B
    slot = (CHART_W - AXIS_L - AXIS_R) / len(days)
    width = min(slot * 0.76, 48)
    for i, day in enumerate(days):
        y = AXIS_T + plot_h
        for outcome in OUTCOMES:
            count = getattr(day, outcome)
            if count:
                h = count / top * plot_h
                y -= h
                parts.append(
                    _rect(
                        AXIS_L + (i + 0.5) * slot - width / 2,
                        y,
                        width,
                        h,
                        COLOURS[outcome],
                        f"{day.key}: {count:,} {NAMES[outcome]} of {day.total:,}",
                    )
                )
    return _svg(height, "Questions per day by outcome", parts)


def share_lines(days: Sequence[Outcomes], height: float = 240) -> str:
    """The share of each outcome per day as lines; days without questions leave a gap."""
    parts = _day_axes(days, height, 1.0, lambda v: f"{v:.0%}")
    plot_h = height - AXIS_T - AXIS_B
    slot = (CHART_W - AXIS_L - AXIS_R) / len(days)
    for outcome in OUTCOMES:
        runs: list[list[str]] = [[]]
        for i, day in enumerate(days):
            if not day.total:
                runs.append([])
                continue
            x, y = AXIS_L + (i + 0.5) * slot, AXIS_T + plot_h * (1 - day.share(outcome))
            runs[-1].append(f"{x:.1f},{y:.1f}")
            if len(days) <= 45:
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" '
                    f'fill="{COLOURS[outcome]}"><title>{_e(day.key)}: '
                    f"{_pct(day.share(outcome))} {NAMES[outcome]}</title></circle>"
                )
        parts.extend(
            f'<polyline points="{" ".join(run)}" fill="none" stroke-width="2" '
            f'stroke="{COLOURS[outcome]}"/>'
            for run in runs
            if len(run) > 1
        )
    return _svg(height, "Share of each outcome per day", parts)


def hbars(rows: Sequence[tuple[str, Sequence[tuple[int, str, str]], str]], title: str) -> str:
    """Horizontal bars: (label, segments of (value, colour, tooltip), text after the bar)."""
    row_h, label_w, value_w = 26, 250, 120
    peak = max((sum(v for v, _, _ in segments) for _, segments, _ in rows), default=0) or 1
    parts = []
    for k, (label, segments, after) in enumerate(rows):
        y = 4 + k * row_h
        parts.append(_text(label_w - 8, y + row_h / 2 + 4, _short(label), "end"))
        x = float(label_w)
        for value, colour, tip in segments:
            w = value / peak * (CHART_W - label_w - value_w)
            parts.append(_rect(x, y + 4, w, row_h - 8, colour, tip))
            x += w
        parts.append(_text(x + 6, y + row_h / 2 + 4, after))
    return _svg(8 + row_h * len(rows), title, parts)


def _legend(keys: Sequence[str]) -> str:
    items = "".join(
        f'<span><i style="background:{COLOURS[k]}"></i>{_e(NAMES[k])}</span>' for k in keys
    )
    return f'<p class="legend">{items}</p>'


def _table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    numeric: Collection[int] = (),
    user_text: Collection[int] = (),
) -> str:
    """A table; every cell escaped, `user_text` columns with dir="auto" (Arabic reads RTL)."""

    def cell(tag: str, i: int, value: object) -> str:
        attrs = (' class="num"' if i in numeric else "") + (' dir="auto"' if i in user_text else "")
        return f"<{tag}{attrs}>{_e(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(title: str, note: str, *content: str) -> str:
    return (
        f'<section><h2>{_e(title)}</h2><p class="note">{_e(note)}</p>{"".join(content)}</section>'
    )


def _outcome_rows(rows: Sequence[Outcomes]) -> list[list[object]]:
    return [
        [r.key, f"{r.total:,}", *(f"{getattr(r, o):,} ({_pct(r.share(o))})" for o in OUTCOMES)]
        for r in rows
    ]


def _summary(r: Report) -> str:
    cards = [
        (f"{r.total:,}", "questions"),
        (f"{r.people:,}", "people asking"),
        (_pct(r.share("answered")), "answered"),
        (_pct(r.share("suggest")), "suggestions only"),
        (_pct(r.share("unanswered")), "unanswered"),
        (_pct(r.helpful_rate), f"helpful ({r.votes:,} votes)"),
        (_ms(r.median_ms), "median reply time"),
        (_ms(r.p90_ms), "90% of replies within"),
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><b>{_e(value)}</b><span>{_e(label)}</span></div>'
            for value, label in cards
        )
        + "</div>"
    )


def _days_section(r: Report) -> str:
    if not r.total:
        return _section("Questions per day", "No questions in this period.")
    return _section(
        "Questions per day",
        "Each bar is one day (UTC), split by outcome. Hover for numbers.",
        _legend(OUTCOMES),
        per_day_bars(r.days),
        "<h2>Outcome shares per day</h2>",
        share_lines(r.days),
        "<details><summary>Table</summary>",
        _table(
            ["day", "questions", *(NAMES[o] for o in OUTCOMES)],
            _outcome_rows(r.days),
            numeric={1, 2, 3, 4, 5},
        ),
        "</details>",
    )


def _languages_section(r: Report) -> str:
    rows = [
        (
            lang.key,
            [
                (getattr(lang, o), COLOURS[o], f"{lang.key}: {getattr(lang, o):,} {NAMES[o]}")
                for o in OUTCOMES
            ],
            f"{lang.total:,}",
        )
        for lang in r.languages
    ]
    return _section(
        "Languages",
        "Questions by the language they were answered in, split by outcome.",
        _legend(OUTCOMES),
        hbars(rows, "Questions by language") if rows else "",
        _table(
            ["language", "questions", *(NAMES[o] for o in OUTCOMES)],
            _outcome_rows(r.languages),
            numeric={1, 2, 3, 4, 5},
        ),
    )


def _unanswered_section(r: Report) -> str:
    rows = [
        [i, c.label, c.count, " ".join(c.languages), " | ".join(c.examples)]
        for i, c in enumerate(r.clusters, 1)
    ]
    return _section(
        "Top unanswered questions",
        f"{r.unanswered_total:,} questions found no answer; the most asked, with similar "
        "wordings grouped. Candidates for new knowledge base entries.",
        _table(
            ["#", "question", "times", "languages", "other wordings"],
            rows,
            numeric={0, 2},
            user_text={1, 4},
        )
        if rows
        else "",
    )


def _entries_section(r: Report) -> str:
    bars = [
        (
            s.entry_id,
            [(s.uses, COLOURS["answered"], f"{s.entry_id}: {s.uses:,} answers")],
            f"{s.uses:,}",
        )
        for s in r.top_entries
    ]
    rows = [
        [s.entry_id, s.question, f"{s.uses:,}", f"{s.votes:,}", _pct(s.helpful_rate)]
        for s in r.top_entries
    ]
    header = ["entry", "question", "answers", "votes", "helpful"]
    return _section(
        "Most used entries",
        "The knowledge base entries given as answers most often.",
        hbars(bars, "Most used entries") if bars else "",
        _table(header, rows, numeric={2, 3, 4}, user_text={1}) if rows else "",
    )


def _long_table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    numeric: Collection[int],
    user_text: Collection[int],
    shown: int = 20,
) -> str:
    """The first `shown` rows, and the rest folded away under a <details>."""
    if not rows:
        return ""
    html = _table(header, rows[:shown], numeric, user_text)
    if len(rows) > shown:
        html += (
            f"<details><summary>{len(rows) - shown} more</summary>"
            f"{_table(header, rows[shown:], numeric, user_text)}</details>"
        )
    return html


def _feedback_section(r: Report) -> str:
    rows = [
        [s.entry_id, s.question, f"{s.votes:,}", f"{s.votes - s.helpful:,}", _pct(s.helpful_rate)]
        for s in r.entry_feedback
    ]
    return _section(
        "Helpful feedback",
        f"Overall {_pct(r.helpful_rate)} of {r.votes:,} votes said the answer helped. "
        'Per entry, the most "not helpful" votes first.',
        _long_table(
            ["entry", "question", "votes", "not helpful", "helpful"],
            rows,
            numeric={2, 3, 4},
            user_text={1},
        ),
    )


def _sources_section(r: Report) -> str:
    total = sum(n for _, n in r.text_sources)
    rows = [
        (
            NAMES.get(s, s),
            [(n, COLOURS.get(s, "#607d8b"), f"{n:,} answers")],
            f"{n:,} ({_pct(n / total)})",
        )
        for s, n in r.text_sources
    ]
    timing = (
        f"Reply time over {r.replies_timed:,} questions: median {_ms(r.median_ms)}, "
        f"90th percentile {_ms(r.p90_ms)}."
    )
    return _section(
        "Answer texts and reply time",
        "Where the text of each answer came from: the knowledge base's own language, "
        "a translation, or the original text because no translation exists yet. " + timing,
        hbars(rows, "Answer text source") if rows else "",
    )


def _stale_section(r: Report) -> str:
    if not r.kb_loaded:
        return _section("Entries due for review", "The knowledge base was not loaded.")
    rows = [
        [s.entry_id, s.topic, s.question, s.reviewed.isoformat(), f"{s.age_days:,}"]
        for s in r.stale_entries
    ]
    note = (
        f"{len(rows)} entries were last reviewed more than {r.review_age_days} days ago."
        if rows
        else f"Every entry was reviewed in the last {r.review_age_days} days."
    )
    return _section(
        "Entries due for review",
        note,
        _long_table(
            ["entry", "topic", "question", "reviewed", "days ago"],
            rows,
            numeric={3, 4},
            user_text={2},
        ),
    )


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, nothing to fetch)."""
    since, until = (_iso(t).replace("T", " ")[:16] for t in (report.since, report.now))
    days = len(report.days)
    sections = [
        f"<section><h2>Summary</h2>{_summary(report)}</section>",
        _days_section(report),
        _languages_section(report),
        _unanswered_section(report),
        _entries_section(report),
        _feedback_section(report),
        _sources_section(report),
        _stale_section(report),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>FAQ bot report {_e(since[:10])} to {_e(until[:10])}</title>"
        f"<style>{CSS}</style></head><body>"
        f"<header><h1>FAQ bot report</h1><p>Period: {_e(since)} to {_e(until)} UTC "
        f"({days} day{'s' if days != 1 else ''}) · generated {_e(until)} UTC</p></header>"
        f"<main>{''.join(sections)}</main>"
        "<footer>Question texts are shown as logged, with personal data redacted. People are "
        "counted by pseudonymous key only; no Telegram id is stored or shown.</footer>"
        "</body></html>\n"
    )
