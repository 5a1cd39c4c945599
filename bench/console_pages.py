"""Page times of the staff console over a large question log.

Fills a temporary database with N logged interactions (default 100,000) over 90 days, in
bulk through the real schema (bench/report_speed.py's `fill`: six languages, 75% answered,
10% suggested, 5% unanswered, 10% small talk, 2% of answers voted on), then makes it more
like a live log: one question in ten came through the terminal, 👎 votes carry reasons,
queued questions have their normalised wording and a handoff each. Serves the real console
app (the shipped knowledge base and encoder) through its ASGI client, logs in as staff (who
may open every page) through the login form, and times GET of every console page without a
path parameter, plus the report with each filter and CSV exports: p50 and p95 over
`--repeats` requests after one warm-up, in three states: warm (views in a row), fresh (no
report kept, as after a new question is logged) and cold (nothing remembered, as after a
restart).

Example: python bench/console_pages.py [--rows 100000] [--repeats 20] [--out bench/results]
         python bench/console_pages.py --smoke   (a tiny run: does it still work?)
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    add_smoke_option,
    percentile,
    results_folder,
    table,
    write_results,
)
from bench.report_speed import fill  # noqa: E402
from bot.accounts import Accounts  # noqa: E402
from bot.answering import build_answerer  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.handoffstore import HandoffStore  # noqa: E402
from bot.storage import Storage, wording  # noqa: E402

PASSWORD = "bench password 1234"
EXTRA = [  # the report with each filter, and CSV exports of its tables
    "/reports?since=7d",
    "/reports?since=90d",
    "/reports?since=90d&language=zh",
    "/reports?since=90d&channel=terminal",
    "/reports?since=2026-01-01&until=2026-12-31",
    "/reports.csv?table=summary&since=90d",
    "/reports.csv?table=languages&since=90d",
    "/reports.csv?table=unanswered_clusters&since=90d",
    "/reports.csv?table=entry_feedback&since=90d",
    "/entries?q=bank",
]


def liven(storage: Storage) -> dict:
    """Channels, 👎 reasons and queued wordings, as the bot logs them."""
    conn = storage.db.conn
    with conn:
        conn.execute("UPDATE interactions SET channel = 'terminal' WHERE id % 10 = 0")
        conn.execute(
            "UPDATE feedback SET reason = CASE id % 3 WHEN 0 THEN 'wrong' "
            "WHEN 1 THEN 'outdated' ELSE 'not_mine' END WHERE helpful = 0"
        )
        texts = [row[0] for row in conn.execute("SELECT DISTINCT question FROM unanswered")]
        conn.executemany(
            "UPDATE unanswered SET wording = ? WHERE question = ?",
            [(wording(text), text) for text in texts],
        )
    return {"distinct_unanswered": len(texts)}


def pages(app) -> list[str]:
    from bot.web.app import route_roles

    found = [
        path
        for path, methods, role in route_roles(app)
        if role is not None
        and "GET" in methods
        and "{" not in path
        and path not in ("/", "/resend")  # /resend shows a kept form: needs its token
        and not path.endswith(".csv")
    ]
    return sorted(found) + EXTRA


def forget_reports() -> None:
    """As after a question was logged or handled: no report kept (the wordings' vectors
    stay remembered, as in a running console)."""
    from bot.web import reports

    with reports._cache_lock:
        reports._cache.clear()


def forget_everything() -> None:
    """As after a restart: no report kept, no wording's vector remembered."""
    from bot.vector_memo import remembering

    forget_reports()
    remembering.cache_clear()


def _timed(client, path: str, repeats: int, forget=None) -> list[float]:
    took = []
    for _ in range(repeats):
        if forget is not None:
            forget()
        started = time.perf_counter()
        response = client.get(path)
        took.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return took


def time_pages(client, paths: list[str], repeats: int) -> list[dict]:
    """Per page, `repeats` views each: in a row (warm: someone clicking around), after a
    new question was logged (fresh: no report kept) and after a restart (cold: nothing
    remembered)."""
    rows = []
    for path in paths:
        first = client.get(path)
        if first.status_code != 200:
            raise SystemExit(f"GET {path}: {first.status_code} {first.text[:200]}")
        row: dict = {"page": path}
        for name, forget in (("", None), ("fresh_", forget_reports), ("cold_", forget_everything)):
            took = _timed(client, path, repeats, forget)
            row[f"{name}p50_ms"] = round(statistics.median(took), 1)
            row[f"{name}p95_ms"] = round(percentile(took, 95), 1)
        row.update(kib=round(len(first.content) / 1024, 1), n=repeats)
        rows.append(row)
        print(", ".join(f"{k} {v}" for k, v in row.items()), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--dir", type=Path, default=None, help="where the database goes")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    add_smoke_option(parser)
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.repeats = 1_000, 2

    from starlette.testclient import TestClient

    from bot.web.app import AnswererHolder, create_app

    now = datetime.now(UTC).replace(microsecond=0)
    config = load_config(ROOT / "config.toml", environ={})
    if args.smoke:  # pages, not matching, are timed: spare a tiny run e5's cold start
        config = replace(config, matching=replace(config.matching, second_encoder="none"))
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "bot.db"
        with Storage.open(path) as storage:
            started = time.perf_counter()
            counts = fill(storage, args.rows, now)
            counts.update(liven(storage))
            handoffs = HandoffStore(path)
            counts["handoffs"] = handoffs.sync()  # one per queued question, as the bot makes
            handoffs.close()
            fill_s = round(time.perf_counter() - started, 1)
            db_mb = round(path.stat().st_size / 2**20, 1)
            accounts = Accounts(path)
            accounts.add("mia", "staff", actor="bench")
            accounts.set_password("mia", PASSWORD, actor="bench")
            answerer = build_answerer(config, ROOT / "knowledge", storage)
            app = create_app(config, storage, AnswererHolder(answerer), accounts)
            with TestClient(app, follow_redirects=False) as client:
                form = client.get("/login").text
                token = re.search(r'name="csrf" value="([^"]+)"', form)
                assert token, form
                login = client.post(
                    "/login", data={"name": "mia", "password": PASSWORD, "csrf": token[1]}
                )
                assert login.status_code == 303, login.text
                rows = time_pages(client, pages(app), args.repeats)
            accounts.close()

    slow = {
        state: [r["page"] for r in rows if r[f"{state}p95_ms"] > 1000]
        for state in ("", "fresh_", "cold_")
    }
    data = {
        "rows": args.rows,
        "repeats": args.repeats,
        "counts": counts,
        "fill_s": fill_s,
        "db_mb": db_mb,
        "pages": rows,
        "slow_pages": slow[""],
        "slow_pages_fresh": slow["fresh_"],
        "slow_pages_cold": slow["cold_"],
        "load_average": list(os.getloadavg()),
    }
    columns = ["page", "p50_ms", "p95_ms", "fresh_p50_ms", "fresh_p95_ms"]
    columns += ["cold_p50_ms", "cold_p95_ms", "kib", "n"]
    text = table(rows, columns)
    text += (
        f"\n\n{args.rows:,} interactions ({counts}), filled in {fill_s} s ({db_mb} MB); "
        "GET through the ASGI client, logged in as staff, after one warm-up each. "
        "Warm: views in a row; fresh: no report kept (as after a new question); cold: "
        "nothing remembered either (as after a restart)."
        + "".join(
            f"\nPages over 1 s at p95 ({state.rstrip('_') or 'warm'}): {', '.join(pages) or 'none'}"
            for state, pages in slow.items()
        )
        + f"\nLoad average while measuring (the machine is shared): {os.getloadavg()}"
    )
    write_results("console_pages", data, text, results_folder(args))
    print(text)


if __name__ == "__main__":
    main()
