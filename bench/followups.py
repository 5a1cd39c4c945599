"""Follow-ups: a message typed right after an answer, read with or without the question before.

Each conversation of `data/followups-validation.yaml` (for tuning) or `data/followups.yaml`
(the test set) is asked as a user would: the first message, then the second with what the
first was answered (`Answerer.ask(earlier=...)`, as Telegram, the web chat and the terminal
chat pass it), and the second again without it (as before follow-ups were read), in the same
run. Second messages an entry answers (kind `follow`: only makes sense after the first;
`new`: a new subject) are scored answered right / wrongly / helpful (right, or the right
entry among the suggestions); those none answers (thanks, complaints, off-topic, a question
the knowledge base has no answer for) are scored held back (not answered with an entry).
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
from bot.answering import Answer, build_answerer  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.matching import ANSWERED  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
MODES = ("alone", "follow")  # the second message without / with the first's answer


def load(name: str) -> list[dict]:
    return YAML(typ="safe").load((DATA / name).read_text(encoding="utf-8"))["conversations"]


def _accepted(c: dict) -> set[str]:
    return {c["id"], *(c.get("also") or [])} - {None}


def outcome(answer: Answer, accepted: set[str]) -> str:
    """right | wrong | suggested (the right entry offered) | missed, for an answerable
    message; held | answered for one no entry answers."""
    answered = answer.status == ANSWERED and answer.id is not None
    ids = {answer.id, *(p.id for p in answer.parts)} if answered else set()
    if not accepted:
        return "answered" if answered else "held"
    if answered:
        return "right" if ids & accepted else "wrong"
    return "suggested" if {s.id for s in answer.suggestions} & accepted else "missed"


def evaluate(answerer, conversations: list[dict], took: list[float]) -> tuple[list, list]:
    """Rows per language (and `all`) and mode; the conversations whose outcome differs."""
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    changed = []
    for c in conversations:
        first = answerer.ask(c["first"])
        results = {}
        for mode in MODES:
            earlier = first.earlier() if mode == "follow" else None
            second = answerer.ask(c["second"], recent=first.language, earlier=earlier)
            if mode == "follow":
                took.append(second.took_ms)
            results[mode] = (outcome(second, _accepted(c)), second.id)
            for lang in (c["lang"], "all"):
                counts[lang, mode][results[mode][0]] += 1
                counts[lang, mode]["kind_" + c["kind"]] += 1
        if results["alone"] != results["follow"]:
            changed.append({"lang": c["lang"], "first": c["first"], "second": c["second"],
                            "expected": c["id"], "alone": results["alone"],
                            "follow": results["follow"]})  # fmt: skip
    rows = []
    for (lang, mode), n in sorted(counts.items(), key=lambda kv: (kv[0][0] != "all", kv[0])):
        answerable = n["right"] + n["wrong"] + n["suggested"] + n["missed"]
        unanswerable = n["held"] + n["answered"]
        rows.append(
            {
                "lang": lang,
                "mode": mode,
                "answerable": answerable,
                "right": round(n["right"] / answerable, 3) if answerable else None,
                "wrong": round(n["wrong"] / answerable, 3) if answerable else None,
                "helpful": round((n["right"] + n["suggested"]) / answerable, 3)
                if answerable
                else None,
                "no_entry": unanswerable,
                "held_back": round(n["held"] / unanswerable, 3) if unanswerable else None,
            }
        )
    return rows, changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=None)
    parser.add_argument("--config", type=Path, default=ROOT / "config.toml")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    parser.add_argument(
        "--conversations",
        default="followups.yaml",
        help="conversations file in bench/data (default followups.yaml, the test set; "
        "followups-validation.yaml for tuning)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=classifier.SEED,
        help=f"the classifier layers' training seed (default {classifier.SEED}, as shipped)",
    )
    parser.add_argument("--show-changes", action="store_true", help="list what reading changed")
    add_smoke_option(parser)
    args = parser.parse_args()
    classifier.SEED = args.seed
    answerer = build_answerer(load_config(args.config), args.kb)
    conversations = load(args.conversations)
    if args.smoke:
        conversations = conversations[::24]
    took: list[float] = []
    rows, changed = evaluate(answerer, conversations, took)
    speed = summary_ms(took)
    text = table(rows, list(rows[0])) + (
        f"\nsecond message read as a follow-up (answering core): "
        f"median {speed['median_ms']} ms, p99 {speed['p99_ms']} ms, n {speed['n']}"
    )
    write_results(
        f"followups-{Path(args.conversations).stem}".replace("followups-followups", "followups"),
        {"seed": args.seed, "rows": rows, "took_ms": speed, "changed": changed},
        text,
        results_folder(args),
    )
    print(text)
    if args.show_changes:
        for c in changed:
            print(c)


if __name__ == "__main__":
    main()
