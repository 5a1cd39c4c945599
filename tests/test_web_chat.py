"""The web chat (bot/web/chat.py) through its ASGI client, and its live stream over real HTTP:
a real SQLite file, the small test knowledge base."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import escape
from html.parser import HTMLParser

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from bot import messages
from bot.answering import build_answerer
from bot.report import build_report
from bot.storage import NONE_OF_THESE, Storage
from bot.web import i18n
from bot.web.app import AnswererHolder, create_app
from bot.web.chat_render import ITEM, PARAGRAPH_BREAK, blocks_html, message_html, text_html
from bot.web.chat_turn import COOKIE, HANDOFF
from bot.webchat_store import ChatMessage, WebChats
from tests.web_support import *  # noqa: F403  (the fixtures)
from tests.web_support import flash_of, login, make_client, wait_served

ORIGIN = "http://testserver"
SITE = "https://centre.example"


@pytest.fixture
def chat_config(config):
    return replace(config, web=replace(config.web, chat_origins=(SITE,)))


@pytest.fixture
def client(chat_config, storage, accounts, small_answerer):
    with make_client(chat_config, storage, accounts, small_answerer) as client:
        yield client


def opened(client, language: str = "en"):
    """A visitor opens /chat (gets a session cookie); returns the page response."""
    response = client.get("/chat", headers={"accept-language": language})
    assert response.status_code == 200
    assert COOKIE in client.cookies
    return response


def send(client, text: str, **headers):
    return client.post("/chat/send", json={"text": text}, headers={"origin": ORIGIN, **headers})


def act(client, **body):
    return client.post("/chat/act", json=body, headers={"origin": ORIGIN})


def said(lang: str, key: str, **fields: str) -> str:
    """The bot's words as the page shows them (escaped)."""
    return escape(messages.text(lang, key, **fields))


def htmls(response) -> str:
    return "\n".join(m["html"] for m in response.json()["messages"])


def web_rows(storage: Storage) -> list[dict]:
    return list(storage.db.query("SELECT * FROM interactions WHERE channel = 'web' ORDER BY id"))


def deliveries(client):
    return client.app.state.console.deliveries


# The page ---------------------------------------------------------------------------


def test_page_sets_a_signed_httponly_cookie_and_a_strict_policy(client):
    response = opened(client)
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    value = client.cookies[COOKIE]
    assert value.count(".") == 1  # signed by itsdangerous
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert re.search(
        r'<script src="/static/chat\.js\?v=[0-9a-f]{16}" defer></script>', response.text
    )
    assert (
        re.search(r"<script>|<style|\sstyle=|\son[a-z]+=", response.text) is None
    )  # nothing inline
    assert 'for="text"' in response.text and 'aria-live="polite"' in response.text
    # a second visit keeps the same session
    assert "set-cookie" not in client.get("/chat").headers


def test_embed_page_may_be_framed_by_the_configured_origins_only(client):
    response = client.get("/chat?embed=1")
    csp = response.headers["content-security-policy"]
    assert f"frame-ancestors 'self' {SITE}" in csp
    assert "frame-ancestors 'none'" not in csp
    assert 'class="chat embed"' in response.text


def test_interface_in_the_browser_language_and_arabic_right_to_left(client):
    page = client.get("/chat", headers={"accept-language": "ar-EG,ar;q=0.9"})
    assert 'lang="ar" dir="rtl"' in page.text
    assert messages.text("ar", "web_send") in page.text
    page = client.get("/chat", headers={"accept-language": "sv-SE, zh;q=0.5"})
    assert 'lang="zh" dir="ltr"' in page.text  # Swedish is not served: the next one is
    # Weights, not order, decide; q=0 is "not acceptable".
    page = client.get("/chat", headers={"accept-language": "en-US;q=0.5,ar;q=0.9"})
    assert 'lang="ar" dir="rtl"' in page.text
    page = client.get("/chat", headers={"accept-language": "de-CH;q=0,fr;q=0.5"})
    assert 'lang="fr" dir="ltr"' in page.text


def test_a_new_conversation_opens_with_the_greeting(client):
    opened(client, "ru")
    first = client.get("/chat/messages", headers={"accept-language": "ru"}).json()["messages"]
    assert len(first) == 1 and said("ru", "greeting") in first[0]["html"]
    send(client, "What is a fapiao?")
    again = client.get("/chat/messages").json()["messages"]
    assert said("ru", "greeting") not in again[0]["html"]  # not stored: only while empty


def test_a_forged_cookie_is_a_new_visitor(client):
    client.cookies.set(COOKIE, "web:someone-else")
    response = client.get("/chat")
    assert "set-cookie" in response.headers


# Answers -------------------------------------------------------------------------------


def test_a_question_is_answered_with_sources_and_logged_as_web(client, storage):
    opened(client)
    response = send(client, "How do I open a company bank account?")
    assert response.status_code == 200
    html = htmls(response)
    assert "How do I open a company bank account?" in html  # the visitor's own message
    assert "<strong>How do I open a company bank account?</strong>" in html  # the title
    assert 'href="https://www.pbc.gov.cn/"' in html and 'rel="noopener noreferrer' in html
    assert 'data-act="feedback"' in html
    rows = web_rows(storage)
    assert [(r["status"], r["entry_id"], r["chat_type"]) for r in rows] == [
        ("answered", "bank-account", "private")
    ]
    assert rows[0]["waited_ms"] is not None and rows[0]["ref"]
    # the conversation is still there when the visitor comes back
    again = client.get("/chat/messages").json()["messages"]
    assert [m["role"] for m in again] == ["visitor", "bot"]


def test_a_long_question_answered_says_it_was_cut(chat_config, storage, accounts, small_answerer):
    """With chat_max_chars above [matching] max_question_chars, a long message is answered
    from its beginning, and the answer says so."""
    roomy = replace(chat_config, web=replace(chat_config.web, chat_max_chars=3000))
    with make_client(roomy, storage, accounts, small_answerer) as client:
        opened(client)
        html = htmls(send(client, "What is a fapiao? " + "Please explain what a fapiao is. " * 40))
    assert said("en", "truncated") in html and "official tax invoice" in html


def test_the_answer_comes_in_the_language_asked(client):
    opened(client)
    html = htmls(send(client, "公司银行账户怎么开？"))
    assert "营业执照" in html
    assert client.get("/chat/messages").json()["ui"]["lang"] == "zh"  # detection moved the UI


def test_a_loanword_does_not_turn_a_chinese_conversation_into_english(client, storage):
    """ "fapiao" alone is too short for the detector; after a question in Chinese it is
    answered in Chinese and the page stays Chinese (it was answered and shown in English)."""
    opened(client)
    send(client, "公司银行账户怎么开？")
    reply = send(client, "fapiao")
    assert "发票是中国官方的税务凭证" in htmls(reply)
    assert reply.json()["ui"]["lang"] == "zh"
    assert [r["language"] for r in web_rows(storage)] == ["zh", "zh"]
    # A question in English, detected with confidence, switches the page.
    assert send(client, "How do I open a company bank account?").json()["ui"]["lang"] == "en"


def test_a_follow_up_is_read_with_the_question_before(chat_config, storage, accounts, answerer):
    """ "大概多少钱" (roughly how much?) after a trademark question is the trademark fees (the
    conversation's last answer, from its stored messages); in a new conversation, the
    centre's own fees."""
    title = answerer.localizer.question(answerer.kb.by_id["trademark-fees"], "zh")
    with make_client(chat_config, storage, accounts, answerer) as client:
        opened(client)
        assert title not in htmls(send(client, "大概多少钱"))
    with make_client(chat_config, storage, accounts, answerer) as client:
        opened(client)
        send(client, "如何注册商标？")
        assert title in htmls(send(client, "大概多少钱"))


def test_did_you_mean_then_choose_is_recorded_as_a_choice(client, storage, small_answerer):
    opened(client)
    question = "bank fapiao"
    answer = small_answerer.ask(question)
    assert answer.status == "suggest", answer.status  # the fixture's premise
    html = htmls(send(client, question))
    assert 'data-act="choose"' in html and 'data-act="none"' in html
    msg = re.search(r'data-act="choose" data-msg="(\d+)" data-entry="([^"]+)"', html)
    response = act(client, act="choose", msg=msg[1], entry=msg[2])
    assert response.status_code == 200
    body = htmls(response)
    assert 'data-act="choose"' not in body  # the list is closed: chosen from once
    assert [(c["entry_id"], c["source"]) for c in storage.list_choices()] == [
        (msg[2], "suggestion")
    ]
    again = act(client, act="choose", msg=msg[1], entry=msg[2])
    assert said("en", "stale_button") in htmls(again)
    assert len(storage.list_choices()) == 1


def test_a_question_set_in_another_country_says_so_in_the_list_and_the_notice(client, storage):
    opened(client)
    html = htmls(send(client, "How do I get a work permit in Vietnam?"))
    lead = messages.text("en", "elsewhere", country="Vietnam")
    assert escape(lead) in html and said("en", "elsewhere_suggest") in html
    assert said("en", "did_you_mean") not in html
    assert 'data-act="choose"' in html and 'data-entry="work-permit"' in html
    body = htmls(send(client, "What time is it in Dubai right now?"))
    assert escape(messages.text("en", "elsewhere", country="United Arab Emirates")) in body
    assert "Talk to a person" in body  # web_unanswered_noted
    [row] = storage.list_unanswered()
    assert row["question"] == "What time is it in Dubai right now?"


def test_none_of_these_queues_the_question_marked(client, storage):
    opened(client)
    html = htmls(send(client, "bank fapiao"))
    msg = re.search(r'data-act="none" data-msg="(\d+)"', html)[1]
    body = htmls(act(client, act="none", msg=msg))
    assert said("en", "none_noted") in body
    [row] = storage.list_unanswered()
    assert row["kind"] == NONE_OF_THESE and row["question"] == "bank fapiao"


def test_a_typed_zero_also_says_none_of_these(client, storage):
    opened(client)
    send(client, "bank fapiao")
    send(client, "0")
    assert [r["kind"] for r in storage.list_unanswered()] == [NONE_OF_THESE]


def test_an_unanswerable_question_joins_the_staff_inbox(client, storage):
    opened(client)
    body = htmls(send(client, "Can my cat attend the annual tax audit meeting?"))
    assert "Talk to a person" in body  # web_unanswered_noted
    [row] = storage.list_unanswered()
    assert row["question"].startswith("Can my cat")
    login(client, "sam")
    assert "Can my cat attend" in client.get("/inbox").text


def rated(storage: Storage) -> list[tuple]:
    """(question, helpful, reason) of every 👍/👎 recorded, in the order asked."""
    rows = storage.db.query(
        "SELECT i.question, f.helpful, f.reason FROM feedback f "
        "JOIN interactions i ON i.id = f.interaction_id ORDER BY i.id"
    )
    return [(r["question"], r["helpful"], r["reason"]) for r in rows]


def answer_id(html: str) -> str:
    """The id of the (last) answer in `html`, as its 👍/👎 carry it."""
    return re.findall(r'data-act="feedback" data-msg="(\d+)" data-value="1"', html)[-1]


def conversation(client) -> list[dict]:
    return client.get("/chat/messages").json()["messages"]


def test_feedback_with_a_reason(client, storage):
    opened(client)
    ident = answer_id(htmls(send(client, "What is a fapiao?")))
    body = htmls(act(client, act="feedback", msg=ident, value="0"))
    assert said("en", "feedback_reason") in body and said("en", "feedback_thanks") not in body
    assert f'data-act="reason" data-msg="{ident}" data-reason="wrong"' in body
    body = htmls(act(client, act="reason", msg=ident, reason="wrong"))
    assert said("en", "reason_thanks") in body and 'data-act="reason"' not in body
    assert rated(storage) == [("What is a fapiao?", 0, "wrong")]
    assert said("en", "stale_button") in htmls(act(client, act="feedback", msg=999, value="1"))


def test_one_rating_per_answer_and_a_change_of_mind_replaces_it(client, storage):
    """👍 pressed twice (a double click, a replayed request) is recorded and shown once, the
    button marked as pressed; a 👎 then replaces it (and asks for its reason in the answer),
    and a 👎 again asks nothing more."""
    opened(client)
    ident = answer_id(htmls(send(client, "What is a fapiao?")))
    shown = conversation(client)
    helpful = f'data-value="1" aria-pressed="true">{said("en", "helpful")}</button>'
    first = act(client, act="feedback", msg=ident, value=1).json()["messages"]
    assert [m["id"] for m in first] == [int(ident)]  # the answer redrawn, nothing added
    assert helpful in first[0]["html"] and said("en", "feedback_thanks") in first[0]["html"]
    again = act(client, act="feedback", msg=ident, value="1").json()["messages"]
    assert again == first
    assert len(conversation(client)) == len(shown)
    assert rated(storage) == [("What is a fapiao?", 1, None)]
    [answer] = act(client, act="feedback", msg=ident, value="0").json()["messages"]
    assert 'data-value="0" aria-pressed="true"' in answer["html"] and helpful not in answer["html"]
    assert answer["html"].count('data-act="reason"') == 3
    assert act(client, act="feedback", msg=ident, value="0").json()["messages"] == [answer]
    assert rated(storage) == [("What is a fapiao?", 0, None)]
    assert len(conversation(client)) == len(shown)
    assert conversation(client)[-1]["html"] == answer["html"]  # as it is kept


def test_a_reason_is_about_its_own_answer_and_only_while_it_has_a_thumbs_down(client, storage):
    """Each 👎 asks for its reason in its own answer; a reason left on the page from before a
    change of mind to 👍 (another tab, a replayed request) turns nothing into a 👎, and a
    reason is taken once."""
    opened(client)
    first = answer_id(htmls(send(client, "What is a fapiao?")))
    second = answer_id(htmls(send(client, "How do I open a company bank account?")))
    act(client, act="feedback", msg=first, value=0)
    act(client, act="feedback", msg=second, value=0)
    act(client, act="reason", msg=first, reason="outdated")
    act(client, act="reason", msg=second, reason="wrong")
    assert rated(storage) == [
        ("What is a fapiao?", 0, "outdated"),
        ("How do I open a company bank account?", 0, "wrong"),
    ]
    replayed = htmls(act(client, act="reason", msg=second, reason="not_mine"))
    assert said("en", "stale_button") in replayed
    act(client, act="feedback", msg=first, value=1)  # a change of mind
    act(client, act="feedback", msg=first, value=0)  # and back: asked again
    act(client, act="feedback", msg=first, value=1)
    left_over = act(client, act="reason", msg=first, reason="wrong")
    assert said("en", "stale_button") in htmls(left_over)
    assert 'aria-pressed="true">' + said("en", "helpful") in htmls(left_over)  # shown as it is
    assert rated(storage) == [
        ("What is a fapiao?", 1, None),
        ("How do I open a company bank account?", 0, "wrong"),
    ]


async def test_ratings_wait_only_for_their_own_answer(
    chat_config, storage, accounts, small_answerer
):
    """One visitor's 👍 held up (its answer read slowly) delays no other visitor's rating;
    two 👍 of one answer at once (a double click) record one, and a 👍 and a 👎 at once
    leave the answer showing the rating recorded. Real app and database, one event loop."""
    app = create_app(chat_config, storage, AnswererHolder(small_answerer), accounts, b"s" * 32)
    hub = app.state.webchat
    transport = httpx.ASGITransport(app=app)
    visitors = [httpx.AsyncClient(transport=transport, base_url=ORIGIN) for _ in range(2)]
    idents, keys = [], []
    for visitor in visitors:
        await visitor.get("/chat")
        sent = await visitor.post(
            "/chat/send", json={"text": "What is a fapiao?"}, headers={"origin": ORIGIN}
        )
        idents.append(int(answer_id(htmls(sent))))
        keys.append(storage.user_key(app.state.console.unsign(visitor.cookies[COOKIE])))
    slow, read = threading.Event(), hub.store.message

    def held_up(user_key, ident):  # the first visitor's answer is read only once released
        if user_key == keys[0]:
            assert slow.wait(10), "never released"
        return read(user_key, ident)

    hub.store.message = held_up

    async def rate(who: int, value: int):
        body = {"act": "feedback", "msg": idents[who], "value": value}
        return await visitors[who].post("/chat/act", json=body, headers={"origin": ORIGIN})

    try:
        first = asyncio.create_task(rate(0, 1))
        await asyncio.sleep(0.2)  # the first rating is under way, its answer being read
        other = await asyncio.wait_for(rate(1, 0), 5)  # not queued behind it
        assert other.status_code == 200 and 'data-value="0" aria-pressed="true"' in htmls(other)
        assert not first.done()
    finally:
        slow.set()
        hub.store.message = read
    assert (await first).status_code == 200
    assert sorted(rated(storage)) == [
        ("What is a fapiao?", 0, None),
        ("What is a fapiao?", 1, None),
    ]

    await asyncio.gather(rate(1, 1), rate(1, 1))  # a double click: one rating, replaced
    assert storage.db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 2
    both = await asyncio.gather(rate(0, 0), rate(0, 1))
    assert {response.status_code for response in both} == {200}
    [(helpful,)] = storage.db.execute(
        "SELECT f.helpful FROM feedback f JOIN interactions i ON i.id = f.interaction_id "
        "WHERE i.user_key = ?",
        [keys[0]],
    ).fetchall()
    shown = hub.store.message(keys[0], idents[0]).data["rated"]
    assert shown == helpful  # the page shows what was recorded, whichever came last
    assert hub.held == {}  # no lock kept for answers no longer rated
    for visitor in visitors:
        await visitor.aclose()


def test_see_also_opens_a_related_entry(client, storage):
    """office-hours names bank-account as related: the bank answer offers it, and back."""
    opened(client)
    html = htmls(send(client, "How do I open a company bank account?"))
    assert messages.text("en", "see_also") in html
    chip = re.search(r'data-act="entry" data-entry="([^"]+)" data-msg="\d+">([^<]+)</b', html)
    assert chip[1] == "office-hours" and chip[2] == "When is the service centre open?"
    body = htmls(act(client, act="entry", entry=chip[1]))
    assert "See the hours posted" in body and 'data-entry="bank-account"' in body
    assert [r["entry_id"] for r in web_rows(storage)] == ["bank-account", "office-hours"]


def test_the_entry_ranked_next_opened_from_see_also_is_recorded_once(client, storage):
    """The answer offers the entry ranked next first under "See also" (Answer.nearest);
    opening it records the question as a choice of that entry, once. An entry staff linked,
    or one opened from a topic, is not recorded."""
    opened(client)
    asked = "How do I get a work permit for a foreign employee?"
    html = htmls(send(client, asked))
    chip = re.search(r'data-act="entry" data-entry="bank-account" data-msg="(\d+)"', html)
    assert chip is not None, html
    store = client.app.state.webchat.store  # type: ignore[attr-defined]
    written: list[dict] = []
    write = store.set_data
    store.set_data = lambda key, ident, data: written.append(data) or write(key, ident, data)
    for _ in range(2):
        body = htmls(act(client, act="entry", entry="bank-account", msg=chip[1]))
        assert "company bank account" in body.lower()
    store.set_data = write
    # the answer it was opened from is written once: the choice taken, the button opened
    [data] = written
    assert "nearest" not in data and set(data["opened"]) == {"bank-account"}
    choices = [
        (c["question"], c["language"], c["entry_id"], c["source"]) for c in storage.list_choices()
    ]
    assert choices == [(asked, "en", "bank-account", "see_also")]
    html = htmls(send(client, "when is the centre open"))
    linked = re.search(r'data-act="entry" data-entry="bank-account" data-msg="(\d+)"', html)
    act(client, act="entry", entry="bank-account", msg=linked[1])
    act(client, act="entry", entry="bank-account")
    assert len(storage.list_choices()) == 1


async def test_a_see_also_entry_is_opened_and_logged_once(
    chat_config, storage, accounts, small_answerer
):
    """A "See also" button pressed twice at once (a double click) and again later (a
    replayed request): the entry's answer is added and logged once; the other presses get
    that answer back, and the answer it was opened from marks its button with it."""
    app = create_app(chat_config, storage, AnswererHolder(small_answerer), accounts, b"s" * 32)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as visitor:
        await visitor.get("/chat")
        asked = {"text": "How do I open a company bank account?"}
        html = htmls(await visitor.post("/chat/send", json=asked, headers={"origin": ORIGIN}))
        ident = re.search(r'data-act="entry" data-entry="office-hours" data-msg="(\d+)"', html)[1]
        press = {"act": "entry", "entry": "office-hours", "msg": ident}

        async def see_also() -> list[dict]:
            response = await visitor.post("/chat/act", json=press, headers={"origin": ORIGIN})
            assert response.status_code == 200
            return response.json()["messages"]

        opened, again = sorted(await asyncio.gather(see_also(), see_also()), key=len)[::-1]
        answer, source = opened  # the entry's answer, then the one it was opened from redrawn
        assert "See the hours posted" in answer["html"] and source["id"] == int(ident)
        marked = f'data-entry="office-hours" data-msg="{ident}" data-shown="{answer["id"]}"'
        assert marked in source["html"]
        assert again == [answer]
        shown = (await visitor.get("/chat/messages")).json()["messages"]
        assert await see_also() == [answer]
        assert (await visitor.get("/chat/messages")).json()["messages"] == shown
        assert [m["id"] for m in shown].count(answer["id"]) == 1 and marked in shown[-2]["html"]
    assert [r["entry_id"] for r in web_rows(storage)] == ["bank-account", "office-hours"]


def test_topics_pages_and_an_entry(client, storage):
    opened(client)
    body = htmls(act(client, act="topics"))
    topic = re.search(r'data-act="topic" data-topic="([^"]+)" data-page="0">Money', body)[1]
    body = htmls(act(client, act="topic", topic=topic, page=0))
    assert "What is a fapiao?" in body and 'data-act="topics"' in body
    body = htmls(act(client, act="entry", entry="fapiao"))
    assert "official tax invoice" in body
    assert web_rows(storage)[-1]["entry_id"] == "fapiao"
    # An entry opened while browsing is no question: logged as browsed, counted apart.
    assert web_rows(storage)[-1]["browsed"] == 1
    now = datetime.now(UTC)
    report = build_report(storage.path, None, since=now - timedelta(days=1), now=now)
    assert (report.total, report.people, report.browsed) == (0, 0, 1)
    assert [e.entry_id for e in report.top_entries] == ["fapiao"]  # an entry shown, still


def test_the_language_picker_changes_the_interface_and_is_kept(client):
    opened(client)
    response = act(client, act="language", lang="zh")
    ui = response.json()["ui"]
    assert ui["lang"] == "zh" and ui["words"]["web_send"] == messages.text("zh", "web_send")
    page = client.get("/chat", headers={"accept-language": "en"})
    assert 'lang="zh"' in page.text
    assert act(client, act="language", lang="xx").status_code == 400


def test_lang_auto_forgets_the_picked_language(client):
    opened(client)
    act(client, act="language", lang="zh")
    reply = send(client, "/lang auto")
    assert said("zh", "terminal_language_detected") in htmls(reply)
    # An English question is answered in English again, and the page follows it.
    answered = send(client, "How do I open a company bank account?")
    assert answered.json()["ui"]["lang"] == "en"
    assert client.get("/chat", headers={"accept-language": "zh"}).text.count('lang="en"') >= 1


def test_the_picker_goes_back_to_automatic(client, storage):
    """The picker's first entry, "automatic", selected while no language is picked: chosen
    after a language, it does what `/lang auto` does (each message answered in its own)."""
    automatic = (
        f'<option value="auto" data-word="web_language_auto">{said("zh", "web_language_auto")}'
    )
    page = opened(client).text
    assert '<option value="auto" data-word="web_language_auto" selected>Automatic</option>' in page
    assert act(client, act="language", lang="zh").json()["ui"]["chosen"] == "zh"
    visitor = client.app.state.console.unsign(client.cookies[COOKIE])
    assert storage.get_user_language(visitor) == "zh"
    page = client.get("/chat").text
    assert automatic in page and '<option value="zh" lang="zh" selected>' in page
    reply = act(client, act="language", lang="auto")
    assert said("zh", "terminal_language_detected") in htmls(reply)
    ui = reply.json()["ui"]
    assert (ui["lang"], ui["chosen"]) == ("zh", None)  # the page in zh until the next answer
    assert storage.get_user_language(visitor) is None
    assert 'value="auto" data-word="web_language_auto" selected>' in client.get("/chat").text
    answered = send(client, "How do I open a company bank account?")
    assert answered.json()["ui"]["lang"] == "en" and answered.json()["ui"]["chosen"] is None


def test_unknown_action_is_refused(client):
    opened(client)
    assert act(client, act="drop_tables").status_code == 400


# Staff -------------------------------------------------------------------------------


async def test_talk_to_a_person_then_a_staff_reply_is_kept(client, storage):
    opened(client)
    response = act(client, act="staff", text="I need help with my residence permit")
    assert said("en", "web_staff_sent") in htmls(response)
    [row] = storage.list_unanswered()
    assert row["kind"] == HANDOFF
    login(client, "sam")  # in the staff's inbox, with the /staff messages
    assert "I need help with my residence permit" in client.get("/inbox").text
    delivered = await deliveries(client).deliver({**row, "channel": "web"}, "Come on Monday <b>")
    assert delivered is True
    last = client.get("/chat/messages").json()["messages"][-1]
    assert last["role"] == "staff" and "Come on Monday &lt;b&gt;" in last["html"]


async def test_a_reply_to_someone_unknown_is_not_delivered(client):
    row = {"id": 1, "channel": "web", "user_key": "0" * 16, "question": "q"}
    assert await deliveries(client).deliver(row, "hello") is False


def test_staff_messages_are_rate_limited(client, chat_config):
    opened(client)
    limit = chat_config.telegram.staff_limit_messages
    codes = [act(client, act="staff", text=f"help {i}").status_code for i in range(limit + 1)]
    assert codes[-1] == 429 and set(codes[:-1]) == {200}


# Forget me ---------------------------------------------------------------------------


async def test_forget_me_deletes_everything_and_starts_a_new_session(client, storage):
    opened(client)
    send(client, "What is a fapiao?")
    act(client, act="staff", text="please call me")
    [row] = storage.list_unanswered()
    before = client.cookies[COOKIE]
    response = client.post("/chat/forget", json={}, headers={"origin": ORIGIN})
    assert response.json()["forgotten"] is True
    assert said("en", "forgotten") in htmls(response)
    assert client.cookies[COOKIE] != before  # the old session is gone, a new one begins
    assert "samesite=lax" in response.headers["set-cookie"].lower()
    assert web_rows(storage) == [] and storage.list_unanswered(status=None) == []
    chats = WebChats(storage.path)
    assert list(chats.db.query("SELECT * FROM web_messages")) == []
    assert list(chats.db.query("SELECT * FROM web_visitors")) == []
    chats.close()
    assert await deliveries(client).deliver({**row, "channel": "web"}, "too late") is False
    # the page goes on: the next question is answered in a new, empty conversation
    assert send(client, "What is a fapiao?").status_code == 200
    history = client.get("/chat/messages").json()["messages"]
    assert len(history) == 2 and "fapiao" in history[0]["html"]


def _handoff_of(staff: TestClient, storage: Storage, words: str) -> int:
    staff.get("/handoffs")  # the console lists (and numbers) what waits for staff
    [(found,)] = storage.db.execute(
        "SELECT h.id FROM handoffs h JOIN unanswered u ON u.id = h.unanswered_id "
        "WHERE u.question = ?",
        [words],
    ).fetchall()
    return int(found)


def _reply_form(page: str, text: str) -> dict:
    """A handoff page's reply form as the browser sends it."""
    form = page.split('action="/handoffs/reply"')[1].split("</form>")[0]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form)) | {
        "text": text
    }


def test_a_reply_from_a_page_of_a_forgotten_asker_reaches_no_one_else(client, storage):
    """The tester's scenario: visitor A talks to a person (handoff #N), staff open its page,
    A says "Forget me", visitor B talks to a person: B's handoff took number N again, and
    the reply typed on A's page reached B. Now numbers are never given again, and the page's
    form, made for A's conversation, sends nothing, saying why (in Chinese too)."""
    visitor_b = TestClient(client.app, follow_redirects=False)
    staff = TestClient(client.app, follow_redirects=False)
    login(staff, "sam")
    private = "My private question: I want to close my company secretly"
    opened(client)
    act(client, act="staff", text=private)
    first = _handoff_of(staff, storage, private)
    page = staff.get(f"/handoffs/{first}").text
    assert private in page
    assert client.post("/chat/forget", json={}, headers={"origin": ORIGIN}).status_code == 200
    yuri = "Hello, I am Yuri, I need help with my visa extension."
    opened(visitor_b)
    act(visitor_b, act="staff", text=yuri)
    second = _handoff_of(staff, storage, yuri)
    form = _reply_form(page, "About closing it quietly")
    sent = staff.post("/handoffs/reply", data=form)
    said_to_b = visitor_b.get("/chat/messages").json()["messages"]
    assert [m["html"] for m in said_to_b if m["role"] == "staff"] == []
    assert second != first
    assert flash_of(staff, sent, "error") == (
        "This conversation is gone: its asker deleted their data. Nothing was sent."
    )
    staff.cookies.set(i18n.COOKIE, "zh")  # sent again (a new send: no once-token)
    sent = staff.post("/handoffs/reply", data={k: v for k, v in form.items() if k != "once"})
    assert flash_of(staff, sent, "error") == "此会话已不存在：提问者已删除其数据。未发送任何内容。"
    said_to_b = visitor_b.get("/chat/messages").json()["messages"]
    assert [m["html"] for m in said_to_b if m["role"] == "staff"] == []
    assert storage.db.execute("SELECT count(*) FROM handoff_replies").fetchone() == (0,)


def test_the_widgets_cookie_is_partitioned_and_forget_me_keeps_it_so(
    chat_config, storage, accounts, small_answerer
):
    """Inside another site's page the cookie must be SameSite=None; Secure; Partitioned.
    Starlette refuses `partitioned` before Python 3.14, which made the embedded page fail
    with secure_cookies on (the documented setting for embedding)."""
    config = replace(chat_config, web=replace(chat_config.web, secure_cookies=True))
    app = create_app(config, storage, AnswererHolder(small_answerer), accounts, secret=b"s" * 32)
    with TestClient(app, base_url="https://testserver") as client:
        page = client.get("/chat?embed=1")
        assert page.status_code == 200
        for response in (
            page,
            client.post("/chat/forget", json={"embed": True}, headers={"origin": ORIGIN}),
        ):
            cookie = response.headers["set-cookie"].lower()
            assert "samesite=none" in cookie and "secure" in cookie, cookie
            assert cookie.endswith("; partitioned"), cookie
        assert client.get("/chat").status_code == 200  # standalone: Lax, not partitioned
        client.cookies.clear()
        assert "partitioned" not in client.get("/chat").headers["set-cookie"].lower()


# Safety ------------------------------------------------------------------------------


def test_posts_from_another_site_or_without_a_session_are_refused(client, storage):
    assert send(client, "hello").status_code == 403  # no session yet
    opened(client)
    assert send(client, "hello", origin="https://evil.example").status_code == 403
    assert (
        client.post("/chat/act", json={"act": "topics"}, headers={"origin": SITE}).status_code
        == 403
    )
    assert (
        client.post("/chat/forget", headers={"origin": "https://evil.example"}).status_code == 403
    )
    plain = client.post(
        "/chat/send",
        content='{"text": "hi"}',
        headers={"origin": ORIGIN, "content-type": "text/plain"},
    )
    assert plain.status_code == 415  # what another site's form could send, without Origin
    assert web_rows(storage) == []
    assert send(client, "hello").status_code == 200
    assert send(client, "hi", origin="https://testserver").status_code == 200  # behind TLS
    assert send(client, "hi", origin="http://testserver.evil.example").status_code == 403
    assert send(client, "hi", origin="null").status_code == 403


@pytest.mark.parametrize(
    "path, content, kind",
    [
        ("/chat/send", b'{"text": "What is a fap', "application/json"),  # cut short
        ("/chat/send", b'["What is a fapiao?"]', "application/json"),
        ("/chat/send", b'{"question": "What is a fapiao?"}', "application/json"),
        ("/chat/send", b'{"text": 5}', "application/json"),
        ("/chat/send", b'{"text": "\\ud800 fapiao"}', "application/json"),  # lone surrogate
        ("/chat/send", b"\xff\xfe{}", "application/json"),
        ("/chat/send", b'{"text": "What is a fapiao?"}', "text/plain"),
        ("/chat/act", b'{"text": "hi"}', "application/json"),  # which button?
        ("/chat/act", b'{"act": "topics"', "application/json"),
        ("/chat/act", b'{"act": "topic", "topic": "banking", "page": 1e400}', "application/json"),
        ("/chat/act", b'{"act": "choose", "msg": 1e300, "entry": "fapiao"}', "application/json"),
        ("/chat/act", b'{"act": "choose", "msg": "1", "entry": ["fapiao"]}', "application/json"),
        ("/chat/act", b'{"act": "feedback", "ref": "r", "value": true}', "application/json"),
        ("/chat/act", b'{"act": "staff", "text": "\\udc00 help"}', "application/json"),
        ("/chat/act", b'{"act": "language", "lang": 5}', "application/json"),
        ("/chat/forget", b'{"embed": ', "application/json"),
        ("/chat/forget", b'{"embed": "yes"}', "application/json"),
        ("/chat/forget", b"{}", "application/x-www-form-urlencoded"),
    ],
)
def test_a_request_our_page_never_sends_is_a_clear_client_error(
    client, storage, caplog, path, content, kind
):
    """Malformed JSON, another content type, a field missing or of the wrong type: a 400
    (415 for the content type) saying so in plain words, logged as the client's error;
    nothing is stored, nothing forgotten."""
    opened(client)
    send(client, "What is a fapiao?")
    before = client.get("/chat/messages").json()["messages"]
    with caplog.at_level(logging.INFO):
        response = client.post(
            path, content=content, headers={"origin": ORIGIN, "content-type": kind}
        )
    assert response.status_code == (415 if kind != "application/json" else 400)
    assert htmls(response).count(said("en", "web_bad_request")) == 1
    assert said("en", "error") not in htmls(response)
    assert client.get("/chat/messages").json()["messages"] == before
    assert len(web_rows(storage)) == 1
    [logged] = [r for r in caplog.records if r.name == "bot.web.chat"]
    assert logged.levelno == logging.INFO and "client error" in logged.getMessage()
    assert path in logged.getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_page_asking_after_a_message_beyond_any_id_gets_the_conversation(client):
    """?after= (or Last-Event-ID) beyond SQLite's integers is read as absent, not a 500."""
    opened(client)
    send(client, "What is a fapiao?")
    response = client.get("/chat/messages?after=" + "9" * 30)
    assert response.status_code == 200
    assert [m["role"] for m in response.json()["messages"]] == ["visitor", "bot"]


def test_a_message_too_long_is_refused_in_the_visitors_language(client, chat_config, storage):
    opened(client, "ru")
    limit = chat_config.web.chat_max_chars
    response = send(client, "я" * (limit + 1), **{"accept-language": "ru-RU,ru;q=0.9"})
    assert response.status_code == 413
    assert said("ru", "web_too_long", limit=str(limit)) in htmls(response)
    assert web_rows(storage) == []
    assert send(client, "x" * (limit * 5)).status_code == 413  # the body alone is too big
    # Chinese twice over the limit is over the byte cap too: still said in characters.
    chinese = send(client, "请问外国人怎么开公司" * (limit // 5), **{"accept-language": "zh-CN"})
    assert chinese.status_code == 413
    assert said("zh", "web_too_long", limit=str(limit)) in htmls(chinese)
    assert send(client, "   ").status_code == 400


def test_rate_limit_per_session_counts_typed_messages_not_buttons(client, chat_config, storage):
    opened(client)
    limit = chat_config.web.chat_rate_messages
    for _ in range(3 * limit):  # browsing topics uses up nothing
        assert act(client, act="topics").status_code == 200
    codes = [send(client, "What is a fapiao?").status_code for _ in range(limit + 1)]
    assert codes[:-1] == [200] * limit and codes[-1] == 429
    assert said("en", "rate_limited") in htmls(send(client, "What is a fapiao?"))
    # a 👍 after the limit is still recorded
    ident = answer_id("".join(m["html"] for m in conversation(client)))
    assert act(client, act="feedback", msg=ident, value=1).status_code == 200
    assert list(storage.db.query("SELECT helpful FROM feedback")) == [{"helpful": 1}]


def test_rate_limit_per_address(chat_config, storage, accounts, small_answerer):
    config = replace(chat_config, web=replace(chat_config.web, chat_address_messages=3))
    visitors = []
    with make_client(config, storage, accounts, small_answerer) as first:
        for _ in range(4):  # four visitors from one address
            first.cookies.clear()
            opened(first)
            visitors.append(act(first, act="topics").status_code)
    assert visitors == [200, 200, 200, 429]


def test_telegram_commands_typed_in_the_web_chat(client, storage):
    """The knowledge base's answers say "send /staff followed by your message": typed here,
    it reaches staff like "Talk to a person". Other commands are explained, never queued
    for staff as unanswered questions."""
    opened(client)
    response = send(client, "/staff I need help with my work permit, deadline Friday")
    assert said("en", "web_staff_sent") in htmls(response)
    [queued] = storage.list_unanswered()
    assert queued["kind"] == HANDOFF
    assert queued["question"] == "I need help with my work permit, deadline Friday"
    assert said("en", "staff_usage") in htmls(send(client, "/staff"))
    assert "topics" in response_kinds(send(client, "/topics"))
    words = {k: messages.text("en", k) for k in ("web_topics", "web_staff", "web_forget")}
    help_text = said("en", "web_commands", topics=words["web_topics"], staff=words["web_staff"],
                     forget=words["web_forget"])  # fmt: skip
    for command in ("/help", "/start", "/forget", "/notify off", "/whatever", "/start@SomeBot"):
        assert help_text in htmls(send(client, command)), command
    assert len(storage.list_unanswered()) == 1  # only the /staff message
    assert web_rows(storage)[-1]["question"] == queued["question"]  # no command logged
    assert said("ru", "language_set") in htmls(send(client, "/lang ru"))
    assert client.get("/chat/messages").json()["ui"]["lang"] == "ru"


def response_kinds(response) -> set[str]:
    return {kind for m in response.json()["messages"] for kind in m["html"].split('"')[1].split()}


def test_a_post_without_a_session_says_so_in_the_visitors_language(client):
    response = client.post(
        "/chat/send",
        json={"text": "hello"},
        headers={"origin": ORIGIN, "accept-language": "fr-FR,fr;q=0.9"},
    )
    assert response.status_code == 403
    assert said("fr", "web_no_session") in htmls(response)


async def test_an_oversized_body_is_refused_before_it_is_read_whole():
    """The body cap: a declared Content-Length over it is refused before any of the body is
    read; a body without one is read only until it passes the cap."""
    from starlette.requests import Request

    from bot.web.chat import capped_body
    from bot.web.chat_turn import Refused

    def request(chunks: list[bytes], length: int | None):
        pulled = []

        async def receive():
            chunk = chunks[len(pulled)] if len(pulled) < len(chunks) else b""
            pulled.append(chunk)
            return {"type": "http.request", "body": chunk, "more_body": len(pulled) < len(chunks)}

        headers = [] if length is None else [(b"content-length", str(length).encode())]
        scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
        return Request(scope, receive), pulled

    big = [b"x" * 1024] * 10_000  # 10 MB in 1 KB chunks
    req, pulled = request(big, 10 * 1024 * 1024)
    with pytest.raises(Refused) as refused:
        await capped_body(req, 5000, 1000)
    assert refused.value.status == 413 and pulled == []
    req, pulled = request(big, None)
    with pytest.raises(Refused):
        await capped_body(req, 5000, 1000)
    assert len(pulled) == 5  # stopped once past 5,000 bytes
    req, pulled = request([b'{"text": ', b'"hi"}'], None)
    assert await capped_body(req, 5000, 1000) == b'{"text": "hi"}'


def test_widget_script_names_the_origins_and_loads_anywhere(client):
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert f'var origins = ["{SITE}"];' in response.text
    assert "/chat?embed=1" in response.text and "__WORDS__" not in response.text


def test_the_site_has_an_icon_cached_for_long(client):
    """/favicon.ico, which browsers ask for on every page, and the SVG the pages link: served
    (not a 404 on every page and in the console), for anyone, cached for 30 days."""
    for path, kind, start in (
        ("/favicon.ico", "image/x-icon", b"\x00\x00\x01\x00"),  # an ICO of one image
        ("/favicon.svg", "image/svg+xml", b"<svg "),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith(kind)
        assert response.content.startswith(start) and len(response.content) < 2048
        assert response.headers["cache-control"] == "public, max-age=2592000"
    page = opened(client).text
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in page
    assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in page
    assert '<link rel="icon" href="/favicon.svg"' in client.get("/login").text  # the console


def test_static_files_of_the_chat(client):
    for path in ("/static/chat.js", "/static/chat.css"):
        assert client.get(path).status_code == 200


def test_static_files_are_cached_and_the_conversation_is_not(client):
    """The chat's script and style, linked with their content's hash, are kept for a year;
    asked for without it (or with an old one), they are revalidated: 304 while unchanged,
    as the widget's script is. The page and what carries the conversation are never kept."""
    page = opened(client)
    for name in ("chat.js", "chat.css"):
        url = re.search(rf'"(/static/{re.escape(name)}\?v=[0-9a-f]{{16}})"', page.text)[1]
        linked = client.get(url)
        assert linked.status_code == 200
        assert linked.headers["cache-control"] == "public, max-age=31536000, immutable"
        for other in (f"/static/{name}", f"/static/{name}?v=0123456789abcdef"):
            plain = client.get(other)
            assert plain.headers["cache-control"] == "no-cache" and plain.content == linked.content
            again = client.get(other, headers={"if-none-match": plain.headers["etag"]})
            assert (again.status_code, again.content) == (304, b"")
            assert again.headers["cache-control"] == "no-cache"
    widget = client.get("/widget.js")
    assert widget.headers["cache-control"] == "no-cache"
    again = client.get("/widget.js", headers={"if-none-match": widget.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    assert client.get("/widget.js", headers={"if-none-match": '"old"'}).text == widget.text
    conversation = (
        page,
        send(client, "What is a fapiao?"),
        client.get("/chat/messages"),
        act(client, act="topics"),
    )
    for response in conversation:
        assert response.headers["cache-control"] == "no-store", response.url


def test_a_static_files_url_changes_with_its_content(tmp_path):
    """A new release's file has a new URL, so no browser keeps the old one; the old URL is
    then only revalidated, never kept for a year."""
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from bot.web.serving import Static

    static = Static(tmp_path)
    script = tmp_path / "chat.js"
    script.write_text("console.log(1);\n")
    old = static.url("chat.js")
    with TestClient(Starlette(routes=[Mount("/static", static)])) as browser:
        assert browser.get(old).headers["cache-control"].endswith("immutable")
        script.write_text("console.log(22);\n")  # a new size: changed even within a tick
        new = static.url("chat.js")
        assert new != old and new.startswith("/static/chat.js?v=")
        assert browser.get(new).headers["cache-control"].endswith("immutable")
        served = browser.get(old)
        assert served.text == "console.log(22);\n" and served.headers["cache-control"] == "no-cache"


def test_reports_count_web_questions(client, storage, small_answerer):
    opened(client)
    send(client, "What is a fapiao?")
    send(client, "Can my cat attend the annual tax audit meeting?")
    now = datetime.now(UTC)
    report = build_report(storage.path, small_answerer.kb, since=now - timedelta(days=1), now=now)
    assert sum(day.total for day in report.days) == 2


def test_reports_count_each_web_question_once_and_no_message_to_staff(
    client, storage, small_answerer
):
    """A list chosen from is one question answered after a suggestion, a list refused one
    unanswered question, an entry opened from "See also" no question, and the visitor's
    words for the staff ("Talk to a person", /staff) no question and no gap: 3 questions."""
    opened(client)
    listed = htmls(send(client, "bank fapiao"))
    chip = re.search(r'data-act="choose" data-msg="(\d+)" data-entry="([^"]+)"', listed)
    act(client, act="choose", msg=chip[1], entry=chip[2])
    refused = htmls(send(client, "bank fapiao"))
    act(client, act="none", msg=re.search(r'data-act="none" data-msg="(\d+)"', refused)[1])
    answered = htmls(send(client, "How do I open a company bank account?"))
    also = re.search(r'data-act="entry" data-entry="([^"]+)" data-msg="(\d+)"', answered)
    assert "See the hours posted" in htmls(act(client, act="entry", entry=also[1], msg=also[2]))
    act(client, act="staff", text="Please call me about my visa")
    send(client, "/staff I need help with my work permit")
    assert len(web_rows(storage)) == 8
    now = datetime.now(UTC)
    report = build_report(storage.path, small_answerer.kb, since=now - timedelta(days=1), now=now)
    [day] = [d for d in report.days if d.total]
    assert (day.total, day.answered, day.chosen, day.suggest, day.unanswered) == (3, 1, 1, 0, 1)
    assert [(c.label, c.count) for c in report.clusters] == [("bank fapiao", 1)]
    assert report.unanswered_open == 1 and report.people == 1


# Safe HTML (hypothesis) -----------------------------------------------------------------

ALLOWED_TAGS = {"div", "p", "strong", "br", "a", "ul", "ol", "li", "button", "span"}


class Collect(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.hrefs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.hrefs += [v for k, v in attrs if k == "href"]
        assert not any(k.startswith("on") or k == "style" for k, _ in attrs), attrs

    def handle_data(self, data):
        self.text.append(data)


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_any_text_renders_to_safe_html(text):
    found = Collect()
    found.feed(text_html(text))
    assert set(found.tags) <= {"a", "br"}
    assert all(re.match(r"https?://", href, re.IGNORECASE) for href in found.hrefs)
    normalised = text.replace("\r\n", "\n").replace("\n", "")
    assert "".join(found.text) == normalised  # every character shown, none lost or added


@given(
    st.text(max_size=80),
    st.lists(st.fixed_dictionaries({"title": st.text(max_size=20), "url": st.text(max_size=40)})),
)
@settings(max_examples=200, deadline=None)
def test_any_answer_title_and_link_render_safely(text, links):
    message = ChatMessage(
        1, "", "bot", "answer", text, {"title": text, "links": links, "ref": text}
    )
    found = Collect()
    found.feed(message_html(message, lambda key: messages.text("en", key)))
    assert set(found.tags) <= ALLOWED_TAGS
    assert all(re.match(r"https?://[^\s<>\"']+$", href, re.IGNORECASE) for href in found.hrefs)


def test_list_lines_in_an_answer_are_real_lists():
    """ "- item" and "1. item" lines were shown as text with a dash: a screen reader did
    not hear a list. They are <ul>/<ol> lists now, their words still escaped."""
    html = blocks_html(
        "Numbers:\n- 110: police\n- 119: <b>fire</b>\nSteps:\n3. ask\n4) see http://a.example/x\n"
        "Done -5 degrees\n-not an item"
    )
    assert html == (
        "Numbers:<ul><li>110: police</li><li>119: &lt;b&gt;fire&lt;/b&gt;</li></ul>Steps:"
        '<ol start="3"><li>ask</li><li>see <a href="http://a.example/x" target="_blank" '
        'rel="noopener noreferrer nofollow">http://a.example/x</a></li></ol>'
        "Done -5 degrees<br>-not an item"
    )


@given(st.text(alphabet=st.sampled_from("-*•1.) \n<>&ab"), max_size=200) | st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_any_text_with_lists_renders_to_safe_html(text):
    found = Collect()
    found.feed(blocks_html(text))
    assert set(found.tags) <= {"a", "br", "ul", "ol", "li", "div"}
    assert all(re.match(r"https?://", href, re.IGNORECASE) for href in found.hrefs)
    lines = text.replace("\r\n", "\n").split("\n")
    one_paragraph = len([p for p in PARAGRAPH_BREAK.split("\n".join(lines)) if p.strip()]) <= 1
    if one_paragraph and not any(ITEM.match(line) for line in lines):
        assert blocks_html(text) == text_html(text)  # no list, one paragraph: as before


def test_each_message_says_who_said_it_and_in_which_language():
    """A screen reader heard the visitor's words and the bot's alike, all in the page's
    language: each message now starts with a hidden "You said:" / "The bot said:" in the
    page's language, and the bot's words carry the language they are written in."""

    def say(key: str) -> str:
        return messages.text("en", key)

    mine = message_html(ChatMessage(1, "", "visitor", "text", "visa", {}), say, "en")
    assert '<span class="visually-hidden" dir="auto">You said: </span>' in mine
    assert '<div class="text" id="text-1" dir="auto">visa</div>' in mine
    arabic = message_html(ChatMessage(2, "", "bot", "notice", "مرحبا", {"lang": "ar"}), say, "en")
    assert 'lang="en"' in arabic.split(">")[0]  # the message: labels in the page's language
    assert "The bot said: " in arabic
    assert '<div class="text" id="text-2" lang="ar" dir="rtl">مرحبا</div>' in arabic
    staff = message_html(ChatMessage(3, "", "staff", "text", "Hallo", {"lang": "de"}), say)
    assert "Reply from the service centre" in staff and "visually-hidden" not in staff
    assert 'lang="de" dir="ltr"' in staff


def test_javascript_links_stay_text():
    html = text_html("see javascript:alert(1) and <script>x</script> http://ok.example/a?b=1&c=2.")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="http://ok.example/a?b=1&amp;c=2"' in html and "javascript:alert(1)" in html


@given(st.text(min_size=1, max_size=1200))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_message_is_answered_or_refused_clearly(client, chat_config, text):
    client.cookies.clear()
    opened(client)
    response = send(client, text)
    limit = chat_config.web.chat_max_chars
    if not text.strip():
        assert response.status_code == 400
    elif len(text.strip()) > limit or len(text) > limit:
        assert response.status_code == 413
    else:
        assert response.status_code == 200
        own = response.json()["messages"][0]["html"]
        assert "<script" not in own.lower()


# Live: server-sent events over real HTTP ------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live(chat_config, storage, accounts, small_answerer):
    """The app served by a real uvicorn in a thread; yields (base URL, app)."""
    app = create_app(chat_config, storage, AnswererHolder(small_answerer), accounts, b"s" * 32)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app, server
    finally:
        server.should_exit = True
        thread.join(timeout=15)


async def test_a_staff_reply_arrives_live_over_server_sent_events(live, storage):
    url, app, server = live
    async with httpx.AsyncClient(base_url=url, timeout=10) as visitor:
        assert (await visitor.get("/chat")).status_code == 200
        await visitor.post(
            "/chat/act", json={"act": "staff", "text": "call me"}, headers={"origin": url}
        )
        [row] = storage.list_unanswered()
        received: list[dict] = []

        async def listen():
            async with visitor.stream("GET", "/chat/events?after=0") as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                async for line in stream.aiter_lines():
                    if line.startswith("data: "):
                        received.append(json.loads(line[6:]))
                        if received[-1]["role"] == "staff":
                            return

        task = asyncio.create_task(listen())
        await asyncio.sleep(0.5)  # the history first (two messages), then the live reply
        assert [m["role"] for m in received] == ["visitor", "bot"]
        future = asyncio.run_coroutine_threadsafe(
            app.state.console.deliveries.deliver({**row, "channel": "web"}, "Hello from staff"),
            server_loop(server),  # the reply is made on the server's own loop
        )
        assert future.result(timeout=5) is True
        await asyncio.wait_for(task, 5)
    assert "Hello from staff" in received[-1]["html"]


async def test_the_stream_speaks_the_language_chosen_after_it_opened(live, storage):
    url, app, server = live
    async with httpx.AsyncClient(base_url=url, timeout=10) as visitor:
        await visitor.get("/chat", headers={"accept-language": "en"})
        received: list[dict] = []

        async def listen():
            async with visitor.stream("GET", "/chat/events") as stream:
                async for line in stream.aiter_lines():
                    if line.startswith("data: "):
                        received.append(json.loads(line[6:]))
                        if received[-1]["role"] == "staff":
                            return

        task = asyncio.create_task(listen())
        await asyncio.sleep(0.3)
        await visitor.post(
            "/chat/act", json={"act": "language", "lang": "zh"}, headers={"origin": url}
        )
        await visitor.post(
            "/chat/act", json={"act": "staff", "text": "你好"}, headers={"origin": url}
        )
        [row] = storage.list_unanswered()
        future = asyncio.run_coroutine_threadsafe(
            app.state.console.deliveries.deliver({**row, "channel": "web"}, "您好"),
            server_loop(server),
        )
        assert future.result(timeout=5) is True
        await asyncio.wait_for(task, 5)
    assert escape(messages.text("zh", "staff_reply")) in received[-1]["html"]


def server_loop(server: uvicorn.Server) -> asyncio.AbstractEventLoop:
    return server.servers[0].get_loop()  # type: ignore[attr-defined]


async def test_a_translated_staff_reply_shows_the_original(client, storage):
    opened(client)
    act(client, act="staff", text="помогите")
    [row] = storage.list_unanswered()
    row = {**row, "channel": "web", "original_text": "Come on <Monday>"}
    assert await deliveries(client).deliver(row, "Приходите в понедельник")
    last = client.get("/chat/messages").json()["messages"][-1]["html"]
    assert "Приходите в понедельник" in last and "Come on &lt;Monday&gt;" in last


@pytest.fixture
def writable(chat_config, storage, accounts, small_kb_dir, encoder):
    """A client over a writable knowledge-base copy (attaching edits it)."""
    cfg = replace(chat_config, knowledge=replace(chat_config.knowledge, dir=small_kb_dir))
    answerer = build_answerer(cfg, None, storage, encoder=encoder)
    with make_client(cfg, storage, accounts, answerer) as client:
        yield client


def test_attaching_a_web_question_tells_the_visitor_once(writable, storage):
    client = writable
    opened(client)
    send(client, "Can my cat attend the annual tax audit meeting?")
    [row] = storage.list_unanswered()
    login(client, "sam")
    page = client.get("/inbox").text
    token = re.search(r'name="csrf" value="([^"]+)"', page)[1]
    response = client.post(
        "/inbox/attach", data={"ids": str(row["id"]), "entry": "fapiao", "csrf": token}
    )
    assert "1 asker was sent the answer" in flash_of(client, response)
    intro, last = client.get("/chat/messages").json()["messages"][-2:]
    assert last["role"] == "bot" and "official tax invoice" in last["html"]
    assert "Can my cat attend the annual tax audit meeting?" in intro["html"]  # resolved_answer
    assert storage.list_unanswered(status=None)[0]["notified"] is True
    count = len(client.get("/chat/messages").json()["messages"])
    asyncio.run(client.app.state.console.holder.after_reload())  # a second reload: not again
    assert len(client.get("/chat/messages").json()["messages"]) == count


# The real command ------------------------------------------------------------------------


def test_web_command_serves_the_chat_and_stops_with_streams_open(tmp_path):
    """`python -m bot web` serves /chat; SIGINT stops it within seconds although a visitor's
    page still holds its event stream open."""
    import os
    import shutil
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import ROOT, SMALL_KB

    kb = Path(shutil.copytree(SMALL_KB, tmp_path / "kb"))
    config = tmp_path / "config.toml"
    text = (ROOT / "config.toml").read_text().replace('dir = "knowledge"', f'dir = "{kb}"')
    config.write_text(text.replace('cache_dir = ".cache"', f'cache_dir = "{tmp_path / "c"}"'))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FAQ_BOT_SECOND_ENCODER": "none"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(config), "web", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_served(url + "/chat", proc)
        with httpx.Client(base_url=url, timeout=10) as visitor:
            assert "chat.js" in visitor.get("/chat").text
            answered = visitor.post(
                "/chat/send", json={"text": "What is a fapiao?"}, headers={"origin": url}
            )
            assert "official tax invoice" in answered.text
            with visitor.stream("GET", "/chat/events") as stream:
                next(stream.iter_lines())  # the stream is open
                proc.send_signal(signal.SIGINT)
                started = time.monotonic()
                assert proc.wait(timeout=30) == 0
                assert time.monotonic() - started < 15
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize(
    "origins",
    [
        '["centre.example"]',
        '["https://centre.example/"]',
        '["https://Centre.example"]',
        '["https://centre.example/page"]',
        '["javascript:alert(1)"]',
        "[\"https://a.example 'unsafe-inline'\"]",
        '"https://centre.example"',
    ],
)
def test_bad_chat_origins_are_refused(tmp_path, origins):
    from bot.config import ConfigError, load_config

    path = tmp_path / "config.toml"
    path.write_text(f"[web]\nchat_origins = {origins}\n")
    with pytest.raises(ConfigError, match=r"\[web\] chat_origins"):
        load_config(path, environ={})


def test_good_chat_origins_are_kept(tmp_path):
    from bot.config import load_config

    path = tmp_path / "config.toml"
    path.write_text('[web]\nchat_origins = ["https://centre.example", "http://127.0.0.1:8000"]\n')
    assert load_config(path, environ={}).web.chat_origins == (
        "https://centre.example",
        "http://127.0.0.1:8000",
    )


def test_a_message_asking_two_things_gets_two_answers_each_logged(client, storage):
    opened(client)
    messages = send(client, "How do I get a work permit? And when is the centre open?").json()[
        "messages"
    ]
    assert [m["role"] for m in messages] == ["visitor", "bot", "bot"]
    assert (
        "<strong>How do I get a work permit for a foreign employee?</strong>" in messages[1]["html"]
    )
    assert "<strong>When is the service centre open?</strong>" in messages[2]["html"]
    assert 'data-act="feedback"' in messages[2]["html"]
    assert [(r["question"], r["entry_id"], r["part"]) for r in web_rows(storage)] == [
        ("How do I get a work permit? And when is the centre open?", "work-permit", None),
        ("And when is the centre open?", "office-hours", 1),
    ]


def test_a_persian_browsers_greeting_is_not_answered_in_arabic(client):
    """ "سلام" is Arabic and Persian alike; a browser set to Persian says whose it is (as
    Telegram's language_code does). The page's own words stay in the first served language."""
    persian = {"accept-language": "fa-IR,fa;q=0.9,en-US;q=0.8"}
    page = client.get("/chat", headers=persian)
    assert 'lang="en"' in page.text
    reply = htmls(send(client, "سلام", **persian))
    assert said("en", "greeting") in reply and said("ar", "greeting") not in reply
    reply = htmls(send(client, "سلام", **{"accept-language": "ar-EG,ar;q=0.9"}))
    assert said("ar", "greeting") in reply


def test_a_persian_visitors_page_stays_in_a_language_it_is_offered_in(client, storage):
    """A Persian question is answered in English (no Persian translation); the page's own
    words are English too, left to right, with "Automatic" selected in the picker (no
    language picked): not English words set right to left under a picker showing nothing."""
    persian = {"accept-language": "fa-IR,fa;q=0.9,en-US;q=0.8"}
    client.get("/chat", headers=persian)
    reply = send(client, "به عنوان خارجی میتونم تو چین حساب بانکی شخصی باز کنم؟", **persian)
    assert reply.json()["ui"]["lang"] == "en" and reply.json()["ui"]["dir"] == "ltr"
    assert [r["language"] for r in web_rows(storage)] == ["fa"]  # the answer's language
    page = client.get("/chat", headers=persian).text
    assert 'lang="en" dir="ltr"' in page
    assert '<option value="auto" data-word="web_language_auto" selected>Automatic<' in page
    # A language the page is offered in still follows the answers.
    reply = send(client, "Как открыть банковский счёт для компании?", **persian)
    assert reply.json()["ui"]["lang"] == "ru"


def test_a_follow_up_after_a_message_answered_in_parts_follows_its_first_answer(
    chat_config, storage, accounts, answerer
):
    """A message that asks two things gets two answers; a follow-up after it is read with
    the message's first answer (Answer.earlier), as Telegram and the terminal chat read it,
    not with the answer to its last part."""
    follow_ups = ("what documents do I need?", "and how long does it take?", "how much is it?")

    def premise(message: str) -> tuple[str, str, str] | None:
        """The first follow-up that the message's first and last answers read differently,
        and those two readings; None when the message does not get two answers. Which
        messages do moves a little whenever the layers are trained again."""
        first = answerer.ask(message, recent="en")
        if not first.parts or first.parts[-1].id in (None, first.id):
            return None
        for text in follow_ups:
            wanted = answerer.ask(text, recent="en", earlier=first.earlier()).id
            other = answerer.ask(text, recent="en", earlier=first.parts[-1].earlier()).id
            if wanted != other:
                return text, wanted, other
        return None

    found = (
        (message, premise(message))
        for message in (
            "Where is the centre? How do I register a trademark?",
            "How much registered capital do I need? How do I register a trademark in China?",
            "How do I get a work permit? How much registered capital do I need?",
            "How do I open a corporate bank account? What is the VAT rate for small-scale "
            "taxpayers?",
            "What is the VAT rate for small-scale taxpayers? How do I open a corporate bank "
            "account?",
        )
    )
    message, told = next(((m, p) for m, p in found if p is not None), ("", None))
    assert told is not None, "no message gets two answers that a follow-up tells apart"
    text, wanted, not_wanted = told
    with make_client(chat_config, storage, accounts, answerer) as client:
        opened(client)
        assert len(send(client, message).json()["messages"]) == 3  # the message, two answers
        send(client, text)
    assert web_rows(storage)[-1]["entry_id"] == wanted != not_wanted


def test_an_answer_pushed_later_has_its_text_marked_in_its_language_and_the_pages_labels(
    writable, storage
):
    """A Spanish question answered later from an English entry came as one message marked
    Spanish over an English text. Now the intro says it in the asker's language and the
    answer is a message of its own whose text is marked English; its labels ("Sources")
    are the page's, as everywhere on the page (an English label in a Spanish page was the
    web chat switching language under the visitor)."""
    client = writable
    opened(client, "ru")
    send(client, "¿Puede mi gato asistir a la reunión anual de auditoría fiscal?")
    [row] = storage.list_unanswered()
    assert row["language"] == "es"
    login(client, "sam")
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/inbox").text)[1]
    client.post("/inbox/attach", data={"ids": str(row["id"]), "entry": "fapiao", "csrf": token})
    response = client.get("/chat/messages").json()
    page = response["ui"]["lang"]  # the page's language now: Spanish, the last asked in
    intro, answer = response["messages"][-2:]
    assert 'lang="es"' in intro["html"] and "Antes preguntó" in intro["html"]
    assert answer["html"].startswith('<div class="msg bot answer"')
    assert f'lang="{page}"' in answer["html"].split(">")[0]
    assert re.search(r'<div class="text" id="text-\d+" lang="en" dir="ltr">', answer["html"])
    assert said(page, "sources") in answer["html"]
    for other in {"en", "ru", "es"} - {page}:
        assert said(other, "sources") not in answer["html"]


async def test_a_staff_reply_of_unknown_language_is_not_marked_as_the_pages(client, storage):
    """A reply staff wrote in English was marked with the page's language (lang="pt")."""
    opened(client, "pt")
    act(client, act="staff", text="preciso de ajuda")
    [row] = storage.list_unanswered()
    assert await deliveries(client).deliver({**row, "channel": "web"}, "Come to desk 3.")
    last = client.get("/chat/messages").json()["messages"][-1]["html"]
    assert '<div class="text" id="text-' in last
    assert re.search(r'<div class="text" id="text-\d+" lang="" dir="auto">', last), last


def test_an_answer_in_english_for_want_of_a_translation_keeps_the_visitors_labels(client):
    """An entry with no Arabic translation came in English with all its labels in English
    too ("The bot said:", "See also:", "👍 Helpful") and, set left to right as a whole, the
    Arabic note over it left-aligned. Now the page's words stay Arabic, only the entry's
    text is marked English, and each paragraph takes the direction of its own words."""
    client.headers["accept-language"] = "ar"  # an Arabic browser, "automatic" language
    opened(client, "ar")
    [message] = act(client, act="entry", entry="office-hours").json()["messages"]
    html = message["html"]
    assert html.startswith('<div class="msg bot answer"') and ' lang="ar"' in html.split(">")[0]
    for key in ("web_said_bot", "see_also", "helpful", "not_helpful"):
        assert said("ar", key) in html and said("en", key) not in html
    text = re.search(r'<div class="text" id="text-\d+"([^>]*)>(.*)', html)
    assert text and ' lang="en"' in text[1]
    note, answer = re.findall(r'<div class="para" dir="auto">(.*?)</div>', text[2])
    assert note == said("ar", "no_translation", source="الإنجليزية")
    assert answer == "See the hours posted at the entrance, or ask staff."


def test_an_answer_naming_slash_staff_offers_the_talk_to_a_person_button(
    chat_config, storage, accounts, small_kb_dir, encoder
):
    """Entries tell the reader to "ask staff via /staff", a Telegram command: web chat
    visitors were pointed at a command instead of the page's "Talk to a person" button. On
    the web chat it is now that button (its label in the page's language, pressing it opens
    that mode: chat.js); Telegram's text keeps /staff."""
    people = small_kb_dir / "people.yaml"
    people.write_text(
        people.read_text(encoding="utf-8").replace(
            "or ask staff.", "or ask staff via /staff (see https://example.org/staff/)."
        ),
        encoding="utf-8",
    )
    cfg = replace(chat_config, knowledge=replace(chat_config.knowledge, dir=small_kb_dir))
    answerer = build_answerer(cfg, None, storage, encoder=encoder)
    assert "via /staff" in answerer.answer_entry("office-hours", "en").reply  # Telegram's
    with make_client(cfg, storage, accounts, answerer) as client:
        client.headers["accept-language"] = "es"
        opened(client, "es")
        [message] = act(client, act="entry", entry="office-hours").json()["messages"]
    html = message["html"]
    button = (
        '<button type="button" class="chip inline" data-opens="staff">'
        f"{said('es', 'web_staff')}</button>"
    )
    assert f"or ask staff via {button} (see " in html
    assert 'href="https://example.org/staff/"' in html  # an address keeps its /staff
    assert "via /staff" not in html
