"""Staff handlers through a real Application: /reload, /unanswered, /stats, relayed
replies and the buttons on unanswered items."""

from dataclasses import replace

import pytest

from bot.answering import build_answerer
from bot.localize import ANSWER
from bot.translation import MachineTranslator
from tests import fake_telegram as tg
from tests.argos_packages import argos_package_factory  # noqa: F401 (fixture)
from tests.telegram_fixtures import *  # noqa: F403 (fixtures)
from tests.telegram_fixtures import STAFF_USER, texts

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
