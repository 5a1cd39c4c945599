"""BANKING77 as an FAQ: each of 77 intents is an entry whose phrasings are K training
queries (seeded sample); all 3,080 test queries must find their entry.

Reports, for K = 5 and 10, the project's pipeline (top-1, top-3, answered right/wrong at the
shipped thresholds, right entry among the suggestions) and, side by side on the same data,
rapidfuzz WRatio and token_sort_ratio, BM25, thefuzz, difflib and the encoder's cosine.

Example: python bench/banking77.py [--data ../shared/datasets] [--k 5 10] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, add_smoke_option, results_folder, table, write_results  # noqa: E402
from bench.datasets import Split, add_data_option, banking77, data_dir, sample  # noqa: E402
from bench.intent_eval import (  # noqa: E402
    baseline_top1,
    pipeline,
    pipeline_figures,
    run_pipeline,
    temp_workdir,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_option(parser)
    parser.add_argument("--k", type=int, nargs="+", default=[5, 10])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        help="skip baselines whose name contains this, e.g. difflib",
    )
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    parser.add_argument(
        "--config", type=Path, default=ROOT / "config.toml", help="thresholds and encoders"
    )
    add_smoke_option(parser)
    args = parser.parse_args()
    train, test = banking77(data_dir(args.data))
    if args.smoke:
        args.k, test = [2], Split(test.texts[::100], test.labels[::100])
    results, lines = {}, []
    for k in args.k:
        phrasings = sample(train, k, args.seed)
        with temp_workdir() as tmp:
            answerer, build_s = pipeline(phrasings, Path(tmp), args.config)
            figures = pipeline_figures(run_pipeline(answerer, test))
            figures["build_seconds_cold"] = round(build_s, 2)
            others = baseline_top1(phrasings, test, answerer.matcher.encoder, tuple(args.skip))
        results[f"K={k}"] = {"pipeline": figures, "baselines": others}
        rows = [{"method": "faq-bot pipeline (this project)", "top1": figures["top1"]}, *others]
        lines.append(
            f"K={k} (seed {args.seed}, {len(phrasings)} entries, "
            f"{sum(map(len, phrasings.values()))} phrasings, 3,080 test queries)"
        )
        lines.append(table(rows, ["method", "top1", "seconds"]))
        lines.append(
            table(
                [figures],
                [
                    "top1",
                    "top3",
                    "answered_correct",
                    "answered_wrong",
                    "answered_several",
                    "right_not_first",
                    "in_suggestions",
                    "unanswered",
                    "build_seconds_cold",
                ],
            )
        )
        lines.append("")
    text = "\n".join(lines)
    write_results("banking77", {"seed": args.seed, "results": results}, text, results_folder(args))
    print(text)


if __name__ == "__main__":
    main()
