"""Staff handlers through a real Application: /reload, /unanswered, /stats, relayed
replies and the buttons on unanswered items."""

import html
from dataclasses import replace

import pytest

from bot import messages
from bot.answering import build_answerer
from bot.localize import ANSWER
from bot.telegram.staff import ELSEWHERE
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
    assert storage.list_unanswered()[0]["status"] == "new"


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
