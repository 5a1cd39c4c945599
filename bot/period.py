"""Periods as people type them: `30d` back from now, or a date or time.

One parser for every adapter: the CLI's `--since` (bot/cli/common.py, in UTC) and the
console's report filters (bot/web/reports.py, in `[web] timezone`). What cannot be read is a
`PeriodError`, whose `text` and `values` let an adapter say it in its reader's language.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

_SPAN = re.compile(r"(\d+)\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
SINCE_HELP = (
    "a span back from now (90m, 24h, 30d, 2w) or a UTC date or time (2026-11-01, 2026-11-01T09:00)"
)
EMPTY_SPAN = "{value} is an empty span: give at least 1{unit}"
BEFORE_YEAR_1 = "{value} reaches back before the year 1"
NOT_A_PERIOD = "{value} is neither a time span like 90m, 24h, 30d or 2w nor a date like 2026-11-01"
NOT_A_DATE = "{value} is not a date like 2026-11-01 or 2026-11-01T18:00"
IN_THE_FUTURE = "{value} is in the future"
BEFORE_YEAR_1_UTC = "{value} is before the year 1 in UTC"


class PeriodError(ValueError):
    """A period that cannot be read; `str()` says why in English, `text.format(**values)`
    is the same sentence for a catalog to translate."""

    def __init__(self, text: str, **values: str):
        self.text, self.values = text, values
        super().__init__(text.format(**values))


def parse_since(value: str, now: datetime, zone: tzinfo = UTC) -> datetime:
    """The start of a period ending `now`: a span back (`90m`, `24h`, `30d`, `2w`) or an ISO
    date / date-time (in `zone` without one of its own). PeriodError, with the reason,
    otherwise."""
    text = str(value).strip()
    span = _SPAN.fullmatch(text.lower())
    if span:
        if int(span[1]) < 1:
            raise PeriodError(EMPTY_SPAN, value=repr(text), unit=span[2])
        try:
            return now - timedelta(**{_UNITS[span[2]]: int(span[1])})
        except OverflowError:
            raise PeriodError(BEFORE_YEAR_1, value=repr(text)) from None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PeriodError(NOT_A_PERIOD, value=repr(text)) from None
    try:
        moment = (moment.replace(tzinfo=zone) if moment.tzinfo is None else moment).astimezone(UTC)
    except OverflowError:
        if moment.year > 1:
            raise PeriodError(IN_THE_FUTURE, value=repr(text)) from None
        return datetime.min.replace(tzinfo=UTC)  # the first day there is: from the start
    if moment > now:
        raise PeriodError(IN_THE_FUTURE, value=text)
    return moment


def parse_until(value: str, now: datetime, zone: tzinfo = UTC) -> datetime:
    """The end of a period: a date (its last second) or date-time, in `zone` without one
    of its own, at most `now`; empty means `now`. PeriodError, with the reason, otherwise."""
    text = str(value).strip()
    if not text:
        return now
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PeriodError(NOT_A_DATE, value=repr(text)) from None
    try:
        if len(text) == 10:  # a date alone: up to the end of that day
            moment += timedelta(days=1, seconds=-1)
        moment = (moment.replace(tzinfo=zone) if moment.tzinfo is None else moment).astimezone(UTC)
    except OverflowError:  # the last day of year 9999, or before the year 1 in UTC
        if moment.year > 1:
            return now
        raise PeriodError(BEFORE_YEAR_1_UTC, value=repr(text)) from None
    return min(moment, now)
