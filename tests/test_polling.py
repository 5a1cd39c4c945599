"""Operations: a refused token stops the process with one line and exit status 1 (so a
supervisor restarts or alerts), and an unreachable Bot API at start is one line per retry,
then the bot starts by itself once the API answers. Real processes against the stand-in."""

from __future__ import annotations

import subprocess
import threading
import time

from tests import fake_telegram as tg
from tests.test_e2e import free_port, start_bot, stop


class Output:
    """A process's output, read line by line in the background."""

    def __init__(self, proc: subprocess.Popen):
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc) -> None:
        for line in proc.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, count: int = 1, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while sum(text in line for line in self.lines) < count:
            assert time.monotonic() < deadline, "".join(self.lines)
            time.sleep(0.1)

    @property
    def text(self) -> str:
        self.thread.join(timeout=10)
        return "".join(self.lines)


def test_a_token_revoked_while_polling_exits_1_with_one_clear_line(tmp_path, small_kb_dir):
    api = tg.FakeBotApi()
    with tg.BotApiServer(api) as server:
        proc = start_bot(tmp_path, server.base_url, small_kb_dir)
        try:
            api.wait_for(lambda calls: any(m == "getUpdates" for m, _ in calls), timeout=120)
            api.unauthorized = True
            status = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
            out = proc.communicate()[0]
    assert status == 1
    assert out.count("Telegram refused the bot token") == 1, out
    assert "Unauthorized" in out
    assert "Traceback" not in out
    assert tg.TOKEN not in out


def test_a_token_refused_at_start_exits_1_with_one_clear_line(tmp_path, small_kb_dir):
    api = tg.FakeBotApi()
    api.unauthorized = True
    with tg.BotApiServer(api) as server:
        proc = start_bot(tmp_path, server.base_url, small_kb_dir)
        try:
            status = proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
            out = proc.communicate()[0]
    assert status == 1
    assert out.count("Telegram refused the bot token") == 1, out
    assert "Traceback" not in out
    assert tg.TOKEN not in out  # python-telegram-bot's message names it


def test_an_unreachable_api_at_start_is_one_line_per_retry_then_the_bot_starts(
    tmp_path, small_kb_dir
):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/bot"
    proc = start_bot(tmp_path, base_url, small_kb_dir)
    output = Output(proc)
    try:
        output.wait_for("cannot reach the Bot API", count=2)
        api = tg.FakeBotApi()
        with tg.BotApiServer(api, port=port):
            api.wait_for(lambda calls: any(m == "getUpdates" for m, _ in calls), timeout=120)
            api.push(tg.message("What is a fapiao?", user_id=801))
            api.wait_for(lambda c: len(api.sent(chat_id=801)) >= 1)
            stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = output.text
    assert "Traceback" not in out, out
    retries = [line for line in out.splitlines() if "cannot reach the Bot API" in line]
    assert len(retries) >= 2
    assert all("retrying in" in line for line in retries)
    assert "official tax invoice" in api.sent(chat_id=801)[0]["text"]
