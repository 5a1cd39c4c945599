"""A real-size Argos Translate package with random weights, and its speed through argostranslate.

``build_real_size_package(dest_dir)`` writes an ``.argosmodel`` with the shape of a real Argos
model: Transformer 6 + 6 layers, d_model 512, 8 heads, FFN 2048, a shared 32,000-piece
SentencePiece vocabulary, converted by ``ctranslate2.converters.MarianConverter`` with
``quantization="int8"``, plus the rule-based MiniSBD splitter of ``tests/argos_packages.py``.

The weights are random (normal, std 0.02) except for a copy path, so that the output is as long
as the input, as with a real model: with purely random weights (``copy=False``) the decoder
rarely emits ``</s>`` and runs to CTranslate2's default ``max_decoding_length`` of 256 pieces
for every sentence, which measures nothing useful. The copy path is the trick of
``tests/argos_packages.py`` at full size: positions and 256-dim +-1 token codes in the
residual stream, four heads of decoder layer 1's cross-attention attend source position t and
copy the code, and the output layer scores pieces by their code. Every other weight is random
and every matrix is multiplied as usual; only the output projections of the random parts
(attention ``Wo``, FFN ``W2``) are tiny (std 1e-4, not zero: CTranslate2 stores identical
arrays once, which would understate the size), so that they do not disturb the copy. The
compute per token and the size on disk are those of a real model of this shape.

The SentencePiece model is built programmatically (no training; < 1 s): specials, 256 byte
pieces, the characters and the ~10k most frequent words of the project's knowledge base and
benchmark phrasings (``knowledge/*.yaml``, ``bench/data/*.yaml``) as whole-word pieces, then
generated syllables up to 32,000 pieces; the normaliser (``nmt_nfkc``) is copied from a tiny
trained model. English FAQ sentences come out at roughly one piece per word, like a real
32k vocabulary.

``translation_speed(package, sentences, beam_size)`` installs the package into a temporary
packages directory (restoring argostranslate's settings afterwards) and translates the sentences
one by one with ``argostranslate.translate.translate`` after setting ``settings.beam_size``
(argostranslate translates with ``beam_size=max(num_hypotheses, settings.beam_size)``;
``translate()`` asks for one hypothesis). Returns sentences per second and details.

Run: ``python bench/argos_model.py [--n 10] [--dir DIR]`` (builds once per DIR, then times
beam 4 and greedy). No result files are written: these numbers are indicative only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.argos_packages import (  # noqa: E402
    RuleSentencizer,
    _metadata,
    _train_sentencepiece,
    _write_zip,
    sbd_onnx_bytes,
    write_marian_npz,
    write_marian_vocab,
)

VOCAB_SIZE = 32000
D_MODEL = 512
HEADS = 8
FFN = 2048
LAYERS = 6
N_FREQ = 16
POS_DIMS = 4 * N_FREQ
CODE_DIM = 256
CODE_START = POS_DIMS
COPY_HEADS = CODE_DIM // (D_MODEL // HEADS)  # 4 heads of 64 dims carry the 256-dim code
MAX_POSITIONS = 1024
INIT_STD = 0.02
OUT_STD = 1e-4  # output projections of the random parts in copy mode: ~0, but not all equal
LOGIT_SCALE = 0.25

SAMPLE_SENTENCES = [
    "How do I open a corporate bank account for my company in Shanghai?",
    "Which documents does the bank need before it will accept the registered capital?",
    "Can a foreign employee open a personal account with only a passport and a work permit?",
    "What is the difference between a general taxpayer and a small-scale taxpayer for VAT?",
    "How long does it take to register a wholly foreign-owned enterprise in China?",
    "Do I need to pay social insurance for my foreign staff every month?",
    "Where can I apply for a work visa, and what should I bring to the appointment?",
    "Is it possible to pay salaries in US dollars instead of RMB from the company account?",
    "My landlord asked for a registration form; what is it and how do I get one?",
    "Which mobile payment apps accept foreign credit cards, and are there any limits?",
    "How can I send the profits of my company back to my home country legally?",
    "What happens if the annual report is filed after the deadline?",
]


# ============================================================================================
# SentencePiece, 32k pieces, programmatic
# ============================================================================================


def _corpus_words() -> Counter:
    counts: Counter = Counter()
    for path in sorted((ROOT / "knowledge").glob("*.yaml")) + sorted(
        (ROOT / "bench" / "data").glob("*.yaml")
    ):
        text = path.read_text(encoding="utf-8")
        counts.update(w for w in re.findall(r"[^\W\d_]+", text) if len(w) < 20)
    return counts


def build_sentencepiece_32k(vocab_size: int = VOCAB_SIZE) -> tuple[bytes, list[str]]:
    """A valid unigram SentencePiece model with exactly ``vocab_size`` pieces."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as sp_pb

    base_bytes, _ = _train_sentencepiece({})  # for its normaliser and trainer settings
    base = sp_pb.ModelProto.FromString(base_bytes)
    model = sp_pb.ModelProto()
    model.trainer_spec.CopyFrom(base.trainer_spec)
    model.normalizer_spec.CopyFrom(base.normalizer_spec)
    model.trainer_spec.vocab_size = vocab_size
    kind = sp_pb.ModelProto.SentencePiece

    pieces: list[tuple[str, float, int]] = [
        ("<unk>", 0.0, kind.UNKNOWN),
        ("<s>", 0.0, kind.CONTROL),
        ("</s>", 0.0, kind.CONTROL),
    ]
    pieces += [(f"<0x{b:02X}>", 0.0, kind.BYTE) for b in range(256)]
    seen = {p for p, _, _ in pieces}

    def add(piece: str, score: float) -> None:
        if piece not in seen and len(pieces) < vocab_size:
            seen.add(piece)
            pieces.append((piece, score, kind.NORMAL))

    words = _corpus_words()
    chars = Counter()
    for w, n in words.items():
        for ch in w:
            chars[ch] += n
    add("▁", -2.0)
    for ch in [chr(c) for c in range(33, 127)] + [c for c, _ in chars.most_common()]:
        add(ch, -12.0)
        add("▁" + ch, -12.5)
    for rank, (w, _) in enumerate(words.most_common(12000)):
        add("▁" + w, -6.0 - rank / 4000)
        if w[0].islower():
            add("▁" + w.capitalize(), -7.0 - rank / 4000)
    syllables = [a + b for a in "bcdfghjklmnprstvwyz" for b in "aeiouy"]
    for rank, s in enumerate(syllables + [s + c for s in syllables for c in "nrstlmdkg"]):
        add(s, -9.0 - rank / 2000)
        add("▁" + s, -9.5 - rank / 2000)
    for n_letters in (3, 4):  # fill: letter triples, then quadruples, with and without ▁
        for i in range(26**n_letters):
            if len(pieces) >= vocab_size:
                break
            letters = "".join(chr(97 + (i // 26**k) % 26) for k in reversed(range(n_letters)))
            add(letters, -11.0 - n_letters)
            add("▁" + letters, -11.5 - n_letters)
    for piece, score, typ in pieces:
        p = model.pieces.add()
        p.piece, p.score, p.type = piece, score, typ
    data = model.SerializeToString()
    sp = spm.SentencePieceProcessor(model_proto=data)
    assert sp.get_piece_size() == vocab_size
    sample = "How do I open a bank account? 你好 😀"
    assert sp.decode(sp.encode(sample)) == sample
    return data, [p.piece for p in model.pieces]


# ============================================================================================
# Weights
# ============================================================================================


def _positions() -> tuple[np.ndarray, float]:
    w = np.random.default_rng(39).uniform(0.05, np.pi, size=N_FREQ)
    t = np.arange(MAX_POSITIONS)[:, None] * w[None, :]
    table = np.zeros((MAX_POSITIONS, D_MODEL), dtype=np.float32)
    table[:, :N_FREQ], table[:, N_FREQ : 2 * N_FREQ] = np.cos(t), np.sin(t)
    table[:, 2 * N_FREQ : 3 * N_FREQ], table[:, 3 * N_FREQ : 4 * N_FREQ] = -np.cos(t), -np.sin(t)
    margin = float((N_FREQ - np.cos(np.outer(np.arange(1, MAX_POSITIONS), w)).sum(1)).min())
    return table, margin


def real_size_weights(vocab: int, *, copy: bool = True, seed: int = 0) -> dict[str, np.ndarray]:
    """Marian-named weights, 6 + 6 layers, d 512, 8 heads, FFN 2048 (see the docstring)."""
    rng = np.random.default_rng(seed)
    d, f32 = D_MODEL, np.float32

    def rand(*shape):
        return (rng.standard_normal(shape, dtype=f32) * INIT_STD).astype(f32)

    def small(*shape):
        return (rng.standard_normal(shape, dtype=f32) * OUT_STD).astype(f32)

    def zeros(*shape):
        return np.zeros(shape, dtype=f32)

    w: dict[str, np.ndarray] = {}
    codes = None
    if copy:
        base = np.array([1.0] * (CODE_DIM // 2) + [-1.0] * (CODE_DIM // 2), dtype=f32)
        codes = np.stack([rng.permutation(base) for _ in range(vocab)])
        eos = 2
        cross = codes @ codes[eos]
        cross[eos] = 0
        assert np.abs(cross).max() < CODE_DIM * 0.6  # nothing is mistaken for </s>
        emb = zeros(vocab, d)
        emb[:, CODE_START : CODE_START + CODE_DIM] = codes / np.sqrt(d)
        w["encoder_Wemb"] = emb
        w["decoder_Wemb"] = rand(vocab, d) * 0.05  # ~ zero: the decoder state is the position
        table, margin = _positions()
        w["Wpos"] = table
        full_std = np.sqrt((2 * N_FREQ + CODE_DIM) / d)
        pos_std = np.sqrt(2 * N_FREQ / d)
    else:
        w["encoder_Wemb"] = rand(vocab, d)
        w["decoder_Wemb"] = rand(vocab, d)
        full_std = pos_std = 1.0
        margin = 1.0

    def att(scope, out_zero: bool, std: float, q=None, k=None, v=None, o=None):
        mats = {
            "q": q if q is not None else rand(d, d),
            "k": k if k is not None else rand(d, d),
            "v": v if v is not None else rand(d, d),
            "o": o if o is not None else (small(d, d) if out_zero else rand(d, d)),
        }
        for s, m in mats.items():  # m is [out, in]; Marian stores [in, out]
            w[f"{scope}_W{s}"] = np.ascontiguousarray(m.T)
            w[f"{scope}_b{s}"] = zeros(1, d)
        w[f"{scope}_Wo_ln_scale"] = np.full((1, d), std, dtype=f32)
        w[f"{scope}_Wo_ln_bias"] = zeros(1, d)

    def ffn(scope, out_zero: bool, std: float):
        w[f"{scope}_W1"] = rand(d, FFN)
        w[f"{scope}_b1"] = zeros(1, FFN)
        w[f"{scope}_W2"] = small(FFN, d) if out_zero else rand(FFN, d)
        w[f"{scope}_b2"] = zeros(1, d)
        w[f"{scope}_ffn_ln_scale"] = np.full((1, d), std, dtype=f32)
        w[f"{scope}_ffn_ln_bias"] = zeros(1, d)

    for i in range(1, LAYERS + 1):
        att(f"encoder_l{i}_self", copy, full_std)
        ffn(f"encoder_l{i}_ffn", copy, full_std)
    for i in range(1, LAYERS + 1):
        att(f"decoder_l{i}_self", copy, pos_std if i == 1 else full_std)
        if copy and i == 1:
            dh = d // HEADS
            alpha = 40.0 * np.sqrt(dh) / margin
            q, k, v, o = rand(d, d), rand(d, d), rand(d, d), small(d, d)
            for h in range(COPY_HEADS):
                q[h * dh : (h + 1) * dh] = 0
                k[h * dh : (h + 1) * dh] = 0
                v[h * dh : (h + 1) * dh] = 0
                for j in range(2 * N_FREQ):  # cos and sin blocks
                    q[h * dh + j, j] = alpha
                    k[h * dh + j, j] = 1.0
                for j in range(dh):
                    v[h * dh + j, CODE_START + h * dh + j] = 1.0
                    o[CODE_START + h * dh + j, h * dh + j] = 1.0
            att(f"decoder_l{i}_context", True, full_std, q=q, k=k, v=v, o=o)
        else:
            att(f"decoder_l{i}_context", copy, full_std)
        ffn(f"decoder_l{i}_ffn", copy, full_std)
    if copy:
        out = zeros(vocab, d)
        out[:, CODE_START : CODE_START + CODE_DIM] = LOGIT_SCALE * codes
    else:
        out = rand(vocab, d)
    w["decoder_ff_logit_out_Wt"] = out
    w["decoder_ff_logit_out_b"] = zeros(1, vocab)
    return w


def _marian_config() -> dict:
    return {
        "type": "transformer",
        "enc-depth": LAYERS,
        "dec-depth": LAYERS,
        "transformer-heads": HEADS,
        "transformer-dim-ffn": FFN,
        "transformer-ffn-activation": "relu",
        "transformer-preprocess": "",
        "transformer-postprocess": "dan",
        "transformer-postprocess-emb": "d",
        "transformer-postprocess-top": "",
        "transformer-decoder-autoreg": "self-attention",
        "transformer-no-projection": False,
        "transformer-guided-alignment-layer": "last",
    }


# ============================================================================================
# Package
# ============================================================================================


def build_real_size_package(
    dest_dir: Path,
    from_code: str = "en",
    to_code: str = "xx",
    *,
    copy: bool = True,
    quantization: str = "int8",
    with_splitter: bool = True,
) -> Path:
    """Build ``dest_dir/translate-<from>_<to>-real_size[-random].argosmodel`` (see docstring).

    Returns the existing file if it is already there. Timings: ``last_build_info``.
    """
    from ctranslate2.converters import MarianConverter

    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    folder = f"translate-{from_code}_{to_code}-1_0"
    kind = "real_size" if copy else "real_size-random"
    out = dest_dir / f"translate-{from_code}_{to_code}-{kind}.argosmodel"
    if out.exists():
        return out
    t0 = time.perf_counter()
    sp_bytes, pieces = build_sentencepiece_32k()
    t_sp = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="argos-real-") as tmp:
        tmp_path = Path(tmp)
        write_marian_npz(
            tmp_path / "model.npz", real_size_weights(len(pieces), copy=copy), _marian_config()
        )
        write_marian_vocab(tmp_path / "vocab.yml", pieces)
        t_w = time.perf_counter()
        vocab = str(tmp_path / "vocab.yml")
        MarianConverter(str(tmp_path / "model.npz"), [vocab, vocab]).convert(
            str(tmp_path / "model"), quantization=quantization, force=True
        )
        (tmp_path / "model.npz").unlink()
        t_c = time.perf_counter()
        files = {
            "metadata.json": json.dumps(_metadata(from_code, to_code, "1.0"), indent=2).encode(),
            "README.md": b"Real-size random-weight test model (bench/argos_model.py).\n",
            "sentencepiece.model": sp_bytes,
        }
        for path in sorted((tmp_path / "model").rglob("*")):
            if path.is_file():
                files["model/" + path.relative_to(tmp_path / "model").as_posix()] = (
                    path.read_bytes()
                )
        if with_splitter:
            files["minisbd/sbd.onnx"] = sbd_onnx_bytes(from_code)
        model_bytes = sum(len(v) for k, v in files.items() if k.startswith("model/"))
        _write_zip(out, folder, files)
    t_z = time.perf_counter()
    last_build_info.clear()
    last_build_info.update(
        sentencepiece_s=round(t_sp - t0, 2),
        weights_s=round(t_w - t_sp, 2),
        convert_s=round(t_c - t_w, 2),
        zip_s=round(t_z - t_c, 2),
        total_s=round(t_z - t0, 2),
        model_dir_mb=round(model_bytes / 1e6, 1),
        package_mb=round(out.stat().st_size / 1e6, 1),
    )
    return out


last_build_info: dict = {}


# ============================================================================================
# Speed through argostranslate
# ============================================================================================


@contextlib.contextmanager
def argos_packages_dir(path: Path):
    """Point an already-imported argostranslate at ``path`` and restore it afterwards."""
    from argostranslate import sbd, settings, translate

    saved = (
        settings.package_data_dir,
        list(settings.package_dirs),
        list(translate.installed_translates),
        sbd.minisbd_models.cache_dir,
    )
    settings.package_data_dir = Path(path)
    settings.package_dirs[:] = [Path(path)]
    translate.installed_translates[:] = []
    sbd.minisbd_models.cache_dir = str(Path(path) / ".minisbd-cache")
    translate.get_installed_languages.cache_clear()
    try:
        yield
    finally:
        settings.package_data_dir = saved[0]
        settings.package_dirs[:] = saved[1]
        translate.installed_translates[:] = saved[2]
        sbd.minisbd_models.cache_dir = saved[3]
        translate.get_installed_languages.cache_clear()


def translation_speed(
    package: Path,
    sentences: list[str] | None = None,
    beam_size: int = 4,
    *,
    n: int = 10,
) -> dict:
    """Translate ``n`` sentences one by one through ``argostranslate.translate.translate``.

    The first call (model load + first sentence) is timed apart and not counted. A package
    without splitter data gets ``RuleSentencizer`` so that nothing is downloaded.
    """
    import argostranslate.package
    from argostranslate import settings, translate

    sentences = list(sentences or SAMPLE_SENTENCES)
    sentences = (sentences * (n // len(sentences) + 1))[:n]
    with tempfile.TemporaryDirectory(prefix="argos-speed-") as tmp, argos_packages_dir(Path(tmp)):
        argostranslate.package.install_from_path(Path(package))
        (pkg,) = argostranslate.package.get_installed_packages()
        trans = translate.get_translation_from_codes(pkg.from_code, pkg.to_code)
        if not (pkg.package_path / "minisbd").exists():
            from tests.argos_packages import make_offline

            make_offline(trans, RuleSentencizer)
        saved_beam = settings.beam_size
        settings.beam_size = beam_size
        try:
            t0 = time.perf_counter()
            trans.translate("Warm-up sentence.")
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            for s in sentences:
                trans.translate(s + " ")  # differs from the previous call: no cache hit
            elapsed = time.perf_counter() - t0
        finally:
            settings.beam_size = saved_beam
        src_tokens = [len(pkg.tokenizer.encode(s)) for s in sentences]
        last = trans.translate(sentences[0])
    return {
        "beam_size": beam_size,
        "n": len(sentences),
        "seconds": round(elapsed, 3),
        "sentences_per_second": round(len(sentences) / elapsed, 2),
        "ms_per_sentence": round(1000 * elapsed / len(sentences), 1),
        "first_call_s": round(first, 3),
        "mean_source_pieces": round(float(np.mean(src_tokens)), 1),
        "example": {"in": sentences[0], "out": last},
    }


def sentences_per_second(
    package: Path, sentences: list[str] | None = None, beam_size: int = 4, *, n: int = 10
) -> float:
    return translation_speed(package, sentences, beam_size, n=n)["sentences_per_second"]


def smoke_size() -> None:
    """One encoder and one decoder layer instead of six: the same code path, built fast."""
    global LAYERS
    LAYERS = 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10, help="sentences per beam size")
    parser.add_argument("--dir", type=Path, default=None, help="where to keep the package")
    parser.add_argument("--random", action="store_true", help="no copy path (decodes to 256)")
    parser.add_argument(
        "--smoke", action="store_true", help="one layer, one sentence per beam size: does it run?"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.n = 1
        smoke_size()
    tmp = None
    dest = args.dir
    if dest is None:
        tmp = tempfile.mkdtemp(prefix="argos-real-size-")
        dest = Path(tmp)
    try:
        t0 = time.perf_counter()
        pkg = build_real_size_package(dest, copy=not args.random)
        print(
            f"package {pkg} {pkg.stat().st_size / 1e6:.1f} MB, "
            f"built in {time.perf_counter() - t0:.1f} s {last_build_info}"
        )
        for beam in (4, 1):
            print(translation_speed(pkg, beam_size=beam, n=args.n))
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
