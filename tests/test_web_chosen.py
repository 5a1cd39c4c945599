"""The console's "Chosen by users" page: choices listed by entry, the ticked wordings added
to the entry's phrasings (the running answerer reloaded) or set aside, bad input refused with
nothing changed. A real topic-file copy, a real SQLite file, a real ru->en Argos package."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import inbox
from bot.answering import build_answerer
from bot.knowledge import load_knowledge
from bot.storage import Storage
from bot.translation import MachineTranslator
from tests import test_web_inbox as inbox_tests
from tests.web_support import *  # noqa: F403  (the fixtures)
from tests.web_support import csrf_of, login, make_client

RU_EN = {"открыть": "open", "счёт": "account", "фирмы": "company"}
CHOSEN = [  # (user, language, wording, entry, where it was chosen)
    (1, "en", "corporate account for my shop", "bank-account", "suggestion"),
    (2, "en", "corporate account for my shop", "bank-account", "suggestion"),
    (3, "zh", "给公司开个户", "bank-account", "see_also"),
    (4, "ru", "открыть счёт фирмы", "bank-account", "suggestion"),
    (5, "en", "paper invoice please", "fapiao", "suggestion"),
]


packages = inbox_tests.packages  # Argos packages built for the tests
cfg = inbox_tests.cfg  # a writable knowledge-base copy, and a models folder


@pytest.fixture
def live(cfg, storage, accounts, encoder, packages, monkeypatch):
    """A client over a writable knowledge-base copy, with a ru->en model installed, and the
    choices of CHOSEN waiting (ids 1-5)."""
    monkeypatch.setattr(inbox, "WORDING_BUDGET", 120.0)
    translator = MachineTranslator(cfg.translation.packages_dir, beam_size=1)
    translator.install_file(packages("ru", "en", RU_EN, with_splitter=False))
    for user, language, wording, entry_id, source in CHOSEN:
        storage.log_choice(
            user_id=user, language=language, question=wording, entry_id=entry_id, source=source
        )
    answerer = build_answerer(cfg, None, storage, translator, encoder=encoder)
    with make_client(cfg, storage, accounts, answerer) as client:
        client.holder = client.app.state.console.holder
        yield client


def _section(page: str, entry_id: str) -> str:
    [found] = [
        s
        for s in page.split('<section class="cluster chosen"')[1:]
        if f'id="entry-{entry_id}"' in s
    ]
    return found.split("</section>")[0]


def _boxes(section: str, ticked: bool = False) -> dict[str, str]:
    """Each wording's text (only the ticked ones' with `ticked`) -> its checkbox value (the
    ids of its choices)."""
    found = re.findall(
        r'name="ids" value="([^"]+)"( checked)?> <span class="lang">\w+</span> '
        r'<span dir="auto" lang="\w+">([^<]+)</span>',
        section,
    )
    return {text: value for value, checked, text in found if checked or not ticked}


def _statuses(storage: Storage) -> dict[int, str]:
    return {row["id"]: row["status"] for row in storage.list_choices(status=None)}


def test_choices_are_listed_by_entry_most_chosen_first_with_counts_and_translations(live):
    login(live, "sam")
    page = live.get("/choices").text
    assert "5 choices for 2 entries, the most chosen first." in page
    assert page.index('id="entry-bank-account"') < page.index('id="entry-fapiao"')
    section = _section(page, "bank-account")
    assert "How do I open a company bank account?" in section
    assert '<a href="/entries/bank-account">' in section
    assert "Chosen 4 times" in section
    assert _boxes(section) == {
        "corporate account for my shop": "1,2",
        "给公司开个户": "3",
        "открыть счёт фирмы": "4",
    }
    # Opened from "See also" is no sign that the wording means the entry: not ticked
    assert _boxes(section, ticked=True) == {
        "corporate account for my shop": "1,2",
        "открыть счёт фирмы": "4",
    }
    assert '<span class="times">×2</span>' in section
    items = {text: item for item in section.split("<li>")[1:] for text in _boxes(item)}
    assert "chosen from “did you mean”" in items["corporate account for my shop"]
    assert "opened from “See also”" in items["给公司开个户"]
    assert "See also" not in items["открыть счёт фирмы"]
    assert "→ open account company" in section  # the installed ru->en model
    assert "/choices/accept" in section and 'formaction="/choices/dismiss"' in section


def test_only_wordings_picked_from_a_list_are_ticked(live, storage):
    """A wording also picked from a "did you mean" list is ticked, whatever else; one logged
    before sources were recorded may have been a "See also" click: not ticked."""
    storage.log_choice(
        user_id=6, language="zh", question="给公司开个户", entry_id="bank-account"
    )  # the See also wording of CHOSEN, now picked from a list too
    legacy = storage.log_choice(user_id=7, language="en", question="old choice", entry_id="fapiao")
    storage.db.execute("UPDATE choices SET source = NULL WHERE id = ?", [legacy])
    storage.db.conn.commit()
    login(live, "sam")
    page = live.get("/choices").text
    assert "给公司开个户" in _boxes(_section(page, "bank-account"), ticked=True)
    fapiao = _section(page, "fapiao")
    assert "old choice" in _boxes(fapiao) and "old choice" not in _boxes(fapiao, ticked=True)


def test_the_inbox_says_how_many_choices_wait_and_links_the_page(live, storage):
    login(live, "sam")
    assert "5 suggestions chosen by users wait for review." in live.get("/inbox").text
    storage.set_choices_ignored([1, 2, 3, 4, 5])
    assert "chosen by users wait" not in live.get("/inbox").text
    assert "Nothing waiting." in live.get("/choices").text


def test_a_manager_reads_the_page_without_forms(live):
    login(live, "mia")
    page = live.get("/choices")
    assert page.status_code == 200 and "открыть счёт фирмы" in page.text
    assert "/choices/accept" not in page.text and 'type="checkbox"' not in page.text


def test_the_ticked_wordings_become_phrasings_and_the_bot_answers_them(
    live, storage, small_kb_dir, accounts
):
    login(live, "sam")
    page = live.get("/choices").text
    boxes = _boxes(_section(page, "bank-account"))
    ticked = [boxes["corporate account for my shop"], boxes["给公司开个户"]]  # ru unticked
    response = live.post("/choices/accept", data={"ids": ticked, "csrf": csrf_of(page)})
    shown = live.get(response.headers["location"]).text
    assert "Added 2 wordings to bank-account (money.yaml; 0 already there)." in shown
    assert "The knowledge base is reloaded." in shown
    assert _statuses(storage) == {1: "accepted", 2: "accepted", 3: "accepted", 4: "new", 5: "new"}
    entry = load_knowledge(small_kb_dir, "en").by_id["bank-account"]
    assert "corporate account for my shop" in entry.alternates
    assert "给公司开个户" in entry.translations["zh"].alternates
    assert "открыть счёт фирмы" not in (small_kb_dir / "money.yaml").read_text(encoding="utf-8")
    served = live.holder.answerer.kb.by_id["bank-account"]  # reloaded: the bot answers it
    assert "corporate account for my shop" in served.alternates
    assert live.holder.answerer.ask("corporate account for my shop").id == "bank-account"
    [row] = [r for r in accounts.audit_log() if r["action"] == "choices.accept"]
    assert (row["actor"], row["target"]) == ("sam", "bank-account")
    assert '"added": 2' in row["after"]
    left = live.get("/choices").text
    assert _boxes(_section(left, "bank-account")) == {"открыть счёт фирмы": "4"}


def test_set_aside_leaves_the_knowledge_base_alone_and_is_audited(
    live, storage, small_kb_dir, accounts
):
    before = {p.name: p.read_bytes() for p in small_kb_dir.glob("*.yaml")}
    login(live, "sam")
    page = live.get("/choices").text
    token = csrf_of(page)
    response = live.post("/choices/dismiss", data={"ids": "5", "csrf": token})
    assert "Set aside 1 choice." in live.get(response.headers["location"]).text
    assert _statuses(storage)[5] == "ignored"
    assert {p.name: p.read_bytes() for p in small_kb_dir.glob("*.yaml")} == before
    assert 'id="entry-fapiao"' not in live.get("/choices").text
    [row] = [r for r in accounts.audit_log() if r["action"] == "choices.dismiss"]
    assert (row["actor"], row["target"]) == ("sam", "fapiao")
    again = live.post("/choices/accept", data={"ids": "5", "csrf": token})
    assert "accepted or set aside already" in live.get(again.headers["location"]).text
    assert _statuses(storage)[5] == "ignored"


@pytest.mark.parametrize("path", ["/choices/accept", "/choices/dismiss"])
@pytest.mark.parametrize(
    ("ids", "said"),
    [("", "Tick the wordings first."), ("4,99", "unknown choice id: 99. Nothing changed.")],
)
def test_bad_input_is_refused_and_changes_nothing(live, storage, small_kb_dir, path, ids, said):
    before = {p.name: p.read_bytes() for p in small_kb_dir.glob("*.yaml")}
    login(live, "sam")
    token = csrf_of(live.get("/choices").text)
    response = live.post(path, data={"ids": ids, "csrf": token})
    assert response.status_code == 303
    assert said in live.get(response.headers["location"]).text
    assert set(_statuses(storage).values()) == {"new"}
    assert {p.name: p.read_bytes() for p in small_kb_dir.glob("*.yaml")} == before


def test_a_choice_of_an_entry_deleted_since_can_only_be_set_aside(live, storage, small_kb_dir):
    gone = storage.log_choice(user_id=9, language="en", question="old wording", entry_id="gone")
    login(live, "sam")
    page = live.get("/choices").text
    section = _section(page, "gone")
    assert "this entry no longer exists" in section
    assert "Add the ticked wordings" not in section and "Set the ticked wordings aside" in section
    before = {p.name: p.read_bytes() for p in small_kb_dir.glob("*.yaml")}
    refused = live.post("/choices/accept", data={"ids": str(gone), "csrf": csrf_of(page)})
    assert "Nothing changed." in live.get(refused.headers["location"]).text
    assert _statuses(storage)[gone] == "new"
    assert {p.name: p.read_bytes() for p in small_kb_dir.glob("*.yaml")} == before
    live.post("/choices/dismiss", data={"ids": str(gone), "csrf": csrf_of(page)})
    assert _statuses(storage)[gone] == "ignored"


def test_the_page_in_chinese_shows_the_entry_in_chinese_too(live):
    login(live, "sam")
    live.get("/ui-language?to=zh&next=/choices")
    page = live.get("/choices").text
    assert "用户的选择" in page and "将勾选的提问加入此条目" in page and "被选 4 次" in page
    assert "(公司银行账户怎么开？)" in _section(page, "bank-account")


def test_a_wording_is_shown_escaped(live, storage):
    storage.log_choice(
        user_id=8, language="en", question="<script>alert(1)</script> account", entry_id="fapiao"
    )
    login(live, "sam")
    page = live.get("/choices").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; account" in page


def test_the_page_works_before_the_knowledge_base_is_loaded(config, storage, accounts):
    storage.log_choice(user_id=1, language="en", question="some wording", entry_id="fapiao")
    with make_client(config, storage, accounts, None) as client:
        login(client, "sam")
        page = client.get("/choices").text
    assert "The knowledge base is not loaded." in page and "some wording" in page


def test_the_most_chosen_entries_are_shown_and_the_others_counted(live, storage, monkeypatch):
    from bot.web import chosen

    monkeypatch.setattr(chosen, "SHOWN_GROUPS", 1)
    login(live, "sam")
    page = live.get("/choices").text
    assert "5 choices for 2 entries, the most chosen first." in page
    assert "The 1 most chosen entries are shown" in page
    assert 'id="entry-bank-account"' in page and 'id="entry-fapiao"' not in page


def test_the_page_is_in_the_navigation():
    base = Path(__file__).resolve().parent.parent / "bot" / "web" / "templates" / "base.html"
    assert '<a href="/choices">' in base.read_text(encoding="utf-8")


def test_counts_of_one_are_said_in_the_singular(live, storage):
    """ "Chosen 1 time(s)", "1 choice(s) for 1 entr(y/ies)": real plural forms now."""
    storage.set_choices_ignored([1, 2, 3, 4])  # one choice of fapiao left
    login(live, "mia")
    page = live.get("/choices").text
    assert "1 choice for 1 entry, the most chosen first." in page and "Chosen once" in page
    assert "1 suggestion chosen by users waits for review." in live.get("/inbox").text
    live.cookies.set("console_lang", "zh")
    assert "共 1 次选择，涉及 1 个条目" in live.get("/choices").text
