"""Editing whole entries (bot/entry_edit.py): the core under the console's entry pages.

Real copies of the repository's knowledge base and of tests/data/kb; real SQLite history."""

from __future__ import annotations

import datetime as dt
import difflib
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import curation, entry_edit
from bot.entry_history import EntryHistory
from bot.knowledge import load_knowledge
from bot.storage import Storage

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 26)


@pytest.fixture
def repo_kb(tmp_path) -> Path:
    return Path(shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge"))


@pytest.fixture
def history(tmp_path):
    with Storage.open(tmp_path / "bot.db") as storage:
        store = EntryHistory(storage.path)
        yield store
        store.close()


def edited(kb_dir: Path, entry_id: str, languages: list[str], **changes: str) -> dict:
    """The values a form of `entry_id` means once `changes` are typed into it."""
    _, values = entry_edit.read_entry(kb_dir, entry_id)
    fields = entry_edit.form_fields(values, languages)
    fields.update({k.replace("_", "-"): v for k, v in changes.items()})
    return entry_edit.values_from_form(fields, languages, values, TODAY)


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.ndiff(before.split("\n"), after.split("\n"))
        if line.startswith(("- ", "+ "))
    ]


def test_an_unchanged_form_writes_nothing(repo_kb, history):
    kb = load_knowledge(repo_kb)
    languages = kb.languages()
    for entry in kb.entries[:6]:
        values = edited(repo_kb, entry.id, languages)
        saved = entry_edit.save_entry(repo_kb, "en", entry.id, values, history=history, kb=kb)
        assert not saved.changed and saved.version is None, entry.id
    assert history.versions(kb.entries[0].id) == []


def test_editing_the_answer_changes_its_lines_only_and_leaves_translations_stale(repo_kb, history):
    path = repo_kb / "banking.yaml"
    before = path.read_text()
    values = edited(repo_kb, "corporate-basic-account", ["zh", "ru"], answer="Ask your bank.")
    saved = entry_edit.save_entry(
        repo_kb, "en", "corporate-basic-account", values, history=history, actor="sam"
    )
    after = path.read_text()
    changes = changed_lines(before, after)
    assert len(changes) == 3  # "answer: |" and its line go, "answer: Ask your bank." comes
    assert "+     answer: Ask your bank." in changes
    entry = load_knowledge(repo_kb).by_id["corporate-basic-account"]
    assert entry.answer == "Ask your bank."
    assert entry.stale("zh") and entry.stale("ru")  # their `source` is the older text's
    _, now = entry_edit.read_entry(repo_kb, "corporate-basic-account")
    assert entry_edit.translation_state(now, "zh") == "stale"
    assert entry_edit.translation_state(now, "id") == "none"
    [version] = history.versions("corporate-basic-account")
    assert version.actor == "sam" and version.action == entry_edit.EDIT
    assert version.before == saved.before and version.after == saved.after
    assert "Ask your bank." in version.after and "Ask your bank." not in version.before
    assert version.before in before and version.after in after


def test_editing_a_translation_records_the_source_it_now_matches(repo_kb):
    values = edited(
        repo_kb,
        "corporate-basic-account",
        ["zh"],
        answer="Ask your bank.",
        tr_zh_answer="请咨询您的银行。",
    )
    entry_edit.save_entry(repo_kb, "en", "corporate-basic-account", values)
    entry = load_knowledge(repo_kb).by_id["corporate-basic-account"]
    assert not entry.stale("zh") and entry.translations["zh"].answer == "请咨询您的银行。"
    assert entry.translations["zh"].reviewed == TODAY
    assert entry.stale("ru")  # not edited, not marked current: still stale
    values = edited(repo_kb, "corporate-basic-account", ["ru"], tr_ru_current="1")
    entry_edit.save_entry(repo_kb, "en", "corporate-basic-account", values)
    assert not load_knowledge(repo_kb).by_id["corporate-basic-account"].stale("ru")
    _, now = entry_edit.read_entry(repo_kb, "corporate-basic-account")
    assert entry_edit.translation_state(now, "ru") == "current"


def test_a_phrasing_added_to_a_stale_translation_leaves_it_stale(repo_kb):
    """Only a rewritten answer (or the "matches the current text" tick) says a translation
    caught up with its source: a phrasing, a question or a link edited alone in a stale
    translation left its old answer served as current."""
    values = edited(repo_kb, "corporate-basic-account", ["zh"], answer="Ask your bank.")
    entry_edit.save_entry(repo_kb, "en", "corporate-basic-account", values)
    assert load_knowledge(repo_kb).by_id["corporate-basic-account"].stale("zh")
    _, now = entry_edit.read_entry(repo_kb, "corporate-basic-account")
    alternates = entry_edit.form_fields(now, ["zh"])["tr-zh-alternates"] + "\n公司开户去哪个银行"
    values = edited(repo_kb, "corporate-basic-account", ["zh"], tr_zh_alternates=alternates)
    entry_edit.save_entry(repo_kb, "en", "corporate-basic-account", values)
    entry = load_knowledge(repo_kb).by_id["corporate-basic-account"]
    assert "公司开户去哪个银行" in entry.translations["zh"].alternates
    assert entry.stale("zh")
    _, now = entry_edit.read_entry(repo_kb, "corporate-basic-account")
    assert entry_edit.translation_state(now, "zh") == "stale"


def test_adding_and_removing_translations_and_optional_keys(small_kb_dir):
    path = small_kb_dir / "money.yaml"
    values = edited(
        small_kb_dir,
        "fapiao",
        ["zh", "ru"],
        tr_zh_question="",
        tr_zh_answer="",
        tr_ru_question="Что такое фапяо?",
        tr_ru_answer="Официальный налоговый счёт.",
        notes="Checked with the tax bureau.",
        related="bank-account",
        tags="tax fapiao invoices",
    )
    entry_edit.save_entry(small_kb_dir, "en", "fapiao", values)
    entry = load_knowledge(small_kb_dir).by_id["fapiao"]
    assert set(entry.translations) == {"ru"} and entry.related == ("bank-account",)
    assert entry.notes == "Checked with the tax bureau."
    assert entry.tags == ("tax", "fapiao", "invoices")
    assert "tags: [tax, fapiao, invoices]" in path.read_text()  # still a [flow, list]
    assert "# Small test knowledge base" in path.read_text()


@pytest.mark.parametrize(
    ("field", "typed", "problem"),
    [
        ("answer", "", "`answer`"),
        ("links", "not a url", "not an http(s) URL"),
        ("reviewed", "yesterday", "`reviewed` must be a date"),
        ("related", "no-such-entry", "unknown entry 'no-such-entry'"),
        ("alternates", "", "`alternates` needs at least 1 item"),
    ],
)
def test_an_invalid_edit_writes_nothing_and_says_why(small_kb_dir, history, field, typed, problem):
    path = small_kb_dir / "money.yaml"
    before = path.read_bytes()
    values = edited(small_kb_dir, "fapiao", ["zh"], **{field: typed})
    with pytest.raises(entry_edit.EntryError, match="nothing written") as caught:
        entry_edit.save_entry(small_kb_dir, "en", "fapiao", values, history=history)
    assert problem in str(caught.value)
    assert path.read_bytes() == before
    assert history.versions("fapiao") == []


def test_unknown_entry_and_changed_id_are_refused(small_kb_dir):
    with pytest.raises(entry_edit.EntryError, match="no entry 'nope'"):
        entry_edit.read_entry(small_kb_dir, "nope")
    values = edited(small_kb_dir, "fapiao", [])
    values["id"] = "fapiao-2"
    with pytest.raises(entry_edit.EntryError, match="cannot change"):
        entry_edit.save_entry(small_kb_dir, "en", "fapiao", values)


def test_a_save_started_from_an_older_text_is_refused(small_kb_dir):
    _, values = entry_edit.read_entry(small_kb_dir, "fapiao")
    base = entry_edit.text_version(values)
    first = edited(small_kb_dir, "fapiao", [], answer="First.")
    entry_edit.save_entry(small_kb_dir, "en", "fapiao", first, base=base)
    second = edited(small_kb_dir, "fapiao", [], answer="Second.")
    with pytest.raises(entry_edit.EntryError, match="changed by someone else"):
        entry_edit.save_entry(small_kb_dir, "en", "fapiao", second, base=base)
    assert load_knowledge(small_kb_dir).by_id["fapiao"].answer == "First."


def test_the_same_save_sent_twice_is_saved_once(small_kb_dir, history):
    """A double click: both sends carry the same values and the same base; the second
    finds them stored already and is saved (nothing more written), not a conflict."""
    _, values = entry_edit.read_entry(small_kb_dir, "bank-account")
    base = entry_edit.text_version(values)
    same = edited(small_kb_dir, "bank-account", ["zh"], answer="Short.", tags="banking, new")
    first = entry_edit.save_entry(
        small_kb_dir, "en", "bank-account", same, base=base, history=history
    )
    text = (small_kb_dir / "money.yaml").read_text()
    second = entry_edit.save_entry(
        small_kb_dir, "en", "bank-account", same, base=base, history=history
    )
    assert first.changed and not second.changed and second.again
    assert (small_kb_dir / "money.yaml").read_text() == text
    assert len(history.versions("bank-account")) == 1


def test_rollback_restores_the_entry_text(small_kb_dir, history):
    path = small_kb_dir / "money.yaml"
    original = path.read_text()
    values = edited(small_kb_dir, "bank-account", ["zh"], answer="Short.", tags="banking, new")
    first = entry_edit.save_entry(small_kb_dir, "en", "bank-account", values, history=history)
    assert path.read_text() != original
    version = history.version(first.version or 0)
    assert version is not None
    back = entry_edit.rollback(small_kb_dir, "en", version, side="before", history=history)
    assert path.read_text() == original
    latest = history.versions("bank-account")[0]
    assert latest.action == entry_edit.ROLLBACK and latest.id == back.version
    entry_edit.rollback(small_kb_dir, "en", version, side="after", history=history)
    assert load_knowledge(small_kb_dir).by_id["bank-account"].answer == "Short."


def test_create_entry_appends_through_the_one_writer(small_kb_dir, history):
    fields = entry_edit.new_entry_fields(
        "Where do I get a dog licence?",
        [
            ("Where do I get a dog licence?", "en"),
            ("dog licence", "en"),
            ("Где получить лицензию на собаку?", "ru"),
            ("where do i get a dog licence", "en"),
        ],
        "en",
        {"bank-account"},
        TODAY,
    )
    assert fields["id"] == "dog-licence"
    assert fields["alternates"] == "Where do I get a dog licence?\ndog licence"
    assert fields["phrasings"] == "ru: Где получить лицензию на собаку?"
    fields.update(answer="At the district police station.", tags="pets")
    values = entry_edit.values_from_form(fields, [], None, TODAY)
    before = (small_kb_dir / "money.yaml").read_text()
    saved = entry_edit.create_entry(small_kb_dir, "en", "money.yaml", values, history=history)
    after = (small_kb_dir / "money.yaml").read_text()
    assert after.startswith(before) and after[len(before) :] == saved.after
    entry = load_knowledge(small_kb_dir).by_id[saved.entry_id]
    assert entry.answer.startswith("At the")
    assert entry.alternates == ("Where do I get a dog licence?", "dog licence")
    assert entry.phrasings == {"ru": ("Где получить лицензию на собаку?",)}
    assert history.versions(saved.entry_id)[0].action == entry_edit.NEW
    with pytest.raises(entry_edit.EntryError, match="duplicate id"):
        entry_edit.create_entry(small_kb_dir, "en", "people.yaml", values)


def test_scaffolds_still_come_out_of_the_one_writer(small_kb_dir):
    new_id = curation.append_scaffold(["How do I adopt a cat?"], small_kb_dir / "money.yaml")
    text = (small_kb_dir / "money.yaml").read_text()
    assert "  # TODO: new entry drafted from 1 asked question." in text
    assert f"  - id: {new_id}\n" in text and "tags: [todo]" in text


class Translating:
    """A stand-in for MachineTranslator covering en -> ru only."""

    def covers(self, source: str, target: str) -> bool:
        return (source, target) == ("en", "ru")

    def translate(self, text, source, target, glossary=None):
        return f"[ru] {text}"


def test_machine_drafts_fill_empty_tabs_a_model_covers():
    form = {"question": "Q?", "alternates": "a\nb", "answer": "A.", "tr-zh-question": ""}
    drafts = entry_edit.machine_drafts(Translating(), "en", form, ["ru", "zh"])
    assert drafts == {
        "tr-ru-question": "[ru] Q?",
        "tr-ru-alternates": "[ru] a\n[ru] b",
        "tr-ru-answer": "[ru] A.",
    }
    typed = {**form, "tr-ru-answer": "Мой ответ"}
    assert entry_edit.machine_drafts(Translating(), "en", typed, ["ru"]) == {}
    assert entry_edit.machine_drafts(None, "en", form, ["ru"]) == {}


line = (
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="|,"),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    question=line,
    answer=st.lists(line, min_size=1, max_size=3).map("\n".join),
    alternates=st.lists(line, max_size=4),
    tr_question=line,
)
def test_form_fields_and_values_round_trip(question, answer, alternates, tr_question):
    values = {
        "id": "x",
        "question": question,
        "alternates": alternates,
        "answer": answer,
        "tags": ["a", "b"],
        "links": [{"title": "T", "url": "https://e.org/"}, "https://f.org/"],
        "reviewed": TODAY,
        "translations": {"zh": {"question": tr_question, "answer": answer, "source": "1234abcd"}},
    }
    fields = entry_edit.form_fields(values, ["zh", "ru"])
    assert entry_edit.values_from_form(fields, ["zh", "ru"], values, TODAY) == values


def test_the_validated_knowledge_base_is_cached_for_the_reload(small_kb_dir, tmp_path):
    from bot.knowledge import content_hash

    cache = tmp_path / "cache"
    values = edited(small_kb_dir, "fapiao", [], answer="Cached.")
    entry_edit.save_entry(small_kb_dir, "en", "fapiao", values, cache_dir=cache)
    digest = content_hash(small_kb_dir, "en")
    assert (cache / f"knowledge-{digest[:32]}.json").is_file()
    assert load_knowledge(small_kb_dir, "en", cache).by_id["fapiao"].answer == "Cached."


def test_phrasings_in_untranslated_languages_are_edited_as_code_prefixed_lines(repo_kb, history):
    kb = load_knowledge(repo_kb)
    entry = kb.by_id["corporate-basic-account"]
    # shipped: languages only matched (no translation)
    assert set(entry.phrasings) == {"fa", "ur", "ps", "vi", "uz", "kk", "hi"}
    shipped = [f"{lang}: {text}" for lang, texts in entry.phrasings.items() for text in texts]
    fields = entry_edit.form_fields(entry_edit.read_entry(repo_kb, entry.id)[1], kb.languages())
    assert fields["phrasings"].split("\n") == shipped
    first, indonesian = "কোম্পানির ব্যাংক অ্যাকাউন্ট কীভাবে খুলব?", "Cara buka rekening perusahaan?"
    typed = f"bn: {first}\nid: {indonesian}"
    values = edited(repo_kb, entry.id, kb.languages(), phrasings=typed)
    entry_edit.save_entry(repo_kb, "en", entry.id, values, history=history)
    after = load_knowledge(repo_kb).by_id[entry.id]
    assert after.phrasings == {"bn": (first,), "id": (indonesian,)}  # the form's lines replace all
    fields = entry_edit.form_fields(entry_edit.read_entry(repo_kb, entry.id)[1], kb.languages())
    assert f"bn: {first}" in fields["phrasings"].split("\n")
    more = fields["phrasings"] + "\nbn: ব্যাংকে কত দিন লাগে?"
    values = edited(repo_kb, entry.id, kb.languages(), phrasings=more)
    entry_edit.save_entry(repo_kb, "en", entry.id, values, history=history)
    again = load_knowledge(repo_kb).by_id[entry.id]
    assert again.phrasings["bn"] == (first, "ব্যাংকে কত দিন লাগে?")
    assert again.phrasings["id"] == (indonesian,)
    for bad_lines in ("no language code here", "de: Wie eröffne ich ein Firmenkonto?"):
        # (German has a curated translation: its phrasings are that translation's alternates)
        bad = edited(repo_kb, entry.id, kb.languages(), phrasings=bad_lines)
        with pytest.raises(entry_edit.EntryError, match="nothing written"):
            entry_edit.save_entry(repo_kb, "en", entry.id, bad, history=history)


# Move and delete --------------------------------------------------------------------------


def test_delete_removes_the_entry_and_its_name_from_related_and_restore_brings_it_back(
    small_kb_dir, history
):
    money = (small_kb_dir / "money.yaml").read_text(encoding="utf-8")
    people = (small_kb_dir / "people.yaml").read_text(encoding="utf-8")
    deleted = entry_edit.delete_entry(
        small_kb_dir, "en", "bank-account", history=history, actor="sam"
    )
    kb = load_knowledge(small_kb_dir, "en")
    assert "bank-account" not in kb.by_id and "fapiao" in kb.by_id
    assert kb.by_id["office-hours"].related == ()  # it named only the deleted entry
    assert [s.entry_id for s in deleted.unlinked] == ["office-hours"]
    assert deleted.saved.file == "money.yaml" and deleted.saved.after == ""
    left = (small_kb_dir / "money.yaml").read_text(encoding="utf-8")
    assert deleted.saved.before in money and deleted.saved.before not in left
    assert left.startswith("# Small test knowledge base")  # the file's comment stays
    # the history has the text: restoring puts it back where it was, translations included
    [gone, *_] = history.versions("bank-account")
    assert gone.action == entry_edit.DELETE and gone.before == deleted.saved.before
    assert [v.entry_id for v in history.deleted()] == ["bank-account"]
    restored = entry_edit.rollback(small_kb_dir, "en", gone, side="before", history=history)
    assert restored.file == "money.yaml" and restored.changed
    kb = load_knowledge(small_kb_dir, "en")
    assert kb.by_id["bank-account"].translations["zh"].question == "公司银行账户怎么开？"
    assert history.versions("bank-account")[0].action == entry_edit.ROLLBACK
    # the `related` link is not restored: it was another entry's save, with its own history
    assert (small_kb_dir / "people.yaml").read_text(encoding="utf-8") != people
    assert history.versions("office-hours")[0].action == entry_edit.EDIT


def test_a_topic_keeps_one_entry_and_a_stale_page_deletes_nothing(small_kb_dir, history):
    entry_edit.delete_entry(small_kb_dir, "en", "fapiao", history=history)
    before = (small_kb_dir / "money.yaml").read_bytes()
    with pytest.raises(entry_edit.EntryError, match="only entry"):
        entry_edit.delete_entry(small_kb_dir, "en", "bank-account", history=history)
    with pytest.raises(entry_edit.EntryError, match="only entry"):
        entry_edit.move_entry(small_kb_dir, "en", "bank-account", "people.yaml")
    assert (small_kb_dir / "money.yaml").read_bytes() == before
    with pytest.raises(entry_edit.EntryError, match="changed by someone else"):
        entry_edit.delete_entry(small_kb_dir, "en", "work-permit", base="0" * 16)
    with pytest.raises(entry_edit.EntryError, match="no entry"):
        entry_edit.delete_entry(small_kb_dir, "en", "fapiao")
    assert "work-permit" in load_knowledge(small_kb_dir, "en").by_id


def test_move_keeps_the_entry_lines_and_comments_in_the_other_topic(repo_kb, history):
    kb = load_knowledge(repo_kb, "en")
    source = kb.by_id["representative-office"].source.split(":")[0]
    text = (repo_kb / source).read_text(encoding="utf-8")
    _, values = entry_edit.read_entry(repo_kb, "representative-office")
    saved = entry_edit.move_entry(
        repo_kb, "en", "representative-office", "banking.yaml", history=history, actor="sam"
    )
    assert saved.moved_from == source and saved.file == "banking.yaml" and saved.changed
    assert saved.before == saved.after  # the same lines, in another file
    assert saved.after in (repo_kb / "banking.yaml").read_text(encoding="utf-8")
    assert saved.before not in (repo_kb / source).read_text(encoding="utf-8")
    moved = load_knowledge(repo_kb, "en")
    assert moved.by_id["representative-office"].source.startswith("banking.yaml:")
    assert entry_edit.read_entry(repo_kb, "representative-office")[1] == values
    assert len(moved.entries) == len(kb.entries)
    [version] = history.versions("representative-office")
    assert version.action == entry_edit.MOVE and version.file == "banking.yaml"
    with pytest.raises(entry_edit.EntryError, match="already in"):
        entry_edit.move_entry(repo_kb, "en", "representative-office", "banking.yaml")
    # and back: the source file is as it was, but for where the entry now stands (the end)
    entry_edit.move_entry(repo_kb, "en", "representative-office", source)
    assert sorted(text.splitlines()) == sorted(
        (repo_kb / source).read_text(encoding="utf-8").splitlines()
    )


def test_unfinished_reads_a_form_as_the_knowledge_base_reads_an_entry():
    """The console resolves the questions a new entry came from only when it is finished:
    a placeholder phrasing left in its own text keeps it a draft, as FaqEntry.unfinished
    does. One in a translation or the phrasings of a language is no draft: saving it is
    refused (bot/knowledge.py)."""
    done = {"question": "Can I open a second company?", "alternates": ["a second company"]}
    done |= {"answer": "Todo propietario puede.", "tags": ["company"]}
    assert not entry_edit.unfinished(done)
    assert entry_edit.unfinished({**done, "alternates": ["TODO: another way to ask this"]})
    assert not entry_edit.unfinished({**done, "translations": {"ru": {"alternates": ["TODO"]}}})
    assert not entry_edit.unfinished({**done, "phrasings": {"es": ["todo", "TODO"]}})
    assert entry_edit.unfinished({**done, "answer": "TODO: write the answer"})


def test_a_save_parses_only_the_file_it_changes(repo_kb, tmp_path, monkeypatch):
    """The console loads the knowledge base from its cache and never parses the YAML; a save
    then validates the whole folder, but parsing every topic file again (~4 MB) took 10-50 s
    on a busy machine: only the changed file is parsed, the others' checked results reused."""
    from bot import knowledge

    cache = tmp_path / "cache"
    load_knowledge(repo_kb, "en", cache)  # an earlier run wrote the cache
    monkeypatch.setattr(knowledge, "_PARSED", type(knowledge._PARSED)())  # a new process
    monkeypatch.setattr(knowledge, "_CHECKED", type(knowledge._PARSED)(), raising=False)
    kb = load_knowledge(repo_kb, "en", cache)  # start-up: from the cache
    parsed: list[str] = []
    real = knowledge.parse_topic_text
    monkeypatch.setattr(
        knowledge, "parse_topic_text", lambda text: parsed.append(text) or real(text)
    )
    entry = kb.entries[0]
    name = entry.source.rsplit(":", 1)[0]
    _, values = entry_edit.read_entry(repo_kb, entry.id, kb)
    saved = entry_edit.save_entry(
        repo_kb, "en", entry.id, {**values, "notes": "Call first."}, kb=kb, cache_dir=cache
    )
    assert saved.changed and len(knowledge.topic_files(repo_kb)) > 5
    texts = {p.name: p.read_text() for p in knowledge.topic_files(repo_kb)}
    files = {n for text in parsed for n, t in texts.items() if t.split("entries:")[0] in text}
    assert len(parsed) <= 2 and files <= {name}, files
    assert load_knowledge(repo_kb, "en", cache).by_id[entry.id].notes == "Call first."


def test_two_translations_saved_together_write_no_yaml_anchors(small_kb_dir):
    """Both translations get today's date object as `reviewed`: it was written once with an
    anchor (`reviewed: &id001 2026-11-26`) and once as an alias (`*id001`)."""
    values = edited(
        small_kb_dir,
        "fapiao",
        ["ru", "fr"],
        tr_ru_question="Что такое фапяо?",
        tr_ru_answer="Официальный счёт.",
        tr_fr_question="Qu'est-ce qu'un fapiao ?",
        tr_fr_answer="La facture officielle.",
    )
    entry_edit.save_entry(small_kb_dir, "en", "fapiao", values)
    text = (small_kb_dir / "money.yaml").read_text()
    assert "&id" not in text and "*id" not in text
    assert text.count(f"reviewed: {TODAY.isoformat()}") == 2
    fapiao = load_knowledge(small_kb_dir, "en").by_id["fapiao"]
    assert {fapiao.translations[lang].reviewed for lang in ("ru", "fr")} == {TODAY}


def test_lists_and_language_codes_typed_with_chinese_punctuation(small_kb_dir):
    """Typed on a Chinese keyboard: "wifi，会议室" was one tag, related "a，b" one unknown
    entry, and "ko：회의실" a phrasing of language "?"."""
    values = edited(
        small_kb_dir,
        "fapiao",
        [],
        tags="wifi，会议室、invoice；tax",
        related="bank-account，office-hours",
        phrasings="ko：영수증은 어디서 받나요?\nde: Wo bekomme ich eine Rechnung?",
    )
    assert values["tags"] == ["wifi", "会议室", "invoice", "tax"]
    assert values["related"] == ["bank-account", "office-hours"]
    assert values["phrasings"] == {
        "ko": ["영수증은 어디서 받나요?"],
        "de": ["Wo bekomme ich eine Rechnung?"],
    }
    entry_edit.save_entry(small_kb_dir, "en", "fapiao", values)
    fapiao = load_knowledge(small_kb_dir, "en").by_id["fapiao"]
    assert fapiao.related == ("bank-account", "office-hours") and "会议室" in fapiao.tags
