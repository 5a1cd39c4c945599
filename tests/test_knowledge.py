"""Tests for bot/knowledge.py: topic YAML files loaded and validated as a whole."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from bot.config import TranslationConfig
from bot.kbmodel import is_placeholder
from bot.knowledge import (
    KnowledgeBase,
    KnowledgeError,
    Link,
    Phrasing,
    Problem,
    Translation,
    load_knowledge,
)
from bot.localize import Localizer

REPO = Path(__file__).resolve().parents[1]

# Line numbers matter: validation tests assert them.
BANKING = """\
topic:
  en: Banking
  zh: 银行
entries:
  - id: open-account
    question: How do I open a bank account?
    alternates:
      - open company bank account
      - documents for a company account
    answer: Bring your business licence and company seals to the bank.
    tags: [banking, account]
    links:
      - https://www.pbc.gov.cn/
      - title: State Administration of Foreign Exchange
        url: https://www.safe.gov.cn/
    reviewed: 2026-11-01
    translations:
      zh:
        question: 公司怎么开银行账户？
        alternates:
          - 开对公账户需要什么材料
        answer: 带上营业执照和公司印章去银行办理。
    related: [vat-rate]
"""

TAX = """\
topic: Tax
entries:
  - id: vat-rate
    question: What is the VAT rate?
    alternates:
      - how much VAT do I pay
    answer: The standard VAT rate is 13%.
    tags: [tax, vat]
    links: []
    reviewed: "2026-10-15"
    notes: Check the rate for services.
"""


def write_topic(folder: Path, name: str, text: str | bytes) -> Path:
    """Write one topic file (text is dedented; bytes are written as they are)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def valid_kb(folder: Path) -> Path:
    write_topic(folder, "banking.yaml", BANKING)
    write_topic(folder, "tax.yaml", TAX)
    return folder


def problems_of(folder: Path) -> list[Problem]:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(folder)
    assert info.value.problems, "a KnowledgeError must list its problems"
    assert f"{len(info.value.problems)} problem" in str(info.value)
    return info.value.problems


def assert_problem(
    problems: list[Problem], file: str, line: int | None, entry_id: str | None, fragment: str
) -> Problem:
    found = [
        p
        for p in problems
        if p.file == file and p.line == line and p.entry_id == entry_id and fragment in p.message
    ]
    assert found, f"no problem {file}:{line} [{entry_id}] {fragment!r} in:\n" + "\n".join(
        map(repr, problems)
    )
    return found[0]


# --- a valid knowledge base -------------------------------------------------------------


def test_valid_knowledge_base_loads(tmp_path):
    kb = load_knowledge(valid_kb(tmp_path), "en")
    assert isinstance(kb, KnowledgeBase)
    assert kb.language == "en"
    assert [e.id for e in kb.entries] == ["open-account", "vat-rate"]
    account = kb.entries[0]
    assert account.topic == "banking"
    assert account.question == "How do I open a bank account?"
    assert account.alternates == ("open company bank account", "documents for a company account")
    assert account.answer == "Bring your business licence and company seals to the bank."
    assert account.tags == ("banking", "account")
    assert account.reviewed == dt.date(2026, 11, 1)
    assert account.related == ("vat-rate",)
    assert account.source == "banking.yaml:5"
    assert account.translations == {
        "zh": Translation(
            "公司怎么开银行账户？",
            "带上营业执照和公司印章去银行办理。",
            ("开对公账户需要什么材料",),
        ),
    }
    localizer = Localizer(kb, TranslationConfig())  # what the bot shows as the question
    assert localizer.question(account, "zh") == "公司怎么开银行账户？"
    assert localizer.question(account, "fr") == "How do I open a bank account?"
    vat = kb.entries[1]
    assert vat.notes == "Check the rate for services."
    assert vat.links == ()
    assert vat.source == "tax.yaml:3"
    assert kb.languages() == ["en", "zh"]


def test_topics_have_ids_names_and_entry_ids(tmp_path):
    kb = load_knowledge(valid_kb(tmp_path), "en")
    assert [t.id for t in kb.topics] == ["banking", "tax"]
    banking, tax = kb.topics
    assert banking.names == {"en": "Banking", "zh": "银行"}
    assert banking.entry_ids == ("open-account",)
    assert banking.name_in("zh", "en") == "银行"
    assert banking.name_in("ru", "en") == "Banking"
    assert tax.names == {"en": "Tax"}  # a plain name is in the KB's language
    assert tax.name_in("zh", "en") == "Tax"


def test_phrasings_include_question_alternates_and_translations(tmp_path):
    kb = load_knowledge(valid_kb(tmp_path), "en")
    assert list(kb.phrasings()) == [
        Phrasing("open-account", "en", "How do I open a bank account?"),
        Phrasing("open-account", "en", "open company bank account"),
        Phrasing("open-account", "en", "documents for a company account"),
        Phrasing("open-account", "zh", "公司怎么开银行账户？"),
        Phrasing("open-account", "zh", "开对公账户需要什么材料"),
        Phrasing("vat-rate", "en", "What is the VAT rate?"),
        Phrasing("vat-rate", "en", "how much VAT do I pay"),
    ]


PHRASINGS = """\
    phrasings:
      de: [Wie eröffne ich ein Firmenkonto?]
      ja:
        - 法人口座の開設方法
"""


def test_phrasings_field_is_matched_in_languages_without_a_translation(tmp_path):
    write_topic(tmp_path, "banking.yaml", edit(BANKING, "    related:", PHRASINGS + "    related:"))
    write_topic(tmp_path, "tax.yaml", TAX)
    kb = load_knowledge(tmp_path, "en", tmp_path / "cache")
    entry = kb.by_id["open-account"]
    assert entry.phrasings == {
        "de": ("Wie eröffne ich ein Firmenkonto?",),
        "ja": ("法人口座の開設方法",),
    }
    assert Phrasing("open-account", "de", "Wie eröffne ich ein Firmenkonto?") in kb.phrasings()
    assert Phrasing("open-account", "ja", "法人口座の開設方法") in kb.phrasings()
    assert kb.languages() == ["en", "zh"]  # matched, never served: no curated language
    assert load_knowledge(tmp_path, "en", tmp_path / "cache").entries == kb.entries  # cached


def test_phrasings_in_the_kb_language_a_translated_language_or_no_language_are_refused(tmp_path):
    bad = (
        "    phrasings:\n      en: [open an account]\n      zh: [开户]\n"
        "      xx: [abc]\n      de: []\n"
    )
    write_topic(tmp_path, "banking.yaml", edit(BANKING, "    related:", bad + "    related:"))
    write_topic(tmp_path, "tax.yaml", TAX)
    messages = [p.message for p in problems_of(tmp_path) if p.entry_id == "open-account"]
    assert any("belong in the entry's `alternates`" in m for m in messages)
    assert any("belong in the entry's translation 'zh'" in m for m in messages)
    assert any("unknown language code 'xx'" in m for m in messages)
    assert any("`de` needs at least 1 item" in m for m in messages)


def test_by_id(tmp_path):
    kb = load_knowledge(valid_kb(tmp_path), "en")
    assert set(kb.by_id) == {"open-account", "vat-rate"}
    assert kb.by_id["vat-rate"] is kb.entries[1]
    assert kb.by_id["open-account"].question == "How do I open a bank account?"


def test_links_as_strings_and_as_title_url_mappings(tmp_path):
    kb = load_knowledge(valid_kb(tmp_path), "en")
    assert kb.by_id["open-account"].links == (
        Link("https://www.pbc.gov.cn/", "https://www.pbc.gov.cn/"),
        Link("State Administration of Foreign Exchange", "https://www.safe.gov.cn/"),
    )


def test_reviewed_as_iso_string_is_accepted(tmp_path):
    kb = load_knowledge(valid_kb(tmp_path), "en")
    assert kb.by_id["vat-rate"].reviewed == dt.date(2026, 10, 15)


def test_utf8_bom_is_accepted(tmp_path):
    write_topic(tmp_path, "banking.yaml", "\ufeff".encode() + BANKING.encode())
    write_topic(tmp_path, "tax.yaml", TAX)
    kb = load_knowledge(tmp_path, "en")
    assert kb.topics[0].names == {"en": "Banking", "zh": "银行"}
    assert kb.by_id["open-account"].translations["zh"].question == "公司怎么开银行账户？"


def test_content_hash_is_stable_and_follows_content(tmp_path):
    folder = valid_kb(tmp_path / "kb")
    first = load_knowledge(folder, "en").content_hash
    assert load_knowledge(folder, "en").content_hash == first
    path = folder / "tax.yaml"
    path.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")  # same bytes again
    assert load_knowledge(folder, "en").content_hash == first

    path.write_text(edit(TAX, "13%", "9%"), encoding="utf-8")
    changed = load_knowledge(folder, "en")
    assert changed.content_hash != first
    assert changed.by_id["vat-rate"].answer == "The standard VAT rate is 9%."

    path.write_text(TAX, encoding="utf-8")
    assert load_knowledge(folder, "en").content_hash == first


def test_content_hash_depends_on_file_names_and_language(tmp_path):
    a = valid_kb(tmp_path / "a")
    b = tmp_path / "b"
    write_topic(b, "banking.yaml", BANKING)
    write_topic(b, "taxes.yaml", TAX)
    assert load_knowledge(a, "en").content_hash != load_knowledge(b, "en").content_hash
    assert (
        load_knowledge(a, "en").content_hash
        == load_knowledge(valid_kb(tmp_path / "c"), "en").content_hash
    )
    assert load_knowledge(a, "en").content_hash != load_knowledge(a, "fr").content_hash


def test_glossary_yaml_is_ignored(tmp_path):
    folder = valid_kb(tmp_path)
    before = load_knowledge(folder, "en")
    write_topic(folder, "glossary.yaml", "this: is: not [valid yaml\n")
    after = load_knowledge(folder, "en")
    assert [t.id for t in after.topics] == ["banking", "tax"]
    assert after.content_hash == before.content_hash


def test_translations_in_other_kb_language(tmp_path):
    text = edit(BANKING, "      zh:\n", "      en:\n")
    write_topic(tmp_path, "banking.yaml", text)
    write_topic(tmp_path, "tax.yaml", TAX)
    kb = load_knowledge(tmp_path, "zh")
    assert kb.language == "zh"
    assert set(kb.by_id["open-account"].translations) == {"en"}
    assert Phrasing("vat-rate", "zh", "What is the VAT rate?") in set(kb.phrasings())


# --- validation: every problem with file, line and entry id -----------------------------

ALTERNATES = (
    "    alternates:\n      - open company bank account\n      - documents for a company account\n"
)
ENTRY_PROBLEMS = [
    # (old text, new text, line, entry id, message fragment)
    (
        "    related: [vat-rate]\n",
        "    related: [vat-rate]\n    colour: red\n",
        24,
        "open-account",
        "unknown key `colour`",
    ),
    (
        "    question: How do I open a bank account?\n",
        "",
        5,
        "open-account",
        "`question` is missing",
    ),
    (
        "question: How do I open a bank account?",
        "question: ''",
        6,
        "open-account",
        "`question` must be non-empty text",
    ),
    (
        "    answer: Bring your business licence and company seals to the bank.\n",
        "",
        5,
        "open-account",
        "`answer` is missing",
    ),
    (
        "answer: Bring your business licence and company seals to the bank.",
        'answer: "  "',
        10,
        "open-account",
        "`answer` must be non-empty text",
    ),
    (ALTERNATES, "", 5, "open-account", "`alternates` is missing"),
    (ALTERNATES, "    alternates: []\n", 7, "open-account", "`alternates` needs at least 1 item"),
    (
        "      - documents for a company account\n",
        "      - ''\n",
        9,
        "open-account",
        "`alternates` item 2 must be non-empty text",
    ),
    ("    tags: [banking, account]\n", "", 5, "open-account", "`tags` is missing"),
    (
        "    tags: [banking, account]\n",
        "    tags: []\n",
        11,
        "open-account",
        "`tags` needs at least 1 item",
    ),
    ("id: open-account", "id: Open_Account", 5, "Open_Account", "`id` must be a slug"),
    ("id: open-account", "id: open account", 5, "open account", "`id` must be a slug"),
    (
        "      zh:\n        question:",
        "      xx:\n        question:",
        18,
        "open-account",
        "unknown language code 'xx'",
    ),
    (
        "      zh:\n        question:",
        "      en:\n        question:",
        18,
        "open-account",
        "the knowledge base's own language",
    ),
    (
        "        answer: 带上营业执照和公司印章去银行办理。\n",
        "",
        19,
        "open-account",
        "`answer` is missing",
    ),
    (  # a translation has no draft: "TODO" would be served as the answer in Chinese
        "answer: 带上营业执照和公司印章去银行办理。",
        "answer: TODO",
        22,
        "open-account",
        "`answer` of translation 'zh' is the placeholder 'TODO', not a translation",
    ),
    (  # ... and its question, shown and matched in Chinese
        "question: 公司怎么开银行账户？",
        "question: 'TODO: translate'",
        19,
        "open-account",
        "`question` of translation 'zh' is the placeholder 'TODO: translate'",
    ),
    (  # ... and its alternates: it took the whole entry off the air, as a draft
        "          - 开对公账户需要什么材料\n",
        "          - 开对公账户需要什么材料\n          - 'TODO: another way to ask'\n",
        22,
        "open-account",
        "alternate 2 in 'zh' is the placeholder 'TODO: another way to ask', not a way to ask",
    ),
    (  # ... and so do the phrasings of a language without a translation
        "    related:",
        "    phrasings:\n      de:\n        - Firmenkonto\n        - TODO\n    related:",
        26,
        "open-account",
        "phrasing 2 in 'de' is the placeholder 'TODO', not a way to ask",
    ),
    (
        "        answer: 带上营业执照和公司印章去银行办理。\n",
        "        answer: 带上营业执照和公司印章去银行办理。\n        notes: draft\n",
        23,
        "open-account",
        "unknown key `notes` in translation 'zh'",
    ),
    (
        "      - https://www.pbc.gov.cn/\n",
        "      - ftp://www.pbc.gov.cn/\n",
        13,
        "open-account",
        "is not an http(s) URL",
    ),
    (
        "        url: https://www.safe.gov.cn/\n",
        "        url: safe dot gov\n",
        14,
        "open-account",
        "is not an http(s) URL",
    ),
    (
        "    links:\n      - https://www.pbc.gov.cn/\n      - title: State Administration of "
        "Foreign Exchange\n        url: https://www.safe.gov.cn/\n",
        "",
        5,
        "open-account",
        "`links` is missing",
    ),
    (
        "reviewed: 2026-11-01",
        "reviewed: last week",
        16,
        "open-account",
        "`reviewed` must be a date",
    ),
    ("    reviewed: 2026-11-01\n", "", 5, "open-account", "`reviewed` is missing"),
    (
        "related: [vat-rate]",
        "related: [no-such-entry]",
        5,
        "open-account",
        "`related` names unknown entry 'no-such-entry'",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "line", "entry_id", "fragment"),
    ENTRY_PROBLEMS,
    ids=[case[4] for case in ENTRY_PROBLEMS],
)
def test_entry_problem_is_reported_with_file_line_and_id(
    tmp_path, old, new, line, entry_id, fragment
):
    write_topic(tmp_path, "banking.yaml", edit(BANKING, old, new))
    write_topic(tmp_path, "tax.yaml", TAX)
    problems = problems_of(tmp_path)
    problem = assert_problem(problems, "banking.yaml", line, entry_id, fragment)
    assert str(problem).startswith(f"banking.yaml:{line} [{entry_id}]: ")
    assert all(p.file == "banking.yaml" for p in problems), problems


def test_an_unknown_related_entry_is_reported_with_the_entrys_other_problems(tmp_path):
    """An entry with a bad date named an unknown related entry: the unknown one was reported
    only once the date was corrected (the console's forms said it in a second round)."""
    text = edit(BANKING, "related: [vat-rate]", "related: [no-such-entry]")
    write_topic(tmp_path, "banking.yaml", edit(text, "reviewed: 2026-11-01", "reviewed: soon"))
    write_topic(tmp_path, "tax.yaml", TAX)
    problems = problems_of(tmp_path)
    assert_problem(problems, "banking.yaml", 16, "open-account", "`reviewed` must be a date")
    assert_problem(problems, "banking.yaml", 5, "open-account", "names unknown entry")
    assert len(problems) == 2


def test_unknown_language_in_topic(tmp_path):
    write_topic(tmp_path, "banking.yaml", edit(BANKING, "  zh: 银行\n", "  qq: 银行\n"))
    write_topic(tmp_path, "tax.yaml", TAX)
    problems = problems_of(tmp_path)
    assert_problem(problems, "banking.yaml", 3, None, "unknown language code 'qq'")
    assert len(problems) == 1


def test_unknown_top_level_key(tmp_path):
    write_topic(tmp_path, "banking.yaml", "owner: tax team\n" + BANKING)
    write_topic(tmp_path, "tax.yaml", TAX)
    problems = problems_of(tmp_path)
    assert_problem(problems, "banking.yaml", 1, None, "unknown top-level key `owner`")
    assert len(problems) == 1


def test_invalid_yaml_is_reported_with_its_line(tmp_path):
    text = edit(BANKING, "answer: Bring your", "answer: Bring: your")
    write_topic(tmp_path, "banking.yaml", text)
    write_topic(tmp_path, "tax.yaml", TAX)
    problems = problems_of(tmp_path)
    assert_problem(problems, "banking.yaml", 10, None, "invalid YAML")
    assert len(problems) == 1


def test_an_entry_in_a_file_that_is_not_valid_yaml_is_not_also_called_unknown(tmp_path):
    """banking.yaml names vat-rate as related; tax.yaml, which has it, has a syntax error:
    that error is the one problem, not also an "unknown entry" that exists. A name found
    nowhere is still reported."""
    write_topic(tmp_path, "banking.yaml", edit(BANKING, "[vat-rate]", "[vat-rate, no-such]"))
    write_topic(tmp_path, "tax.yaml", edit(TAX, "    tags: [tax, vat]", "\ttags: [tax, vat]"))
    problems = problems_of(tmp_path)
    assert [str(p) for p in problems] == [
        "tax.yaml:8: invalid YAML: a tab character: indent with spaces only "
        "(the YAML reader says: found character '\\t' that cannot start any token)",
        "banking.yaml:5 [open-account]: `related` names unknown entry 'no-such'",
    ]


def test_non_utf8_bytes_are_reported_with_their_line(tmp_path):
    data = edit(TAX, "What is the VAT rate?", "What is the VAT rate in Curaçao?").encode("latin-1")
    write_topic(tmp_path, "tax.yaml", data)
    write_topic(tmp_path, "banking.yaml", BANKING)
    problems = problems_of(tmp_path)
    assert_problem(problems, "tax.yaml", 4, None, "not UTF-8")


def test_duplicate_yaml_key_is_reported(tmp_path):
    text = edit(
        TAX,
        "    notes: Check the rate for services.\n",
        "    notes: Check the rate for services.\n    answer: Nine percent.\n",
    )
    write_topic(tmp_path, "tax.yaml", text)
    write_topic(tmp_path, "banking.yaml", BANKING)
    problems = problems_of(tmp_path)
    problem = assert_problem(problems, "tax.yaml", 12, None, "duplicate key")
    assert "answer" in problem.message


def test_duplicate_ids_across_files_mention_both_locations(tmp_path):
    folder = valid_kb(tmp_path)
    write_topic(folder, "visas.yaml", edit(TAX, "id: vat-rate", "id: open-account"))
    problems = problems_of(folder)
    problem = assert_problem(problems, "visas.yaml", 3, "open-account", "duplicate id")
    assert "banking.yaml:5" in str(problem)
    assert "visas.yaml:3" in str(problem)


def test_duplicate_ids_in_one_file(tmp_path):
    second = TAX.split("entries:\n", 1)[1]
    write_topic(tmp_path, "tax.yaml", TAX + second)
    write_topic(tmp_path, "banking.yaml", BANKING)
    problems = problems_of(tmp_path)
    problem = assert_problem(problems, "tax.yaml", 12, "vat-rate", "duplicate id")
    assert "tax.yaml:3" in problem.message


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing here yet\n"])
def test_empty_file(tmp_path, text):
    valid_kb(tmp_path)
    write_topic(tmp_path, "empty.yaml", text)
    problems = problems_of(tmp_path)
    assert_problem(problems, "empty.yaml", None, None, "the file is empty")
    assert len(problems) == 1


@pytest.mark.parametrize(
    ("text", "line"),
    [("topic: Visas\nentries: []\n", 2), ("topic: Visas\nentries:\n", 2), ("topic: Visas\n", 1)],
)
def test_entries_empty_or_missing(tmp_path, text, line):
    write_topic(tmp_path, "banking.yaml", BANKING)
    write_topic(tmp_path, "visas.yaml", text)
    problems = problems_of(tmp_path)
    assert_problem(problems, "visas.yaml", line, None, "`entries` must be a non-empty list")


def test_file_that_is_not_a_mapping(tmp_path):
    write_topic(tmp_path, "visas.yaml", "- one\n- two\n")
    problems = problems_of(tmp_path)
    assert_problem(problems, "visas.yaml", 1, None, "must be a mapping")


def test_entry_that_is_not_a_mapping_has_its_line(tmp_path):
    write_topic(tmp_path, "tax.yaml", TAX + "  - what about customs duties?\n")
    problems = problems_of(tmp_path)
    assert_problem(problems, "tax.yaml", 12, None, "an entry must be a mapping")


@pytest.mark.parametrize("value", ["2026-13-45", "2026-02-30"])
def test_impossible_reviewed_date_is_a_problem(tmp_path, value):
    write_topic(tmp_path, "banking.yaml", edit(BANKING, "2026-11-01", value))
    write_topic(tmp_path, "tax.yaml", edit(TAX, "id: vat-rate", "id: VAT"))
    problems = problems_of(tmp_path)
    assert any(p.file == "banking.yaml" and p.line == 16 for p in problems), problems
    assert_problem(problems, "tax.yaml", 3, "VAT", "`id` must be a slug")


def test_all_problems_of_several_files_are_reported_together(tmp_path):
    write_topic(
        tmp_path,
        "banking.yaml",
        edit(
            edit(BANKING, "question: How do I open a bank account?", "question: ''"),
            "reviewed: 2026-11-01",
            "reviewed: soon",
        ),
    )
    write_topic(tmp_path, "broken.yaml", "entries:\n  - id: x\n    question: [unclosed\n")
    write_topic(tmp_path, "latin1.yaml", "topic: Caf\xe9\n".encode("latin-1"))
    write_topic(tmp_path, "empty.yaml", "")
    write_topic(tmp_path, "tax.yaml", edit(TAX, "links: []", "links: [www.example.com]"))
    write_topic(tmp_path, "fine.yaml", edit(TAX, "id: vat-rate", "id: fine-entry"))
    problems = problems_of(tmp_path)
    assert_problem(problems, "banking.yaml", 6, "open-account", "`question` must be non-empty")
    assert_problem(problems, "banking.yaml", 16, "open-account", "`reviewed` must be a date")
    assert any(
        p.file == "broken.yaml" and "invalid YAML" in p.message and p.line for p in problems
    ), problems
    assert_problem(problems, "latin1.yaml", 1, None, "not UTF-8")
    assert_problem(problems, "empty.yaml", None, None, "the file is empty")
    assert_problem(problems, "tax.yaml", 9, "vat-rate", "is not an http(s) URL")
    assert {p.file for p in problems} == {
        "banking.yaml",
        "broken.yaml",
        "latin1.yaml",
        "empty.yaml",
        "tax.yaml",
    }
    assert len(problems) == 6


def test_missing_folder(tmp_path):
    folder = tmp_path / "no-such-folder"
    problems = problems_of(folder)
    assert len(problems) == 1
    assert problems[0].file == str(folder)
    assert "no such knowledge folder" in problems[0].message


def test_folder_without_topic_files(tmp_path):
    (tmp_path / "README.txt").write_text("topics go here\n", encoding="utf-8")
    (tmp_path / "banking.yml").write_text(BANKING, encoding="utf-8")
    write_topic(tmp_path, "glossary.yaml", "fapiao: official invoice\n")
    problems = problems_of(tmp_path)
    assert len(problems) == 1
    assert problems[0].file == str(tmp_path)
    assert "no topic files" in problems[0].message


def test_problem_str():
    assert str(Problem("tax.yaml", 7, "vat-rate", "boom")) == "tax.yaml:7 [vat-rate]: boom"
    assert str(Problem("tax.yaml", None, None, "boom")) == "tax.yaml: boom"


# --- the repository's own knowledge base ------------------------------------------------


def test_repository_knowledge_base_is_complete():
    try:
        kb = load_knowledge(REPO / "knowledge", "en")
    except KnowledgeError as exc:
        pytest.fail("knowledge/ has problems:\n" + "\n".join(map(str, exc.problems)))
    assert len(kb.entries) >= 60
    few_alternates = [e.id for e in kb.entries if len(e.alternates) < 2]
    no_zh = [e.id for e in kb.entries if "zh" not in e.translations]
    assert few_alternates == []
    assert no_zh == []
    assert all(isinstance(e.reviewed, dt.date) for e in kb.entries)
    assert len(kb.by_id) == len(kb.entries)


def test_cache_skips_parsing_for_unchanged_content(tmp_path, monkeypatch):
    import bot.knowledge as knowledge

    folder = valid_kb(tmp_path / "kb")
    first = load_knowledge(folder, "en", tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("knowledge-*.json"))) == 1

    def no_parsing(path, problems):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(knowledge, "_parse", no_parsing)
    second = load_knowledge(folder, "en", tmp_path / "cache")
    assert second.entries == first.entries
    assert second.topics == first.topics
    assert second.by_id.keys() == first.by_id.keys()
    assert second.content_hash == first.content_hash


def test_changed_content_is_validated_again_not_served_from_cache(tmp_path):
    folder = valid_kb(tmp_path / "kb")
    load_knowledge(folder, "en", tmp_path / "cache")
    [path] = [p for p in folder.glob("*.yaml") if "id: vat-rate" in p.read_text()]
    path.write_text(path.read_text().replace("id: vat-rate", "id: Bad Slug"))
    with pytest.raises(KnowledgeError):
        load_knowledge(folder, "en", tmp_path / "cache")


def test_corrupt_cache_is_ignored(tmp_path):
    folder = valid_kb(tmp_path / "kb")
    first = load_knowledge(folder, "en", tmp_path / "cache")
    [cache] = (tmp_path / "cache").glob("knowledge-*.json")
    cache.write_text("{not json")
    assert load_knowledge(folder, "en", tmp_path / "cache").entries == first.entries


def test_validating_a_copy_with_one_file_changed_parses_only_that_file(
    small_kb_dir, tmp_path, monkeypatch
):
    import shutil

    from bot import knowledge

    load_knowledge(small_kb_dir)
    copy = Path(shutil.copytree(small_kb_dir, tmp_path / "copy"))
    text = (copy / "money.yaml").read_text().replace("Rules vary by bank.", "Rules vary.")
    (copy / "money.yaml").write_text(text)
    parsed = []
    real = knowledge.parse_topic_text
    monkeypatch.setattr(knowledge, "parse_topic_text", lambda t: parsed.append(t) or real(t))
    kb = load_knowledge(copy)
    assert len(parsed) == 1 and "Rules vary." in parsed[0]
    assert "Rules vary." in kb.by_id["bank-account"].answer


@pytest.mark.parametrize(
    ("text", "placeholder"),
    [
        ("TODO", True),
        ("TODO: another way to ask this", True),
        ("  TODO write the answer", True),
        ("TODO? ask staff", True),
        ("todo sobre el IVA", False),  # Spanish "all"
        ("Todo o processo leva duas semanas.", False),  # Portuguese "the whole"
        ("TODOS LOS DOCUMENTOS", False),
        ("what to do", False),
    ],
)
def test_only_todo_in_capitals_is_a_placeholder(text, placeholder):
    assert is_placeholder(text) is placeholder


def test_an_answer_that_starts_with_the_word_todo_is_not_a_draft(tmp_path):
    """A Spanish knowledge base's answer "Todo ..." ("All ...") is served; "TODO: ..." is a
    draft."""
    answer = "answer: Todo trámite empieza en el centro."
    write_topic(tmp_path, "tax.yaml", edit(TAX, "answer: The standard VAT rate is 13%.", answer))
    assert not load_knowledge(tmp_path, "es").by_id["vat-rate"].unfinished
    write_topic(
        tmp_path, "tax.yaml", edit(TAX, "answer: The standard", "answer: TODO The standard")
    )
    assert load_knowledge(tmp_path, "es").by_id["vat-rate"].draft_marks == ("a TODO answer",)
