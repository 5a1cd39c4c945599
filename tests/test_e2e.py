"""End to end over real HTTP: `python -m bot run` against a local stand-in for the Bot API
(as with a self-hosted Bot API server, through [telegram] base_url)."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import closing

import pytest

from bot.telegram.webhook import SECRET_HEADER
from tests import fake_telegram as tg
from tests.conftest import ROOT

STAFF_CHAT = -100777


@pytest.fixture
def kb_with_russian(small_kb_dir):
    path = small_kb_dir / "people.yaml"
    path.write_text(
        path.read_text().replace(
            "    links: []\n    reviewed: 2026-11-03\n  - id: office-hours",
            "    links: []\n    reviewed: 2026-11-03\n    translations:\n      ru:\n"
            "        question: Как получить разрешение на работу для иностранного сотрудника?\n"
            "        answer: Работодатель подаёт заявку на разрешение на работу онлайн.\n"
            "  - id: office-hours",
        )
    )
    return small_kb_dir


def start_bot(tmp_path, base_url, kb_dir, *extra, telegram=""):
    """`python -m bot run` with a config for the stand-in; `telegram`: more [telegram] keys."""
    config = tmp_path / "config.toml"
    config.write_text(f"""
[knowledge]
dir = "{kb_dir}"
cache_dir = "{tmp_path / "cache"}"
[telegram]
base_url = "{base_url}"
staff_chat_id = {STAFF_CHAT}
{telegram}
[storage]
database = "{tmp_path / "bot.db"}"
""")
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": tg.TOKEN, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(config), "run", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(proc):
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def test_long_polling_end_to_end(tmp_path, kb_with_russian):
    api = tg.FakeBotApi()
    with tg.BotApiServer(api) as server:
        proc = start_bot(tmp_path, server.base_url, kb_with_russian)
        try:
            api.wait_for(lambda calls: any(m == "getUpdates" for m, _ in calls), timeout=120)
            api.push(
                tg.message(
                    "Как получить разрешение на работу для иностранного сотрудника?",
                    user_id=501,
                    language_code="ru",
                )
            )
            api.push(
                tg.message("Who won the football world cup in 1998?", user_id=502, message_id=2)
            )
            api.wait_for(
                lambda c: (
                    len(api.sent(chat_id=501)) >= 1
                    and len(api.sent(chat_id=STAFF_CHAT)) >= 1
                    and len(api.sent(chat_id=502)) >= 1
                )
            )
            [answer] = api.sent(chat_id=501)
            assert "Работодатель подаёт заявку" in answer["text"]
            [forwarded] = api.sent(chat_id=STAFF_CHAT)
            assert "Who won the football world cup in 1998?" in forwarded["text"]
            wait_for_rows(tmp_path / "bot.db", "SELECT * FROM relays", 1)  # linked to its asker

            staff_message = tg.bot_message(api, forwarded, STAFF_CHAT)
            api.push(
                tg.message(
                    "France won it.",
                    user_id=900,
                    chat_id=STAFF_CHAT,
                    chat_type="supergroup",
                    reply_to=staff_message,
                    message_id=3,
                )
            )
            api.wait_for(lambda c: len(api.sent(chat_id=502)) >= 2)
            assert "France won it." in api.sent(chat_id=502)[-1]["text"]
            assert len(api.sent(chat_id=501)) == 1  # nobody else got the staff reply
        finally:
            out = stop(proc)
    assert tg.TOKEN not in out  # the token is never logged


def test_long_polling_without_the_console(tmp_path, small_kb_dir):
    """`run --no-console`: Telegram alone. The second encoder's warm-up looked for the
    answerer before the application had stored it, and the bot failed at start."""
    api = tg.FakeBotApi()
    with tg.BotApiServer(api) as server:
        proc = start_bot(tmp_path, server.base_url, small_kb_dir, "--no-console")
        try:
            api.wait_for(lambda calls: any(m == "getUpdates" for m, _ in calls), timeout=120)
            api.push(tg.message("What is a fapiao?", user_id=503))
            api.wait_for(lambda c: len(api.sent(chat_id=503)) >= 1)
            assert "official tax invoice" in api.sent(chat_id=503)[0]["text"]
            assert proc.poll() is None
        finally:
            out = stop(proc)
    assert "Traceback" not in out, out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webhook_mode_end_to_end(tmp_path, small_kb_dir):
    api = tg.FakeBotApi()
    port = free_port()
    with tg.BotApiServer(api) as server:
        proc = start_bot(
            tmp_path,
            server.base_url,
            small_kb_dir,
            "--webhook",
            f"http://127.0.0.1:{port}/hook",
            "--listen",
            "127.0.0.1",
            "--port",
            str(port),
        )
        try:
            [hook] = [
                p
                for m, p in api.wait_for(
                    lambda calls: any(m == "setWebhook" for m, _ in calls), timeout=120
                )
                if m == "setWebhook"
            ]
            assert hook["url"] == f"http://127.0.0.1:{port}/hook"
            update = {"update_id": 1, **tg.message("What is a fapiao?", user_id=601)}
            deadline = time.monotonic() + 30
            while True:
                try:
                    request = urllib.request.Request(
                        f"http://127.0.0.1:{port}/hook",
                        data=json.dumps(update).encode(),
                        headers={
                            "Content-Type": "application/json",
                            SECRET_HEADER: hook["secret_token"],
                        },
                    )
                    urllib.request.urlopen(request, timeout=5).read()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            api.wait_for(lambda c: len(api.sent(chat_id=601)) >= 1)
            assert "official tax invoice" in api.sent(chat_id=601)[0]["text"]
        finally:
            stop(proc)


def test_run_with_a_malformed_token_fails_clearly(tmp_path, small_kb_dir):
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "not-a-token", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--kb", str(small_kb_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "does not look like a bot token" in proc.stderr
    assert "not-a-token" not in proc.stderr


def wait_for_rows(db, sql: str, count: int, timeout: float = 90.0) -> None:
    """Block until `sql` returns `count` rows in the bot's database (read-only)."""
    deadline = time.monotonic() + timeout
    while True:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            if len(conn.execute(sql).fetchall()) >= count:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {count} row(s): {sql}")
        time.sleep(0.05)


def test_menus_typed_choices_and_staff_items_end_to_end(tmp_path, small_kb_dir):
    api = tg.FakeBotApi()
    with tg.BotApiServer(api) as server:
        proc = start_bot(tmp_path, server.base_url, small_kb_dir)
        try:
            api.wait_for(lambda calls: any(m == "getUpdates" for m, _ in calls), timeout=120)
            api.push(tg.message("/topics", user_id=701))
            api.wait_for(lambda c: len(api.sent(chat_id=701)) >= 1, timeout=90)
            [menu] = api.sent(chat_id=701)
            assert menu["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "t:money:0"
            api.push(tg.callback("t:money:0", user_id=701))
            api.wait_for(lambda c: len(api.sent("editMessageText")) >= 1, timeout=90)
            api.push(tg.callback("tl", user_id=701))  # updates run concurrently: one at a time
            api.wait_for(lambda c: len(api.sent("editMessageText")) >= 2, timeout=90)
            assert api.sent("editMessageText")[-1]["text"] == menu["text"]

            api.push(tg.message("licence", user_id=702, message_id=2))
            api.wait_for(lambda c: len(api.sent(chat_id=702)) >= 1, timeout=90)
            api.push(tg.message("1", user_id=702, message_id=3))
            api.wait_for(lambda c: len(api.sent(chat_id=702)) >= 2, timeout=90)
            assert "work permit" in api.sent(chat_id=702)[-1]["text"]

            api.push(tg.message("Who won the football world cup in 1998?", user_id=703))
            api.wait_for(lambda c: len(api.sent(chat_id=STAFF_CHAT)) >= 1, timeout=90)
            # The forward is linked to its asker just after it is sent: /unanswered before
            # that would list the question as one no reply can reach (seen once, under load).
            wait_for_rows(tmp_path / "bot.db", "SELECT * FROM relays", 1)
            staff = {"user_id": 900, "chat_id": STAFF_CHAT, "chat_type": "supergroup"}
            api.push(tg.message("/unanswered", message_id=4, **staff))
            api.wait_for(lambda c: len(api.sent(chat_id=STAFF_CHAT)) >= 2, timeout=90)
            listed = api.sent(chat_id=STAFF_CHAT)[-1]
            # The item is linked to its asker just after it is shown; a person replies later.
            wait_for_rows(tmp_path / "bot.db", "SELECT * FROM relays", 2)
            item = {
                "message_id": api.message_id_of(listed),
                "date": 0,
                "chat": {"id": STAFF_CHAT, "type": "supergroup"},
                "from": {"id": tg.BOT_ID, "is_bot": True, "first_name": "FAQ"},
                "text": listed["text"],
            }
            api.push(tg.message("France won it.", message_id=5, reply_to=item, **staff))
            api.wait_for(lambda c: len(api.sent(chat_id=703)) >= 2, timeout=90)
            assert "France won it." in api.sent(chat_id=703)[-1]["text"]
        finally:
            out = stop(proc)
    assert "Traceback" not in out
