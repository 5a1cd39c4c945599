"""The staff digest: the core figures, its text in English and Chinese, `report --digest`,
and the scheduled post to the staff chat through a real Application."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot import times, triage
from bot.accounts import Accounts
from bot.cli import main
from bot.delivery import Deliveries
from bot.digest import build_digest, next_run, render_digest
from bot.handoff import Desk
from bot.handoffstore import Actor, HandoffStore, open_counts
from bot.report import build_report
from bot.storage import Storage
from bot.telegram import digest as telegram_digest
from bot.telegram.app import build_application
from bot.web import i18n
from tests import fake_telegram as tg
from tests.conftest import SMALL_KB
from tests.telegram_fixtures import *  # noqa: F403
from tests.telegram_fixtures import STAFF_CHAT

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.moment = NOW

    def __call__(self) -> datetime:
        return self.moment


def fill(path, now=NOW):
    """Yesterday and the day before: an old gap asked again, a new gap in two languages,
    entry bank-account used more than before, a 👎 'outdated' and a 👎 without a reason."""
    clock = Clock()
    with Storage.open(path, clock=clock) as storage:

        def log(hours_ago, question, status, entry=None, language="en", user=1, part=None):
            clock.moment = now - timedelta(hours=hours_ago)
            return storage.log_interaction(
                user_id=user, chat_type="private", language=language, question=question,
                status=status, entry_id=entry, part=part,
            )  # fmt: skip

        log(30, "Where can I park?", "unanswered")  # the day before: not new
        log(30, "Office hours?", "answered", "office-hours")
        log(5, "Where can I park?", "unanswered", user=2)
        log(4, "Can I bring my dog?", "unanswered", user=3)
        log(3, "can i bring my dog", "unanswered", user=4, language="fr")
        bank = [log(2, "bank account?", "answered", "bank-account", user=u) for u in (5, 6)]
        log(1, "Office hours? bank account?", "answered", "office-hours", user=7)
        log(1, "bank account?", "answered", "bank-account", user=7, part=1)  # same message
        clock.moment = now - timedelta(hours=1)
        storage.log_feedback(bank[0], 5, False, "outdated")
        storage.log_feedback(bank[1], 6, False)
    return path


def test_a_new_gap_names_the_language_it_is_written_in(tmp_path, small_answerer):
    """A Vietnamese question answered in English is a gap in vi (its interaction's
    `written_in`); in a log from before that column, in en."""
    path = tmp_path / "bot.db"
    with Storage.open(path, clock=lambda: NOW - timedelta(hours=2)) as storage:
        for user in (1, 2):
            storage.log_interaction(
                user_id=user, chat_type="private", language="en", written_in="vi",
                question="Làm sao mở tài khoản?", status="unanswered",
            )  # fmt: skip
    digest = build_digest(path, small_answerer.kb, period="daily", now=NOW)
    assert [(g.count, g.languages) for g in digest.new_gaps] == [(2, ("vi",))]
    conn = sqlite3.connect(path)
    conn.execute("DROP VIEW questions")  # which older releases did not make either
    conn.execute("ALTER TABLE interactions DROP COLUMN written_in")
    conn.commit()
    conn.close()
    old = build_digest(path, small_answerer.kb, period="daily", now=NOW)
    assert [(g.count, g.languages) for g in old.new_gaps] == [(2, ("en",))]


def test_digest_figures(tmp_path, small_answerer):
    path = fill(tmp_path / "bot.db")
    digest = build_digest(path, small_answerer.kb, period="daily", now=NOW)
    assert (digest.questions, digest.answered, digest.unanswered) == (6, 3, 3)
    assert [(g.question, g.count, g.languages) for g in digest.new_gaps] == [
        ("Can I bring my dog?", 2, ("en", "fr"))
    ]
    assert digest.gaps_total == 1
    # A message answered in two parts is one question; each entry given counts as used.
    assert [(t.entry_id, t.before, t.count) for t in digest.trending] == [("bank-account", 0, 3)]
    assert digest.thumbs_down == 2
    assert digest.reasons == (("", 1), ("outdated", 1))
    assert [(d.entry_id, d.count, d.reasons) for d in digest.disliked] == [
        ("bank-account", 2, (("outdated", 1),))
    ]
    # every unanswered question still new is an open handoff, made or not yet
    assert digest.handoffs == {"new": 4, "claimed": 0}
    weekly = build_digest(path, small_answerer.kb, period="weekly", now=NOW)
    assert weekly.questions == 8 and weekly.gaps_total == 2


def test_digest_counts_open_handoffs_from_the_handoff_table_or_a_function(tmp_path):
    path = fill(tmp_path / "bot.db")
    store = HandoffStore(path)
    try:
        assert store.sync() == 4  # every queued question still new is a handoff
        first = store.find()[0]
        store.claim(first.id, Actor("sam", "Sam"))
        store.close_handoff(store.find()[1].id, Actor("sam", "Sam"))
    finally:
        store.close()
    assert build_digest(path, None, period="daily", now=NOW).handoffs == {"new": 2, "claimed": 1}
    counted = build_digest(path, None, period="daily", now=NOW, handoffs=lambda c: {"new": 9})
    assert "Open handoffs: 9 (new 9)" in render_digest(counted)
    counted = build_digest(path, None, period="daily", now=NOW, handoffs=lambda c: {"claimed": 2})
    assert "(已认领 2)" in render_digest(counted, partial(i18n.translate, "zh"))  # was "claimed 2"
    assert build_digest(path, None, period="daily", now=NOW, handoffs=None).handoffs is None


def digest_of(database, tmp_path) -> str:
    """`report --digest` through the real CLI."""
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndatabase = "{database}"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "report", "--digest"])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_digest_counts_open_handoffs_nobody_has_looked_at(tmp_path, storage, small_answerer):
    """Web visitors leave an unanswered question, a "none of these" and a "talk to a
    person": `report --digest` counts them at once, as the console's handoff list shows
    them, not only after someone opened that list (which makes the handoff rows)."""
    from tests.web_support import PASSWORD, login, make_client

    accounts = Accounts(storage.path)
    accounts.add("mia", "manager", actor="admin")
    accounts.set_password("mia", PASSWORD, actor="admin")
    config = replace(
        small_answerer.config, storage=replace(small_answerer.config.storage, database=storage.path)
    )
    origin = {"origin": "http://testserver"}
    with make_client(config, storage, accounts, small_answerer) as client:
        client.get("/chat")
        client.post("/chat/send", json={"text": "Can my cat attend the tax audit?"}, headers=origin)
        html = client.post("/chat/send", json={"text": "bank fapiao"}, headers=origin).json()
        msg = re.search(r'data-act="none" data-msg="(\d+)"', str(html))[1]
        client.post("/chat/act", json={"act": "none", "msg": msg}, headers=origin)
        client.post("/chat/act", json={"act": "staff", "text": "Call me please"}, headers=origin)
        assert "Open handoffs: 3 (new 3, claimed 0)" in digest_of(storage.path, tmp_path)
        login(client, "mia")
        listed = client.get("/handoffs").text
        assert len(set(re.findall(r'href="/handoffs/(\d+)"', listed))) == 3
        assert "Open handoffs: 3 (new 3, claimed 0)" in digest_of(storage.path, tmp_path)
        client.post("/chat/send", json={"text": "Is there a canteen for cats?"}, headers=origin)
        assert "Open handoffs: 4 (new 4, claimed 0)" in digest_of(storage.path, tmp_path)
    accounts.close()


def test_open_handoffs_are_counted_as_the_handoff_list_leaves_them(tmp_path):
    """Claimed, closed in the inbox, forgotten, not made yet: `open_counts` on a read-only
    connection agrees with what `sync` leaves in the handoff table."""
    path = fill(tmp_path / "bot.db")
    store = HandoffStore(path)
    try:
        store.sync()
        # the two oldest: the newest is the asker forgotten below (its handoff goes with it;
        # when handoff numbers were given again, the next one took its claim)
        *_, second, first = store.find()
        store.claim(first.id, Actor("sam", "Sam"))
        with Storage.open(path) as storage:
            triage.ignore(storage, [second.unanswered_id])  # handled in the inbox
            storage.forget(4)  # "can i bring my dog": its question is gone
            ask = dict(chat_type="private", language="en", status="unanswered")
            storage.log_interaction(user_id=8, question="Where do I pay?", **ask)  # not made
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        counted = open_counts(conn)
        conn.close()
        store.sync()
        left = store.counts()
    finally:
        store.close()
    assert counted == {"new": left["new"], "claimed": left["claimed"]}
    assert counted == {"new": 2, "claimed": 1}


async def test_a_gap_staff_answered_or_closed_on_the_handoffs_is_no_new_gap(tmp_path):
    """ "Can I bring my dog?" was asked in English and in French. Staff answer the English
    asker from the console's Handoffs and close the French one there: the questions no
    longer wait for staff, in the digest's new gaps as in the report (both keep the inbox
    status 'new': the inbox did not handle them)."""
    path = fill(tmp_path / "bot.db")
    store = HandoffStore(path)
    deliveries = Deliveries()

    async def delivered(row: dict, text: str) -> bool:
        return True

    deliveries.register("telegram", delivered)
    desk = Desk(store, deliveries, kb_language="en")
    try:
        store.sync()
        dog = {h.language: h for h in store.find() if h.question.lower().startswith("can i")}
        sam = Actor("sam", "Sam")
        await desk.reply([dog["en"].id], "Only guide dogs.", sam, via="console")

        def gaps() -> tuple[int, list[tuple[str, ...]]]:
            digest = build_digest(path, None, period="daily", now=NOW)
            report = build_report(path, None, since=NOW - timedelta(days=1), now=NOW)
            assert report.unanswered_open == 1 + sum(g.count for g in digest.new_gaps)
            return digest.gaps_total, [g.languages for g in digest.new_gaps]

        assert gaps() == (1, [("fr",)])
        await desk.close(dog["fr"].id, sam)
        assert gaps() == (0, [])  # "Where can I park?", asked before, still waits
    finally:
        store.close()
    with Storage.open(path) as storage:  # the inbox did not handle them
        assert {r["status"] for r in storage.list_unanswered(status=None)} == {"new"}


def test_the_digest_says_how_many_chosen_suggestions_wait(tmp_path):
    path = fill(tmp_path / "bot.db")
    assert "chosen by users" not in render_digest(build_digest(path, None, period="daily", now=NOW))
    with Storage.open(path) as storage:
        for user in (1, 2, 3):
            storage.log_choice(user_id=user, language="en", question="q", entry_id="fapiao")
        storage.set_choices_ignored([3])
    digest = build_digest(path, None, period="daily", now=NOW)
    assert digest.choices_waiting == 2
    assert "Suggestions chosen by users, waiting for review: 2" in render_digest(digest)
    chinese = render_digest(digest, partial(i18n.translate, "zh"))
    assert "待审核的用户选择：2（控制台：用户的选择）" in chinese


def test_a_database_without_handoffs_has_no_handoff_line(tmp_path):
    path = fill(tmp_path / "bot.db")
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE handoffs RENAME TO gone")
    conn.commit()
    conn.close()
    digest = build_digest(path, None, period="daily", now=NOW)
    assert digest.handoffs is None and "handoffs" not in render_digest(digest)


def test_digest_text_in_english_and_chinese(tmp_path, small_answerer):
    digest = build_digest(fill(tmp_path / "bot.db"), small_answerer.kb, period="daily", now=NOW)
    text = render_digest(digest)
    assert text.startswith("Daily digest: 2026-11-19 08:00 – 2026-11-20 08:00 UTC")
    beijing = render_digest(digest, zone=ZoneInfo("Asia/Shanghai"))  # [web] timezone
    assert beijing.startswith("Daily digest: 2026-11-19 16:00 – 2026-11-20 16:00 UTC+8\n")
    assert (
        "Questions: 6; 3 answered (50%), 0 given only suggestions, 3 unanswered, 0 small talk."
        in text
    )
    assert "• Can I bring my dog? ×2 (English, French)" in text  # named, not en, fr
    assert "(bank-account) 0 → 3" in text
    assert "Reasons: no reason 1, out of date 1" in text  # in words, not the stored codes
    assert "(bank-account) ×2: out of date 1" in text
    chinese = render_digest(digest, partial(i18n.translate, "zh"), language="zh")
    assert chinese.startswith("每日摘要") and "新的知识缺口：1" in chinese
    assert "• Can I bring my dog? ×2 (英文, 法文)" in chinese
    assert "原因：未说明原因 1, 内容过时 1" in chinese


def test_the_summary_line_counts_every_outcome_and_adds_up(tmp_path, small_answerer):
    """Questions that only got a "did you mean" list and small talk have their figure too,
    in the report's words (bot/counting.py OUTCOMES), so that the figures add up to the
    questions asked, in English and in Chinese."""
    path = tmp_path / "bot.db"
    with Storage.open(path, clock=lambda: NOW - timedelta(hours=1)) as storage:

        def log(question, status, entry=None, follows=None):
            return storage.log_interaction(
                user_id=1, chat_type="private", language="en", question=question,
                status=status, entry_id=entry, follows=follows,
            )  # fmt: skip

        log("What is a fapiao?", "answered", "fapiao")
        listed = log("bank fapiao", "suggest")
        log("bank fapiao", "answered", "bank-account", follows=listed)  # chosen from the list
        log("fapiao bank", "suggest")  # nothing chosen
        log("open permit", "suggest")  # nothing chosen
        log("Where can I park?", "unanswered")
        for text in ("hello", "thanks", "bye"):
            log(text, "smalltalk")
    digest = build_digest(path, small_answerer.kb, period="daily", now=NOW)
    figures = (digest.answered, digest.suggested, digest.unanswered, digest.smalltalk)
    assert figures == (2, 2, 1, 3) and sum(figures) == digest.questions == 8
    assert render_digest(digest).splitlines()[1] == (
        "Questions: 8; 2 answered (25%; 1 after a suggestion), 2 given only suggestions, "
        "1 unanswered, 3 small talk."
    )
    assert render_digest(digest, partial(i18n.translate, "zh")).splitlines()[1] == (
        "共 8 个问题：已回答 2 个（25%，其中 1 个在选择建议后得到回答），仅给出建议 2 个，"
        "未回答 1 个，闲聊 3 个。"
    )
    unchosen = replace(digest, chosen=0)  # none answered after a suggestion: not said
    assert render_digest(unchosen, partial(i18n.translate, "zh")).splitlines()[1] == (
        "共 8 个问题：已回答 2 个（25%），仅给出建议 2 个，未回答 1 个，闲聊 3 个。"
    )


@pytest.mark.parametrize(
    ("now", "schedule", "due"),
    [
        ("2026-11-20T07:59:59", "daily", "2026-11-20T08:00:00"),
        ("2026-11-20T08:00:00", "daily", "2026-11-21T08:00:00"),
        ("2026-11-20T09:30:00", "weekly", "2026-11-23T08:00:00"),  # a Friday: next Monday
        ("2026-11-23T07:00:00", "weekly", "2026-11-23T08:00:00"),
        ("2026-11-23T08:00:01", "weekly", "2026-11-30T08:00:00"),
    ],
)
def test_next_run(now, schedule, due):
    moment = datetime.fromisoformat(now).replace(tzinfo=UTC)
    assert next_run(moment, schedule, 8) == datetime.fromisoformat(due).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "now", "schedule", "hour", "due"),
    [
        # Beijing time is UTC+8: 9 o'clock there is 01:00 UTC
        ("Asia/Shanghai", "2026-11-29T22:00:00", "daily", 9, "2026-11-30T01:00:00"),
        ("Asia/Shanghai", "2026-11-30T01:00:00", "daily", 9, "2026-12-01T01:00:00"),
        ("Asia/Shanghai", "2026-11-29T23:30:00", "daily", 8, "2026-11-30T00:00:00"),
        # Sunday 17:00 UTC is already Monday 01:00 in Beijing: Monday 08:00 there
        ("Asia/Shanghai", "2026-11-29T17:00:00", "weekly", 8, "2026-11-30T00:00:00"),
        # Monday 08:30 in Beijing (00:30 UTC): a week later
        ("Asia/Shanghai", "2026-11-30T00:30:00", "weekly", 8, "2026-12-07T00:00:00"),
        # Berlin's clocks go forward on 29 March 2026: nine o'clock is an hour earlier in UTC
        ("Europe/Berlin", "2026-03-28T12:00:00", "daily", 9, "2026-03-29T07:00:00"),
        ("Europe/Berlin", "2026-03-27T12:00:00", "daily", 9, "2026-03-28T08:00:00"),
        # 02:00 does not exist that day in Berlin: due at 03:00 (01:00 UTC)
        ("Europe/Berlin", "2026-03-28T12:00:00", "daily", 2, "2026-03-29T01:00:00"),
    ],
)
def test_next_run_is_at_the_hour_of_the_consoles_time_zone(zone, now, schedule, hour, due):
    """digest_hour was read in UTC while the console, and the digest itself, show times in
    [web] timezone: staff who set 9 got their digest at 17:00 in Beijing. It is that
    hour in [web] timezone now, on that zone's Mondays, through its clock changes."""
    moment = datetime.fromisoformat(now).replace(tzinfo=UTC)
    found = next_run(moment, schedule, hour, times.zone(zone))
    assert found == datetime.fromisoformat(due).replace(tzinfo=UTC)


def test_report_digest_prints_it(tmp_path):
    database = fill(tmp_path / "bot.db", now=datetime.now(UTC).replace(microsecond=0))
    config = tmp_path / "config.toml"
    config.write_text(
        f'[knowledge]\ndir = "{SMALL_KB}"\ncache_dir = "{tmp_path / "cache"}"\n'
        f'[storage]\ndatabase = "{database}"\n[telegram]\ndigest = "weekly"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["--config", str(config), "report", "--digest"])
    assert result.exit_code == 0, result.output
    assert "Weekly digest" in result.output and "Can I bring my dog?" in result.output
    daily = CliRunner().invoke(main, ["--config", str(config), "report", "--digest", "daily"])
    assert "Daily digest" in daily.output
    assert not (tmp_path / "report.html").exists()


def test_report_digest_covers_the_period_since_gives(tmp_path):
    """`report --digest --since 2h` is the digest of the last two hours (the old gap asked
    again five hours ago and the dog question are left out), titled as such; without
    --since, the day's."""
    database = fill(tmp_path / "bot.db", now=datetime.now(UTC).replace(microsecond=0))
    config = tmp_path / "config.toml"
    config.write_text(
        f'[knowledge]\ndir = "{SMALL_KB}"\ncache_dir = "{tmp_path / "cache"}"\n'
        f'[storage]\ndatabase = "{database}"\n',
        encoding="utf-8",
    )

    def digest(*args):
        result = CliRunner().invoke(main, ["--config", str(config), "report", "--digest", *args])
        return result.exit_code, result.output

    code, day = digest()
    assert code == 0 and "Daily digest" in day and "Questions: 6;" in day
    code, hours = digest("--since", "150m")
    assert code == 0, hours
    assert hours.startswith("Digest: ")
    assert (
        "Questions: 3; 3 answered (100%), 0 given only suggestions, 0 unanswered, 0 small talk."
        in hours
    )
    assert "New gaps: 0" in hours and "Can I bring my dog?" not in hours
    code, weekly = digest("weekly", "--since", "150m")  # --since says which period
    assert code == 0 and weekly == hours


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--channel", "web"], "--channel"),
        (["--language", "vi"], "--language"),
        (["--out", "x.html", "--csv", "tables"], "--csv, --out"),
    ],
)
def test_report_digest_refuses_what_only_the_page_has(tmp_path, args, named):
    database = fill(tmp_path / "bot.db")
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndatabase = "{database}"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "report", "--digest", *args])
    assert result.exit_code == 2 and f"has no {named}:" in result.output
    assert "every language and channel" in result.output


def test_config_refuses_a_bad_digest(tmp_path):
    from bot.config import ConfigError, load_config

    path = tmp_path / "config.toml"
    path.write_text('[telegram]\ndigest = "hourly"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="digest"):
        load_config(path, environ={})
    path.write_text("[telegram]\ndigest_hour = 24\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"digest_hour .* \(the hour of the day, in \[web\] tim"):
        load_config(path, environ={})


async def test_the_bot_posts_the_digest_to_the_staff_chat_on_time(
    api, bot_config, small_answerer, tmp_path, monkeypatch
):
    """A clock 0.3 s before digest_hour: the real Application posts one digest, then waits
    a day (cancelled when it stops)."""
    start, real = time.monotonic(), datetime.now(UTC)
    due = real.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    monkeypatch.setattr(
        telegram_digest,
        "utcnow",
        lambda: due - timedelta(seconds=0.3) + timedelta(seconds=time.monotonic() - start),
    )
    fill(tmp_path / "bot.db", now=due)
    zone = times.zone(bot_config.web.timezone)  # the hour is read there, not in UTC
    assert due.astimezone(zone).hour != due.hour
    config = replace(
        bot_config,
        telegram=replace(
            bot_config.telegram, digest="daily", digest_hour=due.astimezone(zone).hour
        ),
    )
    storage = Storage.open(tmp_path / "bot.db")
    app = build_application(config, small_answerer, storage, request=tg.RecordingRequest(api))
    async with app:
        await app.post_init(app)
        for _ in range(100):
            if api.sent("sendMessage", STAFF_CHAT):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # no second digest follows
        task = app.bot_data["digest_task"]
        await app.post_shutdown(app)
    posted = api.sent("sendMessage", STAFF_CHAT)
    assert len(posted) == 1
    assert posted[0]["text"].startswith("Daily digest")
    assert "Can I bring my dog? ×2 (English, French)" in posted[0]["text"]
    await asyncio.sleep(0)
    assert task.cancelled() or task.done()


async def test_no_digest_when_off(api, bot_config, small_answerer, tmp_path):
    storage = Storage.open(tmp_path / "bot.db")
    app = build_application(bot_config, small_answerer, storage, request=tg.RecordingRequest(api))
    async with app:
        await app.post_init(app)
        assert "digest_task" not in app.bot_data
        await app.post_shutdown(app)


def test_the_staff_chat_gets_the_knowledge_base_language_where_the_console_has_it(config):
    chinese = replace(config, knowledge=replace(config.knowledge, language="zh"))
    assert telegram_digest.staff_gettext(chinese)("Daily digest") == "每日摘要"
    russian = replace(config, knowledge=replace(config.knowledge, language="ru"))
    assert telegram_digest.staff_gettext(russian)("Daily digest") == "Daily digest"


def test_every_new_gap_is_counted_and_ties_go_to_the_latest_in_any_script(tmp_path):
    """Seven new gaps asked once each, the Chinese, Russian and Arabic ones last: the five
    latest are listed (not the Latin-script ones first), and the two left out are said."""
    path = tmp_path / "bot.db"
    questions = [
        "Can I park here?", "Is there a gym?", "Do you sell stamps?", "Where is the bank?",
        "这里可以吸烟吗？", "Где находится банк?", "أين يوجد البنك؟",
    ]  # fmt: skip
    clock = Clock()
    with Storage.open(path, clock=clock) as storage:
        for user, question in enumerate(questions):
            hours_ago = 7 - user
            clock.moment = NOW - timedelta(hours=hours_ago)
            storage.log_interaction(
                user_id=user, chat_type="private", language="en", question=question,
                status="unanswered",
            )  # fmt: skip
    digest = build_digest(path, None, period="daily", now=NOW)
    assert digest.gaps_total == 7
    assert [g.question for g in digest.new_gaps] == questions[:1:-1]
    text = render_digest(digest)
    assert "New gaps: 7" in text and "… and 2 more (console: Inbox)" in text
    assert "أين يوجد البنك؟" in text and "Can I park here?" not in text
    chinese = render_digest(digest, partial(i18n.translate, "zh"))
    assert "……另有 2 个（控制台：收件箱）" in chinese
