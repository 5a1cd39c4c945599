"""Answer quality on the project's own knowledge base: held-out phrasings and off-topic.

`bench/data/heldout.yaml` holds questions written for this benchmark and kept out of
`knowledge/` (per language, each with the entry that answers it); `bench/data/offtopic.yaml`
holds questions the bot must not answer. Both run through the same Answerer as the bot.
Reported per language: top-1 accuracy (answered with the right entry), answered wrongly,
right entry among the suggestions, and the share of off-topic questions left unanswered.

Example: python bench/accuracy.py [--kb knowledge] [--config config.toml]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ruamel.yaml import YAML  # noqa: E402

from bench.common import (  # noqa: E402
    ROOT,
    add_smoke_option,
    results_folder,
    table,
    write_results,
)
from bot.answering import build_answerer  # noqa: E402
from bot.config import load_config  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"


def load(name: str) -> list[dict]:
    return YAML(typ="safe").load((DATA / name).read_text(encoding="utf-8"))["questions"]


def evaluate(answerer, heldout: list[dict], offtopic: list[dict]) -> tuple[list, list]:
    per_lang: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    misses = []
    for q in heldout:
        a = answerer.ask(q["text"])
        row = per_lang[q["lang"]]
        row["questions"] += 1
        row["answered_right"] += a.status == "answered" and a.id == q["id"]
        row["answered_wrong"] += a.status == "answered" and a.id != q["id"]
        row["in_suggestions"] += a.status == "suggest" and q["id"] in [s.id for s in a.suggestions]
        row["top1_ranked"] += answerer.matcher.scores(q["text"])[0].entry_id == q["id"]
        row["detected_right"] += a.language == q["lang"]
        if not (a.status == "answered" and a.id == q["id"]):
            misses.append(
                {
                    "lang": q["lang"],
                    "text": q["text"],
                    "expected": q["id"],
                    "status": a.status,
                    "got": a.id or [s.id for s in a.suggestions],
                }
            )
    off: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for q in offtopic:
        a = answerer.ask(q["text"])
        row = off[q["lang"]]
        row["questions"] += 1
        row["unanswered"] += a.status in ("unanswered", "smalltalk")
        row["answered"] += a.status == "answered"
        if a.status != "unanswered":
            misses.append(
                {
                    "lang": q["lang"],
                    "text": q["text"],
                    "expected": None,
                    "status": a.status,
                    "got": a.id or [s.id for s in a.suggestions],
                }
            )
    rows = []
    for lang in sorted(per_lang):
        r = per_lang[lang]
        n = r["questions"]
        o = off.get(lang, {"questions": 0, "unanswered": 0, "answered": 0})
        rows.append(
            {
                "lang": lang,
                "heldout": n,
                "top1_answered": round(r["answered_right"] / n, 3),
                "answered_wrong": round(r["answered_wrong"] / n, 3),
                "right_in_suggest": round(r["in_suggestions"] / n, 3),
                "top1_ranked": round(r["top1_ranked"] / n, 3),
                "lang_detected": round(r["detected_right"] / n, 3),
                "offtopic": o["questions"],
                "offtopic_unanswered": round(o["unanswered"] / o["questions"], 3)
                if o["questions"]
                else None,
                "offtopic_answered": round(o["answered"] / o["questions"], 3)
                if o["questions"]
                else None,
            }
        )
    return rows, misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=None)
    parser.add_argument("--config", type=Path, default=ROOT / "config.toml")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    parser.add_argument("--show-misses", action="store_true")
    add_smoke_option(parser)
    args = parser.parse_args()
    answerer = build_answerer(load_config(args.config), args.kb)
    heldout, offtopic = load("heldout.yaml"), load("offtopic.yaml")
    if args.smoke:
        heldout, offtopic = heldout[::50], offtopic[::40]
    rows, misses = evaluate(answerer, heldout, offtopic)
    columns = [
        "lang",
        "heldout",
        "top1_answered",
        "answered_wrong",
        "right_in_suggest",
        "top1_ranked",
        "lang_detected",
        "offtopic",
        "offtopic_unanswered",
        "offtopic_answered",
    ]
    text = table(rows, columns)
    write_results(
        "accuracy",
        {"thresholds": vars(answerer.config.matching), "rows": rows, "misses": misses},
        text,
        results_folder(args),
    )
    print(text)
    if args.show_misses:
        for m in misses:
            print(m)


if __name__ == "__main__":
    main()
