"""Unusual and malformed updates through a real Application: never a traceback, never the
users' words in the log."""

import logging
import time

from bot import messages
from tests import fake_telegram as tg
from tests.telegram_fixtures import *  # noqa: F403 (fixtures)
from tests.telegram_fixtures import texts

CHANNEL = {"id": -1001234, "type": "channel", "title": "News"}


def errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def inaccessible_callback(data: str, user_id: int = 42) -> dict:
    """A button under a message older than 48 hours: Telegram sends it with date 0."""
    update = tg.callback(data, user_id=user_id)
    update["callback_query"]["message"] = {
        "message_id": 99,
        "date": 0,
        "chat": {"id": user_id, "type": "private"},
    }
    return update


async def test_feedback_after_forget_is_answered_without_a_traceback(run_updates, storage, caplog):
    api = await run_updates(tg.message("What is a fapiao?"), storage=storage)
    [answer] = api.sent("sendMessage", 42)
    helpful = answer["reply_markup"]["inline_keyboard"][-1][0]["callback_data"]
    await run_updates(tg.message("/forget"), tg.callback(helpful), storage=storage)
    assert errors(caplog) == []
    # Feedback is written after the button is answered (the log queue): the vote for a
    # forgotten answer is dropped there, and never reaches the database.
    assert api.sent("answerCallbackQuery")[-1]["text"]
    assert messages.text("en", "error") not in texts(api, 42)
    assert list(storage.db.query("SELECT * FROM feedback")) == []


async def test_channel_posts_that_mention_the_bot_are_left_alone(run_updates, storage, caplog):
    post = {
        "message_id": 5,
        "date": int(time.time()),
        "chat": CHANNEL,
        "sender_chat": CHANNEL,
        "text": f"@{tg.BOT_USERNAME} What is a fapiao?",
    }
    api = await run_updates(
        {"channel_post": post},
        {"edited_channel_post": {**post, "edit_date": int(time.time())}},
        {"channel_post": {**post, "text": "/start"}},
        {"channel_post": {**post, "text": None, "photo": []}},
        storage=storage,
    )
    assert errors(caplog) == []
    assert api.sent("sendMessage") == []
    assert list(storage.db.query("SELECT * FROM interactions")) == []


async def test_messages_without_a_sender_are_left_alone(run_updates, caplog):
    group = {"id": -300, "type": "supergroup", "title": "G"}
    anonymous = {"message_id": 6, "date": int(time.time()), "chat": group, "sender_chat": group}
    api = await run_updates(
        {"message": {**anonymous, "text": f"@{tg.BOT_USERNAME} What is a fapiao?"}},
        {"message": {**anonymous, "text": "/forget"}},
        {"message": {**anonymous, "text": "/notify off"}},
    )
    assert errors(caplog) == []
    assert all("fapiao" not in t for t in texts(api))


async def test_buttons_under_old_or_deleted_messages_still_work(run_updates, api, caplog):
    not_found = {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message to edit not found",
    }
    api.failures["editMessageText"] = [not_found, not_found]
    await run_updates(
        inaccessible_callback("e:fapiao"),
        inaccessible_callback("t:money:0"),
        inaccessible_callback("tl"),
        inaccessible_callback("l:fr"),
        inaccessible_callback("tl"),
    )
    assert errors(caplog) == []
    answer, page, menu, language_set = api.sent("sendMessage", 42)
    assert "official tax invoice" in answer["text"]
    assert page["reply_markup"]["inline_keyboard"][-1][-1]["callback_data"] == "tl"
    assert menu["text"] == messages.text("en", "topics")
    assert language_set["text"] == messages.text("fr", "language_set")
    [edited] = api.sent("editMessageText")  # an old message that still exists is edited
    assert edited["text"] == messages.text("fr", "topics")


async def test_inline_mode_buttons_and_other_update_kinds_do_not_fail(run_updates, caplog):
    inline = tg.callback("e:fapiao")
    del inline["callback_query"]["message"]
    inline["callback_query"]["inline_message_id"] = "AAA"
    member = {
        "chat": {"id": -300, "type": "supergroup", "title": "G"},
        "from": tg.user(),
        "date": int(time.time()),
        "old_chat_member": {"status": "left", "user": tg.user(tg.BOT_ID)},
        "new_chat_member": {"status": "member", "user": tg.user(tg.BOT_ID)},
    }
    api = await run_updates(
        inline,
        {"my_chat_member": member},
        {"callback_query": {**tg.callback("tl")["callback_query"], "data": None}},
    )
    assert errors(caplog) == []
    assert len(api.sent("answerCallbackQuery")) == 2


async def test_pressing_the_same_page_twice_is_not_an_error(run_updates, api, caplog):
    api.failures["editMessageText"] = [
        {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: message is not modified: specified new message "
            "content and reply markup are exactly the same",
        }
    ]
    await run_updates(tg.callback("t:money:0"))
    assert errors(caplog) == []
    assert messages.text("en", "error") not in texts(api, 42)


async def test_error_log_names_the_update_but_not_the_users_words(
    run_updates, small_answerer, caplog, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(small_answerer, "ask", broken)
    update = tg.message("my private question about my landlord")
    api = await run_updates(update)
    assert texts(api, 42) == [messages.text("en", "error")]
    [logged] = errors(caplog)
    assert logged.startswith("error while handling update ") and logged.endswith("(message)")
    assert "landlord" not in caplog.text


async def test_a_failing_button_stops_spinning_and_apologises(run_updates, caplog, monkeypatch):
    from bot.telegram import handlers

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(handlers, "topic_page", broken)
    api = await run_updates(tg.callback("t:money:0"))
    assert len(api.sent("answerCallbackQuery")) == 1
    assert texts(api, 42) == [messages.text("en", "error")]
    [logged] = errors(caplog)
    assert logged.endswith("(callback_query)")
