"""The staff digest: a short daily or weekly summary for the staff chat.

`build_digest()` reads the question log (read-only, like the report) for the last day or
week: new gaps (unanswered wordings first asked in the period), trending entries (used more
than in the period before), 👎 with their reasons, the suggestions chosen by users waiting for
review (bot/choices.py: the console's "Chosen by users" page), and open handoffs when a
handoff table exists (bot/handoffstore.py). `render_digest()` writes it as plain text in
the language of the `gettext` given (the staff interface's: the console catalogs). Adapters
post it (bot/telegram/digest.py) or print it (`python -m bot report --digest`).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot import messages, times
from bot.counting import browsed, log_columns, outcome, questions, waiting
from bot.handoffstore import open_counts
from bot.knowledge import KnowledgeBase
from bot.report import _iso, open_readonly, reasons_text

PERIODS = {"daily": dt.timedelta(days=1), "weekly": dt.timedelta(days=7)}
SCHEDULES = ("daily", "weekly", "off")
TOP = 5

HandoffCounts = Callable[[sqlite3.Connection], Mapping[str, int] | None]
Gettext = Callable[..., str]


@dataclass(frozen=True)
class Gap:
    """An unanswered wording first asked in the period."""

    question: str
    count: int
    languages: tuple[str, ...]


@dataclass(frozen=True)
class Trend:
    entry_id: str
    question: str
    count: int
    before: int  # uses in the period of the same length before


@dataclass(frozen=True)
class Disliked:
    entry_id: str
    question: str
    count: int
    reasons: tuple[tuple[str, int], ...]  # (("outdated", 2), ("wrong", 1)): most given first


@dataclass(frozen=True)
class Digest:
    period: str  # daily | weekly, or "period" for one given by its start (`build_digest`)
    since: dt.datetime
    now: dt.datetime
    questions: int
    answered: int  # directly or after a suggestion
    unanswered: int
    new_gaps: tuple[Gap, ...]
    gaps_total: int  # new gap wordings, beyond the TOP shown
    trending: tuple[Trend, ...]
    thumbs_down: int
    reasons: tuple[tuple[str, int], ...]  # codes, most given first; "" for none given
    disliked: tuple[Disliked, ...]
    handoffs: Mapping[str, int] | None  # open handoffs by state; None: no handoff table
    choices_waiting: int = 0  # chosen suggestions not yet accepted or set aside, any time
    chosen: int = 0  # of `answered`: answered after a suggestion the user chose
    browsed: int = 0  # entries opened while browsing the topics (not in `questions`)
    # The other outcomes (bot/counting.py OUTCOMES), so that the figures add up to
    # `questions`: a "did you mean" list from which nothing was chosen, and small talk.
    suggested: int = 0
    smalltalk: int = 0


def handoff_table_counts(conn: sqlite3.Connection) -> Mapping[str, int] | None:
    """Open handoffs (bot/handoffstore.py: new, claimed) by state, every queued question
    and message to staff counted whether or not the console's handoff list has been opened
    since it came (`open_counts`); None when the database has no handoff table (one from
    before handoffs)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(handoffs)")}
    if "state" not in columns:
        return None
    return open_counts(conn)


def _choices_waiting(conn: sqlite3.Connection) -> int:
    """Chosen suggestions not yet accepted or set aside; 0 for a database from before them."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'choices'").fetchone():
        return 0
    return conn.execute("SELECT count(*) FROM choices WHERE status = 'new'").fetchone()[0]


def _question(kb: KnowledgeBase | None, entry_id: str) -> str:
    entry = kb.by_id.get(entry_id) if kb else None
    return entry.question if entry else ""


def _gaps(conn: sqlite3.Connection, params: dict) -> tuple[list[Gap], int]:
    """The first TOP new unanswered wordings still waiting for staff, as the report counts
    them (most asked first, on a tie the latest asked) and how many there are, each with the
    languages it was written in (a Vietnamese question answered in English: vi, from its
    interaction's `written_in`); messages written to the staff on purpose are none."""
    columns = log_columns(conn)
    language = (
        "coalesce((SELECT written_in FROM interactions i WHERE i.id = u.interaction_id), "
        "u.language)"
        if "written_in" in columns
        else "u.language"
    )
    rows = conn.execute(
        f"SELECT wording, min(question), count(*) AS n, group_concat(DISTINCT {language}) "
        # still waiting for staff (bot/counting.py): a message to the staff is no gap in
        # the knowledge, nor is a question staff answered or closed on the handoffs
        f"FROM unanswered u WHERE {waiting(conn, columns, 'u')} "
        "AND time >= :since AND time <= :until "
        "AND wording IS NOT NULL AND NOT EXISTS (SELECT 1 FROM unanswered o "
        "WHERE o.wording = u.wording AND o.time < :since) "
        # most asked first; on a tie the latest asked, whatever its script
        "GROUP BY wording ORDER BY n DESC, max(u.time) DESC, max(u.id) DESC",
        params,
    ).fetchall()
    gaps = [Gap(question, n, tuple(sorted(langs.split(",")))) for _, question, n, langs in rows]
    return gaps[:TOP], len(gaps)


def _trending(conn: sqlite3.Connection, params: dict, kb: KnowledgeBase | None) -> list[Trend]:
    rows = conn.execute(
        "SELECT entry_id, sum(time >= :since) AS now_n, sum(time < :since) AS before_n "
        "FROM interactions WHERE entry_id IS NOT NULL AND time >= :before AND time <= :until "
        "GROUP BY entry_id HAVING now_n > before_n "
        "ORDER BY now_n - before_n DESC, now_n DESC, entry_id LIMIT :top",
        {**params, "top": TOP},
    ).fetchall()
    return [Trend(e, _question(kb, e), now_n, before_n) for e, now_n, before_n in rows]


def _thumbs_down(
    conn: sqlite3.Connection, params: dict, kb: KnowledgeBase | None
) -> tuple[int, list[tuple[str, int]], list[Disliked]]:
    down = "f.helpful = 0 AND f.time >= :since AND f.time <= :until"
    has_reason = "reason" in {row[1] for row in conn.execute("PRAGMA table_info(feedback)")}
    reason = "coalesce(f.reason, '')" if has_reason else "''"
    reasons = conn.execute(
        f"SELECT {reason} AS r, count(*) AS n FROM feedback f WHERE {down} "
        "GROUP BY r ORDER BY n DESC, r",
        params,
    ).fetchall()
    by_entry: dict[str, dict[str, int]] = {}
    for entry_id, why, n in conn.execute(
        f"SELECT i.entry_id, {reason}, count(*) FROM feedback f "
        f"JOIN interactions i ON i.id = f.interaction_id WHERE {down} "
        "AND i.entry_id IS NOT NULL GROUP BY 1, 2",
        params,
    ):
        by_entry.setdefault(entry_id, {})[why] = n
    disliked = [
        Disliked(
            entry_id,
            _question(kb, entry_id),
            sum(counts.values()),
            tuple(
                (why, n) for why, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if why
            ),
        )
        for entry_id, counts in by_entry.items()
    ]
    disliked.sort(key=lambda d: (-d.count, d.entry_id))
    return sum(n for _, n in reasons), [(r, n) for r, n in reasons], disliked[:TOP]


def build_digest(
    db_path: Path,
    kb: KnowledgeBase | None,
    *,
    period: str,
    now: dt.datetime,
    since: dt.datetime | None = None,
    handoffs: HandoffCounts | None = handoff_table_counts,
) -> Digest:
    """The digest of the day or week (`period`: daily | weekly) that ends `now`, or of the
    period from `since` to `now` when `since` is given (its trends compare it with the
    period of the same length before it, as a day's compare with the day before).

    `handoffs` counts the open handoffs by state from the (read-only) connection; the
    default reads a `handoffs` table where there is one; None leaves handoffs out."""
    if since is not None:
        if since >= now:
            raise ValueError(f"the period starts ({since}) at or after it ends ({now})")
        period = "period"
    elif period in PERIODS:
        since = now - PERIODS[period]
    else:
        raise ValueError(f"the digest period is daily or weekly, not {period!r}")
    try:
        before = since - (now - since)
    except OverflowError:  # a period reaching back to the first centuries
        before = dt.datetime.min.replace(tzinfo=dt.UTC)
    params = {"since": _iso(since), "until": _iso(now), "before": _iso(before)}
    conn = open_readonly(db_path)
    try:
        conn.execute("BEGIN")
        columns = log_columns(conn)
        ended = outcome(columns)  # counted as the report counts them (bot/counting.py)
        asked, answered, chosen, suggested, unanswered, smalltalk = conn.execute(
            f"SELECT count(*), coalesce(sum({ended} IN ('answered', 'chosen')), 0), "
            f"coalesce(sum({ended} = 'chosen'), 0), coalesce(sum({ended} = 'suggest'), 0), "
            f"coalesce(sum({ended} = 'unanswered'), 0), "
            f"coalesce(sum({ended} = 'smalltalk'), 0) FROM interactions "
            f"WHERE time >= :since AND time <= :until AND {questions(columns)}",
            params,
        ).fetchone()
        opened = browsed(conn, columns, "time >= :since AND time <= :until", params)
        gaps, gaps_total = _gaps(conn, params)
        trending = _trending(conn, params, kb)
        down, reasons, disliked = _thumbs_down(conn, params, kb)
        open_handoffs = handoffs(conn) if handoffs is not None else None
        choices_waiting = _choices_waiting(conn)
    finally:
        conn.close()
    return Digest(
        period=period,
        since=since,
        now=now,
        questions=asked,
        answered=answered,
        unanswered=unanswered,
        new_gaps=tuple(gaps),
        gaps_total=gaps_total,
        trending=tuple(trending),
        thumbs_down=down,
        reasons=tuple(reasons),
        disliked=tuple(disliked),
        handoffs=open_handoffs,
        choices_waiting=choices_waiting,
        chosen=chosen,
        browsed=opened,
        suggested=suggested,
        smalltalk=smalltalk,
    )


def english(text: str, **values: Any) -> str:
    return text.format(**values) if values else text


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render_digest(
    digest: Digest, _: Gettext = english, zone: dt.tzinfo = dt.UTC, language: str = "en"
) -> str:
    """The digest as plain text (no markup: safe to send as is), in `_`'s language
    (`language`: the languages questions were written in are named in it, as the console
    names them), its times in `zone` ([web] timezone)."""
    titles = {"daily": _("Daily digest"), "weekly": _("Weekly digest")}
    title = titles.get(digest.period) or _("Digest")
    share = f"{100 * digest.answered / digest.questions:.0f}%" if digest.questions else "–"
    # Every outcome the report counts, in its words: the figures add up to the questions.
    outcomes = {
        "n": digest.questions,
        "answered": digest.answered,
        "share": share,
        "suggested": digest.suggested,
        "unanswered": digest.unanswered,
        "smalltalk": digest.smalltalk,
    }
    figures = (
        _(
            "Questions: {n}; {answered} answered ({share}; {chosen} after a suggestion), "
            "{suggested} given only suggestions, {unanswered} unanswered, {smalltalk} small talk.",
            chosen=digest.chosen,
            **outcomes,
        )
        if digest.chosen
        else _(
            "Questions: {n}; {answered} answered ({share}), {suggested} given only suggestions, "
            "{unanswered} unanswered, {smalltalk} small talk.",
            **outcomes,
        )
    )
    lines = [
        f"{title}: {times.shown(digest.since, zone)} – {times.shown(digest.now, zone)} "
        f"{times.zone_label(zone, digest.now)}",
        figures,
    ]
    if digest.browsed:
        lines.append(_("Entries opened from the topics: {n}", n=digest.browsed))
    lines += [
        "",
        _("New gaps: {n}", n=digest.gaps_total),
    ]
    lines += [
        f"• {_short(g.question)} ×{g.count} "
        f"({', '.join(messages.language_name(code, language) for code in g.languages)})"
        for g in digest.new_gaps
    ]
    if digest.gaps_total > len(digest.new_gaps):
        lines.append(
            _(
                "… and {n} more (console: Inbox)",
                n=digest.gaps_total - len(digest.new_gaps),
            )
        )
    lines += ["", _("Trending questions:") if digest.trending else _("Trending questions: none")]
    lines += [
        f"• {_short(t.question or t.entry_id)} ({t.entry_id}) {t.before} → {t.count}"
        for t in digest.trending
    ]
    lines += ["", _("👎: {n}", n=digest.thumbs_down)]
    if digest.reasons:
        given = ", ".join(
            f"{_('no reason')} {n}" if not r else reasons_text([(r, n)], _)
            for r, n in digest.reasons
        )
        lines.append(_("Reasons: {reasons}", reasons=given))
    lines += [
        f"• {_short(d.question or d.entry_id)} ({d.entry_id}) ×{d.count}"
        + (f": {reasons_text(d.reasons, _)}" if d.reasons else "")
        for d in digest.disliked
    ]
    if digest.choices_waiting:
        lines += [
            "",
            _(
                "Suggestions chosen by users, waiting for review: {n} (console: Chosen by users)",
                n=digest.choices_waiting,
            ),
        ]
    if digest.handoffs is not None:
        total = sum(digest.handoffs.values())
        named = {"new": _("new"), "claimed": _("claimed")}  # in words, not the stored codes
        states = ", ".join(f"{named.get(state, state)} {n}" for state, n in digest.handoffs.items())
        lines += ["", _("Open handoffs: {n}", n=total) + (f" ({states})" if states else "")]
    return "\n".join(lines)


def next_run(now: dt.datetime, schedule: str, hour: int, zone: dt.tzinfo = dt.UTC) -> dt.datetime:
    """When the next digest is due after `now`, in UTC: every day at `hour` o'clock in
    `zone` ([web] timezone, the console's: 9 is nine in the morning there) for a daily
    digest, every Monday there for a weekly one. On the day a clock is put forward past
    `hour` it is due as much later (02:00 that does not exist is 03:00); on the day it is
    put back, at the first of the two."""
    if schedule not in PERIODS:
        raise ValueError(f"no digest is scheduled for {schedule!r}")
    day = now.astimezone(zone).date()
    while True:
        due = dt.datetime.combine(day, dt.time(hour), tzinfo=zone).astimezone(dt.UTC)
        if due > now and (schedule != "weekly" or day.weekday() == 0):
            return due
        day += dt.timedelta(days=1)
