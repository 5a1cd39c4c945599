"""Public intent datasets as FAQ knowledge bases, written in the project's own YAML format.

Each intent becomes one entry whose phrasings are K training queries sampled with a fixed
seed; the files are loaded by the project's own loader (bot.knowledge), as staff files are.
The data folder comes from --data, else $FAQ_BENCH_DATA, else ../shared/datasets beside the
checkout; nothing is copied into the repository.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ruamel.yaml import YAML

from bench.common import ROOT

DEFAULT_DATA = ROOT.parent / "shared" / "datasets"


def add_data_option(parser: argparse.ArgumentParser) -> None:
    """The `--data DIR` option every dataset benchmark takes (read with `data_dir`)."""
    parser.add_argument(
        "--data", help="datasets folder (default $FAQ_BENCH_DATA or ../shared/datasets)"
    )


def data_dir(option: str | None) -> Path:
    folder = Path(option or os.environ.get("FAQ_BENCH_DATA") or DEFAULT_DATA)
    if not folder.is_dir():
        raise SystemExit(f"no dataset folder at {folder}: pass --data DIR or set FAQ_BENCH_DATA")
    return folder


@dataclass(frozen=True)
class Split:
    texts: list[str]
    labels: list[str | None]  # None: out of scope


def banking77(folder: Path) -> tuple[Split, Split]:
    def read(name: str) -> Split:
        with open(folder / "banking77" / name, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        return Split([r["text"] for r in rows], [r["category"] for r in rows])

    return read("train.csv"), read("test.csv")


def clinc150(folder: Path) -> dict[str, Split]:
    data = json.loads((folder / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    out = {}
    for name in ("train", "val", "test"):
        out[name] = Split([t for t, _ in data[name]], [lab for _, lab in data[name]])
        oos = data[f"oos_{name}"]
        out[f"oos_{name}"] = Split([t for t, _ in oos], [None] * len(oos))
    return out


def sample(split: Split, k: int, seed: int) -> dict[str, list[str]]:
    """K phrasings per intent, drawn with `seed`; intents in sorted order."""
    rng = np.random.default_rng(seed)
    labels = np.array(split.labels)
    chosen = {}
    for intent in sorted(set(split.labels)):
        rows = np.flatnonzero(labels == intent)
        picks = rng.choice(rows, size=min(k, len(rows)), replace=False)
        chosen[intent] = [split.texts[i] for i in picks]
    return chosen


def slug(intent: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", intent.lower()).strip("-")


def write_kb(phrasings: dict[str, list[str]], folder: Path) -> Path:
    """One topic file with an entry per intent; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = [
        {
            "id": slug(intent),
            "question": texts[0],
            "alternates": texts[1:],
            "answer": f"Answer for {intent}.",
            "tags": ["benchmark"],
            "links": [],
            "reviewed": dt.date.today().isoformat(),
        }
        for intent, texts in phrasings.items()
    ]
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    with open(folder / "intents.yaml", "w", encoding="utf-8") as f:
        yaml.dump({"topic": "Benchmark intents", "entries": entries}, f)
    return folder
