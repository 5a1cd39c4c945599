"""Machine translation costs, with a real-size Argos model (random weights, real shape).

The model: 6+6 layers, d=512, 32k vocabulary, int8 (bench/argos_model.py), which costs what
a real Argos model costs to run. Measured in one run:
- pre-translation throughput (sentences per second) through the project's own code path
  (MachineTranslator: segments, placeholders, sentence splitting), beam 4 and greedy;
- `Answerer.ask` reply time for a language whose answers are cached vs one that needs a live
  translation (ratio), and what the cached path adds over an English answer;
- resident memory with no model, one model and six models loaded (models load lazily, on a
  pair's first use).

Example: python bench/translation.py [--sentences 40]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import argos_model  # noqa: E402
from bench.argos_model import build_real_size_package  # noqa: E402
from bench.common import (  # noqa: E402
    ROOT,
    add_smoke_option,
    results_folder,
    run_child,
    summary_ms,
    table,
    write_results,
)
from bot.answering import build_answerer  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.knowledge import load_knowledge  # noqa: E402
from bot.storage import Storage  # noqa: E402
from bot.translation import MachineTranslator, split_sentences  # noqa: E402

LANGS = ["vi", "ru", "ar", "fr", "es", "ja"]  # vi first: no curated translation, no locale
ASKED = LANGS[0]  # added to [languages] supported for the ask timing


def clone_package(package: Path, folder: Path, to_code: str) -> Path:
    """The same model under another target code (loaded separately, like a real one)."""
    import zipfile

    out = folder / f"translate-en_{to_code}.argosmodel"
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            name = item.filename.replace("-en_xx-", f"-en_{to_code}-")
            if item.filename.endswith("metadata.json"):
                meta = json.loads(data)
                meta["to_code"] = to_code
                data = json.dumps(meta).encode()
            dst.writestr(name, data)
    return out


def throughput(translator: MachineTranslator, sentences: list[str], beam: int) -> dict:
    translator.beam_size = beam
    translator.translate("Warm-up sentence.", "en", "ru")
    started = time.perf_counter()
    for s in sentences:
        translator.translate(s, "en", "ru")
    seconds = time.perf_counter() - started
    return {
        "beam_size": beam,
        "sentences": len(sentences),
        "sentences_per_s": round(len(sentences) / seconds, 2),
        "ms_per_sentence": round(1000 * seconds / len(sentences), 1),
    }


MEMORY_CHILD = r"""
import sys, json
from pathlib import Path
from bot.translation import MachineTranslator
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
t = MachineTranslator(Path(sys.argv[1]), beam_size=1)
t.pairs()
out = {"0": rss()}
for i, lang in enumerate(sys.argv[2:], 1):
    t.translate("Open a bank account.", "en", lang)
    out[str(i)] = rss()
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=40)
    parser.add_argument("--entries", type=int, default=10, help="answers for the ask timing")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    add_smoke_option(parser)
    args = parser.parse_args()
    langs = LANGS[:1] if args.smoke else LANGS
    if args.smoke:
        args.sentences, args.entries = 2, 2
        argos_model.smoke_size()
    kb = load_knowledge(ROOT / "knowledge")
    sentences = [s for e in kb.entries for s in split_sentences(e.answer)][: args.sentences]
    with tempfile.TemporaryDirectory(prefix="faqtrans-") as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        package = build_real_size_package(tmp / "build", "en", "xx")
        build_s = time.perf_counter() - started
        models = tmp / "models"
        translator = MachineTranslator(models, beam_size=4)
        for lang in langs:
            translator.install_file(clone_package(package, tmp, lang))
        speed = [throughput(translator, sentences, beam) for beam in (4, 1)]

        # ask: cached vs live, and the cached path against English
        base = load_config(ROOT / "config.toml")
        config = replace(
            base,
            knowledge=replace(base.knowledge, cache_dir=tmp / "cache"),
            translation=replace(base.translation, packages_dir=models, beam_size=1),
            languages=replace(base.languages, supported=(*base.languages.supported, ASKED)),
            storage=replace(base.storage, database=tmp / "bot.db"),
        )
        questions = [e.question for e in kb.entries[: args.entries]]
        with Storage.open(config.storage.database) as storage:
            answerer = build_answerer(config, storage=storage, translator=translator)
            for q in questions:  # the same embedding work in every measured pass below
                answerer.ask(q, lang="en")
            english = [answerer.ask(q, lang="en").took_ms for q in questions]
            live = [answerer.ask(q, lang=ASKED, live=True).took_ms for q in questions]
            cached = [answerer.ask(q, lang=ASKED, live=True).took_ms for q in questions]
            assert all(answerer.ask(q, lang=ASKED).text_source == "machine" for q in questions)
        med = {
            k: statistics.median(v)
            for k, v in (("en", english), ("live", live), ("cached", cached))
        }
        ask = {
            "english": summary_ms(english),
            "language": ASKED,
            "live": summary_ms(live),
            "cached": summary_ms(cached),
            "live_to_cached_ratio": round(med["live"] / med["cached"], 1),
            "cached_minus_english_ms": round(med["cached"] - med["en"], 3),
        }

        rss = run_child(MEMORY_CHILD, str(models), *langs)
        memory = {
            "rss_mb_no_model": round(rss["0"], 1),
            "rss_mb_one_model": round(rss["1"], 1),
            "rss_mb_six_models": round(rss[str(len(langs))], 1),  # one in a smoke run
        }
        size_mb = round(
            sum(
                f.stat().st_size
                for f in (models / next(p.name for p in models.iterdir())).rglob("*")
                if f.is_file()
            )
            / 2**20,
            1,
        )
        shutil.rmtree(tmp / "build", ignore_errors=True)
    text = table(speed, ["beam_size", "sentences", "sentences_per_s", "ms_per_sentence"])
    text += "\n\n" + table(
        [
            {"path": "English (no translation)", **ask["english"]},
            {"path": f"{ASKED}, live translation", **ask["live"]},
            {"path": f"{ASKED}, cached translation", **ask["cached"]},
        ],
        ["path", "median_ms", "p99_ms", "n"],
    )
    text += (
        f"\nlive / cached: {ask['live_to_cached_ratio']}x; cached adds "
        f"{ask['cached_minus_english_ms']} ms over English\n\n"
    )
    text += table([memory], list(memory))
    text += f"\nmodel on disk: {size_mb} MB (built in {build_s:.1f} s)"
    write_results(
        "translation",
        {"throughput": speed, "ask": ask, "memory": memory, "model_mb": size_mb},
        text,
        results_folder(args),
    )
    print(text)


if __name__ == "__main__":
    main()
