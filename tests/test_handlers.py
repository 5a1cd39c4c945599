"""Handlers through a real Application whose network layer is a recording request."""

import asyncio
import html
import time
from dataclasses import replace

import pytest

from bot import messages
from bot.storage import Storage
from bot.telegram.app import TokenError, check_token
from tests import fake_telegram as tg
from tests.telegram_fixtures import *  # noqa: F403 (fixtures)
from tests.telegram_fixtures import STAFF_CHAT, STAFF_USER, texts


async def test_question_is_answered_in_html_with_source_and_feedback_buttons(run_updates, storage):
    api = await run_updates(tg.message("What is a fapiao?"), storage=storage)
    [sent] = api.sent("sendMessage", 42)
    assert sent["parse_mode"] == "HTML"
    assert sent["text"].startswith("<b>What is a fapiao?</b>")
    assert "official tax invoice" in sent["text"]
    rows = sent["reply_markup"]["inline_keyboard"]
    assert rows[0][0]["url"] == "https://www.chinatax.gov.cn/"
    assert [b["text"] for b in rows[-1]] == ["👍 Helpful", "👎 Not helpful"]


async def test_a_long_question_answered_says_it_was_cut_under_the_title(run_updates):
    api = await run_updates(
        tg.message("What is a fapiao? " + "Please explain what a fapiao is. " * 40)
    )
    [sent] = api.sent("sendMessage", 42)
    note = messages.text("en", "truncated")
    assert sent["text"].startswith(f"<b>What is a fapiao?</b>\n\n{note}\n\nA fapiao is")


async def test_chinese_question_gets_the_curated_chinese_answer(run_updates):
    api = await run_updates(tg.message("公司银行账户怎么开？", language_code="zh-hans"))
    [text] = texts(api, 42)
    assert text.startswith("<b>公司银行账户怎么开？</b>")
    assert "携带营业执照" in text


async def test_a_persian_apps_greeting_is_not_answered_in_arabic(run_updates):
    """ "سلام" is Arabic and Persian alike: Telegram's language_code says whose it is."""
    api = await run_updates(
        tg.message("سلام", language_code="fa"), tg.message("سلام", language_code="ar", user_id=43)
    )
    [persian] = texts(api, 42)
    [arabic] = texts(api, 43)
    assert persian.startswith(html.escape(messages.text("en", "greeting")))
    assert arabic.startswith(html.escape(messages.text("ar", "greeting")))


async def test_user_text_and_kb_text_are_escaped(run_updates, small_kb_dir):
    api = await run_updates(tg.message("<b>hello</b> & <script>"))
    for text in texts(api, 42):
        assert "<script>" not in text


async def test_start_greets_in_telegram_language_with_pickers(run_updates):
    api = await run_updates(tg.message("/start", language_code="ru"))
    greeting, topics = api.sent("sendMessage", 42)
    assert greeting["text"].startswith("Здравствуйте!")
    codes = [b["callback_data"] for row in greeting["reply_markup"]["inline_keyboard"] for b in row]
    assert "l:ru" in codes and "l:zh" in codes
    assert [row[0]["callback_data"] for row in topics["reply_markup"]["inline_keyboard"]] == [
        "t:money:0",
        "t:people:0",
    ]


async def test_suggestion_button_answers_the_entry(run_updates):
    api = await run_updates(tg.callback("e:fapiao"))
    [text] = texts(api, 42)
    assert "official tax invoice" in text
    assert api.sent("answerCallbackQuery")


async def test_forged_or_stale_buttons_are_answered_politely(run_updates):
    api = await run_updates(
        tg.callback("e:no-such-entry"),
        tg.callback("zz:1"),
        tg.callback("t:nope:0"),
        tg.callback("l:xx"),
        tg.callback("f:x:1"),
    )
    answers = api.sent("answerCallbackQuery")
    assert len(answers) == 5
    assert all("out of date" in a["text"] for a in answers)
    assert not api.sent("sendMessage")


async def test_topic_pages_edit_the_menu(run_updates):
    api = await run_updates(tg.callback("t:money:0"))
    [edit] = api.sent("editMessageText")
    buttons = [row[0]["callback_data"] for row in edit["reply_markup"]["inline_keyboard"]]
    assert buttons[:2] == ["e:bank-account", "e:fapiao"]
    assert buttons[-1] == "tl"


async def test_stickers_and_photos_get_a_polite_text_reply(run_updates):
    api = await run_updates(
        tg.message(
            None,
            extra={
                "sticker": {
                    "file_id": "s",
                    "file_unique_id": "s",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                    "type": "regular",
                }
            },
        ),
        tg.message(
            None, language_code="fr", extra={"location": {"latitude": 31.2, "longitude": 121.5}}
        ),
    )
    assert texts(api, 42) == [messages.text("en", "non_text"), messages.text("fr", "non_text")]


async def test_edited_message_is_answered_again(run_updates):
    api = await run_updates(
        tg.message("What is a fapiao?"),
        tg.message("How do I open a company bank account?", edited=True),
    )
    first, second = texts(api, 42)
    assert "fapiao" in first and "business licence" in second


async def test_groups_answer_only_when_mentioned_or_replied_to(run_updates):
    group = {"chat_id": -300, "chat_type": "supergroup"}
    bot_msg = {
        "message_id": 9,
        "date": 0,
        "chat": {"id": -300, "type": "supergroup"},
        "from": {"id": tg.BOT_ID, "is_bot": True, "first_name": "FAQ"},
        "text": "hi",
    }
    api = await run_updates(
        tg.message("What is a fapiao?", **group),
        tg.message(f"@{tg.BOT_USERNAME} What is a fapiao?", **group),
        tg.message("How do I open a company bank account?", reply_to=bot_msg, **group),
    )
    sent = texts(api, -300)
    assert len(sent) == 2
    assert "official tax invoice" in sent[0] and "business licence" in sent[1]


async def test_flooding_user_gets_one_polite_rate_limit_message(run_updates):
    api = await run_updates(*[tg.message(f"What is a fapiao? {i}") for i in range(8)])
    sent = texts(api, 42)
    assert len(sent) == 6
    assert sent[-1].startswith("You are sending messages very fast")


async def test_unanswered_question_reaches_the_staff_chat(run_updates):
    api = await run_updates(
        tg.message("Who won the football world cup in 1998?", language_code="en")
    )
    [to_staff] = api.sent("sendMessage", STAFF_CHAT)
    assert "Who won the football world cup in 1998?" in to_staff["text"]
    assert "Ann" in to_staff["text"]
    [to_user] = texts(api, 42)
    assert "noted for the service centre" in to_user


async def test_staff_command_with_message_and_without(run_updates):
    api = await run_updates(tg.message("/staff"), tg.message("/staff I need help with my lease"))
    assert texts(api, 42)[0].startswith("Write your message after the command")
    [to_staff] = api.sent("sendMessage", STAFF_CHAT)
    assert "I need help with my lease" in to_staff["text"]
    assert "passed to the service centre" in texts(api, 42)[1]


async def test_staff_commands_are_refused_to_others(run_updates, caplog):
    api = await run_updates(tg.message("/reload"), tg.message("/unanswered"), tg.message("/stats"))
    assert texts(api, 42) == ["This command is for the service centre's staff only."] * 3
    assert "refused staff command '/reload' from user 42" in caplog.text


async def test_reload_by_staff_keeps_the_old_kb_when_the_new_one_is_broken(
    run_updates, bot_config, small_kb_dir
):
    (small_kb_dir / "broken.yaml").write_text("entries:\n  - id: Bad Id\n")
    config = replace(bot_config, knowledge=replace(bot_config.knowledge, dir=small_kb_dir))
    api = await run_updates(
        tg.message("/reload", user_id=STAFF_USER), tg.message("What is a fapiao?"), config=config
    )
    refusal = texts(api, STAFF_USER)[0]
    assert refusal.startswith("Knowledge base NOT reloaded")
    assert "broken.yaml:2 [Bad Id]" in refusal
    assert "official tax invoice" in texts(api, 42)[0]


async def test_reload_by_staff_serves_the_new_kb(run_updates, bot_config, small_kb_dir):
    path = small_kb_dir / "money.yaml"
    path.write_text(path.read_text().replace("official tax invoice", "OFFICIAL TAX INVOICE"))
    config = replace(bot_config, knowledge=replace(bot_config.knowledge, dir=small_kb_dir))
    api = await run_updates(
        tg.message("/reload", user_id=STAFF_USER), tg.message("What is a fapiao?"), config=config
    )
    assert texts(api, STAFF_USER)[0].startswith("Knowledge base reloaded: 4 entries")
    assert "OFFICIAL TAX INVOICE" in texts(api, 42)[0]


async def test_handler_failure_is_logged_and_the_user_gets_an_apology(
    run_updates, small_answerer, caplog, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(small_answerer, "ask", broken)
    api = await run_updates(tg.message("What is a fapiao?", language_code="es"))
    assert texts(api, 42) == [messages.text("es", "error")]
    assert "RuntimeError: boom" in caplog.text


def test_missing_or_malformed_token_is_a_clear_error():
    with pytest.raises(TokenError, match="not set"):
        check_token(None)
    with pytest.raises(TokenError, match="does not look like a bot token"):
        check_token("hello")
    assert check_token(tg.TOKEN) == tg.TOKEN


async def test_feedback_buttons_are_stored(run_updates, storage):
    api = await run_updates(tg.message("What is a fapiao?"), storage=storage)
    [sent] = api.sent("sendMessage", 42)
    helpful = sent["reply_markup"]["inline_keyboard"][-1][0]["callback_data"]
    await run_updates(tg.callback(helpful), storage=storage)
    assert api.sent("answerCallbackQuery")[-1]["text"] == "Thank you for your feedback!"
    [row] = storage.db.query("SELECT helpful FROM feedback")
    assert row["helpful"] == 1


async def test_a_question_in_an_unconfigured_language_is_logged_with_it(run_updates, storage):
    """A Kazakh question is answered in Russian and a Vietnamese one in English: the log keeps
    the language each was answered in and the one it is written in (`written_in`), so that
    reports count them apart; an English question has none."""
    await run_updates(
        tg.message("Компанияға банк шотын қалай ашуға болады, қандай құжаттар керек"),
        tg.message("Làm sao để mở tài khoản ngân hàng cho công ty"),
        tg.message("What is a fapiao?"),
        storage=storage,
    )
    rows = list(storage.db.query("SELECT language, written_in FROM interactions ORDER BY id"))
    assert [(r["language"], r["written_in"]) for r in rows] == [
        ("ru", "kk"),
        ("en", "vi"),
        ("en", None),
    ]


async def test_every_question_is_logged_with_its_outcome(run_updates, storage):
    await run_updates(
        tg.message("What is a fapiao?"),
        tg.message("hello"),
        tg.message("Who won the football world cup in 1998?"),
        storage=storage,
    )
    rows = list(storage.db.query("SELECT status, entry_id FROM interactions ORDER BY id"))
    assert [(r["status"], r["entry_id"]) for r in rows] == [
        ("answered", "fapiao"),
        ("smalltalk", None),
        ("unanswered", None),
    ]
    assert [u["question"] for u in storage.list_unanswered()] == [
        "Who won the football world cup in 1998?"
    ]


async def test_language_choice_persists_and_wins_over_detection(run_updates, storage):
    api = await run_updates(tg.callback("l:zh"), tg.message("What is a fapiao?"), storage=storage)
    assert texts(api, 42)[0] == "之后我会用中文回答。"
    assert texts(api, 42)[1].startswith("<b>什么是发票？</b>")
    assert storage.get_user_language(42) == "zh"


async def test_automatic_in_the_language_keyboard_forgets_the_language_picked(run_updates, storage):
    """The language keyboard had no way back to answering each message in its own language
    once one was picked: its "Automatic" (in the user's language) forgets it."""
    api = await run_updates(
        tg.callback("l:zh"), tg.message("/language"), tg.callback("l:auto"),
        tg.message("What is a fapiao?"), storage=storage,
    )  # fmt: skip
    picker = api.sent("sendMessage", 42)[1]["reply_markup"]["inline_keyboard"]
    assert picker[0] == [
        {"text": messages.text("zh", "web_language_auto"), "callback_data": "l:auto"}
    ]
    said = texts(api, 42)
    assert said[2] == messages.text("en", "terminal_language_detected")  # Telegram's: en
    assert said[3].startswith("<b>What is a fapiao?</b>")
    assert storage.get_user_language(42) is None


async def test_a_loanword_after_a_chinese_question_is_answered_in_chinese(run_updates):
    """The language of the user's last answer carries an unsure message ("fapiao", which
    was answered in English, their Telegram app's language); /forget drops it."""
    api = await run_updates(
        tg.message("公司银行账户怎么开？"), tg.message("fapiao"), tg.message("/forget"),
        tg.message("fapiao"),
    )  # fmt: skip
    sent = texts(api, 42)
    assert "营业执照" in sent[0]
    assert "发票是中国官方的税务凭证" in sent[1]
    assert "official tax invoice" in sent[-1]


async def test_staff_reply_reaches_the_asker_and_no_one_else(run_updates, storage, api):
    def translate(text, source, target):
        return f"[{source} to {target}] {text}"

    await run_updates(
        tg.message("Кто выиграл чемпионат мира по футболу?", user_id=501, language_code="ru"),
        tg.message("Who won the football world cup in 1998?", user_id=502),
        storage=storage,
        translate=translate,
    )
    to_staff = api.sent("sendMessage", STAFF_CHAT)
    assert "[ru to en] Кто выиграл" in to_staff[0]["text"]
    reply_to = {
        "message_id": api.message_id_of(to_staff[0]),
        "date": 0,
        "chat": {"id": STAFF_CHAT, "type": "supergroup"},
        "from": {"id": tg.BOT_ID, "is_bot": True, "first_name": "FAQ"},
        "text": "x",
    }
    before = len(api.sent("sendMessage", 502))
    await run_updates(
        tg.message(
            "France won in 1998.",
            user_id=STAFF_USER,
            chat_id=STAFF_CHAT,
            chat_type="supergroup",
            reply_to=reply_to,
        ),
        storage=storage,
        translate=translate,
    )
    [reply] = [p["text"] for p in api.sent("sendMessage", 501)][-1:]
    assert reply.startswith(f"<b>{messages.text('ru', 'staff_reply')}</b>\n[en to ru] France")
    assert reply.endswith("\nFrance won in 1998.")
    assert len(api.sent("sendMessage", 502)) == before


async def test_staff_can_list_and_ignore_unanswered(run_updates, storage, api):
    await run_updates(
        tg.message("Who won the football world cup in 1998?"),
        tg.message("/unanswered", user_id=STAFF_USER),
        storage=storage,
    )
    listing = api.sent("sendMessage", STAFF_USER)[-1]
    assert "Who won the football world cup in 1998?" in listing["text"]
    state, actions = listing["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in state] == ["🆕 New: not claimed"]
    opener, ignore = [b["callback_data"] for b in actions][:2]
    await run_updates(tg.callback(opener, user_id=STAFF_USER), storage=storage)
    opened = api.sent("sendMessage", STAFF_USER)[-1]["text"]
    assert "unanswered resolve" in opened and "football world cup" in opened
    await run_updates(tg.callback(ignore, user_id=STAFF_USER), storage=storage)
    assert storage.list_unanswered() == []
    await run_updates(tg.callback(ignore, user_id=42), storage=storage)
    assert texts(api, 42)[-1] == "This command is for the service centre's staff only."


async def test_stats_for_staff(run_updates, storage, api):
    await run_updates(
        tg.message("What is a fapiao?"), tg.message("/stats", user_id=STAFF_USER), storage=storage
    )
    report = texts(api, STAFF_USER)[-1]
    assert report.startswith("Last 7 days: 1 question\n")  # one, not "1 questions"
    assert "answered: 1" in report and "en: 1" in report


async def test_forget_deletes_the_users_data(run_updates, storage, api):
    await run_updates(
        tg.message("What is a fapiao?"), tg.callback("l:fr"), tg.message("/forget"), storage=storage
    )
    assert list(storage.db.query("SELECT * FROM interactions")) == []
    assert storage.get_user_language(42) is None
    assert texts(api, 42)[-1] == messages.text("fr", "forgotten")


async def test_telegram_retry_after_does_not_lose_the_answer(run_updates, api):
    api.failures["sendMessage"] = [
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        }
    ]
    started = time.monotonic()
    await run_updates(tg.message("What is a fapiao?"))
    assert "official tax invoice" in texts(api, 42)[0]
    assert time.monotonic() - started >= 1.0


async def test_long_answers_are_split_under_telegrams_limit(
    run_updates, small_answerer, monkeypatch
):
    long_answer = "\n\n".join(f"Paragraph {i}: " + "word & <tag> " * 40 for i in range(30))
    entry = small_answerer.kb.by_id["fapiao"]
    monkeypatch.setitem(small_answerer.kb.by_id, "fapiao", replace(entry, answer=long_answer))
    api = await run_updates(tg.message("What is a fapiao?"))
    parts = texts(api, 42)
    assert len(parts) > 1
    assert all(len(p) <= 4096 for p in parts)
    assert parts[0].startswith("<b>What is a fapiao?</b>")
    joined = html.unescape("\n\n".join(p for p in parts)).replace("<b>What is a fapiao?</b>", "")
    assert joined.split() == long_answer.split()
    assert all(p.count("&lt;tag&gt;") == p.count("&lt;tag") for p in parts)  # no cut entity


async def test_resolved_questions_reach_their_askers_once_after_reload(
    run_updates, storage, api, bot_config, small_kb_dir
):
    config = replace(bot_config, knowledge=replace(bot_config.knowledge, dir=small_kb_dir))
    await run_updates(
        tg.message("Who sells the best pizza near the centre?", user_id=601),
        tg.message("Who sells the best pizza near the centre?", user_id=602, language_code="zh"),
        tg.message("/notify off", user_id=602, language_code="zh"),
        storage=storage,
        config=config,
    )
    ids = [item["id"] for item in storage.list_unanswered()]
    assert len(ids) == 2
    storage.set_unanswered_status(ids, "resolved", "office-hours")
    await run_updates(tg.message("/reload", user_id=STAFF_USER), storage=storage, config=config)
    intro, answer = texts(api, 601)[-2:]
    assert intro == (
        'Earlier you asked: "Who sells the best pizza near the centre?". Here is the answer:'
    )
    assert "See the hours posted at the entrance" in answer
    assert texts(api, 602)[-1] == messages.text("zh", "notify_off")  # opted out: nothing
    assert "Sent the answer to 1 earlier question." in texts(api, STAFF_USER)[-1]
    before = len(texts(api, 601))
    await run_updates(tg.message("/reload", user_id=STAFF_USER), storage=storage, config=config)
    assert len(texts(api, 601)) == before  # once only


async def test_notify_takes_only_a_clear_on_or_off(run_updates, storage, api):
    """/notify maybe (or a bare /notify) changes nothing and says how to use it, in the
    user's language; /notify off and /notify on switch."""
    await run_updates(
        tg.message("/notify off", user_id=603, language_code="ru"),
        tg.message("/notify maybe", user_id=603, language_code="ru"),
        tg.message("/notify", user_id=603, language_code="ru"),
        storage=storage,
    )
    assert texts(api, 603) == [
        messages.text("ru", "notify_off"),
        messages.text("ru", "notify_usage"),
        messages.text("ru", "notify_usage"),
    ]
    assert storage.get_notify_opt_out(603)  # still off
    await run_updates(tg.message("/notify ON", user_id=603, language_code="ru"), storage=storage)
    assert texts(api, 603)[-1] == messages.text("ru", "notify_on")
    assert not storage.get_notify_opt_out(603)


async def test_retention_purge_runs_when_the_bot_starts(run_updates, tmp_path):
    from datetime import UTC, datetime, timedelta

    old = datetime.now(UTC) - timedelta(days=400)
    with Storage(tmp_path / "old.db", b"k" * 32, clock=lambda: old) as past:
        past.log_interaction(
            user_id=1, chat_type="private", language="en", question="old", status="answered"
        )
    with Storage(tmp_path / "old.db", b"k" * 32, retention_days=365) as storage:
        await run_updates(tg.message("hello"), storage=storage)
        await asyncio.sleep(0.1)
        questions = [r["question"] for r in storage.db.query("SELECT question FROM interactions")]
    assert questions == ["hello"]


async def test_unanswered_lists_newest_first_and_stale_items_are_handled(run_updates, storage, api):
    for i in range(12):
        storage.log_interaction(
            user_id=1,
            chat_type="private",
            language="en",
            question=f"unknown question number {i}",
            status="unanswered",
        )
    await run_updates(tg.message("/unanswered", user_id=STAFF_USER), storage=storage)
    listed = [p["text"] for p in api.sent("sendMessage", STAFF_USER)]
    assert len(listed) == 10
    assert "number 11" in listed[0] and "number 2" in listed[-1]
    await run_updates(
        tg.callback("ui:999", user_id=STAFF_USER),
        tg.callback("uo:999", user_id=STAFF_USER),
        storage=storage,
    )
    assert all("out of date" in a["text"] for a in api.sent("answerCallbackQuery")[-2:])


async def test_a_message_asking_two_things_gets_two_answers_each_logged(run_updates, storage):
    api = await run_updates(
        tg.message("How do I get a work permit? And when is the centre open?"), storage=storage
    )
    first, second = api.sent("sendMessage", 42)
    assert first["text"].startswith("<b>How do I get a work permit for a foreign employee?</b>")
    assert second["text"].startswith("<b>When is the service centre open?</b>")
    assert "hours posted at the entrance" in second["text"]
    feedback = [
        b.get("callback_data", "") for row in second["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert any(data.startswith("f:") for data in feedback)  # each answer its own 👍/👎
    rows = list(
        storage.db.query(
            "SELECT question, status, entry_id, part, took_ms FROM interactions ORDER BY id"
        )
    )
    assert [(r["question"], r["entry_id"], r["part"]) for r in rows] == [
        ("How do I get a work permit? And when is the centre open?", "work-permit", None),
        ("And when is the centre open?", "office-hours", 1),
    ]
    # The message's matching time is on its own row; the part has none (reports count it once).
    assert rows[0]["took_ms"] > 0 and rows[1]["took_ms"] is None
