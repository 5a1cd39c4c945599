"""The staff chat never delays users: answers go first, copies queue and batch, /staff is
limited per user, long copies are shortened (the full text stored). Through the real
Application; a "held" staff chat stands for Telegram throttling it."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

import pytest
from telegram import Update

from bot.storage import Storage
from bot.telegram import storage_access
from bot.telegram.app import build_application
from bot.telegram.staffqueue import addressed_item
from tests import fake_telegram as tg

STAFF_CHAT = -100500
STAFF_USER = 77
UNKNOWN = "Who won the football world cup in 1998?"


@pytest.fixture
def bot_config(small_answerer):
    base = small_answerer.config
    return replace(
        base,
        token=tg.TOKEN,
        telegram=replace(
            base.telegram,
            staff_chat_id=STAFF_CHAT,
            staff_user_ids=(STAFF_USER,),
            staff_limit_messages=2,
            staff_limit_seconds=600,
        ),
    )


@pytest.fixture
async def bot(bot_config, small_answerer, tmp_path):
    api = tg.FakeBotApi()
    storage = Storage.open(tmp_path / "bot.db")
    app = build_application(bot_config, small_answerer, storage, request=tg.RecordingRequest(api))
    async with app:
        await app.post_init(app)
        app.api, app.storage = api, storage

        async def send(*updates):  # a user kept waiting for a minute fails the test
            updates_done = asyncio.gather(
                *(
                    app.process_update(Update.de_json(tg.api_update(api, u), app.bot))
                    for u in updates
                )
            )
            await asyncio.wait_for(updates_done, 60)

        app.send = send
        yield app
        await app.bot_data["staff_queue"].stop(timeout=10)
        storage_access.close_access(app)
    storage.close()


def staff_texts(api) -> list[str]:
    return [p["text"] for p in api.sent("sendMessage", STAFF_CHAT)]


async def idle(bot):
    """The staff copies are sent and the relays written."""
    queue = bot.bot_data["staff_queue"]
    await until(lambda: not queue.sending and queue.queue.empty())
    await asyncio.to_thread(bot.bot_data["log_queue"].join, 10)


async def until(predicate, timeout=30.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_forty_unanswered_users_are_answered_while_the_staff_chat_is_held(bot):
    api = bot.api
    users = range(2001, 2041)
    api.held_chats.add(STAFF_CHAT)  # Telegram throttling the staff chat
    await bot.send(*(tg.message(UNKNOWN + f" ({u})", user_id=u, message_id=u) for u in users))
    for u in users:  # every user has the "noted for staff" answer, no copy has gone out
        [reply] = api.sent("sendMessage", u)
        assert "noted for the service centre" in reply["text"]
    assert staff_texts(api) == []

    api.held_chats.clear()
    await until(lambda: sum(t.count(UNKNOWN) for t in staff_texts(api)) == 40)
    texts = staff_texts(api)
    assert len(texts) <= 5  # one for the first, then batches of ten
    assert all(len(t) <= 4096 for t in texts)
    for u in users:
        assert sum(f"({u})" in t for t in texts) == 1  # each question exactly once


async def test_staff_answer_an_item_of_a_batch_by_its_number(bot):
    api = bot.api
    api.held_chats.add(STAFF_CHAT)
    await bot.send(
        *(tg.message(UNKNOWN + f" ({u})", user_id=u, message_id=u) for u in (31, 32, 33))
    )
    api.held_chats.clear()
    await until(lambda: sum(t.count(UNKNOWN) for t in staff_texts(api)) == 3)
    batch = next(p for p in api.sent("sendMessage", STAFF_CHAT) if "#2" in p["text"])
    second = int(re.search(r"#2</b>.*?\((\d+)\)", batch["text"], re.S).group(1))
    await idle(bot)
    original = tg.bot_message(api, batch, STAFF_CHAT)
    await bot.send(
        tg.message(
            "#2 France won it.",
            user_id=900,
            chat_id=STAFF_CHAT,
            chat_type="supergroup",
            reply_to=original,
            message_id=77,
        )
    )
    got = {u: [p["text"] for p in api.sent("sendMessage", u)] for u in (31, 32, 33)}
    assert any("France won it." in t for t in got[second])
    assert not any("#2" in t for t in got[second])
    for u in (31, 32, 33):
        if u != second:
            assert not any("France won it." in t for t in got[u])


async def test_a_question_listed_while_its_copy_waits_still_reaches_its_asker(bot):
    """/unanswered in a private staff chat while the staff chat is throttled: the asker
    turned off being told of answers later, so their chat is known only from the waiting
    copy, and a reply to the listing reaches them."""
    api = bot.api
    api.held_chats.add(STAFF_CHAT)
    await bot.send(tg.message("/notify off", user_id=601, message_id=1))
    await bot.send(tg.message(UNKNOWN, user_id=601, message_id=2))
    await asyncio.to_thread(bot.bot_data["log_queue"].join, 10)  # the question is queued
    assert staff_texts(api) == [] and bot.storage.asker_chat(1) is None  # no relay yet
    await bot.send(tg.message("/unanswered", user_id=STAFF_USER, message_id=3))
    [listed] = api.sent("sendMessage", STAFF_USER)
    assert UNKNOWN in listed["text"] and "Reply to this message" in listed["text"]
    listing = tg.bot_message(api, listed, STAFF_USER)
    reply = tg.message("France won it.", user_id=STAFF_USER, reply_to=listing, message_id=4)
    await bot.send(reply)
    assert api.sent("sendMessage", 601)[-1]["text"].endswith("France won it.")
    api.held_chats.clear()  # the copy still goes out, and its own relay is written
    await until(lambda: any(UNKNOWN in t for t in staff_texts(api)))
    await idle(bot)
    assert bot.storage.asker_chat(1) == 601
    assert bot.bot_data["staff_queue"].unsent() == []


async def test_a_listing_reads_the_waiting_copies_once_and_links_each_to_its_asker(bot):
    """Four askers with /notify off wait behind a throttled staff chat: /unanswered lists
    each as reachable, a reply to each listing reaches its own asker, and the waiting
    copies' asker keys are computed once for the listing, not once per listed item (a
    throttled chat can hold thousands of copies)."""
    api = bot.api
    api.held_chats.add(STAFF_CHAT)
    users = (611, 612, 613, 614)
    for u in users:
        await bot.send(tg.message("/notify off", user_id=u, message_id=1))
        await bot.send(tg.message(UNKNOWN + f" ({u})", user_id=u, message_id=2))
    await asyncio.to_thread(bot.bot_data["log_queue"].join, 10)
    reader = bot.bot_data["storage_reader"]
    keyed = []
    user_key = reader.user_key
    reader.user_key = lambda user_id: keyed.append(user_id) or user_key(user_id)
    await bot.send(tg.message("/unanswered", user_id=STAFF_USER, message_id=3))
    listed = api.sent("sendMessage", STAFF_USER)
    assert len(listed) == len(users)
    assert all("Reply to this message" in p["text"] for p in listed)
    assert sorted(keyed) == sorted(users)  # one key per waiting copy
    for n, shown in enumerate(listed):
        asker = int(re.search(r"\((\d+)\)", shown["text"]).group(1))
        listing = tg.bot_message(api, shown, STAFF_USER)
        answer = f"Answer {n} for you."
        await bot.send(tg.message(answer, user_id=STAFF_USER, reply_to=listing, message_id=10 + n))
        assert api.sent("sendMessage", asker)[-1]["text"].endswith(answer)
    api.held_chats.clear()


async def test_a_forgotten_askers_waiting_copy_does_not_make_them_reachable(bot):
    api = bot.api
    api.held_chats.add(STAFF_CHAT)
    await bot.send(tg.message(UNKNOWN, user_id=602, message_id=1))
    await bot.send(tg.message("/forget", user_id=602, message_id=2))
    await asyncio.to_thread(bot.bot_data["log_queue"].join, 10)
    assert bot.bot_data["staff_queue"].unsent() == []
    await bot.send(tg.message("/unanswered", user_id=STAFF_USER, message_id=3))
    assert "No new unanswered questions" in api.sent("sendMessage", STAFF_USER)[-1]["text"]
    api.held_chats.clear()


async def test_staff_command_is_limited_per_user_with_a_polite_message(bot):
    api = bot.api
    for i in range(4):
        await bot.send(tg.message(f"/staff please help {i}", user_id=55, message_id=i + 1))
    replies = [p["text"] for p in api.sent("sendMessage", 55)]
    assert sum("passed to the service centre" in t for t in replies) == 2
    assert sum("Please wait for their answer" in t for t in replies) == 2
    await bot.send(tg.message("/staff I am someone else", user_id=56))  # others unaffected
    await until(
        lambda: sum("please help" in t or "someone else" in t for t in staff_texts(api)) >= 3
    )
    texts = "\n".join(staff_texts(api))
    assert "please help 0" in texts and "please help 1" in texts
    assert "please help 2" not in texts and "someone else" in texts


async def test_a_question_longer_than_a_staff_message_is_shortened_and_stored_whole(bot):
    api = bot.api
    question = UNKNOWN + " " + "ничего не понятно " * 224  # 4,07x characters
    assert 4000 < len(question) <= 4096
    await bot.send(tg.message(question, user_id=66, language_code="ru"))
    assert api.sent("sendMessage", 66)  # the user is answered
    await until(lambda: staff_texts(api))
    [copy] = staff_texts(api)
    assert len(copy) <= 4096 and "[cut:" in copy
    await idle(bot)
    [item] = bot.storage.list_unanswered()
    assert item["question"] == question  # the full text is kept
    relay = bot.storage.find_relay(
        STAFF_CHAT, api.message_id_of(api.sent("sendMessage", STAFF_CHAT)[0])
    )
    assert relay["question"] == question


def test_addressed_item():
    assert addressed_item("#2 France won it.") == (2, "France won it.")
    assert addressed_item("#12: yes") == (12, "yes")
    assert addressed_item("No number here #2") == (None, "No number here #2")
