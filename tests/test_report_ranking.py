"""The managers' report shows what staff still have to do, the wait users had, helpfulness
with the votes behind it, and readable chart labels."""

import csv
import re

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from bot.cli import main
from bot.report import wilson_lower_bound
from bot.report_html import _short
from bot.storage import Storage
from tests.conftest import SMALL_KB

LONG = "How do I get a work permit for a foreign employee?"


@pytest.fixture
def logged(tmp_path):
    """A real database written through Storage, and a config file pointing at it."""
    database = tmp_path / "bot.db"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[knowledge]\ndir = "{SMALL_KB}"\ncache_dir = "{tmp_path / "cache"}"\n'
        f'[storage]\ndatabase = "{database}"\n',
        encoding="utf-8",
    )
    storage = Storage.open(database)
    yield storage, config
    storage.close()


def ask(storage, question, status="answered", entry=None, user=1, **timing):
    return storage.log_interaction(
        user_id=user,
        chat_type="private",
        language="en",
        question=question,
        status=status,
        entry_id=entry,
        **timing,
    )


def run_report(config, tmp_path):
    out, folder = tmp_path / "report.html", tmp_path / "csv"
    result = CliRunner().invoke(
        main,
        [
            "--config",
            str(config),
            "report",
            "--since",
            "24h",
            "--out",
            str(out),
            "--csv",
            str(folder),
        ],
    )
    assert result.exit_code == 0, result.output

    def table(name):
        with (folder / f"{name}.csv").open(encoding="utf-8-sig", newline="") as f:
            return list(csv.reader(f))

    return out.read_text(encoding="utf-8"), table


def test_top_unanswered_lists_only_what_staff_still_have_to_do(logged, tmp_path):
    storage, config = logged
    for question in ["Where can I park?", "Where can I park?", "Is there a gym?", "Pets allowed?"]:
        ask(storage, question, "unanswered")
    queue = {item["question"]: item["id"] for item in storage.list_unanswered()}
    storage.set_unanswered_status([queue["Where can I park?"]], "resolved", "office-hours")
    storage.set_unanswered_status([queue["Is there a gym?"]], "ignored")
    page, table = run_report(config, tmp_path)
    # Resolving one ask of a wording resolves its repeats too: only "Pets allowed?" is left.
    assert [row[0] for row in table("unanswered_clusters")[1:]] == ["Pets allowed?"]
    assert "Is there a gym?" not in page
    assert "4 questions found no answer; 1 of them are still in the Inbox" in page


def test_the_wait_users_had_is_reported_not_only_matching(logged, tmp_path):
    storage, config = logged
    for took, waited in [(5, 700), (6, 900), (7, 800)]:
        ask(storage, "What is a fapiao?", entry="fapiao", took_ms=took, waited_ms=waited)
    ask(storage, "What is a fapiao?", entry="fapiao", took_ms=8)  # no wait measured
    page, table = run_report(config, tmp_path)
    summary = dict(table("summary")[1:])
    assert summary["wait_median_ms"] == "800.0" and summary["waits_timed"] == "3"
    assert summary["median_ms"] == "6.5"  # matching alone, still there
    assert "<b>800.0 ms</b><span>median wait for a reply (3 timed)</span>" in page


def test_helpfulness_needs_votes_and_ranks_by_confidence(logged, tmp_path):
    storage, config = logged
    votes = {"bank-account": (8, 20), "work-permit": (5, 6), "fapiao": (0, 1)}
    user = 100
    for entry, (helpful, total) in votes.items():
        for k in range(total):
            user += 1
            interaction = ask(storage, f"question about {entry}", entry=entry, user=user)
            storage.log_feedback(interaction, user, k < helpful)
    page, table = run_report(config, tmp_path)
    ranked = [row[0] for row in table("entry_feedback")[1:]]
    # 8/20 is surely worse than 5/6; one vote ranks after every entry with enough votes
    assert ranked == ["bank-account", "work-permit", "fapiao"]
    assert "0.0% of 1 vote" in page and "40.0% of 20 votes" in page
    assert "fewer than 5 votes" in page


def test_chart_labels_are_questions_with_the_id_in_a_tooltip(logged, tmp_path):
    storage, config = logged
    ask(storage, LONG, entry="work-permit")
    page, _ = run_report(config, tmp_path)
    labels = re.findall(r"<text [^>]*>([^<]*)<title>([^<]*)</title></text>", page)
    assert ("How do I get a work permit for a…", f"work-permit: {LONG}") in labels


@given(st.text(min_size=0, max_size=80))
def test_short_labels_fit_and_keep_the_start(text):
    short = _short(text)
    width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in short)  # rough, CJK-aware
    assert len(short) <= 34
    assert width <= 34 * 2
    words = " ".join(text.split())
    assert short == words or (short.endswith("…") and words.startswith(short[:-1].rstrip()))


def test_wilson_lower_bound():
    assert wilson_lower_bound(0, 0) is None
    assert wilson_lower_bound(1, 1) < wilson_lower_bound(40, 45)
    assert wilson_lower_bound(45, 45) == pytest.approx(0.9213, abs=1e-3)


def test_a_log_without_waits_says_its_time_is_matching_only(logged, tmp_path):
    storage, config = logged
    ask(storage, "What is a fapiao?", entry="fapiao", took_ms=7)
    page, _ = run_report(config, tmp_path)
    assert "<b>7.0 ms</b><span>median matching time (waits not logged)</span>" in page
    assert "median wait for a reply" not in page
