"""The web chat beside the Telegram bot (`python -m bot run`): what web visitors say to staff
is copied to the Telegram staff chat, and a staff reply typed there reaches the visitor live.
A real Application over the recording Bot API stand-in, and the web chat served by a real
uvicorn on the same event loop (as `run` serves them), visited over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
import socket
from types import SimpleNamespace

import httpx
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update

from bot.handoff import ANSWERED, HandoffStore
from bot.telegram import storage_access
from bot.telegram.app import build_application, console_for
from bot.telegram.staffqueue import StaffQueue, WebCopies
from bot.web.chat_hub import StaffNote
from tests import fake_telegram as tg
from tests.telegram_fixtures import *  # noqa: F403 (fixtures)
from tests.telegram_fixtures import STAFF_CHAT, STAFF_USER

QUESTION_RU = "Кто выиграл чемпионат мира по футболу?"


def translate(text, source, target):
    return f"[{source} to {target}] {text}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def running(api, config, answerer, storage):
    """The bot started, and its console with the web chat served on the same loop; yields
    (app, the chat's base URL)."""
    app = build_application(config, answerer, storage, translate, request=tg.RecordingRequest(api))
    console_app = console_for(app, config, storage, answerer)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(console_app, host="127.0.0.1", port=port, log_level="warning")
    )
    async with app:
        await app.post_init(app)
        task = asyncio.create_task(server.serve())
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)

        async def send(*updates):
            for data in updates:
                await app.process_update(Update.de_json(tg.api_update(api, data), app.bot))
            queue = app.bot_data["staff_queue"]
            for _ in range(500):  # the copies are sent, their handoffs written
                if not queue.sending and queue.queue.empty() and not queue.opening:
                    break
                await asyncio.sleep(0.01)
            await asyncio.to_thread(app.bot_data["log_queue"].join, 10)  # relays written

        app.send = send  # type: ignore[attr-defined]
        try:
            yield app, f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, 10)
            await app.bot_data["staff_queue"].stop()
            storage_access.close_access(app)
            app.bot_data["desk"].store.close()


def staff_copies(api) -> list[dict]:
    return api.sent("sendMessage", STAFF_CHAT)


def as_reply_to(api, params: dict) -> dict:
    return {
        "message_id": api.message_id_of(params),
        "date": 0,
        "chat": {"id": STAFF_CHAT, "type": "supergroup"},
        "from": {"id": tg.BOT_ID, "is_bot": True, "first_name": "FAQ"},
        "text": params["text"],
    }


def staff_says(text, reply_to, name="Ann"):
    update = tg.message(
        text, user_id=STAFF_USER, chat_id=STAFF_CHAT, chat_type="supergroup", reply_to=reply_to
    )
    update["message"]["from"]["first_name"] = name
    return update


def edits(api, message_id: int) -> list[str]:
    return [
        p["reply_markup"]["inline_keyboard"][0][0]["text"]
        for p in api.sent("editMessageReplyMarkup", STAFF_CHAT)
        if int(p["message_id"]) == message_id
    ]


async def listen(visitor: httpx.AsyncClient, received: list[dict]) -> None:
    """The visitor's open page: server-sent events until a staff reply arrives."""
    async with visitor.stream("GET", "/chat/events?after=0") as stream:
        async for line in stream.aiter_lines():
            if line.startswith("data: "):
                received.append(json.loads(line[6:]))
                if received[-1]["role"] == "staff":
                    return


async def test_a_web_question_reaches_the_staff_chat_and_the_reply_arrives_live(
    api, bot_config, small_answerer, storage
):
    async with running(api, bot_config, small_answerer, storage) as (app, url):
        async with httpx.AsyncClient(base_url=url, timeout=10) as visitor:
            await visitor.get("/chat", headers={"accept-language": "ru"})
            asked = await visitor.post(
                "/chat/send", json={"text": QUESTION_RU}, headers={"origin": url}
            )
            assert asked.status_code == 200
            await app.send()  # the copy is sent
            [copy] = staff_copies(api)
            assert copy["text"].startswith("<b>🌐 Web chat · ❓ Unanswered</b>\nweb visitor · ru")
            assert QUESTION_RU in copy["text"] and "[ru to en]" in copy["text"]
            received: list[dict] = []
            task = asyncio.create_task(listen(visitor, received))
            await asyncio.sleep(0.3)  # the stream is open and has the history
            assert "staff" not in [m["role"] for m in received]
            await app.send(staff_says("France won in 1998.", as_reply_to(api, copy)))
            await asyncio.wait_for(task, 5)
            history = (await visitor.get("/chat/messages")).json()["messages"]
    live = received[-1]["html"]
    assert "[en to ru] France won in 1998." in live and "France won in 1998." in live
    assert history[-1]["role"] == "staff" and history[-1]["html"] == live
    assert [p["chat_id"] for p in api.sent("sendMessage") if p is not copy] == []  # no one else
    store = HandoffStore(storage.path)
    [handoff] = store.find()
    assert (handoff.channel, handoff.state, handoff.done_by) == ("web", ANSWERED, "Ann")
    [recorded] = store.replies(handoff.id)
    assert (recorded["via"], recorded["channel"], recorded["language"]) == ("telegram", "web", "ru")
    assert (recorded["text"], recorded["delivered"]) == ("France won in 1998.", 1)
    assert edits(api, api.message_id_of(copy)) == ["✅ Answered by Ann"]
    store.close()


async def test_talk_to_a_person_none_of_these_and_a_reason_are_copied_and_answered(
    api, bot_config, small_answerer, storage
):
    async with running(api, bot_config, small_answerer, storage) as (app, url):
        async with httpx.AsyncClient(base_url=url, timeout=10) as visitor:
            await visitor.get("/chat", headers={"accept-language": "en"})

            async def act(**body):
                response = await visitor.post("/chat/act", json=body, headers={"origin": url})
                assert response.status_code == 200
                return response.json()["messages"]

            await act(act="staff", text="Please call me back")
            await app.send()
            # A 👎 on an answer, with a reason.
            answered = await visitor.post(
                "/chat/send", json={"text": "What is a fapiao?"}, headers={"origin": url}
            )
            html = "\n".join(m["html"] for m in answered.json()["messages"])
            ident = re.search(r'data-act="feedback" data-msg="(\d+)" data-value="0"', html)[1]
            await act(act="feedback", msg=ident, value="0")
            await act(act="reason", msg=ident, reason="wrong")
            await app.send()
            await app.send()
            copies = staff_copies(api)
            heads = [c["text"].split("\n")[0] for c in copies]
            assert heads[0] == "<b>🌐 Web chat · ✉️ Talk to a person</b>"
            assert heads[-1].startswith("<b>🌐 Web chat · 👎 ")
            assert "(entry " in copies[-1]["text"]
            for copy, words in zip(copies, ["We will call.", "Sorry, fixed."], strict=True):
                await app.send(staff_says(words, as_reply_to(api, copy)))
            history = (await visitor.get("/chat/messages")).json()["messages"]
    staff = [m["html"] for m in history if m["role"] == "staff"]
    assert len(staff) == 2
    assert "We will call." in staff[0] and "Sorry, fixed." in staff[1]
    store = HandoffStore(storage.path)
    found = store.find()
    assert {(h.kind, h.channel, h.state) for h in found} == {
        ("staff_message", "web", ANSWERED),
        ("feedback", "web", ANSWERED),
    }
    store.close()


async def test_a_batch_item_from_the_web_is_answered_by_its_number_and_forget_stops_a_copy(
    api, bot_config, small_answerer, storage
):
    """The staff chat is throttled: copies wait and go together, numbered; "#N" answers the
    visitor of item N and no one else. A visitor who uses "forget me" meanwhile is not
    copied at all."""
    async with running(api, bot_config, small_answerer, storage) as (app, url):
        api.held_chats.add(STAFF_CHAT)
        await app.process_update(  # a Telegram user first: their copy waits for the chat
            Update.de_json(tg.api_update(api, tg.message(QUESTION_RU, user_id=501)), app.bot)
        )
        visitors = [httpx.AsyncClient(base_url=url, timeout=10) for _ in range(3)]
        questions = [f"Who won the world cup in {year}?" for year in (1998, 2002, 2006)]
        for visitor, question in zip(visitors, questions, strict=True):
            await visitor.get("/chat")
            await visitor.post("/chat/send", json={"text": question}, headers={"origin": url})
        gone = await visitors[2].post("/chat/forget", json={}, headers={"origin": url})
        assert gone.status_code == 200
        api.held_chats.clear()
        await app.send()
        await app.send()
        batch = next(p for p in staff_copies(api) if "2 messages" in p["text"])
        assert questions[2] not in "".join(p["text"] for p in staff_copies(api))
        second = re.search(r"#2</b> (.*?)\n\n.*?(Who won[^\n]*)", batch["text"], re.S)
        assert second is not None and "Web chat" in second[1]
        target = questions.index(second[2])
        await app.send(staff_says("#2 Brazil.", as_reply_to(api, batch)))
        histories = [(await v.get("/chat/messages")).json()["messages"] for v in visitors[:2]]
        for visitor in visitors:
            await visitor.aclose()
    for i, history in enumerate(histories):
        staff = [m["html"] for m in history if m["role"] == "staff"]
        assert len(staff) == (i == target)
        assert ("Brazil." in "".join(staff)) == (i == target)
    assert "Brazil." not in "".join(p["text"] for p in api.sent("sendMessage", 501))
    assert "#2" not in "".join(histories[target][-1]["html"])


async def test_a_web_question_listed_by_unanswered_is_answered_from_there(
    api, bot_config, small_answerer, storage
):
    async with running(api, bot_config, small_answerer, storage) as (app, url):
        async with httpx.AsyncClient(base_url=url, timeout=10) as visitor:
            await visitor.get("/chat")
            await visitor.post(
                "/chat/send",
                json={"text": "Who won the world cup in 1998?"},
                headers={"origin": url},
            )
            await app.send()
            await app.send(
                tg.message(
                    "/unanswered", user_id=STAFF_USER, chat_id=STAFF_CHAT, chat_type="supergroup"
                )
            )
            listed = staff_copies(api)[-1]
            assert "world cup in 1998" in listed["text"]
            assert "Reply to this message to answer the user." in listed["text"]
            await app.send(staff_says("France.", as_reply_to(api, listed)))
            history = (await visitor.get("/chat/messages")).json()["messages"]
    assert history[-1]["role"] == "staff" and "France." in history[-1]["html"]
    store = HandoffStore(storage.path)
    [handoff] = store.find()
    assert (handoff.channel, handoff.state) == ("web", ANSWERED)
    assert store.replies(handoff.id)[0]["delivered"] == 1
    store.close()


@given(st.text(min_size=1, max_size=600))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_visitor_text_is_copied_escaped_and_marked(bot_config, text):
    app = SimpleNamespace(bot_data={})
    queue = StaffQueue(app, bot_config, None, lambda **kw: None)  # type: ignore[arg-type]
    app.bot_data["staff_queue"] = queue
    WebCopies(app).copy(StaffNote("❓ Unanswered", text, "en", "web:abc"))  # type: ignore[arg-type]
    copy = queue.queue.get_nowait()
    assert (copy.channel, copy.user_chat_id, copy.user_id) == ("web", None, "web:abc")
    block = asyncio.run(queue._block(copy, 3800))
    head, _, body = block.partition("\n\n")
    assert head == "<b>🌐 Web chat · ❓ Unanswered</b>\nweb visitor · en"
    assert html.unescape(body) == text and "<" not in body
