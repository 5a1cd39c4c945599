"""Offline translation through the real argostranslate code with real-format packages."""

import socket
import zipfile

import pytest

from bot.translation import MachineTranslator, TranslationError, check_package_file
from tests.argos_packages import (
    PackageFactory,
    build_corrupt_package,
    build_wrong_package,
)

EN_XX = {"hello": "HOLA", "bank": "BANCO", "account": "CUENTA", "open": "ABRIR"}
XX_EN = {"HOLA": "hello", "BANCO": "bank", "CUENTA": "account"}
ZH_EN = {"你好": "hello", "银行": "bank", "账户": "account"}


@pytest.fixture(scope="session")
def packages(tmp_path_factory) -> PackageFactory:
    return PackageFactory(tmp_path_factory.mktemp("argos-packages"))


@pytest.fixture
def no_network(monkeypatch) -> list:
    """Every attempt to open a socket or resolve a name fails and is recorded."""
    attempts: list = []

    def refuse(name):
        def _refuse(*args, **kwargs):
            attempts.append(name)
            raise OSError(f"network blocked in tests: {name}")

        return _refuse

    class BlockedSocket(socket.socket):
        def __init__(self, *args, **kwargs):
            attempts.append("socket")
            raise OSError("network blocked in tests: socket")

    monkeypatch.setattr(socket, "socket", BlockedSocket)
    for name in ("create_connection", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, refuse(name))
    return attempts


@pytest.fixture
def translator(tmp_path, packages) -> MachineTranslator:
    t = MachineTranslator(tmp_path / "models", beam_size=1)
    t.install_file(packages("en", "xx", EN_XX, with_splitter=False))
    t.install_file(packages("xx", "en", XX_EN, with_splitter=False))
    t.install_file(packages("zh", "en", ZH_EN, with_splitter=False))
    return t


def test_installed_pairs_and_pivots(translator):
    assert [(p.source, p.target) for p in translator.pairs()] == [
        ("en", "xx"),
        ("xx", "en"),
        ("zh", "en"),
    ]
    assert translator.covers("en", "xx") and translator.covers("zh", "xx")
    assert not translator.covers("xx", "zh")
    assert translator.model_version("en", "xx") == "en-xx@1.0"
    assert translator.model_version("zh", "xx") == "zh-en@1.0+en-xx@1.0"
    assert translator.model_version("xx", "zh") is None


def test_translation_is_word_for_word_and_pivots_through_english(translator, no_network):
    assert translator.translate("hello bank", "en", "xx") == "HOLA BANCO"
    assert translator.translate("你好 银行", "zh", "xx") == "HOLA BANCO"
    assert translator.translate("anything", "xx", "zh") is None
    assert no_network == []  # packages without splitter data: still no socket


def test_markdown_links_numbers_and_lines_survive(translator, no_network):
    text = (
        "open a bank account:\n\n- bank: 25% of RMB 20,000\n"
        "- see [bank](https://www.pbc.gov.cn/) or https://example.org/a_b?c=1\n"
    )
    out = translator.translate(text, "en", "xx")
    assert out.splitlines()[1:] == [
        "",
        "- BANCO: 25% of RMB 20,000",
        "- see [BANCO](https://www.pbc.gov.cn/) or https://example.org/a_b?c=1",
    ]
    assert out.startswith("ABRIR a BANCO CUENTA")
    assert no_network == []


def test_same_language_and_empty_text_are_returned_as_they_are(translator):
    assert translator.translate("hello", "en", "en") == "hello"
    assert translator.translate("  ", "en", "xx") == "  "


def test_corrupt_and_wrong_files_are_refused_and_change_nothing(tmp_path, translator):
    before = sorted(p.name for p in translator.packages_dir.iterdir())
    with pytest.raises(TranslationError, match="not an Argos model .*zip"):
        translator.install_file(build_corrupt_package(tmp_path))
    with pytest.raises(TranslationError, match="metadata.json is missing"):
        translator.install_file(build_wrong_package(tmp_path / "w1", missing="metadata.json"))
    with pytest.raises(TranslationError, match="model.* is missing"):
        translator.install_file(build_wrong_package(tmp_path / "w2", missing="model"))
    with pytest.raises(TranslationError, match="no such file"):
        translator.install_file(tmp_path / "nope.argosmodel")
    assert sorted(p.name for p in translator.packages_dir.iterdir()) == before
    assert translator.translate("hello", "en", "xx") == "HOLA"


def test_check_package_file_reads_the_metadata(packages):
    metadata = check_package_file(packages("en", "xx", EN_XX))
    assert (metadata["from_code"], metadata["to_code"]) == ("en", "xx")


def test_reinstalling_a_pair_serves_the_new_model(tmp_path, packages):
    t = MachineTranslator(tmp_path / "models", beam_size=1)
    t.install_file(packages("en", "xx", {"hello": "HOLA"}))
    assert t.translate("hello", "en", "xx") == "HOLA"
    t.install_file(packages("en", "xx", {"hello": "SALUT"}, version="1.1"))
    assert t.translate("hello", "en", "xx") == "SALUT"
    assert t.model_version("en", "xx") == "en-xx@1.1"


def test_index_install_offline_fails_clearly(tmp_path, no_network):
    t = MachineTranslator(tmp_path / "models")
    with pytest.raises(TranslationError) as caught:
        t.install_from_index(["ru"])
    message = str(caught.value)
    assert message.startswith("cannot reach the Argos package index (URLError: ")
    assert "network blocked in tests" in message and "--from-file" in message
    assert "Recursion" not in message and "\n" not in message
    assert len(no_network) == 1  # one attempt, not a retry loop
    assert t.pairs() == [] and not t.packages_dir.exists()


def test_two_translators_do_not_mix_their_folders(tmp_path, packages):
    a = MachineTranslator(tmp_path / "a", beam_size=1)
    b = MachineTranslator(tmp_path / "b", beam_size=1)
    a.install_file(packages("en", "xx", {"hello": "HOLA"}))
    assert b.pairs() == []
    assert a.translate("hello", "en", "xx") == "HOLA"
    assert b.translate("hello", "en", "xx") is None


def test_package_archive_is_a_single_folder(packages):
    with zipfile.ZipFile(packages("en", "xx", EN_XX)) as archive:
        assert len({n.split("/", 1)[0] for n in archive.namelist()}) == 1
