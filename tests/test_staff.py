"""Staff handlers through a real Application: /reload, /unanswered, /stats, relayed
replies and the buttons on unanswered items."""

import html
import json
from dataclasses import replace

import pytest

from bot import messages, triage
from bot.answering import build_answerer
from bot.localize import ANSWER
from bot.telegram.staff import EDIT_NOT_SENT, ELSEWHERE, NO_ASKER
from bot.translation import MachineTranslator
from tests import fake_telegram as tg
from tests.argos_packages import argos_package_factory  # noqa: F401 (fixture)
from tests.telegram_fixtures import *  # noqa: F403 (fixtures)
from tests.telegram_fixtures import STAFF_CHAT, STAFF_USER, texts

EN_DE = {"A": "EIN", "fapiao": "FAPIAO-DE", "official": "AMTLICHE", "tax": "STEUER"}


@pytest.fixture
def german(tmp_path, small_kb_dir, bot_config, argos_package_factory):  # noqa: F811
    """A config with German supported and an en->de model installed."""
    models = tmp_path / "models"
    package = argos_package_factory("en", "de", EN_DE, with_splitter=False)
    MachineTranslator(models).install_file(package)
    return replace(
        bot_config,
        knowledge=replace(bot_config.knowledge, dir=small_kb_dir, cache_dir=tmp_path / "cache"),
        languages=replace(bot_config.languages, supported=(*bot_config.languages.supported, "de")),
        translation=replace(bot_config.translation, packages_dir=models, beam_size=1, live=False),
    )


async def test_reload_keeps_the_cached_machine_translations(run_updates, german, storage, encoder):
    answerer = build_answerer(german, storage=storage, encoder=encoder)
    fapiao = answerer.kb.by_id["fapiao"]
    assert answerer.localizer.translate(fapiao.answer, "de", ANSWER)  # as `kb translate` does
    answerer = build_answerer(german, storage=storage, encoder=encoder)  # a start-up
    api = await run_updates(
        tg.callback("l:de"),
        tg.message("What is a fapiao?"),
        tg.message("/reload", user_id=STAFF_USER),
        tg.message("What is a fapiao?"),
        storage=storage,
        config=german,
        answerer=answerer,
    )
    before, after = texts(api, 42)[1:]
    assert "AMTLICHE STEUER" in before
    assert texts(api, STAFF_USER)[0].startswith("Knowledge base reloaded")
    assert after == before


async def test_staff_commands_in_a_public_group_are_refused_there(run_updates, storage, caplog):
    group = {"chat_id": -300, "chat_type": "supergroup"}
    api = await run_updates(
        tg.message("Who won the football world cup in 1998?", user_id=501),
        tg.message("/unanswered", user_id=STAFF_USER, **group),
        tg.message("/stats", user_id=STAFF_USER, **group),
        tg.message("/reload", user_id=STAFF_USER, **group),
        tg.message("/unanswered", user_id=42, **group),
        storage=storage,
    )
    refusals = texts(api, -300)
    assert refusals[:3] == [ELSEWHERE] * 3
    assert refusals[3] == "This command is for the service centre's staff only."
    assert not any("football" in t for t in refusals)
    assert "refused staff command '/unanswered' from user 77 in chat -300" in caplog.text
    assert texts(api, STAFF_USER) == []


async def test_staff_buttons_in_a_public_group_are_refused(run_updates, storage, caplog):
    storage.log_interaction(
        user_id=1, chat_type="private", language="en", question="q", status="unanswered"
    )
    [item] = storage.list_unanswered()
    press = tg.callback(f"ui:{item['id']}", user_id=STAFF_USER)
    press["callback_query"]["message"]["chat"] = {"id": -300, "type": "supergroup", "title": "G"}
    api = await run_updates(press, storage=storage)
    assert texts(api, -300) == [ELSEWHERE]
    assert len(api.sent("answerCallbackQuery")) == 1  # the button stops spinning
    assert storage.list_unanswered()[0]["status"] == "new"


async def test_ignore_on_a_question_resolved_meanwhile_keeps_it_resolved(run_updates, storage, api):
    """The staff copy's Ignore pressed after the question was resolved (from the console
    or the CLI) does not turn it into an ignored one; staff are told what was done."""
    await run_updates(tg.message("Who won the football world cup in 1998?"), storage=storage)
    [item] = storage.list_unanswered()
    storage.set_unanswered_status([item["id"]], "resolved", "fapiao")
    await run_updates(tg.callback(f"ui:{item['id']}", user_id=STAFF_USER), storage=storage)
    [after] = storage.list_unanswered(status="resolved")
    assert (after["id"], after["resolved_entry_id"]) == (item["id"], "fapiao")
    assert api.sent("answerCallbackQuery")[-1]["text"] == (
        "Already resolved (fapiao): nothing changed."
    )


async def test_a_question_staff_ignored_does_not_call_on_them_again(run_updates, storage, api):
    question = "Who won the football world cup in 1998?"
    await run_updates(tg.message(question, user_id=501), storage=storage)
    [item] = storage.list_unanswered()
    await run_updates(tg.callback(f"ui:{item['id']}", user_id=STAFF_USER), storage=storage)
    await run_updates(
        tg.message("who won the football World Cup in 1998", user_id=502), storage=storage
    )
    assert len(api.sent("sendMessage", STAFF_CHAT)) == 1  # only the first time
    assert texts(api, 502) == [html.escape(messages.text("en", "unanswered"))]
    assert storage.list_unanswered() == []
    assert len(storage.list_unanswered(status="ignored")) == 2


def staff_says(text, reply_to, *, chat_id=STAFF_CHAT, **kwargs):
    chat_type = "supergroup" if chat_id < 0 else "private"
    return tg.message(
        text, user_id=STAFF_USER, chat_id=chat_id, chat_type=chat_type, reply_to=reply_to, **kwargs
    )


def translate(text, source, target):
    return f"[{source} to {target}] {text}"


PHOTO = {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]}
QUESTION_RU = "Кто выиграл чемпионат мира по футболу?"


async def test_a_reply_to_an_unanswered_item_reaches_the_asker(run_updates, storage, api):
    await run_updates(
        tg.message(QUESTION_RU, user_id=501, language_code="ru"),
        tg.message("/unanswered", user_id=STAFF_USER, chat_id=STAFF_CHAT, chat_type="supergroup"),
        storage=storage,
        translate=translate,
    )
    forwarded, listed = api.sent("sendMessage", STAFF_CHAT)
    assert QUESTION_RU in listed["text"] and "Reply to this message" in listed["text"]
    await run_updates(
        staff_says("France won in 1998.", tg.bot_message(api, listed, STAFF_CHAT)),
        storage=storage,
        translate=translate,
    )
    reply = texts(api, 501)[-1]
    assert reply.startswith(f"<b>{messages.text('ru', 'staff_reply')}</b>\n[en to ru] France")
    assert reply.endswith("\nFrance won in 1998.")


async def test_a_reply_to_an_item_in_a_private_staff_chat_reaches_the_asker(
    run_updates, storage, api
):
    await run_updates(
        tg.message(QUESTION_RU, user_id=501, language_code="ru"),
        tg.message("/unanswered", user_id=STAFF_USER),
        storage=storage,
    )
    [listed] = api.sent("sendMessage", STAFF_USER)
    await run_updates(
        staff_says("France.", tg.bot_message(api, listed, STAFF_USER), chat_id=STAFF_USER),
        staff_says("What is a fapiao?", None, chat_id=STAFF_USER),
        storage=storage,
    )
    assert texts(api, 501)[-1].endswith("France.")
    assert "official tax invoice" in texts(api, STAFF_USER)[-1]  # not a reply: a question


async def test_open_shows_the_item_in_full_with_its_actions(run_updates, storage, api):
    await run_updates(
        tg.message(QUESTION_RU, user_id=501, language_code="ru"),
        storage=storage,
        translate=translate,
    )
    [item] = storage.list_unanswered()
    await run_updates(
        tg.callback(f"uo:{item['id']}", user_id=STAFF_USER), storage=storage, translate=translate
    )
    opened = api.sent("sendMessage", STAFF_USER)[-1]
    text = opened["text"]
    assert f"<b>#{item['id']}</b> · ru · {item['time'][:10]}" in text
    assert QUESTION_RU in text and f"<i>en:</i> [ru to en] {QUESTION_RU}" in text
    assert "Reply to this message to answer the user." in text
    [[state], actions] = opened["reply_markup"]["inline_keyboard"]
    assert state["text"] == "🆕 New: not claimed" and state["callback_data"].startswith("hs:")
    handoff = state["callback_data"][3:]
    assert [(b["text"], b["callback_data"]) for b in actions] == [
        ("Ignore", f"ui:{item['id']}"),
        ("Claim", f"hc:{handoff}"),
        ("Close", f"hx:{handoff}"),
    ]
    await run_updates(
        staff_says("France.", tg.bot_message(api, opened, STAFF_USER), chat_id=STAFF_USER),
        storage=storage,
    )
    assert texts(api, 501)[-1].endswith("France.")


async def test_an_item_whose_asker_cannot_be_reached_says_so(run_updates, storage, api):
    storage.log_interaction(
        user_id=1,
        chat_type="cli",
        language="en",
        question="asked in the terminal",
        status="unanswered",
        channel="cli",
    )
    await run_updates(tg.message("/unanswered", user_id=STAFF_USER), storage=storage)
    [listed] = api.sent("sendMessage", STAFF_USER)
    assert "cannot be reached" in listed["text"]


async def test_a_photo_reply_is_explained_to_staff_and_not_lost_silently(run_updates, storage, api):
    await run_updates(tg.message(QUESTION_RU, user_id=501, language_code="ru"), storage=storage)
    [forwarded] = api.sent("sendMessage", STAFF_CHAT)
    before = len(texts(api, 501))
    await run_updates(
        staff_says(None, tg.bot_message(api, forwarded, STAFF_CHAT), extra=PHOTO),
        staff_says(
            None,
            tg.bot_message(api, forwarded, STAFF_CHAT),
            extra={"document": {"file_id": "d", "file_unique_id": "d"}, "caption": "the form"},
        ),
        storage=storage,
    )
    photo, document = texts(api, STAFF_CHAT)[1:]
    assert photo.startswith("Not delivered") and "photo" in photo
    assert document.startswith("Not delivered") and "document" in document
    assert len(texts(api, 501)) == before


async def test_a_reply_to_an_asker_who_used_forget_is_explained(run_updates, storage, api):
    await run_updates(tg.message(QUESTION_RU, user_id=501, language_code="ru"), storage=storage)
    [forwarded] = api.sent("sendMessage", STAFF_CHAT)  # staff saw it; then the asker left
    await run_updates(tg.message("/forget", user_id=501, language_code="ru"), storage=storage)
    before = len(texts(api, 501))
    chatter = {**tg.bot_message(api, forwarded, STAFF_CHAT), "text": "a staff member's note"}
    chatter["from"] = {"id": 78, "is_bot": False, "first_name": "Bo"}
    await run_updates(
        staff_says("France.", tg.bot_message(api, forwarded, STAFF_CHAT)),
        staff_says("I agree", chatter),  # staff talking among themselves: not for the bot
        storage=storage,
    )
    assert texts(api, STAFF_CHAT)[1:] == [NO_ASKER]
    assert len(texts(api, 501)) == before


async def test_an_edited_staff_reply_is_not_sent_again(run_updates, storage, api):
    await run_updates(tg.message(QUESTION_RU, user_id=501, language_code="ru"), storage=storage)
    [forwarded] = api.sent("sendMessage", STAFF_CHAT)
    original = tg.bot_message(api, forwarded, STAFF_CHAT)
    await run_updates(
        staff_says("France won.", original, message_id=30),
        staff_says("France won in 1998.", original, message_id=30, edited=True),
        storage=storage,
    )
    assert [t for t in texts(api, 501) if "France" in t] == [
        f"<b>{messages.text('ru', 'staff_reply')}</b>\nFrance won."
    ]
    # No Russian model here: the reply went as typed, and staff are told so.
    assert texts(api, STAFF_CHAT)[1:] == [
        "Delivered as typed (no Russian translation model installed).",
        EDIT_NOT_SENT,
    ]


async def test_forget_before_the_copy_reached_staff_withdraws_it(run_updates, storage, api):
    await run_updates(
        tg.message(QUESTION_RU, user_id=501, language_code="ru"),
        tg.message("/forget", user_id=501, language_code="ru"),
        storage=storage,
    )
    assert api.sent("sendMessage", STAFF_CHAT) == []  # still queued: never sent
    assert list(storage.db.query("SELECT * FROM relays")) == []


async def test_a_follow_up_is_shown_to_staff_after_the_question_it_followed(
    run_updates, storage, api
):
    """ "大概多少钱" (roughly how much?), still unanswered after a bank account question, is
    queued with that question; the staff chat's copy, /unanswered and Open show it below
    the follow-up ("after: ..."), whose own words stay what a reply answers."""
    bank = "How do I open a company bank account?"
    await run_updates(tg.message(bank, user_id=501), tg.message("大概多少钱", user_id=501),
                      storage=storage)  # fmt: skip
    [item] = storage.list_unanswered()
    assert (item["question"], item["asked_after"]) == ("大概多少钱", bank)
    shown = f"大概多少钱\n<i>after:</i> {html.escape(bank)}"
    [copy] = texts(api, STAFF_CHAT)
    assert shown in copy
    await run_updates(
        tg.message("/unanswered", user_id=STAFF_USER),
        tg.callback(f"uo:{item['id']}", user_id=STAFF_USER),
        storage=storage,
    )
    listed, opened = texts(api, STAFF_USER)
    assert shown in listed and shown in opened
    await run_updates(
        staff_says(
            "About 3,000 yuan.",
            tg.bot_message(api, api.sent("sendMessage", STAFF_USER)[0], STAFF_USER),
            chat_id=STAFF_USER,
        ),
        storage=storage,
    )
    assert texts(api, 501)[-1].endswith("About 3,000 yuan.")


async def test_ignore_in_the_staff_chat_is_audited_with_who_pressed_it(run_updates, storage, api):
    """The Ignore button writes the audit row the console writes for Ignore, by the staff
    member's Telegram name and id: the console's "by whom" names them. A press on a
    question set aside already changes nothing and audits nothing."""
    await run_updates(tg.message("Who won the football world cup in 1998?"), storage=storage)
    [item] = storage.list_unanswered()
    press = tg.callback(f"ui:{item['id']}", user_id=STAFF_USER)
    await run_updates(press, press, storage=storage)
    rows = list(
        storage.db.query(
            "SELECT actor, action, target, before, after FROM audit WHERE action LIKE 'unan%'"
        )
    )
    assert [(r["actor"], r["action"], r["target"]) for r in rows] == [
        (f"Ann (telegram:{STAFF_USER})", "unanswered.ignore", str(item["id"]))
    ]
    assert json.loads(rows[0]["before"]) == [{"id": item["id"], "status": "new"}]
    assert json.loads(rows[0]["after"]) == {"status": "ignored", "changed": 1}
    how = triage.how_done(storage, storage.list_unanswered(status=None))
    assert how == {item["id"]: triage.Done("ignored", f"Ann (telegram:{STAFF_USER})")}
