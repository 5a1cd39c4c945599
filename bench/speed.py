"""Speed and start-up with large knowledge bases: 100 to 10,000 entries of 10 phrasings.

Phrasings are real queries from BANKING77 and CLINC150 (reused with a numbered suffix past
their number), so the lexical and semantic passes see realistic text. Per question: the
whole `Answerer.ask` (language detection, small talk, matching, text choice; no live
translation), median and 99th percentile, and thefuzz `process.extractOne` over the same
phrasings in the same run. Start-up: building the answerer with a cold cache (embeddings and
the classifier computed) and again with the warm cache, in fresh processes; peak resident
memory of each.

Example: python bench/speed.py [--sizes 100 1000 10000] [--questions 300]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    add_smoke_option,
    results_folder,
    run_child,
    summary_ms,
    table,
    write_results,
)
from bench.datasets import add_data_option, banking77, clinc150, data_dir, write_kb  # noqa: E402


def corpus(folder: Path) -> list[str]:
    train, test = banking77(folder)
    clinc = clinc150(folder)
    texts = train.texts + test.texts
    for name in ("train", "val", "test"):
        texts += clinc[name].texts
    return list(dict.fromkeys(texts))


def knowledge(texts: list[str], entries: int, per_entry: int) -> dict[str, list[str]]:
    out = {}
    for e in range(entries):
        phr = []
        for j in range(per_entry):
            i = e * per_entry + j
            text = texts[i % len(texts)]
            phr.append(text if i < len(texts) else f"{text} ({i // len(texts)})")
        out[f"entry {e}"] = phr
    return out


CHILD = r"""
import json, resource, sys, time
from dataclasses import replace
from pathlib import Path
t0 = time.perf_counter()
from bot.answering import build_answerer
from bot.config import load_config
base = load_config(Path(sys.argv[1]))
config = replace(base, knowledge=replace(base.knowledge, dir=Path(sys.argv[2]),
                                         cache_dir=Path(sys.argv[3])))
answerer = build_answerer(config)
started = time.perf_counter() - t0
questions = json.loads(Path(sys.argv[4]).read_text())
times = [answerer.ask(q).took_ms for q in questions]
fuzz_ms = []
if sys.argv[5] == "1":
    from thefuzz import process
    texts = answerer.matcher.texts
    for q in questions:
        t = time.perf_counter(); process.extractOne(q, texts)
        fuzz_ms.append((time.perf_counter() - t) * 1000)
print(json.dumps({"startup_s": started, "ask_ms": times, "thefuzz_ms": fuzz_ms,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(config: Path, kb: Path, cache: Path, questions: Path, thefuzz: bool) -> dict:
    args = (config, kb, cache, questions)
    return run_child(CHILD, *map(str, args), "1" if thefuzz else "0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_option(parser)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--per-entry", type=int, default=10)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument(
        "--thefuzz-up-to",
        type=int,
        default=1000,
        help="run the thefuzz baseline for sizes up to this many entries",
    )
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    add_smoke_option(parser)
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.per_entry, args.questions, args.thefuzz_up_to = [20], 3, 5, 0
    folder = data_dir(args.data)
    texts = corpus(folder)
    # Questions: held-out queries (CLINC150 out-of-scope test + BANKING77 test tail).
    clinc = clinc150(folder)
    questions = (clinc["oos_test"].texts + banking77(folder)[1].texts[::-1])[: args.questions]
    rows = []
    with tempfile.TemporaryDirectory(prefix="faqspeed-") as tmp:
        tmp = Path(tmp)
        qfile = tmp / "questions.json"
        qfile.write_text(json.dumps(questions))
        for size in args.sizes:
            kb = write_kb(knowledge(texts, size, args.per_entry), tmp / f"kb{size}")
            cache = tmp / f"cache{size}"
            cold = child(ROOT / "config.toml", kb, cache, qfile, False)
            warm = child(ROOT / "config.toml", kb, cache, qfile, size <= args.thefuzz_up_to)
            ask = summary_ms(warm["ask_ms"])
            row = {
                "entries": size,
                "phrasings": size * args.per_entry,
                "ask_median_ms": ask["median_ms"],
                "ask_p99_ms": ask["p99_ms"],
                "startup_cold_s": round(cold["startup_s"], 2),
                "startup_warm_s": round(warm["startup_s"], 2),
                "max_rss_mb": round(warm["max_rss_mb"], 1),
            }
            if warm["thefuzz_ms"]:
                fz = summary_ms(warm["thefuzz_ms"])
                row["thefuzz_median_ms"] = fz["median_ms"]
                row["speedup_vs_thefuzz"] = round(fz["median_ms"] / ask["median_ms"], 1)
            rows.append(row)
            print(row, flush=True)
    columns = [
        "entries",
        "phrasings",
        "ask_median_ms",
        "ask_p99_ms",
        "thefuzz_median_ms",
        "speedup_vs_thefuzz",
        "startup_cold_s",
        "startup_warm_s",
        "max_rss_mb",
    ]
    text = table(rows, columns)
    write_results("speed", {"questions": len(questions), "rows": rows}, text, results_folder(args))
    print(text)


if __name__ == "__main__":
    main()
