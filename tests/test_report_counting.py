"""How the managers' report and the staff digest count real conversations: the log is
written by the real terminal chat (bot/cli/chat.py) into a real SQLite file, and read by
the real `report` command."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from bot.cli.chat import TerminalChat
from bot.cli.report import report
from bot.config import Config, KnowledgeConfig, StorageConfig
from bot.report import build_report
from bot.storage import Storage
from tests.conftest import ROOT, SMALL_KB


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
    assert (
        "4 questions: 2 answered (50%; 1 after a suggestion), 1 suggestions only, "
        "1 unanswered, 0 small talk." in digest.output
    )
    assert "New gaps: 1" in digest.output and "• licence ×1 (English)" in digest.output


def test_an_entry_opened_while_browsing_the_topics_is_no_question(
    small_answerer, storage, report_config, tmp_path
):
    """Ana browses: /topics, a topic, an entry; then asks one question. The opening is
    logged as browsed and counted apart: one question, answered, in the page, its CSV, the
    command's output and the digest."""
    written = chat(small_answerer, storage, "/topics", "1", "1", "What is a fapiao?")
    assert written[2].startswith("Bring the business licence")  # bank-account, opened
    rows = list(storage.db.query("SELECT status, entry_id, browsed FROM interactions"))
    assert [tuple(r.values()) for r in rows] == [
        ("answered", "bank-account", 1),
        ("answered", "fapiao", None),
    ]
    csv_dir = tmp_path / "csv"
    said, page = run_report(report_config, tmp_path, "--csv", str(csv_dir))
    assert "1 question from" in said
    assert "Also 1 entry opened from the topics (not questions)." in said
    summary = dict(
        line.split(",", 1) for line in (csv_dir / "summary.csv").read_text().splitlines()
    )
    assert summary["questions"] == "1" and summary["people"] == "1"
    assert summary["answered_pct"] == "100.0" and summary["browsed"] == "1"
    per_day = (csv_dir / "per_day.csv").read_text().splitlines()
    assert per_day[-1].split(",")[1:3] == ["1", "1"]  # total, answered
    assert "<b>1</b><span>entries opened from the topics</span>" in page
    assert "<b>1</b><span>questions</span>" in page
    digest = CliRunner().invoke(report, ["--digest", "--since", "1h"], obj=report_config)
    assert digest.exit_code == 0, digest.output
    assert (
        "1 questions: 1 answered (100%), 0 suggestions only, 0 unanswered, 0 small talk."
        in digest.output
    )
    assert "Entries opened from the topics: 1" in digest.output


def canned_queries() -> dict:
    metadata = YAML(typ="safe").load((ROOT / "datasette-metadata.yaml").read_text("utf-8"))
    return metadata["databases"]["bot"]["queries"]


def test_the_datasette_queries_count_as_the_report(small_answerer, storage, tmp_path):
    """On one log written by the real terminal chat (a suggestion chosen, "none of these",
    a list left, a message asking two things, an entry opened from the topics) and a web
    visitor's message to the staff, the canned queries give the report's figures."""
    chat(small_answerer, storage, "licence", "1", user="terminal:ana")
    chat(small_answerer, storage, "licence", "0", user="terminal:ben")
    chat(small_answerer, storage, "licence", "What is a fapiao?", user="terminal:caro")
    chat(small_answerer, storage, "/topics", "1", "1", user="terminal:dan")
    two = "How do I get a work permit? And when is the centre open?"
    chat(small_answerer, storage, two, "xyzzy plugh", user="terminal:eve")
    storage.log_interaction(
        user_id="web:fay",
        chat_type="private",
        language="en",
        question="Please call me back",
        status="unanswered",
        channel="web",
        kind="staff_message",
    )
    assert storage.db.execute("SELECT count(*) FROM interactions").fetchone()[0] == 11
    now = datetime.now(UTC)
    report = build_report(storage.path, None, since=now - timedelta(days=1), now=now)
    assert (report.total, report.browsed) == (6, 1)
    queries = canned_queries()
    conn = sqlite3.connect(storage.path)
    [day] = conn.execute(queries["questions_per_day"]["sql"], {"days": "1"}).fetchall()
    [reported] = [d for d in report.days if d.total]
    assert day[:7] == (
        reported.key,
        reported.total,
        reported.answered,
        reported.chosen,
        reported.suggest,
        reported.unanswered,
        reported.smalltalk,
    )
    assert day[1:7] == (6, 2, 1, 1, 2, 0)
    per_language = conn.execute(queries["unanswered_this_week_per_language"]["sql"]).fetchall()
    assert per_language == [(o.key, o.unanswered, 2) for o in report.languages if o.unanswered]
    by_wording = conn.execute(
        queries["unanswered_this_week_by_language"]["sql"], {"language": ""}
    ).fetchall()
    assert sorted(row[1:3] for row in by_wording) == [("licence", 1), ("xyzzy plugh", 1)]
    top = conn.execute(queries["top_entries"]["sql"], {"days": "1"}).fetchall()
    assert {row[0]: row[1] for row in top} == {e.entry_id: e.uses for e in report.top_entries}
    conn.close()
