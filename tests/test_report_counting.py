"""How the managers' report and the staff digest count real conversations: the log is
written by the real terminal chat (bot/cli/chat.py) into a real SQLite file, and read by
the real `report` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.chat import TerminalChat
from bot.cli.report import report
from bot.config import Config, KnowledgeConfig, StorageConfig
from bot.storage import Storage
from tests.conftest import SMALL_KB


@pytest.fixture
def report_config(tmp_path) -> Config:
    return Config(
        knowledge=KnowledgeConfig(dir=SMALL_KB, cache_dir=tmp_path / "cache"),
        storage=StorageConfig(database=tmp_path / "bot.db"),
    )


@pytest.fixture
def storage(report_config):
    with Storage.open(report_config.storage.database) as opened:
        yield opened


def chat(answerer, storage, *lines: str, user: str = "terminal:ana") -> list[str]:
    """Type `lines` into a real terminal chat logging to `storage`; what it wrote."""
    written: list[str] = []
    talk = TerminalChat(answerer, "en", storage=storage, user_id=user, write=written.append)
    for line in lines:
        talk.handle(line, 0.0)
    return written


def run_report(config: Config, tmp_path: Path, *args: str):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(report, [*args, "--out", str(out)], obj=config)
    assert result.exit_code == 0, result.output
    return result.output, out.read_text(encoding="utf-8")


def test_the_terminal_channel_is_found_as_terminal_and_as_cli(
    small_answerer, storage, report_config, tmp_path
):
    """The terminal chat logs its questions as channel `terminal`; `--channel cli` (what the
    terminal is often called) and `--channel terminal` both find them, telegram does not."""
    chat(small_answerer, storage, "What is a fapiao?")
    for name in ("cli", "terminal", "TERMINAL"):
        said, page = run_report(report_config, tmp_path, "--channel", name)
        assert "1 question through terminal from" in said, name
        assert "Only questions through channel terminal." in page
    said, _ = run_report(report_config, tmp_path, "--channel", "telegram")
    assert "0 questions through telegram" in said


def test_the_channel_option_lists_the_channels_the_log_holds():
    shown = CliRunner().invoke(report, ["--help"], terminal_width=200).output
    assert "[telegram|web|terminal]" in shown
    refused = CliRunner().invoke(report, ["--channel", "fax"])
    assert refused.exit_code == 2 and "'telegram', 'web', 'terminal'" in refused.output


def test_a_question_counts_once_whatever_the_user_does_with_its_list(
    small_answerer, storage, report_config, tmp_path
):
    """Three people get a "did you mean" list for "licence": Ana chooses a suggestion (one
    question, answered after a suggestion), Ben says "none of these" (one question,
    unanswered, queued once), Caro leaves it and asks something else (two questions: one
    suggested only, one answered). Each figure as the report page, its CSV and the digest
    give it, from the log the real terminal chat wrote."""
    chat(small_answerer, storage, "licence", "1", user="terminal:ana")
    chat(small_answerer, storage, "licence", "0", user="terminal:ben")
    chat(small_answerer, storage, "licence", "What is a fapiao?", user="terminal:caro")
    assert storage.db.execute("SELECT count(*) FROM interactions").fetchone()[0] == 6
    csv_dir = tmp_path / "csv"
    said, page = run_report(report_config, tmp_path, "--csv", str(csv_dir))
    assert "4 questions from" in said
    summary = dict(
        line.split(",", 1) for line in (csv_dir / "summary.csv").read_text().splitlines()
    )
    assert summary["questions"] == "4" and summary["people"] == "3"
    assert summary["answered_pct"] == "25.0" and summary["chosen_pct"] == "25.0"
    assert summary["suggest_pct"] == "25.0" and summary["unanswered_pct"] == "25.0"
    assert summary["unanswered_open"] == "1"
    languages = (csv_dir / "languages.csv").read_text(encoding="utf-8-sig").splitlines()
    assert languages[0].startswith("language,total,answered,chosen,suggest,unanswered,")
    assert languages[1].startswith("en,4,1,1,1,1,0,")
    clusters = (csv_dir / "unanswered_clusters.csv").read_text().splitlines()
    assert clusters[1:] == ["licence,1,en,"]
    entries = (csv_dir / "top_entries.csv").read_text().splitlines()
    assert sorted(line.split(",")[0] for line in entries[1:]) == ["fapiao", "work-permit"]
    assert "25.0%</b><span>answered after a suggestion" in page
    assert "A question counts once." in page
    digest = CliRunner().invoke(report, ["--digest", "--since", "1h"], obj=report_config)
    assert digest.exit_code == 0, digest.output
    assert "4 questions, 50% answered (1 after a suggestion), 1 unanswered." in digest.output
    assert "New gaps: 1" in digest.output and "• licence ×1 (en)" in digest.output
