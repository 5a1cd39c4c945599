"""Which text the user gets: curated, cached machine, live machine, or source with a note.

Real SQLite, real argostranslate with tiny real-format packages (tests/argos_packages.py),
and the real command line."""

import socket
from dataclasses import replace

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from bot import kbedit
from bot.answering import build_answerer
from bot.cli import main
from bot.knowledge import load_knowledge
from bot.localize import CURATED, MACHINE, SOURCE
from bot.storage import Storage
from bot.translation import MachineTranslator
from tests.argos_packages import PackageFactory, build_corrupt_package

# A word-for-word "German" model: enough words to recognise its output in assertions.
EN_DE = {
    "What": "Was",
    "is": "ist",
    "a": "ein",
    "fapiao": "FAPIAO-DE",
    "official": "AMTLICHE",
    "tax": "STEUER",
    "invoice": "RECHNUNG",
    "How": "Wie",
    "do": "tue",
    "I": "ich",
    "open": "ÖFFNE",
    "company": "FIRMA",
    "bank": "BANK-DE",
    "account": "KONTO",
    "types": "ARTEN",
    "Money": "GELD",
    "People": "LEUTE",
    "Hello!": "Hallo!",
}


@pytest.fixture(scope="session")
def packages(tmp_path_factory) -> PackageFactory:
    return PackageFactory(tmp_path_factory.mktemp("argos-packages"))


@pytest.fixture
def setup(tmp_path, small_kb_dir, packages, config):
    """A config with German supported, a model folder with en->de, and a database."""
    models = tmp_path / "models"
    MachineTranslator(models).install_file(packages("en", "de", EN_DE, with_splitter=False))
    cfg = replace(
        config,
        knowledge=replace(config.knowledge, dir=small_kb_dir, cache_dir=tmp_path / "cache"),
        languages=replace(
            config.languages, supported=tuple(dict.fromkeys((*config.languages.supported, "de")))
        ),
        translation=replace(config.translation, packages_dir=models, beam_size=1),
        storage=replace(config.storage, database=tmp_path / "bot.db"),
    )
    return cfg


def config_file(cfg, path):
    path.write_text(
        f"""
[knowledge]
dir = "{cfg.knowledge.dir}"
cache_dir = "{cfg.knowledge.cache_dir}"
[languages]
supported = {list(cfg.languages.supported)!r}
[translation]
packages_dir = "{cfg.translation.packages_dir}"
beam_size = 1
[storage]
database = "{cfg.storage.database}"
""".replace("'", '"')
    )
    return path


def cli(cfg, tmp_path, *args, input=None):
    path = config_file(cfg, tmp_path / "config.toml")
    return CliRunner().invoke(main, ["--config", str(path), *args], input=input)


def test_live_translation_is_marked_cached_and_then_served_from_the_cache(setup):
    with Storage.open(setup.storage.database) as storage:
        answerer = build_answerer(setup, storage=storage)
        a = answerer.ask("What is a fapiao?", lang="de")
        assert (a.id, a.text_source) == ("fapiao", SOURCE)  # not live: source with a note
        live = answerer.ask("What is a fapiao?", lang="de", live=True)
        assert live.text_source == MACHINE
        assert "AMTLICHE STEUER RECHNUNG" in live.answer
        assert live.reply.startswith("(maschinelle Übersetzung)")  # the frame: curated German
        [row] = storage.translations("de")
        assert (row["kind"], row["model"]) == ("answer", "en-de@1.0")
        again = build_answerer(setup, storage=storage).ask("What is a fapiao?", lang="de")
        assert again.text_source == MACHINE and again.answer == live.answer


def test_live_translation_is_served_when_the_database_refuses_writes(setup):
    with Storage.open(setup.storage.database) as storage:
        answerer = build_answerer(setup, storage=storage)
        storage.db.execute("PRAGMA query_only = 1")  # every write now fails
        answer = answerer.ask("What is a fapiao?", lang="de", live=True)
        assert (answer.text_source, "FAPIAO-DE" in answer.reply) == (MACHINE, True)
        assert storage.translations("de") == []


def test_curated_translation_wins_over_machine(setup):
    with Storage.open(setup.storage.database) as storage:
        answerer = build_answerer(setup, storage=storage)
        a = answerer.ask("What is a fapiao?", lang="zh", live=True)
        assert a.text_source == CURATED and a.answer.startswith("发票")


def test_no_model_for_the_language_means_source_with_a_note(setup):
    with Storage.open(setup.storage.database) as storage:
        a = build_answerer(setup, storage=storage).ask("What is a fapiao?", lang="ru", live=True)
    assert a.text_source == SOURCE
    assert a.reply.startswith("Этого ответа пока нет на вашем языке")


def test_kb_translate_fills_the_cache_once_and_only_changed_texts_again(setup, tmp_path):
    first = cli(setup, tmp_path, "kb", "translate")
    assert first.exit_code == 0, first.output
    assert "Done:" in first.stdout
    with Storage.open(setup.storage.database) as storage:
        rows = storage.translations("de")
    kinds = {r["kind"] for r in rows}
    assert kinds == {"answer", "phrasing", "topic"}  # German has curated words of its own
    texts = {r["source"]: r["text"] for r in rows}
    assert texts["What is a fapiao?"] == "Was ist ein FAPIAO-DE?"

    second = cli(setup, tmp_path, "kb", "translate")
    assert "0 texts to translate" in second.output

    path = setup.knowledge.dir / "money.yaml"
    path.write_text(path.read_text().replace("fapiao types", "fapiao kinds"))
    third = cli(setup, tmp_path, "kb", "translate")
    assert "1 text to translate" in third.output


def test_machine_phrasings_and_messages_after_kb_translate(setup, tmp_path):
    assert cli(setup, tmp_path, "kb", "translate").exit_code == 0
    with Storage.open(setup.storage.database) as storage:
        answerer = build_answerer(setup, storage=storage)
    assert "Was ist ein FAPIAO-DE?" in answerer.matcher.texts  # machine phrasings feed the matcher
    a = answerer.ask("Was ist ein FAPIAO-DE?", lang="de")
    assert a.id == "fapiao" and a.text_source == MACHINE
    assert answerer.localizer.message("de", "greeting").startswith("Guten Tag!")  # curated


def test_the_bots_words_are_machine_translated_for_a_language_without_a_locale(
    setup, tmp_path, packages
):
    MachineTranslator(setup.translation.packages_dir).install_file(
        packages("en", "vi", {"Hello!": "Xin chào!"}, with_splitter=False)
    )
    vi = replace(
        setup, languages=replace(setup.languages, supported=(*setup.languages.supported, "vi"))
    )
    result = cli(vi, tmp_path, "kb", "translate", "--lang", "vi")
    assert result.exit_code == 0, result.output
    with Storage.open(vi.storage.database) as storage:
        assert "message" in {r["kind"] for r in storage.translations("vi")}
        answerer = build_answerer(vi, storage=storage)
    assert answerer.localizer.message("vi", "greeting").startswith("Xin chào!")


def test_translating_opens_no_socket(setup, tmp_path, monkeypatch):
    attempts = []

    class Blocked(socket.socket):
        def __init__(self, *args, **kwargs):
            attempts.append(args)
            raise OSError("network blocked in tests")

    monkeypatch.setattr(socket, "socket", Blocked)
    result = cli(setup, tmp_path, "kb", "translate")
    assert result.exit_code == 0, result.output
    assert attempts == []


def test_models_list_and_install_from_file(setup, tmp_path, packages):
    listing = cli(setup, tmp_path, "models", "list")
    assert "en -> de  version 1.0" in listing.stdout
    assert "de: answers (en-de@1.0)" in listing.stdout
    assert "ru: no model" in listing.stdout
    bad = cli(
        setup,
        tmp_path,
        "models",
        "install",
        "--from-file",
        str(build_corrupt_package(tmp_path / "bad")),
    )
    assert bad.exit_code == 1 and "not an Argos model" in bad.output
    good = cli(
        setup,
        tmp_path,
        "models",
        "install",
        "--from-file",
        str(packages("de", "en", {"Was": "What"}, with_splitter=False)),
    )
    assert good.exit_code == 0, good.output
    assert "installed de -> en" in good.stdout
    assert (
        "de: answers, questions to staff (en-de@1.0)"
        in cli(setup, tmp_path, "models", "list").stdout
    )


def test_export_review_import_round_trip_keeps_comments(setup, tmp_path):
    assert cli(setup, tmp_path, "kb", "translate").exit_code == 0
    out = tmp_path / "review.yaml"
    exported = cli(
        setup, tmp_path, "kb", "translations", "export", "--lang", "de", "--out", str(out)
    )
    assert exported.exit_code == 0, exported.output
    review = YAML(typ="safe").load(out.read_text())
    ids = [e["id"] for e in review["entries"]]
    assert ids == ["bank-account", "fapiao", "work-permit", "office-hours"]
    for e in review["entries"]:
        if e["id"] == "fapiao":
            e["reviewed"] = True
            e["answer"] = "Ein Fapiao ist die amtliche Steuerrechnung in China."
    yaml = YAML()
    with out.open("w") as f:
        yaml.dump(review, f)
    before = (setup.knowledge.dir / "money.yaml").read_text()
    imported = cli(setup, tmp_path, "kb", "translations", "import", str(out))
    assert imported.exit_code == 0, imported.output
    after = (setup.knowledge.dir / "money.yaml").read_text()
    assert after.startswith("# Small test knowledge base: money matters.")
    assert "Ein Fapiao ist die amtliche Steuerrechnung in China." in after
    assert after.count("\n") > before.count("\n")
    with Storage.open(setup.storage.database) as storage:
        a = build_answerer(setup, storage=storage).ask("What is a fapiao?", lang="de")
    assert a.text_source == CURATED
    assert a.answer == "Ein Fapiao ist die amtliche Steuerrechnung in China."


def test_a_stale_curated_translation_is_exported_for_review_again(setup, tmp_path):
    edit = kbedit.stage(setup.knowledge.dir)
    old = {"question": "Was ist ein Fapiao?", "answer": "Alt.", "source": "0badc0de"}
    edit.file("money.yaml").set_translation("fapiao", "de", old)
    edit.commit()
    assert cli(setup, tmp_path, "kb", "translate").exit_code == 0
    out = tmp_path / "review.yaml"
    cli(setup, tmp_path, "kb", "translations", "export", "--lang", "de", "--out", str(out))
    review = YAML(typ="safe").load(out.read_text())
    [item] = [e for e in review["entries"] if e["id"] == "fapiao"]
    item["reviewed"] = True
    yaml = YAML()
    with out.open("w") as f:
        yaml.dump(review, f)
    imported = cli(setup, tmp_path, "kb", "translations", "import", str(out))
    assert imported.exit_code == 0, imported.output
    entry = load_knowledge(setup.knowledge.dir).by_id["fapiao"]
    assert not entry.stale("de") and entry.translations["de"].answer == item["answer"]


def test_import_that_would_break_the_kb_writes_nothing(setup, tmp_path):
    review = tmp_path / "review.yaml"
    review.write_text(
        "language: de\nentries:\n  - id: fapiao\n    reviewed: true\n"
        "    question: ''\n    answer: x\n"
    )
    before = (setup.knowledge.dir / "money.yaml").read_text()
    result = cli(setup, tmp_path, "kb", "translations", "import", str(review))
    assert result.exit_code == 1
    assert "`question` must be non-empty text" in result.output
    assert (setup.knowledge.dir / "money.yaml").read_text() == before


def test_import_refuses_a_placeholder_translation_and_writes_nothing(setup, tmp_path):
    """A translator's item marked reviewed with its answer (or question, or an alternate)
    still "TODO" was imported as a curated translation and served; "Todo" (Spanish, "all")
    is a word, not a placeholder."""
    money = setup.knowledge.dir / "money.yaml"
    before = money.read_text()
    review = tmp_path / "review.yaml"
    item = "language: es\nentries:\n  - id: fapiao\n    reviewed: true\n"
    for fields, fragment in (
        ("    question: ¿Qué es un fapiao?\n    answer: TODO\n", "`answer` is the placeholder"),
        ("    question: 'TODO: traducir'\n    answer: Una factura.\n", "`question` is the"),
        (
            "    question: ¿Qué es un fapiao?\n    alternates: [TODO]\n    answer: Una factura.\n",
            "alternate is the placeholder 'TODO'",
        ),
    ):
        review.write_text(item + fields)
        result = cli(setup, tmp_path, "kb", "translations", "import", str(review))
        assert result.exit_code == 1 and fragment in result.output, result.output
        assert money.read_text() == before
    review.write_text(
        item + "    question: ¿Qué es un fapiao?\n    answer: Todo comercio lo emite.\n"
    )
    result = cli(setup, tmp_path, "kb", "translations", "import", str(review))
    assert result.exit_code == 0, result.output
    entry = load_knowledge(setup.knowledge.dir).by_id["fapiao"]
    assert entry.translations["es"].answer == "Todo comercio lo emite."


def test_a_changed_glossary_makes_cached_translations_stale(setup, tmp_path):
    glossary = setup.knowledge.dir / "glossary.yaml"
    glossary.write_text("terms:\n  - term: fapiao\n    de: Fapiao-Rechnung\n")
    first = cli(setup, tmp_path, "kb", "translate")
    assert first.exit_code == 0, first.output
    with Storage.open(setup.storage.database) as storage:
        models = {r["model"] for r in storage.translations("de")}
        answer = build_answerer(setup, storage=storage).ask("What is a fapiao?", lang="de")
    assert len(models) == 1 and models.pop().startswith("en-de@1.0~glossary-")
    assert "Fapiao-Rechnung" in answer.answer
    assert "0 texts to translate" in cli(setup, tmp_path, "kb", "translate").output
    glossary.write_text("terms:\n  - term: fapiao\n    de: Steuerbeleg\n")
    again = cli(setup, tmp_path, "kb", "translate")
    assert "0 texts to translate" not in again.output
    with Storage.open(setup.storage.database) as storage:
        answer = build_answerer(setup, storage=storage).ask("What is a fapiao?", lang="de")
    assert "Steuerbeleg" in answer.answer and "Fapiao-Rechnung" not in answer.answer


def test_a_live_translation_keeps_a_parts_place_and_what_it_leaves_out_of_see_also(setup):
    """The two answers to a message of two questions, translated live one by one as the
    Telegram and web chats do: the second stays part 1 (reports count the message once) and
    neither offers the other under "See also", as before the translation."""
    with Storage.open(setup.storage.database) as storage:
        answerer = build_answerer(setup, storage=storage)
        asked = "How do I open a company bank account? And when is the service centre open?"
        answer = answerer.ask(asked, lang="de")
        assert [answer.id, *(p.id for p in answer.parts)] == ["bank-account", "office-hours"]
        assert answer.parts[0].text_source == SOURCE and answer.parts[0].related == ()
        part = answerer.translated(answer.parts[0])
        assert (part.id, part.part, part.text_source) == ("office-hours", 1, MACHINE)
        assert part.related == ()
        alone = answerer.translated(answerer.ask("When is the service centre open?", lang="de"))
        assert [r.id for r in alone.related] == ["bank-account"]
