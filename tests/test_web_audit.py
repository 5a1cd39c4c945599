"""The audit log page (bot/web/audit.py) through the ASGI client, on a real SQLite file:
actions in words, targets linked, what changed summarised, filters by who, what and when."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

from tests.web_support import *  # noqa: F403  (the fixtures)
from tests.web_support import login


def _record(accounts, clock):
    accounts.audit(
        "mei", "handoff.reply", "handoff:4", {"state": "new", "holder": None},
        {"state": "answered", "holder": "mei"},
    )  # fmt: skip
    accounts.audit(
        "mei", "unanswered.restore", "3 5",
        [{"id": 3, "status": "ignored"}, {"id": 5, "status": "ignored"}],
        {"status": "new", "changed": 1},
    )  # fmt: skip
    clock.now += timedelta(days=10)
    accounts.audit(
        "sam", "entry.edit", "fapiao", {"version": 1}, {"file": "money.yaml", "version": 2}
    )
    accounts.audit(
        "sam", "translation.save", "fapiao:ru", {"status": "missing"}, {"status": "current"}
    )


def test_actions_in_words_targets_linked_changes_summarised(client, accounts, clock):
    _record(accounts, clock)
    login(client, "mia")
    page = unescape(client.get("/audit").text)
    assert '<td title="handoff.reply">replied to a user</td>' in page
    # the handoff and the question named, not a bare "#4" / "#3" (they count apart)
    assert '<a href="/handoffs/4">handoff #4</a>' in page
    assert "put questions back in the inbox" in page
    assert '<a href="/inbox">question #3, question #5</a>' in page
    assert "#3: ignored → new" in page
    assert "state: new → answered" in page and "holder: – → mei" in page
    assert '<a href="/entries/fapiao">fapiao</a>' in page and "version: 1 → 2" in page
    assert '<a href="/translations?lang=ru">fapiao (ru)</a>' in page
    assert "<details><summary>as recorded</summary>" in page  # the raw JSON, one click away
    assert "T09:00:00+00:00" not in page.split("<details>")[0]


def test_the_log_is_filtered_by_who_what_and_period(client, accounts, clock):
    _record(accounts, clock)
    login(client, "mia")
    by_mei = unescape(client.get("/audit", params={"who": "mei"}).text)
    assert "replied to a user" in by_mei and "edited an entry" not in by_mei
    handoffs = unescape(client.get("/audit", params={"what": "handoffs"}).text)
    assert "replied to a user" in handoffs and "put questions back" not in handoffs
    recent = unescape(client.get("/audit", params={"days": "7"}).text)
    assert "edited an entry" in recent and "replied to a user" not in recent
    none = unescape(client.get("/audit", params={"who": "sam", "what": "handoffs"}).text)
    assert "Nothing matches these filters." in none and '<option value="sam" selected>' in none


def test_the_audit_log_speaks_chinese(client, accounts, clock):
    _record(accounts, clock)
    login(client, "mia")
    client.cookies.set("console_lang", "zh")
    page = client.get("/audit").text
    assert "回复了用户" in page and "将问题放回收件箱" in page and "最近 7 天" in page
    # what changed: the fields and states in words, the rest as recorded
    assert "状态: 新建 → 已回答" in page and "认领人: – → mei" in page
    assert "#3: 已忽略 → 新建" in page and "version: 1 → 2" in page
    assert '<a href="/handoffs/4">转人工会话 #4</a>' in page
    assert '<a href="/inbox">问题 #3, 问题 #5</a>' in page
