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
