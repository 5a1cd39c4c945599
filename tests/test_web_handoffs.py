"""The console's handoff pages through the ASGI client: a real SQLite file, a real
knowledge-base copy, and a channel sender at the edge that records what it delivers."""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
import re
import shutil
import socket
from dataclasses import replace
from html import escape, unescape
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from bot.accounts import Accounts
from bot.answering import build_answerer
from bot.delivery import Deliveries
from bot.handoff import HandoffStore
from bot.translation import MachineTranslator
from bot.web.app import SESSION_COOKIE, AnswererHolder, create_app
from tests.argos_packages import argos_package_factory  # noqa: F401  (a fixture)
from tests.web_support import *  # noqa: F403  (the fixtures)
from tests.web_support import PASSWORD, csrf_of, flash_of, login


@pytest.fixture
def accounts(storage, clock):
    accounts = Accounts(storage.path, clock=clock)
    for name, role in (("sam", "staff"), ("kim", "staff"), ("mia", "manager")):
        accounts.add(name, role, actor="admin")
        accounts.set_password(name, PASSWORD, actor="admin")
    yield accounts
    accounts.close()


class Recorder:
    """The web chat's sender as the console sees it: records, and says whether it reached."""

    def __init__(self):
        self.sent: list[tuple[dict, str]] = []
        self.reachable = True

    async def __call__(self, row: dict, text: str) -> bool:
        self.sent.append((row, text))
        return self.reachable


@pytest.fixture
def web():
    return Recorder()


def client_for(config, storage, accounts, answerer, web):
    deliveries = Deliveries()
    deliveries.register("web", web)
    app = create_app(
        config, storage, AnswererHolder(answerer), accounts, secret=b"s" * 32, deliveries=deliveries
    )
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def client(config, storage, accounts, small_answerer, web):
    with client_for(config, storage, accounts, small_answerer, web) as client:
        yield client


@pytest.fixture
def other(config, storage, accounts, small_answerer, web):
    """A second browser: another staff member."""
    with client_for(config, storage, accounts, small_answerer, web) as client:
        yield client


def ask(storage, question, user, language="en"):
    """A question asked on the web chat's channel (or, where storage does not know that
    channel yet, relabelled so after logging)."""
    storage.log_interaction(
        user_id=user, chat_type="private", language=language, question=question,
        status="unanswered", channel="terminal",
    )  # fmt: skip
    storage.db.execute(
        "UPDATE interactions SET channel = 'web' WHERE id = (SELECT max(id) FROM interactions)"
    )
    storage.db.conn.commit()
    return storage.list_unanswered(newest_first=True, limit=1)[0]["id"]


def handoff_id(client, question: str) -> int:
    page = client.get("/handoffs?state=all").text
    found = re.search(r'<a href="/handoffs/(\d+)">' + re.escape(question), page)
    assert found, page
    return int(found[1])


def post(client, path, **data):
    page = client.get("/handoffs").text
    return client.post(path, data={"csrf": csrf_of(page), **data})


def audit_rows(storage):
    return list(storage.db.query("SELECT actor, action, target, after FROM audit ORDER BY id"))


def test_the_list_shows_open_handoffs_with_their_state(client, storage):
    ask(storage, "Где парковка?", 1, "ru")
    login(client, "mia")
    page = client.get("/handoffs")
    assert page.status_code == 200
    assert "Где парковка?" in page.text and "New" in page.text
    assert 'dir="auto"' in page.text
    assert "/handoffs/claim" not in client.get(f"/handoffs/{handoff_id(client, 'Где')}").text
    assert client.get("/handoffs?state=closed").text.count("Где парковка?") == 0
    assert client.get("/handoffs/12345").status_code == 404
    assert client.get("/handoffs/abc").status_code == 404


def test_claim_conflict_and_takeover(client, other, storage):
    ask(storage, "Where do I park?", 1)
    login(client, "sam")
    login(other, "kim")
    hid = handoff_id(client, "Where do I park?")
    response = post(client, "/handoffs/claim", id=str(hid))
    assert response.status_code == 303 and "message=" in response.headers["location"]
    assert "Claimed by sam" in client.get(f"/handoffs/{hid}").text
    refused = post(other, "/handoffs/claim", id=str(hid))
    assert "error=" in refused.headers["location"]
    assert "sam has claimed this conversation" in other.get(refused.headers["location"]).text
    assert HandoffStore(storage.path).get(hid).holder == "sam"
    refused = post(other, "/handoffs/reply", id=str(hid), text="Level -2.")
    assert "error=" in refused.headers["location"]
    post(other, "/handoffs/claim", id=str(hid), takeover="1")
    assert "Claimed by kim" in other.get(f"/handoffs/{hid}").text
    rows = [(r["actor"], r["action"], r["target"]) for r in audit_rows(storage)]
    assert rows[-2:] == [
        ("sam", "handoff.claim", f"handoff:{hid}"),
        ("kim", "handoff.takeover", f"handoff:{hid}"),
    ]


def test_a_reply_is_delivered_through_the_channels_sender_and_recorded(client, storage, web):
    ask(storage, "Где парковка?", 1, "ru")
    login(client, "sam")
    hid = handoff_id(client, "Где парковка?")
    response = post(client, "/handoffs/reply", id=str(hid), text="Level -2.")
    assert flash_of(client, response).startswith("Reply sent to 1")
    [(row, text)] = web.sent
    assert (row["channel"], row["language"], text) == ("web", "ru", "Level -2.")
    page = client.get(f"/handoffs/{hid}").text
    assert "Answered by sam" in page and "Level -2." in page
    assert "yes, as typed (no Russian translation model installed)" in page  # no model here
    assert client.get("/handoffs?state=answered").text.count("Где парковка?") == 1
    web.reachable = False
    post(client, "/handoffs/reply", id=str(hid), text="Still there?")
    page = client.get(f"/handoffs/{hid}").text
    assert "the channel could not deliver it" in page
    assert "Answered by sam" in page and "Last reply not delivered" in page  # the first did
    post(client, "/handoffs/close", id=str(hid))
    assert "Closed by sam" in client.get(f"/handoffs/{hid}").text
    actions = [r["action"] for r in audit_rows(storage) if r["target"] == f"handoff:{hid}"]
    # the second changed no state, but was sent: the audit log says so, not delivered
    assert actions == ["handoff.reply", "handoff.reply", "handoff.close"]
    replies = [
        json.loads(r["after"]) for r in audit_rows(storage) if r["target"] == f"handoff:{hid}"
    ]
    assert [(r["state"], r["delivered"]) for r in replies[:2]] == [
        ("answered", True),
        ("answered", False),
    ]
    assert json.loads(audit_rows(storage)[-1]["after"]) == {"state": "closed", "holder": None}


async def _broken(row: dict, text: str) -> bool:
    raise ConnectionResetError("reset by peer")


@pytest.mark.parametrize(
    ("sender", "said"),
    [
        (None, "否: 此处的机器人未连接到该提问者所用的渠道"),
        (_broken, "否: 该渠道发送时出错（详情见机器人日志）"),
    ],
)
def test_why_a_reply_was_not_delivered_is_said_in_chinese(
    config, storage, accounts, small_answerer, sender, said
):
    """A reply no sender in this process could take was recorded as "nothing in this
    process can reach web askers", one whose sender failed as the exception's class name
    ("ConnectionResetError"): English (and an engineer's) on the Chinese console. Now each
    is recorded in fixed words that the console says in its language."""
    deliveries = Deliveries()
    if sender is not None:
        deliveries.register("web", sender)
    app = create_app(
        config, storage, AnswererHolder(small_answerer), accounts, secret=b"s" * 32,
        deliveries=deliveries,
    )  # fmt: skip
    ask(storage, "Где парковка?", 1, "ru")
    if sender is None:  # asked on Telegram, which this process does not serve
        storage.db.execute("UPDATE interactions SET channel = 'telegram'")
        storage.db.conn.commit()
    with TestClient(app, follow_redirects=False) as client:
        login(client, "sam")
        client.cookies.set("console_lang", "zh")
        hid = handoff_id(client, "Где парковка?")
        post(client, "/handoffs/reply", id=str(hid), text="Level -2.")
        page = unescape(client.get(f"/handoffs/{hid}").text)
    assert said in page
    assert "process" not in page and "Error" not in page


def test_a_canned_reply_is_the_entrys_answer_in_the_askers_language(
    client, storage, web, small_answerer
):
    entry = next(e for e in small_answerer.kb.entries if e.translations)
    lang = next(iter(entry.translations))
    ask(storage, "???", 1, lang)
    login(client, "sam")
    hid = handoff_id(client, "???")
    assert f'<option value="{entry.id}">' in client.get(f"/handoffs/{hid}").text
    post(client, "/handoffs/reply", id=str(hid), entry=entry.id)
    [(row, text)] = web.sent
    assert text == small_answerer.answer_entry(entry.id, lang).reply
    assert (
        post(client, "/handoffs/reply", id=str(hid), entry="no-such")
        .headers["location"]
        .count("error=")
    )


def test_a_typed_reply_and_an_entry_chosen_together_send_nothing_and_keep_the_text(
    client, storage, web, small_answerer
):
    """Both a typed reply and an entry's answer: the typed words were dropped without a
    word and the entry's answer sent. Now nothing is sent, staff are told why, and the
    handoff page puts their words back in the reply box."""
    entry = small_answerer.kb.entries[0]
    question = ask(storage, "Где парковка?", 1, "ru")
    login(client, "sam")
    hid = handoff_id(client, "Где парковка?")
    typed = "Level -2, <next> to the lifts."
    response = post(client, "/handoffs/reply", id=str(hid), text=typed, entry=entry.id)
    assert web.sent == []
    assert "not both" in flash_of(client, response, "error")
    page = client.get(response.headers["location"]).text
    assert f">{escape(typed)}</textarea>" in page
    assert "Answered by" not in page
    inbox = post(client, "/inbox/reply", ids=str(question), text=typed, entry=entry.id)
    assert web.sent == [] and "not both" in flash_of(client, inbox, "error")


class Slow(Recorder):
    """A channel that takes its time to deliver: a double click lands meanwhile."""

    async def __call__(self, row: dict, text: str) -> bool:
        self.sent.append((row, text))
        await asyncio.sleep(0.3)
        return True


async def test_a_reply_form_sent_twice_reaches_the_asker_once(
    config, storage, accounts, small_answerer
):
    """A double click on Send reply (the second click while the first is still delivering),
    or the form sent again after a slow answer, delivers the reply once; both tell staff it
    was sent. A new page load replies again, as staff ask."""
    import httpx

    slow = Slow()
    deliveries = Deliveries()
    deliveries.register("web", slow)
    app = create_app(
        config, storage, AnswererHolder(small_answerer), accounts, secret=b"s" * 32,
        deliveries=deliveries,
    )  # fmt: skip
    flashed = app.state.console.flashed
    question = ask(storage, "Where do I park?", 1)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        token = csrf_of((await browser.get("/login")).text)
        await browser.post("/login", data={"name": "sam", "password": PASSWORD, "csrf": token})
        listed = (await browser.get("/handoffs")).text
        hid = re.search(r'<a href="/handoffs/(\d+)">', listed)[1]
        page = (await browser.get(f"/handoffs/{hid}")).text
        once = re.search(r'name="once" value="([^"]+)"', page)[1]
        form = {"csrf": csrf_of(page), "id": hid, "once": once, "text": "Level -2."}
        clicks = await asyncio.gather(
            browser.post("/handoffs/reply", data=form), browser.post("/handoffs/reply", data=form)
        )
        again = await browser.post("/handoffs/reply", data=form)  # resubmitted later
        said = []
        for response in (*clicks, again):
            assert response.status_code == 303
            assert response.headers["location"].startswith(f"/handoffs/{hid}?message=")
            token = response.headers["location"].split("message=")[1]
            said.append(flashed(httpx.QueryParams(f"m={token}")["m"]))
        assert len(slow.sent) == 1
        already = "Already sent: the form was sent twice, and the reply went once."
        assert said.count(f"{already} Reply sent to 1 asker.") == 2
        assert said.count("Reply sent to 1 asker.") == 1
        replies = await asyncio.to_thread(HandoffStore(storage.path).replies, int(hid))
        assert len(replies) == 1
        # the inbox group's reply form: the same
        inbox = (await browser.get("/inbox")).text
        once = re.search(r'name="once" value="([^"]+)"', inbox)[1]
        form = {"csrf": csrf_of(inbox), "ids": str(question), "once": once, "text": "B2"}
        await asyncio.gather(
            browser.post("/inbox/reply", data=form), browser.post("/inbox/reply", data=form)
        )
        assert len(slow.sent) == 2
        # the page loaded again: a new reply is sent
        page = (await browser.get(f"/handoffs/{hid}")).text
        once = re.search(r'name="once" value="([^"]+)"', page)[1]
        form = {"csrf": csrf_of(page), "id": hid, "once": once, "text": "Level -2, by the lifts."}
        await browser.post("/handoffs/reply", data=form)
        assert len(slow.sent) == 3


def reply_form(page: str, hid: int, text: str) -> dict:
    """The reply form of a handoff page as the browser would send it."""
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    return fields | {"id": str(hid), "text": text}


def test_a_second_tab_does_not_send_the_same_reply_again(client, storage, web):
    """Two tabs on one handoff: tab A sends a reply; tab B, opened before, sent the same
    words again (its form token is its own) and the asker read them twice. Now the same
    words are refused, saying when and by whom they went, and kept in the reply box; other
    words from tab B go, saying that someone replied since the page was opened."""
    question = ask(storage, "Где парковка?", 1, "ru")
    login(client, "sam")
    hid = handoff_id(client, "Где парковка?")
    tab_a, tab_b, tab_c = (client.get(f"/handoffs/{hid}").text for _ in range(3))
    sent = client.post("/handoffs/reply", data=reply_form(tab_a, hid, "Level -2."))
    assert flash_of(client, sent).startswith("Reply sent to 1")
    again = client.post("/handoffs/reply", data=reply_form(tab_b, hid, " Level -2.\n"))
    error = flash_of(client, again, "error")
    assert "sent already" in error and "by sam" in error and "Nothing was sent" in error
    assert len(web.sent) == 1
    assert "> Level -2.\n</textarea>" in client.get(again.headers["location"]).text
    other = client.post("/handoffs/reply", data=reply_form(tab_c, hid, "Or by the lifts."))
    said = flash_of(client, other)
    assert said.startswith("Reply sent to 1") and "since you opened this page (by sam)" in said
    assert [text for _row, text in web.sent] == ["Level -2.", "Or by the lifts."]
    # the inbox group's form: the same
    inbox = client.get("/inbox").text
    group = client.post(
        "/inbox/reply", data={"csrf": csrf_of(inbox), "ids": str(question), "text": "Level -2."}
    )
    assert "sent already" in flash_of(client, group, "error") and len(web.sent) == 2
    # a reply that did not reach the asker may be sent again
    web.reachable = False
    post(client, "/handoffs/reply", id=str(hid), text="Open 8-20.")
    web.reachable = True
    retried = post(client, "/handoffs/reply", id=str(hid), text="Open 8-20.")
    assert flash_of(client, retried).startswith("Reply sent to 1") and len(web.sent) == 4


def test_a_group_reply_leaves_out_the_askers_who_had_it(client, storage, web):
    ids = [ask(storage, "Where do I park?", 1), ask(storage, "Where do I park?", 2)]
    login(client, "sam")
    post(client, "/handoffs/reply", id=str(handoff_id(client, "Where do I park?")), text="B2")
    inbox = client.get("/inbox").text
    response = client.post(
        "/inbox/reply", data={"csrf": csrf_of(inbox), "ids": [str(i) for i in ids], "text": "B2"}
    )
    said = flash_of(client, response)
    assert said.startswith("Reply sent to 1") and "Not sent again to 1 asker" in said
    assert sorted(row["id"] for row, _ in web.sent) == ids


def test_inbox_reply_reaches_every_asker_of_the_group(client, storage, web):
    ids = [ask(storage, "Where do I park?", 1), ask(storage, "Where do I park?", 2)]
    login(client, "sam")
    inbox = client.get("/inbox").text
    assert 'action="/inbox/reply"' in inbox
    response = client.post(
        "/inbox/reply", data={"csrf": csrf_of(inbox), "ids": [str(i) for i in ids], "text": "B2"}
    )
    assert flash_of(client, response).startswith("Reply sent to 2")
    assert sorted(row["id"] for row, _ in web.sent) == ids


def test_a_manager_reads_but_cannot_change(client, storage):
    ask(storage, "Where do I park?", 1)
    login(client, "mia")
    hid = handoff_id(client, "Where do I park?")
    for path in ("/handoffs/claim", "/handoffs/reply", "/handoffs/close", "/inbox/reply"):
        response = post(client, path, id=str(hid), ids=str(hid), text="x")
        assert response.status_code == 403 and "role (manager)" in response.text
    assert HandoffStore(storage.path).get(hid).state == "new"
    assert [r for r in audit_rows(storage) if r["action"].startswith("handoff.")] == []


def test_pages_in_chinese(client, storage):
    ask(storage, "Where do I park?", 1)
    login(client, "sam")
    client.cookies.set("console_lang", "zh")
    page = client.get("/handoffs").text
    assert "转人工会话" in page
    hid = handoff_id(client, "Where do I park?")
    assert "认领" in client.get(f"/handoffs/{hid}").text
    empty = post(client, "/handoffs/reply", id=str(hid), text="  ")  # said in English before
    said = "回复为空：请输入回复，或选择某个条目的答案。未发送任何内容。"
    assert flash_of(client, empty, "error") == said


@pytest.fixture
def with_ru_model(
    config,
    storage,
    accounts,
    encoder,
    argos_package_factory,  # noqa: F811
    tmp_path,
    small_kb_dir,
    web,  # noqa: F811
):
    """A console whose only translation model is a real (tiny) en -> ru Argos package: a
    Russian asker is answered in Russian, a German one (no package) in English."""
    cfg = replace(
        config,
        knowledge=replace(config.knowledge, dir=small_kb_dir),
        translation=replace(config.translation, packages_dir=tmp_path / "m"),
    )
    translator = MachineTranslator(cfg.translation.packages_dir, beam_size=1)
    words = {"Level": "Уровень", "lifts": "лифтов", "by": "у"}
    translator.install_file(argos_package_factory("en", "ru", words, with_splitter=False))
    answerer = build_answerer(cfg, None, storage, translator, encoder=encoder)
    with client_for(cfg, storage, accounts, answerer, web) as client:
        yield client


def test_staff_see_the_language_a_reply_goes_out_in_before_and_after(with_ru_model, storage, web):
    """A reply to an asker whose language no model produces went out in English while the
    page said "Delivered: yes (de)", with no warning. Now the form says so before, and the
    message and the replies after say in which language it went."""
    client = with_ru_model
    ask(storage, "Wo kann ich parken?", 1, "de")
    ask(storage, "Где парковка?", 2, "ru")
    login(client, "sam")
    german, russian = handoff_id(client, "Wo kann"), handoff_id(client, "Где")
    page = client.get(f"/handoffs/{german}").text
    assert (
        "No German translation model is installed: your reply goes exactly as typed. "
        "Write it in German if you can."
    ) in page
    page = client.get(f"/handoffs/{russian}").text
    assert "No Russian translation" not in page
    assert "Reply in English: it is translated into Russian before it is sent" in page

    done = post(client, "/handoffs/reply", id=str(german), text="Level -2, by the lifts.")
    assert flash_of(client, done) == (
        "Reply sent to 1 asker. Delivered as typed to 1 asker who reads German: "
        "no German translation model is installed."
    )
    assert web.sent[-1][1] == "Level -2, by the lifts."
    shown = client.get(f"/handoffs/{german}").text.split("<h2>Replies</h2>")[1]
    assert "yes, as typed (no German translation model installed)" in shown
    assert "(de)" not in shown

    done = post(client, "/handoffs/reply", id=str(russian), text="Level -2, by the lifts.")
    assert flash_of(client, done) == "Reply sent to 1 asker."
    assert "Уровень" in web.sent[-1][1] and "лифтов" in web.sent[-1][1]
    shown = client.get(f"/handoffs/{russian}").text.split("<h2>Replies</h2>")[1]
    assert "yes, in Russian" in shown and "translation installed" not in shown

    client.cookies.set("console_lang", "zh")
    page = client.get(f"/handoffs/{german}").text
    assert "未安装德文翻译模型：您的回复将按原文原样发送。请尽量用德文书写。" in page
    assert "是，按原文发送（未安装德文翻译模型）" in page


def test_a_group_reply_says_which_askers_got_it_untranslated(with_ru_model, storage, web):
    client = with_ru_model
    ids = [ask(storage, "Wo kann ich parken?", 1, "de"), ask(storage, "Где парковка?", 2, "ru")]
    login(client, "sam")
    inbox = client.get("/inbox").text
    assert (
        "No translation model into German is installed: "
        "those askers get your reply exactly as typed."
    ) in inbox
    response = client.post(
        "/inbox/reply", data={"csrf": csrf_of(inbox), "ids": [str(i) for i in ids], "text": "B2"}
    )
    assert flash_of(client, response) == (
        "Reply sent to 2 askers. Delivered as typed to 1 asker who reads German: "
        "no German translation model is installed."
    )


def delivered_language(storage, handoff: int) -> str:
    [row] = storage.db.query(
        "SELECT language FROM handoff_deliveries WHERE handoff_id = ? ORDER BY id DESC LIMIT 1",
        [handoff],
    )
    return row["language"]


def test_a_typed_reply_with_no_model_goes_as_typed_and_the_console_says_so(client, storage, web):
    """No model translates into Korean or Chinese here. The page said a typed reply "will
    be sent in English" and, after staff typed Chinese to a Korean asker, "Sent in English"
    and "yes, in English", recording English: the visitor got the Chinese text as typed.
    A Chinese asker answered in Chinese was told about "English" too. Now staff are told
    it goes exactly as typed, and after sending what it really went in is recorded and
    shown, with no note when they wrote in the asker's language."""
    korean = handoff_of(client, storage, "비자 연장은 어디서 하나요?", 1, "ko")
    page = client.get(f"/handoffs/{korean}").text
    assert (
        "No Korean translation model is installed: your reply goes exactly as typed. "
        "Write it in Korean if you can."
    ) in page
    assert "Reply (sent exactly as typed)" in page and "sent in English" not in page
    assert "in Korean where the entry has a Korean translation, else in English" in page

    chinese_text = "请到二楼的服务台办理签证延期手续，带上护照和照片。"
    done = post(client, "/handoffs/reply", id=str(korean), text=chinese_text)
    assert flash_of(client, done) == (
        "Reply sent to 1 asker. Delivered as typed to 1 asker who reads Korean: "
        "no Korean translation model is installed."
    )
    assert web.sent[-1][1] == chinese_text
    assert delivered_language(storage, korean) == "zh"
    shown = client.get(f"/handoffs/{korean}").text.split("<h2>Replies</h2>")[1]
    assert "yes, as typed (no Korean translation model installed)" in shown
    assert "English" not in shown

    korean_text = "비자 연장은 2층 안내 데스크에서 여권과 사진을 가지고 하시면 됩니다."
    done = post(client, "/handoffs/reply", id=str(korean), text=korean_text)
    assert flash_of(client, done) == "Reply sent to 1 asker."  # in their language: no note
    assert delivered_language(storage, korean) == "ko"
    shown = client.get(f"/handoffs/{korean}").text.split("<h2>Replies</h2>")[1]
    assert "yes, in Korean" in shown

    client.cookies.set("console_lang", "zh")
    asker = handoff_of(client, storage, "签证延期在哪里办理？", 2, "zh")
    page = client.get(f"/handoffs/{asker}").text
    assert "未安装中文翻译模型：您的回复将按原文原样发送。请尽量用中文书写。" in page
    assert "此回复将以英文发送" not in page
    done = post(client, "/handoffs/reply", id=str(asker), text=chinese_text)
    assert flash_of(client, done) == "回复已送达 1 位提问者。"
    assert delivered_language(storage, asker) == "zh"
    shown = client.get(f"/handoffs/{asker}").text.split("<h2>回复记录</h2>")[1]
    assert "是，以中文发送" in shown and "英文" not in shown


def handoff_of(client, storage, question, user, language):
    ask(storage, question, user, language)
    if SESSION_COOKIE not in client.cookies:
        login(client, "sam")
    return handoff_id(client, question)


ASKERS = itertools.count(1000)


@settings(
    max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(text=st.text(min_size=1, max_size=200).filter(lambda t: t.strip() and "\x00" not in t))
def test_any_reply_text_is_sent_as_typed_and_shown_escaped(client, storage, web, text):
    # One asker per example: the same words sent twice to one asker are refused (they would
    # read them twice), and Hypothesis replays an example to check a failure.
    asker = next(ASKERS)
    ask(storage, f"Where do I park? ({asker})", asker)
    if SESSION_COOKIE not in client.cookies:
        login(client, "sam")
    hid = handoff_id(client, f"Where do I park? ({asker})")
    web.sent.clear()
    post(client, "/handoffs/reply", id=str(hid), text=text)
    normalised = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    assert web.sent[0][1].replace("\r\n", "\n") == normalised or web.sent[0][1] == text.strip()
    assert "<script>" not in client.get(f"/handoffs/{hid}").text


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None, reason="playwright is not installed"
)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium (apt-get install chromium)")
async def test_browser_claim_and_reply_on_a_phone(config, storage, accounts, small_answerer, web):
    """Debian's chromium, phone-sized: the list, the handoff, a reply, its state."""
    import uvicorn
    from playwright.async_api import async_playwright

    ask(storage, "أين أركن سيارتي؟", 1, "ar")
    deliveries = Deliveries()
    deliveries.register("web", web)
    app = create_app(
        config, storage, AnswererHolder(small_answerer), accounts, secret=b"s" * 32,
        deliveries=deliveries,
    )  # fmt: skip
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = await browser.new_page(viewport={"width": 390, "height": 844})
            await page.goto(f"{base}/login")
            await page.fill("input[name=name]", "sam")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.click("nav >> text=Handoffs")
            link = page.locator("table.handoffs td[dir=auto] a")
            assert await link.inner_text() == "أين أركن سيارتي؟"
            await link.click()
            await page.click("form[action='/handoffs/claim'] button")
            assert "Claimed by sam" in await page.inner_text("h1")
            await page.fill("textarea[name=text]", "Level -2, by the lifts.")
            await page.click("text=Send reply")
            assert "Reply sent to 1 asker." in await page.inner_text("[role=status]")
            assert "Answered by sam" in await page.inner_text("h1")
            delivered = await page.inner_text("td.delivered")
            assert delivered == "yes, as typed (no Arabic translation model installed)"
            await page.screenshot(path=str(storage.path.parent / "handoff.png"), full_page=True)
            await browser.close()
    finally:
        server.should_exit = True
        await serving
    assert [(row["language"], text) for row, text in web.sent] == [
        ("ar", "Level -2, by the lifts.")
    ]


def test_a_channels_own_handoff_is_replied_to_through_its_ref(client, web):
    """The web chat's "talk to a person": a handoff it keeps the words of itself."""
    desk = client.app.state.console.desk
    made = desk.store.open_ref(kind="staff_message", channel="web", ref="visitor-7", language="fr")
    login(client, "sam")
    assert "(its words are kept by the Web chat)" in client.get("/handoffs").text
    post(client, "/handoffs/reply", id=str(made), text="Bonjour")
    [(row, text)] = web.sent
    assert (row["ref"], row["language"], row["id"], text) == ("visitor-7", "fr", None, "Bonjour")


def test_a_question_staff_replied_to_no_longer_waits_in_the_report(client, other, storage):
    """/reports' "unanswered, still waiting for staff" leaves out a question staff replied
    to from /handoffs (or closed there); its list of unanswered questions keeps them, as the
    inbox does (gaps until added to an entry); the report seen before the reply gives way."""
    ask(storage, "Where do I park?", 1)
    ask(storage, "Is there a canteen?", 2)
    ask(storage, "Can I bring my dog?", 3)
    login(other, "mia")

    def waiting() -> tuple[str, str]:
        html = other.get("/reports").text
        found = re.search(r"<b>([^<]*)</b><span>unanswered, still waiting for staff", html)
        assert found, html
        return found[1], html.split("Top unanswered questions")[1].split("</section>")[0]

    count, listed = waiting()
    assert count == "3" and "Where do I park?" in listed
    login(client, "sam")
    post(client, "/handoffs/reply", id=str(handoff_id(client, "Where do I park?")), text="B2")
    post(client, "/handoffs/close", id=str(handoff_id(client, "Can I bring my dog?")))
    assert "Answered by sam" in client.get("/handoffs?state=all").text
    count, listed = waiting()
    assert count == "1" and "Is there a canteen?" in listed
    assert "Where do I park?" in listed and "Can I bring my dog?" in listed
    assert "3 of them are still in the Inbox" in listed and "(1 still wait for" in listed


def test_a_reply_that_did_not_reach_the_asker_leaves_the_question_waiting(
    client, other, storage, web
):
    """The visitor's web chat is gone: the reply is recorded as not delivered, the page says
    so as an error and puts the words back to send again, the list marks the handoff, and
    the report still counts the question as waiting for staff. Sent again once the visitor
    is back, it is answered and waits no more."""
    ask(storage, "Where do I park?", 1)
    login(client, "sam")
    login(other, "mia")
    hid = handoff_id(client, "Where do I park?")
    web.reachable = False
    response = post(client, "/handoffs/reply", id=str(hid), text="Level -2.")
    assert "Not delivered to 1" in flash_of(client, response, "error")
    page = client.get(response.headers["location"]).text
    assert ">Level -2.</textarea>" in page and "Answered by" not in page
    listed = client.get("/handoffs").text
    assert "Where do I park?" in listed and "Last reply not delivered" in listed

    def waiting() -> str:
        html = other.get("/reports").text
        found = re.search(r"<b>([^<]*)</b><span>unanswered, still waiting for staff", html)
        assert found, html
        return found[1]

    assert waiting() == "1"
    web.reachable = True
    response = post(client, "/handoffs/reply", id=str(hid), text="Level -2.")
    assert flash_of(client, response).startswith("Reply sent to 1")
    page = client.get(f"/handoffs/{hid}").text
    assert "Answered by sam" in page and "Last reply not delivered" not in page
    assert waiting() == "0"


def _group(inbox: str, question: str) -> str:
    """The inbox group whose heading is `question`."""
    for section in inbox.split('<section class="cluster"')[1:]:
        if f">{question}</h3>" in section:
            return section.split("</section>")[0]
    raise AssertionError(f"no group {question!r} in the inbox")


def test_the_inbox_marks_groups_answered_or_closed_on_handoffs(client, storage, web):
    """A group replied to from the inbox, and one whose handoff was closed, stayed in the
    inbox unmarked, with a Reply form that invited a second reply, while the report no
    longer counted them as waiting; its number (#6) was not the handoff's (#1). Now the
    group says who answered or closed it when, links the handoff, and keeps its Reply behind
    "Reply again" with a warning; the numbers say what they count; the handoff's header
    tells the inbox question's state in words."""
    parked = ask(storage, "Where do I park my car?", 1)
    dog = ask(storage, "Can I bring my dog to the office?", 2)
    login(client, "sam")
    inbox = client.get("/inbox").text
    assert "Dealt with on Handoffs" not in inbox and "Reply again" not in inbox
    response = client.post(
        "/inbox/reply",
        data={"csrf": csrf_of(inbox), "once": "t1", "ids": str(parked), "text": "Level -2."},
    )
    assert flash_of(client, response).startswith("Reply sent to 1")
    closed = handoff_id(client, "Can I bring my dog to the office?")
    post(client, "/handoffs/close", id=str(closed))
    answered = handoff_id(client, "Where do I park my car?")
    inbox = client.get("/inbox").text
    assert "2 of them were answered or closed on Handoffs already" in inbox
    group = _group(inbox, "Where do I park my car?")
    assert f"question #{parked}" in group
    assert f'<a href="/handoffs/{answered}">answered by sam, ' in group
    assert f"(handoff #{answered})" in group
    assert '<details class="reply-again"><summary>Reply again</summary>' in group
    assert "a reply now is a second message to its askers" in group
    group = _group(inbox, "Can I bring my dog to the office?")
    assert f'<a href="/handoffs/{closed}">closed by sam, ' in group and "Reply again" in group
    page = client.get(f"/handoffs/{closed}").text
    assert "Closed by sam" in page and "question: new" not in page
    assert f'<a href="/inbox?for={dog}">Inbox question #{dog}</a>: still to add to an entry' in page


def test_a_group_partly_dealt_with_warns_before_a_reply(client, storage, web):
    """Two askers of one group, one answered on Handoffs: the group says 1 of 2, and its
    Reply form (still open) warns that the answered asker gets the reply too."""
    ask(storage, "Where do I park?", 1)
    ask(storage, "Where do I park?", 2)
    login(client, "sam")
    hid = handoff_id(client, "Where do I park?")
    post(client, "/handoffs/reply", id=str(hid), text="B2")
    group = _group(client.get("/inbox").text, "Where do I park?")
    assert "1 of these 2 questions were dealt with on Handoffs:" in group
    assert "Reply again" not in group
    assert "1 of these questions were dealt with on Handoffs already" in group


def test_a_person_who_asked_twice_gets_one_reply(client, storage, web):
    """One visitor asks the same thing twice: the group said "1 person ... (ru 2)", and its
    Reply reached "2 asker(s)", the visitor reading it twice. Now it counts people, and the
    reply goes once; both questions are answered by it."""
    ids = [ask(storage, "Где распечатать документы?", 1, "ru") for _ in range(2)]
    ask(storage, "Где распечатать документы?", 2, "ru")
    login(client, "sam")
    inbox = client.get("/inbox").text
    assert "2 people in 1 language (Russian 2)" in _group(inbox, "Где распечатать документы?")
    response = client.post(
        "/inbox/reply",
        data={"csrf": csrf_of(inbox), "ids": [str(i) for i in ids], "text": "На ресепшене."},
    )
    assert flash_of(client, response).startswith("Reply sent to 1 asker.")
    assert [row["id"] for row, _ in web.sent] == ids[:1]
    listed = client.get("/handoffs?state=answered").text
    assert listed.count("Где распечатать документы?") == 2


def test_a_reply_form_that_sent_nothing_keeps_the_words_and_the_entry(client, other, storage, web):
    """Every way an inbox or handoff Reply sends nothing (both a reply and an entry, an
    empty reply, an unknown entry, a conversation someone else claimed) put the staff
    member back on an empty form: the inbox lost the typed words and the chosen entry, the
    handoff page the entry. Now both come back, in the group replied to; the messages
    start with a capital."""
    question = ask(storage, "Where do I park?", 1)
    login(client, "sam")
    inbox = client.get("/inbox").text
    group = _group(inbox, "Where do I park?")
    entry = re.findall(r'<option value="([^"]+)">', group.split('<select name="entry">')[1])[0]
    typed = "Level -2, <next> to the lifts."

    def reply(**data) -> tuple[str, str]:
        form = {"csrf": csrf_of(inbox), "ids": str(question), "group": str(question)} | data
        response = client.post("/inbox/reply", data=form)
        assert response.headers["location"].endswith(f"#cluster-{question}")
        error = flash_of(client, response, "error")
        return error, _group(client.get(response.headers["location"]).text, "Where do I park?")

    error, page = reply(text=typed, entry=entry)
    assert error.startswith("Type a reply or choose an entry's answer, not both")
    assert f">{escape(typed)}</textarea>" in page and f'<option value="{entry}" selected>' in page
    error, page = reply(text="  ")
    assert error == ("The reply is empty: type one or choose an entry's answer. Nothing was sent.")
    login(other, "kim")
    hid = handoff_id(other, "Where do I park?")
    post(other, "/handoffs/claim", id=str(hid))
    error, page = reply(text=typed)
    assert error.startswith("kim has claimed this conversation")
    assert f">{escape(typed)}</textarea>" in page
    assert web.sent == []
    # the handoff page keeps the entry typed as well as the words
    response = post(client, "/handoffs/reply", id=str(hid), text=typed, entry=entry)
    page = client.get(response.headers["location"]).text
    assert f">{escape(typed)}</textarea>" in page and f'value="{entry}"' in page
    response = post(client, "/handoffs/reply", id=str(hid), entry="no-such-entry", takeover="1")
    assert flash_of(client, response, "error") == (
        "There is no entry no-such-entry in the knowledge base. Nothing was sent."
    )
    assert 'value="no-such-entry"' in client.get(response.headers["location"]).text
    assert web.sent == []


def _actions(page: str) -> str:
    """The handoff page's forms (claim, reply, close)."""
    return page.split('<section class="handoff-actions">')[1].split("</section>")[0]


def test_a_closed_handoff_folds_its_reply_form_behind_a_warning(client, storage, web):
    """A closed handoff offered "Send reply" as if it still waited, and a reply sent there
    quietly made it answered again. Now its form is folded behind "Reply again", with a
    warning that it is closed and what a reply does to it; an open handoff's form stays
    open; a reply that sent nothing comes back unfolded, its words kept; in Chinese too."""
    ask(storage, "Where do I park?", 1)
    login(client, "sam")
    hid = handoff_id(client, "Where do I park?")
    assert "reply-again" not in _actions(client.get(f"/handoffs/{hid}").text)
    post(client, "/handoffs/close", id=str(hid))
    actions = _actions(client.get(f"/handoffs/{hid}").text)
    folded = '<details class="reply-again"><summary>Reply again</summary>'
    assert folded in actions
    form = actions.split(folded)[1].split("</details>")[0]
    assert "This conversation is closed: a reply now is a new message to the asker" in form
    assert "answered by you instead of closed" in form
    assert 'action="/handoffs/reply"' in form and "Send reply" in form
    typed = "Level -2, <by> the lifts."
    refused = post(client, "/handoffs/reply", id=str(hid), text=typed, entry="no-such-entry")
    assert web.sent == []
    kept = _actions(client.get(refused.headers["location"]).text)
    assert '<details class="reply-again" open>' in kept and f">{escape(typed)}</textarea>" in kept
    sent = post(client, "/handoffs/reply", id=str(hid), text="Level -2.")
    assert flash_of(client, sent).startswith("Reply sent to 1")
    page = client.get(f"/handoffs/{hid}").text
    assert "Answered by sam" in page and "reply-again" not in _actions(page)
    post(client, "/handoffs/close", id=str(hid))
    client.cookies.set("console_lang", "zh")
    actions = _actions(client.get(f"/handoffs/{hid}").text)
    assert '<details class="reply-again"><summary>再次回复</summary>' in actions
    assert "此会话已关闭：现在回复，提问者会再收到一条消息" in actions


def test_the_history_says_in_words_what_changed_as_the_audit_log_does(client, other, storage):
    """The handoff's history showed each change's raw JSON (`{"state": "claimed", ...}`)
    and its own action words. Now it is the audit log's rendering: the action in words, what
    changed line by line, the record as stored behind "as recorded", times in the console's
    zone; in Chinese too."""
    ask(storage, "Where do I park?", 1)
    login(client, "sam")
    login(other, "kim")
    hid = handoff_id(client, "Where do I park?")
    post(client, "/handoffs/claim", id=str(hid))
    post(other, "/handoffs/claim", id=str(hid), takeover="1")
    post(other, "/handoffs/close", id=str(hid))
    page = client.get(f"/handoffs/{hid}").text
    history = unescape(page.split(">History</h2>")[1])
    assert '<td title="handoff.claim">claimed a conversation</td>' in history
    assert '<td title="handoff.takeover">took over a conversation</td>' in history
    assert '<td title="handoff.close">closed a conversation</td>' in history
    assert '<li dir="auto">state: new → claimed</li>' in history
    assert '<li dir="auto">holder: – → sam</li>' in history
    assert '<li dir="auto">holder: sam → kim</li>' in history
    assert '<li dir="auto">taken over from: sam</li>' in history
    assert '<li dir="auto">state: claimed → closed</li>' in history
    assert history.count("<details><summary>as recorded</summary>") == 3
    shown = re.sub(r"<details>.*?</details>", "", history, flags=re.S)
    assert '{"state"' not in shown and "+00:00" not in shown  # the raw record, one click away
    assert '{"state": "claimed", "holder": "sam"}' in history
    times = re.findall(r"<tr><td>([^<]*)</td>", shown)
    assert len(times) == 3 and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", t) for t in times)
    client.cookies.set("console_lang", "zh")
    history = unescape(client.get(f"/handoffs/{hid}").text.split(">变更历史</h2>")[1])
    assert "认领了对话" in history and "接手了对话" in history and "关闭了对话" in history
    assert "状态: 新建 → 已认领" in history and "接手自: sam" in history
    assert "<th>改动</th>" in history and "<summary>原始记录</summary>" in history


def test_a_reply_again_that_sent_nothing_comes_back_unfolded(client, storage, web):
    """An inbox group dealt with on Handoffs folds its Reply behind "Reply again"; a reply
    from there that sent nothing put the typed words back into the folded form, out of
    sight, as if they were lost. Now the fold comes back open, the words in it."""
    question = ask(storage, "Can I bring my dog to the office?", 1)
    login(client, "sam")
    post(client, "/handoffs/close", id=str(handoff_id(client, "Can I bring my dog")))
    inbox = client.get("/inbox").text
    folded = '<details class="reply-again"><summary>Reply again</summary>'
    assert folded in _group(inbox, "Can I bring my dog to the office?")
    typed = "Only <small> dogs."
    form = {"csrf": csrf_of(inbox), "ids": str(question), "group": str(question)}
    response = client.post("/inbox/reply", data=form | {"text": typed, "entry": "no-such"})
    assert "Nothing was sent" in flash_of(client, response, "error") and web.sent == []
    page = client.get(response.headers["location"]).text
    group = _group(page, "Can I bring my dog to the office?")
    assert '<details class="reply-again" open><summary>Reply again</summary>' in group
    assert f">{escape(typed)}</textarea>" in group


def test_a_closed_handoff_offers_reopen_not_a_bare_claim(client, other, storage):
    """A closed handoff offered a bare Claim, which silently reopened it as claimed. Now it
    offers Reopen, saying what it does; reopening claims it and is audited as a reopen; a
    Claim from a page that still showed it open is refused, nothing changed; in Chinese too."""
    ask(storage, "Where do I park?", 1)
    login(client, "sam")
    login(other, "kim")
    hid = handoff_id(client, "Where do I park?")
    assert 'action="/handoffs/reopen"' not in _actions(client.get(f"/handoffs/{hid}").text)
    post(other, "/handoffs/close", id=str(hid))  # meanwhile, on the page sam had open
    refused = post(client, "/handoffs/claim", id=str(hid))
    assert flash_of(client, refused, "error") == (
        "This conversation was closed (by kim): reopen it to answer again. Nothing changed."
    )
    assert HandoffStore(storage.path).get(hid).state == "closed"
    actions = _actions(client.get(f"/handoffs/{hid}").text)
    assert 'action="/handoffs/claim"' not in actions and ">Claim</button>" not in actions
    reopen = actions.split('action="/handoffs/reopen"')[1].split("</form>")[0]
    assert "This conversation is closed. Reopening it puts it back among the open ones" in reopen
    assert ">Reopen</button>" in reopen
    done = post(client, "/handoffs/reopen", id=str(hid))
    assert flash_of(client, done).startswith("Reopened: it is claimed by you")
    page = client.get(f"/handoffs/{hid}").text
    assert "Claimed by sam" in page and "/handoffs/reopen" not in _actions(page)
    rows = [
        (r["actor"], r["action"]) for r in audit_rows(storage) if r["target"] == f"handoff:{hid}"
    ]
    assert rows == [("kim", "handoff.close"), ("sam", "handoff.reopen")]
    history = unescape(page.split(">History</h2>")[1])
    assert '<td title="handoff.reopen">reopened a conversation</td>' in history
    assert '<li dir="auto">state: closed → claimed</li>' in history
    post(client, "/handoffs/close", id=str(hid))
    client.cookies.set("console_lang", "zh")
    actions = _actions(client.get(f"/handoffs/{hid}").text)
    assert ">重新打开</button>" in actions and "此会话已关闭。重新打开后" in actions
    assert "重新打开了对话" in client.get(f"/handoffs/{hid}").text


def test_a_reply_from_a_page_opened_before_a_close_is_refused_and_kept(client, other, storage, web):
    """Two tabs on an open handoff; kim replies then closes it; sam's tab, opened before,
    sent a reply that went out and silently reopened it as answered. Now it is refused like
    a stale Claim, nothing sent, the words kept; the closed page's "Reply again" sends."""
    question = "Where do I park my bike?"
    ask(storage, question, 1)
    login(client, "sam")
    login(other, "kim")
    hid = handoff_id(client, question)
    stale = client.get(f"/handoffs/{hid}").text
    post(other, "/handoffs/reply", id=str(hid), text="In the basement.")
    post(other, "/handoffs/close", id=str(hid))
    typed = "One more thing: parking is free for tenants."
    refused = client.post("/handoffs/reply", data=reply_form(stale, hid, typed))
    assert flash_of(client, refused, "error") == (
        "This conversation was closed (by kim) after you opened this page: reopen it to "
        "answer again. Nothing was sent."
    )
    assert [text for _row, text in web.sent] == ["In the basement."]
    assert HandoffStore(storage.path).get(hid).state == "closed"
    page = client.get(refused.headers["location"]).text
    assert '<details class="reply-again" open>' in page and f">{typed}</textarea>" in page
    sent = client.post("/handoffs/reply", data=reply_form(page, hid, typed))
    assert flash_of(client, sent).startswith("Reply sent to 1")
    assert [text for _row, text in web.sent] == ["In the basement.", typed]
    client.cookies.set("console_lang", "zh")
    stale = client.get(f"/handoffs/{hid}").text  # answered by sam: open again
    post(other, "/handoffs/close", id=str(hid), takeover="1")
    chinese = client.post("/handoffs/reply", data=reply_form(stale, hid, "还有一件事"))
    assert flash_of(client, chinese, "error") == (
        "您打开此页面后，此会话已由 kim 关闭：如需再次回复，请重新打开。未发送任何内容。"
    )


def test_an_inbox_reply_to_questions_whose_askers_were_forgotten_says_so(client, storage, web):
    """An inbox page opened before the askers used "Forget me": its reply said "No handoff
    to reply to", though the page is about questions. Now it says what happened to them."""
    ids = [
        ask(storage, "Where do I charge my car?", 1),
        ask(storage, "Where do I charge my car?", 2),
    ]
    login(client, "sam")
    inbox = client.get("/inbox").text
    form = {"csrf": csrf_of(inbox), "ids": ",".join(map(str, ids)), "text": "Level -1."}
    storage.forget(1)
    storage.forget(2)
    response = client.post("/inbox/reply", data=form)
    assert flash_of(client, response, "error") == (
        "These questions are gone: their askers deleted their data. Nothing was sent."
    )
    client.cookies.set("console_lang", "zh")
    response = client.post("/inbox/reply", data=form | {"ids": str(ids[0])})
    assert (
        flash_of(client, response, "error") == "问题已不存在：提问者已删除其数据。未发送任何内容。"
    )
    assert web.sent == []


def test_the_bots_own_close_and_a_deleted_askers_language_are_said_in_words(client, storage):
    """A handoff whose question was ignored in the inbox said "Closed by inbox" (已由 inbox
    关闭), as if a person named inbox had closed it; a deleted asker's handoff said
    "language ?". Now both say what happened, in English and in Chinese."""
    ignored = ask(storage, "Can I bring my dog?", 1)
    ask(storage, "Где парковка?", 2, "ru")
    login(client, "sam")
    closed = handoff_id(client, "Can I bring my dog?")
    gone = handoff_id(client, "Где парковка?")
    post(client, "/inbox/ignore", ids=str(ignored))
    client.get("/handoffs?state=all")  # the handoffs catch up with the inbox
    storage.forget(2)  # the page open before the list catches up again
    page = unescape(client.get(f"/handoffs/{closed}").text)
    assert "Closed automatically: dealt with in the inbox" in page and "by inbox" not in page
    page = unescape(client.get(f"/handoffs/{gone}").text)
    assert "(gone: the asker's data was deleted)" in page
    assert '<span class="lang">unknown (the asker deleted their data)</span>' in page
    client.cookies.set("console_lang", "zh")
    page = unescape(client.get(f"/handoffs/{closed}").text)
    assert "已自动关闭：问题已在收件箱中处理" in page and "已由 inbox 关闭" not in page
    page = unescape(client.get(f"/handoffs/{gone}").text)
    assert '<span class="lang">未知（提问者已删除其数据）</span>' in page


def test_a_question_answered_on_handoffs_stays_in_the_reports_top_unanswered_as_in_the_inbox(
    client, storage, web
):
    """A question staff replied to on Handoffs is still in the inbox (a gap until it is added
    to an entry): the report's "Top unanswered questions" lists it as the inbox does, and
    says it no longer waits for staff. Set aside in the inbox, it leaves both."""
    ask(storage, "Can you recommend a good Italian restaurant?", 1)
    login(client, "sam")
    hid = handoff_id(client, "Can you recommend a good Italian restaurant?")
    post(client, "/handoffs/reply", id=str(hid), text="Da Mario, two streets south.")
    assert "Italian restaurant" in client.get("/inbox").text
    report = client.get("/reports").text
    assert '<td dir="auto">Can you recommend a good Italian restaurant?</td>' in report
    assert "1 questions found no answer; 1 of them are still in the Inbox" in report
    assert "(0 still wait for a reply from staff)" in report
    summary = client.get("/reports.csv", params={"table": "summary"}).text
    assert "unanswered_in_inbox,1" in summary and "unanswered_open,0" in summary
    clusters = client.get("/reports.csv", params={"table": "unanswered_clusters"}).text
    assert "Italian restaurant" in clusters
    [question] = [r["id"] for r in storage.list_unanswered()]
    from bot import triage

    triage.ignore(storage, [question])
    assert "Italian restaurant" not in client.get("/inbox").text
    assert "Italian restaurant" not in client.get("/reports").text
