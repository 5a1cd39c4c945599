"""Updates per second handled by the real bot, and the time from update to reply.

Runs `python -m bot run` (the real python-telegram-bot Application, long polling) against
the local Bot API stand-in from tests/fake_telegram.py over real HTTP on 127.0.0.1, queues
N questions from N different users at once (burst), then at a steady rate, and measures:
throughput (updates handled per second, first queued to last replied) and, per update, the
time from being queued to the bot's sendMessage, median and 99th percentile. English
questions, and non-English ones answered from translations already in place (curated
Chinese translations here).

Example: python bench/telegram_load.py [--updates 300]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    add_smoke_option,
    results_folder,
    summary_ms,
    table,
    write_results,
)
from bot.knowledge import load_knowledge  # noqa: E402
from tests import fake_telegram as tg  # noqa: E402


def run_batch(
    api: tg.FakeBotApi,
    questions: list[str],
    language: str,
    first_user: int,
    rate: float | None = None,
) -> dict:
    """Queue the questions all at once (rate None) or `rate` per second; wait for replies."""
    users = list(range(first_user, first_user + len(questions)))
    start_calls = len(api.calls)
    started = time.monotonic()
    pushed = []
    for i, (q, u) in enumerate(zip(questions, users, strict=True)):
        if rate:
            time.sleep(max(0.0, started + i / rate - time.monotonic()))
        pushed.append(api.push(tg.message(q, user_id=u, language_code=language, message_id=i + 1)))
    wanted = set(users)

    def done(calls):
        got = {int(p.get("chat_id") or 0) for m, p in calls[start_calls:] if m == "sendMessage"}
        return wanted <= got

    api.wait_for(done, timeout=600)
    first_reply: dict[int, float] = {}
    for (method, params), at in zip(api.calls[start_calls:], api.times[start_calls:], strict=True):
        chat = int(params.get("chat_id") or 0) if method == "sendMessage" else None
        if chat in wanted and chat not in first_reply:
            first_reply[chat] = at
    latencies = [
        (first_reply[u] - api.pushed[p["update_id"]]) * 1000
        for u, p in zip(users, pushed, strict=True)
    ]
    elapsed = max(first_reply.values()) - started
    return {
        "language": language,
        "load": f"{rate:g}/s paced" if rate else "burst",
        "updates": len(questions),
        "updates_per_s": round(len(questions) / elapsed, 1),
        **summary_ms(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument(
        "--rate",
        type=float,
        default=15.0,
        help="updates per second for the paced runs (latency without a queue)",
    )
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    add_smoke_option(parser)
    args = parser.parse_args()
    warm_up = 2 if args.smoke else 20
    if args.smoke:
        args.updates, args.rate = 4, 100.0
    kb = load_knowledge(ROOT / "knowledge")
    english = [p.text for p in kb.phrasings() if p.language == "en"]
    chinese = [p.text for p in kb.phrasings() if p.language == "zh"]
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="faqload-") as tmp,
        tg.BotApiServer(tg.FakeBotApi()) as server,
    ):
        api = server.server.RequestHandlerClass.api
        config = Path(tmp) / "config.toml"
        config.write_text(
            f'[knowledge]\ndir = "{ROOT / "knowledge"}"\n'
            f'cache_dir = "{ROOT / ".cache"}"\n'
            f'[telegram]\nbase_url = "{server.base_url}"\n'
            f"rate_limit_messages = 1000\n"
            f'[storage]\ndatabase = "{Path(tmp) / "bot.db"}"\n'
        )
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": tg.TOKEN}
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(config), "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            api.wait_for(lambda c: any(m == "getUpdates" for m, _ in c), timeout=300)
            run_batch(api, english[:warm_up], "en", 1_000_000)  # warm-up
            n = args.updates
            rows.append(run_batch(api, (english * 10)[:n], "en", 2_000_000))
            rows.append(run_batch(api, (chinese * 10)[:n], "zh", 3_000_000))
            rows.append(run_batch(api, (english * 10)[:n], "en", 4_000_000, args.rate))
            rows.append(run_batch(api, (chinese * 10)[:n], "zh", 5_000_000, args.rate))
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
    text = table(rows, ["language", "load", "updates", "updates_per_s", "median_ms", "p99_ms"])
    text += (
        "\n\nBurst throughput is capped by python-telegram-bot's AIORateLimiter at "
        "Telegram's limit of 30 messages per second; the paced runs show the time from "
        "update to reply without a queue."
    )
    write_results("telegram_load", {"rows": rows}, text, results_folder(args))
    print(text)


if __name__ == "__main__":
    main()
