"""Tiny but real-format Argos Translate packages, built on the fly for tests and benchmarks.

Not a test module: a helper imported by tests and benchmarks
(``from tests.argos_packages import build_package``). Note that argos-translate-lt also installs
a top-level package named ``tests`` into site-packages; the repository root must come first on
``sys.path`` (pytest's ``pythonpath = ["."]`` does that).

What a package is
-----------------
``build_package(dest_dir, "en", "xx", {"hello": "HOLA", "bank": "BANCO"})`` writes
``dest_dir/translate-en_xx-1_0-<hash>.argosmodel``: a zip holding one top-level folder
``translate-en_xx-1_0/`` (the folder name real Argos packages use, so installing two builds of
the same pair and version overwrites, as with real packages) with

* ``metadata.json`` -- ``package_version``, ``argos_version``, ``from_code``/``from_name``,
  ``to_code``/``to_name``, ``type: "translate"``, ``links: []``: what
  ``argostranslate.package.IPackage.load_metadata_from_json`` reads;
* ``README.md``;
* ``sentencepiece.model`` -- trained at build time with ``SentencePieceTrainer`` (unigram,
  ``byte_fallback=True``, default ``nmt_nfkc`` normaliser, like real Argos models) on lines made
  of the glossary words and ~160 common English words, punctuation and digits; then every
  glossary key and value is added to (or promoted in) the model proto as one whole piece
  ``"▁word"`` with score 0 so that the unigram segmentation always picks it;
* ``model/`` -- a CTranslate2 model (``config.json``, ``model.bin``, ``shared_vocabulary.json``)
  produced by the real ``ctranslate2.converters.MarianConverter`` from a Marian-style ``.npz``
  of hand-wired numpy weights (no PyTorch), float32;
* ``minisbd/sbd.onnx`` (only with ``with_splitter=True``) -- a rule-based sentence splitter in
  MiniSBD's ONNX format, see below.

How the model "translates"
--------------------------
A post-norm Transformer, 1 encoder + 1 decoder layer, d_model 128, 2 heads, whose weights are
set by hand (``_model_weights``):

* residual layout: dims 0-63 position (16 sinusoids, stored as cos, sin, -cos, -sin so every
  vector has mean 0), 64-123 a balanced +-1 code of the token (60 dims, pairwise dot product
  <= 44, checked), 124-125 a "word continuation" flag (+1 when the piece continues a word:
  no ``▁`` and starts with a letter/digit that is not CJK; for a byte-fallback piece, its
  first UTF-8 byte is an ASCII letter/digit or starts a character below U+2000). Every vector
  therefore has mean 0 and a fixed norm, so each LayerNorm is an exact identity (gamma = the
  known standard deviation).
* The encoder layer is the identity (zero attention and FFN outputs). The decoder embeddings
  are zero, so the decoder state at step t is just position t.
* Cross-attention head 1 attends source position t (query = position t, scaled so that the
  softmax is one-hot: every other position scores >= 40 lower, checked for 1,024 positions)
  and copies the token code; head 2 attends position t + 1 (query rotated by one step) and
  copies that token's continuation flag.
* The decoder FFN has one ReLU unit per glossary entry: it fires when the copied code is that
  key AND the next source piece does not continue the word, and swaps the key's code for the
  value's. The output layer scores every vocabulary piece by dot product with the code
  (margin >= 24 nats between the right piece and any other).
* CTranslate2 appends ``</s>`` to the source (Marian ``add_source_eos``); copying it ends the
  output. So output piece t = glossary(source piece t), or a copy of it.

Result, through the real ``argostranslate`` code path (``translate.translate``, beam 4,
``replace_unknowns=True``): every glossary key that SentencePiece keeps as one whole-word piece is
replaced by its value, everything else is copied piece by piece (bytes included, so any Unicode
text comes back unchanged after NFKC). ``"hello, my bank."`` -> ``"HOLA, my BANCO."``.
Reverse packages (``{"HOLA": "hello"}``) and chains (zh -> en -> es) behave the same way.

Limits (all by construction; tests can rely on them):

* Case-sensitive, whole words only: ``"Hello"`` and ``"banking"`` are copied, not translated
  (``"banking"`` may be segmented ``▁bank`` + ``ing``; the continuation flag stops the swap).
  A key must start a SentencePiece word (follow a space or start the text): in ``"(hello"`` or
  ``"hello-bank"`` the ``hello`` / ``bank`` after the punctuation is copied; a key before
  punctuation is translated (``"hello-bank"`` -> ``"HOLA-bank"``, ``"bank."`` -> ``"BANCO."``).
  The same holds when the next character is outside the tiny vocabulary and below U+2000
  (``"bankü"``, ``"bankж"``); CJK punctuation and emoji after a key do not block it.
* Keys and values may contain spaces (``"bank account"`` becomes one piece), not ``_``:
  ``argostranslate.tokenizer.SentencePieceTokenizer.decode`` turns every ``_`` into a space.
  So does any copied text: ``"x_y"`` comes back as ``"x y"``; this is the library's behaviour.
* Keys containing CJK characters are also added without ``▁`` and ignore the continuation flag
  (Chinese has no spaces): ``"我的银行"`` with ``{"银行": "bank"}`` gives ``"我的 bank"``.
* Text is NFKC-normalised and runs of spaces collapsed by SentencePiece (``"Ｈ"`` -> ``"H"``,
  ``"，"`` -> ``","``), exactly as real Argos models do.
* At most 1,024 source pieces per sentence (position table). CTranslate2 stops at 256 output
  pieces by default (``max_decoding_length``), which argostranslate does not change: a longer
  sentence is silently cut (real models too). Unknown words are cut into characters or bytes,
  so a sentence of unknown words is long in pieces.
* The ``hypotheses`` scores are meaningful only for the best hypothesis.

The sentence splitter
---------------------
argos-translate-lt 1.12.1 splits every paragraph with ``argostranslate.sbd.MiniSBDSentencizer``
(the default, ``ARGOS_CHUNK_TYPE`` unset). Its ``__init__`` looks for any ``*.onnx`` file in
``<package>/minisbd/``; if there is one, ``minisbd.SBDetect`` loads that path and nothing is
downloaded. Otherwise it asks ``minisbd.models.get_model_file(<lang>.onnx)``, which downloads
``https://github.com/LibreTranslate/MiniSBD/releases/download/v0.0.1/<lang>.onnx`` with
``urllib.request.urlretrieve`` into ``argostranslate.sbd.minisbd_models.cache_dir``
(``$XDG_DATA_HOME/argos-translate/minisbd``) the first time a sentence is split -- at
translate time, not at install time. The real MiniSBD models cannot be fetched here, so
``build_sbd_onnx`` writes a MiniSBD-compatible ONNX graph (inputs ``units`` int64 [B, N],
``features`` float [B, N, 0]; output logits [B, N, 5]; metadata ``lang_code``, ``config``,
``vocab``, ``lexicon``) that implements a rule: a sentence ends after ``. ! ? …`` followed by a
space or the end of the text, and after ``。 ！ ？``. The protobuf is written by hand
(``_pb_*``), so no ``onnx`` package is needed; ``onnxruntime`` comes with ``minisbd``.
``RuleSentencizer`` is the same rule in Python, for packages that ship no splitter data (see
``make_offline``).

The library offers no offline switch: ``ARGOS_CHUNK_TYPE=NONE`` makes
``PackageTranslation.__init__`` raise ``NotImplementedError``, which ``get_installed_languages``
catches, so every package is silently skipped (no languages); ``STANZA`` and ``SPACY`` raise
``RuntimeError`` (not installed with argos-translate-lt); ``MINISBD`` is the default's behaviour.
Offline-safe ways, each shown in ``tests/test_argos_packages.py``: ship ``minisbd/*.onnx`` in the
package; or ``make_offline(translation)`` after ``get_installed_languages()`` (replaces the
sentencizer of the cached ``PackageTranslation`` objects); or put an ONNX model at
``minisbd_models.cache_dir/<lang>.onnx`` (``en.onnx`` for codes MiniSBD lacks, ``zh-hans.onnx``
for ``zh``); or call ``argostranslate.translate.apply_packaged_translation(pkg, text,
ctranslate2_translator, RuleSentencizer(pkg), num_hypotheses)`` yourself.

Caching
-------
``build_package`` names its output after a hash of its arguments and returns an existing file
unchanged, so giving it a session-scoped directory caches packages for the session:
``argos_package_factory`` is such a fixture (import it into a test module or conftest to use
it, or wrap ``PackageFactory`` in a local session fixture as ``tests/test_argos_packages.py``
does). Building one package takes ~0.2 s; installing and loading it a few milliseconds.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

BUILDER_VERSION = "1"  # bump when the output of build_package changes

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "ru": "Russian",
    "zh": "Chinese",
    "zt": "Chinese (traditional)",
    "ar": "Arabic",
    "ja": "Japanese",
    "ko": "Korean",
    "pt": "Portuguese",
    "it": "Italian",
    "tr": "Turkish",
    "xx": "Test language",
}

COMMON_WORDS = (
    "the be to of and a in that have I it for not on with he as you do at this but his by from "
    "they we say her she or an will my one all would there their what so up out if about who get "
    "which go me when make can like time no just him know take people into year your good some "
    "could them see other than then now look only come its over think also back after use two how "
    "our work first well way even new want because any these give day most us is are was were "
    "has had been open account bank card money pay help please thank thanks yes where why need "
    "visa work permit tax office business company register document passport phone email "
    "address hello hi question answer here there today tomorrow week month price cost free "
    "long short many much more less very right wrong should must may might does did"
).split()

PUNCTUATION = list(".,;:!?'\"()[]{}-/&%$€@#*+=<>…—–«»“”‘’")

_CJK_RE = re.compile(
    "[\u1100-\u11ff\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]"
)

# --- model geometry -------------------------------------------------------------------------
D_MODEL = 128
N_HEADS = 2
N_FREQ = 16  # sinusoids for positions: dims [0, 4 * N_FREQ)
POS_DIMS = 4 * N_FREQ
CODE_DIM = 60  # balanced +-1 token codes: dims [64, 124)
CODE_START = POS_DIMS
FLAG_START = CODE_START + CODE_DIM  # [g, -g], g = +1 if the piece continues a word
MAX_POSITIONS = 1024
CODE_MAX_CROSS = CODE_DIM - 16  # max dot product between two different codes
ATTN_MARGIN = 40.0  # min score gap between the attended position and any other
LOGIT_SCALE = 1.5  # logit margin = LOGIT_SCALE * (CODE_DIM - CODE_MAX_CROSS) = 24
FFN_THRESHOLD = 8.0


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code.upper())


def is_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))


# ============================================================================================
# Public builders
# ============================================================================================


def build_package(
    dest_dir: Path,
    from_code: str,
    to_code: str,
    words: dict[str, str],
    *,
    with_splitter: bool = True,
    version: str = "1.0",
) -> Path:
    """Build (or reuse) a glossary "translator" package; return the ``.argosmodel`` path.

    ``words`` maps source words to target words (case-sensitive, whole words; spaces allowed,
    ``_`` and empty strings not). Unknown text is copied. See the module docstring.
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    glossary = _clean_glossary(words)
    key = json.dumps(
        [BUILDER_VERSION, from_code, to_code, sorted(glossary.items()), with_splitter, version],
        ensure_ascii=False,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    folder = f"translate-{from_code}_{to_code}-{version.replace('.', '_')}"
    out = dest_dir / f"{folder}-{digest}.argosmodel"
    if out.exists():
        return out

    sp_bytes, pieces = _train_sentencepiece(glossary)
    with tempfile.TemporaryDirectory(prefix="argos-build-") as tmp:
        tmp_path = Path(tmp)
        model_dir = tmp_path / "model"
        _convert_model(pieces, glossary, model_dir, tmp_path)
        files: dict[str, bytes] = {
            "metadata.json": json.dumps(
                _metadata(from_code, to_code, version), indent=2, ensure_ascii=False
            ).encode(),
            "README.md": _readme(from_code, to_code, glossary, with_splitter).encode(),
            "sentencepiece.model": sp_bytes,
        }
        for path in sorted(model_dir.rglob("*")):
            if path.is_file():
                files["model/" + path.relative_to(model_dir).as_posix()] = path.read_bytes()
        if with_splitter:
            files["minisbd/sbd.onnx"] = sbd_onnx_bytes(from_code)
        _write_zip(out, folder, files)
    return out


def build_corrupt_package(dest_dir: Path) -> Path:
    """A file named ``*.argosmodel`` that is not a zip archive."""
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    out = dest_dir / "translate-en_xx-corrupt.argosmodel"
    out.write_bytes(b"PK\x03\x04 this is not really a zip archive\n" + bytes(range(256)))
    return out


def build_wrong_package(dest_dir: Path, *, missing: str = "metadata.json") -> Path:
    """A valid zip with one top-level folder that lacks ``metadata.json`` or ``model``.

    ``missing="metadata.json"``: the folder has ``model/`` and ``sentencepiece.model`` but no
    metadata; once installed, ``argostranslate.package.get_installed_packages()`` (and so
    ``get_installed_languages()``) raises ``FileNotFoundError`` for every caller.
    ``missing="model"``: metadata and sentencepiece model but no ``model/``; the language pair
    is listed and fails only when translating (CTranslate2 ``RuntimeError``).
    """
    if missing not in ("metadata.json", "model"):
        raise ValueError("missing must be 'metadata.json' or 'model'")
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    tag = "nometa" if missing == "metadata.json" else "nomodel"
    folder = f"translate-en_xw-{tag}"
    files: dict[str, bytes] = {"README.md": b"A broken test package.\n"}
    if missing != "metadata.json":
        files["metadata.json"] = json.dumps(_metadata("en", "xw", "1.0")).encode()
        files["sentencepiece.model"] = _train_sentencepiece({})[0]
    else:
        files["model/config.json"] = b"{}"
        files["sentencepiece.model"] = _train_sentencepiece({})[0]
    out = dest_dir / f"{folder}.argosmodel"
    _write_zip(out, folder, files)
    return out


class PackageFactory:
    """Callable ``factory(from_code, to_code, words, **kw) -> Path`` over one cache directory."""

    def __init__(self, cache_dir: Path):
        self.cache_dir = Path(cache_dir)

    def __call__(self, from_code: str, to_code: str, words: dict[str, str], **kw) -> Path:
        return build_package(self.cache_dir, from_code, to_code, words, **kw)


try:  # the fixture is optional: the builders work without pytest (e.g. from bench/)
    import pytest

    @pytest.fixture(scope="session")
    def argos_package_factory(tmp_path_factory) -> PackageFactory:
        """Session-cached package builder: ``argos_package_factory("en", "xx", {...})``."""
        return PackageFactory(tmp_path_factory.mktemp("argos-packages"))

except ImportError:  # pragma: no cover
    pass


# ============================================================================================
# Offline sentence splitting (for packages without splitter data)
# ============================================================================================

_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])\s+|(?<=[。！？])\s*")


def split_sentences(text: str) -> list[str]:
    """The splitter rule of ``sbd_onnx_bytes`` in Python (no model, no network)."""
    parts = [p.strip() for p in _SENTENCE_END_RE.split(text)]
    return [p for p in parts if p] or ([text] if text else [""])


class RuleSentencizer:
    """Drop-in for ``argostranslate.sbd.ISentenceBoundaryDetectionModel`` (duck-typed):
    ``apply_packaged_translation`` only calls ``split_sentences``."""

    def __init__(self, pkg=None):
        self.pkg = pkg

    def split_sentences(self, text: str) -> list[str]:
        return split_sentences(text)

    def __str__(self):
        return "RuleSentencizer"


def make_offline(translation, sentencizer_factory: Callable = RuleSentencizer) -> int:
    """Give every ``PackageTranslation`` reachable from ``translation`` a local sentencizer.

    Walks ``CachedTranslation.underlying`` and ``CompositeTranslation.t1/t2`` (pivots). The
    objects are the library's process-wide cached ones (``translate.installed_translates``),
    so this lasts until the cache is rebuilt (``install_from_path``/``uninstall`` clear it).
    Returns how many sentencizers were replaced.
    """
    from argostranslate import translate as tr

    replaced = 0
    stack = [translation]
    seen: set[int] = set()
    while stack:
        t = stack.pop()
        if t is None or id(t) in seen:
            continue
        seen.add(id(t))
        if isinstance(t, tr.CachedTranslation):
            stack.append(t.underlying)
        elif isinstance(t, tr.CompositeTranslation):
            stack.extend([t.t1, t.t2])
        elif isinstance(t, tr.PackageTranslation):
            t.sentencizer = sentencizer_factory(t.pkg)
            replaced += 1
    return replaced


# ============================================================================================
# SentencePiece
# ============================================================================================


def _clean_glossary(words: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in words.items():
        k2 = " ".join(unicodedata.normalize("NFKC", k).split())
        v2 = " ".join(unicodedata.normalize("NFKC", v).split())
        if not k2 or not v2:
            raise ValueError(f"empty glossary entry {k!r}: {v!r}")
        if "_" in k2 + v2 or "▁" in k2 + v2:
            raise ValueError(f"'_' and '▁' are not allowed in glossary entries: {k!r}: {v!r}")
        out[k2] = v2
    return out


def _piece(word: str) -> str:
    return "▁" + word.replace(" ", "▁")


def _required_pieces(glossary: dict[str, str]) -> list[str]:
    req: list[str] = []
    for word in list(glossary) + list(glossary.values()):
        req.append(_piece(word))
        if is_cjk(word):
            req.append(word.replace(" ", "▁"))
    return list(dict.fromkeys(req))


def _train_sentencepiece(glossary: dict[str, str]) -> tuple[bytes, list[str]]:
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as sp_pb

    words = COMMON_WORDS + [w for kv in glossary.items() for w in kv]
    lines = []
    for i in range(0, len(COMMON_WORDS), 8):
        lines.append(" ".join(COMMON_WORDS[i : i + 8]) + " " + PUNCTUATION[i % len(PUNCTUATION)])
    lines.append(" ".join(PUNCTUATION) + " 0 1 2 3 4 5 6 7 8 9 10 2024 3.5 1,000")
    lines += [f"{k} {v} , {k} . {v} ?" for k, v in glossary.items()]
    lines += [w.capitalize() + " " + w + " ." for w in words[:60]]
    lines = lines * 3
    chars = set("".join(lines))
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=buf,
        model_type="unigram",
        vocab_size=259 + len(chars) + 200,
        hard_vocab_limit=False,
        byte_fallback=True,
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
    )
    proto = sp_pb.ModelProto.FromString(buf.getvalue())
    index = {p.piece: p for p in proto.pieces}
    for piece in _required_pieces(glossary):
        p = index.get(piece)
        if p is None:
            p = proto.pieces.add()
            p.piece = piece
            p.type = sp_pb.ModelProto.SentencePiece.NORMAL
            index[piece] = p
        p.score = 0.0
    data = proto.SerializeToString()
    sp = spm.SentencePieceProcessor(model_proto=data)
    for key in glossary:
        got = sp.encode(key, out_type=str)
        if got != [_piece(key)]:  # pragma: no cover - a builder bug, not a test failure
            raise RuntimeError(f"glossary key {key!r} is not one piece: {got}")
    return data, [p.piece for p in proto.pieces]


# ============================================================================================
# The hand-wired Transformer
# ============================================================================================


def _frequencies() -> np.ndarray:
    # 16 incommensurate frequencies; seed chosen so that sum_k cos(w_k * delta) stays
    # >= 8.6 below its peak (16) for every 1 <= delta < 1024.
    return np.random.default_rng(39).uniform(0.05, np.pi, size=N_FREQ)


def _position_table() -> np.ndarray:
    w = _frequencies()
    t = np.arange(MAX_POSITIONS)[:, None] * w[None, :]
    table = np.zeros((MAX_POSITIONS, D_MODEL), dtype=np.float32)
    table[:, 0:N_FREQ] = np.cos(t)
    table[:, N_FREQ : 2 * N_FREQ] = np.sin(t)
    table[:, 2 * N_FREQ : 3 * N_FREQ] = -np.cos(t)
    table[:, 3 * N_FREQ : 4 * N_FREQ] = -np.sin(t)
    return table


def _position_margin() -> float:
    w = _frequencies()
    deltas = np.arange(1, MAX_POSITIONS)
    return float((N_FREQ - np.cos(np.outer(deltas, w)).sum(1)).min())


def _token_codes(n: int) -> np.ndarray:
    rng = np.random.default_rng(20261101)
    base = np.array([1.0] * (CODE_DIM // 2) + [-1.0] * (CODE_DIM // 2), dtype=np.float32)
    codes = np.stack([rng.permutation(base) for _ in range(n)])
    for _ in range(1000):
        gram = codes @ codes.T
        np.fill_diagonal(gram, 0)
        bad = np.where(np.abs(gram).max(1) > CODE_MAX_CROSS)[0]
        if len(bad) == 0:
            return codes
        codes[bad[0]] = rng.permutation(base)
    raise RuntimeError("could not find separated token codes")  # pragma: no cover


def _continues_word(piece: str) -> bool:
    """Does this piece continue the word before it (so that word must not be swapped)?"""
    byte = re.fullmatch(r"<0x([0-9A-F]{2})>", piece)
    if byte:  # byte fallback: judge the character by its first UTF-8 byte
        b = int(byte.group(1), 16)
        if b < 0x80:
            return chr(b).isalnum()
        # 2-byte sequences (Latin, Greek, Cyrillic, Arabic, ...), U+0800-1FFF (Indic, Thai,
        # Vietnamese, ...) continue a word; U+2000+ (punctuation, CJK) and 4-byte (emoji) don't.
        return 0xC2 <= b <= 0xE1
    if piece.startswith("▁") or not piece or piece in ("<unk>", "<s>", "</s>"):
        return False
    return piece[0].isalnum() and not is_cjk(piece[0])


def _model_weights(pieces: list[str], glossary: dict[str, str]) -> dict[str, np.ndarray]:
    """Marian-named weights of the glossary copy model (see the module docstring)."""
    d = D_MODEL
    v = len(pieces)
    f32 = np.float32
    pid = {p: i for i, p in enumerate(pieces)}
    codes = _token_codes(v)
    flags = np.array([1.0 if _continues_word(p) else -1.0 for p in pieces], dtype=f32)

    # Source token vectors (the encoder scales embeddings by sqrt(d_model)).
    tok = np.zeros((v, d), dtype=f32)
    tok[:, CODE_START:FLAG_START] = codes
    tok[:, FLAG_START] = flags
    tok[:, FLAG_START + 1] = -flags
    enc_std = np.sqrt((2 * N_FREQ + CODE_DIM + 2) / d)  # |pos|^2 = 2*N_FREQ, |code|^2 = 60
    dec_self_std = np.sqrt(2 * N_FREQ / d)  # decoder input: position only

    w: dict[str, np.ndarray] = {}

    def put_att(scope: str, q, k, vv, o):
        for suffix, m in (("q", q), ("k", k), ("v", vv), ("o", o)):
            w[f"{scope}_W{suffix}"] = np.ascontiguousarray(m.T, dtype=f32)
            w[f"{scope}_b{suffix}"] = np.zeros((1, d), dtype=f32)

    def put_ln(name: str, std: float):
        w[f"{name}_ln_scale"] = np.full((1, d), std, dtype=f32)
        w[f"{name}_ln_bias"] = np.zeros((1, d), dtype=f32)

    def put_ffn(scope: str, w1, b1, w2, b2):  # w1: [ff, d], w2: [d, ff] (out x in)
        w[f"{scope}_W1"] = np.ascontiguousarray(w1.T, dtype=f32)
        w[f"{scope}_b1"] = b1.reshape(1, -1).astype(f32)
        w[f"{scope}_W2"] = np.ascontiguousarray(w2.T, dtype=f32)
        w[f"{scope}_b2"] = b2.reshape(1, -1).astype(f32)

    zero = np.zeros((d, d), dtype=f32)
    w["encoder_Wemb"] = tok / np.sqrt(d)
    w["decoder_Wemb"] = np.zeros((v, d), dtype=f32)
    w["Wpos"] = _position_table()

    # Encoder: identity layer.
    put_att("encoder_l1_self", zero, zero, zero, zero)
    put_ln("encoder_l1_self_Wo", enc_std)
    put_ffn("encoder_l1_ffn", np.zeros((1, d)), np.full(1, -1.0), np.zeros((d, 1)), np.zeros(d))
    put_ln("encoder_l1_ffn_ffn", enc_std)

    # Decoder self-attention: nothing (the state is the position only).
    put_att("decoder_l1_self", zero, zero, zero, zero)
    put_ln("decoder_l1_self_Wo", dec_self_std)

    # Cross-attention: head 1 -> source position t (token code), head 2 -> t + 1 (flag).
    dh = d // N_HEADS
    alpha = ATTN_MARGIN * np.sqrt(dh) / _position_margin()
    freq = _frequencies()
    cos_in = np.arange(0, N_FREQ)
    sin_in = np.arange(N_FREQ, 2 * N_FREQ)
    q = np.zeros((d, d), dtype=f32)
    k = np.zeros((d, d), dtype=f32)
    q[cos_in, cos_in] = alpha
    q[sin_in, sin_in] = alpha
    c, s = np.cos(freq), np.sin(freq)
    q[dh + cos_in, cos_in] = alpha * c  # cos(w(t+1)) = cos wt cos w - sin wt sin w
    q[dh + cos_in, sin_in] = -alpha * s
    q[dh + sin_in, cos_in] = alpha * s  # sin(w(t+1)) = sin wt cos w + cos wt sin w
    q[dh + sin_in, sin_in] = alpha * c
    k[cos_in, cos_in] = 1.0
    k[sin_in, sin_in] = 1.0
    k[dh + cos_in, cos_in] = 1.0
    k[dh + sin_in, sin_in] = 1.0
    vmat = np.zeros((d, d), dtype=f32)
    o = np.zeros((d, d), dtype=f32)
    code_idx = np.arange(CODE_DIM)
    vmat[code_idx, CODE_START + code_idx] = 1.0
    vmat[dh + 0, FLAG_START] = 1.0
    vmat[dh + 1, FLAG_START + 1] = 1.0
    o[CODE_START + code_idx, code_idx] = 1.0
    o[FLAG_START, dh + 0] = 1.0
    o[FLAG_START + 1, dh + 1] = 1.0
    put_att("decoder_l1_context", q, k, vmat, o)
    put_ln("decoder_l1_context_Wo", enc_std)

    # FFN: one unit per glossary entry swaps the key's code for the value's.
    entries: list[tuple[int, int, bool]] = []
    for key, value in glossary.items():
        for src in [_piece(key)] + ([key.replace(" ", "▁")] if is_cjk(key) else []):
            tgt = _piece(value) if src.startswith("▁") or not is_cjk(value) else value
            tgt = tgt if tgt in pid else _piece(value)
            if pid[src] != pid[tgt]:
                entries.append((pid[src], pid[tgt], is_cjk(key)))
    ff = max(1, len(entries))
    w1 = np.zeros((ff, d), dtype=f32)
    b1 = np.full(ff, -1.0, dtype=f32)
    w2 = np.zeros((d, ff), dtype=f32)
    for j, (src, tgt, cjk) in enumerate(entries):
        guard = 0.0 if cjk else 2 * FFN_THRESHOLD
        w1[j, CODE_START:FLAG_START] = codes[src]
        w1[j, FLAG_START] = -guard / 2
        w1[j, FLAG_START + 1] = guard / 2
        b1[j] = -(CODE_DIM - FFN_THRESHOLD) - guard / 2
        w2[CODE_START:FLAG_START, j] = (codes[tgt] - codes[src]) / FFN_THRESHOLD
    # src == key and no continuation: 60 - 52 + 8 - 8 = 8; continuation: -8; other key: <= -8.
    put_ffn("decoder_l1_ffn", w1, b1, w2, np.zeros(d, dtype=f32))
    put_ln("decoder_l1_ffn_ffn", enc_std)

    out = np.zeros((v, d), dtype=f32)
    out[:, CODE_START:FLAG_START] = LOGIT_SCALE * codes
    w["decoder_ff_logit_out_Wt"] = out
    w["decoder_ff_logit_out_b"] = np.zeros((1, v), dtype=f32)
    return w


MARIAN_CONFIG = {
    "type": "transformer",
    "enc-depth": 1,
    "dec-depth": 1,
    "transformer-heads": N_HEADS,
    "transformer-dim-ffn": 1,
    "transformer-ffn-activation": "relu",
    "transformer-preprocess": "",
    "transformer-postprocess": "dan",
    "transformer-postprocess-emb": "d",
    "transformer-postprocess-top": "",
    "transformer-decoder-autoreg": "self-attention",
    "transformer-no-projection": False,
    "transformer-guided-alignment-layer": "last",
    "tied-embeddings": False,
    "tied-embeddings-all": False,
}


def write_marian_npz(path: Path, weights: dict[str, np.ndarray], config: dict) -> None:
    """A Marian ``.npz`` (weights + ``special:model.yml``) as ``MarianConverter`` reads it."""
    import yaml

    blob = yaml.safe_dump(config).encode() + b"\0"
    arrays = dict(weights)
    arrays["special:model.yml"] = np.frombuffer(blob, dtype=np.int8)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def write_marian_vocab(path: Path, pieces: list[str]) -> None:
    """A Marian YAML vocabulary (``"piece": index`` lines, JSON-quoted)."""
    with open(path, "w", encoding="utf-8") as fh:
        for i, p in enumerate(pieces):
            if "\\x" in p:
                raise ValueError(f"piece {p!r} cannot be written to a Marian vocabulary")
            fh.write(f"{json.dumps(p, ensure_ascii=False)}: {i}\n")


def _convert_model(pieces: list[str], glossary: dict[str, str], model_dir: Path, tmp: Path) -> None:
    from ctranslate2.converters import MarianConverter
    from ctranslate2.converters.marian import load_vocab

    npz = tmp / "model.npz"
    vocab = tmp / "vocab.yml"
    write_marian_npz(npz, _model_weights(pieces, glossary), MARIAN_CONFIG)
    write_marian_vocab(vocab, pieces)
    if load_vocab(str(vocab)) != pieces:  # pragma: no cover - escaping bug
        raise RuntimeError("Marian vocabulary round trip failed")
    MarianConverter(str(npz), [str(vocab), str(vocab)]).convert(str(model_dir), force=True)


# ============================================================================================
# Package files
# ============================================================================================


def _metadata(from_code: str, to_code: str, version: str) -> dict:
    return {
        "package_version": version,
        "argos_version": "1.12",
        "from_code": from_code,
        "from_name": language_name(from_code),
        "to_code": to_code,
        "to_name": language_name(to_code),
        "type": "translate",
        "links": [],
    }


def _readme(from_code: str, to_code: str, glossary: dict[str, str], splitter: bool) -> str:
    lines = [
        f"# Test package {from_code} -> {to_code}",
        "",
        "Built by tests/argos_packages.py: a hand-wired glossary Transformer, not a real model.",
        f"Sentence splitter shipped: {'yes (minisbd/sbd.onnx, rule-based)' if splitter else 'no'}.",
        "",
        "Glossary:",
    ]
    lines += [f"- {k} -> {v}" for k, v in glossary.items()]
    return "\n".join(lines) + "\n"


def _write_zip(out: Path, folder: str, files: dict[str, bytes]) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, suffix=".part")
    os.close(fd)
    os.chmod(tmp_name, 0o644)
    try:
        with zipfile.ZipFile(tmp_name, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(folder + "/", b"")
            for name, data in files.items():
                zf.writestr(f"{folder}/{name}", data)
        os.replace(tmp_name, out)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


# ============================================================================================
# MiniSBD-compatible ONNX sentence splitter, protobuf written by hand
# ============================================================================================

SBD_STRONG = "。！？"  # always end a sentence
SBD_WEAK = ".!?…"  # end a sentence when followed by a space or the end of the text
SBD_CLOSERS = "\"')]}”’»」』"  # after a weak end, these keep the sentence open (a limit)


def _pb_varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _pb_int(field: int, n: int) -> bytes:
    return _pb_varint(field << 3) + _pb_varint(n)


def _pb_bytes(field: int, data: bytes | str) -> bytes:
    if isinstance(data, str):
        data = data.encode()
    return _pb_varint(field << 3 | 2) + _pb_varint(len(data)) + data


def _onnx_tensor(name: str, array: np.ndarray) -> bytes:
    dtype = {np.dtype(np.float32): 1, np.dtype(np.int64): 7}[array.dtype]
    out = b"".join(_pb_int(1, int(dim)) for dim in array.shape)
    return out + _pb_int(2, dtype) + _pb_bytes(8, name) + _pb_bytes(9, array.tobytes())


def _onnx_value_info(name: str, elem_type: int, dims: list[str | int]) -> bytes:
    shape = b""
    for dim in dims:
        shape += _pb_bytes(1, _pb_int(1, dim) if isinstance(dim, int) else _pb_bytes(2, dim))
    tensor_type = _pb_int(1, elem_type) + _pb_bytes(2, shape)
    return _pb_bytes(1, name) + _pb_bytes(2, _pb_bytes(1, tensor_type))


def _onnx_node(op: str, inputs: list[str], outputs: list[str], attrs: bytes = b"") -> bytes:
    out = b"".join(_pb_bytes(1, i) for i in inputs) + b"".join(_pb_bytes(2, o) for o in outputs)
    return out + _pb_bytes(3, f"{op}_{outputs[0]}") + _pb_bytes(4, op) + attrs


def _onnx_int_attr(name: str, value: int) -> bytes:
    return _pb_bytes(5, _pb_bytes(1, name) + _pb_int(3, value) + _pb_int(20, 2))


def sbd_tables() -> tuple[list[str], np.ndarray, np.ndarray]:
    """MiniSBD vocabulary and the two logit tables (current char, next char) of the rule."""
    units = ["<PAD>", "<UNK>", " "] + list(SBD_STRONG) + list(SBD_WEAK) + list(SBD_CLOSERS)
    n = len(units)
    # classes: 0 inside token, 1 token end, 2 sentence end, 3/4 MWT (never)
    cur = np.tile(np.array([0, 1, 0, -9, -9], dtype=np.float32), (n, 1))
    nxt = np.zeros((n, 5), dtype=np.float32)
    cur[0] = [1, 0, 0, -9, -9]
    for ch in SBD_STRONG:
        cur[units.index(ch), 2] = 4.0
    for ch in SBD_WEAK:
        cur[units.index(ch), 2] = 2.0
    nxt[1, 2] = -2.0  # next is a letter, digit or any other character
    for ch in SBD_WEAK + SBD_STRONG + SBD_CLOSERS:
        nxt[units.index(ch), 2] = -2.0
    return units, cur, nxt


def sbd_onnx_bytes(lang: str = "xx") -> bytes:
    """A MiniSBD model (``minisbd.SBDetect`` can load it) implementing the rule above."""
    units, cur, nxt = sbd_tables()
    nodes = [
        _onnx_node("Gather", ["cur_table", "units"], ["cur_logits"], _onnx_int_attr("axis", 0)),
        _onnx_node("Slice", ["units", "one", "big", "one"], ["units_next"]),
        _onnx_node("Pad", ["units_next", "pads", "pad_id"], ["units_next_padded"]),
        _onnx_node(
            "Gather",
            ["next_table", "units_next_padded"],
            ["next_logits"],
            _onnx_int_attr("axis", 0),
        ),
        _onnx_node("Add", ["cur_logits", "next_logits"], ["logits"]),
    ]
    inits = [
        _onnx_tensor("cur_table", cur),
        _onnx_tensor("next_table", nxt),
        _onnx_tensor("one", np.array([1], dtype=np.int64)),
        _onnx_tensor("big", np.array([2**62], dtype=np.int64)),
        _onnx_tensor("pads", np.array([0, 0, 0, 1], dtype=np.int64)),
        _onnx_tensor("pad_id", np.array(0, dtype=np.int64)),
    ]
    graph = b"".join(_pb_bytes(1, n) for n in nodes) + _pb_bytes(2, "rule_sbd")
    graph += b"".join(_pb_bytes(5, t) for t in inits)
    graph += _pb_bytes(11, _onnx_value_info("units", 7, ["batch", "seq"]))
    graph += _pb_bytes(11, _onnx_value_info("features", 1, ["batch", "seq", "feats"]))
    graph += _pb_bytes(12, _onnx_value_info("logits", 1, ["batch", "seq", 5]))
    vocab = {
        "lang": lang,
        "idx": 0,
        "cutoff": 0,
        "lower": False,
        "_unit2id": {u: i for i, u in enumerate(units)},
        "_id2unit": units,
    }
    config = {
        "skip_newline": False,
        "max_seqlen": 1000,
        "no_ssplit": False,
        "batch_size": 32,
        "feat_funcs": [],
        "use_dictionary": False,
        "num_dict_feat": 0,
    }
    meta = {
        "lang_code": lang,
        "config": json.dumps(config),
        "vocab": json.dumps(vocab),
        "lexicon": "null",
    }
    model = _pb_int(1, 8) + _pb_bytes(2, "tests/argos_packages.py") + _pb_bytes(7, graph)
    model += _pb_bytes(8, _pb_bytes(1, "") + _pb_int(2, 13))
    for k, val in meta.items():
        model += _pb_bytes(14, _pb_bytes(1, k) + _pb_bytes(2, val))
    return model


def build_sbd_onnx(path: Path, lang: str = "xx") -> Path:
    """Write ``sbd_onnx_bytes(lang)`` to ``path`` (e.g. to seed MiniSBD's download cache)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(sbd_onnx_bytes(lang))
    return path


__all__ = [
    "PackageFactory",
    "RuleSentencizer",
    "argos_package_factory",
    "build_corrupt_package",
    "build_package",
    "build_sbd_onnx",
    "build_wrong_package",
    "make_offline",
    "sbd_onnx_bytes",
    "split_sentences",
]
