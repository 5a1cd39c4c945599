"""Speed of the managers' report over a large log, and of logging under concurrent load.

1. Fills a temporary database with N interactions (default 1,000,000) spread over 90 days:
   six languages, 75% answered, 10% suggested, 5% unanswered, 10% small talk, entries and
   phrasings of the real knowledge base, 2% of answers voted on, staff replying to and
   triaging the unanswered ones (the report's staff work); bulk inserts with
   executemany in one transaction. Then times `build_report` + `render_html` over the
   whole period (median of 3).
2. Logs interactions with `Storage.log_interaction` from many asyncio coroutines that call
   it through `asyncio.to_thread`, as the bot does (default 200 coroutines x 50 logs), into
   a fresh database, and reports interactions logged per second. Every write is a durable
   transaction (WAL, synchronous=FULL), so this figure depends on the disk's fsync.

Example: python bench/report_speed.py [--rows 1000000] [--dir /var/tmp] [--out bench/results]
         python bench/report_speed.py --smoke   (a tiny run: does it still work?)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    add_smoke_option,
    results_folder,
    table,
    write_results,
)
from bot.knowledge import load_knowledge  # noqa: E402
from bot.report import build_report, render_html  # noqa: E402
from bot.storage import Storage  # noqa: E402

DAYS = 90
LANGUAGES = {"en": 0.40, "zh": 0.25, "ru": 0.12, "ar": 0.08, "fr": 0.08, "es": 0.07}
STATUSES = {"answered": 0.75, "suggest": 0.10, "unanswered": 0.05, "smalltalk": 0.10}
SMALLTALK = {
    "en": ["hello", "thanks"],
    "zh": ["你好", "谢谢"],
    "ru": ["привет", "спасибо"],
    "ar": ["مرحبا", "شكرا"],
    "fr": ["bonjour", "merci"],
    "es": ["hola", "gracias"],
}
UNANSWERED = {
    "en": [
        "Where can I park near the centre?",
        "Can I bring my dog to the office?",
        "How do I register a drone?",
        "Is there a halal canteen nearby?",
    ],
    "zh": ["中心附近哪里可以停车？", "可以带狗来办公室吗？"],
    "ru": ["Где купить SIM-карту?", "Где можно припарковаться?"],
    "ar": ["هل يوجد مطعم حلال قريب؟", "أين يمكنني ركن السيارة؟"],
    "fr": ["Où acheter une carte SIM ?", "Où puis-je me garer ?"],
    "es": ["¿Dónde puedo aparcar?", "¿Dónde compro una tarjeta SIM?"],
}


def _question(kb, lang: str, status: str, entry_id: str, k: int) -> str:
    """A question as users type it: `k` picks the wording; a few are one of a kind."""
    if status == "smalltalk":
        return SMALLTALK[lang][k % 2]
    if status == "unanswered":
        texts = UNANSWERED[lang]
        text = texts[k % len(texts)]
        if k % 10 == 0:
            return f"{text} (ticket {k})"  # the long tail: asked once
        return text.lower().rstrip("?？ ") if k % 3 == 0 else text  # same after normalising
    entry = kb.by_id[entry_id]
    version = entry.translations.get(lang)
    question = version.question if version is not None else entry.question
    return question + ("" if status == "answered" else " now?")


def _choice(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    names = list(weights)
    p = np.array([weights[k] for k in names])
    return np.array(names, dtype=object)[rng.choice(len(names), size=n, p=p / p.sum())]


def _times(rng: np.random.Generator, n: int, now: datetime) -> np.ndarray:
    """Sorted ISO times over the DAYS days up to `now`, busiest in office hours (UTC)."""
    today = np.datetime64(now.replace(tzinfo=None), "D").astype("datetime64[s]")
    start = today - np.timedelta64((DAYS - 1) * 86400, "s")
    day = rng.integers(0, DAYS, size=n)
    hour = np.clip(rng.normal(13, 3, size=n), 0, 23.99)
    seconds = day * 86400 + (hour * 3600).astype(np.int64)
    future = seconds > (np.datetime64(now.replace(tzinfo=None), "s") - start).astype(np.int64)
    seconds = np.sort(np.where(future, seconds - 86400, seconds))  # today's later hours
    return np.char.add(
        np.datetime_as_string(start + seconds.astype("timedelta64[s]"), "s").astype(str), "+00:00"
    )


def fill(storage: Storage, n: int, now: datetime, seed: int = 1) -> dict:
    """Write `n` interactions (and their unanswered queue rows and feedback) in bulk."""
    rng = np.random.default_rng(seed)
    kb = load_knowledge(ROOT / "knowledge")
    entries = [e.id for e in kb.entries]
    popularity = 1 / np.arange(1, len(entries) + 1) ** 0.9  # a few entries asked most
    entry = np.array(entries, dtype=object)[
        rng.choice(len(entries), size=n, p=popularity / popularity.sum())
    ]
    language = _choice(rng, LANGUAGES, n)
    status = _choice(rng, STATUSES, n)
    source = _choice(rng, {"curated": 0.6, "machine": 0.3, "source": 0.1}, n)
    users = np.array([f"{k:016x}" for k in rng.integers(0, 2**63, size=20_000)], dtype=object)
    user = users[rng.integers(0, len(users), size=n)]
    took = np.round(rng.lognormal(np.log(8), 0.6, size=n), 3)
    waited = np.round(took + rng.lognormal(np.log(150), 0.5, size=n), 3)  # + network, queue
    times = _times(rng, n, now)
    wording = rng.integers(0, 10_000, size=n)

    def rows():
        for i in range(n):
            st, lang, eid = status[i], language[i], entry[i]
            question = _question(kb, lang, st, eid, int(wording[i]))
            if st == "answered":
                text_source = "original" if lang == kb.language else source[i]
            else:
                eid, text_source = None, None
            yield (
                times[i],
                user[i],
                "private",
                lang,
                question,
                st,
                eid,
                None if eid is None else 0.9,
                float(took[i]),
                float(waited[i]),
                text_source,
                "telegram",
            )

    conn = storage.db.conn
    with conn:
        conn.executemany(
            "INSERT INTO interactions (time, user_key, chat_type, language, question, status, "
            "entry_id, score, took_ms, waited_ms, text_source, channel) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            rows(),
        )
        conn.execute(
            "INSERT INTO unanswered (interaction_id, time, user_key, language, question, status)"
            " SELECT id, time, user_key, language, question, 'new' FROM interactions "
            "WHERE status = 'unanswered'"
        )
        conn.execute(
            "INSERT INTO feedback (interaction_id, time, user_key, helpful) "
            "SELECT id, time, user_key, (abs(random()) % 100) < 80 FROM interactions "
            "WHERE status = 'answered' AND abs(random()) % 100 < 2"
        )
        _staff_work(conn)
    counts = dict(conn.execute("SELECT status, count(*) FROM interactions GROUP BY status"))
    counts["feedback"] = conn.execute("SELECT count(*) FROM feedback").fetchone()[0]
    counts["audit"] = conn.execute("SELECT count(*) FROM audit").fetchone()[0]
    counts["replies"] = conn.execute("SELECT count(*) FROM handoff_replies").fetchone()[0]
    return counts


def _staff_work(conn) -> None:
    """Staff at work on the unanswered questions, for the report's staff work: five staff
    members reply to a third of them (9 in 10 replies reached the asker) and set aside,
    add to an entry or close the handoff of the others, as the audit log records it."""
    conn.execute(
        "INSERT INTO handoffs (kind, channel, state, created, updated, unanswered_id) "
        "SELECT 'question', 'telegram', 'answered', time, time, id FROM unanswered "
        "WHERE id % 3 = 0"
    )
    conn.execute(
        "INSERT INTO handoff_replies (id, time, actor, actor_name, via, text) "
        "SELECT id, updated, 'staff' || (id % 5), 'staff' || (id % 5), 'console', 'See you' "
        "FROM handoffs"
    )
    conn.execute(
        "INSERT INTO handoff_deliveries (reply_id, handoff_id, channel, language, delivered) "
        "SELECT id, id, 'telegram', 'en', id % 10 != 0 FROM handoff_replies"
    )
    conn.execute(
        "INSERT INTO audit (time, actor, action, target, before, after) "
        "SELECT time, 'staff' || (id % 5), CASE id % 3 WHEN 1 THEN 'unanswered.ignore' "
        "ELSE 'unanswered.attach' END, id, json_array(json_object('id', id, 'status', 'new')), "
        "json_object('status', 'ignored', 'changed', 1) FROM unanswered WHERE id % 3 != 0"
    )


def time_report(db_path: Path, now: datetime, repeats: int = 3) -> dict:
    kb = load_knowledge(ROOT / "knowledge")
    since = now - timedelta(days=DAYS)
    build_s, render_s, html = [], [], ""
    for _ in range(repeats):
        t0 = time.perf_counter()
        report = build_report(db_path, kb, since=since, now=now)
        t1 = time.perf_counter()
        html = render_html(report)
        build_s.append(t1 - t0)
        render_s.append(time.perf_counter() - t1)
    total = [b + r for b, r in zip(build_s, render_s, strict=True)]
    return {
        "build_s": round(statistics.median(build_s), 3),
        "render_s": round(statistics.median(render_s), 3),
        "total_s": round(statistics.median(total), 3),
        "repeats": repeats,
        "html_kb": round(len(html.encode()) / 1024, 1),
        "questions": report.total,
    }


async def _log_many(storage: Storage, coroutines: int, per_coroutine: int) -> None:
    async def one_user(k: int) -> None:
        for i in range(per_coroutine):
            await asyncio.to_thread(
                storage.log_interaction,
                user_id=100_000 + k,
                chat_type="private",
                language="en",
                question=f"question {i} from {k}",
                status="unanswered" if i % 20 == 0 else "answered",
                entry_id=None if i % 20 == 0 else "bank-account",
                score=0.9,
                took_ms=7.5,
                text_source=None if i % 20 == 0 else "original",
                chat_id=100_000 + k,
            )

    await asyncio.gather(*(one_user(k) for k in range(coroutines)))


def time_logging(folder: Path, coroutines: int, per_coroutine: int) -> dict:
    with Storage.open(folder / "log.db") as storage:
        started = time.perf_counter()
        asyncio.run(_log_many(storage, coroutines, per_coroutine))
        seconds = time.perf_counter() - started
        logged = storage.db.execute("SELECT count(*) FROM interactions").fetchone()[0]
    assert logged == coroutines * per_coroutine, logged
    return {
        "coroutines": coroutines,
        "per_coroutine": per_coroutine,
        "logged": logged,
        "seconds": round(seconds, 2),
        "per_second": round(logged / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--coroutines", type=int, default=200)
    parser.add_argument("--logs", type=int, default=50, help="logs per coroutine")
    parser.add_argument("--dir", type=Path, default=None, help="where the databases go")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    add_smoke_option(parser)
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.coroutines, args.logs = 2_000, 4, 3

    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        with Storage.open(folder / "bot.db") as storage:
            started = time.perf_counter()
            counts = fill(storage, args.rows, now)
            fill_s = round(time.perf_counter() - started, 1)
        db_mb = round((folder / "bot.db").stat().st_size / 2**20, 1)
        report = time_report(folder / "bot.db", now)
        logging = time_logging(folder, args.coroutines, args.logs)

    data = {
        "rows": args.rows,
        "days": DAYS,
        "counts": counts,
        "fill_s": fill_s,
        "db_mb": db_mb,
        "report": report,
        "logging": logging,
    }
    text = table(
        [
            {"what": f"build_report over {args.rows:,} interactions", "seconds": report["build_s"]},
            {"what": "render_html", "seconds": report["render_s"]},
            {"what": "report total (median of 3)", "seconds": report["total_s"]},
        ],
        ["what", "seconds"],
    )
    text += (
        f"\n\nfilled in {fill_s} s ({db_mb} MB); page {report['html_kb']} KiB"
        f"\nlogging: {logging['logged']:,} interactions from {logging['coroutines']} "
        f"coroutines via asyncio.to_thread in {logging['seconds']} s = "
        f"{logging['per_second']:,.0f} per second (durable writes, synchronous=FULL)"
    )
    write_results("report_speed", data, text, results_folder(args))
    print(text)


if __name__ == "__main__":
    main()
