"""Periods as people type them (bot/period.py): the CLI's --since and the report filters."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.period import parse_since, parse_until

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", NOW),
        ("2026-11-19", datetime(2026, 11, 19, 23, 59, 59, tzinfo=UTC)),
        ("2026-11-19T08:00", datetime(2026, 11, 19, 8, 0, tzinfo=UTC)),
        ("2026-11-19T08:00+08:00", datetime(2026, 11, 19, 0, 0, tzinfo=UTC)),
        ("2027-01-01", NOW),  # not beyond now
        ("9999-12-31", NOW),
    ],
)
def test_until(text, expected):
    assert parse_until(text, NOW) == expected


def test_since_is_the_cli_syntax():
    assert parse_since("7d", NOW) == NOW - timedelta(days=7)
    with pytest.raises(ValueError, match="in the future"):
        parse_since("2027-01-01", NOW)
    with pytest.raises(ValueError, match="before the year 1"):
        parse_since("99999999999d", NOW)
    with pytest.raises(ValueError, match="not a date"):
        parse_until("tomorrow", NOW)


@given(
    st.text(max_size=40)
    | st.from_regex(r"\d{1,15}[mhdw]", fullmatch=True)
    | st.datetimes(timezones=st.timezones()).map(datetime.isoformat)
    | st.dates().map(str)
)
def test_any_text_is_a_time_no_later_than_now_or_a_clear_error(text):
    for parse in (parse_since, parse_until):
        try:
            moment = parse(text, NOW)
        except ValueError as exc:
            assert str(exc)
        else:
            assert moment <= NOW and moment.tzinfo is not None


def test_dates_are_read_in_the_readers_zone_and_errors_can_be_translated():
    """The console reads a date typed by staff in [web] timezone (Beijing time here): the
    1st of November starts at 16:00 UTC the day before; the CLI keeps UTC."""
    from zoneinfo import ZoneInfo

    from bot.period import NOT_A_PERIOD, PeriodError

    beijing = ZoneInfo("Asia/Shanghai")
    assert parse_since("2026-11-01", NOW, beijing) == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert parse_until("2026-11-01", NOW, beijing) == datetime(2026, 11, 1, 15, 59, 59, tzinfo=UTC)
    assert parse_since("0001-01-01", NOW, beijing) == datetime.min.replace(tzinfo=UTC)
    with pytest.raises(PeriodError) as info:
        parse_since("soon", NOW, beijing)
    assert (info.value.text, info.value.values) == (NOT_A_PERIOD, {"value": "'soon'"})
    assert str(info.value) == NOT_A_PERIOD.format(value="'soon'")
