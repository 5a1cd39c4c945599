"""The report pages of the console through its ASGI client: real SQLite, real knowledge base."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.handoffstore import Actor, HandoffStore
from bot.report import tables
from bot.web.reports import csv_text
from tests.web_support import *  # noqa: F403  (the fixtures)
from tests.web_support import login


def log(storage, question, status, *, user=1, language="en", entry=None, channel="telegram"):
    return storage.log_interaction(
        user_id=user, chat_type="private", language=language, question=question, status=status,
        entry_id=entry, channel=channel, waited_ms=120.0, took_ms=8.0,
    )  # fmt: skip


@pytest.fixture
def logged(storage):
    """Three answered (two with votes, one 👎 'outdated'), one Arabic unanswered by the
    terminal, one formula-looking unanswered question."""
    first = log(storage, "How do I open a bank account?", "answered", entry="bank-account")
    log(storage, "bank account please", "answered", user=2, entry="bank-account")
    third = log(storage, "What are office hours?", "answered", user=3, entry="office-hours")
    log(storage, "أين يمكنني ركن السيارة؟", "unanswered", user=4, language="ar", channel="terminal")
    log(storage, '=HYPERLINK("http://x")', "unanswered", user=5)
    storage.log_feedback(first, 1, False, "outdated")
    storage.log_feedback(third, 3, True)
    return storage


def card(html: str, label: str) -> str:
    found = re.search(r"<b>([^<]*)</b><span>" + re.escape(label), html)
    assert found, label
    return found[1]


def test_manager_reads_the_report_with_every_figure(client, logged):
    login(client, "mia")
    page = client.get("/reports")
    assert page.status_code == 200
    html = page.text
    assert card(html, "questions") == "5"
    assert card(html, "people asking") == "5"
    assert card(html, "answered") == "60.0%"
    assert card(html, "unanswered") == "40.0%"
    assert card(html, "helpful (2 votes)") == "50.0%"
    assert card(html, "median wait for a reply") == "120 ms"
    assert '<td dir="auto">أين يمكنني ركن السيارة؟</td>' in html
    assert "out of date 1" in html and "outdated" not in html  # the 👎 reason, in words
    assert "<svg" in html and "Questions per day by outcome" in html
    assert "<script" not in html and "style=" not in html  # the CSP forbids both
    assert 'href="/reports"' in html  # the nav link
    assert "Last 7 days" in html and "/reports?since=90d" in html


def test_language_and_channel_filters(client, logged):
    login(client, "mia")
    arabic = client.get("/reports", params={"language": "ar"}).text
    assert card(arabic, "questions") == "1" and "ركن السيارة" in arabic
    assert "HYPERLINK" not in arabic
    terminal = client.get("/reports", params={"channel": "terminal"}).text
    assert card(terminal, "questions") == "1"
    channels = re.findall(r'<option value="(\w+)"', terminal.split('name="channel"')[1])
    assert channels[:3] == ["telegram", "web", "terminal"] and "cli" not in channels
    cli = client.get("/reports", params={"channel": "cli"}).text  # the terminal's other name
    assert card(cli, "questions") == "1" and 'value="terminal" selected' in cli
    telegram = client.get("/reports", params={"channel": "telegram"}).text
    assert card(telegram, "questions") == "4" and "ركن السيارة" not in telegram
    assert 'value="telegram" selected' in telegram


def test_the_console_doc_names_every_channel_the_filter_offers():
    """docs/console.md lists the `channel` values of /reports as the code has them."""
    from bot.report import CHANNEL_ALIASES, CHANNELS
    from tests.conftest import ROOT

    doc = " ".join((ROOT / "docs" / "console.md").read_text(encoding="utf-8").split())
    found = re.search(r"and `channel` \(([^)]*)\)", doc)
    assert found, "the /reports filters in docs/console.md"
    named = re.findall(r"`(\w+)`", found[1])
    assert set(named) == set(CHANNELS) | set(CHANNEL_ALIASES), found[1]


def test_period_filter_and_bad_values(client, logged):
    login(client, "mia")
    assert card(client.get("/reports", params={"until": "2020-01-01"}).text, "questions") == "0"
    page = client.get("/reports", params={"since": "soon", "language": "<b>", "channel": "fax"})
    assert page.status_code == 200
    assert "is neither a time span" in page.text
    assert "questions</span>" not in page.text  # no other period shown instead
    assert "<b>'" not in page.text
    page = client.get("/reports", params={"language": "<b>", "channel": "fax"})
    assert "is not a channel" in page.text
    assert card(page.text, "questions") == "5"  # the default period, every language
    for since, until in (("99999999999d", ""), ("x", "0001-01-01"), ("30d", "0001-01-01")):
        assert client.get("/reports", params={"since": since, "until": until}).status_code == 200
    ancient = client.get("/reports", params={"since": "0001-01-01"})
    assert ancient.status_code == 200 and "at most 731 days" in ancient.text
    assert ancient.text.count("<rect") < 2000  # one bar per day of two years at most


def test_a_period_the_wrong_way_round_says_so(client, logged):
    """From today to a date before it: today is not "in the future"; the page says the
    period is the wrong way round, shows no other period instead and keeps what was typed."""
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    before = today - timedelta(days=28)
    login(client, "mia")
    html = client.get("/reports", params={"since": str(today), "until": str(before)}).text
    assert "in the future" not in html
    assert (
        f"The period cannot start ({today}) after it ends ({before}): choose an earlier start."
    ) in html
    assert f'name="since" value="{today}"' in html and f'name="until" value="{before}"' in html
    assert 'class="period"' not in html
    alone = client.get("/reports", params={"since": str(today)}).text
    assert "in the future" not in alone and "cannot start" not in alone


def test_language_codes_in_any_case_and_unknown_ones_said(client, logged):
    login(client, "mia")
    upper = client.get("/reports", params={"language": "EN"}).text
    assert "not a language code" not in upper
    assert card(upper, "questions") == "4" and '<option value="en" selected>' in upper
    unknown = client.get("/reports", params={"language": "xx"}).text
    assert card(unknown, "questions") == "0"
    assert '<option value="xx" selected>' in unknown  # never "All languages" while filtered
    assert "No question in this period was written in xx, and the bot is not set up for it" in (
        unknown
    )
    arabic = client.get("/reports", params={"language": "ar"}).text  # asked, though not set up
    assert "not set up" not in arabic and card(arabic, "questions") == "1"


def rows_of(response) -> list[list[str]]:
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_every_table_exports_as_csv_with_the_page_filters(client, logged):
    login(client, "mia")
    html = client.get("/reports", params={"since": "7d"}).text
    links = re.findall(r'href="(/reports\.csv\?[^"]+)"', html)
    assert len(links) >= 6
    for link in links:
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, link
        assert rows_of(response)[0]  # a header row
    clusters = rows_of(client.get("/reports.csv", params={"table": "unanswered_clusters"}))
    assert clusters[0] == ["question", "count", "languages", "other_wordings"]
    questions = {row[0] for row in clusters[1:]}
    assert '\'=HYPERLINK("http://x")' in questions  # no spreadsheet runs it
    assert "أين يمكنني ركن السيارة؟" in questions
    arabic = rows_of(client.get("/reports.csv", params={"table": "languages", "language": "ar"}))
    assert [row[0] for row in arabic[1:]] == ["ar"]


def test_each_sections_csv_link_gives_that_sections_data(client, logged):
    """Every section's CSV link downloads the table of what that section shows: the reply
    time's, its waits and matching times (not the text sources, shown nowhere on the page)."""
    login(client, "mia")
    html = client.get("/reports").text
    linked = {
        title.strip(): table
        for title, table in re.findall(
            r"<h2>([^<]+) <a class=\"csv\" href=\"/reports\.csv\?[^\"]*table=(\w+)", html
        )
    }
    assert linked == {
        "Summary": "summary",
        "Questions per day": "per_day",
        "Languages": "languages",
        "Top unanswered questions": "unanswered_clusters",
        "Helpfulness": "entry_feedback",
        "Most used entries": "top_entries",
        "Reply time": "reply_times",
        "Staff work": "staff_work",
    }
    times = rows_of(client.get("/reports.csv", params={"table": "reply_times"}))
    assert times == [
        ["measure", "timed", "median_ms", "p90_ms"],
        ["wait", "5", "120.0", "120.0"],
        ["matching", "5", "8.0", "8.0"],
    ]


def test_a_filtered_csv_says_its_filters(client, logged):
    """A French web-only export is named and headed as such, never like the whole report."""
    login(client, "mia")
    params = {"since": "7d", "language": "fr", "channel": "web", "table": "summary"}
    filtered = client.get("/reports.csv", params=params)
    everything = client.get("/reports.csv", params={"since": "7d", "table": "summary"})
    name = re.search(r'filename="([^"]+)"', filtered.headers["content-disposition"])[1]
    assert re.fullmatch(r"report-summary-\d{8}-\d{8}-fr-web\.csv", name), name
    assert "-fr" not in everything.headers["content-disposition"]
    summary = dict(rows_of(filtered)[1:])
    assert (summary["language"], summary["channel"]) == ("fr", "web")
    assert dict(rows_of(everything)[1:])["language"] == "all"


def test_csv_refuses_unknown_tables_and_bad_filters(client, logged):
    login(client, "mia")
    missing = client.get("/reports.csv", params={"table": "secrets"})
    assert missing.status_code == 404 and "summary" in missing.text
    assert client.get("/reports.csv", params={"table": "summary", "since": "x"}).status_code == 400


def test_report_pages_in_chinese(client, logged):
    login(client, "mia")
    client.cookies.set("console_lang", "zh")
    html = client.get("/reports").text
    assert "报表" in html and "最近 7 天" in html and "提问人数" in html
    assert "<td>内容过时 1</td>" in html  # the 👎 reason
    # the charts' titles and tooltips too
    assert "<title>每日问题（按结果）</title>" in html and "<title>各语言问题数</title>" in html
    assert re.search(r"<title>\d{4}-\d\d-\d\d：共 [\d,]+ 个问题，已回答 [\d,]+ 个</title>", html)
    assert re.search(r"<title>英文：已回答 [\d,]+ 个</title>", html)
    english = client.get("/reports", cookies={"console_lang": "en"}).text
    assert "<title>Questions per day by outcome</title>" in english
    assert re.search(r"<title>\d{4}-\d\d-\d\d: [\d,]+ answered of [\d,]+</title>", english)


@given(st.text(max_size=30), st.text(max_size=30), st.text(max_size=12), st.text(max_size=12))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_filter_text_gives_a_page_never_a_fault(
    client, logged, since, until, language, channel
):
    if not client.cookies.get("console_session"):
        login(client, "mia")
    params = {"since": since, "until": until, "language": language, "channel": channel}
    page = client.get("/reports", params=params)
    assert page.status_code == 200
    export = client.get("/reports.csv", params={**params, "table": "summary"})
    assert export.status_code in (200, 400)


@given(st.lists(st.text(max_size=20), max_size=4))
def test_csv_cells_never_start_a_formula(cells):
    rows = list(csv.reader(io.StringIO(csv_text(["h"] * len(cells), [cells]).lstrip("\ufeff"))))
    for cell in rows[1] if cells else []:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_csv_tables_match_the_core_report(tmp_path, logged):
    from datetime import UTC, datetime, timedelta

    from bot.report import build_report

    now = datetime.now(UTC)
    report = build_report(logged.path, None, since=now - timedelta(days=1), now=now)
    assert set(tables(report)) >= {"summary", "languages", "unanswered_clusters", "entry_feedback"}


def test_a_kept_report_gives_way_to_new_questions_and_handling(client, logged):
    login(client, "mia")
    assert card(client.get("/reports").text, "questions") == "5"
    log(logged, "Is there a canteen?", "unanswered", user=9)
    page = client.get("/reports").text
    assert card(page, "questions") == "6" and "canteen" in page
    ids = [r["id"] for r in logged.list_unanswered(status="new") if "canteen" in r["question"]]
    from bot import triage

    triage.ignore(logged, ids)
    assert "canteen" not in client.get("/reports").text


def test_users_wording_is_marked_dir_auto_on_every_page(client, logged):
    login(client, "mia")
    inbox = client.get("/inbox").text
    assert re.search(r'<span dir="auto"[^>]*>أين يمكنني ركن السيارة؟</span>', inbox)
    assert re.search(r'<h[23] dir="auto">[^<]+</h[23]>', inbox)
    assert '<td dir="auto">' in client.get("/entries").text
    assert '<td dir="auto">أين يمكنني ركن السيارة؟</td>' in client.get("/reports").text


def test_entries_opened_from_the_topics_are_counted_apart(client, logged):
    """An entry opened while browsing the topics is no question: the page and the summary
    CSV count it on its own."""
    logged.log_interaction(
        user_id=9, chat_type="private", language="en", question="What is a fapiao?",
        status="answered", entry_id="fapiao", channel="web", browsed=True,
    )  # fmt: skip
    login(client, "mia")
    html = client.get("/reports").text
    assert card(html, "questions") == "5" and card(html, "people asking") == "5"
    assert card(html, "answered") == "60.0%"
    assert card(html, "entries opened from the topics") == "1"
    summary = dict(rows_of(client.get("/reports.csv", params={"table": "summary"}))[1:])
    assert (summary["questions"], summary["browsed"]) == ("5", "1")


def test_the_outcome_cards_add_up_with_small_talk(client, logged):
    """Small talk ("hello") is one of the questions: its share has a card of its own, so the
    outcome cards add up to every question, on the page as in summary.csv."""
    log(logged, "hello", "smalltalk", user=6)
    login(client, "mia")
    html = client.get("/reports").text
    labels = ("answered", "answered after a suggestion", "suggestions only", "unanswered")
    shares = [card(html, label) for label in (*labels, "small talk")]
    assert card(html, "questions") == "6" and shares[-1] == "16.7%"
    assert abs(sum(float(share.rstrip("%")) for share in shares) - 100) < 0.2
    summary = dict(rows_of(client.get("/reports.csv", params={"table": "summary"}))[1:])
    assert summary["smalltalk_pct"] == "16.7"


def test_a_kept_report_gives_way_to_a_handoff_closed_in_the_same_second(client, logged, clock):
    """A report is kept while nothing changes. Two questions closed on the console's
    Handoffs within one second (same `updated`) with the page loaded between them: the
    page counts the second one too, not the report kept from before it."""
    store = HandoffStore(logged.path, clock=clock)  # one instant for every change
    try:
        store.sync()
        clock.now = datetime.now(UTC) + timedelta(minutes=1)  # later than their questions
        first, second = store.find()
        store.close_handoff(first.id, Actor("sam", "sam"))
        login(client, "mia")
        assert card(client.get("/reports").text, "unanswered, still waiting for staff") == "1"
        store.close_handoff(second.id, Actor("sam", "sam"))
        assert card(client.get("/reports").text, "unanswered, still waiting for staff") == "0"
    finally:
        store.close()


def test_days_are_the_centres_days_near_midnight(client, storage):
    """Shanghai is UTC+8 ([web] timezone): a question at 23:30 on 20 November local and one
    at 00:30 on 21 November (16:30 UTC, still the 20th in UTC) fall on their local days in
    the chart, the per-day CSV, the CSV's file name and the summary's period."""
    from bot.storage import Storage

    for moment, question in (
        (datetime(2026, 11, 20, 15, 30, tzinfo=UTC), "Late on the 20th?"),
        (datetime(2026, 11, 20, 16, 30, tzinfo=UTC), "Early on the 21st?"),
    ):
        with Storage.open(storage.path, clock=lambda moment=moment: moment) as at:
            log(at, question, "unanswered")
    login(client, "mia")
    day = {"since": "2026-11-21", "until": "2026-11-21"}
    page = client.get("/reports", params=day).text
    assert "From 2026-11-21 00:00 to 2026-11-21 23:59 (UTC+8)" in page
    assert card(page, "questions") == "1" and "Early on the 21st?" in page
    assert "2026-11-21" in page.split("Questions per day")[1] and "2026-11-20:" not in page
    per_day = client.get("/reports.csv", params={**day, "table": "per_day"})
    assert [row[:2] for row in rows_of(per_day)[1:]] == [["2026-11-21", "1"]]
    assert (
        'filename="report-per_day-20261121-20261121.csv"' in per_day.headers["content-disposition"]
    )
    summary = dict(rows_of(client.get("/reports.csv", params={**day, "table": "summary"}))[1:])
    assert summary["since"] == "2026-11-21T00:00:00+08:00"
    assert summary["until"] == "2026-11-21T23:59:59+08:00"
    both = {"since": "2026-11-20", "until": "2026-11-21", "table": "per_day"}
    rows = rows_of(client.get("/reports.csv", params=both))[1:]
    assert [row[:2] for row in rows] == [["2026-11-20", "1"], ["2026-11-21", "1"]]


@pytest.mark.parametrize(
    ("typed", "english", "chinese"),
    [
        (
            {"since": "yesterday"},
            "'yesterday' is neither a time span like 90m, 24h, 30d or 2w nor a date",
            "'yesterday' 既不是 90m、24h、30d、2w 这样的时间跨度",
        ),
        (
            {"since": "2026-13-45"},
            "'2026-13-45' is neither a time span like 90m, 24h, 30d or 2w nor a date",
            "'2026-13-45' 既不是 90m、24h、30d、2w 这样的时间跨度",
        ),
        (
            {"since": "2026-11-20", "until": "2026-11-01"},
            "The period cannot start (2026-11-20) after it ends (2026-11-01)",
            "时间段的开始（2026-11-20）不能晚于结束（2026-11-01）",
        ),
        (
            {"since": "9026-12-05", "until": "2026-11-01"},  # in the future and after the end
            "The period cannot start (9026-12-05) after it ends (2026-11-01)",
            "时间段的开始（9026-12-05）不能晚于结束（2026-11-01）",
        ),
        (
            {"since": "2026-11-01", "until": "2026-02-30"},
            "'2026-02-30' is not a date like 2026-11-01 or 2026-11-01T18:00",
            "'2026-02-30' 不是 2026-11-01 或 2026-11-01T18:00 这样的日期",
        ),
    ],
)
def test_a_period_that_cannot_be_read_is_refused_and_kept(client, logged, typed, english, chinese):
    """A From or To that is no date, or a From after the To, is said in plain words on the
    page (in English and in Chinese), the text typed stays in the form, and no other period
    (the last 30 days) is shown as if it were the one asked for."""
    from html import unescape

    login(client, "mia")
    for language, said in (("en", english), ("zh", chinese)):
        client.cookies.set("console_lang", language)
        page = client.get("/reports", params=typed)
        assert page.status_code == 200
        html = unescape(page.text)
        assert said in html.split('class="error"')[1].split("</p>")[0]
        for name, value in typed.items():
            assert f'name="{name}" value="{value}"' in html
        assert 'class="period"' not in html and "<svg" not in html
        csv_export = client.get("/reports.csv", params={**typed, "table": "summary"})
        assert csv_export.status_code == 400
