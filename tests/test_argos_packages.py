"""The packages of tests/argos_packages.py are real Argos Translate packages.

They are installed with ``argostranslate.package.install_from_path`` and translated through
``argostranslate.translate`` (argos-translate-lt, the build without PyTorch), with sockets
blocked. The tests also pin down what the library does on its own about sentence splitting
and the network, and the offline-safe ways to call it.

Each test gets its own packages directory: ``ARGOS_PACKAGES_DIR`` is read once, when
``argostranslate.settings`` is imported, so in-process the fixture ``argos_dir`` repoints
``settings.package_data_dir`` / ``settings.package_dirs`` (where ``install_from_path`` extracts
and ``get_installed_packages`` looks), empties the library's process-wide translation cache
(``translate.installed_translates``, keyed by "from-to" only) and its ``lru_cache``, and moves
MiniSBD's download cache to an empty directory. ``test_env_var_in_subprocess`` checks the
documented environment variable in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from bot.environ import restored
from tests.argos_packages import (
    PackageFactory,
    RuleSentencizer,
    build_corrupt_package,
    build_package,
    build_sbd_onnx,
    build_wrong_package,
    make_offline,
    split_sentences,
)

pytest.importorskip("ctranslate2")
pytest.importorskip("minisbd")

EN_XX = {"hello": "HOLA", "bank": "BANCO", "bank account": "cuenta bancaria"}
XX_EN = {"HOLA": "hello", "BANCO": "bank"}
EN_ES = {"hello": "hola", "bank": "banco", "account": "cuenta"}
ZH_EN = {"你好": "hello", "银行": "bank", "账户": "account"}


@pytest.fixture(scope="session")
def make_package(tmp_path_factory) -> PackageFactory:
    """Packages built once per session: ``make_package("en", "xx", {...})``."""
    return PackageFactory(tmp_path_factory.mktemp("argos-packages"))


@pytest.fixture(scope="session")
def argos(tmp_path_factory):
    """The argostranslate modules. If this is the first import in the process, the library's
    data/config/cache directories (created at import) go to a temporary home."""
    if "argostranslate.settings" not in sys.modules:
        home = tmp_path_factory.mktemp("argos-home")
        with restored("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "ARGOS_PACKAGES_DIR"):
            os.environ.update(
                XDG_DATA_HOME=str(home / "data"),
                XDG_CONFIG_HOME=str(home / "config"),
                XDG_CACHE_HOME=str(home / "cache"),
                ARGOS_PACKAGES_DIR=str(home / "packages"),
            )
            import argostranslate.package  # noqa: F401
            import argostranslate.translate  # noqa: F401
    import argostranslate.package as package
    import argostranslate.sbd as sbd
    import argostranslate.settings as settings
    import argostranslate.translate as translate

    class NS:
        pass

    ns = NS()
    ns.package, ns.translate, ns.settings, ns.sbd = package, translate, settings, sbd
    return ns


@pytest.fixture
def argos_dir(argos, tmp_path, monkeypatch) -> Path:
    """A fresh, empty packages directory for this test (see the module docstring)."""
    packages = tmp_path / "packages"
    packages.mkdir()
    monkeypatch.setattr(argos.settings, "package_data_dir", packages)
    monkeypatch.setattr(argos.settings, "package_dirs", [packages])
    monkeypatch.setattr(argos.translate, "installed_translates", [])
    monkeypatch.setattr(argos.sbd.minisbd_models, "cache_dir", str(tmp_path / "minisbd-cache"))
    argos.translate.get_installed_languages.cache_clear()
    yield packages
    argos.translate.get_installed_languages.cache_clear()


@pytest.fixture
def no_network(monkeypatch) -> list:
    """Every attempt to resolve a name or open a socket raises OSError and is recorded."""
    attempts: list = []

    def refuse(name):
        def _refuse(*args, **kwargs):
            attempts.append((name, args[:2]))
            raise OSError(f"network blocked in tests: {name}{args[:2]}")

        return _refuse

    class BlockedSocket(socket.socket):
        def __init__(self, *args, **kwargs):
            attempts.append(("socket.socket", args[:2]))
            raise OSError("network blocked in tests: socket.socket")

    monkeypatch.setattr(socket, "socket", BlockedSocket)
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "gethostbyname", refuse("gethostbyname"))
    return attempts


def install(argos, *paths: Path) -> None:
    for p in paths:
        argos.package.install_from_path(p)


def package_translation(argos, from_code, to_code):
    """The library's PackageTranslation object behind a direct pair."""
    t = argos.translate.get_translation_from_codes(from_code, to_code)
    assert isinstance(t, argos.translate.CachedTranslation)
    assert isinstance(t.underlying, argos.translate.PackageTranslation)
    return t.underlying


# --- the files ------------------------------------------------------------------------------


def test_package_layout(make_package):
    path = make_package("en", "xx", EN_XX)
    assert path.suffix == ".argosmodel" and zipfile.is_zipfile(path)
    names = zipfile.ZipFile(path).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"translate-en_xx-1_0"}
    rel = {n.split("/", 1)[1] for n in names if not n.endswith("/")}
    assert {
        "metadata.json",
        "README.md",
        "sentencepiece.model",
        "model/model.bin",
        "model/config.json",
        "model/shared_vocabulary.json",
        "minisbd/sbd.onnx",
    } <= rel
    meta = json.loads(zipfile.ZipFile(path).read("translate-en_xx-1_0/metadata.json"))
    assert meta["from_code"] == "en" and meta["to_code"] == "xx"
    assert meta["package_version"] == "1.0" and meta["type"] == "translate"
    assert meta["from_name"] == "English"
    bare = make_package("en", "xx", EN_XX, with_splitter=False)
    assert not any("minisbd" in n for n in zipfile.ZipFile(bare).namelist())


def test_builds_are_cached_and_fast(tmp_path):
    start = time.perf_counter()
    first = build_package(tmp_path, "en", "yy", {"cat": "GATO"}, version="2.1")
    elapsed = time.perf_counter() - start
    assert first.name.startswith("translate-en_yy-2_1-")
    mtime = first.stat().st_mtime_ns
    assert build_package(tmp_path, "en", "yy", {"cat": "GATO"}, version="2.1") == first
    assert first.stat().st_mtime_ns == mtime
    assert build_package(tmp_path, "en", "yy", {"cat": "MIAU"}, version="2.1") != first
    assert elapsed < 5, elapsed


def test_glossary_validation(tmp_path):
    with pytest.raises(ValueError):
        build_package(tmp_path, "en", "xx", {"snake_case": "X"})
    with pytest.raises(ValueError):
        build_package(tmp_path, "en", "xx", {"": "X"})


# --- installing and translating -------------------------------------------------------------


def test_install_lists_languages_and_translates_exactly(argos, argos_dir, make_package):
    install(argos, make_package("en", "xx", EN_XX), make_package("xx", "en", XX_EN))
    assert sorted(p.name for p in argos_dir.iterdir()) == [
        "translate-en_xx-1_0",
        "translate-xx_en-1_0",
    ]
    pkgs = argos.package.get_installed_packages()
    assert sorted((p.from_code, p.to_code) for p in pkgs) == [("en", "xx"), ("xx", "en")]
    langs = argos.translate.get_installed_languages()
    assert [lang.code for lang in langs] == ["en", "xx"]  # English first, as the library sorts
    tr = argos.translate.translate
    assert tr("hello, my bank.", "en", "xx") == "HOLA, my BANCO."
    assert tr("my bank account", "en", "xx") == "my cuenta bancaria"
    assert tr("HOLA BANCO!", "xx", "en") == "hello bank!"
    # whole words, case-sensitive; everything else is copied (NFKC applies, like real models)
    assert tr("Hello banking 3.5 😀 bankü", "en", "xx") == "Hello banking 3.5 😀 bankü"
    # several sentences and paragraphs
    assert tr("hello bank. bank hello!\nhello", "en", "xx") == "HOLA BANCO. BANCO HOLA!\nHOLA"
    # the library's Language / hypotheses API
    en = argos.translate.get_language_from_code("en")
    xx = argos.translate.get_language_from_code("xx")
    hyps = en.get_translation(xx).hypotheses("hello bank", num_hypotheses=2)
    assert hyps[0].value == "HOLA BANCO" and hyps[0].score >= hyps[1].score
    # a round trip through both packages
    assert tr(tr("hello, bank", "en", "xx"), "xx", "en") == "hello, bank"


def test_pivot_through_english(argos, argos_dir, make_package):
    install(argos, make_package("en", "es", EN_ES), make_package("zh", "en", ZH_EN))
    codes = {(p.from_code, p.to_code) for p in argos.package.get_installed_packages()}
    assert ("zh", "es") not in codes
    t = argos.translate.get_translation_from_codes("zh", "es")
    assert isinstance(t, argos.translate.CompositeTranslation)
    assert (t.t1.from_lang.code, t.t1.to_lang.code, t.t2.to_lang.code) == ("zh", "en", "es")
    assert argos.translate.translate("你好 银行 账户", "zh", "en") == "hello bank account"
    assert argos.translate.translate("你好 银行 账户", "zh", "es") == "hola banco cuenta"
    # Chinese keys match without spaces; CJK punctuation is copied
    assert argos.translate.translate("我的银行。", "zh", "es") == "我的 banco。"


# --- the network ----------------------------------------------------------------------------


def test_no_socket_with_shipped_splitter(argos, argos_dir, make_package, no_network):
    install(argos, make_package("en", "xx", EN_XX), make_package("xx", "en", XX_EN))
    text = "hello. It costs 3.5 bank? Yes! hello"
    assert argos.translate.translate(text, "en", "xx") == "HOLA. It costs 3.5 BANCO? Yes! HOLA"
    assert argos.translate.translate("HOLA. BANCO", "xx", "en") == "hello. bank"
    pt = package_translation(argos, "en", "xx")
    assert isinstance(pt.sentencizer, argos.sbd.MiniSBDSentencizer)
    assert pt.sentencizer.lang == str(pt.pkg.package_path / "minisbd" / "sbd.onnx")
    assert pt.sentencizer.split_sentences(text) == ["hello.", "It costs 3.5 bank?", "Yes!", "hello"]
    assert no_network == []


def test_without_splitter_default_path_downloads(argos, argos_dir, make_package, no_network):
    """What the library does by default: MiniSBD fetches <lang>.onnx at the first split."""
    install(argos, make_package("en", "xx", EN_XX, with_splitter=False))
    langs = argos.translate.get_installed_languages()  # listing does not touch the network
    assert [lang.code for lang in langs] == ["en", "xx"] and no_network == []
    pt = package_translation(argos, "en", "xx")
    assert pt.sentencizer.lang == "en"
    with pytest.raises(OSError):  # urllib.error.URLError, from minisbd.models.get_model_file
        argos.translate.translate("hello bank", "en", "xx")
    # http.client -> socket.create_connection(("github.com", 443)): the MiniSBD release URL
    assert no_network[0] == ("create_connection", (("github.com", 443), no_network[0][1][1]))
    assert not any(Path(argos.sbd.minisbd_models.cache_dir).glob("*.onnx"))


def test_without_splitter_make_offline(argos, argos_dir, make_package, no_network):
    """Offline recipe 1: replace the sentencizer of every PackageTranslation in the chain."""
    install(
        argos,
        make_package("en", "es", EN_ES, with_splitter=False),
        make_package("zh", "en", ZH_EN, with_splitter=False),
    )
    t = argos.translate.get_translation_from_codes("zh", "es")
    assert make_offline(t) == 2
    assert t.translate("你好 银行。账户") == "hola banco。 cuenta"
    direct = argos.translate.get_translation_from_codes("en", "es")
    assert make_offline(direct) == 1  # the same cached object as t.t2: already offline
    assert argos.translate.translate("hello. bank!", "en", "es") == "hola. banco!"
    assert no_network == []


def test_without_splitter_seeded_minisbd_cache(argos, argos_dir, make_package, no_network):
    """Offline recipe 2: put a model where MiniSBD's downloader looks first."""
    install(argos, make_package("en", "xx", EN_XX, with_splitter=False))
    build_sbd_onnx(Path(argos.sbd.minisbd_models.cache_dir) / "en.onnx", "en")
    assert argos.translate.translate("hello. bank", "en", "xx") == "HOLA. BANCO"
    assert no_network == []


def test_apply_packaged_translation_directly(
    argos, argos_dir, make_package, monkeypatch, no_network
):
    """Offline recipe 3: the library's per-package function with our own splitter and
    CTranslate2 translator, greedy (the beam is max(num_hypotheses, settings.beam_size))."""
    import ctranslate2

    install(argos, make_package("en", "xx", EN_XX, with_splitter=False))
    (pkg,) = argos.package.get_installed_packages()
    translator = ctranslate2.Translator(str(pkg.package_path / "model"), device="cpu")
    monkeypatch.setattr(argos.settings, "beam_size", 1)
    hyps = argos.translate.apply_packaged_translation(
        pkg, "hello bank. my bank account", translator, RuleSentencizer(pkg), num_hypotheses=1
    )
    assert [h.value for h in hyps] == ["HOLA BANCO. my cuenta bancaria"]
    # and with nothing from argostranslate but the tokenizer
    tokens = pkg.tokenizer.encode("hello bank")
    out = translator.translate_batch([tokens], beam_size=1)[0].hypotheses[0]
    assert pkg.tokenizer.decode(out).strip() == "HOLA BANCO"
    assert no_network == []


def test_env_var_in_subprocess(tmp_path, make_package):
    """ARGOS_PACKAGES_DIR (read at import) in a fresh interpreter, with an audit hook that
    refuses any socket or URL: install, list, translate."""
    pkg = make_package("en", "xx", EN_XX)
    script = textwrap.dedent("""
        import json, sys
        seen = []
        def hook(event, args):
            if event.startswith(("socket.", "urllib.")):
                seen.append(event)
                raise OSError("network blocked: " + event)
        sys.addaudithook(hook)
        import argostranslate.package, argostranslate.translate
        from argostranslate import settings
        argostranslate.package.install_from_path(sys.argv[1])
        langs = [l.code for l in argostranslate.translate.get_installed_languages()]
        out = argostranslate.translate.translate("hello. my bank!", "en", "xx")
        print(json.dumps({"dir": str(settings.package_data_dir), "langs": langs,
                          "out": out, "seen": seen}))
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOS_", "XDG_"))}
    env.update(
        ARGOS_PACKAGES_DIR=str(tmp_path / "pk"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(pkg)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {
        "dir": str(tmp_path / "pk"),
        "langs": ["en", "xx"],
        "out": "HOLA. my BANCO!",
        "seen": [],
    }
    assert (tmp_path / "pk" / "translate-en_xx-1_0" / "metadata.json").exists()


# --- the splitter model ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Hello world. How are you? Fine!",
        "It costs 3.5 dollars... OK",
        "你好。银行！好",
        'He said "hi." Then left.',
        "one",
        "  spaced   out.  Next  ",
    ],
)
def test_shipped_splitter_is_the_python_rule(tmp_path, text):
    from minisbd import SBDetect

    model = build_sbd_onnx(tmp_path / "sbd.onnx")
    assert SBDetect(str(model), use_gpu=False).sentences(text) == split_sentences(text)


# --- broken packages and the library's caches -----------------------------------------------


def test_corrupt_package_is_refused(argos, argos_dir, tmp_path):
    path = build_corrupt_package(tmp_path)
    assert path.suffix == ".argosmodel" and not zipfile.is_zipfile(path)
    with pytest.raises(Exception, match="Not a valid Argos Model"):
        argos.package.install_from_path(path)
    assert list(argos_dir.iterdir()) == []


def test_package_without_metadata_breaks_listing(argos, argos_dir, make_package, tmp_path):
    install(argos, make_package("en", "xx", EN_XX))
    install(argos, build_wrong_package(tmp_path, missing="metadata.json"))
    with pytest.raises(FileNotFoundError, match="metadata.json"):
        argos.translate.get_installed_languages()  # one bad folder breaks every pair


def test_package_without_model_fails_on_translate(argos, argos_dir, tmp_path):
    install(argos, build_wrong_package(tmp_path, missing="model"))
    assert [lang.code for lang in argos.translate.get_installed_languages()] == ["en", "xw"]
    with pytest.raises(RuntimeError):
        argos.translate.translate("hello", "en", "xw")


def test_reinstalling_a_pair_keeps_the_loaded_model(argos, argos_dir, make_package):
    """The library caches one translation per "from-to" for the whole process: a new build of
    a pair is not used until ``translate.installed_translates`` is emptied."""
    install(argos, make_package("en", "xx", {"hello": "AAA"}))
    assert argos.translate.translate("hello", "en", "xx") == "AAA"
    install(argos, make_package("en", "xx", {"hello": "BBB"}))
    assert argos.translate.translate("hello", "en", "xx") == "AAA"  # stale
    argos.translate.installed_translates.clear()
    argos.translate.get_installed_languages.cache_clear()
    assert argos.translate.translate("hello", "en", "xx") == "BBB"
