"""Shared evaluation: an intent dataset as an FAQ, answered by the project's own pipeline."""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench import baselines
from bench.common import ROOT
from bench.datasets import Split, slug, write_kb
from bot.answering import Answerer
from bot.config import Config, load_config
from bot.encoder import Encoder, second_encoder
from bot.knowledge import load_knowledge
from bot.language import LanguageDetector
from bot.matching import Matcher


def pipeline(
    phrasings: dict[str, list[str]], workdir: Path, config_path: Path = ROOT / "config.toml"
) -> tuple[Answerer, float]:
    """Loader + matcher + answerer exactly as the bot builds them; and the build seconds."""
    base = load_config(config_path)
    kb_dir = write_kb(phrasings, workdir / "kb")
    # The datasets' questions are not about doing business in China, so the check that a
    # question is set in another country (bot/elsewhere.py) does not apply to them: "what
    # time is it in Germany" is a CLINC150 intent, not a question about the wrong country.
    config: Config = replace(
        base,
        knowledge=replace(base.knowledge, dir=kb_dir, cache_dir=workdir / "cache"),
        matching=replace(base.matching, hold_other_countries=False),
    )
    started = time.perf_counter()
    kb = load_knowledge(kb_dir, config.knowledge.language)
    matcher = Matcher(
        kb,
        config.matching,
        Encoder(),
        config.knowledge.cache_dir,
        second=second_encoder(config.matching.second_encoder, config.matching.second_threads),
    )
    answerer = Answerer(kb, matcher, LanguageDetector(config.languages.supported), config)
    return answerer, time.perf_counter() - started


def run_pipeline(answerer: Answerer, split: Split) -> list[dict]:
    """Per query: the expected id, the ranked top 3 and the bot's outcome."""
    rows = []
    for text, label in zip(split.texts, split.labels, strict=True):
        answer = answerer.ask(text)
        ranked = answerer.matcher.scores(text, limit=3)
        rows.append(
            {
                "expected": slug(label) if label else None,
                "ranked": ranked,
                "status": answer.status,
                "id": answer.id,
                # More answers beside the first (a pair, Matcher._pair; or a message's parts).
                "also": [p.id for p in answer.parts if p.id],
                "suggested": [s.id for s in answer.suggestions],
            }
        )
    return rows


def pipeline_figures(rows: list[dict]) -> dict:
    n = len(rows)
    inscope = [r for r in rows if r["expected"]]
    oos = [r for r in rows if not r["expected"]]
    out = {}
    if inscope:
        m = len(inscope)
        out.update(
            {
                "queries": m,
                "top1": sum(
                    r["ranked"] and r["ranked"][0].entry_id == r["expected"] for r in inscope
                )
                / m,
                "top3": sum(r["expected"] in [c.entry_id for c in r["ranked"]] for r in inscope)
                / m,
                "answered_correct": sum(
                    r["status"] == "answered" and r["id"] == r["expected"] for r in inscope
                )
                / m,
                "answered_wrong": sum(
                    r["status"] == "answered" and r["id"] != r["expected"] for r in inscope
                )
                / m,
                # Answers are scored by the first: these are given more than one, and
                # those whose first is wrong but a later one right (counted wrong above).
                "answered_several": sum(
                    r["status"] == "answered" and bool(r.get("also")) for r in inscope
                )
                / m,
                "right_not_first": sum(
                    r["status"] == "answered"
                    and r["id"] != r["expected"]
                    and r["expected"] in r.get("also", ())
                    for r in inscope
                )
                / m,
                "in_suggestions": sum(
                    r["status"] == "suggest" and r["expected"] in r["suggested"] for r in inscope
                )
                / m,
                "unanswered": sum(r["status"] in ("unanswered", "smalltalk") for r in inscope) / m,
            }
        )
    if oos:
        k = len(oos)
        out.update(
            {
                "oos_queries": k,
                "oos_not_answered": sum(r["status"] != "answered" for r in oos) / k,
                "oos_unanswered": sum(r["status"] in ("unanswered", "smalltalk") for r in oos) / k,
                "oos_suggest": sum(r["status"] == "suggest" for r in oos) / k,
            }
        )
    assert n == len(inscope) + len(oos)
    return {key: round(v, 4) if isinstance(v, float) else v for key, v in out.items()}


BASELINES = {
    "rapidfuzz WRatio nearest phrasing": baselines.wratio,
    "rapidfuzz token_sort_ratio nearest phrasing": baselines.token_sort,
    "BM25 (bm25s) nearest phrasing": baselines.bm25,
    "thefuzz process.extractOne": baselines.thefuzz_extract_one,
    "difflib.get_close_matches": baselines.difflib_close,
}


def baseline_top1(
    phrasings: dict[str, list[str]], split: Split, encoder: Encoder, skip: tuple[str, ...] = ()
) -> list[dict]:
    pairs = [(t, slug(intent)) for intent, texts in phrasings.items() for t in texts]
    expected = [slug(label) for label in split.labels]
    rows = []
    methods = dict(BASELINES)
    methods["USE multilingual cosine nearest phrasing"] = lambda p, q: baselines.encoder_cosine(
        p, q, encoder
    )
    for name, method in methods.items():
        if any(s in name for s in skip):
            continue
        started = time.perf_counter()
        try:
            got = method(pairs, split.texts)
        except ModuleNotFoundError as exc:  # bm25s, thefuzz: the `bench` extra
            rows.append({"method": f"{name} (not run: no {exc.name}; pip install '.[bench]')"})
            continue
        seconds = time.perf_counter() - started
        top1 = sum(g == e for g, e in zip(got, expected, strict=True)) / len(expected)
        rows.append({"method": name, "top1": round(top1, 4), "seconds": round(seconds, 2)})
    return rows


def temp_workdir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="faqbench-")
