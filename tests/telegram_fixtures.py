"""The Telegram test rig: a real Application whose network layer is a recording request.

Test modules take the fixtures with `from tests.telegram_fixtures import *`.
"""

import asyncio
from dataclasses import replace

import pytest
from telegram import Update

from bot.storage import Storage
from bot.telegram import storage_access
from bot.telegram.app import build_application
from tests import fake_telegram as tg

__all__ = ["STAFF_CHAT", "STAFF_USER", "api", "bot_config", "run_updates", "storage", "texts"]

STAFF_CHAT = -100500
STAFF_USER = 77


@pytest.fixture
def api():
    return tg.FakeBotApi()


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
            rate_limit_messages=5,
            rate_limit_seconds=60,
        ),
    )


@pytest.fixture
def storage(tmp_path):
    with Storage.open(tmp_path / "bot.db") as opened:
        yield opened


@pytest.fixture
def run_updates(api, bot_config, small_answerer):
    async def run(*updates, storage=None, translate=None, config=None, answerer=None):
        app = build_application(
            config or bot_config,
            answerer or small_answerer,
            storage,
            translate,
            request=tg.RecordingRequest(api),
        )
        async with app:
            await app.post_init(app)
            for data in updates:
                await app.process_update(Update.de_json(tg.api_update(api, data), app.bot))
            if "staff_queue" in app.bot_data:  # the staff copies are sent
                await app.bot_data["staff_queue"].stop()
            if "purged" in app.bot_data:  # the start-up purge is not still writing
                await asyncio.wait_for(app.bot_data["purged"].wait(), 60)
                app.bot_data["purge_task"].cancel()
            storage_access.close_access(app)  # the queued log writes are written
        return api

    return run


def texts(api, chat_id=None):
    return [p["text"] for p in api.sent("sendMessage", chat_id)]
