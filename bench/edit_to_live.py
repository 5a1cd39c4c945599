"""Edit to live: one entry changed, then the knowledge base reloaded, until the bot answers
from the new content; with the shipped knowledge base and with 1,000 entries.

The reload is what `/reload` and the staff console do: `build_answerer(previous=...)`,
which reuses the encoders, the embeddings of unchanged phrasings and the classifier layers
of the answerer it replaces. Measured in one process after a warm start, for several edits
(an alternate added each time, through the staff tools' editor); also a cold build for comparison.

Example: python bench/edit_to_live.py [--sizes 1000] [--edits 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ruamel.yaml import YAML  # noqa: E402

from bench.common import ROOT, add_smoke_option, results_folder, table, write_results  # noqa: E402
from bench.datasets import add_data_option, data_dir, slug  # noqa: E402
from bench.speed import corpus, knowledge  # noqa: E402
from bot import kbedit  # noqa: E402
from bot.answering import build_answerer  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.knowledge import load_knowledge  # noqa: E402
from bot.matching import ANSWERED  # noqa: E402

TOPIC_SIZE = 100  # entries per topic file, as a real knowledge base splits them


def write_topics(phrasings: dict[str, list[str]], folder: Path) -> Path:
    """The synthetic knowledge base as topic files of TOPIC_SIZE entries."""
    folder.mkdir(parents=True)
    items = list(phrasings.items())
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    for start in range(0, len(items), TOPIC_SIZE):
        entries = [
            {
                "id": slug(intent),
                "question": texts[0],
                "alternates": texts[1:],
                "answer": f"Answer for {intent}.",
                "tags": ["benchmark"],
                "links": [],
                "reviewed": "2026-11-26",
            }
            for intent, texts in items[start : start + TOPIC_SIZE]
        ]
        with open(folder / f"topic{start // TOPIC_SIZE:03d}.yaml", "w", encoding="utf-8") as f:
            yaml.dump({"entries": entries}, f)
    return folder


def edit(folder: Path, entry_id: str, n: int) -> str:
    """Add an alternate to `entry_id` through the staff tools' own editor (bot/kbedit.py, as
    `unanswered resolve` and the console do); return the new alternate."""
    alternate = f"staff added wording number {n} for {entry_id.replace('-', ' ')}"
    kb = load_knowledge(folder, "en")
    staged = kbedit.stage(folder, "en")
    staged.file_of(kb, entry_id).append_alternates(entry_id, None, [alternate])
    staged.commit()
    return alternate


def measure(config, kb_dir: Path, edits: int) -> dict:
    started = time.perf_counter()
    answerer = build_answerer(config, kb_dir)
    warm_start = time.perf_counter() - started
    ids = [e.id for e in answerer.kb.entries]
    times, answered = [], 0
    for n in range(edits):
        entry_id = ids[(n * 7919) % len(ids)]
        alternate = edit(kb_dir, entry_id, n)
        started = time.perf_counter()
        answerer = build_answerer(config, kb_dir, previous=answerer)
        times.append(time.perf_counter() - started)
        a = answerer.ask(alternate)
        answered += a.status == ANSWERED and a.id == entry_id
    return {
        "entries": len(ids),
        "phrasings": len(answerer.matcher.texts),
        "start_s": round(warm_start, 2),
        "edit_to_live_median_s": round(statistics.median(times), 2),
        "edit_to_live_max_s": round(max(times), 2),
        "edits": edits,
        "edited_wording_answered": f"{answered}/{edits}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_option(parser)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000])
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--config", type=Path, default=ROOT / "config.toml")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    add_smoke_option(parser)
    args = parser.parse_args()
    if args.smoke:  # the shipped knowledge base only, one edit
        args.sizes, args.edits = [], 1
    base = load_config(args.config)
    rows = []
    with tempfile.TemporaryDirectory(prefix="faqedit-") as tmp:
        tmp = Path(tmp)
        kbs = [("shipped", shutil.copytree(ROOT / "knowledge", tmp / "shipped"))]
        if args.sizes:
            texts = corpus(data_dir(args.data))
            for size in args.sizes:
                kbs.append((str(size), write_topics(knowledge(texts, size, 10), tmp / f"kb{size}")))
        for name, kb_dir in kbs:
            cache = tmp / f"cache-{name}"
            config = replace(base, knowledge=replace(base.knowledge, dir=kb_dir, cache_dir=cache))
            started = time.perf_counter()
            build_answerer(config, kb_dir)  # cold: fills the cache
            cold = time.perf_counter() - started
            rows.append(
                {"kb": name, "cold_start_s": round(cold, 1), **measure(config, kb_dir, args.edits)}
            )
            print(table(rows[-1:], list(rows[-1])), flush=True)
    columns = list(rows[0])
    text = table(rows, columns)
    write_results(
        "edit_to_live",
        {"second_encoder": base.matching.second_encoder, "rows": rows},
        text,
        results_folder(args),
    )
    print(text)


if __name__ == "__main__":
    main()
