"""The report's staff work (bot/staffwork.py): what each staff member did, counted from the
rows the console, the command line and the staff chat write as they work. A real SQLite
file, a writable knowledge-base copy, the console through its ASGI client, the CLI through
click's runner, and the Telegram staff chat's identities as its handlers make them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient
from telegram import User

from bot import triage
from bot.accounts import Accounts
from bot.answering import build_answerer
from bot.cli.report import report as report_command
from bot.cli.unanswered import unanswered
from bot.delivery import Deliveries
from bot.handoff import Desk, HandoffStore
from bot.report import ALL_STAFF, STAFF_COLUMNS, build_report
from bot.staffwork import COUNTED
from bot.telegram import handoffs as telegram_handoffs
from bot.telegram import staff as telegram_staff
from bot.web.app import AnswererHolder, create_app
from tests.test_web_entries import fields_of
from tests.test_web_handoffs import Recorder, handoff_id, post
from tests.test_web_handoffs import ask as ask_on_web
from tests.web_support import *  # noqa: F403  (the fixtures)
from tests.web_support import PASSWORD, csrf_of, login

ANN = User(id=77, first_name="Ann", last_name="Lee", is_bot=False)


@pytest.fixture
def accounts(storage, clock):
    clock.now = datetime.now(UTC).replace(microsecond=0)  # as the handoffs' own clock
    accounts = Accounts(storage.path, clock=clock)
    for name, role in (("sam", "staff"), ("kim", "staff"), ("mia", "manager")):
        accounts.add(name, role, actor="admin")
        accounts.set_password(name, PASSWORD, actor="admin")
    yield accounts
    accounts.close()


@pytest.fixture
def cfg(config, storage, small_kb_dir):
    return replace(
        config,
        knowledge=replace(config.knowledge, dir=small_kb_dir),
        storage=replace(config.storage, database=storage.path),
    )


@pytest.fixture
def web():
    return Recorder()


@pytest.fixture
def live(cfg, storage, accounts, encoder, web):
    """The console over a writable knowledge-base copy; web chat askers reached by `web`."""
    answerer = build_answerer(cfg, None, storage, encoder=encoder)
    deliveries = Deliveries()
    deliveries.register("web", web)
    app = create_app(
        cfg, storage, AnswererHolder(answerer), accounts, secret=b"s" * 32, deliveries=deliveries
    )
    with TestClient(app, follow_redirects=False) as client:
        yield client


def log_in(client, name: str) -> None:
    """Log in as `name`, out of whoever was logged in (one browser, passed round)."""
    client.cookies.clear()
    assert login(client, name).status_code == 303


def staff_table(html: str) -> dict[str, list[str]]:
    """The page's staff work table: each row's counts by its first cell."""
    table = html.split('<table class="staff-work">')[1].split("</table>")[0]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>")[1], re.S):
        cells = [unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows[cells[0]] = cells[1:]
    return rows


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# Suggestions users chose: (wording, language, entry, where it was chosen)
CHOSEN = (
    ("company account", "en", "bank-account", "suggestion"),
    ("company account", "en", "bank-account", "see_also"),
    ("bank holidays", "en", "bank-account", "see_also"),
    ("permit for work", "en", "work-permit", "suggestion"),
    ("how do taxes work", "en", "fapiao", "see_also"),
)


def work_of(live, storage, web, cfg):
    """A day's work: sam replies twice (one reaches its asker, one does not), closes that
    handoff, adds a question to an entry, accepts two users' choices (one wording) and edits
    an entry; kim sets a question and a choice aside and saves a translation; ann sets one
    question aside, accepts a choice and sets one aside from the command line; Ann Lee, in
    the staff chat, closes a handoff and ignores a question. Returns the questions' ids."""
    company, _, holidays, permit, taxes = (
        storage.log_choice(
            user_id=20 + n, language=lang, question=text, entry_id=entry_id, source=source
        )
        for n, (text, lang, entry_id, source) in enumerate(CHOSEN)
    )
    parking = ask_on_web(storage, "Где парковка?", 1, "ru")
    canteen = ask_on_web(storage, "Is there a canteen?", 2)
    bank = ask_on_web(storage, "how do I get a corporate account at a bank", 3)
    dog = ask_on_web(storage, "Can I bring my dog to the office?", 4)
    drone = ask_on_web(storage, "How do I register a drone?", 5)
    weather = ask_on_web(storage, "Will it snow tomorrow?", 6)
    boat = ask_on_web(storage, "Where can I rent a boat?", 7)

    log_in(live, "sam")
    post(live, "/handoffs/reply", id=str(handoff_id(live, "Где парковка?")), text="Level -2.")
    web.reachable = False
    hid = handoff_id(live, "Is there a canteen?")
    post(live, "/handoffs/reply", id=str(hid), text="Yes, on floor 3.")
    post(live, "/handoffs/close", id=str(hid))
    inbox = live.get("/inbox").text
    done = live.post(
        "/inbox/attach", data={"ids": str(bank), "entry": "bank-account", "csrf": csrf_of(inbox)}
    )
    assert done.status_code == 303
    live.get("/handoffs")  # the bank question's handoff is closed by the inbox: nobody's work
    fields = fields_of(live.get("/entries/fapiao").text)
    fields["answer"] = "A fapiao is the official invoice; ask the seller for one."
    assert live.post("/entries/fapiao", data={**fields, "action": "save"}).status_code == 303
    page = live.get("/choices").text
    ticked = {"ids": f"{company},{company + 1}", "csrf": csrf_of(page)}  # one wording
    accepted = live.post("/choices/accept", data=ticked)
    assert "Added 1 wording to" in live.get(accepted.headers["location"]).text

    log_in(live, "kim")
    inbox = live.get("/inbox").text
    assert live.post("/inbox/ignore", data={"ids": str(dog), "csrf": csrf_of(inbox)}).is_redirect
    dismissed = live.post("/choices/dismiss", data={"ids": str(holidays), "csrf": csrf_of(inbox)})
    assert "Set aside 1 choice." in live.get(dismissed.headers["location"]).text
    page = live.get("/translations?lang=ru").text
    section = page.split('id="tr-office-hours"')[1].split("</section>")[0]
    saved = live.post(
        "/translations/save",
        data={
            "csrf": csrf_of(page),
            "lang": "ru",
            "entry": "office-hours",
            "version": re.search(r'name="version" value="(\w+)"', section)[1],
            "question": "Когда открыт центр?",
            "answer": "С понедельника по пятницу, с 9 до 18.",
        },
    )
    assert saved.status_code == 303, saved.text

    for args in (
        ["ignore", str(drone)],
        ["accept-choices", str(permit)],
        ["dismiss-choices", str(taxes)],
    ):
        done = CliRunner().invoke(unanswered, [*args, "--as", "ann"], obj=cfg)
        assert done.exit_code == 0, done.output

    # the staff chat: Ann Lee closes a handoff and presses Ignore on a question
    store = HandoffStore(storage.path)
    try:
        desk = Desk(store, Deliveries(), kb_language="en")
        hid = handoff_id(live, "Where can I rent a boat?")
        asyncio.run(desk.close(hid, telegram_handoffs.actor(ANN)))
    finally:
        store.close()
    before = triage.audit_before(storage.list_unanswered(status=None, ids=[weather]))
    changed = storage.set_unanswered_status([weather], "ignored", if_new=True)
    storage.audit_triage(
        telegram_staff.actor(ANN), "unanswered.ignore", str(weather), before,
        triage.ignored_audit(changed),
    )  # fmt: skip
    return parking, canteen, bank, dog, drone, weather, boat


def test_staff_work_per_staff_member_on_the_page_and_in_csv(live, storage, web, cfg):
    """A manager asked what their staff did: the report said nothing of it. Now each staff
    member's replies (and how many reached the asker), handoffs closed, inbox questions
    added to entries or set aside, users' choices accepted or set aside (on the console and
    from the command line alike), entry changes and translations saved are a table, by
    name, with everyone's together last; the same figures in staff_work.csv."""
    work_of(live, storage, web, cfg)
    log_in(live, "mia")
    html = live.get("/reports").text
    table = staff_table(html)
    # replies, delivered, closed, added, from questions, set aside, choices accepted, choices
    # set aside, changes, created, saved
    assert table == {
        "sam": ["2", "1", "1", "1", "0", "0", "2", "0", "1", "0", "0"],
        "Ann Lee (telegram:77)": ["0", "0", "1", "0", "0", "1", "0", "0", "0", "0", "0"],
        "kim": ["0", "0", "0", "0", "0", "1", "0", "1", "0", "0", "1"],
        "ann (CLI)": ["0", "0", "0", "0", "0", "1", "1", "1", "0", "0", "0"],
        "All staff": ["2", "1", "2", "1", "0", "3", "3", "2", "1", "0", "1"],
    }
    assert "inbox" not in table  # the bot's own closing of the bank question's handoff
    assert "No staff activity" not in html
    exported = csv_rows(live.get("/reports.csv", params={"table": "staff_work"}))
    assert exported[0] == ["staff", *STAFF_COLUMNS] and len(STAFF_COLUMNS) == len(COUNTED)
    assert {row[0]: row[1:] for row in exported[1:]} == {
        **{name: counts for name, counts in table.items() if name != "All staff"},
        ALL_STAFF: table["All staff"],
    }
    filtered = live.get("/reports", params={"language": "ru"}).text
    assert staff_table(filtered) == table  # staff work is not split by language or channel
    assert "Staff work covers every language and channel." in filtered
    live.cookies.set("console_lang", "zh")
    chinese = live.get("/reports").text
    assert "<h2>工作人员工作量" in chinese and "全体工作人员" in chinese
    assert ">发送的回复<" in chinese and ">已送达<" in chinese
    assert ">采纳的用户选择<" in chinese and ">搁置的用户选择<" in chinese


def test_new_entries_made_from_inbox_questions(live, storage, small_kb_dir):
    """An entry made from inbox questions counts as made from questions and as created;
    one made from nothing, as created only."""
    first = ask_on_web(storage, "Where do I get a dog licence?", 1)
    second = ask_on_web(storage, "Where can I get a dog licence?", 2)
    log_in(live, "sam")
    fields = fields_of(live.get("/entries/new", params={"ids": f"{first},{second}"}).text)
    fields.update(answer="At the district police station.", tags="pets", topic="people")
    made = live.post("/entries/new", data={**fields, "ids": [first, second], "action": "save"})
    assert made.status_code == 303, made.text
    fields = fields_of(live.get("/entries/new").text)
    fields.update(
        id="canteen", question="Is there a canteen in the centre?", alternates="canteen",
        answer="Yes, on floor 3, from 11:00 to 14:00.", tags="office", topic="people",
    )  # fmt: skip
    made = live.post("/entries/new", data={**fields, "action": "save"})
    assert made.status_code == 303, unescape(made.text).split("<main>")[1][:600]
    log_in(live, "mia")
    assert staff_table(live.get("/reports").text)["sam"] == [
        "0", "0", "0", "0", "1", "0", "0", "0", "0", "2", "0",
    ]  # fmt: skip


def test_the_period_is_read_in_the_consoles_time_zone(live, storage, clock):
    """Dates typed in the period filter are days in [web] timezone (Asia/Shanghai, UTC+8):
    a question set aside at 17:00 UTC on 20 November is 01:00 on the 21st there."""
    dog = ask_on_web(storage, "Can I bring my dog to the office?", 4)
    clock.now = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    log_in(live, "sam")
    inbox = live.get("/inbox").text
    assert live.post("/inbox/ignore", data={"ids": str(dog), "csrf": csrf_of(inbox)}).is_redirect
    log_in(live, "mia")
    on_the_20th = live.get("/reports", params={"since": "2026-11-20", "until": "2026-11-20"})
    assert "No staff activity in this period." in on_the_20th.text
    on_the_21st = live.get("/reports", params={"since": "2026-11-21", "until": "2026-11-21"})
    assert staff_table(on_the_21st.text)["sam"][5] == "1"


def test_an_empty_period_says_so(live, storage, web, cfg):
    work_of(live, storage, web, cfg)
    log_in(live, "mia")
    html = live.get("/reports", params={"since": "2026-01-01", "until": "2026-01-31"}).text
    assert "No staff activity in this period." in html and "staff-work" not in html
    exported = csv_rows(
        live.get(
            "/reports.csv",
            params={"since": "2026-01-01", "until": "2026-01-31", "table": "staff_work"},
        )
    )
    assert exported == [["staff", *STAFF_COLUMNS]]


def test_the_cli_report_has_the_staff_work(live, storage, web, cfg, tmp_path):
    """`python -m bot report` writes the section into the page and staff_work.csv."""
    work_of(live, storage, web, cfg)
    out, folder = tmp_path / "report.html", tmp_path / "csv"
    args = ["--out", str(out), "--csv", str(folder)]
    done = CliRunner().invoke(report_command, args, obj=cfg)
    assert done.exit_code == 0, done.output
    page = out.read_text(encoding="utf-8")
    assert "<h2>Staff work</h2>" in page and '<td dir="auto">Ann Lee (telegram:77)</td>' in page
    rows = list(csv.reader((folder / "staff_work.csv").open(encoding="utf-8-sig")))
    assert rows[-1] == [ALL_STAFF, "2", "1", "2", "1", "0", "3", "3", "2", "1", "0", "1"]
    now = datetime.now(UTC)
    core = build_report(storage.path, None, since=now - timedelta(days=1), now=now)
    assert core.staff_total.counts == (2, 1, 2, 1, 0, 3, 3, 2, 1, 0, 1)


def test_a_kept_report_gives_way_to_staff_work(live, storage, web):
    """The report is kept while nothing it counts changes: a reply that did not reach its
    asker changes no handoff, and the next page counts it all the same."""
    ask_on_web(storage, "Is there a canteen?", 2)
    log_in(live, "sam")
    hid = handoff_id(live, "Is there a canteen?")
    log_in(live, "mia")
    assert "No staff activity in this period." in live.get("/reports").text
    log_in(live, "sam")
    web.reachable = False
    post(live, "/handoffs/reply", id=str(hid), text="Yes, on floor 3.")
    log_in(live, "mia")
    assert staff_table(live.get("/reports").text)["sam"][:2] == ["1", "0"]


def test_staff_work_counts_what_staff_did_whatever_became_of_the_askers(live, storage, web):
    """sam replies to an asker who then uses "Forget me": the reply still counts (the audit
    log keeps it). A reply that reaches nobody counts as sent, not delivered, and is in the
    audit log. A handoff closed, reopened and closed again counts once; one reopened after
    its close counts not at all: "handoffs closed" are those still closed."""
    ask_on_web(storage, "Где парковка?", 1, "ru")
    ask_on_web(storage, "Is there a canteen?", 2)
    ask_on_web(storage, "Can I bring my dog?", 3)
    ask_on_web(storage, "Where can I rent a boat?", 4)
    log_in(live, "sam")
    parking, canteen = handoff_id(live, "Где парковка?"), handoff_id(live, "Is there a canteen?")
    dog, boat = (
        handoff_id(live, "Can I bring my dog?"),
        handoff_id(live, "Where can I rent a boat?"),
    )
    post(live, "/handoffs/reply", id=str(parking), text="Level -2.")
    storage.forget(1)  # the asker's "Forget me": their question, handoff and reply go
    live.get("/handoffs")
    assert "Где парковка?" not in live.get("/handoffs?state=all").text
    web.reachable = False
    post(live, "/handoffs/reply", id=str(canteen), text="Yes, on floor 3.")
    undelivered = [
        json.loads(row["after"])
        for row in storage.db.query(
            "SELECT after FROM audit WHERE action = 'handoff.reply' AND target = ?",
            [f"handoff:{canteen}"],
        )
    ]
    assert [row["delivered"] for row in undelivered] == [False]
    for action in ("close", "reopen", "close"):
        post(live, f"/handoffs/{action}", id=str(dog))
    for action in ("close", "reopen"):
        post(live, f"/handoffs/{action}", id=str(boat))
    assert "Closed by sam" in live.get(f"/handoffs/{dog}").text
    assert "Closed by sam" not in live.get(f"/handoffs/{boat}").text
    log_in(live, "mia")
    # replies, delivered, closed, ...
    assert staff_table(live.get("/reports").text)["sam"][:3] == ["2", "1", "1"]
