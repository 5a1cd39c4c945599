"""Tests for bot/report.py and bot/cli/report.py: a small hand-made log in a real SQLite file,
exact figures, the page checked as text and as a screenshot from headless Chromium."""

from __future__ import annotations

import csv
import re
import shutil
import sqlite3
import struct
import subprocess
import zlib
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from bot.cli.common import parse_since
from bot.cli.report import report
from bot.config import Config, KnowledgeConfig, StorageConfig
from bot.knowledge import load_knowledge
from bot.report import (
    STAFF_COLUMNS,
    Cluster,
    ReportError,
    UnansweredItem,
    build_report,
    render_html,
    tables,
    write_csv,
)
from bot.storage import Storage
from bot.web import i18n
from tests.conftest import ROOT, SMALL_KB

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
SINCE = datetime(2026, 11, 19, tzinfo=UTC)
ARABIC = "أين أجد موقف سيارات؟"
SCRIPT = "<script>alert(1)</script> visa?"

# (time, user, language, question, status, entry, took_ms, text source)
LOG = [
    (
        "2026-11-18T23:59:59",
        1,
        "en",
        "How do I open a company bank account?",
        "answered",
        "bank-account",
        99,
        "original",
    ),  # before the period
    (
        "2026-11-19T09:00:00",
        1,
        "en",
        "How do I open a company bank account?",
        "answered",
        "bank-account",
        10,
        "original",
    ),
    (
        "2026-11-19T10:00:00",
        2,
        "zh",
        "公司银行账户怎么开？",
        "answered",
        "bank-account",
        20,
        "curated",
    ),
    ("2026-11-19T11:00:00", 1, "en", "hello", "smalltalk", None, 1, None),
    ("2026-11-20T08:00:00", 3, "ar", ARABIC, "unanswered", None, 5, None),
    ("2026-11-20T09:00:00", 4, "en", "Where can I park?", "unanswered", None, 6, None),
    ("2026-11-20T10:00:00", 5, "en", "where can I PARK", "unanswered", None, 7, None),
    ("2026-11-20T11:00:00", 2, "en", SCRIPT, "unanswered", None, 8, None),
    ("2026-11-20T12:00:00", 4, "ru", "Что такое фапяо", "suggest", None, 30, None),
    (
        "2026-11-21T09:00:00",
        7,
        "fr",
        "Qu'est-ce qu'un fapiao ?",
        "answered",
        "fapiao",
        40,
        "machine",
    ),
    ("2026-11-21T10:00:00", 6, "en", "What is a fapiao", "answered", "fapiao", 9, "original"),
    (
        "2026-11-21T12:00:01",
        6,
        "en",
        "What is a fapiao",
        "answered",
        "fapiao",
        99,
        "original",
    ),  # after the period
]
# (index in LOG, user, helpful); user 2's second vote replaces the first
VOTES = [(0, 1, False), (1, 1, True), (2, 2, True), (2, 2, False), (9, 7, True), (10, 6, True)]


class Clock:
    def __init__(self) -> None:
        self.moment = NOW

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def db_path(tmp_path) -> Path:
    """A real database holding LOG and VOTES, logged through Storage at the chosen times."""
    path = tmp_path / "bot.db"
    clock = Clock()
    with Storage.open(path, clock=clock) as storage:
        ids = []
        for when, user, lang, question, status, entry, took, source in LOG:
            clock.moment = datetime.fromisoformat(when).replace(tzinfo=UTC)
            ids.append(
                storage.log_interaction(
                    user_id=user,
                    chat_type="private",
                    language=lang,
                    question=question,
                    status=status,
                    entry_id=entry,
                    score=0.9 if entry else None,
                    took_ms=took,
                    text_source=source,
                )
            )
        for index, user, helpful in VOTES:
            storage.log_feedback(ids[index], user, helpful)
    return path


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(SMALL_KB)


@pytest.fixture
def result(db_path, kb):
    return build_report(db_path, kb, since=SINCE, now=NOW, review_age_days=18)


def test_questions_per_day_and_shares(result):
    assert result.total == 10 and result.people == 7
    assert [
        (d.key, d.total, d.answered, d.suggest, d.unanswered, d.smalltalk) for d in result.days
    ] == [
        ("2026-11-19", 3, 2, 0, 0, 1),
        ("2026-11-20", 5, 0, 1, 4, 0),
        ("2026-11-21", 2, 2, 0, 0, 0),
    ]
    assert result.days[1].share("unanswered") == 0.8
    assert result.share("answered") == 0.4 and result.unanswered_total == 4


def test_a_message_answered_in_parts_counts_once(db_path, kb):
    """A message that asked two things is logged as two rows, the second with `part` 1 and no
    time of its own: it is one question, answered, with one reply time, and both entries
    count as used. A log written before the `part` column counts every row."""
    later = datetime(2026, 11, 21, 11, tzinfo=UTC)
    with Storage.open(db_path, clock=lambda: later) as storage:
        for part, entry, took in ((None, "bank-account", 50.0), (1, "fapiao", None)):
            storage.log_interaction(
                user_id=8,
                chat_type="private",
                language="en",
                question="Company bank account? And what is a fapiao?",
                status="answered",
                entry_id=entry,
                took_ms=took,
                text_source="original",
                part=part,
            )
    report = build_report(db_path, kb, since=SINCE, now=NOW, review_age_days=18)
    assert (report.total, report.days[-1].total, report.days[-1].answered) == (11, 3, 3)
    assert [(r.key, r.total) for r in report.languages][0] == ("en", 7)
    assert report.replies_timed == 11  # 10 before, and the message's own row
    uses = {e.entry_id: e.uses for e in report.top_entries}
    assert uses == {"bank-account": 3, "fapiao": 3}  # every entry given counts
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM interactions WHERE part = 1").fetchone() == (1,)
    conn.execute("DROP VIEW questions")  # which older releases did not make either
    conn.execute("ALTER TABLE interactions DROP COLUMN part")  # a log from before parts
    conn.commit()
    conn.close()
    old = build_report(db_path, kb, since=SINCE, now=NOW, review_age_days=18)
    assert (old.total, old.replies_timed) == (12, 11)


def test_questions_in_unconfigured_languages_count_under_their_own(db_path, kb):
    """A Hindi question is answered, and logged, in English with `written_in` "hi": the table
    by language and its unanswered group count it as Hindi, the Hindi filter finds it (its
    unanswered wording too),
    and the English filter keeps it, since it was answered in English. A log from before
    `written_in` counts it under English and still filters."""
    later = datetime(2026, 11, 21, 11, tzinfo=UTC)
    with Storage.open(db_path, clock=lambda: later) as storage:
        for user, status in ((11, "unanswered"), (12, "answered")):
            storage.log_interaction(
                user_id=user,
                chat_type="private",
                language="en",
                question="मेरा work permit कैसे बनेगा",
                status=status,
                entry_id="work-permit" if status == "answered" else None,
                written_in="hi",
            )
    report = build_report(db_path, kb, since=SINCE, now=NOW, review_age_days=18)
    by_language = {r.key: (r.total, r.answered, r.unanswered) for r in report.languages}
    assert by_language["hi"] == (2, 1, 1) and by_language["en"] == (6, 2, 3)
    queued = {c.label: c.languages for c in report.clusters}
    assert queued["मेरा work permit कैसे बनेगा"] == ("hi",)  # its group is Hindi too
    hindi = build_report(db_path, kb, since=SINCE, now=NOW, language="hi")
    assert (hindi.total, hindi.people, hindi.unanswered_open) == (2, 2, 1)
    assert [c.label for c in hindi.clusters] == ["मेरा work permit कैसे बनेगा"]
    english = build_report(db_path, kb, since=SINCE, now=NOW, language="en")
    assert english.total == 8 and {r.key for r in english.languages} == {"en", "hi"}
    conn = sqlite3.connect(db_path)
    conn.execute("DROP VIEW questions")  # which older releases did not make either
    conn.execute("ALTER TABLE interactions DROP COLUMN written_in")  # a log from before
    conn.commit()
    conn.close()
    old = build_report(db_path, kb, since=SINCE, now=NOW, review_age_days=18)
    assert "hi" not in {r.key for r in old.languages}
    assert {c.label: c.languages for c in old.clusters}["मेरा work permit कैसे बनेगा"] == ("en",)
    assert [(r.key, r.total) for r in old.languages][0] == ("en", 8)
    assert build_report(db_path, kb, since=SINCE, now=NOW, language="en").total == 8


def test_empty_days_are_listed(db_path, kb):
    report = build_report(db_path, kb, since=datetime(2026, 11, 15, tzinfo=UTC), now=NOW)
    assert [d.key for d in report.days][:4] == [
        "2026-11-15",
        "2026-11-16",
        "2026-11-17",
        "2026-11-18",
    ]
    assert [d.total for d in report.days] == [0, 0, 0, 1, 3, 5, 2]
    assert report.days[0].share("answered") == 0.0


def test_languages(result):
    assert [
        (r.key, r.total, r.answered, r.suggest, r.unanswered, r.smalltalk) for r in result.languages
    ] == [
        ("en", 6, 2, 0, 3, 1),
        ("ar", 1, 0, 0, 1, 0),
        ("fr", 1, 1, 0, 0, 0),
        ("ru", 1, 0, 1, 0, 0),
        ("zh", 1, 1, 0, 0, 0),
    ]
    assert result.languages[0].share("unanswered") == 0.5


def test_unanswered_clusters_group_by_normalised_text(result):
    assert result.clusters == (
        Cluster("Where can I park?", 2, ("en",), ("where can I PARK",)),
        Cluster(SCRIPT, 1, ("en",), ()),
        Cluster(ARABIC, 1, ("ar",), ()),
    )


def test_a_clusterer_can_be_plugged_in(db_path, kb):
    seen = []

    def one_cluster(items):
        seen.extend(items)
        return [items]

    report = build_report(db_path, kb, since=SINCE, now=NOW, clusterer=one_cluster)
    assert sorted(seen, key=lambda i: i.question) == [
        UnansweredItem(SCRIPT, "en", 1),
        UnansweredItem("Where can I park?", "en", 1),
        UnansweredItem("where can I PARK", "en", 1),
        UnansweredItem(ARABIC, "ar", 1),
    ]
    assert report.clusters == (
        Cluster(SCRIPT, 4, ("en", "ar"), ("Where can I park?", "where can I PARK", ARABIC)),
    )


def test_entries_and_feedback(result):
    assert [(e.entry_id, e.question, e.uses, e.votes, e.helpful) for e in result.top_entries] == [
        ("bank-account", "How do I open a company bank account?", 2, 2, 1),
        ("fapiao", "What is a fapiao?", 2, 2, 2),
    ]
    assert [(e.entry_id, e.helpful_rate) for e in result.entry_feedback] == [
        ("bank-account", 0.5),
        ("fapiao", 1.0),
    ]
    assert (result.votes, result.helpful, result.helpful_rate) == (4, 3, 0.75)


def test_thumbs_down_reasons_per_entry(db_path, kb, tmp_path):
    with Storage.open(db_path, clock=Clock()) as storage:
        storage.log_feedback(3, 2, False, reason="outdated")  # user 2's vote on the zh ask
        storage.log_feedback(2, 8, False, reason="wrong")
        storage.log_feedback(2, 9, False, reason="outdated")
    report = build_report(db_path, kb, since=SINCE, now=NOW, review_age_days=18)
    reasons = {e.entry_id: e.reasons for e in report.entry_feedback}
    assert reasons == {"bank-account": (("outdated", 2), ("wrong", 1)), "fapiao": ()}
    # in the plain words the inbox shows, never the stored codes
    page = render_html(report)
    assert "out of date 2, wrong answer 1" in page and "outdated 2" not in page
    chinese = render_html(report, partial(i18n.translate, "zh"), "zh")
    assert "内容过时 2, 回答错误 1" in chinese
    for table in ("entry_feedback", "top_entries"):
        header, rows = tables(report)[table]
        row = next(r for r in rows if r[0] == "bank-account")
        assert row[header.index("reasons")] == "out of date 2, wrong answer 1"
        assert row[header.index("reason_codes")] == "outdated 2, wrong 1"


def test_reply_time_median_and_p90(result):
    # 1 5 6 7 8 9 10 20 30 40: median (8 + 9) / 2, p90 the 9th value (nearest rank)
    assert (result.replies_timed, result.median_ms, result.p90_ms) == (10, 8.5, 30)


def test_odd_count_median(db_path, kb):
    # up to 09:00 included: 1 5 6 7 8 10 20 30 40, p90 is the ceil(8.1) = 9th value
    report = build_report(db_path, kb, since=SINCE, now=datetime(2026, 11, 21, 9, tzinfo=UTC))
    assert (report.replies_timed, report.median_ms, report.p90_ms) == (9, 8, 40)


def test_text_sources_and_stale_entries(result):
    assert result.text_sources == (("original", 2), ("curated", 1), ("machine", 1))
    # reviewed 2026-11-01 and -02 are 20 and 19 days old; the others are exactly 18
    assert [(s.entry_id, s.reviewed, s.age_days) for s in result.stale_entries] == [
        ("bank-account", date(2026, 11, 1), 20),
        ("fapiao", date(2026, 11, 2), 19),
    ]


def test_stale_translations_are_listed(db_path, small_kb_dir, tmp_path):
    money = small_kb_dir / "money.yaml"
    text = money.read_text(encoding="utf-8")
    entry = load_knowledge(small_kb_dir).by_id["fapiao"]
    text = text.replace(  # the zh translation records the version it was made from
        "        answer: 发票是中国官方的税务凭证，通过税务系统开具。\n",
        f"        answer: 发票是中国官方的税务凭证，通过税务系统开具。\n"
        f"        source: {entry.version}\n        reviewed: 2026-11-03\n",
    )
    money.write_text(text, encoding="utf-8")
    fresh = build_report(db_path, load_knowledge(small_kb_dir), since=SINCE, now=NOW)
    assert fresh.stale_translations == ()
    assert "Every curated translation matches" in render_html(fresh)
    money.write_text(text.replace("issued through the tax system", "issued online"), "utf-8")
    kb = load_knowledge(small_kb_dir)
    report = build_report(db_path, kb, since=SINCE, now=NOW)
    [stale] = report.stale_translations
    assert (stale.entry_id, stale.language, stale.reviewed) == ("fapiao", "zh", "2026-11-03")
    assert (stale.recorded, stale.current) == (entry.version, kb.by_id["fapiao"].version)
    assert "Translations to update" in render_html(report)
    assert "1 curated translation was made from an older text of its entry" in render_html(report)
    write_csv(report, tmp_path / "csv")
    lines = (tmp_path / "csv" / "stale_translations.csv").read_text(encoding="utf-8-sig").split()
    assert lines[0] == "entry_id,language,topic,recorded,current,reviewed,where"
    assert lines[1].startswith(f"fapiao,zh,money,{entry.version},")


def test_without_kb(db_path):
    report = build_report(db_path, None, since=SINCE, now=NOW)
    assert report.top_entries[0].question == "" and report.stale_entries == ()
    assert "The knowledge base was not loaded." in render_html(report)


def test_empty_period(db_path, kb):
    report = build_report(
        db_path, kb, since=datetime(2026, 1, 1, tzinfo=UTC), now=datetime(2026, 1, 2, tzinfo=UTC)
    )
    assert report.total == 0 and report.median_ms is None and report.helpful_rate is None
    assert "No questions in this period." in render_html(report)
    assert report.staff == () and "No staff activity in this period." in render_html(report)


def test_missing_or_foreign_database(tmp_path, kb):
    with pytest.raises(ReportError, match="no database at"):
        build_report(tmp_path / "none.db", kb, since=SINCE, now=NOW)
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE t (a)").connection.close()
    with pytest.raises(ReportError, match="not the bot's database"):
        build_report(tmp_path / "other.db", kb, since=SINCE, now=NOW)


def test_a_file_that_is_not_sqlite(tmp_path, kb):
    (tmp_path / "bot.db").write_text("not a database " * 100)
    with pytest.raises(ReportError, match="cannot read"):
        build_report(tmp_path / "bot.db", kb, since=SINCE, now=NOW)


def test_report_does_not_write_to_the_database(db_path, kb):
    before = db_path.read_bytes()
    build_report(db_path, kb, since=SINCE, now=NOW)
    assert db_path.read_bytes() == before


def test_html_is_self_contained_and_escaped(result):
    page = render_html(result)
    assert page.startswith("<!DOCTYPE html>")
    for outside in ("http", "src=", "href=", "url(", "@import", "<script", "<link"):
        assert outside not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; visa?" in page
    assert page.count("<svg") == 5  # per day bars and lines, languages, entries, sources
    assert f'<td dir="auto">{ARABIC}</td>' in page
    assert "2026-11-19 00:00 to 2026-11-21 12:00 UTC" in page
    beijing = render_html(result, zone=ZoneInfo("Asia/Shanghai"))  # [web] timezone
    assert "2026-11-19 08:00 to 2026-11-21 20:00 UTC+8 (3 days)" in beijing


def test_the_html_summary_cards_add_up_with_small_talk(result):
    """ "hello" is one of the ten questions: the small talk card makes the outcome shares
    add up to 100%, as per_day.csv and summary.csv do."""
    page = render_html(result)
    labels = (
        "answered", "answered after a suggestion", "suggestions only", "unanswered", "small talk"
    )  # fmt: skip
    shares = [
        float(re.search(r"<b>([\d.]+)%</b><span>" + re.escape(label) + "</span>", page)[1])
        for label in labels
    ]
    assert shares[-1] == 10.0 and sum(shares) == pytest.approx(100, abs=0.2)


def test_datasette_canned_queries_run(db_path):
    """The SQL in datasette-metadata.yaml runs on a real database (Datasette not needed)."""
    metadata = YAML(typ="safe").load((ROOT / "datasette-metadata.yaml").read_text("utf-8"))
    queries = metadata["databases"]["bot"]["queries"]
    assert {
        "unanswered_this_week_by_language",
        "top_entries",
        "helpful_rate_per_entry",
        "questions_per_day",
    } <= set(queries)
    conn = sqlite3.connect(db_path)
    for name, query in queries.items():
        cursor = conn.execute(query["sql"], {"language": "", "days": "3650"})
        assert cursor.description, name
        cursor.fetchall()
    rows = conn.execute(queries["helpful_rate_per_entry"]["sql"], {"days": "3650"}).fetchall()
    assert rows == [("bank-account", 3, 1, 2, 33.3), ("fapiao", 2, 2, 0, 100.0)]
    conn.close()


def test_datasette_names_every_table_and_blocks_the_secret_ones(tmp_path):
    """Every table of the bot's database (and the questions view) is named in
    datasette-metadata.yaml, so that a new one is a decision: shown, hidden or blocked. What
    would let a reader act as staff, reach a user or read a conversation word for word is
    blocked."""
    metadata = YAML(typ="safe").load((ROOT / "datasette-metadata.yaml").read_text("utf-8"))
    named = metadata["databases"]["bot"]["tables"]
    Storage.open(tmp_path / "bot.db").close()
    conn = sqlite3.connect(tmp_path / "bot.db")
    found = {
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite_%'"
        )
    }
    conn.close()
    assert sorted(found - set(named)) == []
    blocked = {name for name, settings in named.items() if settings.get("allow") is False}
    assert blocked >= {
        "notify", "relays", "relay_items", "users", "staff", "web_sessions", "login_failures",
        "web_visitors", "web_messages", "handoff_replies",
    }  # fmt: skip
    assert metadata["databases"]["bot"]["allow_sql"] is False


def test_datasette_unanswered_queries_count_the_written_language(tmp_path):
    """A Vietnamese question answered in English counts as vi in the canned queries, and the
    language filter finds it under vi and under en."""
    metadata = YAML(typ="safe").load((ROOT / "datasette-metadata.yaml").read_text("utf-8"))
    queries = metadata["databases"]["bot"]["queries"]
    path = tmp_path / "bot.db"
    with Storage.open(path) as storage:  # logged now: this week
        for user, written, question in ((1, "vi", "Làm sao mở tài khoản?"), (2, None, "x?")):
            storage.log_interaction(
                user_id=user,
                chat_type="private",
                language="en",
                question=question,
                status="unanswered",
                written_in=written,
            )
    conn = sqlite3.connect(path)
    by_language = queries["unanswered_this_week_by_language"]["sql"]

    def languages(code: str) -> list[tuple[str, str]]:
        return [row[:2] for row in conn.execute(by_language, {"language": code})]

    assert languages("") == [("en", "x?"), ("vi", "Làm sao mở tài khoản?")]
    assert languages("vi") == [("vi", "Làm sao mở tài khoản?")]
    assert len(languages("en")) == 2
    counts = conn.execute(queries["unanswered_this_week_per_language"]["sql"]).fetchall()
    assert sorted(counts) == [("en", 1, 1), ("vi", 1, 1)]
    conn.close()


def test_csv_tables(result, tmp_path):
    files = write_csv(result, tmp_path / "csv")
    assert sorted(p.name for p in files) == sorted(
        f"{n}.csv"
        for n in (
            "summary",
            "per_day",
            "languages",
            "unanswered_clusters",
            "top_entries",
            "entry_feedback",
            "reply_times",
            "text_sources",
            "stale_entries",
            "stale_translations",
            "staff_work",
        )
    )

    def rows(name):
        with (tmp_path / "csv" / f"{name}.csv").open(encoding="utf-8-sig", newline="") as f:
            return list(csv.reader(f))

    assert rows("per_day") == [
        [
            "day",
            "total",
            "answered",
            "chosen",
            "suggest",
            "unanswered",
            "smalltalk",
            "answered_pct",
            "chosen_pct",
            "suggest_pct",
            "unanswered_pct",
            "smalltalk_pct",
        ],
        ["2026-11-19", "3", "2", "0", "0", "0", "1", "66.7", "0.0", "0.0", "0.0", "33.3"],
        ["2026-11-20", "5", "0", "0", "1", "4", "0", "0.0", "0.0", "20.0", "80.0", "0.0"],
        ["2026-11-21", "2", "2", "0", "0", "0", "0", "100.0", "0.0", "0.0", "0.0", "0.0"],
    ]
    assert rows("unanswered_clusters") == [
        ["question", "count", "languages", "other_wordings"],
        ["Where can I park?", "2", "en", "where can I PARK"],
        [SCRIPT, "1", "en", ""],
        [ARABIC, "1", "ar", ""],
    ]
    assert rows("entry_feedback")[1:] == [
        ["bank-account", "How do I open a company bank account?", "2", "2", "1", "50.0", "9.5"]
        + ["", ""],  # no 👎 reasons: in words, as codes
        ["fapiao", "What is a fapiao?", "2", "2", "2", "100.0", "34.2", "", ""],
    ]
    assert rows("text_sources")[1:] == [
        ["original", "2", "50.0"],
        ["curated", "1", "25.0"],
        ["machine", "1", "25.0"],
    ]
    assert rows("reply_times") == [
        ["measure", "timed", "median_ms", "p90_ms"],
        ["wait", "0", "", ""],
        ["matching", "10", "8.5", "30.0"],
    ]
    assert rows("staff_work") == [["staff", *STAFF_COLUMNS]]  # nobody did anything
    summary = dict(rows("summary")[1:])
    assert summary["questions"] == "10" and summary["median_ms"] == "8.5"
    assert summary["helpful_pct"] == "75.0" and summary["p90_ms"] == "30.0"


# The command ---------------------------------------------------------------------------------


@pytest.fixture
def config(tmp_path) -> Config:
    return Config(
        knowledge=KnowledgeConfig(dir=SMALL_KB, cache_dir=tmp_path / "cache"),
        storage=StorageConfig(database=tmp_path / "data" / "bot.db"),
    )


def test_cli_writes_the_page_and_csv(config, tmp_path):
    with Storage.open(config.storage.database) as storage:
        storage.log_interaction(
            user_id=1,
            chat_type="private",
            language="en",
            question="What is a fapiao?",
            status="answered",
            entry_id="fapiao",
            took_ms=3.0,
            text_source="original",
        )
    out, folder = tmp_path / "out" / "report.html", tmp_path / "csv"
    result = CliRunner().invoke(
        report,
        ["--since", "7d", "--out", str(out), "--csv", str(folder), "--review-age-days", "30"],
        obj=config,
    )
    assert result.exit_code == 0, result.output
    assert "1 question from" in result.output and "Wrote 11 CSV files" in result.output
    assert "What is a fapiao?" in out.read_text(encoding="utf-8")
    with (folder / "top_entries.csv").open(encoding="utf-8-sig") as f:
        assert list(csv.reader(f))[1][:3] == ["fapiao", "What is a fapiao?", "1"]
    # with a byte-order mark, as the console's: a spreadsheet reads every script right
    for path in folder.glob("*.csv"):
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path.name


def test_cli_missing_database_is_a_clear_error(config, tmp_path):
    result = CliRunner().invoke(report, ["--out", str(tmp_path / "r.html")], obj=config)
    assert result.exit_code == 1
    assert "no database at" in result.output and not (tmp_path / "r.html").exists()


def test_cli_broken_kb_still_reports(config, tmp_path):
    Storage.open(config.storage.database).close()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.yaml").write_text("entries: [1]\n")
    result = CliRunner().invoke(
        report, ["--kb", str(broken), "--out", str(tmp_path / "r.html")], obj=config
    )
    assert result.exit_code == 0, result.output
    assert "leaves out entry questions" in result.output


@pytest.mark.parametrize("since", ["0d", "yesterday", "2999-01-01"])
def test_cli_rejects_a_bad_since(config, since):
    result = CliRunner().invoke(report, ["--since", since], obj=config)
    assert result.exit_code == 2 and "--since" in result.output


def test_parse_since():
    assert parse_since("30d", NOW) == NOW - timedelta(days=30)
    assert parse_since("2026-11-01", NOW) == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_since("2026-11-01T08:00+08:00", NOW) == datetime(2026, 11, 1, tzinfo=UTC)


def test_cli_is_documented():
    assert "Example:" in report.help
    for param in report.params:
        assert param.help, param.name


# The page in a browser -----------------------------------------------------------------------


def png_pixels(data: bytes) -> np.ndarray:
    """Decode an 8-bit, non-interlaced RGB or RGBA PNG: IHDR, zlib'd IDATs, row filters."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        assert (
            zlib.crc32(kind + body)
            == struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0]
        )
        header = body if kind == b"IHDR" else header
        idat += [body] if kind == b"IDAT" else []
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8).reshape(height, -1)
    pixels = np.zeros((height, width * bpp), np.uint8)
    prev = pixels[0]
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:]
        if kind == 0:
            row = line.copy()
        elif kind == 1:  # Sub: a running sum along the row, per channel, modulo 256
            row = np.cumsum(line.reshape(width, bpp), axis=0, dtype=np.uint8).reshape(-1)
        elif kind == 2:  # Up
            row = line + prev
        else:  # Average and Paeth depend on the pixel just decoded: byte by byte
            row = np.frombuffer(_unfilter(kind, line.tobytes(), prev.tobytes(), bpp), np.uint8)
        pixels[y] = row
        prev = row
    return pixels.reshape(height, width, bpp)


def _unfilter(kind: int, line: bytes, up: bytes, bpp: int) -> bytes:
    out = bytearray(line)
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        b, c = up[i], (up[i - bpp] if i >= bpp else 0)
        if kind == 3:
            predicted = (a + b) >> 1
        else:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            predicted = a if pa <= pb and pa <= pc else b if pb <= pc else c
        out[i] = (out[i] + predicted) & 0xFF
    return bytes(out)


def test_png_decoder_on_every_filter():
    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 13
    rows = [b"\x00" + pixels[0].tobytes()]
    for kind in (1, 2, 3, 4):  # filter row 1 by hand in each way, then decode
        line, up = pixels[1].reshape(-1).astype(int), pixels[0].reshape(-1).astype(int)
        a = np.concatenate([[0, 0, 0], line[:-3]])
        c = np.concatenate([[0, 0, 0], up[:-3]])
        p = a + up - c
        paeth = np.where(
            (abs(p - a) <= abs(p - up)) & (abs(p - a) <= abs(p - c)),
            a,
            np.where(abs(p - up) <= abs(p - c), up, c),
        )
        predicted = {1: a, 2: up, 3: (a + up) // 2, 4: paeth}[kind]
        filtered = bytes([kind]) + ((line - predicted) % 256).astype(np.uint8).tobytes()

        def chunk(kind_: bytes, body: bytes) -> bytes:
            return (
                struct.pack(">I", len(body))
                + kind_
                + body
                + struct.pack(">I", zlib.crc32(kind_ + body))
            )

        png = (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", 3, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows[0] + filtered))
            + chunk(b"IEND", b"")
        )
        assert (png_pixels(png) == pixels).all(), kind


def test_screenshot_in_headless_chromium(result, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium on PATH: apt-get install -y chromium")
    page, shot = tmp_path / "report.html", tmp_path / "report.png"
    page.write_text(render_html(result), encoding="utf-8")
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1280,2000",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    pixels = png_pixels(shot.read_bytes())
    assert pixels.shape[:2] == (2000, 1280)
    colours = np.unique(pixels[..., :3].reshape(-1, 3), axis=0)
    assert len(colours) > 200, f"only {len(colours)} colours: a blank page?"
    # The header band and each outcome colour of the charts are on the page.
    for rgb in ((0x1F, 0x3A, 0x5F), (0x2E, 0x7D, 0x32), (0xC6, 0x28, 0x28)):
        assert (pixels[..., :3] == rgb).all(axis=-1).sum() > 100, rgb


def test_cli_keeps_one_language_or_channel_and_says_so(config, tmp_path):
    """`--language vi` keeps the Vietnamese question answered in English (`written_in`) and
    drops the Chinese one; `--channel web` keeps the web one; the page names its filters."""
    with Storage.open(config.storage.database) as storage:
        for user, lang, written, channel, question in (
            (1, "en", "vi", "telegram", "Làm sao mở tài khoản ngân hàng?"),
            (2, "zh", None, "web", "发票是什么"),
            (3, "zh", None, "telegram", "怎么开银行账户"),
        ):
            storage.log_interaction(
                user_id=user,
                chat_type="private",
                language=lang,
                question=question,
                status="unanswered",
                written_in=written,
                channel=channel,
            )
    out = tmp_path / "vi.html"
    result = CliRunner().invoke(report, ["--language", "VI", "--out", str(out)], obj=config)
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output and "1 question in vi from" in result.output
    page = out.read_text(encoding="utf-8")
    assert "Làm sao mở tài khoản ngân hàng?" in page and "发票是什么" not in page
    assert "Only questions in language vi (written or answered in it)." in page
    web = tmp_path / "web.html"
    result = CliRunner().invoke(
        report, ["--channel", "web", "--language", "zh", "--out", str(web)], obj=config
    )
    assert result.exit_code == 0 and "1 question in zh through web from" in result.output
    page = web.read_text(encoding="utf-8")
    assert "发票是什么" in page and "怎么开银行账户" not in page
    assert (
        "Only questions in language zh (written or answered in it) and through channel web." in page
    )
    whole = tmp_path / "all.html"
    assert CliRunner().invoke(report, ["--out", str(whole)], obj=config).exit_code == 0
    assert "Only questions" not in whole.read_text(encoding="utf-8")


def test_every_word_of_the_report_page_has_a_chinese_translation():
    """Each string bot/report_html.py passes to `say` (and each outcome or source name) is in
    the zh catalog: a page in Chinese has no English left but data and codes."""
    import ast

    from bot import report_html
    from bot.web.i18n import catalog

    def literals(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return literals(node.body) + literals(node.orelse)
        return []

    tree = ast.parse(Path(report_html.__file__).read_text(encoding="utf-8"))
    said = {
        text
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "say" and node.args
        for text in literals(node.args[0])
    }
    # strings chosen before they are said: _helpful's, _outcome_header's, the names
    said |= {"{share} of {n} vote", "{share} of {n} votes", "day", "language"}
    said |= set(report_html.NAMES.values())
    said |= {*report_html.STAFF_HEADINGS, report_html.STAFF_NOTE, report_html.STAFF_UNFILTERED}
    said |= {report_html.NO_STAFF_WORK}
    assert len(said) > 60
    assert sorted(said - set(catalog("zh"))) == []


def test_cli_writes_the_page_in_chinese(config, tmp_path):
    with Storage.open(config.storage.database) as storage:
        storage.log_interaction(
            user_id=1, chat_type="private", language="zh", question="发票是什么？",
            status="unanswered", channel="web",
        )  # fmt: skip
    out = tmp_path / "zh.html"
    args = ["--page-language", "zh", "--channel", "web", "--out", str(out)]
    result = CliRunner().invoke(report, args, obj=config)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert '<html lang="zh">' in page and "<h1>FAQ 机器人报表</h1>" in page
    assert "仅包含来自渠道 web 的问题。" in page and "发票是什么？" in page
    assert "最常见的未回答问题" in page and "Top unanswered questions" not in page
    assert "（UTC+8，" in page  # the period in [web] timezone, Asia/Shanghai
    english = tmp_path / "en.html"
    assert CliRunner().invoke(report, ["--out", str(english)], obj=config).exit_code == 0
    assert '<html lang="en">' in english.read_text(encoding="utf-8")  # an English kb: English


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--language", "english!"], "is not a language code"),
        (["--channel", "fax"], "fax"),
        (["--page-language", "fr"], "fr"),
    ],
)
def test_cli_rejects_a_bad_filter_and_writes_nothing(config, tmp_path, args, message):
    out = tmp_path / "r.html"
    result = CliRunner().invoke(report, [*args, "--out", str(out)], obj=config)
    assert result.exit_code == 2 and message in result.output and not out.exists()
