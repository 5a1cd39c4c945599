"""The web chat under load: N concurrent visitor sessions asking for T seconds.

Runs `python -m bot web` (the real Starlette app on uvicorn, the repository's knowledge
base) on 127.0.0.1 and drives it over real HTTP with N sessions at once, each with its own
cookie and an open event stream (/chat/events), each asking its next question as soon as
the last was answered (no pause: the worst case). Reports errors (HTTP errors, refused or
failed requests), replies lost (a question whose answer did not come back in the response,
is missing from the visitor's stored conversation afterwards, or never came down the
event stream; goal 0), the time to answer (p50, p99, from sending the question to the
answer received) and the server's memory (RSS) before and after. The per-session and
per-address rate limits are raised for the run (every session comes from one address).

Example: python bench/webchat_load.py [--sessions 200] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    add_smoke_option,
    percentile,
    results_folder,
    table,
    write_results,
)
from bot.knowledge import load_knowledge  # noqa: E402

UNANSWERABLE = [
    "Can my cat attend the annual tax audit meeting?",
    "Где купить билеты в зоопарк Пекина для моего кота?",
    "Who won the football world cup in 1998?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


class Session:
    """One visitor: a cookie, an event stream, and the questions asked and answered."""

    def __init__(self, url: str, questions: list[str], seed: int, pause: float = 0.0):
        self.url = url
        self.pause = pause
        self.client = httpx.AsyncClient(
            base_url=url, timeout=httpx.Timeout(120.0), limits=httpx.Limits(max_connections=4)
        )
        self.questions = questions
        self.random = random.Random(seed)
        self.times: list[float] = []
        self.errors: list[str] = []
        self.asked = 0
        self.answered_ids: set[int] = set()
        self.streamed: set[int] = set()
        self.missing_in_response = 0

    async def open(self) -> None:
        response = await self.client.get("/chat")
        response.raise_for_status()

    async def listen(self) -> None:
        try:
            async with self.client.stream("GET", "/chat/events?after=0") as stream:
                async for line in stream.aiter_lines():
                    if line.startswith("data: "):
                        self.streamed.add(json.loads(line[6:])["id"])
        except (httpx.HTTPError, asyncio.CancelledError):
            return

    async def read(self, deadline: float) -> None:
        """A visitor's pause: 0 to twice the mean, never past the end of the run."""
        if self.pause:
            wait = self.random.uniform(0, 2 * self.pause)
            await asyncio.sleep(max(0.0, min(wait, deadline - time.monotonic())))

    async def ask_until(self, deadline: float) -> None:
        await self.read(deadline)  # visitors arrive spread out, not all in one instant
        while time.monotonic() < deadline:
            question = self.random.choice(self.questions)
            started = time.perf_counter()
            try:
                response = await self.client.post(
                    "/chat/send", json={"text": question}, headers={"origin": self.url}
                )
            except httpx.HTTPError as exc:
                self.errors.append(type(exc).__name__)
                continue
            self.asked += 1
            if response.status_code != 200:
                self.errors.append(f"HTTP {response.status_code}")
                continue
            got = response.json()["messages"]
            bots = [m for m in got if m["role"] == "bot"]
            if not bots:
                self.missing_in_response += 1
                continue
            self.times.append((time.perf_counter() - started) * 1000)
            self.answered_ids.update(m["id"] for m in bots)
            await self.read(deadline)  # reading the answer

    async def get(self, path: str) -> httpx.Response:
        """GET, again on a fresh connection when the server had just closed an idle one
        (uvicorn closes keep-alive connections after 5 s: a race, not a lost reply)."""
        for attempt in range(3):
            try:
                return await self.client.get(path)
            except httpx.RemoteProtocolError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def stored(self) -> tuple[int, int]:
        """(visitor messages, bot messages) in the stored conversation."""
        found: list[dict] = []
        while True:  # page through the whole conversation
            after = found[-1]["id"] if found else 0
            page = (await self.get(f"/chat/messages?after={after}")).json()["messages"]
            if not page:
                break
            found += page
        return (
            sum(m["role"] == "visitor" for m in found),
            sum(m["role"] == "bot" for m in found),
        )


async def drive(
    url: str, sessions: int, seconds: float, questions: list[str], pause: float = 0.0
) -> dict:
    visitors = [Session(url, questions, seed, pause) for seed in range(sessions)]
    await asyncio.gather(*(v.open() for v in visitors))
    listeners = [asyncio.create_task(v.listen()) for v in visitors]
    await asyncio.sleep(1.0)  # every stream open
    started = time.monotonic()
    await asyncio.gather(*(v.ask_until(started + seconds) for v in visitors))
    elapsed = time.monotonic() - started
    await asyncio.sleep(2.0)  # the last events drain
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    stored = await asyncio.gather(*(v.stored() for v in visitors))
    for v in visitors:
        await v.client.aclose()
    times = [t for v in visitors for t in v.times]
    asked = sum(v.asked for v in visitors)
    answered = len(times)
    not_stored = sum(
        max(0, len(v.times) - bots) for v, (_, bots) in zip(visitors, stored, strict=True)
    )
    not_streamed = sum(len(v.answered_ids - v.streamed) for v in visitors)
    return {
        "pause_s": pause,
        "sessions": sessions,
        "seconds": round(elapsed, 1),
        "questions": asked,
        "answered": answered,
        "answers_per_s": round(answered / elapsed, 1) if elapsed else 0.0,
        "errors": sum(len(v.errors) for v in visitors),
        "error_kinds": sorted({e for v in visitors for e in v.errors}),
        "lost_in_response": sum(v.missing_in_response for v in visitors),
        "lost_in_store": not_stored,
        "lost_in_stream": not_streamed,
        "p50_ms": round(percentile(times, 50), 1),
        "p99_ms": round(percentile(times, 99), 1),
        "max_ms": round(max(times), 1) if times else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--pause",
        type=float,
        default=10.0,
        help="mean seconds a visitor reads before asking again, in the second run",
    )
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    add_smoke_option(parser)
    args = parser.parse_args()
    if args.smoke:
        args.sessions, args.seconds, args.pause = 4, 2.0, 0.2
    kb = load_knowledge(ROOT / "knowledge")
    questions = [p.text for p in kb.phrasings() if p.language in ("en", "zh", "ru")]
    questions += UNANSWERABLE * max(1, len(questions) // 20)
    with tempfile.TemporaryDirectory(prefix="webchatload-") as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text(
            f'[knowledge]\ndir = "{ROOT / "knowledge"}"\ncache_dir = "{ROOT / ".cache"}"\n'
            f'[storage]\ndatabase = "{Path(tmp) / "bot.db"}"\n'
            "[web]\nchat_rate_messages = 10000\nchat_address_messages = 1000000\n"
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("TELEGRAM_BOT_TOKEN", None)
        log = open(Path(tmp) / "web.log", "wb")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(config), "web", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 300
            while True:
                try:
                    httpx.get(url + "/chat", timeout=2).raise_for_status()
                    break
                except httpx.HTTPError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit((Path(tmp) / "web.log").read_text()) from None
                    time.sleep(0.3)
            asyncio.run(drive(url, 2, 1.0, questions))  # warm-up: every code path once
            rows = []
            for pause in (0.0, args.pause):
                before = rss_mb(proc.pid)
                row = asyncio.run(drive(url, args.sessions, args.seconds, questions, pause))
                rows.append({**row, "rss_before_mb": before, "rss_after_mb": rss_mb(proc.pid)})
            stop_started = time.monotonic()
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
            log.close()
        stopped = round(time.monotonic() - stop_started, 1)
    for row in rows:
        row["lost"] = row["lost_in_response"] + row["lost_in_store"] + row["lost_in_stream"]
    lost = sum(row["lost"] for row in rows)
    text = table(
        rows,
        ["pause_s", "sessions", "seconds", "questions", "answers_per_s", "errors", "p50_ms",
         "p99_ms"],
    )  # fmt: skip
    text += "\n\n" + table(
        rows,
        ["pause_s", "lost_in_response", "lost_in_store", "lost_in_stream", "rss_before_mb",
         "rss_after_mb"],
    )  # fmt: skip
    text += (
        f"\n\nReplies lost: {lost} (goal 0). pause_s 0: each session asks again as soon as "
        "it is answered (the worst case: the time to answer is mostly waiting behind the "
        f"other sessions for the one matching thread); pause_s {args.pause:g}: a visitor "
        f"reads for 0 to {2 * args.pause:g} s before each question. The server stopped "
        f"{stopped} s after SIGINT."
    )
    data = {"rows": rows, "replies_lost": lost, "stopped_in_s": stopped}
    write_results("webchat_load", data, text, results_folder(args))
    print(text)


if __name__ == "__main__":
    main()
