"""The topic-file editor: only the edited lines change, validated first, written atomically.

Real copies of the repository's knowledge base and of tests/data/kb; the import through
the real command line."""

import datetime as dt
import difflib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot import kbedit
from bot.cli import main
from bot.knowledge import load_knowledge, source_version

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 26)


@pytest.fixture
def repo_kb(tmp_path) -> Path:
    return Path(shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge"))


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines between two texts."""
    removed, added = [], []
    for line in difflib.ndiff(before.split("\n"), after.split("\n")):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


RU = {
    "question": "Что такое WFOE и могу ли я открыть её сам?",
    "alternates": [
        "как открыть wfoe",
        "регистрация WFOE самому",
        "можно ли иностранцу 100% компания",
    ],
    "answer": "WFOE — это компания со 100% иностранным капиталом.\n"
    "Обычные шаги:\n- проверить Негативный список",
    "links": [
        {
            "title": "Государственное управление по регулированию рынка",
            "url": "https://www.samr.gov.cn/",
        },
        {"title": "Министерство коммерции", "url": "https://www.mofcom.gov.cn/"},
    ],
    "source": "1a2b3c4d",
    "reviewed": TODAY,
}


def test_adding_one_translation_changes_only_the_lines_of_that_block(repo_kb):
    path = repo_kb / "company.yaml"
    path.chmod(0o640)
    before = path.read_text(encoding="utf-8")
    edit = kbedit.stage(repo_kb)
    edit.file("company.yaml").set_translation("wfoe-what-is", "uk", RU)
    edit.commit()
    after = path.read_text(encoding="utf-8")
    removed, added = changed_lines(before, after)
    assert removed == []
    assert len(added) == 17
    # inserted as one block after the last translation, before the entry's phrasings
    lines = after.split("\n")
    at = lines.index("      uk:")
    assert lines[at + 16] == "        reviewed: 2026-11-26"
    assert lines[:at] + lines[at + 17 :] == before.split("\n")  # nothing else changed
    assert lines[at - 1].startswith("        reviewed: ")  # the end of the last
    assert lines[at + 17] == "    phrasings:"
    assert path.stat().st_mode & 0o777 == 0o640
    tr = load_knowledge(repo_kb).by_id["wfoe-what-is"].translations["uk"]
    assert tr.answer == RU["answer"] and tr.source == "1a2b3c4d" and tr.reviewed == TODAY
    assert tr.links[1].title == "Министерство коммерции"
    assert not list(repo_kb.glob("*.tmp"))


def test_updating_a_translation_rewrites_only_the_changed_keys(repo_kb):
    path = repo_kb / "company.yaml"
    before = path.read_text(encoding="utf-8")
    entry = load_knowledge(repo_kb).by_id["wfoe-what-is"]
    zh = entry.translations["zh"]
    edit = kbedit.stage(repo_kb)
    values = {"question": zh.question, "alternates": list(zh.alternates)}
    values |= {"answer": zh.answer.replace("一般流程：", "一般步骤：")}
    values |= {"source": entry.version, "reviewed": TODAY}
    edit.file("company.yaml").set_translation("wfoe-what-is", "zh", values)
    edit.commit()
    removed, added = changed_lines(before, path.read_text(encoding="utf-8"))
    assert removed == ["          一般流程：", "        reviewed: 2026-11-02"]
    assert added == ["          一般步骤：", "        reviewed: 2026-11-26"]


def test_a_new_translations_key_and_a_topic_name(small_kb_dir):
    path = small_kb_dir / "people.yaml"
    before = path.read_text(encoding="utf-8")
    edit = kbedit.stage(small_kb_dir)
    people = edit.file("people.yaml")
    people.set_translation(
        "office-hours", "fr", {"question": "Horaires ?", "answer": "9 h à 17 h."}
    )
    people.set_topic_name("fr", "Personnes", "en")
    edit.commit()
    kb = load_knowledge(small_kb_dir)
    assert kb.by_id["office-hours"].translations["fr"].answer == "9 h à 17 h."
    assert next(t for t in kb.topics if t.id == "people").names["fr"] == "Personnes"
    removed, added = changed_lines(before, path.read_text(encoding="utf-8"))
    assert len(removed) <= 1 and len(added) <= 7  # a plain `topic:` name may become a mapping


def test_nothing_is_written_when_the_result_would_not_validate(small_kb_dir):
    before = {p.name: p.read_bytes() for p in small_kb_dir.iterdir()}
    edit = kbedit.stage(small_kb_dir)
    edit.file("money.yaml").set_translation(
        "fapiao", "uk", {"question": "Что?", "answer": "Да.", "source": "xyz"}
    )
    edit.file("people.yaml").set_topic_name("uk", "Люди", "en")
    with pytest.raises(kbedit.EditError, match="would not validate(.|\n)*8 hex digits"):
        edit.commit()
    assert {p.name: p.read_bytes() for p in small_kb_dir.iterdir()} == before


def test_a_file_changed_meanwhile_is_not_overwritten(small_kb_dir):
    path = small_kb_dir / "money.yaml"
    edit = kbedit.stage(small_kb_dir)
    edit.file("money.yaml").append_alternates("fapiao", None, ["what is an invoice in china"])
    concurrent = path.read_text(encoding="utf-8").replace("Rules vary by bank.", "Rules vary.")
    path.write_text(concurrent, encoding="utf-8")
    with pytest.raises(kbedit.EditError, match="changed while"):
        edit.commit()
    assert path.read_text(encoding="utf-8") == concurrent


FORMAT_FILE = """language: uk
topics:
  company: Регистрация и изменение компании
entries:
  - id: wfoe-what-is
    reviewed: true
    question: Что такое WFOE (外商独资企业) и могу ли я открыть её сам?
    alternates:
      - как открыть wfoe
      - можно ли иностранцу 100% компания в китае
      - регистрация WFOE самому
    answer: |
      WFOE — китайская компания, полностью принадлежащая иностранным инвесторам.
      Спросите сотрудников через /staff, какое управление ведёт ваш район.
    links:
      - Государственное управление по регулированию рынка КНР (SAMR)
      - Министерство коммерции КНР
  - id: negative-list-restricted-industries
    reviewed: false
    question: не проверено
    answer: не проверено
"""


def test_import_of_a_translators_file_through_the_command_line(repo_kb, tmp_path):
    review = tmp_path / "uk.yaml"
    review.write_text(FORMAT_FILE, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'[knowledge]\ndir = "{repo_kb}"\n')
    before = (repo_kb / "company.yaml").read_text(encoding="utf-8")
    result = CliRunner().invoke(
        main, ["--config", str(config), "kb", "translations", "import", str(review)]
    )
    assert result.exit_code == 0, result.output
    assert "1 reviewed translation into uk and 1 topic name" in result.output
    assert "1 left out" in result.output
    removed, added = changed_lines(before, (repo_kb / "company.yaml").read_text(encoding="utf-8"))
    assert removed == [] and "  uk: Регистрация и изменение компании" in added
    assert len(added) == 1 + 16  # the topic name and the translation block
    kb = load_knowledge(repo_kb)
    entry = kb.by_id["wfoe-what-is"]
    tr = entry.translations["uk"]
    assert tr.source == source_version(entry.question, entry.answer) == entry.version
    assert tr.reviewed == dt.date.today()
    assert [link.title for link in entry.link_titles("uk")] == [
        "Государственное управление по регулированию рынка КНР (SAMR)",
        "Министерство коммерции КНР",
    ]
    assert "uk" not in kb.by_id["negative-list-restricted-industries"].translations
    bad = review.read_text(encoding="utf-8").replace("      - Министерство коммерции КНР\n", "")
    review.write_text(bad, encoding="utf-8")
    refused = CliRunner().invoke(
        main, ["--config", str(config), "kb", "translations", "import", str(review)]
    )
    assert refused.exit_code == 1 and "1 link title for the entry's 2 links" in refused.output


TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1
).filter(lambda t: t.strip())


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example(question="ªÿ\x85X", answer="a\u2028b\n\x99c", alternate="  '- x: y'")
@given(question=TEXT, answer=TEXT, alternate=TEXT)
def test_any_translated_text_lands_exactly(tmp_path_factory, question, answer, alternate):
    """Line breaks of every kind, control characters, quotes, leading spaces: the text the
    loader reads back is the text given (trimmed, as the loader trims)."""
    kb_dir = tmp_path_factory.mktemp("kb") / "kb"
    shutil.copytree(ROOT / "tests" / "data" / "kb", kb_dir)
    edit = kbedit.stage(kb_dir)
    values = {"question": question, "alternates": [alternate], "answer": answer}
    edit.file("money.yaml").set_translation("fapiao", "ru", values)
    edit.commit()
    tr = load_knowledge(kb_dir).by_id["fapiao"].translations["ru"]
    assert (tr.question, tr.answer, tr.alternates) == (
        question.strip(),
        answer.strip(),
        (alternate.strip(),),
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("topic: {en: People, zh: 人员}\n", "topic: {en: People, zh: 人员, ru: Люди}\n"),
        ("topic: People\n", "topic:\n  en: People\n  ru: Люди\n"),
        ("# People.\n", "# People.\ntopic:\n  ru: Люди\n"),
    ],
)
def test_a_topic_name_is_added_in_the_files_own_style(small_kb_dir, before, after):
    path = small_kb_dir / "people.yaml"
    text = path.read_text(encoding="utf-8").replace("topic: People\n", before, 1)
    path.write_text(text, encoding="utf-8")
    edit = kbedit.stage(small_kb_dir)
    edit.file("people.yaml").set_topic_name("ru", "Люди", "en")
    edit.commit()
    assert path.read_text(encoding="utf-8") == text.replace(before, after, 1)
    [people] = [t for t in load_knowledge(small_kb_dir).topics if t.id == "people"]
    assert people.names["ru"] == "Люди"
