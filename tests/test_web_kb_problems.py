"""Knowledge-base problems as the console shows them (bot/web/kb_problems.py): in plain
words, in the console's language, naming the form's field; the file:line detail stays for
`kb check` and the logs. A real SQLite file, a writable copy of tests/data/kb."""

from __future__ import annotations

from dataclasses import replace
from html import unescape

import pytest

from bot import kbedit
from bot.answering import build_answerer
from tests.test_web_entries import fields_of
from tests.web_support import *  # noqa: F403  (the fixtures)
from tests.web_support import flash_of, login, make_client


@pytest.fixture
def live(config, storage, accounts, small_kb_dir, encoder):
    cfg = replace(config, knowledge=replace(config.knowledge, dir=small_kb_dir))
    answerer = build_answerer(cfg, None, storage, encoder=encoder)
    with make_client(cfg, storage, accounts, answerer) as client:
        yield client


def _new_entry(live, **values: str):
    fields = fields_of(live.get("/entries/new").text)
    fields.update(topic="money", **values)
    return live.post("/entries/new", data=fields)


def test_an_empty_answer_and_tags_are_named_by_their_labels_in_plain_words(live, small_kb_dir):
    login(live, "sam")
    before = (small_kb_dir / "money.yaml").read_bytes()
    response = _new_entry(live, id="wifi-password", question="What is the wifi password?")
    assert response.status_code == 400
    page = unescape(response.text)
    assert "Not saved: some fields need correcting" in page
    assert "“Answer” is empty: write the answer the bot should give" in page
    assert "“Tags” is empty: write at least one tag" in page
    for engineer in ("money.yaml:", "`answer`", "item(s)", "would not validate"):
        assert engineer not in page
    assert fields_of(response.text)["question"] == "What is the wifi password?"
    assert (small_kb_dir / "money.yaml").read_bytes() == before


def test_the_chinese_console_says_the_problems_in_chinese(live):
    login(live, "sam")
    live.cookies.set("console_lang", "zh")
    response = _new_entry(live, id="wifi-password", question="Wifi?", answer="", tags="")
    page = unescape(response.text)
    assert "未保存：有些字段需要修改" in page
    assert "“回答”为空" in page and "“标签”为空" in page
    assert "is empty" not in page and "`tags`" not in page


def test_other_ways_to_ask_and_language_codes_are_said_by_the_forms_labels(live):
    login(live, "sam")
    fields = fields_of(live.get("/entries/fapiao").text)
    fields.update(alternates="", phrasings="Firmenkonto eröffnen")
    fields["tr-zh-alternates"] = "发票是什么\nTODO"
    page = unescape(live.post("/entries/fapiao", data=fields).text)
    assert "“Other ways to ask” is empty: write at least one other way" in page
    assert "A line of “Ways to ask in languages without a translation” does not start" in page
    assert "“Other ways to ask (zh translation)” still says “TODO”" in page
    assert "ISO 639-1" not in page and "'?'" not in page


def test_a_duplicate_id_links_to_the_entry_and_is_refused_before_validating(
    live, small_kb_dir, monkeypatch
):
    def validated(*args, **kwargs):
        raise AssertionError("the whole knowledge base was validated for a taken id")

    login(live, "sam")
    monkeypatch.setattr(kbedit, "load_knowledge", validated)
    response = _new_entry(live, id="bank-account", answer="Somewhere.", tags="banking")
    assert response.status_code == 400
    page = unescape(response.text)
    assert "The id “bank-account” is already used by another entry" in page
    assert '<a href="/entries/bank-account" target="_blank">Open bank-account</a>' in page
    assert "money.yaml:" not in page and fields_of(response.text)["answer"] == "Somewhere."


def test_two_tabs_say_conflict_not_validation(live):
    login(live, "sam")
    mine = fields_of(live.get("/entries/fapiao").text)
    assert live.post("/entries/fapiao", data=dict(mine, answer="Saved first.")).status_code == 303
    response = live.post("/entries/fapiao", data=dict(mine, answer="Typed meanwhile."))
    assert response.status_code == 400
    page = unescape(response.text)
    assert "Not saved: this entry was changed by someone else" in page
    assert "some fields need correcting" not in page
    assert "Someone else saved this entry after you opened it" in page


def test_kb_check_keeps_the_file_and_line(tmp_path, small_kb_dir):
    """The CLI and the logs keep the engineer's detail: file, line, YAML key."""
    from bot.knowledge import KnowledgeError, load_knowledge

    text = (small_kb_dir / "money.yaml").read_text()
    (small_kb_dir / "money.yaml").write_text(text.replace("tags: [banking]", "tags: []", 1))
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(small_kb_dir)
    [problem] = caught.value.problems
    assert str(problem).startswith("money.yaml:") and "`tags` needs at least" in str(problem)
    assert (problem.code, problem.field) == ("too-few", "tags")


def test_an_answer_edit_says_which_translations_are_now_out_of_date(live):
    """The save said nothing of the curated translations it left stale, and the ⚠ on their
    tabs had no explanation. Then it named them by code ("2 translations (ru, zh)",
    "Update the ru translation"), on the Chinese console too: now by their names."""
    login(live, "sam")
    fields = fields_of(live.get("/entries/fapiao").text)
    fields.update({"tr-ru-question": "Что такое фапяо?", "tr-ru-answer": "Официальный счёт."})
    fields["tr-zh-answer"] = "中国的正式发票。"  # rewritten: records the text it translates
    assert live.post("/entries/fapiao", data=fields).status_code == 303
    fields = fields_of(live.get("/entries/fapiao").text)
    fields["answer"] = "A fapiao is China's official invoice, issued through the tax system."
    response = live.post("/entries/fapiao", data=fields)
    said = flash_of(live, response)
    assert "2 translations (Russian, Chinese) are now out of date" in said, said
    assert "users asking in those languages get the new text instead" in said
    page = unescape(live.get(response.headers["location"]).text)
    assert '<span title="Out of date: made from an older text of this entry">⚠</span>' in page
    assert '<a href="/translations?lang=ru">Update the Russian translation</a>' in page
    live.cookies.set("console_lang", "zh")
    fields = fields_of(live.get("/entries/fapiao").text)
    fields["answer"] = "A fapiao is China's official VAT invoice, issued through the tax system."
    said = flash_of(live, live.post("/entries/fapiao", data=fields))
    assert "2 条译文（俄文、中文）现已过期" in said, said
    assert '<a href="/translations?lang=ru">更新俄文译文</a>' in live.get("/entries/fapiao").text


def test_a_very_long_answer_is_saved_with_a_warning_saying_why(live):
    login(live, "sam")
    fields = fields_of(live.get("/entries/fapiao").text)
    fields["answer"] = "\n\n".join(f"Paragraph {i}: " + "word " * 150 for i in range(40))
    response = live.post("/entries/fapiao", data=fields)
    said = flash_of(live, response)
    assert response.status_code == 303 and "Saved fapiao" in said
    assert "characters long: Telegram shows at most 4,096 characters in one message" in said
    short = fields_of(live.get("/entries/office-hours").text)
    assert "Telegram shows" not in flash_of(live, live.post("/entries/office-hours", data=short))
