"""The inbox: every kind of signal, filters, wordings translated, entries offered and found."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import entrysearch, inbox
from bot.answering import build_answerer
from bot.knowledge import load_knowledge
from bot.storage import NONE_OF_THESE, Storage
from bot.translation import MachineTranslator
from tests.argos_packages import PackageFactory
from tests.web_support import *  # noqa: F403  (the fixtures)
from tests.web_support import ask, csrf_of, login, make_client, queued

RU_EN = {"открыть": "open", "счёт": "account", "банке": "bank"}


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> PackageFactory:
    return PackageFactory(tmp_path_factory.mktemp("argos-packages"))


@pytest.fixture
def cfg(config, small_kb_dir, tmp_path):
    return replace(
        config,
        knowledge=replace(config.knowledge, dir=small_kb_dir),
        translation=replace(config.translation, packages_dir=tmp_path / "models"),
    )


@pytest.fixture
def live(cfg, storage, accounts, encoder, packages, monkeypatch):
    """A client over a writable knowledge-base copy, with a ru->en model installed (and
    time enough to load it on a busy machine)."""
    monkeypatch.setattr(inbox, "WORDING_BUDGET", 120.0)
    translator = MachineTranslator(cfg.translation.packages_dir, beam_size=1)
    translator.install_file(packages("ru", "en", RU_EN, with_splitter=False))
    answerer = build_answerer(cfg, None, storage, translator, encoder=encoder)
    with make_client(cfg, storage, accounts, answerer) as client:
        client.holder = client.app.state.console.holder
        yield client


def _section(page: str, marker: str) -> str:
    [found] = [s for s in page.split('<section class="cluster"')[1:] if marker in s]
    return found.split("</section>")[0]


def _signals(storage: Storage) -> None:
    """One of each signal that is not in the queue."""
    storage.log_interaction(
        user_id=5, chat_type="private", language="en", question="fapiao for my rent",
        status="suggest", entry_id="fapiao", channel="terminal",
    )  # fmt: skip
    storage.log_interaction(
        user_id=6, chat_type="private", language="en", question="what are the hours",
        status="answered", entry_id="office-hours", channel="terminal", ref="r1",
    )  # fmt: skip
    storage.log_feedback("r1", 6, False, reason="outdated")
    storage.save_staff_message(user_id=7, language="ru", text="Мне нужен человек, не бот")
    storage.save_relay(
        staff_chat_id=-100, staff_message_id=9, user_chat_id=8, user_id=8, language="en",
        question="please call me back about my visa",
    )  # fmt: skip


# Entries offered and found ----------------------------------------------------------------


def test_matchers_candidates_are_offered_first_and_attach_by_choice(
    live, storage, small_kb_dir, accounts
):
    ask(storage, "how do I get a corporate account at a bank", 1)
    login(live, "sam")
    page = live.get("/inbox").text
    section = _section(page, "corporate account")
    radios = re.findall(r'type="radio" name="entry" value="([^"]+)"', section)
    assert radios[0] == "bank-account" and len(radios) > 1
    assert 'name="entry" list=' not in page  # no id to type any more
    response = live.post(
        "/inbox/attach", data={"ids": "1", "entry": radios[0], "csrf": csrf_of(page)}
    )
    assert "reloaded" in live.get(response.headers["location"]).text
    assert queued(storage) == {1: "resolved"}
    kb = load_knowledge(small_kb_dir, "en")
    assert "how do I get a corporate account at a bank" in kb.by_id["bank-account"].alternates
    [row] = [r for r in accounts.audit_log() if r["action"] == "unanswered.attach"]
    assert (row["actor"], row["target"]) == ("sam", "bank-account")


def test_candidates_show_the_question_in_the_interface_language(live, storage):
    ask(storage, "how do I get a corporate account at a bank", 1)
    login(live, "sam")
    live.cookies.set("console_lang", "zh")
    section = _section(live.get("/inbox").text, "corporate account")
    assert "How do I open a company bank account?" in section
    assert "(公司银行账户怎么开？)" in section  # the curated zh question beside
    assert "最匹配的条目" in section and "附加到所选条目" in section


@pytest.mark.parametrize(
    ("find", "entry"),
    [
        ("发票", "fapiao"),  # a curated Chinese translation, by substring
        ("银行账户", "bank-account"),
        ("Как открыть счёт в банке для компании?", "bank-account"),  # no ru text: the matcher
        ("разрешение на работу для иностранца", "work-permit"),
        ("WORK PERMIT", "work-permit"),
    ],
)
def test_search_finds_entries_in_any_language(live, storage, find, entry):
    ask(storage, "Can I bring my cat to the office?", 1)
    login(live, "sam")
    page = live.get("/inbox", params={"find": find, "for": "1"}).text
    section = _section(page, "cat to the office")
    found = section.split("Entries found for")[1].split("</fieldset>")[0]
    radios = re.findall(r'type="radio" name="entry" value="([^"]+)"', found)
    assert radios[0] == entry, (find, radios)
    assert f'value="{find}"' in section  # the search box keeps the text


def test_search_results_belong_to_the_group_searched_for(live, storage):
    ask(storage, "Can I bring my cat to the office?", 1)
    ask(storage, "how do I get a corporate account at a bank", 2)
    login(live, "sam")
    page = live.get("/inbox", params={"find": "发票", "for": "2"}).text
    assert "Entries found for" in _section(page, "corporate account")
    assert "Entries found for" not in _section(page, "cat to the office")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=80))
def test_search_takes_any_text(small_answerer, text):
    found = entrysearch.search(small_answerer, text)
    assert len(found) <= 10 and len({e.id for e in found}) == len(found)
    assert all(not e.unfinished for e in found)


# What the inbox shows ----------------------------------------------------------------------


def test_every_kind_is_shown_and_labelled(live, storage):
    ask(storage, "Can I bring my cat to the office?", 1)
    storage.log_interaction(
        user_id=2, chat_type="private", language="en", question="is there parking nearby",
        status="unanswered", channel="terminal", kind=NONE_OF_THESE,
    )  # fmt: skip
    _signals(storage)
    login(live, "mia")
    page = live.get("/inbox").text
    assert "Unanswered</span>" in _section(page, "cat to the office")
    assert "None of these fit</span>" in _section(page, "parking nearby")
    others = page.split("Other signals")[1]
    rows = {
        kind: row
        for row in others.split("<tr ")[1:]
        for kind in ("suggested", "thumbs_down", "staff_message")
        if f'class="signal kind-{kind}"' in row
    }
    assert "fapiao for my rent" in rows["suggested"] and "Only got suggestions" in others
    assert "what are the hours" in rows["thumbs_down"] and "out of date" in rows["thumbs_down"]
    assert "office-hours" in rows["thumbs_down"]
    assert "Мне нужен человек" in others and "call me back about my visa" in others
    assert others.count('class="signal kind-staff_message"') == 2
    assert "/inbox/attach" not in page  # a manager reads only


def test_chosen_and_queued_suggestions_are_not_listed_again(live, storage):
    for user, question in ((1, "fapiao for my rent"), (2, "invoice for rent")):
        storage.log_interaction(
            user_id=user, chat_type="private", language="en", question=question,
            status="suggest", channel="terminal",
        )  # fmt: skip
    storage.log_choice(user_id=1, language="en", question="fapiao for my rent", entry_id="fapiao")
    storage.log_interaction(
        user_id=2, chat_type="private", language="en", question="invoice for rent",
        status="unanswered", channel="terminal", kind=NONE_OF_THESE,
    )  # fmt: skip
    login(live, "sam")
    page = live.get("/inbox").text
    assert "Only got suggestions</span>" not in page
    assert "None of these fit</span>" in _section(page, "invoice for rent")


def test_filters_by_language_and_kind(live, storage):
    ask(storage, "Can I bring my cat to the office?", 1)
    ask(storage, "Можно ли прийти с кошкой?", 2, "ru")
    storage.log_interaction(
        user_id=3, chat_type="private", language="en", question="is there parking nearby",
        status="unanswered", channel="terminal", kind=NONE_OF_THESE,
    )  # fmt: skip
    _signals(storage)
    login(live, "sam")
    page = live.get("/inbox", params={"lang": "ru"}).text
    assert "с кошкой" in page and "Мне нужен человек" in page
    assert "cat to the office" not in page and "parking" not in page and "visa" not in page
    page = live.get("/inbox", params={"kind": "none_of_these"}).text
    assert "parking nearby" in page and "cat to the office" not in page
    assert "Other signals" not in page
    page = live.get("/inbox", params={"kind": "thumbs_down"}).text
    assert "what are the hours" in page and '<section class="cluster"' not in page
    assert "Мне нужен" not in page and "fapiao for my rent" not in page
    assert 'value="thumbs_down" selected' in page
    page = live.get("/inbox", params={"kind": "nonsense", "lang": "xx"}).text
    assert "Nothing waiting" in page


def test_a_question_is_filtered_under_the_language_it_is_written_in(live, storage):
    """A Vietnamese question answered in English is offered and found under vi (as its
    group shows it) and under en."""
    ask(storage, "Làm sao để mở tài khoản ngân hàng cho công ty?", 1)  # logged as en
    ask(storage, "Можно ли прийти с кошкой?", 2, "ru")
    login(live, "sam")
    page = live.get("/inbox").text
    assert '<option value="vi"' in page
    page = live.get("/inbox", params={"lang": "vi"}).text
    assert "mở tài khoản" in page and "с кошкой" not in page
    assert "mở tài khoản" in live.get("/inbox", params={"lang": "en"}).text


def test_wordings_are_shown_with_their_machine_translation(live, storage):
    ask(storage, "Как открыть счёт в банке?", 1, "ru")
    storage.save_staff_message(user_id=7, language="ru", text="открыть счёт")
    login(live, "sam")
    page = live.get("/inbox").text
    assert "→ Как open account в bank?" in page  # ru -> en through the installed model
    assert "→ open account" in page
    [row] = [r for r in storage.translations("en") if r["kind"] == "wording"][:1]
    assert row["source"] == "" and row["source_lang"] == "ru"  # the wording is not kept twice
    assert len([r for r in storage.translations("en") if r["kind"] == "wording"]) == 2
    assert "→ Как open account в bank?" in live.get("/inbox").text  # from the cache


def test_no_translation_without_a_model(config, small_answerer, storage, accounts):
    ask(storage, "Как открыть счёт в банке?", 1, "ru")
    with make_client(config, storage, accounts, small_answerer) as client:
        login(client, "sam")
        page = client.get("/inbox").text
    assert "Как открыть счёт в банке?" in page and "→" not in page


def test_inbox_in_chinese(live, storage):
    ask(storage, "Can I bring my cat to the office?", 1)
    _signals(storage)
    login(live, "sam")
    live.cookies.set("console_lang", "zh")
    page = live.get("/inbox").text
    for text in (
        "未解答的问题",
        "其他信号",
        "仅收到建议",
        "忽略",
        "按任意语言查找条目",
        "1 人，1 种语言",
    ):
        assert text in page, text


def test_wording_translation_stops_at_its_time_budget(live, storage):
    translator = live.holder.answerer.localizer.translator
    texts = [("Как открыть счёт в банке?", "ru"), ("открыть счёт", "ru"), ("hello", "en")]
    assert inbox.wording_translations(storage, translator, texts, "en", budget=0) == {}
    found = inbox.wording_translations(storage, translator, texts, "en", budget=120)
    assert found == {
        ("Как открыть счёт в банке?", "ru"): "Как open account в bank?",
        ("открыть счёт", "ru"): "open account",
    }  # English needs no translation into English
    assert inbox.wording_translations(storage, translator, texts, "en", budget=0) == found


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(find=st.text(max_size=60))
def test_any_search_text_is_shown_escaped(live, storage, find):
    if not storage.list_unanswered():
        ask(storage, "Can I bring my cat to the office?", 1)
        login(live, "sam")
    page = live.get("/inbox", params={"find": find + "<b>x</b>", "for": "1"})
    assert page.status_code == 200
    assert "<b>x</b>" not in page.text and "&lt;b&gt;x&lt;/b&gt;" in page.text


def test_reply_with_an_entrys_answer_offers_the_same_entries(live, storage):
    ask(storage, "how do I get a corporate account at a bank", 1)
    login(live, "sam")
    section = _section(live.get("/inbox").text, "corporate account")
    reply = section.split('action="/inbox/reply"')[1].split("</form>")[0]
    assert '<select name="entry">' in reply and '<option value="bank-account">' in reply
    assert "list=" not in reply  # nothing to type


def test_a_follow_up_is_shown_after_the_question_it_followed(live, storage, small_kb_dir):
    """A web chat visitor's "大概多少钱" (roughly how much?) after a bank account question,
    offered a list they said "none of these" to, is queued with that question: the inbox,
    the handoff list and its page show it ("after: ..."; 上一个问题 in Chinese). Attaching
    it adds the visitor's own words to the entry, not the text the bot read it as."""
    bank = "How do I open a company bank account?"
    origin = {"origin": "http://testserver"}
    live.get("/chat")
    live.post("/chat/send", json={"text": bank}, headers=origin)
    listed = live.post("/chat/send", json={"text": "大概多少钱"}, headers=origin).json()
    [none] = re.findall(r'data-act="none" data-msg="(\d+)"', listed["messages"][-1]["html"])
    assert live.post("/chat/act", json={"act": "none", "msg": none}, headers=origin).is_success
    [row] = storage.list_unanswered()
    assert (row["question"], row["kind"], row["asked_after"]) == ("大概多少钱", NONE_OF_THESE, bank)
    login(live, "sam")
    page = live.get("/inbox").text
    shown = f'<span class="asked-after">after: <q dir="auto">{bank}</q></span>'
    assert shown in _section(page, "大概多少钱")
    handoffs = live.get("/handoffs").text
    assert shown in handoffs
    [hid] = re.findall(r'<a href="/handoffs/(\d+)">大概多少钱', handoffs)
    assert shown in live.get(f"/handoffs/{hid}").text
    live.cookies.set("console_lang", "zh")
    assert f'上一个问题： <q dir="auto">{bank}</q>' in live.get("/inbox").text
    form = {"ids": str(row["id"]), "entry": "bank-account", "csrf": csrf_of(page)}
    done = live.post("/inbox/attach", data=form)
    assert done.status_code == 303 and queued(storage) == {row["id"]: "resolved"}
    entry = load_knowledge(small_kb_dir, "en").by_id["bank-account"]
    added = [*entry.alternates, *(a for t in entry.translations.values() for a in t.alternates)]
    assert "大概多少钱" in added and not [a for a in added if bank in a]
