"""Times as staff read them: one format (`2026-11-29 16:20`) in one time zone.

The database keeps every time in UTC (ISO 8601, `2026-11-29T08:20:00+00:00`); CSV exports
keep that. What people read (the console, the report page, the digest) shows it in the
time zone of `[web] timezone` (an IANA name such as Asia/Shanghai), with the zone said once
where a reader needs it (`zone_label`: UTC+8).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FORMAT = "%Y-%m-%d %H:%M"


class UnknownZoneError(ValueError):
    """Not a time zone name this system knows."""


def zone(name: str) -> tzinfo:
    """The IANA time zone `name` (Asia/Shanghai, UTC); UnknownZoneError otherwise."""
    if name.strip().upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: a path-like or empty name
        raise UnknownZoneError(
            f"{name!r} is not a time zone name such as Asia/Shanghai, Europe/Berlin or UTC"
        ) from None


def now() -> datetime:
    """The current time (UTC)."""
    return datetime.now(UTC)


def today(where: tzinfo) -> date:
    """Today's date in the zone `where`: the centre's day, not the server's nor UTC's."""
    return now().astimezone(where).date()


def moment(value: str | datetime) -> datetime:
    """A stored time (ISO text, or a datetime) as an aware datetime; naive means UTC."""
    found = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


def shown(value: str | datetime | None, where: tzinfo = UTC) -> str:
    """`value` as people read it: `2026-11-29 16:20` in the zone `where`; "" for none, and
    text that is no time as it is."""
    if value is None or value == "":
        return ""
    try:
        return moment(value).astimezone(where).strftime(FORMAT)
    except (ValueError, OverflowError):
        return str(value)


def zone_label(where: tzinfo, at: datetime | None = None) -> str:
    """The zone as a reader knows it: UTC, UTC+8, UTC-3:30 (its offset `at`, default now)."""
    offset = (at or datetime.now(UTC)).astimezone(where).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
