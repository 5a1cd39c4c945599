"""Start-up with the shipped knowledge base: cold (empty cache) and warm, in fresh processes.

Cold, as the long-running modes start (`run`, `web`, `chat`: the second encoder deferred,
bot/warmup.py): seconds until the first answer, with USE alone, and until the second encoder
has embedded everything in the background and answers fuse both. Against it, in the same
run, a cold start that waits for both encoders (what `ask` and the benchmarks do, and what
every mode did before). Warm: the cache filled, both encoders from the start. Peak resident
memory of each process.

Example: python bench/startup.py [--kb knowledge] [--skip-baseline]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    add_smoke_option,
    results_folder,
    run_child,
    table,
    write_results,
)

CHILD = r"""
import json, resource, sys, time
from dataclasses import replace
from pathlib import Path
t0 = time.perf_counter()
from bot import warmup
from bot.answering import build_answerer
from bot.config import load_config
base = load_config(Path(sys.argv[1]))
config = replace(base, knowledge=replace(base.knowledge, dir=Path(sys.argv[2]),
                                         cache_dir=Path(sys.argv[3])))
answerer = build_answerer(config, defer_second=sys.argv[4] == "1")
answerer.ask("How do I open a company bank account?")
first = time.perf_counter() - t0
deferred = warmup.pending(answerer)
box = [answerer]
warmup.complete(lambda: box[0], lambda a: box.__setitem__(0, a), config)
box[0].ask("How do I open a company bank account?")
print(json.dumps({"first_answer_s": first, "deferred": deferred,
                  "fused_s": time.perf_counter() - t0,
                  "second": box[0].matcher.second is not None,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(config: Path, kb: Path, cache: Path, defer: bool) -> dict:
    return run_child(CHILD, str(config), str(kb), str(cache), "1" if defer else "0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--config", type=Path, default=ROOT / "config.toml")
    parser.add_argument(
        "--skip-baseline",
        action="store_true",
        help="leave out the cold start that waits for both encoders (as long as the "
        "deferred one's background part)",
    )
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    add_smoke_option(parser)
    args = parser.parse_args()
    if args.smoke:
        args.kb = ROOT / "tests" / "data" / "kb"
    # (what, cache folder, defer): the warm start reuses the cache the first one filled
    runs = [("cold, second encoder deferred (run/web/chat)", "deferred", True)]
    if not args.skip_baseline:
        runs.append(("cold, waiting for both encoders (ask)", "waiting", False))
    runs.append(("warm", "deferred", True))
    rows = []
    with tempfile.TemporaryDirectory(prefix="faqstartup-") as tmp:
        for what, cache, defer in runs:
            got = child(args.config, args.kb, Path(tmp) / cache, defer)
            rows.append(
                {
                    "start": what,
                    "first_answer_s": round(got["first_answer_s"], 1),
                    "both_encoders_s": round(got["fused_s"], 1),
                    "deferred": got["deferred"],
                    "fused_at_end": got["second"],
                    "max_rss_mb": round(got["max_rss_mb"], 1),
                }
            )
            print(rows[-1], flush=True)
    text = table(rows, list(rows[0]))
    write_results("startup", {"kb": str(args.kb), "rows": rows}, text, results_folder(args))
    print(text)


if __name__ == "__main__":
    main()
