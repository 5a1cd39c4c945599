"""Shared helpers for the benchmarks: machine facts, result files, readable tables."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent


def machine() -> dict:
    return {
        "date": dt.date.today().isoformat(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "system": platform.system(),
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary_ms(values: list[float]) -> dict:
    return {
        "median_ms": round(statistics.median(values), 3),
        "p99_ms": round(percentile(values, 99), 3),
        "n": len(values),
    }


def table(rows: list[dict], columns: list[str]) -> str:
    widths = {c: max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns)]
    lines.append("  ".join("-" * widths[c] for c in columns))
    for r in rows:
        lines.append("  ".join(_fmt(r.get(c)).ljust(widths[c]) for c in columns))
    return "\n".join(lines)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return "" if value is None else str(value)


def write_results(name: str, data: dict, text: str, out: Path | None = None) -> Path:
    """Write `<name>.json` (with machine and date) and `<name>.md` (the readable table)."""
    folder = out or RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    data = {"benchmark": name, "machine": machine(), **data}
    (folder / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    md = f"# {name}\n\n{machine()}\n\n```\n{text}\n```\n"
    (folder / f"{name}.md").write_text(md)
    return folder / f"{name}.json"


SMOKE_HELP = (
    "run once at a tiny size to check that the benchmark still works (tests/test_bench.py); "
    "the figures mean nothing, and go to a temporary folder unless --out is given"
)


def add_smoke_option(parser) -> None:
    """`--smoke`: every benchmark takes it (tests/test_bench.py runs each one with it)."""
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)


def results_folder(args) -> Path | None:
    """Where results go: --out; a smoke run never overwrites the committed results."""
    if args.out is None and getattr(args, "smoke", False):
        return Path(tempfile.mkdtemp(prefix="faqbench-smoke-"))
    return args.out


def run_child(code: str, *args: str) -> dict:
    """Run `code` in a fresh Python process (start-up and memory measured from nothing) with
    `args`; its last line of output is JSON, returned."""
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return json.loads(proc.stdout.splitlines()[-1])
