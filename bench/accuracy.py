"""Answer quality on the project's own knowledge base: held-out phrasings and off-topic.

`bench/data/heldout.yaml` holds questions written for this benchmark and kept out of
`knowledge/` (per language, each with the entry that answers it); `bench/data/offtopic.yaml`
holds questions the bot must not answer. Both run through the same Answerer as the bot.
Reported per language and question set (`authors`: written by the developers; `users`:
written by someone who had not read the knowledge base, then labelled; `all`): answered
with the right entry, answered wrongly, helpful (right, or the right entry among the
suggestions, or a question the knowledge base cannot answer left to staff), answered
wrongly but with the right entry offered under "See also", the share of right answers whose
text is in the asker's language, right entry ranked first, language detected, and the share
of off-topic questions not answered.

`--questions validation.yaml` evaluates another questions file in bench/data instead
(`bench/data/validation.yaml`: questions written without reading the knowledge base, for
tuning); there its `id: null` questions are scored as the off-topic ones, and results go to
`accuracy-validation.json/md`. Tune on validation only, never on the held-out test set.

`--seed N` trains the classifier layers with another seed than the shipped 0: each change to
the knowledge base retrains them, and one seed's figures per language swing by a question or
two, so compare a change over seeds 0-2 (write each seed's results with --out).

Example: python bench/accuracy.py [--kb knowledge] [--questions validation.yaml]
         [--seed 1 --out DIR]
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
    summary_ms,
    table,
    write_results,
)
from bot import classifier  # noqa: E402
from bot.answering import build_answerer  # noqa: E402
from bot.config import load_config  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"


def load(name: str) -> list[dict]:
    return YAML(typ="safe").load((DATA / name).read_text(encoding="utf-8"))["questions"]


def load_questions(name: str) -> tuple[list[dict], list[dict]]:
    """The questions to score and the off-topic ones: heldout.yaml with offtopic.yaml, or any
    other file in bench/data whose `id: null` questions are its off-topic ones."""
    if name == "heldout.yaml":
        return load("heldout.yaml"), load("offtopic.yaml")
    questions = load(name)
    return [q for q in questions if q["id"] is not None], [q for q in questions if q["id"] is None]


def smoke_sample(covered: list[dict], offtopic: list[dict]) -> tuple[list[dict], list[dict]]:
    """The few questions `--smoke` scores: every 50th answerable one, every 40th off-topic."""
    return covered[::50], offtopic[::40]


def _accepted(q: dict) -> set[str]:
    """The entries that answer a held-out question (none: the knowledge base has no answer)."""
    return {q["id"], *(q.get("also") or [])} - {None}


def _in_language(a, lang: str) -> bool:
    """Whether the answer's text is in the asker's language (not the source with a note)."""
    return a.language == lang and a.text_source in ("original", "curated", "machine")


def evaluate(
    answerer, heldout: list[dict], offtopic: list[dict], took: list[float] | None = None
) -> tuple[list, list]:
    """Per language and question set (`authors`, `users`, and both): answered right, wrong,
    helpful (answered right, the right entry among the suggestions, or a question the
    knowledge base cannot answer left to staff), the share of right answers in the asker's
    language; and off-topic questions held back."""
    per: dict[tuple[str, str], dict] = defaultdict(lambda: defaultdict(int))
    misses = []
    took = took if took is not None else []
    for q in heldout:
        a = answerer.ask(q["text"])
        took.append(a.took_ms)
        accepted = _accepted(q)
        # A message asking several things gets an answer per part (Answer.parts): right when
        # one of its answers is an accepted entry, wrong when none is, and counted apart
        # when an answer beside the right one is not among the labels (`answered_extra`).
        given = (
            {x.id for x in (a, *a.parts) if x.status == "answered"}
            if a.status == "answered"
            else set()
        )
        right = bool(given & accepted)
        wrong = bool(given) and not right
        offered = {s.id for x in (a, *a.parts) for s in x.suggestions}
        suggested = not given and bool(accepted & offered)
        held = not accepted and a.status != "answered"
        see_also = wrong and bool(accepted & {r.id for r in a.related})
        ranked = answerer.matcher.scores(q["text"], limit=1)
        for key in ((q["lang"], q.get("set", "authors")), (q["lang"], "all")):
            row = per[key]
            row["questions"] += 1
            row["covered"] += bool(accepted)
            row["answered_right"] += right
            row["answered_wrong"] += wrong
            row["answered_several"] += len(given) > 1
            row["answered_extra"] += right and bool(given - accepted)
            row["wrong_see_also"] += see_also
            row["in_suggestions"] += suggested
            row["helpful"] += right or suggested or held
            row["right_in_language"] += right and _in_language(a, q["lang"])
            row["top1_ranked"] += bool(accepted) and bool(ranked) and ranked[0].entry_id in accepted
            row["detected_right"] += a.language == q["lang"]
        if not right:
            misses.append(
                {
                    "lang": q["lang"],
                    "set": q.get("set", "authors"),
                    "text": q["text"],
                    "expected": sorted(accepted) or None,
                    "status": a.status,
                    "got": sorted(given) or [s.id for s in a.suggestions],
                }
            )
    off: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for q in offtopic:
        a = answerer.ask(q["text"])
        took.append(a.took_ms)
        row = off[q["lang"]]
        row["questions"] += 1
        row["unanswered"] += a.status in ("unanswered", "smalltalk")
        row["answered"] += a.status == "answered"
        if a.status != "unanswered":
            misses.append(
                {
                    "lang": q["lang"],
                    "set": "offtopic",
                    "text": q["text"],
                    "expected": None,
                    "status": a.status,
                    "got": a.id or [s.id for s in a.suggestions],
                }
            )
    rows = []
    for lang, qset in sorted(per, key=lambda k: (k[1] != "all", k[1], k[0])):
        r = per[lang, qset]
        n, covered = r["questions"], r["covered"] or 1
        o = off.get(lang, {"questions": 0, "unanswered": 0, "answered": 0})
        rows.append(
            {
                "set": qset,
                "lang": lang,
                "heldout": n,
                "answered_right": round(r["answered_right"] / n, 3),
                "answered_wrong": round(r["answered_wrong"] / n, 3),
                "wrong_see_also": round(r["wrong_see_also"] / n, 3),
                "answered_several": round(r["answered_several"] / n, 3),
                "answered_extra": round(r["answered_extra"] / n, 3),
                "helpful": round(r["helpful"] / n, 3),
                "right_in_suggest": round(r["in_suggestions"] / n, 3),
                "right_in_language": round(r["right_in_language"] / (r["answered_right"] or 1), 3),
                "top1_ranked": round(r["top1_ranked"] / covered, 3),
                "lang_detected": round(r["detected_right"] / n, 3),
                "offtopic": o["questions"] if qset == "all" else None,
                "offtopic_held_back": round(1 - o["answered"] / o["questions"], 3)
                if o["questions"] and qset == "all"
                else None,
            }
        )
    return rows, misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=None)
    parser.add_argument("--config", type=Path, default=ROOT / "config.toml")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    parser.add_argument(
        "--questions",
        default="heldout.yaml",
        help="questions file in bench/data (default heldout.yaml, the test set; "
        "validation.yaml for tuning)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=classifier.SEED,
        help=f"the classifier layers' training seed (default {classifier.SEED}, as shipped)",
    )
    parser.add_argument("--show-misses", action="store_true")
    add_smoke_option(parser)
    args = parser.parse_args()
    classifier.SEED = args.seed
    answerer = build_answerer(load_config(args.config), args.kb)
    heldout, offtopic = load_questions(args.questions)
    if args.smoke:
        heldout, offtopic = smoke_sample(heldout, offtopic)
    took: list[float] = []
    rows, misses = evaluate(answerer, heldout, offtopic, took)
    columns = list(rows[0]) if rows else []
    speed = summary_ms(took)
    text = table(rows, columns) + (
        f"\nper question (answering core, these questions): "
        f"median {speed['median_ms']} ms, p99 {speed['p99_ms']} ms, n {speed['n']}"
    )
    name = (
        "accuracy" if args.questions == "heldout.yaml" else f"accuracy-{Path(args.questions).stem}"
    )
    write_results(
        name,
        {
            "thresholds": vars(answerer.config.matching),
            "seed": args.seed,
            "rows": rows,
            "took_ms": speed,
            "misses": misses,
        },
        text,
        results_folder(args),
    )
    print(text)
    if args.show_misses:
        for m in misses:
            print(m)


if __name__ == "__main__":
    main()
