"""The managers' report: what was asked, what was answered and what is missing.

`build_report()` reads the question log with a few GROUP BY queries in SQLite (one pass over
the period's rows each, never a Python loop over rows), so a million interactions take
seconds. `render_html()` turns the result into one self-contained page (bot/report_html.py).
`write_csv()` writes the same tables as CSV files.

Privacy: the report shows counts and question texts (already redacted when logged), never a
user: people are only counted, by their pseudonymous key.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from bot.counting import OUTCOMES, browsed, in_inbox, log_columns, outcome, questions, waiting
from bot.kbstats import StaleTranslation, stale_translations
from bot.knowledge import KnowledgeBase
from bot.normalize import normalize
from bot.staffwork import StaffWork, staff_work, total

# The channels a question can come through, as the log stores them: Telegram, the web chat,
# and the terminal (`python -m bot chat`, `python -m bot ask --log`). "cli", what the terminal
# is often called, means the terminal (`channel_of`).
CHANNELS = ("telegram", "web", "terminal")
CHANNEL_ALIASES = {"cli": "terminal"}
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")  # en, zh, pt-BR, zh-Hant
# Why an answer got a 👎 (bot/storage_schema.py FEEDBACK_REASONS), in the plain words staff
# read: the English is the console catalogs' key (bot/web/locale).
REASON_LABELS = {"wrong": "wrong answer", "outdated": "out of date", "not_mine": "not my question"}
TOP_CLUSTERS = 20
TOP_ENTRIES = 20
MIN_VOTES = 5  # fewer votes than this: an entry's helpfulness is shown but not ranked
WILSON_Z = 1.96  # 95% confidence


class ReportError(Exception):
    """The database is missing or is not the bot's database."""


def channel_of(value: str) -> str:
    """The channel the log stores for `value` (any case; "cli" is the terminal); ValueError
    for a channel the bot does not have."""
    name = value.strip().lower()
    name = CHANNEL_ALIASES.get(name, name)
    if name not in CHANNELS:
        raise ValueError(f"{value!r} is not a channel: choose {', '.join(CHANNELS)}")
    return name


def language_code(value: str) -> str | None:
    """A language code as the log writes it, whatever its case ("EN" is en, "ZH-hant"
    zh-hant: the region kept as typed), for the report's language filter (the console's and
    the CLI's); None for none (blank); ValueError for what is no language code."""
    primary, dash, rest = value.strip().partition("-")
    code = primary.lower() + dash + rest
    if not code:
        return None
    if not LANGUAGE_CODE.match(code):
        raise ValueError(f"{value.strip()!r} is not a language code (e.g. en, zh, vi)")
    return code


@dataclass(frozen=True)
class Outcomes:
    """Questions of one day (`key` = YYYY-MM-DD, in the report's `zone`) or one language, by
    outcome."""

    key: str
    total: int
    answered: int
    chosen: int  # answered after a suggestion
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
    # the reasons given with 👎 and how often, most given first: (("outdated", 2), ("wrong", 1))
    reasons: tuple[tuple[str, int], ...] = ()

    @property
    def helpful_rate(self) -> float | None:
        return self.helpful / self.votes if self.votes else None

    @property
    def helpful_low(self) -> float | None:
        """The Wilson lower bound of the helpful share: what the votes support with 95%
        confidence, so 1 of 1 ranks below 40 of 45."""
        return wilson_lower_bound(self.helpful, self.votes)

    @property
    def ranked(self) -> bool:
        return self.votes >= MIN_VOTES


def reasons_text(reasons: Sequence[tuple[str, int]], say: Callable[..., str] | None = None) -> str:
    """👎 reasons with their counts in plain words, most given first: "out of date 2, wrong
    answer 1" (in `say`'s language); a code without a label as it is."""
    say = say or (lambda text: text)
    return ", ".join(
        f"{say(REASON_LABELS[r]) if r in REASON_LABELS else r} {n}" for r, n in reasons
    )


def wilson_lower_bound(positive: int, total: int, z: float = WILSON_Z) -> float | None:
    """Lower bound of the Wilson score interval for `positive` of `total`; None for 0."""
    if not total:
        return None
    p = positive / total
    centre = p + z * z / (2 * total)
    spread = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return max(0.0, (centre - spread) / (1 + z * z / total))


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
    # still in the inbox (bot/counting.py in_inbox), as the inbox groups them: biggest
    # first, at most TOP_CLUSTERS
    clusters: tuple[Cluster, ...]
    unanswered_total: int
    top_entries: tuple[EntryStats, ...]  # most used first, at most TOP_ENTRIES
    # every entry with votes: those with MIN_VOTES or more first, least helpful (Wilson
    # lower bound) first; then those with fewer votes, most "not helpful" first
    entry_feedback: tuple[EntryStats, ...]
    votes: int
    helpful: int
    replies_timed: int  # matching time (took_ms): the answering core only
    median_ms: float | None
    p90_ms: float | None
    waits_timed: int  # the user's wait (waited_ms): message in to reply out
    wait_median_ms: float | None
    wait_p90_ms: float | None
    # the period's unanswered questions whose askers still wait for staff: in the inbox and
    # neither answered nor closed on the console's handoffs (bot/counting.py waiting)
    unanswered_open: int
    text_sources: tuple[tuple[str, int], ...]  # (original|curated|machine|source, answers)
    stale_entries: tuple[StaleEntry, ...]  # oldest review first
    kb_loaded: bool
    # curated translations made from an older text of their entry (bot/kbstats.py)
    stale_translations: tuple[StaleTranslation, ...] = ()
    language: str | None = None  # the filters the report was built with; None: every one
    channel: str | None = None
    browsed: int = 0  # entries opened while browsing the topics: no questions, counted apart
    # the period's unanswered questions still in the inbox: not yet added to an entry nor
    # set aside, whether or not their askers got a reply on the handoffs (`clusters`)
    unanswered_in_inbox: int = 0
    # what each staff member did in the period, most work first (bot/staffwork.py); every
    # language and channel, whatever the filters
    staff: tuple[StaffWork, ...] = ()
    zone: dt.tzinfo = dt.UTC  # the time zone of its days (`days`) and of its CSV times

    @property
    def staff_total(self) -> StaffWork:
        return total(self.staff)

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
    missing = {"interactions", "feedback", "unanswered"} - names
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


@dataclass(frozen=True)
class _Where:
    """The period, and the language and channel filters (NULL: every one), as SQL for this
    log's columns. The unanswered queue has no channel of its own: its interaction's is
    used. A question written in a language the bot does not configure (`written_in`:
    Vietnamese, answered in English) counts under that language in the table by language and
    the unanswered clusters, and the language filter keeps it under both (an older log has no
    `written_in`)."""

    period: str  # on interactions
    period_i: str  # on interactions AS i
    period_u: str  # on unanswered
    language: str  # an interaction's language in the table by language
    language_u: str  # a queued question's language (its interaction's written_in, if any)


def _where(columns: set[str]) -> _Where:
    written = "written_in" in columns

    def language(p: str) -> str:
        either = f" OR {p}written_in = :language" if written else ""
        return f"(:language IS NULL OR {p}language = :language{either})"

    queued = (
        " OR interaction_id IN (SELECT id FROM interactions WHERE written_in = :language)"
        if written
        else ""
    )
    return _Where(
        period=f"time >= :since AND time <= :until AND {language('')} "
        "AND (:channel IS NULL OR channel = :channel)",
        period_i=f"i.time >= :since AND i.time <= :until AND {language('i.')} "
        "AND (:channel IS NULL OR i.channel = :channel)",
        period_u=f"time >= :since AND time <= :until "
        f"AND (:language IS NULL OR language = :language{queued}) AND (:channel IS NULL OR "
        "interaction_id IN (SELECT id FROM interactions WHERE channel = :channel))",
        language="coalesce(written_in, language)" if written else "language",
        language_u=(
            "coalesce((SELECT written_in FROM interactions i "
            "WHERE i.id = unanswered.interaction_id), language)"
            if written
            else "language"
        ),
    )


def _counts(columns: set[str]) -> str:
    """count(*) AS total and one sum per outcome, for a SELECT over questions."""
    ended = outcome(columns)
    return "count(*) AS total, " + ", ".join(f"sum({ended} = '{o}') AS {o}" for o in OUTCOMES)


def _offset_changes(
    zone: dt.tzinfo, since: dt.datetime, now: dt.datetime
) -> list[tuple[dt.datetime, int]]:
    """The UTC offset of `zone` (in minutes) from `since` on, and each instant it changes
    (daylight saving time) up to `now`: [(since, offset), (change, offset), ...]."""

    def offset(moment: dt.datetime) -> int:
        try:
            found = moment.astimezone(zone).utcoffset()
        except OverflowError:  # the first or last day there is
            return 0
        return int(found.total_seconds() // 60) if found is not None else 0

    changes = [(since, offset(since))]
    day, second = since, dt.timedelta(seconds=1)
    while day < now:  # a week at a time: no zone changes its offset twice in one
        step = now if now - day < dt.timedelta(days=7) else day + dt.timedelta(days=7)
        if offset(step) != changes[-1][1]:
            low, high = day, step  # the change is after low, at or before high
            while high - low > second:
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == changes[-1][1] else (low, middle)
            change = high.replace(microsecond=0)  # changes fall on a whole second
            change += second if offset(change) == changes[-1][1] else dt.timedelta(0)
            changes.append((change, offset(change)))
        day = step
    return changes


def _local_day(zone: dt.tzinfo, since: dt.datetime, now: dt.datetime) -> str:
    """SQL for an interaction's day (YYYY-MM-DD) in `zone`, as its `time` (UTC) falls."""
    changes = _offset_changes(zone, since, now)
    cases = " ".join(
        f"WHEN time >= '{_iso(start)}' THEN '{minutes:+d} minutes'"
        for start, minutes in reversed(changes[1:])
    )
    modifier = f"CASE {cases} ELSE '{changes[0][1]:+d} minutes' END" if cases else None
    if modifier is None and changes[0][1] == 0:
        return "substr(time, 1, 10)"
    return f"date(time, {modifier or repr(f'{changes[0][1]:+d} minutes')})"


def _outcomes(
    conn: sqlite3.Connection, params: dict, columns: set[str], where: _Where, day: str
) -> tuple[list[Outcomes], list[Outcomes]]:
    """Outcomes per day (`day`: SQL for a row's day; in order) and per language (most
    questions first), from one GROUP BY over the period's questions (days x languages rows,
    added up here)."""
    by_day: dict[str, list[int]] = {}
    by_language: dict[str, list[int]] = {}
    sql = (
        f"SELECT {day}, {where.language}, {_counts(columns)} FROM interactions "
        f"WHERE {where.period} "
        f"AND {questions(columns)} GROUP BY 1, 2"
    )
    for day, language, *counts in conn.execute(sql, params):
        for table, key in ((by_day, day), (by_language, language)):
            sums = table.setdefault(key, [0] * len(counts))
            for i, count in enumerate(counts):
                sums[i] += count
    days = [Outcomes(key, *sums) for key, sums in sorted(by_day.items())]
    languages = [Outcomes(key, *sums) for key, sums in by_language.items()]
    languages.sort(key=lambda o: (-o.total, o.key))
    return days, languages


def _every_day(
    found: list[Outcomes], since: dt.datetime, now: dt.datetime, zone: dt.tzinfo
) -> list[Outcomes]:
    by_day = {day.key: day for day in found}
    first, last = (dt.datetime.fromisoformat(_iso(t)).astimezone(zone).date() for t in (since, now))
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return [by_day.get(d.isoformat(), Outcomes(d.isoformat(), 0, 0, 0, 0, 0, 0)) for d in days]


Times = tuple[int, float | None, float | None]


def _ranks(values: np.ndarray) -> Times:
    """Count, median (mean of the two middle values for an even count) and p90 (nearest
    rank) of sorted `values`."""
    n = len(values)
    if not n:
        return 0, None, None
    low, high, p90 = (n + 1) // 2, n // 2 + 1, math.ceil(0.9 * n)
    return n, float(values[low - 1] + values[high - 1]) / 2, float(values[p90 - 1])


def _reply_times(
    conn: sqlite3.Connection, params: dict, waited: bool, messages: str, where: _Where
) -> tuple[Times, Times]:
    """Matching time (took_ms) and the users' wait (waited_ms, when the log has it): one
    pass over the period and a sort in numpy, several times faster than SQLite's window
    functions over a hundred thousand rows."""
    second = "waited_ms" if waited else "NULL"
    rows = conn.execute(
        f"SELECT took_ms, {second} FROM interactions WHERE {where.period} AND {messages} "
        f"AND (took_ms IS NOT NULL OR {second} IS NOT NULL)",
        params,
    ).fetchall()
    table = np.array(rows, dtype=float).reshape(-1, 2)
    took, wait = (np.sort(column[~np.isnan(column)]) for column in table.T)
    return _ranks(took), _ranks(wait)


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


def _clusters(
    conn: sqlite3.Connection,
    params: dict,
    clusterer: Clusterer | None,
    where: _Where,
    columns: set[str],
) -> list[Cluster]:
    items = [
        UnansweredItem(*row)
        for row in conn.execute(
            f"SELECT question, {where.language_u}, count(*) FROM unanswered "
            f"WHERE {in_inbox(columns)} AND {where.period_u} GROUP BY 1, 2",
            params,
        )
    ]
    groups = (clusterer or group_by_normalized)(items)
    clusters = [_cluster(group) for group in groups if group]
    clusters.sort(key=lambda c: (-c.count, c.label))
    return clusters[:TOP_CLUSTERS]


def _entries(
    conn: sqlite3.Connection, params: dict, kb: KnowledgeBase | None, where: _Where
) -> tuple[list[EntryStats], list[EntryStats]]:
    uses = dict(
        conn.execute(
            "SELECT entry_id, count(*) FROM interactions WHERE entry_id IS NOT NULL "
            f"AND {where.period} "
            "GROUP BY entry_id",
            params,
        )
    )
    votes = {
        row[0]: row[1:]
        for row in conn.execute(
            "SELECT i.entry_id, count(*), sum(f.helpful) FROM feedback f "
            "JOIN interactions i ON i.id = f.interaction_id "
            f"WHERE i.entry_id IS NOT NULL AND {where.period_i} "
            "GROUP BY i.entry_id",
            params,
        )
    }
    reasons = _reasons(conn, params, where)
    by_id = kb.by_id if kb else {}

    def stats(entry_id: str) -> EntryStats:
        entry = by_id.get(entry_id)
        n, helpful = votes.get(entry_id, (0, 0))
        return EntryStats(
            entry_id,
            entry.question if entry else "",
            uses.get(entry_id, 0),
            n,
            helpful,
            reasons.get(entry_id, ()),
        )

    top = sorted(uses, key=lambda e: (-uses[e], e))[:TOP_ENTRIES]
    everyone = [stats(e) for e in votes]
    rated = sorted((s for s in everyone if s.ranked), key=lambda s: (s.helpful_low, s.entry_id))
    rated += sorted(
        (s for s in everyone if not s.ranked),
        key=lambda s: (s.helpful - s.votes, s.helpful_rate, s.entry_id),
    )
    return [stats(e) for e in top], rated


def _reasons(
    conn: sqlite3.Connection, params: dict, where: _Where
) -> dict[str, tuple[tuple[str, int], ...]]:
    """Each entry's 👎 reasons with their counts, most given first (("outdated", 2),
    ("wrong", 1)); nothing for a database from before reasons were stored."""
    if "reason" not in {row[1] for row in conn.execute("PRAGMA table_info(feedback)")}:
        return {}
    counted: dict[str, list[tuple[str, int]]] = {}
    for entry_id, reason, n in conn.execute(
        "SELECT i.entry_id, f.reason, count(*) AS n FROM feedback f "
        "JOIN interactions i ON i.id = f.interaction_id "
        f"WHERE i.entry_id IS NOT NULL AND f.reason IS NOT NULL AND {where.period_i} "
        "GROUP BY i.entry_id, f.reason ORDER BY i.entry_id, n DESC, f.reason",
        params,
    ):
        counted.setdefault(entry_id, []).append((reason, n))
    return {entry_id: tuple(parts) for entry_id, parts in counted.items()}


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
    language: str | None = None,
    channel: str | None = None,
    zone: dt.tzinfo = dt.UTC,
) -> Report:
    """The report on the questions logged from `since` to `now` (both included).

    `kb` supplies entry questions and review dates (None leaves them out). `clusterer`
    groups the period's unanswered wordings (`UnansweredItem`s) into clusters, each a
    sequence of items; the default groups wordings equal after normalisation. `language`
    and `channel` keep only the questions asked in that language or through that channel.
    Its days (per day, the age of reviews) are those of `zone`, the console's time zone.
    """
    if since > now:
        raise ValueError(f"the period starts ({since}) after it ends ({now})")
    params = {
        "since": _iso(since),
        "until": _iso(now),
        "language": language or None,
        "channel": channel or None,
    }
    conn = open_readonly(db_path)
    try:
        conn.execute("BEGIN")  # one snapshot for every figure, while the bot goes on logging
        columns = log_columns(conn)
        messages = questions(columns)
        where = _where(columns)
        day = _local_day(zone, since, now)
        found_days, languages = _outcomes(conn, params, columns, where, day)
        days = _every_day(found_days, since, now, zone)
        total = sum(day.total for day in days)
        people = conn.execute(
            f"SELECT count(DISTINCT user_key) FROM interactions WHERE {where.period} "
            f"AND {messages}",
            params,
        ).fetchone()[0]
        top, rated = _entries(conn, params, kb, where)
        votes, helpful = conn.execute(
            "SELECT count(*), coalesce(sum(f.helpful), 0) FROM feedback f "
            "JOIN interactions i ON i.id = f.interaction_id "
            f"WHERE {where.period_i}",
            params,
        ).fetchone()
        (timed, median, p90), (waits, wait_median, wait_p90) = _reply_times(
            conn, params, "waited_ms" in columns, messages, where
        )
        unanswered_open = conn.execute(
            f"SELECT count(*) FROM unanswered WHERE {waiting(conn, columns)} AND {where.period_u}",
            params,
        ).fetchone()[0]
        in_the_inbox = conn.execute(
            f"SELECT count(*) FROM unanswered WHERE {in_inbox(columns)} AND {where.period_u}",
            params,
        ).fetchone()[0]
        sources = conn.execute(
            f"SELECT text_source, count(*) AS n FROM interactions WHERE text_source IS NOT NULL "
            f"AND {where.period} GROUP BY text_source ORDER BY n DESC, text_source",
            params,
        ).fetchall()
        clusters = _clusters(conn, params, clusterer, where, columns)
        opened = browsed(conn, columns, where.period, params)
        staff = staff_work(conn, _iso(since), _iso(now))
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
        waits_timed=waits,
        wait_median_ms=wait_median,
        wait_p90_ms=wait_p90,
        unanswered_open=unanswered_open,
        text_sources=tuple(map(tuple, sources)),
        stale_entries=tuple(_stale(kb, now.astimezone(zone).date(), review_age_days)),
        kb_loaded=kb is not None,
        stale_translations=tuple(stale_translations(kb)) if kb is not None else (),
        language=language or None,
        channel=channel or None,
        browsed=opened,
        unanswered_in_inbox=in_the_inbox,
        staff=staff,
        zone=zone,
    )


# CSV ----------------------------------------------------------------------------------------


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"


def _local_iso(moment: dt.datetime, zone: dt.tzinfo) -> str:
    """ISO 8601 to the second in `zone`, its offset said: 2026-11-30T00:00:00+08:00."""
    return dt.datetime.fromisoformat(_iso(moment)).astimezone(zone).isoformat(timespec="seconds")


def _round(value: float | None) -> object:
    return "" if value is None else round(value, 3)


# The staff work table's columns (StaffWork's counts), and its last row, everyone's together
# (no account name has brackets: bot/accounts.py NAME_PATTERN).
STAFF_COLUMNS = (
    "replies_sent", "replies_delivered", "handoffs_closed", "questions_added_to_entries",
    "entries_from_questions", "questions_set_aside", "user_choices_accepted",
    "user_choices_set_aside", "entry_changes", "entries_created", "translations_saved",
)  # fmt: skip
ALL_STAFF = "(all staff)"


def tables(report: Report) -> dict[str, tuple[list[str], list[list]]]:
    """Every table of the report by file stem: (header, rows)."""
    outcome_header = ["total", *OUTCOMES, *(f"{o}_pct" for o in OUTCOMES)]

    def outcome_rows(rows: Sequence[Outcomes]) -> list[list]:
        return [[*astuple(r), *(_percent(r.share(o)) for o in OUTCOMES)] for r in rows]

    def entry_rows(rows: Sequence[EntryStats]) -> list[list]:
        return [
            [
                *astuple(r)[:-1],
                _percent(r.helpful_rate),
                _percent(r.helpful_low),
                reasons_text(r.reasons),
                ", ".join(f"{code} {n}" for code, n in r.reasons),
            ]
            for r in rows
        ]

    # the 👎 reasons last (newer columns): in plain words, and as the log stores them
    entry_header = [f.name for f in fields(EntryStats)][:-1]
    entry_header += ["helpful_pct", "helpful_low_pct", "reasons", "reason_codes"]
    summary: list[list[Any]] = [
        ["since", _local_iso(report.since, report.zone)],  # as the page's period says
        ["until", _local_iso(report.now, report.zone)],
        ["language", report.language or "all"],  # the filters it was built with
        ["channel", report.channel or "all"],
        ["questions", report.total],
        ["people", report.people],
        *([f"{o}_pct", _percent(report.share(o))] for o in OUTCOMES),
        ["votes", report.votes],
        ["helpful", report.helpful],
        ["helpful_pct", _percent(report.helpful_rate)],
        ["replies_timed", report.replies_timed],
        ["median_ms", "" if report.median_ms is None else round(report.median_ms, 3)],
        ["p90_ms", "" if report.p90_ms is None else round(report.p90_ms, 3)],
        ["waits_timed", report.waits_timed],
        ["wait_median_ms", _round(report.wait_median_ms)],
        ["wait_p90_ms", _round(report.wait_p90_ms)],
        ["unanswered_open", report.unanswered_open],
        ["unanswered_in_inbox", report.unanswered_in_inbox],
        ["browsed", report.browsed],  # entries opened from the topics: not in `questions`
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
        "reply_times": (
            ["measure", "timed", "median_ms", "p90_ms"],
            [
                ["wait", report.waits_timed, _round(report.wait_median_ms)]
                + [_round(report.wait_p90_ms)],
                ["matching", report.replies_timed, _round(report.median_ms)]
                + [_round(report.p90_ms)],
            ],
        ),
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
        "stale_translations": (
            [f.name for f in fields(StaleTranslation)],
            [list(astuple(s)) for s in report.stale_translations],
        ),
        "staff_work": (
            ["staff", *STAFF_COLUMNS],
            [[w.name, *w.counts] for w in report.staff]
            + ([[ALL_STAFF, *report.staff_total.counts]] if report.staff else []),
        ),
    }


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell no spreadsheet runs as a formula: text starting with = + - @ tab or CR (a
    user's question can) gets a leading apostrophe. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(header: list[str], rows: list[list]) -> str:
    """UTF-8 CSV with a byte-order mark (so spreadsheets read Chinese, Russian and Arabic
    right) and a header row; text cells that a spreadsheet would run as a formula start
    with an apostrophe (`csv_cell`)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def write_csv(report: Report, folder: Path) -> list[Path]:
    """One CSV file per table, as the console's CSV links give them (`csv_text`); returns
    the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (header, rows) in tables(report).items():
        path = folder / f"{name}.csv"
        path.write_text(csv_text(header, rows), encoding="utf-8", newline="")
        written.append(path)
    return written


def render_html(
    report: Report,
    say: Callable[..., str] | None = None,
    language: str = "en",
    zone: dt.tzinfo = dt.UTC,
) -> str:
    """The report as one self-contained HTML page (see bot/report_html.py), its words
    through `say` (English without it) in `language`, its period in `zone`."""
    from bot.report_html import render_html as render

    return render(report, say, language, zone)
