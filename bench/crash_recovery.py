"""Messages answered when the bot is killed (SIGKILL) in the middle of a burst and started
again: the real bot (`python -m bot run`) over HTTP against the Bot API stand-in, which
forgets updates once an offset confirms them, as Telegram does.

For each kill point: 600 users send a question at once; the process is killed N seconds
later and started again; we count users answered before the kill, after the restart, never,
and extra (duplicate) answers, and the interactions logged.

Example: python bench/crash_recovery.py [--messages 600] [--kill-at 2 7.3 15] [--code ../main]
"""

from __future__ import annotations

import argparse
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import botproc  # noqa: E402
from bench.common import ROOT, add_smoke_option, results_folder, table, write_results  # noqa: E402
from tests import fake_telegram as tg  # noqa: E402


def logged(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return conn.execute("SELECT count(*) FROM interactions").fetchone()[0]


def run(messages: int, kill_at: float, code: Path) -> dict:
    users = range(100_000, 100_000 + messages)
    api = tg.FakeBotApi()
    with tempfile.TemporaryDirectory(prefix="crash-") as tmp, tg.BotApiServer(api) as server:
        work = Path(tmp)
        database = work / "bot.db"
        proc = botproc.start(work, server.base_url, database, code)
        botproc.ready(api)
        pushed = time.monotonic()
        for u in users:
            api.push(tg.message(botproc.ANSWERED, user_id=u, message_id=u))
        time.sleep(max(0.0, pushed + kill_at - time.monotonic()))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(1.0)  # requests already on the wire reach the stand-in
        before = botproc.replies(api, users)
        confirmed = messages - len(api.updates)  # forgotten by "Telegram"
        calls = len(api.calls)
        proc = botproc.start(work, server.base_url, database, code)
        botproc.ready(api, since=calls)
        after = botproc.wait_quiet(api, users, lambda got: all(got.values()))
        botproc.stop(proc)
        return {
            "kill_at_s": kill_at,
            "messages": messages,
            "answered_before_kill": sum(bool(v) for v in before.values()),
            "confirmed_at_kill": confirmed,
            "answered_in_the_end": sum(bool(v) for v in after.values()),
            "never_answered": sum(not v for v in after.values()),
            "answered_twice": sum(len(v) > 1 for v in after.values()),
            "logged": logged(database),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--kill-at", type=float, nargs="+", default=[2.0, 7.3, 15.0])
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose bot to run")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    parser.add_argument("--name", default="crash_recovery")
    add_smoke_option(parser)
    args = parser.parse_args()
    if args.smoke:  # a short burst, one kill
        args.messages, args.kill_at = 30, [1.0]
    rows = [run(args.messages, t, args.code.resolve()) for t in args.kill_at]
    columns = list(rows[0])
    text = table(rows, columns)
    text += (
        "\n\nanswered_twice: answers on the wire when the process died (Telegram had them, "
        "the update journal did not yet know) are sent again after the restart."
        "\nlogged: interactions in the database; log writes still queued in memory at the "
        "kill are lost (the answers are not)."
    )
    write_results(args.name, {"rows": rows, "code": str(args.code)}, text, results_folder(args))
    print(text)


if __name__ == "__main__":
    main()
