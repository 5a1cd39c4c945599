"""The main story of the staff console, end to end over real HTTP: `python -m bot run`
serves Telegram (long polling against the Bot API stand-in) and the console on one event
loop; a question nobody could answer is attached to an entry in the console, and the same
question on Telegram is answered at once, by the same process, without a restart."""

import html
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import httpx

from tests import fake_telegram as tg
from tests.conftest import ROOT
from tests.test_e2e import STAFF_CHAT, stop
from tests.web_support import log_in_over_http, wait_served

PASSWORD = "correct horse battery"
QUESTION = "Where can I leave my car when I visit you?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_attach_in_the_console_is_live_on_telegram(tmp_path, small_kb_dir):
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(f"""
[knowledge]
dir = "{small_kb_dir}"
cache_dir = "{tmp_path / "cache"}"
[telegram]
staff_chat_id = {STAFF_CHAT}
base_url = "BASE_URL"
[storage]
database = "{tmp_path / "bot.db"}"
[web]
port = {port}
""")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FAQ_BOT_SECOND_ENCODER": "none"}
    base = [sys.executable, "-m", "bot", "--config", str(config)]
    api = tg.FakeBotApi()
    with tg.BotApiServer(api) as server:
        config.write_text(config.read_text().replace("BASE_URL", server.base_url))
        for args, stdin in (
            (["staff", "add", "sam", "--role", "staff"], ""),
            (["staff", "password", "sam"], PASSWORD + "\n"),
        ):
            subprocess.run(base + args, input=stdin, text=True, env=env, check=True, timeout=60)
        proc = subprocess.Popen(
            [*base, "run"],
            cwd=ROOT,
            env={**env, "TELEGRAM_BOT_TOKEN": tg.TOKEN},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            api.wait_for(lambda calls: any(m == "getUpdates" for m, _ in calls), timeout=120)
            api.push(tg.message(QUESTION, user_id=901))
            api.wait_for(lambda c: len(api.sent(chat_id=901)) >= 1)
            assert "have an answer to that yet" in api.sent(chat_id=901)[0]["text"]
            wait_for_unanswered(tmp_path / "bot.db")

            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as console:
                log_in_over_http(console, "sam", PASSWORD)
                inbox = console.get("/inbox").text
                assert QUESTION in inbox
                csrf = re.search(r'name="csrf" value="([^"]+)"', inbox)[1]
                ids = re.findall(r'name="ids" value="(\d+)"', inbox)
                done = console.post(
                    "/inbox/attach",
                    data={"csrf": csrf, "ids": ids[:1], "entry": "office-hours"},
                    follow_redirects=True,
                )
                assert done.status_code == 200 and "reloaded" in done.text
                assert "1 asker was sent the answer" in done.text

            # The asker is told the answer once, without asking again.
            api.wait_for(lambda c: len(api.sent(chat_id=901)) >= 3)
            told = [m["text"] for m in api.sent(chat_id=901)[1:]]
            assert any("hours posted at the entrance" in text for text in told)

            api.push(tg.message(QUESTION, user_id=902))
            api.wait_for(lambda c: len(api.sent(chat_id=902)) >= 1)
            answer = api.sent(chat_id=902)[0]["text"]
            assert "have an answer to that yet" not in answer
            assert "hours posted at the entrance" in answer  # the office-hours entry
        finally:
            out = stop(proc)
        assert proc.returncode == 0, out
        assert "Traceback" not in out


def wait_for_unanswered(db, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            try:
                if conn.execute("SELECT count(*) FROM unanswered").fetchone()[0]:
                    return
            except sqlite3.OperationalError:
                pass
        if time.monotonic() > deadline:
            raise AssertionError("the unanswered question was never logged")
        time.sleep(0.1)


def test_the_console_served_alone_replies_to_telegram_askers(tmp_path, small_kb_dir):
    """`python -m bot web` with TELEGRAM_BOT_TOKEN set (Telegram polled by another process,
    or not at all): a reply typed in the inbox reaches the Telegram asker through the Bot
    API. Without the token the same reply is recorded as not delivered."""
    from bot.storage import Storage

    port = free_port()
    config = tmp_path / "config.toml"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FAQ_BOT_SECOND_ENCODER": "none"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    base = [sys.executable, "-m", "bot", "--config", str(config)]
    api = tg.FakeBotApi()
    with tg.BotApiServer(api) as server:
        config.write_text(f"""
[knowledge]
dir = "{small_kb_dir}"
cache_dir = "{tmp_path / "cache"}"
[telegram]
base_url = "{server.base_url}"
[storage]
database = "{tmp_path / "bot.db"}"
[web]
port = {port}
""")
        for args, stdin in (
            (["staff", "add", "sam", "--role", "staff"], ""),
            (["staff", "password", "sam"], PASSWORD + "\n"),
        ):
            subprocess.run(base + args, input=stdin, text=True, env=env, check=True, timeout=60)
        with Storage.open(tmp_path / "bot.db") as storage:
            storage.log_interaction(
                user_id=901, chat_type="private", language="en", channel="telegram",
                question=QUESTION, status="unanswered", chat_id=901,
            )  # fmt: skip
        bad = subprocess.run(
            [*base, "web", "--port", str(port)],
            env={**env, "TELEGRAM_BOT_TOKEN": "not a token"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert bad.returncode != 0 and "does not look like a bot token" in bad.stderr
        proc = subprocess.Popen(
            [*base, "web", "--port", str(port)],
            cwd=ROOT,
            env={**env, "TELEGRAM_BOT_TOKEN": tg.TOKEN},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_served(url + "/login", proc)
            with httpx.Client(base_url=url, timeout=30) as console:
                log_in_over_http(console, "sam", PASSWORD)
                inbox = console.get("/inbox").text
                csrf = re.search(r'name="csrf" value="([^"]+)"', inbox)[1]
                ids = re.findall(r'name="ids" value="(\d+)"', inbox)
                done = console.post(
                    "/inbox/reply",
                    data={"csrf": csrf, "ids": ids[:1], "text": "Park in the visitors' lot, B2."},
                    follow_redirects=True,
                )
            assert done.status_code == 200 and "Reply sent to 1" in done.text
            [sent] = api.sent(chat_id=901)
            assert "Park in the visitors' lot, B2." in html.unescape(sent["text"])  # HTML mode
        finally:
            out = stop(proc)
        assert "Replies to Telegram askers go out through the Bot API" in out
        assert "Traceback" not in out
    assert not any(method == "getUpdates" for method, _ in api.calls)  # it does not poll


def test_the_console_served_alone_purges_what_is_past_retention(tmp_path, small_kb_dir):
    """`python -m bot web` alone (no Telegram) applies [storage] retention_days as `run`
    does: a question logged 40 days ago with a 30-day retention is gone once it serves."""
    from datetime import UTC, datetime, timedelta

    from bot.storage import Storage, load_secret

    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(f"""
[knowledge]
dir = "{small_kb_dir}"
cache_dir = "{tmp_path / "cache"}"
[storage]
database = "{tmp_path / "bot.db"}"
retention_days = 30
[web]
port = {port}
""")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FAQ_BOT_SECOND_ENCODER": "none"}
    base = [sys.executable, "-m", "bot", "--config", str(config)]
    add = [*base, "staff", "add", "sam", "--role", "staff"]
    subprocess.run(add, env=env, check=True, timeout=60)
    db = tmp_path / "bot.db"
    old = Storage(db, load_secret(db), clock=lambda: datetime.now(UTC) - timedelta(days=40))
    old.log_interaction(user_id=1, chat_type="private", language="en", question="old?",
                        status="answered", entry_id="fapiao")  # fmt: skip
    old.log_interaction(user_id=1, chat_type="private", language="en", question="older?",
                        status="unanswered")  # fmt: skip
    old.close()

    def logged() -> int:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            return conn.execute("SELECT count(*) FROM interactions").fetchone()[0]

    assert logged() == 2
    proc = subprocess.Popen(
        [*base, "web"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        wait_served(f"http://127.0.0.1:{port}/login", proc)
        deadline = time.monotonic() + 60
        while logged() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert logged() == 0
    finally:
        out = stop(proc)
    assert "Traceback" not in out
