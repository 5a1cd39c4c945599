"""Handoff state in the Telegram staff chat, through a real Application and the recording
Bot API stand-in: replies typed there are recorded with delivery confirmed, the staff
message shows the state, Claim/Close buttons, and the console's replies reach Telegram
askers through the same core function."""

from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import UTC, datetime, timedelta

from telegram import Update

from bot import messages
from bot.handoff import ANSWERED, CLAIMED, CLOSED, Actor, HandoffStore
from bot.report import build_report
from bot.telegram import storage_access
from bot.telegram.app import build_application
from bot.translation import MachineTranslator
from tests import fake_telegram as tg
from tests.argos_packages import argos_package_factory  # noqa: F401 (a fixture)
from tests.telegram_fixtures import *  # noqa: F403 (fixtures)
from tests.telegram_fixtures import STAFF_CHAT, STAFF_USER, texts

QUESTION_RU = "Кто выиграл чемпионат мира по футболу?"


def translate(text, source, target):
    return f"[{source} to {target}] {text}"


@contextlib.asynccontextmanager
async def running(api, config, answerer, storage, translator=None):
    """The bot, started: updates go in with `send`; the app is there for core calls.
    Replies are translated by `translate` above, or by `translator` (real Argos models)."""
    app = build_application(
        config,
        answerer,
        storage,
        translator.translate if translator else translate,
        request=tg.RecordingRequest(api),
        covers=translator.covers if translator else None,
    )
    async with app:
        await app.post_init(app)

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
            yield app
        finally:
            await app.bot_data["staff_queue"].stop()
            storage_access.close_access(app)
            app.bot_data["desk"].store.close()


def staff_copy(api) -> dict:
    return api.sent("sendMessage", STAFF_CHAT)[-1]


def as_reply_to(api, params: dict, chat_id: int = STAFF_CHAT) -> dict:
    return {
        "message_id": api.message_id_of(params),
        "date": 0,
        "chat": {"id": chat_id, "type": "supergroup"},
        "from": {"id": tg.BOT_ID, "is_bot": True, "first_name": "FAQ"},
        "text": params["text"],
    }


def staff_says(text, reply_to, user_id=STAFF_USER, name="Ann"):
    update = tg.message(
        text, user_id=user_id, chat_id=STAFF_CHAT, chat_type="supergroup", reply_to=reply_to
    )
    update["message"]["from"]["first_name"] = name
    return update


def press(data: str, copy_id: int, user_id=STAFF_USER, name="Ann") -> dict:
    update = tg.callback(data, user_id=user_id, message_id=copy_id)
    update["callback_query"]["from"]["first_name"] = name
    update["callback_query"]["message"]["chat"] = {"id": STAFF_CHAT, "type": "supergroup"}
    return update


def edits(api, message_id: int) -> list[list[str]]:
    """The state button of each edit of that staff message's keyboard, in order."""
    return [
        p["reply_markup"]["inline_keyboard"][0][0]["text"]
        for p in api.sent("editMessageReplyMarkup", STAFF_CHAT)
        if int(p["message_id"]) == message_id
    ]


async def test_a_reply_typed_in_the_staff_chat_is_recorded_delivered_and_shown(
    api, bot_config, small_answerer, storage
):
    async with running(api, bot_config, small_answerer, storage) as app:
        await app.send(tg.message(QUESTION_RU, user_id=501, language_code="ru"))
        copy = staff_copy(api)
        assert [b["callback_data"] for b in copy["reply_markup"]["inline_keyboard"][0]] == [
            "hc:m",
            "hx:m",
        ]
        await app.send(staff_says("France won in 1998.", as_reply_to(api, copy)))
    reply = texts(api, 501)[-1]
    assert reply.startswith(f"<b>{messages.text('ru', 'staff_reply')}</b>\n[en to ru] France")
    store = HandoffStore(storage.path)
    [handoff] = store.find()
    assert (handoff.state, handoff.holder, handoff.done_by) == (ANSWERED, "telegram:77", "Ann")
    [recorded] = store.replies(handoff.id)
    assert (recorded["via"], recorded["text"], recorded["delivered"]) == (
        "telegram",
        "France won in 1998.",
        1,
    )
    assert recorded["language"] == "ru"
    assert edits(api, api.message_id_of(copy)) == ["✅ Answered by Ann"]
    actions = store.history(handoff.id)
    assert [(a["actor"], a["action"]) for a in actions] == [("telegram:77", "handoff.reply")]
    store.close()


async def test_the_staff_chat_says_when_a_reply_goes_out_untranslated(
    api,
    bot_config,
    small_answerer,
    storage,
    argos_package_factory,  # noqa: F811
    tmp_path,
):
    """No model produces Russian (only en -> de is installed): a reply to a Russian asker
    went out in English and the staff chat said nothing. Now the copy says so before, and
    the staff chat after. A reply typed in Russian went as typed, in Russian, while the
    staff chat said it was delivered in English: now nothing is said, and Russian is
    recorded."""
    translator = MachineTranslator(tmp_path / "models", beam_size=1)
    translator.install_file(
        argos_package_factory("en", "de", {"won": "gewann"}, with_splitter=False)
    )
    async with running(api, bot_config, small_answerer, storage, translator) as app:
        await app.send(tg.message(QUESTION_RU, user_id=501, language_code="ru"))
        copy = staff_copy(api)
        assert (
            "No Russian translation model is installed: a reply goes exactly as typed. "
            "Write it in Russian if you can."
        ) in copy["text"]
        await app.send(staff_says("France won in 1998.", as_reply_to(api, copy)))
        assert texts(api, 501)[-1].endswith("\nFrance won in 1998.")
        note = "Delivered as typed (no Russian translation model installed)."
        assert texts(api, STAFF_CHAT)[-1] == note
        await app.send(
            tg.message("Кто выиграл чемпионат мира в 2006?", user_id=502, language_code="ru")
        )
        russian = "Италия выиграла чемпионат мира по футболу в 2006 году."
        await app.send(staff_says(russian, as_reply_to(api, staff_copy(api))))
        assert texts(api, 502)[-1].endswith(f"\n{russian}")
        assert note not in texts(api, STAFF_CHAT)[-1]
        delivered = app.bot_data["desk"].store.db.execute(
            "SELECT language FROM handoff_deliveries ORDER BY id"
        )
        assert [row[0] for row in delivered] == ["en", "ru"]


async def test_claim_on_the_copy_holds_off_another_staff_members_reply(
    api, bot_config, small_answerer, storage
):
    async with running(api, bot_config, small_answerer, storage) as app:
        await app.send(tg.message(QUESTION_RU, user_id=501, language_code="ru"))
        copy = staff_copy(api)
        copy_id = api.message_id_of(copy)
        before = len(texts(api, 501))
        await app.send(press("hc:m", copy_id))
        assert edits(api, copy_id) == ["✋ Claimed by Ann"]
        await app.send(staff_says("Germany?", as_reply_to(api, copy), user_id=78, name="Bo"))
        assert texts(api, STAFF_CHAT)[-1].startswith("Not sent: Ann is answering this user")
        assert len(texts(api, 501)) == before  # the asker got nothing
        await app.send(press("hc:m", copy_id, user_id=78, name="Bo"))  # Claim is refused too
        assert api.sent("answerCallbackQuery")[-1]["text"].startswith("Ann is answering")
        [handoff] = app.bot_data["desk"].store.find()
        assert handoff.holder == "telegram:77"
        await app.send(press(f"ht:{handoff.id}", copy_id, user_id=78, name="Bo"))  # Take over
        await app.send(staff_says("France.", as_reply_to(api, copy), user_id=78, name="Bo"))
        assert texts(api, 501)[-1].endswith("France.")
        await app.send(press(f"hx:{handoff.id}", copy_id, user_id=78, name="Bo"))
        assert edits(api, copy_id) == [
            "✋ Claimed by Ann",
            "✋ Claimed by Bo",
            "✅ Answered by Bo",
            "☑️ Closed by Bo",
        ]
        assert app.bot_data["desk"].store.get(handoff.id).state == CLOSED


async def test_a_closed_handoff_offers_reopen_and_a_stale_claim_does_not_reopen_it(
    api, bot_config, small_answerer, storage
):
    """A closed handoff's message offered Claim, which silently reopened it. Now it offers
    Reopen (audited as a reopen); a Claim pressed on a message that still showed it open is
    refused with a word, nothing changed."""
    async with running(api, bot_config, small_answerer, storage) as app:
        await app.send(tg.message(QUESTION_RU, user_id=501, language_code="ru"))
        copy_id = api.message_id_of(staff_copy(api))
        await app.send(press("hx:m", copy_id, user_id=78, name="Bo"))
        [keyboard] = [
            p["reply_markup"]["inline_keyboard"]
            for p in api.sent("editMessageReplyMarkup", STAFF_CHAT)
            if int(p["message_id"]) == copy_id
        ]
        desk = app.bot_data["desk"]
        [handoff] = desk.store.find(("closed",))
        assert [(b["text"], b["callback_data"]) for b in keyboard[1]][-1] == (
            "Reopen",
            f"hr:{handoff.id}",
        )
        await app.send(press("hc:m", copy_id))  # the copy's first buttons, pressed late
        assert api.sent("answerCallbackQuery")[-1]["text"] == (
            "Bo closed this conversation. To answer again, press “Reopen”."
        )
        assert desk.store.get(handoff.id).state == CLOSED
        await app.send(press(f"hr:{handoff.id}", copy_id))
        assert edits(api, copy_id) == ["☑️ Closed by Bo", "✋ Claimed by Ann"]
        actions = [r["action"] for r in desk.store.history(handoff.id)]
        assert actions == ["handoff.close", "handoff.reopen"]


async def test_a_staff_message_is_a_handoff_and_the_consoles_reply_reaches_telegram(
    api, bot_config, small_answerer, storage
):
    async with running(api, bot_config, small_answerer, storage) as app:
        await app.send(tg.message("/staff I lost my residence card", user_id=501))
        copy = staff_copy(api)
        desk = app.bot_data["desk"]
        [handoff] = desk.store.find()
        assert (handoff.kind, handoff.channel, handoff.staff_message_id) == (
            "staff_message",
            "telegram",
            api.message_id_of(copy),
        )
        await desk.claim(handoff.id, Actor("sam", "sam"))
        result = await desk.reply(
            [handoff.id], "Come to desk 3.", Actor("sam", "sam"), via="console"
        )
        assert result.delivered == 1
        assert texts(api, 501)[-1].endswith("Come to desk 3.")
        assert edits(api, api.message_id_of(copy)) == ["✋ Claimed by sam", "✅ Answered by sam"]
        assert desk.store.get(handoff.id).state == ANSWERED
        await app.send(staff_says("And bring your passport.", as_reply_to(api, copy)))
        assert texts(api, STAFF_CHAT)[-1].startswith("Not sent: sam is answering")


async def test_state_button_and_buttons_from_outsiders(api, bot_config, small_answerer, storage):
    async with running(api, bot_config, small_answerer, storage) as app:
        await app.send(tg.message(QUESTION_RU, user_id=501, language_code="ru"))
        copy_id = api.message_id_of(staff_copy(api))
        await app.send(press("hc:m", copy_id))
        [handoff] = app.bot_data["desk"].store.find()
        outsider = tg.callback(f"hx:{handoff.id}", user_id=42)
        await app.send(outsider, press(f"hs:{handoff.id}", copy_id), press("hc:999", copy_id))
        answers = [p.get("text") for p in api.sent("answerCallbackQuery")]
        assert "✋ Claimed by Ann" in answers
        assert app.bot_data["desk"].store.get(handoff.id).state == CLAIMED
        assert texts(api, 42)[-1] == "This command is for the service centre's staff only."


async def test_ignore_on_the_staff_chat_closes_the_handoff_and_says_so(
    api, bot_config, small_answerer, storage
):
    async with running(api, bot_config, small_answerer, storage) as app:
        await app.send(tg.message(QUESTION_RU, user_id=501, language_code="ru"))
        copy_id = api.message_id_of(staff_copy(api))
        [item] = storage.list_unanswered()
        await app.send(press(f"ui:{item['id']}", copy_id))
        [handoff] = app.bot_data["desk"].store.find()
        assert (handoff.state, handoff.done_by) == (CLOSED, "Ann")
        assert edits(api, copy_id) == ["☑️ Closed by Ann"]


async def test_the_console_under_run_shares_the_bots_desk_and_telegram_sender(
    api, bot_config, small_answerer, storage
):
    from bot.telegram.app import console_for

    app = build_application(bot_config, small_answerer, storage, request=tg.RecordingRequest(api))
    console = console_for(app, bot_config, storage, small_answerer).state.console
    assert console.desk is app.bot_data["desk"]
    assert console.deliveries is console.desk.deliveries
    assert "telegram" in console.deliveries.channels()
    console.desk.store.close()


async def test_the_same_reply_from_telegram_or_the_console_reaches_the_asker_once(
    api, bot_config, small_answerer, storage
):
    """The console refused the very reply an asker had already been sent; the staff chat
    sent it again, and the asker read it twice."""
    async with running(api, bot_config, small_answerer, storage) as app:
        await app.send(tg.message(QUESTION_RU, user_id=501, language_code="ru"))
        copy = staff_copy(api)
        await app.send(staff_says("France won in 1998.", as_reply_to(api, copy)))
        assert len(texts(api, 501)) == 2  # the bot's answer, then Ann's reply
        await app.send(staff_says(" France won in 1998.\n", as_reply_to(api, copy)))
        assert re.fullmatch(
            r"Not sent: this user was sent this very reply already, on \d{4}-\d\d-\d\d "
            r"\d\d:\d\d \(UTC\) by Ann\. Sent again, they would read it twice\.",
            texts(api, STAFF_CHAT)[-1],
        )
        assert len(texts(api, 501)) == 2
        desk = app.bot_data["desk"]
        [handoff] = desk.store.find()
        sam = Actor("sam", "sam")
        await desk.reply([handoff.id], "Zidane scored twice.", sam, via="console", takeover=True)
        assert len(texts(api, 501)) == 3
        await app.send(press(f"ht:{handoff.id}", api.message_id_of(copy)))  # Ann takes over
        await app.send(staff_says("Zidane scored twice.", as_reply_to(api, copy)))
        assert "already" in texts(api, STAFF_CHAT)[-1] and "by sam" in texts(api, STAFF_CHAT)[-1]
        assert len(texts(api, 501)) == 3
        await app.send(staff_says("In Paris.", as_reply_to(api, copy)))  # new words go
        assert texts(api, 501)[-1].endswith("In Paris.") and len(texts(api, 501)) == 4


async def test_a_console_reply_telegram_refuses_leaves_the_question_waiting(
    api, bot_config, small_answerer, storage
):
    """The asker blocked the bot: Telegram answers the console's reply with 403. The reply
    is recorded as not delivered, the handoff keeps its state and says so, and the managers'
    report still counts the question as waiting for staff; sent again once Telegram takes
    it, it is answered."""
    async with running(api, bot_config, small_answerer, storage) as app:
        await app.send(tg.message(QUESTION_RU, user_id=501, language_code="ru"))
        desk = app.bot_data["desk"]
        desk.store.sync()  # as the console's handoff list does
        [handoff] = desk.store.find()
        before = len(texts(api, 501))
        api.failures["sendMessage"] = [
            {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            }
        ]
        sam = Actor("sam", "sam")
        result = await desk.reply([handoff.id], "France.", sam, via="console")
        assert (result.delivered, result.failed) == (0, 1)
        assert len(texts(api, 501)) == before  # Telegram refused it
        kept = desk.store.get(handoff.id)
        assert (kept.state, kept.done_by, kept.undelivered) == ("new", None, True)
        assert [r["delivered"] for r in desk.store.replies(handoff.id)] == [0]

        def waiting() -> int:
            now = datetime.now(UTC)
            return build_report(
                storage.path, None, since=now - timedelta(days=1), now=now
            ).unanswered_open

        assert waiting() == 1
        result = await desk.reply([handoff.id], "France.", sam, via="console")
        assert result.delivered == 1 and texts(api, 501)[-1].endswith("France.")
        answered = desk.store.get(handoff.id)
        assert (answered.state, answered.undelivered) == (ANSWERED, False)
        assert waiting() == 0


async def test_a_long_staff_reply_reaches_telegram_whole_cut_between_paragraphs(
    api, bot_config, small_answerer, storage
):
    """The reply's HTML was cut every 4,000 characters: inside a word, an escaped `&amp;` or
    the header's tag, which Telegram refuses. Now it is cut between paragraphs."""
    import html
    import re

    paragraphs = [f"Step {i}: fees & forms " + "x" * 900 for i in range(12)]
    reply = "\n\n".join(paragraphs)
    async with running(api, bot_config, small_answerer, storage) as app:
        await app.send(tg.message("/staff I need the whole procedure", user_id=502))
        desk = app.bot_data["desk"]
        [handoff] = desk.store.find()
        result = await desk.reply([handoff.id], reply, Actor("sam", "sam"), via="console")
        assert result.delivered == 1
        sent = [p for p in api.sent("sendMessage", 502) if "Step " in p["text"]]
    assert len(sent) > 1 and all(len(p["text"]) <= 4096 for p in sent)
    for part in sent:
        assert part["text"].count("<b>") == part["text"].count("</b>")
        assert not re.search(r"&(?!amp;|lt;|gt;|quot;|#x27;)", part["text"])
        body = re.sub(r"<[^>]+>[^<]*</b>\n?", "", part["text"])
        assert body.startswith("Step ") and body.rstrip().endswith("x"), body[:40]
    whole = html.unescape("\n\n".join(re.sub(r"<b>[^<]*</b>\n", "", p["text"]) for p in sent))
    assert whole == reply


def test_a_handoff_the_inbox_closed_says_so_in_the_staff_chat(tmp_path):
    """The inbox closing a handoff (its question ignored) showed "☑️ Closed by inbox" in
    the staff chat, as if a person named inbox had closed it."""
    from bot.storage import Storage
    from bot.telegram.handoffs import state_text

    with Storage(tmp_path / "bot.db", b"k" * 32) as storage:
        storage.log_interaction(
            user_id=1, chat_type="private", language="en", question="spam spam",
            status="unanswered", channel="terminal",
        )  # fmt: skip
        store = HandoffStore(storage.path)
        store.sync()
        [handoff] = store.find()
        storage.set_unanswered_status([handoff.unanswered_id], "ignored")
        store.sync()
        closed = store.get(handoff.id)
        store.close()
    assert state_text(closed, "en") == "☑️ Closed automatically: dealt with in the inbox"
    assert state_text(closed, "zh") == "☑️ 已自动关闭：问题已在收件箱中处理"
