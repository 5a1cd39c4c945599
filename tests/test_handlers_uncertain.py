"""Uncertain outcomes on Telegram: "none of these" reaches staff, a chosen suggestion is
recorded, a 👎 can carry a reason (real Application, recording request, real SQLite)."""

import html

from bot import messages
from bot.storage import NONE_OF_THESE
from tests import fake_telegram as tg
from tests.telegram_fixtures import *  # noqa: F403 (fixtures)
from tests.telegram_fixtures import STAFF_CHAT, STAFF_USER, texts


def buttons(sent: dict) -> list[str]:
    return [b.get("callback_data") for row in sent["reply_markup"]["inline_keyboard"] for b in row]


async def test_none_of_these_button_sends_the_question_to_staff(run_updates, storage):
    api = await run_updates(tg.message("licence"), tg.callback("n"), storage=storage)
    suggestion, told = api.sent("sendMessage", 42)
    assert buttons(suggestion)[-1] == "n"
    assert messages.text("en", "none_of_these") in str(suggestion["reply_markup"])
    assert told["text"] == messages.text("en", "none_noted")
    [copy] = api.sent("sendMessage", STAFF_CHAT)
    assert "None of these" in copy["text"] and "licence" in copy["text"]
    [queued] = storage.list_unanswered()
    assert (queued["question"], queued["kind"]) == ("licence", NONE_OF_THESE)


async def test_typed_zero_is_none_of_these_once(run_updates, storage):
    api = await run_updates(
        tg.message("licence"), tg.message("0"), tg.message("0"), storage=storage
    )
    suggestion, told, again = texts(api, 42)
    assert "0. None of these" in suggestion
    assert told == messages.text("en", "none_noted")
    assert again != told  # the list was used: "0" is now just a question
    assert [q["kind"] for q in storage.list_unanswered()] == [NONE_OF_THESE]


async def test_none_of_these_without_a_list_is_a_stale_button(run_updates, storage):
    api = await run_updates(tg.callback("n"), storage=storage)
    assert api.sent("answerCallbackQuery")[-1]["text"] == messages.text("en", "stale_button")
    assert storage.list_unanswered() == []
    assert api.sent("sendMessage", STAFF_CHAT) == []


async def test_chosen_suggestion_is_recorded_by_button_and_by_number(run_updates, storage):
    await run_updates(tg.message("licence"), tg.message("1"), storage=storage)
    api = await run_updates(tg.message("licence"), storage=storage)
    suggestion = api.sent("sendMessage", 42)[-1]
    first = buttons(suggestion)[0]
    assert first.startswith("s:")
    await run_updates(tg.message("licence"), tg.callback(first), storage=storage)
    rows = storage.list_choices()
    assert [(r["question"], r["language"]) for r in rows] == [("licence", "en")] * 2
    assert rows[0]["entry_id"] == rows[1]["entry_id"] == first[2:]
    assert [r["source"] for r in rows] == ["suggestion"] * 2


async def test_the_entry_ranked_next_opened_from_see_also_is_recorded_once(run_updates, storage):
    """An answer offers the entry ranked next first under "See also" (Answer.nearest);
    opening it records the question as a choice of that entry, like a chosen suggestion,
    and only once. An entry staff linked, opened from "See also", is not recorded."""
    asked = "How do I get a work permit for a foreign employee?"
    api = await run_updates(
        tg.message(asked),
        tg.callback("a:bank-account"),
        tg.callback("a:bank-account"),
        tg.message("when is the centre open"),
        tg.callback("a:bank-account"),
        storage=storage,
    )
    permit, bank, again, hours, linked = api.sent("sendMessage", 42)
    assert "a:bank-account" in buttons(permit)  # the entry ranked next
    assert "a:bank-account" in buttons(hours)  # linked by staff (office-hours names it)
    for opened in (bank, again, linked):
        assert "company bank account" in opened["text"].lower()
    rows = storage.list_choices()
    assert [(r["question"], r["language"], r["entry_id"], r["source"]) for r in rows] == [
        (asked, "en", "bank-account", "see_also")
    ]
    assert messages.text("en", "error") not in texts(api)  # no handler failed


async def test_topic_menu_entries_are_not_recorded_as_choices(run_updates, storage):
    await run_updates(tg.message("licence"), tg.callback("e:work-permit"), storage=storage)
    assert storage.list_choices() == []


async def test_thumbs_down_asks_a_reason_stored_and_sent_to_staff(run_updates, storage):
    api = await run_updates(tg.message("What is a fapiao?"), storage=storage)
    answer = api.sent("sendMessage", 42)[-1]
    thumbs_down = buttons(answer)[-1]
    assert thumbs_down.endswith(":0")
    await run_updates(tg.callback(thumbs_down), storage=storage)
    asked = api.sent("sendMessage", 42)[-1]
    assert asked["text"] == messages.text("en", "feedback_reason")
    reasons = buttons(asked)
    assert reasons == ["r" + thumbs_down[1:-1] + r for r in ("wrong", "outdated", "not_mine")]
    assert api.sent("sendMessage", STAFF_CHAT) == []  # a 👎 alone does not call on staff
    await run_updates(tg.callback(reasons[1]), storage=storage)
    assert api.sent("answerCallbackQuery")[-1]["text"] == messages.text("en", "reason_thanks")
    [row] = storage.db.query("SELECT helpful, reason FROM feedback")
    assert (row["helpful"], row["reason"]) == (0, "outdated")
    [copy] = api.sent("sendMessage", STAFF_CHAT)
    assert "👎 Out of date" in copy["text"] and "What is a fapiao?" in copy["text"]
    assert "(entry fapiao)" in copy["text"]


async def test_thumbs_up_asks_no_reason_and_a_bad_reason_is_stale(run_updates, storage):
    api = await run_updates(tg.message("What is a fapiao?"), storage=storage)
    thumbs_up = buttons(api.sent("sendMessage", 42)[-1])[-2]
    ref = thumbs_up.split(":")[1]
    await run_updates(tg.callback(thumbs_up), tg.callback(f"r:{ref}:bored"), storage=storage)
    assert len(api.sent("sendMessage", 42)) == 1  # no reason asked
    assert api.sent("answerCallbackQuery")[-1]["text"] == messages.text("en", "stale_button")
    [row] = storage.db.query("SELECT helpful, reason FROM feedback")
    assert (row["helpful"], row["reason"]) == (1, None)


async def test_one_rating_per_answer_and_an_old_reason_prompt_cannot_undo_a_thumbs_up(
    run_updates, storage, api
):
    """👎 twice asks for a reason once; after a 👍, the old prompt's reason is out of date
    (it turned the 👍 into a 👎 and called on staff); a reason tapped twice reaches staff
    once."""
    first = await run_updates(tg.message("What is a fapiao?"), storage=storage)
    thumbs_up, thumbs_down = buttons(first.sent("sendMessage", 42)[-1])[-2:]
    ref = thumbs_down.split(":")[1]
    await run_updates(
        tg.callback(thumbs_down), tg.callback(thumbs_down), tg.callback(thumbs_up),
        tg.callback(f"r:{ref}:wrong"),
        storage=storage,
    )  # fmt: skip
    prompts = [m for m in api.sent("sendMessage", 42) if m.get("reply_markup")]
    asked = [m for m in prompts if m["text"] == messages.text("en", "feedback_reason")]
    assert len(asked) == 1
    assert api.sent("answerCallbackQuery")[-1]["text"] == messages.text("en", "stale_button")
    [row] = storage.db.query("SELECT helpful, reason FROM feedback")
    assert (row["helpful"], row["reason"]) == (1, None)
    assert api.sent("sendMessage", STAFF_CHAT) == []
    await run_updates(
        tg.callback(thumbs_down), tg.callback(f"r:{ref}:wrong"), tg.callback(f"r:{ref}:wrong"),
        storage=storage,
    )  # fmt: skip
    [row] = storage.db.query("SELECT helpful, reason FROM feedback")
    assert (row["helpful"], row["reason"]) == (0, "wrong")
    assert len(api.sent("sendMessage", STAFF_CHAT)) == 1


async def test_staff_see_none_of_these_in_their_list(run_updates, storage, api):
    await run_updates(tg.message("licence"), tg.callback("n"), storage=storage)
    await run_updates(
        tg.message("/unanswered", user_id=STAFF_USER, chat_id=STAFF_CHAT, chat_type="supergroup"),
        storage=storage,
    )
    listed = api.sent("sendMessage", STAFF_CHAT)[-1]["text"]
    assert "none of these" in listed and "licence" in listed


async def test_a_question_set_in_another_country_gets_the_notice_and_reaches_staff(
    run_updates, storage
):
    """No answer about China for Vietnam: the notice, then the entries "if you meant
    China" as buttons; with nothing to offer, the notice and the question goes to staff."""
    notice = messages.text("en", "elsewhere", country="Vietnam")
    api = await run_updates(tg.message("How do I get a work permit in Vietnam?"), storage=storage)
    [offer] = api.sent("sendMessage", 42)
    assert offer["text"].startswith(notice + "\n\n" + messages.text("en", "elsewhere_suggest"))
    assert buttons(offer)[0] == "s:work-permit"
    dubai = "What time is it in Dubai right now?"
    api = await run_updates(tg.message(dubai), storage=storage)
    told = texts(api, 42)[-1]
    uae = messages.text("en", "elsewhere", country="United Arab Emirates")
    assert told == html.escape(uae + "\n\n" + messages.text("en", "unanswered_noted"))
    assert [q["question"] for q in storage.list_unanswered()] == [dubai]
    assert dubai in api.sent("sendMessage", STAFF_CHAT)[0]["text"]


async def test_the_report_counts_each_telegram_question_once(run_updates, storage):
    """Lists chosen from by number and by button, a list left, a list refused, and an answer
    whose "See also" entry is opened: five questions as the report counts them (the log
    holds nine rows); each step after a reply names the reply it follows."""
    from datetime import UTC, datetime, timedelta

    from bot.report import build_report

    await run_updates(tg.message("licence"), tg.message("1"), storage=storage)
    api = await run_updates(tg.message("licence"), storage=storage)
    first = buttons(api.sent("sendMessage", 42)[-1])[0]
    await run_updates(tg.message("licence"), tg.callback(first), storage=storage)
    await run_updates(tg.message("licence"), tg.callback("n"), storage=storage)
    asked = "How do I get a work permit for a foreign employee?"
    await run_updates(tg.message(asked), tg.callback("a:bank-account"), storage=storage)
    rows = list(storage.db.query("SELECT id, status, follows FROM interactions ORDER BY id"))
    steps = [(r["status"], r["follows"]) for r in rows]
    assert steps == [
        ("suggest", None), ("answered", rows[0]["id"]),
        ("suggest", None),  # the list that only showed the button
        ("suggest", None), ("answered", rows[3]["id"]),
        ("suggest", None), ("unanswered", rows[5]["id"]),
        ("answered", None), ("answered", rows[7]["id"]),
    ]  # fmt: skip
    now = datetime.now(UTC)
    report = build_report(storage.path, None, since=now - timedelta(days=1), now=now)
    assert (report.total, report.outcome_total("answered"), report.outcome_total("chosen")) == (
        5,
        1,
        2,
    )
    assert (report.outcome_total("suggest"), report.outcome_total("unanswered")) == (1, 1)


async def test_a_follow_up_is_read_with_the_question_before(run_updates, answerer):
    """ "大概多少钱" (roughly how much?) after a trademark question is answered with the
    trademark fees, not the centre's own fees it gets alone."""
    title = answerer.localizer.question(answerer.kb.by_id["trademark-fees"], "zh")
    alone = await run_updates(tg.message("大概多少钱"), answerer=answerer)
    assert title not in texts(alone)[-1]
    api = await run_updates(
        tg.message("如何注册商标？"), tg.message("大概多少钱"), answerer=answerer
    )
    assert texts(api)[-1].startswith(f"<b>{html.escape(title)}</b>")


async def test_a_follow_up_in_a_group_is_not_read_with_a_private_question(run_updates, answerer):
    """What a user asked in private never colours the bot's answer in a group (the whole
    group reads it): the earlier question is kept per chat."""
    title = answerer.localizer.question(answerer.kb.by_id["trademark-fees"], "zh")
    group = dict(chat_id=-100, chat_type="group")
    bot = f"@{tg.BOT_USERNAME}"
    asked = (tg.message("如何注册商标？"), tg.message(f"{bot} 大概多少钱", **group))
    api = await run_updates(*asked, answerer=answerer)
    assert title not in texts(api, -100)[-1]
    # Both in the group: read together.
    first = tg.message(f"{bot} 如何注册商标？", **group)
    asked = (first, tg.message(f"{bot} 大概多少钱", message_id=2, **group))
    api = await run_updates(*asked, answerer=answerer)
    assert texts(api, -100)[-1].startswith(f"<b>{html.escape(title)}</b>")
