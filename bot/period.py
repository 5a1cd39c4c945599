"""Periods as people type them: `30d` back from now, or a UTC date or time.

One parser for every adapter: the CLI's `--since` (bot/cli/common.py) and the console's
report filters (bot/web/reports.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

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
        try:
            return now - timedelta(**{_UNITS[span[2]]: int(span[1])})
        except OverflowError:
            raise ValueError(f"{text!r} reaches back before the year 1") from None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a time span like 90m, 24h, 30d or 2w nor a date like 2026-11-01"
        ) from None
    try:
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        where = "in the future" if moment.year > 1 else "before the year 1 in UTC"
        raise ValueError(f"{text!r} is {where}") from None
    if moment > now:
        raise ValueError(f"{text} is in the future")
    return moment


def parse_until(value: str, now: datetime) -> datetime:
    """The end of a period: a UTC date (its last second) or date-time, at most `now`;
    empty means `now`. ValueError, with the reason, otherwise."""
    text = str(value).strip()
    if not text:
        return now
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date like 2026-11-01 or 2026-11-01T18:00") from None
    try:
        if len(text) == 10:  # a date alone: up to the end of that day
            moment += timedelta(days=1, seconds=-1)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # the last day of year 9999, or before the year 1 in UTC
        if moment.year > 1:
            return now
        raise ValueError(f"{text!r} is before the year 1 in UTC") from None
    return min(moment, now)
