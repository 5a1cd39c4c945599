"""Entry pages of the console through its ASGI client: edit, history, rollback, new entry.

A real SQLite file, a writable copy of tests/data/kb served by a real answerer."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answering import build_answerer
from bot.entry_history import EntryHistory
from bot.knowledge import load_knowledge
from tests.web_support import *  # noqa: F403  (the fixtures)
from tests.web_support import PASSWORD, ask, csrf_of, flash_of, login, make_client, queued


@pytest.fixture
def live(config, storage, accounts, small_kb_dir, encoder):
    """A client over a writable knowledge-base copy, served by a real answerer."""
    cfg = replace(config, knowledge=replace(config.knowledge, dir=small_kb_dir))
    answerer = build_answerer(cfg, None, storage, encoder=encoder)
    with make_client(cfg, storage, accounts, answerer) as client:
        client.holder = client.app.state.console.holder
        yield client


def fields_of(html: str) -> dict[str, str]:
    """The form's text fields as the browser would send them."""
    found = {}
    for name, value in re.findall(
        r'<input (?:type="hidden" )?name="([^"]+)" value="([^"]*)"', html
    ):
        found[name] = unescape(value)
    for name, value in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        found[name] = unescape(value)
    chosen = re.search(
        r'<select name="topic"[^>]*>.*?<option value="([^"]+)" selected>', html, re.S
    )
    if chosen:
        found["topic"] = chosen[1]
    found["csrf"] = csrf_of(html)
    return found


def test_edit_page_shows_every_field_and_a_section_per_language(live):
    login(live, "mia")
    page = live.get("/entries/bank-account")
    assert page.status_code == 200
    fields = fields_of(page.text)
    assert fields["question"] == "How do I open a company bank account?"
    assert fields["alternates"] == "open corporate bank account\nwhich bank should my company use"
    assert fields["links"] == "People's Bank of China | https://www.pbc.gov.cn/"
    assert fields["tags"] == "banking" and fields["reviewed"] == "2026-11-01"
    assert fields["tr-zh-question"] == "公司银行账户怎么开？"
    for lang in ("en", "zh", "ru", "ar"):
        assert f'id="lang-{lang}"' in page.text and f'href="#lang-{lang}"' in page.text
    assert 'name="tr-ar-answer" rows="8" dir="auto"' in page.text
    assert "<script>" not in page.text  # scripts are files (the policy allows no other)
    assert 'value="save"' not in page.text  # a manager reads only
    assert '<fieldset class="entry-fields" disabled>' in page.text
    assert "money.yaml" in page.text


def test_unknown_entry_is_404(live):
    login(live, "mia")
    page = live.get("/entries/no-such-entry")
    assert page.status_code == 404
    assert "The knowledge base has no entry no-such-entry: it may have been deleted" in page.text


def test_edit_saves_and_is_live_at_once(live, small_kb_dir, accounts):
    login(live, "sam")
    fields = fields_of(live.get("/entries/fapiao").text)
    before = (small_kb_dir / "money.yaml").read_text()
    fields["answer"] = "A fapiao is the official invoice; ask the seller for one."
    fields["alternates"] += "\nwhere do I get an official invoice"
    response = live.post("/entries/fapiao", data={**fields, "action": "save"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/entries/fapiao?")
    assert "the bot serves it now" in flash_of(live, response)
    after = (small_kb_dir / "money.yaml").read_text()
    assert "ask the seller for one" in after
    assert before.split("- id: fapiao")[0] == after.split("- id: fapiao")[0]  # rest untouched
    answer = live.holder.answerer.ask("where do I get an official invoice")
    assert answer.id == "fapiao" and "ask the seller for one" in (answer.answer or "")
    [row] = [r for r in accounts.audit_log() if r["action"] == "entry.edit"]
    assert row["actor"] == "sam" and row["target"] == "fapiao"
    assert "seller" not in row["before"] + row["after"]  # ids and versions, not the text
    page = live.get(response.headers["location"])
    assert "ask the seller for one" in page.text


def test_try_box_asks_the_running_bot(live):
    login(live, "mia")
    page = live.get("/entries/fapiao", params={"try": "What is a fapiao?"})
    assert "Answered by fapiao" in page.text
    both = live.get(
        "/entries/work-permit",
        params={"try": "How do I get a work permit? And when is the centre open?"},
    )
    assert "Answered by work-permit" in both.text
    assert "Also answered by office-hours, for: And when is the centre open?" in unescape(both.text)


def test_a_bad_edit_keeps_what_was_typed_and_writes_nothing(live, small_kb_dir):
    login(live, "sam")
    fields = fields_of(live.get("/entries/fapiao").text)
    before = (small_kb_dir / "money.yaml").read_bytes()
    fields["answer"] = "My long new <answer> with details."
    fields["links"] = "not a link"
    fields["tr-ru-question"] = "Что такое фапяо?"
    response = live.post("/entries/fapiao", data={**fields, "action": "save"})
    assert response.status_code == 400
    assert "Line 1 of “Links” is not a web address" in unescape(response.text)
    kept = fields_of(response.text)
    assert kept["answer"] == "My long new <answer> with details."
    assert kept["links"] == "not a link" and kept["tr-ru-question"] == "Что такое фапяо?"
    assert "&lt;answer&gt;" in response.text
    assert (small_kb_dir / "money.yaml").read_bytes() == before


def test_a_placeholder_among_a_translations_alternates_is_refused_not_a_draft(live, small_kb_dir):
    """A "TODO" typed among the Chinese alternates was saved, and took the entry off the
    air in every language as a draft; the Translations page refused it. Now it is refused
    here too, naming the alternate, with what was typed kept."""
    login(live, "sam")
    fields = fields_of(live.get("/entries/fapiao").text)
    before = (small_kb_dir / "money.yaml").read_bytes()
    fields["tr-zh-alternates"] = "发票是什么\nTODO"
    response = live.post("/entries/fapiao", data={**fields, "action": "save"})
    assert response.status_code == 400
    assert "“Other ways to ask (zh translation)” still says “TODO”" in unescape(response.text)
    assert fields_of(response.text)["tr-zh-alternates"] == "发票是什么\nTODO"
    assert (small_kb_dir / "money.yaml").read_bytes() == before
    assert live.holder.answerer.ask("What is a fapiao?").id == "fapiao"


def test_history_shows_a_diff_and_rollback_restores_live(live, small_kb_dir, accounts):
    login(live, "sam")
    original = (small_kb_dir / "money.yaml").read_text()
    fields = fields_of(live.get("/entries/fapiao").text)
    fields["answer"] = "Changed <b>answer</b>."
    assert live.post("/entries/fapiao", data={**fields, "action": "save"}).status_code == 303
    fields = fields_of(live.get("/entries/fapiao").text)
    fields["answer"] = "Changed again."
    assert live.post("/entries/fapiao", data={**fields, "action": "save"}).status_code == 303
    page = live.get("/entries/fapiao/history").text
    assert page.count('class="version"') == 2
    assert '<span class="add">+    answer: Changed again.</span>' in page
    assert "Changed &lt;b&gt;answer&lt;/b&gt;." in page and "<b>answer" not in page
    versions = EntryHistory(live.app.state.console.storage.path).versions("fapiao")
    oldest = versions[-1]
    response = live.post(
        "/entries/fapiao/rollback",
        data={"csrf": csrf_of(page), "version": str(oldest.id), "side": "before"},
    )
    assert response.status_code == 303 and "the bot serves it now" in flash_of(live, response)
    assert (small_kb_dir / "money.yaml").read_text() == original
    answer = live.holder.answerer.ask("What is a fapiao?")
    assert answer.answer and answer.answer.startswith("A fapiao is the official tax invoice")
    assert [r["action"] for r in accounts.audit_log()][:3] == [
        "entry.rollback",
        "entry.edit",
        "entry.edit",
    ]
    bad = live.post(
        "/entries/bank-account/rollback",
        data={"csrf": csrf_of(page), "version": str(oldest.id), "side": "after"},
    )
    assert "error=" in bad.headers["location"]


def test_new_entry_from_a_cluster_resolves_it_and_is_live(live, storage, small_kb_dir, accounts):
    """Each wording is filed under the language it is written in: the Russian and Chinese
    ones became English alternates (served to nobody, matched as English)."""
    ask(storage, "Where do I get a dog licence?", 1)
    ask(storage, "Where can I get a dog licence?", 2)
    ask(storage, "Где получить лицензию на собаку?", 3, "ru")
    ask(storage, "在哪里办理狗证？", 4, "zh")
    login(live, "sam")
    inbox = live.get("/inbox").text
    link = re.search(r'href="(/entries/new\?[^"]+dog[^"]*|/entries/new\?ids=[^"]+)"', inbox)
    assert link
    page = live.get(unescape(link[1]))
    assert page.status_code == 200
    fields = fields_of(page.text)
    asked = re.findall(r'name="ids" value="(\d+)"', page.text)
    assert "dog licence" in fields["question"]
    assert "Где" not in fields["alternates"] and "狗" not in fields["alternates"]
    assert "ru: Где получить лицензию на собаку?" in fields["phrasings"].split("\n")
    if "4" in asked:  # grouped with the others by the encoder
        assert "zh: 在哪里办理狗证？" in fields["phrasings"].split("\n")
    assert page.text.count('name="ids"') == len(asked) >= 3
    ids = re.findall(r'name="ids" value="(\d+)"', page.text)
    fields.update(answer="At the district police station, with the dog's vaccination book.")
    fields.update(tags="pets", topic="people")
    response = live.post("/entries/new", data={**fields, "ids": ids, "action": "save"})
    assert response.status_code == 303, response.text
    new_id = fields["id"]
    assert response.headers["location"].startswith(f"/entries/{new_id}?")
    assert f"{len(ids)} questions resolved" in flash_of(live, response)
    assert {queued(storage)[int(i)] for i in ids} == {"resolved"}
    entry = load_knowledge(small_kb_dir).by_id[new_id]
    assert set(entry.alternates) == {  # the question, an asker's wording, kept as one too
        "Where do I get a dog licence?",
        "Where can I get a dog licence?",
    }
    assert entry.alternates[0] == fields["question"]
    assert entry.phrasings["ru"] == ("Где получить лицензию на собаку?",)
    assert f"- id: {new_id}" in (small_kb_dir / "people.yaml").read_text()
    answer = live.holder.answerer.ask("where can I get a licence for my dog")
    assert answer.id == new_id
    [row] = [r for r in accounts.audit_log() if r["action"] == "entry.new"]
    assert row["target"] == new_id and f'"resolved": {len(ids)}' in row["after"]


def test_new_entry_refused_keeps_the_form(live, storage):
    ask(storage, "Where do I get a dog licence?", 1)
    login(live, "sam")
    fields = fields_of(live.get("/entries/new", params={"ids": "1"}).text)
    fields.update(id="bank-account", answer="Somewhere.", tags="pets", topic="money")
    response = live.post("/entries/new", data={**fields, "ids": "1", "asked": "1"})
    assert response.status_code == 400
    assert "The id “bank-account” is already used by another entry" in unescape(response.text)
    assert fields_of(response.text)["answer"] == "Somewhere."
    assert queued(storage) == {1: "new"}


REQUIRED = ("id", "topic", "question", "alternates", "answer", "tags", "reviewed")


def _required_fields(page: str) -> set[str]:
    """The names of the entry form's fields marked required (HTML `required`), each
    checked to carry the visible marker in its label."""
    form = re.search(r'<form [^>]*class="entry-form.*?</form>', page, re.S)
    assert form, page
    marked = set()
    for label in re.findall(r"<label>.*?</label>", form[0], re.S):
        field = re.search(r'<(?:input|textarea|select) name="([^"]+)"[^>]*>', label)
        if field and re.search(r"\srequired[\s>]", field[0]):
            assert '<abbr class="required" title="required">*</abbr>' in label, label
            marked.add(field[1])
    return marked


def test_the_entry_forms_mark_their_required_fields(live):
    """ "Tags" (and the question, other ways to ask, answer, reviewed) had to be filled in
    but only the server said so, after sending. Now the new-entry and edit forms mark
    them required (the browser asks for them) with a visible * and a note saying what it
    means; translations, links, related entries and notes stay optional."""
    login(live, "sam")
    new = live.get("/entries/new").text
    assert _required_fields(new) == set(REQUIRED)
    assert "Fields marked * must be filled in; the others may stay empty." in new
    edit = live.get("/entries/bank-account").text
    assert _required_fields(edit) == set(REQUIRED) - {"id", "topic"}
    assert "Fields marked * must be filled in" in edit
    # machine drafts of the translations need no finished entry: not held by the browser
    for button in re.findall(r'<button [^>]*value="draft"[^>]*>', edit):
        assert "formnovalidate" in button
    live.cookies.set("console_lang", "zh")
    assert "标有 * 的字段必须填写，其余字段可以留空。" in live.get("/entries/new").text


def test_a_refused_new_entry_lists_every_problem_at_once(live, small_kb_dir):
    """A new entry with a bad link, a bad date and an unknown related entry: the link and
    date were reported first, the unknown related entry only after they were corrected.
    Now all three at once, and what was typed is kept."""
    login(live, "sam")
    fields = fields_of(live.get("/entries/new").text)
    typed = {
        "id": "printing", "topic": "money", "question": "Where can I print documents?",
        "alternates": "printer", "answer": "At the front desk.", "tags": "office",
        "links": "the printer room", "reviewed": "2026-13-45", "related": "no-such-entry",
    }  # fmt: skip
    response = live.post("/entries/new", data={**fields, **typed, "action": "save"})
    assert response.status_code == 400
    page = unescape(response.text)
    assert "Line 1 of “Links” is not a web address" in page
    assert "“Reviewed” is not a date" in page
    assert "“Related entries” names no-such-entry, which no entry has" in page
    kept = fields_of(response.text)
    assert {key: kept[key] for key in typed} == typed
    assert "printing" not in (small_kb_dir / "money.yaml").read_text(encoding="utf-8")


def test_a_draft_is_saved_as_a_draft_not_served_and_its_questions_stay_in_the_inbox(
    live, storage, small_kb_dir
):
    """A new entry whose answer is still TODO was reported "the bot serves it now", though a
    draft is never served and its questions stay in the inbox; the editor's save and a move
    of a draft said so too. The message now says it is a draft and what makes it served."""
    ask(storage, "Can I get a fishing licence in China?", 1)
    login(live, "sam")
    fields = fields_of(live.get("/entries/new", params={"ids": "1"}).text)
    fields.update(id="fishing-licence-china", alternates="fishing licence", answer="TODO")
    fields.update(tags="leisure", topic="people")
    response = live.post("/entries/new", data={**fields, "ids": "1", "asked": "1"})
    assert response.status_code == 303, response.text
    draft = (
        "Saved fishing-licence-china in people.yaml as a draft: the bot does not serve it "
        "until its answer (and any TODO phrasing) is written, and its questions stay in the "
        "inbox until then."
    )
    assert flash_of(live, response) == draft
    assert queued(storage) == {1: "new"}
    assert live.holder.answerer.kb.by_id["fishing-licence-china"].unfinished
    assert live.holder.answerer.ask("Can I get a fishing licence in China?").id != (
        "fishing-licence-china"
    )
    page = live.get("/entries/fishing-licence-china").text
    edited = {**fields_of(page), "alternates": "fishing permit", "action": "save"}
    response = live.post("/entries/fishing-licence-china", data=edited)
    assert flash_of(live, response) == draft
    page = live.get("/entries/fishing-licence-china").text
    moved = live.post(
        "/entries/fishing-licence-china/move",
        data={
            "csrf": csrf_of(page),
            "topic": "money",
            "base": fields_of(page)["base"],
            "confirmed": "1",
        },
    )
    assert "it is still a draft: the bot does not serve it" in flash_of(live, moved)
    assert "serves it now" not in flash_of(live, moved)
    page = live.get("/entries/fishing-licence-china").text
    done = {**fields_of(page), "answer": "Yes: ask the local fisheries office.", "action": "save"}
    response = live.post("/entries/fishing-licence-china", data=done)
    assert "the bot serves it now" in flash_of(live, response)
    live.cookies.set("console_lang", "zh")
    fields = fields_of(live.get("/entries/new").text)
    fields.update(id="fishing-gear", question="Fishing gear?", alternates="rods")
    fields.update(answer="TODO", tags="leisure", topic="people")
    response = live.post("/entries/new", data=fields)
    assert "已将 fishing-gear 作为草稿保存到 people.yaml" in flash_of(live, response)


def test_new_entry_without_cluster_from_the_entries_page(live, small_kb_dir):
    login(live, "sam")
    assert 'href="/entries/new"' in live.get("/entries").text
    fields = fields_of(live.get("/entries/new").text)
    fields.update(
        id="centre-opening-hours",
        question="When can I visit the service centre?",
        alternates="centre visiting hours",
        answer="Monday to Friday, 9:00 to 17:00.",
        tags="office",
        topic="people",
    )
    fields["tr-zh-question"] = "服务中心什么时候开门？"
    fields["tr-zh-answer"] = "周一至周五 9:00 至 17:00。"
    response = live.post("/entries/new", data={**fields, "action": "save"})
    assert response.status_code == 303, unescape(response.text).split("<main>")[1][:600]
    entry = load_knowledge(small_kb_dir).by_id["centre-opening-hours"]
    assert entry.translations["zh"].question == "服务中心什么时候开门？"
    assert not entry.stale("zh")
    assert live.holder.answerer.ask("centre visiting hours").id == "centre-opening-hours"


def test_roles(live):
    login(live, "mia")
    page = live.get("/entries/fapiao")
    token = csrf_of(page.text)
    for path in ("/entries/fapiao", "/entries/new", "/entries/fapiao/rollback"):
        response = live.post(path, data={"csrf": token, "answer": "x", "version": "1"})
        assert response.status_code == 403 and "role (manager)" in response.text
    assert live.get("/entries/new").status_code == 403
    assert live.get("/entries/fapiao/history").status_code == 200
    live.cookies.clear()
    assert live.get("/entries/fapiao").headers["location"] == "/login"
    assert live.post("/entries/fapiao", data={"answer": "x"}).status_code == 401  # log in


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=80
    )
)
def test_any_typed_text_is_saved_or_refused_and_comes_back(live, small_kb_dir, text):
    if "console_session" not in live.cookies:
        login(live, "sam")
    fields = fields_of(live.get("/entries/fapiao").text)
    fields["notes"] = text
    before = (small_kb_dir / "money.yaml").read_bytes()
    response = live.post("/entries/fapiao", data={**fields, "action": "save"})
    assert response.status_code in (303, 400)
    if response.status_code == 400:
        assert (small_kb_dir / "money.yaml").read_bytes() == before
    else:
        entry = load_knowledge(small_kb_dir).by_id["fapiao"]
        cleaned = text.replace("\r\n", "\n").replace("\r", "\n").strip()
        assert entry.notes == cleaned


def test_the_entry_pages_speak_chinese(live):
    login(live, "sam")
    live.cookies.set("console_lang", "zh")
    page = live.get("/entries/fapiao").text
    assert "其他问法（每行一条）" in page and "保存" in page and "暂无人工译文" in page
    assert "新建条目" in live.get("/entries/new").text
    assert "尚无保存记录" in live.get("/entries/fapiao/history").text
    assert "移到主题" in page and "删除此条目…" in page
    confirm = live.get("/entries/fapiao/delete").text
    assert "删除条目" in confirm and "恢复此条目" in confirm
    deleted = live.post("/entries/fapiao/delete", data={"csrf": csrf_of(confirm)})
    assert "机器人不再使用该条目" in unescape(live.get(deleted.headers["location"]).text)
    assert "恢复此条目" in live.get("/entries/fapiao/history").text


EN_DE = {"Where": "Wo", "dog": "HUND", "licence": "LIZENZ", "police": "POLIZEI"}


@pytest.fixture
def with_model(tmp_path, config, storage, accounts, small_kb_dir, encoder, tmp_path_factory):
    """A client whose answerer has a real (tiny) Argos en->de model."""
    from bot.translation import MachineTranslator
    from tests.argos_packages import PackageFactory

    models = tmp_path / "models"
    factory = PackageFactory(tmp_path_factory.mktemp("argos"))
    MachineTranslator(models).install_file(factory("en", "de", EN_DE, with_splitter=False))
    cfg = replace(
        config,
        knowledge=replace(config.knowledge, dir=small_kb_dir, cache_dir=tmp_path / "cache"),
        languages=replace(
            config.languages, supported=tuple(dict.fromkeys((*config.languages.supported, "de")))
        ),
        translation=replace(config.translation, packages_dir=models, beam_size=1),
    )
    answerer = build_answerer(cfg, None, storage, encoder=encoder)
    with make_client(cfg, storage, accounts, answerer) as client:
        yield client


def test_machine_translation_is_offered_as_a_draft(with_model, storage):
    ask(storage, "Where do I get a dog licence?", 1)
    login(with_model, "sam")
    page = with_model.get("/entries/new", params={"ids": "1"}).text
    assert 'value="draft"' in page
    fields = fields_of(page)
    fields.update(answer="Ask the police.", alternates="dog licence", tags="pets", topic="people")
    response = with_model.post(
        "/entries/new", data={**fields, "asked": "1", "ids": "1", "action": "draft"}
    )
    assert response.status_code == 200 and "Machine drafts for de" in response.text
    drafted = fields_of(response.text)
    assert drafted["tr-de-question"] == "Wo do I get a HUND LIZENZ?"
    assert drafted["tr-de-answer"] == "Ask the POLIZEI."
    assert drafted["answer"] == "Ask the police."  # what was typed stays
    assert queued(storage) == {1: "new"}  # a draft saves nothing
    saved = with_model.post("/entries/new", data={**drafted, "asked": "1", "ids": "1"})
    assert saved.status_code == 303, unescape(saved.text).split("<main>")[1][:500]
    new_id = fields["id"]
    kb = with_model.app.state.console.holder.answerer.kb
    assert kb.by_id[new_id].translations["de"].answer == "Ask the POLIZEI."
    assert not kb.by_id[new_id].stale("de")


def test_a_new_entrys_phrasings_join_the_translation_drafted_in_their_language(with_model, storage):
    """A wording asked in German is a German phrasing of the new entry; once the entry gets
    a German translation (a machine draft here), the phrasing belongs in its alternates.
    Saving was refused: "phrasings in 'de' belong in the entry's translation 'de'"."""
    ask(storage, "Where do I get a dog licence?", 1)
    ask(storage, "Wo bekomme ich eine Hundelizenz?", 2, "de")
    login(with_model, "sam")
    page = with_model.get("/entries/new", params={"ids": "1,2"}).text
    fields = fields_of(page)
    assert fields["phrasings"] == "de: Wo bekomme ich eine Hundelizenz?"
    assert fields["alternates"] == "Where do I get a dog licence?"  # the asker's wording
    # the knowledge base asks for one more way to ask in its own language
    fields.update(answer="Ask the police.", alternates="dog licence", tags="pets", topic="people")
    form = {**fields, "asked": ["1", "2"], "ids": ["1", "2"]}
    drafted = fields_of(with_model.post("/entries/new", data={**form, "action": "draft"}).text)
    assert drafted["tr-de-answer"] == "Ask the POLIZEI."
    saved = with_model.post("/entries/new", data={**form, **drafted, "action": "save"})
    assert saved.status_code == 303, unescape(saved.text).split("<main>")[1][:500]
    entry = with_model.app.state.console.holder.answerer.kb.by_id[fields["id"]]
    assert entry.phrasings == {}
    assert entry.translations["de"].alternates == (
        "HUND LIZENZ",
        "Wo bekomme ich eine Hundelizenz?",
    )
    assert set(queued(storage).values()) == {"resolved"}


def test_a_form_opened_before_another_save_does_not_overwrite_it(live, small_kb_dir):
    login(live, "sam")
    mine = fields_of(live.get("/entries/fapiao").text)
    theirs = dict(mine, answer="Their answer, saved first.")
    assert live.post("/entries/fapiao", data=theirs).status_code == 303
    mine["answer"] = "My answer, typed meanwhile."
    response = live.post("/entries/fapiao", data=mine)
    assert response.status_code == 400
    assert "changed by someone else" in response.text
    assert fields_of(response.text)["answer"] == "My answer, typed meanwhile."
    assert "Their answer, saved first." in (small_kb_dir / "money.yaml").read_text()


def test_the_same_save_twice_is_saved_not_a_conflict(live, small_kb_dir, accounts):
    """A double click sends the form twice: the second, identical to what the first
    stored, is saved (once: one version, one audit row), not refused as someone else's."""
    login(live, "sam")
    form = fields_of(live.get("/entries/bank-account").text)
    form.update(answer="Bring your business licence to any bank.", tags="banking company")
    form["tr-zh-answer"] = "带上营业执照去任何一家银行。"  # a translation rewritten: dated today
    first = live.post("/entries/bank-account", data=form)
    second = live.post("/entries/bank-account", data=form)
    assert second.status_code == 303, unescape(second.text)
    assert flash_of(live, first).startswith("Saved bank-account in money.yaml")
    assert flash_of(live, second) == (
        "Already saved: this form was sent twice and bank-account was saved once, in money.yaml."
    )
    assert "带上营业执照去任何一家银行。" in (small_kb_dir / "money.yaml").read_text()
    history = EntryHistory(live.app.state.console.storage.path)
    assert len(history.versions("bank-account")) == 1
    assert [r["action"] for r in accounts.audit_log()].count("entry.edit") == 1


def test_a_new_entry_from_questions_resolved_meanwhile_writes_nothing(live, storage, small_kb_dir):
    """The New entry form opened from a group that another tab then attached to an entry:
    saving it is refused, saying where the question went, with the form kept as typed."""
    ask(storage, "Where do I get a dog licence?", 1)
    login(live, "sam")
    fields = fields_of(live.get("/entries/new", params={"ids": "1"}).text)
    token = fields["csrf"]
    live.post("/inbox/attach", data={"ids": "1", "entry": "office-hours", "csrf": token})
    people = (small_kb_dir / "people.yaml").read_text()
    fields.update(answer="At the district police station.", tags="pets", topic="people")
    response = live.post("/entries/new", data={**fields, "ids": "1", "asked": "1"})
    assert response.status_code == 400
    text = unescape(response.text)
    assert "question #1 was added to “When is the service centre open?” (office-hours)" in text
    assert fields_of(response.text)["answer"] == "At the district police station."
    assert (small_kb_dir / "people.yaml").read_text() == people
    assert fields["id"] not in live.holder.answerer.kb.by_id
    assert queued(storage) == {1: "resolved"}


def test_askers_are_told_after_a_new_entry_resolves_their_question(live, storage):
    told = []

    async def tell_askers() -> int:
        told.append(len(storage.pending_notifications()))
        return 2

    live.holder.after_reload = tell_askers
    ask(storage, "Where do I get a dog licence?", 1)
    ask(storage, "Where can I get a dog licence?", 2)
    login(live, "sam")
    fields = fields_of(live.get("/entries/new", params={"ids": ["1", "2"]}).text)
    fields.update(answer="At the police station.", tags="pets", topic="people")
    response = live.post("/entries/new", data={**fields, "ids": ["1", "2"], "asked": ["1", "2"]})
    assert response.status_code == 303
    assert "2 askers were sent the answer" in flash_of(live, response) and len(told) == 1


def test_editing_the_answer_leaves_its_translations_stale(live):
    login(live, "sam")
    fields = fields_of(live.get("/entries/fapiao").text)
    fields["tr-ru-question"] = "Что такое фапяо?"
    fields["tr-ru-answer"] = "Официальный налоговый счёт."
    assert live.post("/entries/fapiao", data=fields).status_code == 303
    page = live.get("/entries/fapiao").text
    assert "Russian · curated, current" in page
    assert live.holder.answerer.answer_entry("fapiao", "ru").answer == "Официальный налоговый счёт."
    fields = fields_of(page)
    fields["answer"] = "A fapiao is China's official invoice, issued through the tax system."
    assert live.post("/entries/fapiao", data=fields).status_code == 303
    page = live.get("/entries/fapiao").text
    assert "Russian · stale: made from an older text" in page and 'name="tr-ru-current"' in page
    served = live.holder.answerer.answer_entry("fapiao", "ru")
    assert served.translation_stale and served.answer != "Официальный налоговый счёт."


def test_delete_asks_first_then_the_bot_stops_serving_it_and_history_restores_it(
    live, small_kb_dir, accounts
):
    login(live, "sam")
    assert live.holder.answerer.ask("How do I open a company bank account?").id == "bank-account"
    entry = live.get("/entries/bank-account").text
    assert 'href="/entries/bank-account/delete"' in entry
    page = live.get("/entries/bank-account/delete")
    assert page.status_code == 200 and "office-hours" in page.text  # named as related there
    assert (small_kb_dir / "money.yaml").read_text().count("- id: bank-account") == 1
    response = live.post("/entries/bank-account/delete", data=fields_of(page.text))
    assert response.status_code == 303 and response.headers["location"].startswith("/entries?")
    assert "the bot no longer serves it" in flash_of(live, response)
    assert "office-hours" in flash_of(live, response)
    assert "- id: bank-account" not in (small_kb_dir / "money.yaml").read_text()
    assert live.holder.answerer.ask("How do I open a company bank account?").id != "bank-account"
    assert live.get("/entries/bank-account").status_code == 404
    listing = live.get(response.headers["location"]).text
    assert "the bot no longer serves it" in listing
    assert 'href="/entries/bank-account/history"' in listing  # under "Deleted entries"
    actions = [(r["action"], r["target"]) for r in accounts.audit_log()][:2]
    assert sorted(actions) == [("entry.delete", "bank-account"), ("entry.edit", "office-hours")]
    history = live.get("/entries/bank-account/history").text
    assert "Restore this entry" in history and "current" not in history
    [version] = re.findall(r'name="version" value="(\d+)"', history)
    restored = live.post(
        "/entries/bank-account/rollback",
        data={"csrf": csrf_of(history), "version": version, "side": "before"},
    )
    assert restored.status_code == 303 and "the bot serves it now" in flash_of(live, restored)
    assert live.holder.answerer.ask("How do I open a company bank account?").id == "bank-account"
    assert 'href="/entries/bank-account/history"' not in live.get("/entries").text


def test_delete_refused_for_a_topic_s_last_entry_and_for_a_stale_page(live, small_kb_dir):
    login(live, "sam")
    stale = fields_of(live.get("/entries/bank-account/delete").text)
    fields = fields_of(live.get("/entries/bank-account").text)
    fields["answer"] = "Changed meanwhile."
    assert live.post("/entries/bank-account", data={**fields, "action": "save"}).status_code == 303
    refused = live.post("/entries/bank-account/delete", data=stale)
    assert refused.headers["location"].startswith("/entries/bank-account/delete?")
    assert "changed by someone else" in flash_of(live, refused, "error")
    page = live.get(refused.headers["location"]).text
    assert "changed by someone else" in unescape(page)
    ok = live.post(
        "/entries/fapiao/delete", data=fields_of(live.get("/entries/fapiao/delete").text)
    )
    assert ok.status_code == 303
    last = live.post(
        "/entries/bank-account/delete",
        data=fields_of(live.get("/entries/bank-account/delete").text),
    )
    assert "only entry" in flash_of(live, last, "error")
    assert "- id: bank-account" in (small_kb_dir / "money.yaml").read_text()
    assert live.get("/entries/no-such/delete").status_code == 404


def test_move_to_another_topic_is_live_and_in_the_history(live, small_kb_dir, accounts):
    login(live, "sam")
    page = live.get("/entries/fapiao").text
    assert '<form method="post" action="/entries/fapiao/move"' in page
    assert '<option value="people">People</option>' in page and '<option value="money">' not in page
    data = {"csrf": csrf_of(page), "topic": "people", "base": fields_of(page)["base"]}
    asked = live.post("/entries/fapiao/move", data=data)  # a choice, then a confirmation
    assert asked.status_code == 200 and "- id: fapiao" in (small_kb_dir / "money.yaml").read_text()
    assert "From the topic “Money” to the topic “People”" in asked.text
    assert 'name="confirmed" value="1"' in asked.text
    response = live.post("/entries/fapiao/move", data={**data, "confirmed": "1"})
    assert response.status_code == 303 and "to people.yaml" in flash_of(live, response)
    assert "- id: fapiao" in (small_kb_dir / "people.yaml").read_text()
    assert "- id: fapiao" not in (small_kb_dir / "money.yaml").read_text()
    assert live.holder.answerer.kb.by_id["fapiao"].source.startswith("people.yaml:")
    assert live.holder.answerer.ask("What is a fapiao?").id == "fapiao"
    assert "people.yaml" in live.get("/entries/fapiao").text
    assert "moved" in live.get("/entries/fapiao/history").text
    assert accounts.audit_log()[0]["action"] == "entry.move"
    bad = live.post("/entries/fapiao/move", data={"csrf": csrf_of(page), "topic": "nowhere"})
    assert "Choose a topic" in flash_of(live, bad, "error")


def test_refused_entry_changes_are_said_in_chinese(live, small_kb_dir):
    """An entry that is gone, a move sent twice and the delete of a topic's last entry were
    refused in the core's English on the Chinese console ("no entry 'x' in the knowledge
    base", "fapiao is already in people.yaml", "money.yaml: 'bank-account' is the topic's
    only entry; ..."). Now each is said in Chinese, in plain words."""
    login(live, "sam")
    live.cookies.set("console_lang", "zh")
    gone = live.get("/entries/no-such")
    assert gone.status_code == 404
    assert "知识库中没有条目 no-such：它可能已被删除，或其标识已更改。" in gone.text
    assert "知识库中没有条目 no-such" in live.get("/entries/no-such/delete").text
    page = live.get("/entries/fapiao").text
    move = {"csrf": csrf_of(page), "topic": "people", "base": fields_of(page)["base"]}
    assert live.post("/entries/fapiao/move", data={**move, "confirmed": "1"}).status_code == 303
    again = live.post("/entries/fapiao/move", data={**move, "confirmed": "1"})
    assert flash_of(live, again, "error") == "未做任何改动：fapiao 已经在 people.yaml 中。"
    last = live.post(
        "/entries/bank-account/delete",
        data=fields_of(live.get("/entries/bank-account/delete").text),
    )
    assert flash_of(live, last, "error") == (
        "未做任何改动：bank-account 是其主题（money.yaml）中唯一的条目，而每个主题至少需要一个"
        "条目：请先在该主题中添加另一个条目。"
    )
    assert "- id: bank-account" in (small_kb_dir / "money.yaml").read_text()


def test_move_refused_for_a_stale_page_changes_nothing(live, small_kb_dir):
    login(live, "sam")
    page = live.get("/entries/fapiao").text
    fields = fields_of(page)
    edited = {**fields, "answer": "Changed meanwhile.", "action": "save"}
    assert live.post("/entries/fapiao", data=edited).status_code == 303
    refused = live.post(
        "/entries/fapiao/move",
        data={"csrf": csrf_of(page), "topic": "people", "base": fields["base"], "confirmed": "1"},
    )
    assert refused.headers["location"].startswith("/entries/fapiao?")
    error = flash_of(live, refused, "error")
    assert error.startswith("Nothing changed:") and "changed by someone else" in error
    assert "- id: fapiao" in (small_kb_dir / "money.yaml").read_text()
    assert "- id: fapiao" not in (small_kb_dir / "people.yaml").read_text()


def test_managers_cannot_move_or_delete(live):
    login(live, "mia")
    page = live.get("/entries/fapiao").text
    assert "/entries/fapiao/move" not in page and "/entries/fapiao/delete" not in page
    assert live.get("/entries/fapiao/delete").status_code == 403
    for path in ("/entries/fapiao/delete", "/entries/fapiao/move"):
        response = live.post(path, data={"csrf": csrf_of(page), "topic": "people"})
        assert response.status_code == 403 and "role (manager)" in response.text
    live.cookies.clear()
    login(live, "sam")
    for path in ("/entries/fapiao/delete", "/entries/fapiao/move"):  # no CSRF token
        assert live.post(path, data={"topic": "people"}).status_code == 403


ORIGIN = {"origin": "http://testserver"}  # what a browser sends with a form of the console


def test_a_new_entry_sent_after_logout_comes_back_after_logging_in(live, small_kb_dir):
    """Logged out in another tab while typing: pressing "Create entry" showed a bare 403
    and what was typed was gone. Now the login page (the console's own) says why, and the
    login brings the form back filled in; nothing is saved until it is sent again."""
    login(live, "sam")
    fields = fields_of(live.get("/entries/new").text)
    fields.update(
        id="pet-visa",
        topic="people",
        question="Can my dog come to China with me?",
        alternates="bringing a pet to China",
        tags="pets",
        answer="Yes, with a health certificate and 7 days of quarantine.",
    )
    before = (small_kb_dir / "people.yaml").read_text()
    assert live.post("/logout", data={"csrf": fields["csrf"]}).status_code == 303  # other tab
    sent = live.post("/entries/new", data={**fields, "action": "save"}, headers=ORIGIN)
    assert sent.status_code == 401
    assert "FAQ bot console" in sent.text and 'action="/login"' in sent.text
    assert "what you typed is kept" in sent.text
    resume = re.search(r'name="resume" value="([^"]+)"', sent.text)
    assert resume
    token = csrf_of(sent.text)
    back = live.post(
        "/login", data={"name": "sam", "password": PASSWORD, "csrf": token, "resume": resume[1]}
    )
    assert back.status_code == 303 and back.headers["location"].startswith("/entries/new?restore=")
    page = live.get(back.headers["location"])
    again = fields_of(page.text)
    assert again["question"] == "Can my dog come to China with me?"
    assert again["answer"] == "Yes, with a health certificate and 7 days of quarantine."
    assert again["id"] == "pet-visa" and again["topic"] == "people"
    assert "nothing is saved yet" in page.text
    assert (small_kb_dir / "people.yaml").read_text() == before  # not saved on its own
    saved = live.post("/entries/new", data={**again, "action": "save"})
    assert saved.status_code == 303, re.findall(r"<li[^>]*>(.*?)</li>", saved.text)
    assert saved.headers["location"].startswith("/entries/pet-visa")


def test_an_edit_sent_from_an_earlier_session_comes_back_into_its_form(live, small_kb_dir):
    """Logged out and in again in another tab: the first tab's form carries the old
    session's token; it was refused with a bare 403. Now it comes back to be saved."""
    login(live, "sam")
    fields = fields_of(live.get("/entries/fapiao").text)
    fields["answer"] = "A fapiao is the official invoice; typed before the new login."
    live.post("/logout", data={"csrf": fields["csrf"]})
    login(live, "sam")
    before = (small_kb_dir / "money.yaml").read_text()
    sent = live.post("/entries/fapiao", data={**fields, "action": "save"}, headers=ORIGIN)
    assert sent.status_code == 303
    assert sent.headers["location"].startswith("/entries/fapiao?restore=")
    again = fields_of(live.get(sent.headers["location"]).text)
    assert again["answer"] == fields["answer"] and again["base"] == fields["base"]
    assert (small_kb_dir / "money.yaml").read_text() == before
    done = live.post("/entries/fapiao", data={**again, "action": "save"})
    assert (
        done.status_code == 303
        and "typed before the new login" in (small_kb_dir / "money.yaml").read_text()
    )


def test_any_other_form_sent_after_the_session_ended_is_offered_again(live, small_kb_dir):
    """Forms that have no page to fill in again (move, delete, the inbox's) come back on a
    page showing what was sent, with a button that sends it with the new session."""
    login(live, "sam")
    page = live.get("/entries/fapiao").text
    base = fields_of(page)["base"]
    live.post("/logout", data={"csrf": csrf_of(page)})
    data = {"csrf": csrf_of(page), "topic": "people", "base": base, "confirmed": "1"}
    sent = live.post("/entries/fapiao/move", data=data, headers=ORIGIN)
    assert sent.status_code == 401
    resume = re.search(r'name="resume" value="([^"]+)"', sent.text)
    assert resume
    back = live.post(
        "/login",
        data={"name": "sam", "password": PASSWORD, "csrf": csrf_of(sent.text), "resume": resume[1]},
    )
    assert back.headers["location"].startswith("/resend?form=")
    offer = live.get(back.headers["location"])
    assert offer.status_code == 200 and 'action="/entries/fapiao/move"' in offer.text
    assert "nothing was sent or saved" in offer.text and "people" in offer.text
    assert "- id: fapiao" in (small_kb_dir / "money.yaml").read_text()  # not moved yet
    form = fields_of(offer.text)
    moved = live.post("/entries/fapiao/move", data=form)
    assert moved.status_code == 303 and "- id: fapiao" in (small_kb_dir / "people.yaml").read_text()


def test_a_form_posted_from_another_site_is_never_kept(live):
    login(live, "sam")
    page = live.get("/entries/fapiao").text
    live.post("/logout", data={"csrf": csrf_of(page)})
    evil = {"origin": "https://evil.example"}
    sent = live.post("/entries/fapiao", data={"answer": "x", "csrf": "y"}, headers=evil)
    assert sent.status_code == 401 and 'name="resume"' not in sent.text
    assert not live.app.state.console.kept._forms


def test_a_new_entry_sent_twice_is_created_once_and_says_so(live, storage, small_kb_dir, accounts):
    """A double click on "Create entry": the second send found the id taken and refused
    it as a duplicate, though the first had created exactly that entry."""
    ask(storage, "Where do I get a dog licence?", 1)
    login(live, "sam")
    fields = fields_of(live.get("/entries/new", params={"ids": "1"}).text)
    fields.update(answer="At the district police station.", alternates="dog licence", tags="pets")
    data = {**fields, "topic": "people", "ids": "1", "asked": "1", "action": "save"}
    first = live.post("/entries/new", data=data)
    second = live.post("/entries/new", data=data)
    assert first.status_code == second.status_code == 303, unescape(second.text)
    entry_id = fields["id"]
    assert second.headers["location"].startswith(f"/entries/{entry_id}?")
    assert flash_of(live, second).startswith("Already saved: this form was sent twice")
    assert (small_kb_dir / "people.yaml").read_text().count(f"- id: {entry_id}") == 1
    assert [r["action"] for r in accounts.audit_log()].count("entry.new") == 1
    # a different entry under a taken id: refused
    third = live.post("/entries/new", data={**data, "answer": "Somewhere else.", "ids": []})
    assert third.status_code == 400 and "is already used by another entry" in unescape(third.text)


def test_a_new_entry_from_one_question_keeps_the_askers_wording(live, storage, small_kb_dir):
    """A group of one question: staff rewrite the question, and the asker's wording was
    gone (no other way to ask was left), so saving was refused: "`alternates` needs at
    least 1 item(s)". It is prefilled as an other way to ask."""
    ask(storage, "dog licence where??", 1)
    login(live, "sam")
    fields = fields_of(live.get("/entries/new", params={"ids": "1"}).text)
    assert fields["alternates"] == "dog licence where??"
    fields.update(
        question="Where do I get a dog licence?",
        answer="At the district police station.",
        tags="pets",
        topic="people",
    )
    response = live.post("/entries/new", data={**fields, "ids": "1", "asked": "1"})
    assert response.status_code == 303, re.findall(r"<li[^>]*>(.*?)</li>", response.text)
    entry = live.holder.answerer.kb.by_id[fields["id"]]
    assert entry.alternates == ("dog licence where??",)
    assert queued(storage) == {1: "resolved"}


def test_topics_show_their_titles_and_none_is_chosen_for_staff(live, small_kb_dir):
    """New entry preselected the first topic file ("banking"), the Move list too, where one
    click moved the entry; topics showed as file names. Now staff choose a topic by its
    title (in the console's language where the file has one), and confirm a move."""
    login(live, "sam")
    page = live.get("/entries/new").text
    assert re.search(r'<select name="topic" required>\s*<option value="" selected>', page)
    assert '<option value="money">Money</option>' in page
    fields = fields_of(page)
    assert "topic" not in fields  # nothing chosen
    fields.update(
        id="pet-visa", question="Can my dog come?", alternates="dog to China",
        answer="Yes, with a health certificate.", tags="pets",
    )  # fmt: skip
    refused = live.post("/entries/new", data={**fields, "action": "save"})
    assert refused.status_code == 400 and "Choose a topic." in refused.text
    assert fields_of(refused.text)["question"] == "Can my dog come?"
    live.cookies.set("console_lang", "zh")
    assert '<option value="money">资金</option>' in live.get("/entries/new").text
    edit = live.get("/entries/bank-account").text
    move = edit.split('class="move"')[1]
    assert re.search(r'<select name="topic" required>\s*<option value="" selected>', move)
    assert '<option value="people">People</option>' in move


def test_the_id_field_says_its_format_in_plain_words(live):
    """A wrong Id got only the browser's "Please match the requested format.": the rule
    is written next to the field and in its title (which the browser's message shows)."""
    login(live, "sam")
    rule = "Lowercase letters a–z, digits and single hyphens between them, e.g. wifi-password"
    page = unescape(live.get("/entries/new").text)
    field = re.search(r'<input name="id"[^>]*>', page)
    assert field and f'title="{rule}' in field[0] and 'aria-describedby="id-rule"' in field[0]
    assert f'<p class="hint" id="id-rule">{rule}' in page
    live.cookies.set("console_lang", "zh")
    page = unescape(live.get("/entries/new").text)
    assert 'title="只能使用小写字母 a–z、数字' in page and "最多 60 个字符" in page


def test_a_question_another_entry_has_is_saved_only_when_confirmed(live, small_kb_dir):
    """A new entry with exactly the question of an existing one was saved without a word:
    two entries then compete for it. The form comes back naming (and linking) the entry
    that has it; saved again as it is, it is kept as staff confirmed."""
    login(live, "sam")
    fields = fields_of(live.get("/entries/new").text)
    fields.update(
        id="fapiao-again", topic="people", question="what is a FAPIAO?",
        alternates="which bank should my company use\nfapiao explained",
        answer="An official invoice.", tags="tax",
    )  # fmt: skip
    before = (small_kb_dir / "people.yaml").read_text()
    warned = live.post("/entries/new", data={**fields, "action": "save"})
    assert warned.status_code == 409
    text = unescape(warned.text)
    assert "other entries already have these ways to ask" in text
    assert '“what is a FAPIAO?”</span> — the question of <a href="/entries/fapiao"' in text
    assert "“which bank should my company use”</span> — a way to ask of" in text
    assert 'href="/entries/bank-account"' in text
    assert (small_kb_dir / "people.yaml").read_text() == before
    again = fields_of(warned.text)
    assert again["question"] == "what is a FAPIAO?"  # what was typed is kept
    confirmed = re.findall(r'name="same" value="([^"]+)"', text)
    assert set(confirmed) == {"what is a FAPIAO?", "which bank should my company use"}
    saved = live.post("/entries/new", data={**again, "same": confirmed, "action": "save"})
    assert saved.status_code == 303
    assert "- id: fapiao-again" in (small_kb_dir / "people.yaml").read_text()
    # an edit too: the office hours entry given fapiao's question is asked about
    page = fields_of(live.get("/entries/office-hours").text)
    asked = live.post("/entries/office-hours", data={**page, "question": "What is a fapiao?"})
    assert asked.status_code == 409 and "the question of" in asked.text


def test_an_edit_matching_never_reads_keeps_the_running_matcher(live, small_kb_dir):
    """Saving only notes for staff rebuilt the whole matcher (its indexes, classifier layers
    and embeddings looked up again) as for a new wording: seconds of a busy machine for
    nothing. The new answer is served at once all the same."""
    login(live, "sam")
    before = live.holder.answerer.matcher
    fields = fields_of(live.get("/entries/fapiao").text)
    notes = {**fields, "notes": "Ask the buyer for their tax number.", "action": "save"}
    assert live.post("/entries/fapiao", data=notes).status_code == 303
    answer = {**fields_of(live.get("/entries/fapiao").text), "answer": "The official invoice."}
    assert live.post("/entries/fapiao", data={**answer, "action": "save"}).status_code == 303
    kept = live.holder.answerer.matcher
    assert kept.embeddings is before.embeddings and kept.layer is before.layer
    assert kept.kb.by_id["fapiao"].notes == "Ask the buyer for their tax number."
    assert live.holder.answerer.ask("What is a fapiao?").answer == "The official invoice."
    wording = fields_of(live.get("/entries/fapiao").text)
    wording["alternates"] += "\nwhat is this chinese invoice"
    assert live.post("/entries/fapiao", data={**wording, "action": "save"}).status_code == 303
    rebuilt = live.holder.answerer.matcher
    assert rebuilt.embeddings is not before.embeddings
    assert live.holder.answerer.ask("what is this chinese invoice").id == "fapiao"


def test_a_new_entrys_reviewed_date_is_the_centres_day(live, monkeypatch):
    """At 00:30 on 30 November in Shanghai ([web] timezone) it is still 29 November in UTC:
    the new entry form offers 2026-11-30, the day staff see on their calendar."""
    from datetime import UTC, datetime

    from bot import times

    assert live.app.state.console.config.web.timezone == "Asia/Shanghai"
    monkeypatch.setattr(times, "now", lambda: datetime(2026, 11, 29, 16, 30, tzinfo=UTC))
    login(live, "sam")
    assert fields_of(live.get("/entries/new").text)["reviewed"] == "2026-11-30"
    monkeypatch.setattr(times, "now", lambda: datetime(2026, 11, 29, 15, 30, tzinfo=UTC))
    assert fields_of(live.get("/entries/new").text)["reviewed"] == "2026-11-29"
