"""How long users wait when many unanswered questions arrive at once and the staff chat is
throttled: the real bot (`python -m bot run`) over HTTP against the Bot API stand-in.

N users send a question the knowledge base cannot answer, all at once. Each is answered
("noted for staff") and copied to the staff chat, where Telegram allows about 20 messages a
minute (python-telegram-bot's AIORateLimiter keeps the bot to that). We measure each user's
wait from sending to the bot's reply, and when the last copy reached the staff chat.

Example: python bench/staff_wait.py [--users 40] [--code ../main]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import botproc  # noqa: E402
from bench.common import ROOT, add_smoke_option, results_folder, table, write_results  # noqa: E402
from tests import fake_telegram as tg  # noqa: E402


def run(users_n: int, code: Path) -> dict:
    users = range(300_000, 300_000 + users_n)
    api = tg.FakeBotApi()
    with tempfile.TemporaryDirectory(prefix="staff-") as tmp, tg.BotApiServer(api) as server:
        work = Path(tmp)
        proc = botproc.start(work, server.base_url, work / "bot.db", code)
        try:
            botproc.ready(api)
            pushed = {}
            for u in users:
                update = api.push(
                    tg.message(f"{botproc.UNANSWERED} ({u})", user_id=u, message_id=u)
                )
                pushed[u] = api.pushed[update["update_id"]]

            def all_copied(_=None) -> bool:
                staff = [p["text"] for p in api.sent("sendMessage", botproc.STAFF_CHAT)]
                return all(any(f"({u})" in t for t in staff) for u in users)

            got = botproc.wait_quiet(
                api, users, lambda got: all(got.values()) and all_copied(), quiet=90, limit=400
            )
            staff_times = [
                at
                for (m, p), at in zip(api.calls, api.times, strict=True)
                if m == "sendMessage" and int(p.get("chat_id") or 0) == botproc.STAFF_CHAT
            ]
        finally:
            botproc.stop(proc)
    waits = [got[u][0] - pushed[u] for u in users if got[u]]
    first = min(pushed.values())
    return {
        "code": "this checkout" if code == ROOT else code.name,
        "users": users_n,
        "answered": len(waits),
        "median_wait_s": round(statistics.median(waits), 2) if waits else None,
        "worst_wait_s": round(max(waits), 2) if waits else None,
        "staff_messages": len(staff_times),
        "all_copies_at_staff_s": round(max(staff_times) - first, 1) if staff_times else None,
        "all_copied": all_copied(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument(
        "--code", type=Path, nargs="+", default=[ROOT], help="checkouts whose bot to run"
    )
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    add_smoke_option(parser)
    args = parser.parse_args()
    if args.smoke:  # a handful of users
        args.users = 5
    rows = [run(args.users, code.resolve()) for code in args.code]
    text = table(rows, list(rows[0]))
    text += (
        "\n\nwait: from the question reaching the stand-in to the bot's reply to that user. "
        "The staff chat is limited to 20 messages a minute by python-telegram-bot's "
        "AIORateLimiter, as Telegram limits groups."
    )
    write_results("staff_wait", {"rows": rows}, text, results_folder(args))
    print(text)


if __name__ == "__main__":
    main()
