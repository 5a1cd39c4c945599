"""The Translations page: missing and stale translations per language, saved as reviewed."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import re
from dataclasses import replace
from html import unescape
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answering import build_answerer, reload_answerer
from bot.kbimport import TranslationImportError, save_translation
from bot.kbstats import queue_counts, translation_queue
from bot.knowledge import load_knowledge
from bot.translation import MachineTranslator
from bot.web import translations as translation_page
from tests import test_web_browser as served_console
from tests.argos_packages import PackageFactory
from tests.web_support import *  # noqa: F403  (the fixtures)
from tests.web_support import PASSWORD, csrf_of, login, make_client

EN_RU = {"bank": "БАНК", "account": "СЧЁТ", "company": "КОМПАНИЯ", "open": "ОТКРЫТЬ"}


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> PackageFactory:
    return PackageFactory(tmp_path_factory.mktemp("argos-packages"))


@pytest.fixture
def cfg(config, small_kb_dir, tmp_path):
    return replace(
        config,
        knowledge=replace(config.knowledge, dir=small_kb_dir),
        languages=replace(config.languages, supported=("en", "zh", "ru")),
        translation=replace(config.translation, packages_dir=tmp_path / "models"),
    )


@pytest.fixture
def translator(cfg, packages) -> MachineTranslator:
    t = MachineTranslator(cfg.translation.packages_dir, beam_size=1)
    t.install_file(packages("en", "ru", EN_RU, with_splitter=False))
    return t


@pytest.fixture
def live(cfg, storage, accounts, encoder, translator):
    """A client over a writable knowledge-base copy, with an en->ru model installed."""
    answerer = build_answerer(cfg, None, storage, translator, encoder=encoder)
    with make_client(cfg, storage, accounts, answerer) as client:
        client.holder = client.app.state.console.holder
        yield client


def _edit_source(kb_dir, old: str, new: str) -> None:
    path = kb_dir / "money.yaml"
    path.write_text(path.read_text().replace(old, new))


def _stamp_zh(kb_dir) -> None:
    """Give bank-account's zh translation a recorded source version, then change the source:
    the translation is stale."""
    kb = load_knowledge(kb_dir, "en")
    item = {"id": "bank-account", "question": "公司银行账户怎么开？", "answer": "携带营业执照。"}
    save_translation(
        kb_dir, "zh", item, "en", dt.date(2026, 11, 2), kb.by_id["bank-account"].version
    )
    _edit_source(kb_dir, "Rules vary by bank.", "Rules vary by bank and city.")


# The core ----------------------------------------------------------------------------------


def test_queue_lists_missing_and_stale_and_counts_them(small_kb_dir):
    _stamp_zh(small_kb_dir)
    kb = load_knowledge(small_kb_dir, "en")
    zh = translation_queue(kb, "zh")
    assert [(q.entry_id, q.status) for q in zh] == [
        ("bank-account", "stale"),
        ("work-permit", "missing"),
        ("office-hours", "missing"),
    ]
    assert translation_queue(kb, "en") == []
    counts = queue_counts(kb, ("en", "zh", "ru"))
    assert counts == {
        "ru": {"missing": 4, "stale": 0, "topics": 2},
        "zh": {"missing": 2, "stale": 1, "topics": 1},  # money.yaml names its topic in zh
    }


def test_save_translation_refuses_a_changed_source_and_writes_nothing(small_kb_dir):
    before = (small_kb_dir / "people.yaml").read_text()
    item = {"id": "office-hours", "question": "Когда открыт центр?", "answer": "Смотрите у входа."}
    with pytest.raises(TranslationImportError, match="changed while you translated"):
        save_translation(small_kb_dir, "ru", item, "en", version="00000000")
    with pytest.raises(TranslationImportError, match="own language"):
        save_translation(small_kb_dir, "en", item, "en")
    assert (small_kb_dir / "people.yaml").read_text() == before


def test_a_new_translation_takes_the_entrys_phrasings_in_that_language(small_kb_dir):
    """Ways to ask collected before an entry had a German translation live in
    `phrasings.de`; once it has one they belong in its alternates. Saving used to be refused
    ("phrasings in 'de' belong in the entry's translation 'de'") for every such entry."""
    path = small_kb_dir / "money.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "    reviewed: 2026-11-01\n    translations:\n",
        "    reviewed: 2026-11-01\n    phrasings:\n      de:\n        - Firmenkonto eröffnen\n"
        "        - welche Bank für die GmbH\n      it:\n        - aprire un conto aziendale\n"
        "    translations:\n",
        1,
    )
    path.write_text(text, encoding="utf-8")
    item = {
        "id": "bank-account",
        "question": "Wie eröffne ich ein Firmenkonto?",
        "alternates": ["firmenkonto eröffnen!"],  # the same wording: kept once
        "answer": "Mit Gewerbeschein, Stempeln und Pass des Vertreters zur Bank.",
        "links": ["Chinesische Volksbank"],
    }
    kb = save_translation(small_kb_dir, "de", item, "en")
    entry = kb.by_id["bank-account"]
    assert entry.translations["de"].alternates == (
        "firmenkonto eröffnen!",
        "welche Bank für die GmbH",
    )
    assert entry.phrasings == {"it": ("aprire un conto aziendale",)}
    assert "# Small test knowledge base: money matters." in path.read_text(encoding="utf-8")
    item_it = {
        "id": "bank-account",
        "question": "Come apro un conto aziendale?",
        "answer": "In banca.",
    }
    kb = save_translation(small_kb_dir, "it", item_it, "en")
    entry = kb.by_id["bank-account"]
    assert entry.phrasings == {} and "phrasings:" not in path.read_text(encoding="utf-8")
    assert entry.translations["it"].alternates == ("aprire un conto aziendale",)


# The page ----------------------------------------------------------------------------------


def test_page_shows_counts_and_the_source_beside_a_machine_draft(live, small_kb_dir):
    login(live, "sam")
    page = live.get("/translations").text
    assert 'href="/translations?lang=ru"' in page and 'href="/translations?lang=zh"' in page
    page = live.get("/translations?lang=ru").text
    assert "Russian: 4 to do" in page
    assert page.count('action="/translations/save"') == 4
    section = page.split('id="tr-bank-account"')[1].split("</section>")[0]
    assert "How do I open a company bank account?" in section  # the source beside
    assert 'name="question" value=""' in section  # nothing cached yet: no draft
    draft_link = re.search(r'href="(/translations\?lang=ru[^"]*draft=bank-account[^"]*)"', section)
    assert draft_link
    page = live.get(draft_link[1].replace("&amp;", "&").split("#")[0]).text
    section = page.split('id="tr-bank-account"')[1].split("</section>")[0]
    assert "ОТКРЫТЬ" in section and "КОМПАНИЯ" in section and "БАНК" in section
    assert "machine draft" in section
    # the draft is now cached: shown without asking again
    page = live.get("/translations?lang=ru").text
    assert "КОМПАНИЯ" in page.split('id="tr-bank-account"')[1].split("</section>")[0]


def test_saving_writes_marks_reviewed_reloads_and_audits(
    live, cfg, storage, small_kb_dir, accounts
):
    _stamp_zh(small_kb_dir)
    live.holder.answerer = reload_answerer(live.holder.answerer, cfg, storage)
    login(live, "sam")
    page = live.get("/translations?lang=zh").text
    section = page.split('id="tr-bank-account"')[1].split("</section>")[0]
    assert "stale" in section and "公司银行账户怎么开？" in section  # the old one, to correct
    comments = (small_kb_dir / "money.yaml").read_text().splitlines()[0]
    version = re.search(r'name="version" value="(\w+)"', section)[1]
    before = live.holder.answerer
    response = live.post(
        "/translations/save",
        data={
            "csrf": csrf_of(page),
            "lang": "zh",
            "entry": "bank-account",
            "version": version,
            "question": "如何开立公司银行账户？",
            "alternates": "开设对公账户\n公司开户\n",
            "answer": "携带营业执照、公司印章和法定代表人护照到银行网点办理。各银行和城市不同。",
            "link": "中国人民银行",
        },
    )
    assert response.status_code == 303
    shown = live.get(response.headers["location"]).text
    assert "as reviewed" in shown and "Chinese: 2 to do" in shown
    kb = load_knowledge(small_kb_dir, "en")
    entry = kb.by_id["bank-account"]
    tr = entry.translations["zh"]
    assert not entry.stale("zh") and tr.source == entry.version
    assert tr.reviewed == dt.datetime.now(dt.UTC).date()
    assert tr.alternates == ("开设对公账户", "公司开户") and tr.links[0].title == "中国人民银行"
    assert (small_kb_dir / "money.yaml").read_text().splitlines()[0] == comments  # round trip
    assert live.holder.answerer is not before
    answer = live.holder.answerer.ask("公司开户", lang="zh")
    assert answer.id == "bank-account" and "城市" in answer.reply
    [row] = [r for r in accounts.audit_log() if r["action"] == "translation.save"]
    assert (row["actor"], row["target"]) == ("sam", "bank-account:zh")
    assert '"stale"' in row["before"] and '"current"' in row["after"] and version in row["after"]
    assert "translation.save" in live.get("/audit").text


def _form(section: str) -> dict[str, str | list[str]]:
    """The fields of an entry's translation form, as the browser would send them."""
    form = section.split('action="/translations/save"')[1].split("</form>")[0]
    found: dict[str, str | list[str]] = {}
    for name, value in re.findall(r'<input (?:type="hidden" )?name="(\w+)" value="([^"]*)"', form):
        if name == "link":
            found.setdefault("link", [])
            found["link"].append(unescape(value))  # type: ignore[union-attr]
        else:
            found[name] = unescape(value)
    for name, value in re.findall(r'<textarea name="(\w+)"[^>]*>(.*?)</textarea>', form, re.S):
        found[name] = unescape(value)
    return found


def test_invalid_translation_changes_nothing_and_keeps_what_was_typed(live, small_kb_dir, accounts):
    """A refused translation came back as a redirect to the page with its fields refilled
    from the knowledge base: everything typed was lost, and the message named neither the
    language nor (for most problems) the entry. A placeholder (TODO) is refused like an
    empty text: it used to be saved as reviewed and served to users."""
    login(live, "sam")
    page = live.get("/translations?lang=ru").text
    files = {p.name: p.read_text() for p in small_kb_dir.glob("*.yaml")}
    section = page.split('id="tr-fapiao"')[1].split("</section>")[0]
    version = re.search(r'name="version" value="(\w+)"', section)[1]
    base = {"csrf": csrf_of(page), "lang": "ru", "entry": "fapiao", "version": version}
    typed = {
        "question": "Что такое фапяо? <b>",
        "alternates": "фапяо для аренды\nофициальный счёт",
        "answer": "Официальный налоговый счёт.",
        "link": "Налоговая служба",
    }
    for data, problem in (
        ({"answer": "  "}, "“Answer” is empty: write it in Russian."),
        ({"answer": "TODO"}, "“Answer” still says “TODO”: write the translation in its place."),
        ({"question": "TODO: translate"}, "“Question” still says “TODO: translate”"),
        ({"alternates": "фапяо\nTODO"}, "a line of “Other phrasings” still says “TODO”"),
        ({"version": "0bad0bad"}, "changed while you translated it: compare your translation"),
        ({"link": ["a", "b"]}, "the entry's links changed while you translated it"),
        ({"entry": "no-such-entry"}, "no entry no-such-entry"),
    ):
        response = live.post("/translations/save", data={**base, **typed, **data})
        assert response.status_code == 400
        shown = unescape(response.text)
        error = shown.split('class="error" role="alert">')[1].split("</p>")[0]
        assert problem in error and "Nothing changed" in error
        assert not re.search(r"`| '\w|non-empty|entry '", error), error  # no engineer's words
        assert error.startswith(f"The Russian translation of {data.get('entry', 'fapiao')}")
        if data.get("entry"):  # gone from the knowledge base: kept to copy
            assert typed["question"] in shown and typed["answer"] in shown
            continue
        kept = _form(response.text.split('id="tr-fapiao"')[1].split("</section>")[0])
        assert kept["question"] == data.get("question", typed["question"])
        assert kept["alternates"] == data.get("alternates", typed["alternates"])
        assert kept["answer"] == data.get("answer", typed["answer"])
        assert kept["link"] == [data.get("link", ["Налоговая служба"])[0]]
    assert files == {p.name: p.read_text() for p in small_kb_dir.glob("*.yaml")}
    assert not [r for r in accounts.audit_log() if r["action"] == "translation.save"]


def test_refused_translation_on_a_later_page_is_shown_where_it_was_typed(
    live, small_kb_dir, monkeypatch
):
    """The refused entry is shown on the page its form came from, and resaving it (the
    problem corrected) saves it."""
    monkeypatch.setattr(translation_page, "PAGE_SIZE", 2)
    login(live, "sam")
    page = live.get("/translations?lang=ru&page=2").text
    [entry_id] = [e for e in re.findall(r'id="tr-([\w-]+)"', page)][-1:]
    form = _form(page.split(f'id="tr-{entry_id}"')[1].split("</section>")[0])
    assert form["page"] == "2"
    typed = {**form, "csrf": csrf_of(page), "question": "Вопрос?", "answer": ""}
    refused = live.post("/translations/save", data=typed)
    assert refused.status_code == 400 and "2</strong>" in refused.text
    kept = _form(refused.text.split(f'id="tr-{entry_id}"')[1].split("</section>")[0])
    assert kept["question"] == "Вопрос?"
    saved = live.post(
        "/translations/save", data={**kept, "csrf": csrf_of(page), "answer": "Ответ."}
    )
    assert saved.status_code == 303
    assert load_knowledge(small_kb_dir, "en").by_id[entry_id].translations["ru"].answer == (
        "Ответ."
    )


def test_manager_reads_the_queue_but_cannot_save(live, small_kb_dir):
    login(live, "mia")
    page = live.get("/translations?lang=ru").text
    assert "How do I open a company bank account?" in page
    assert 'action="/translations/save"' not in page
    response = live.post(
        "/translations/save",
        data={
            "csrf": csrf_of(page),
            "lang": "ru",
            "entry": "fapiao",
            "question": "a",
            "answer": "b",
        },
    )
    assert response.status_code == 403
    assert "translations:" not in (small_kb_dir / "people.yaml").read_text()


def test_anonymous_is_sent_to_login(live):
    assert live.get("/translations?lang=ru").headers["location"] == "/login"
    assert live.post("/translations/save", data={"csrf": "x"}).status_code == 401


def test_topic_names_are_translated_and_audited(live, small_kb_dir, accounts):
    login(live, "sam")
    page = live.get("/translations?lang=zh").text
    assert 'id="topic-people"' in page and 'id="topic-money"' not in page
    response = live.post(
        "/translations/topic",
        data={"csrf": csrf_of(page), "lang": "zh", "topic": "people", "name": "人员"},
    )
    assert "Saved the Chinese name of topic people" in live.get(response.headers["location"]).text
    assert load_knowledge(small_kb_dir, "en").topics[1].names["zh"] == "人员"
    assert live.holder.answerer.topics["people"].names["zh"] == "人员"  # live
    assert 'id="topic-people"' not in live.get("/translations?lang=zh").text
    [row] = [r for r in accounts.audit_log() if r["action"] == "translation.topic"]
    assert (row["actor"], row["target"]) == ("sam", "people:zh")
    response = live.post(
        "/translations/topic",
        data={"csrf": csrf_of(page), "lang": "zh", "topic": "nowhere", "name": "x"},
    )
    assert response.status_code == 400
    assert (
        "The Chinese name of topic nowhere was not saved: the knowledge base has no topic nowhere."
        in unescape(response.text)
    )
    response = live.post(
        "/translations/topic",
        data={"csrf": csrf_of(page), "lang": "ru", "topic": "money", "name": " \t "},
    )
    assert response.status_code == 400 and (
        "The Russian name of topic money was not saved: the name is empty: write it in Russian."
        in response.text
    )
    assert 'name="name" required dir="auto" lang="ru" value=" \t "' in response.text
    live.cookies.clear()
    login(live, "mia")
    page = live.get("/translations?lang=ru").text
    assert 'id="topic-people"' in page and "<button" not in page.split('id="topic-people"')[1]
    response = live.post(
        "/translations/topic",
        data={"csrf": csrf_of(page), "lang": "ru", "topic": "people", "name": "Люди"},
    )
    assert response.status_code == 403


def test_page_in_chinese(live):
    login(live, "sam")
    live.cookies.set("console_lang", "zh")
    page = live.get("/translations?lang=ru").text
    assert "待办翻译" in page and "保存为已审核" in page
    section = page.split('id="tr-fapiao"')[1].split("</section>")[0]
    refused = live.post(
        "/translations/save", data={**_form(section), "csrf": csrf_of(page), "question": "Что?"}
    )
    assert "fapiao 的俄文翻译未保存" in refused.text and 'value="Что?"' in refused.text
    empty = live.post(
        "/translations/save",
        data={**_form(section), "csrf": csrf_of(page), "question": "Что?", "answer": " "},
    )
    assert "fapiao 的俄文翻译未保存：“回答”为空：请用俄文填写。 未做任何更改" in empty.text
    assert 'value="Что?"' in empty.text
    topic = live.post(
        "/translations/topic",
        data={"csrf": csrf_of(page), "lang": "ru", "topic": "nowhere", "name": "Люди"},
    )
    assert "主题 nowhere 的俄文名称未保存：知识库中没有主题 nowhere。" in topic.text


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    question=st.text(min_size=1, max_size=60),
    answer=st.text(min_size=1, max_size=200),
    alternates=st.lists(st.text(min_size=1, max_size=30), max_size=3),
)
def test_any_text_is_saved_exactly_or_refused_with_nothing_written(
    small_kb_dir, question, answer, alternates
):
    path = small_kb_dir / "people.yaml"
    original = path.read_text()
    item = {"id": "office-hours", "question": question, "answer": answer, "alternates": alternates}
    try:
        kb = save_translation(small_kb_dir, "ru", item, "en")
    except TranslationImportError:
        assert path.read_text() == original
        return
    finally:
        written = path.read_text()
        path.write_text(original)
    tr = kb.by_id["office-hours"].translations["ru"]
    assert (tr.question, tr.answer) == (question.strip(), answer.strip())
    assert tr.alternates == tuple(a.strip() for a in alternates if a.strip())
    assert tr.source == kb.by_id["office-hours"].version
    lines = iter(written.splitlines())
    assert all(line in lines for line in original.splitlines())  # only lines added


# In a real browser, on a phone-sized screen -------------------------------------------------

served = served_console.served  # the console as a real `python -m bot web` process


@pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None, reason="playwright is not installed"
)
@pytest.mark.skipif(
    not Path(served_console.CHROMIUM).exists(), reason="no chromium (apt-get install chromium)"
)
async def test_browser_translate_then_find_an_entry_in_chinese(served, tmp_path):
    from playwright.async_api import async_playwright

    url, database, kb = served
    shots = Path(os.environ.get("SCREENSHOTS", tmp_path))
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=served_console.CHROMIUM, args=["--no-sandbox"]
        )
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844})
            await page.goto(url + "/login")
            await page.fill("input[name=name]", "sam")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(url + "/inbox")
            await page.click("text=Translations")
            await page.click("a[href='/translations?lang=zh']")
            form = page.locator("#tr-work-permit form")
            await form.locator("input[name=question]").fill("外籍员工的工作许可怎么办？")
            await form.locator("textarea[name=alternates]").fill("工作许可申请")
            await form.locator("textarea[name=answer]").fill("用人单位在线申请外国人工作许可。")
            await page.screenshot(path=str(shots / "translations-zh.png"), full_page=True)
            await form.locator("button[type=submit]").click()
            await page.wait_for_selector(".message")
            saved = await page.inner_text(".message")
            await page.goto(url + "/ui-language?to=zh&next=/inbox")
            await page.fill("input[name=find]", "银行账户")
            await page.press("input[name=find]", "Enter")
            await page.wait_for_selector("text=与“银行账户”相关的条目")
            await page.check("fieldset >> nth=0 >> input[value=bank-account]")
            await page.screenshot(path=str(shots / "inbox-zh.png"), full_page=True)
            await page.click("text=附加到所选条目")
            await page.wait_for_selector(".message")
            attached = await page.inner_text(".message")
            await page.select_option("select[name=kind]", "thumbs_down")  # applies at once
            await page.wait_for_url("**kind=thumbs_down**")
        finally:
            await browser.close()
    assert "as reviewed" in saved and "知识库已重新加载" in attached
    assert "外籍员工的工作许可怎么办？" in (kb / "people.yaml").read_text()
    assert "corporate account at a bank" in (kb / "money.yaml").read_text()
