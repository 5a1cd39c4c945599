"""Every entrepreneur command and button through a real Application (recording request)."""

from bot import messages
from bot.telegram import format as telegram_format
from tests import fake_telegram as tg
from tests.telegram_fixtures import *  # noqa: F403 (fixtures)
from tests.telegram_fixtures import texts

SORRY = messages.text("en", "error")


def buttons(sent: dict) -> list[str]:
    return [b.get("callback_data") for row in sent["reply_markup"]["inline_keyboard"] for b in row]


def no_apology(api) -> None:
    assert SORRY not in texts(api), "a handler failed"


async def test_topics_command_shows_the_topic_menu(run_updates):
    api = await run_updates(tg.message("/topics", language_code="zh"))
    [menu] = api.sent("sendMessage", 42)
    assert menu["text"] == messages.text("zh", "topics")
    assert buttons(menu) == ["t:money:0", "t:people:0"]
    no_apology(api)


async def test_back_button_edits_the_page_back_into_the_topic_menu(run_updates):
    api = await run_updates(tg.callback("t:money:0"), tg.callback("tl"))
    page, menu = api.sent("editMessageText")
    assert buttons(page)[-1] == "tl"
    assert menu["text"] == messages.text("en", "topics")
    assert buttons(menu) == ["t:money:0", "t:people:0"]
    no_apology(api)


async def test_help_and_language_commands(run_updates):
    api = await run_updates(tg.message("/help", language_code="fr"), tg.message("/language"))
    help_text, picker = api.sent("sendMessage", 42)
    assert help_text["text"] == messages.text("fr", "help")
    assert picker["text"] == messages.text("en", "choose_language")
    assert {"l:en", "l:zh", "l:ru"} <= set(buttons(picker))


async def test_every_topic_page_pages_forward_and_back(run_updates, small_answerer, monkeypatch):
    monkeypatch.setattr(telegram_format, "PAGE_SIZE", 1)
    api = await run_updates(
        *[tg.callback(f"t:{t}:{p}") for t in ("money", "people") for p in (0, 1)]
    )
    pages = api.sent("editMessageText")
    assert len(pages) == 4
    shown = [buttons(p)[0] for p in pages]
    assert sorted(shown) == sorted(f"e:{e.id}" for e in small_answerer.kb.entries)
    assert buttons(pages[0])[1:] == ["tl", "t:money:1"]  # first page: back, next
    assert buttons(pages[1])[1:] == ["t:money:0", "tl"]  # last page: previous, back
    assert pages[0]["text"].endswith("(1/2)") and pages[1]["text"].endswith("(2/2)")
    no_apology(api)


async def test_language_buttons_answer_in_the_chosen_language(run_updates):
    api = await run_updates(tg.callback("l:ru"), tg.message("/help"))
    assert texts(api, 42) == [messages.text("ru", "language_set"), messages.text("ru", "help")]


async def test_start_suggestion_and_feedback_buttons_work_together(run_updates, storage):
    api = await run_updates(tg.message("/start"), tg.message("licence"), storage=storage)
    greeting, topics, suggestion = api.sent("sendMessage", 42)
    assert buttons(topics) == ["t:money:0", "t:people:0"]
    assert buttons(suggestion) == ["s:work-permit", "n"]
    await run_updates(tg.callback("s:work-permit"), storage=storage)
    answer = api.sent("sendMessage", 42)[-1]
    assert "work permit" in answer["text"]
    _, helpful = buttons(answer)[-2:]
    await run_updates(tg.callback(helpful), storage=storage)
    assert api.sent("answerCallbackQuery")[-1]["text"] == messages.text("en", "feedback_thanks")
    [row] = storage.db.query("SELECT helpful FROM feedback")
    assert row["helpful"] == 0
    no_apology(api)


async def test_typed_number_chooses_a_did_you_mean_suggestion(run_updates, storage):
    api = await run_updates(
        tg.message("licence"), tg.message("1"), tg.message("1"), storage=storage
    )
    suggestion, chosen, again = texts(api, 42)
    assert "1. How do I get a work permit" in suggestion
    assert "work permit" in chosen and chosen.startswith("<b>")
    assert "work permit" not in again  # a choice is used once
    statuses = [r["status"] for r in storage.db.query("SELECT status FROM interactions")]
    assert statuses[:2] == ["suggest", "answered"]


async def test_typed_number_out_of_range_or_in_another_chat_is_a_question(run_updates):
    group = {"chat_id": -300, "chat_type": "supergroup"}
    api = await run_updates(
        tg.message("licence"),
        tg.message("5"),
        tg.message("licence"),
        tg.message(f"@{tg.BOT_USERNAME} 1", **group),
    )
    assert "work permit" not in texts(api, 42)[1]
    assert "work permit" not in texts(api, -300)[0]  # chosen only where it was offered


async def test_see_also_buttons_open_the_related_entries_both_ways(run_updates, storage):
    """office-hours names bank-account as related: each answer offers the other."""
    api = await run_updates(
        tg.message("公司银行账户怎么开？", language_code="zh"),
        storage=storage,
    )
    [bank] = api.sent("sendMessage", 42)
    assert "公司银行账户怎么开" in bank["text"]
    see_also = [b for row in bank["reply_markup"]["inline_keyboard"] for b in row][-3]
    assert see_also["callback_data"] == "a:office-hours"
    assert see_also["text"].startswith("↪ ")  # no curated zh question: the English one
    assert "When is the service centre open?" in see_also["text"]
    await run_updates(tg.callback("a:office-hours"), storage=storage)
    hours = api.sent("sendMessage", 42)[-1]
    assert "See the hours posted" in hours["text"]
    assert "a:bank-account" in buttons(hours)
    statuses = [r["entry_id"] for r in storage.db.query("SELECT entry_id FROM interactions")]
    assert statuses == ["bank-account", "office-hours"]
    no_apology(api)


async def test_an_entry_opened_from_a_topic_is_no_question(run_updates, storage):
    """/topics, a topic, an entry, then a question: the opening is logged as browsed, and
    the report counts one question (answered) and one entry opened from the topics."""
    from datetime import UTC, datetime, timedelta

    from bot.report import build_report

    api = await run_updates(
        tg.message("/topics"),
        tg.callback("t:money:0"),
        tg.callback("e:fapiao"),
        tg.message("How do I open a company bank account?"),
        storage=storage,
    )
    assert any("official tax invoice" in text for text in texts(api, 42))
    rows = list(storage.db.query("SELECT entry_id, follows, browsed FROM interactions"))
    assert [tuple(r.values()) for r in rows] == [
        ("fapiao", None, 1),
        ("bank-account", None, None),
    ]
    now = datetime.now(UTC)
    report = build_report(storage.path, None, since=now - timedelta(days=1), now=now)
    assert (report.total, report.outcome_total("answered"), report.browsed) == (1, 1, 1)
