"""The real bot as a process against the Bot API stand-in, for the reliability benchmarks.

`--code PATH` in each benchmark runs another checkout's bot (e.g. the main branch) against
the same stand-in, for before/after figures.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT
from bot import messages
from tests import fake_telegram as tg

SMALL_KB = ROOT / "tests" / "data" / "kb"
STAFF_CHAT = -100777
ANSWERED = "What is a fapiao?"
UNANSWERED = "Who won the football world cup in 1998?"
APOLOGY = messages.text("en", "error")


def start(
    workdir: Path, base_url: str, database: Path, code: Path = ROOT, telegram: str = ""
) -> subprocess.Popen:
    """`python -m bot run` from `code`, its output in workdir/bot.log."""
    config = workdir / "config.toml"
    config.write_text(
        f'[knowledge]\ndir = "{SMALL_KB}"\ncache_dir = "{workdir / "cache"}"\n'
        f'[telegram]\nbase_url = "{base_url}"\nstaff_chat_id = {STAFF_CHAT}\n'
        f"rate_limit_messages = 1000\n{telegram}\n"
        f'[storage]\ndatabase = "{database}"\n'
    )
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": tg.TOKEN, "PYTHONPATH": str(code)}
    log = open(workdir / "bot.log", "a")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(config), "run"],
        cwd=code,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def ready(api: tg.FakeBotApi, since: int = 0, timeout: float = 300) -> None:
    """Wait for the bot's first getUpdates after call number `since`."""
    api.wait_for(lambda c: any(m == "getUpdates" for m, _ in c[since:]), timeout=timeout)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def replies(api: tg.FakeBotApi, users) -> dict[int, list[float]]:
    """For each user, the times (monotonic) of the messages the bot sent them; the apology
    for an error ("Sorry, something went wrong") is not a reply."""
    wanted: dict[int, list[float]] = {u: [] for u in users}
    with api._lock:
        for (method, params), at in zip(api.calls, api.times, strict=True):
            if method == "sendMessage" and APOLOGY not in str(params.get("text")):
                chat = int(params.get("chat_id") or 0)
                if chat in wanted:
                    wanted[chat].append(at)
    return wanted


def wait_quiet(api: tg.FakeBotApi, users, done, quiet: float = 15.0, limit: float = 300):
    """Wait until `done(replies)` or no new reply for `quiet` s (or `limit` s in all)."""
    started = last_change = time.monotonic()
    last = -1
    while time.monotonic() - started < limit:
        got = replies(api, users)
        if done(got):
            return got
        count = sum(len(v) for v in got.values())
        if count != last:
            last, last_change = count, time.monotonic()
        elif time.monotonic() - last_change > quiet:
            return got
        time.sleep(0.1)
    return replies(api, users)
