"""One --since parser for every command that takes a period (report, unanswered ...)."""

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.cli.common import parse_since
from bot.storage import Storage
from tests.conftest import SMALL_KB

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
COMMANDS = [["report"], ["unanswered", "list"], ["unanswered", "clusters"]]


@pytest.fixture
def run(tmp_path):
    """The real `main` with a config file whose database holds one unanswered question."""
    database = tmp_path / "bot.db"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[knowledge]\ndir = "{SMALL_KB}"\ncache_dir = "{tmp_path / "cache"}"\n'
        f'[storage]\ndatabase = "{database}"\n',
        encoding="utf-8",
    )
    with Storage.open(database) as storage:
        storage.log_interaction(
            user_id=1,
            chat_type="private",
            language="en",
            question="wfoe cost?",
            status="unanswered",
        )

    def invoke(*args):
        return CliRunner().invoke(main, ["--config", str(config), *args])

    return invoke


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("since", ["90m", "24h", "30d", "2w", "2026-01-01"])
def test_every_period_command_takes_every_duration(run, tmp_path, command, since):
    extra = ["--out", str(tmp_path / "r.html")] if command == ["report"] else []
    result = run(*command, "--since", since, *extra)
    assert result.exit_code == 0, result.output
    if command == ["unanswered", "list"]:
        assert "wfoe cost?" in result.output


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("since", ["yesterday", "0h", "24x", "2999-01-01"])
def test_every_period_command_refuses_a_bad_duration_clearly(run, tmp_path, command, since):
    result = run(*command, "--since", since)
    assert result.exit_code == 2
    assert "Invalid value for '--since'" in result.output
    assert since in result.output


def test_parse_since_units():
    assert parse_since("90m", NOW) == NOW - timedelta(minutes=90)
    assert parse_since("24h", NOW) == NOW - timedelta(hours=24)
    assert parse_since(" 2W ", NOW) == NOW - timedelta(weeks=2)
    assert parse_since("2026-11-01T08:00+08:00", NOW) == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="time span like 90m"):
        parse_since("last week", NOW)
