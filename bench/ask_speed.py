"""Speed of `python -m bot ask` over standard input, against a bare rapidfuzz baseline.

Feeds phrasings of the knowledge base to one `ask --json` process (the staff's regression
tool: the pipeline loads once, both encoders ready), takes each answer's `took_ms` (language
detection, small talk, matching and text selection), and compares the median with a bare
`rapidfuzz.process.extractOne` of the same questions over every phrasing, measured in the
same run. `--sample N` (default 2,000) takes N phrasings evenly spread over the knowledge
base; `--sample 0` takes every one (23,500: ~16 min of answers, and the baseline's ~23,500 x
23,500 comparisons took over half an hour).

Example: python bench/ask_speed.py [--kb knowledge] [--sample 2000] [--out bench/results]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz import process  # noqa: E402

from bench.common import (  # noqa: E402
    ROOT,
    add_smoke_option,
    results_folder,
    summary_ms,
    table,
    write_results,
)
from bot.knowledge import load_knowledge  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    parser.add_argument(
        "--sample",
        type=int,
        default=2000,
        help="phrasings asked, evenly spread over the knowledge base (0: every one; default 2000)",
    )
    add_smoke_option(parser)
    args = parser.parse_args()

    kb = load_knowledge(args.kb)
    every = [p.text for p in kb.phrasings()]
    phrasings = list(kb.phrasings())
    size = 10 if args.smoke else args.sample
    if 0 < size < len(phrasings):
        step = len(phrasings) / size
        phrasings = [phrasings[int(i * step)] for i in range(size)]
    texts = [p.text for p in phrasings]
    # Warm-up question first so that lazy loading is not counted against the first phrasing.
    stdin = "\n".join(["warm-up question", *texts]) + "\n"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "--kb", str(args.kb)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    wall = time.perf_counter() - started
    rows = [json.loads(line) for line in proc.stdout.splitlines()][1:]
    ask_ms = [r["took_ms"] for r in rows]

    baseline_ms = []
    for text in texts:
        t0 = time.perf_counter()
        process.extractOne(text, every)
        baseline_ms.append((time.perf_counter() - t0) * 1000)

    ask = summary_ms(ask_ms)
    base = summary_ms(baseline_ms)
    ratio = round(ask["median_ms"] / base["median_ms"], 2)
    data = {
        "phrasings": len(every),
        "asked": len(texts),
        "entries": len(kb.entries),
        "ask": ask,
        "extractOne_baseline": base,
        "median_ratio_ask_to_baseline": ratio,
        "process_wall_s": round(wall, 2),
        "statuses": {
            s: sum(r["status"] == s for r in rows)
            for s in ("answered", "suggest", "unanswered", "smalltalk")
        },
        "self_match_top1": round(
            statistics.mean(r["id"] == p.entry_id for r, p in zip(rows, phrasings, strict=True)),
            4,
        ),
    }
    text = table(
        [
            {"what": "ask --json (per question)", **ask},
            {"what": "rapidfuzz extractOne (bare)", **base},
        ],
        ["what", "median_ms", "p99_ms", "n"],
    )
    text += f"\n\nratio of medians ask / extractOne: {ratio}"
    text += f"\nwhole process incl. start-up: {data['process_wall_s']} s for {len(texts)} questions"
    write_results("ask_speed", data, text, results_folder(args))
    print(text)


if __name__ == "__main__":
    main()
