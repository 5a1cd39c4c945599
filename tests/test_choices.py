"""Chosen suggestions: listed grouped by entry and accepted as alternates, from the CLI
(CliRunner), into a real topic file and a real SQLite database."""

from __future__ import annotations

import getpass
import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.accounts import Accounts
from bot.cli.unanswered import unanswered
from bot.knowledge import load_knowledge
from bot.storage import NONE_OF_THESE, Storage

CHOSEN = [  # (wording, language, entry, where it was chosen)
    ("company account", "en", "bank-account", "suggestion"),
    ("company account", "en", "bank-account", "see_also"),
    ("开个公司账户", "zh", "bank-account", "suggestion"),
    ("permit for work", "en", "work-permit", "suggestion"),
]


@pytest.fixture
def cfg(config, tmp_path, small_kb_dir):
    with Storage.open(tmp_path / "bot.db") as storage:
        for n, (question, lang, entry_id, source) in enumerate(CHOSEN):
            storage.log_choice(
                user_id=n, language=lang, question=question, entry_id=entry_id, source=source
            )
    return replace(
        config,
        storage=replace(config.storage, database=tmp_path / "bot.db"),
        knowledge=replace(config.knowledge, dir=small_kb_dir),
    )


def run(cfg, *args: str):
    return CliRunner().invoke(unanswered, list(args), obj=cfg)


def test_choices_are_listed_grouped_by_entry_most_chosen_first(cfg):
    listed = run(cfg, "choices", "--json")
    assert listed.exit_code == 0, listed.output
    groups = [json.loads(line) for line in listed.output.splitlines()]
    assert [(g["entry_id"], g["count"]) for g in groups] == [
        ("bank-account", 3),
        ("work-permit", 1),
    ]
    assert groups[0]["wordings"][0] == {
        "language": "en",
        "question": "company account",
        "count": 2,
        "sources": ["see_also", "suggestion"],
    }
    assert groups[1]["wordings"][0]["sources"] == ["suggestion"]
    table = run(cfg, "choices", "--since", "30d")
    assert "bank-account: chosen 3 times; ids 1 2 3" in table.output
    assert "company account  [See also, did you mean]" in table.output
    assert "permit for work  [did you mean]" in table.output
    assert "4 choices for 2 entries" in table.output


def test_accept_all_for_an_entry_adds_alternates_in_their_language(cfg):
    done = run(cfg, "accept-choices", "--all-for", "bank-account")
    assert done.exit_code == 0, done.output
    assert "Added 2 wordings to entry bank-account in money.yaml" in done.output
    entry = load_knowledge(cfg.knowledge.dir, "en").by_id["bank-account"]
    assert "company account" in entry.alternates
    assert "开个公司账户" in entry.translations["zh"].alternates
    assert "开个公司账户" not in entry.alternates
    left = [json.loads(line) for line in run(cfg, "choices", "--json").output.splitlines()]
    assert [g["entry_id"] for g in left] == ["work-permit"]
    again = run(cfg, "accept-choices", "1", "2")
    assert "accepted already; nothing changed" in again.output


def test_accept_all_for_an_entry_leaves_out_what_was_only_opened_from_see_also(cfg):
    """A "See also" opening is not evidence that the question means the entry (the console
    does not tick it); `--all-for` added it to the entry's alternates all the same."""
    with Storage.open(cfg.storage.database) as storage:
        curious = storage.log_choice(
            user_id=8, language="en", question="bank holidays", entry_id="bank-account",
            source="see_also",
        )  # fmt: skip
        unrecorded = storage.log_choice(
            user_id=9, language="en", question="bank opening hours", entry_id="bank-account"
        )
        only_opened = storage.log_choice(
            user_id=10, language="en", question="how do taxes work", entry_id="fapiao",
            source="see_also",
        )  # fmt: skip
    with sqlite3.connect(cfg.storage.database) as db:  # logged before sources were recorded
        db.execute("UPDATE choices SET source = NULL WHERE id = ?", [unrecorded])
    done = run(cfg, "accept-choices", "--all-for", "bank-account")
    assert done.exit_code == 0, done.output
    assert "Added 2 wordings to entry bank-account" in done.output
    assert "accepted choices 1 2 3." in done.output  # "company account" was picked too
    assert "Left out 2 choices of bank-account not picked from a" in done.output
    assert '"See also"' in done.output and f"by id: {curious} {unrecorded}." in done.output
    entry = load_knowledge(cfg.knowledge.dir, "en").by_id["bank-account"]
    assert "company account" in entry.alternates
    assert "bank holidays" not in entry.alternates
    assert "bank opening hours" not in entry.alternates
    waiting = [json.loads(line) for line in run(cfg, "choices", "--json").output.splitlines()]
    assert {g["entry_id"]: g["count"] for g in waiting}["bank-account"] == 2
    before = {p.name: p.read_bytes() for p in Path(cfg.knowledge.dir).glob("*.yaml")}
    refused = run(cfg, "accept-choices", "--all-for", "fapiao")
    assert refused.exit_code == 1
    assert "the one choice waiting for entry 'fapiao' was not picked" in refused.output
    assert before == {p.name: p.read_bytes() for p in Path(cfg.knowledge.dir).glob("*.yaml")}
    by_id = run(cfg, "accept-choices", str(only_opened))  # read, and accepted, one by one
    assert by_id.exit_code == 0, by_id.output
    assert "how do taxes work" in load_knowledge(cfg.knowledge.dir, "en").by_id["fapiao"].alternates


def test_a_choice_in_an_unconfigured_language_is_accepted_in_it(cfg):
    """A Vietnamese asker is answered, and their choice logged, in English; staff see the
    wording as Vietnamese, and accepted it is a Vietnamese phrasing of the entry, not an
    English alternate."""
    vietnamese = "Làm sao để mở tài khoản ngân hàng cho công ty"
    with Storage.open(cfg.storage.database) as storage:
        chosen = storage.log_choice(
            user_id=9, language="en", question=vietnamese, entry_id="bank-account"
        )
    listed = [json.loads(line) for line in run(cfg, "choices", "--json").output.splitlines()]
    wordings = {w["question"]: w["language"] for g in listed for w in g["wordings"]}
    assert wordings[vietnamese] == "vi" and wordings["company account"] == "en"
    done = run(cfg, "accept-choices", str(chosen))
    assert done.exit_code == 0, done.output
    entry = load_knowledge(cfg.knowledge.dir, "en").by_id["bank-account"]
    assert entry.phrasings["vi"] == (vietnamese,)
    assert vietnamese not in entry.alternates


def test_accept_by_id_and_bad_input_changes_nothing(cfg):
    money = Path(cfg.knowledge.dir) / "people.yaml"
    before = money.read_bytes()
    unknown = run(cfg, "accept-choices", "4", "99")
    assert unknown.exit_code != 0 and "unknown choice id: 99" in unknown.output
    neither = run(cfg, "accept-choices")
    assert neither.exit_code != 0 and "either choice IDS or --all-for" in neither.output
    assert money.read_bytes() == before
    done = run(cfg, "accept-choices", "4")
    assert done.exit_code == 0, done.output
    entry = load_knowledge(cfg.knowledge.dir, "en").by_id["work-permit"]
    assert "permit for work" in entry.alternates


def test_a_wording_resolved_into_another_entry_is_not_accepted_twice(cfg):
    """A question added to one entry from the inbox (or `resolve`) that users also chose for
    another entry: accepting the choice is refused, naming the entry it is in, and nothing is
    written; so is one wording chosen for two entries accepted at once."""
    with Storage.open(cfg.storage.database) as storage:
        storage.log_interaction(
            user_id=7, chat_type="private", language="en", question="company account",
            status="unanswered", channel="terminal",
        )  # fmt: skip
        [asked] = storage.list_unanswered()
    resolved = run(cfg, "resolve", str(asked["id"]), "--entry", "fapiao")
    assert resolved.exit_code == 0, resolved.output
    before = {p.name: p.read_bytes() for p in Path(cfg.knowledge.dir).glob("*.yaml")}
    refused = run(cfg, "accept-choices", "--all-for", "bank-account")
    assert refused.exit_code == 1
    assert "'company account' is already a phrasing of entry 'fapiao'" in refused.output
    with Storage.open(cfg.storage.database) as storage:
        both = storage.log_choice(
            user_id=8, language="en", question="permit for work", entry_id="bank-account"
        )
    twice = run(cfg, "accept-choices", "4", str(both))
    assert twice.exit_code == 1
    assert "'permit for work' was chosen for both" in twice.output
    assert before == {p.name: p.read_bytes() for p in Path(cfg.knowledge.dir).glob("*.yaml")}
    waiting = [json.loads(line) for line in run(cfg, "choices", "--json").output.splitlines()]
    assert sum(g["count"] for g in waiting) == 5  # none accepted


def test_dismissed_choices_leave_the_list_and_are_never_accepted(cfg):
    people = Path(cfg.knowledge.dir) / "people.yaml"
    before = people.read_bytes()
    unknown = run(cfg, "dismiss-choices", "4", "99")
    assert unknown.exit_code != 0 and "unknown choice id: 99" in unknown.output
    neither = run(cfg, "dismiss-choices")
    assert neither.exit_code != 0 and "either choice IDS or --all-for" in neither.output
    done = run(cfg, "dismiss-choices", "4")
    assert done.exit_code == 0 and "Set aside 1 choice: 4." in done.output, done.output
    assert people.read_bytes() == before  # the knowledge base is not touched
    left = [json.loads(line) for line in run(cfg, "choices", "--json").output.splitlines()]
    assert [g["entry_id"] for g in left] == ["bank-account"]
    assert "accepted already; nothing changed" in run(cfg, "accept-choices", "4").output
    assert "set aside already" in run(cfg, "dismiss-choices", "4").output
    everything = run(cfg, "dismiss-choices", "--all-for", "bank-account")
    assert "Set aside 3 choices: 1 2 3." in everything.output, everything.output
    assert "No chosen suggestions waiting." in run(cfg, "choices").output
    nothing = run(cfg, "dismiss-choices", "--all-for", "bank-account")
    assert nothing.exit_code != 0 and "no chosen suggestions waiting" in nothing.output


def test_unanswered_list_marks_none_of_these(cfg):
    with Storage.open(cfg.storage.database) as storage:
        for kind in (None, NONE_OF_THESE):
            storage.log_interaction(
                user_id=1,
                chat_type="private",
                language="en",
                question="licence",
                status="unanswered",
                kind=kind,
            )
    listed = run(cfg, "list")
    assert listed.exit_code == 0, listed.output
    lines = [line for line in listed.output.splitlines() if "licence" in line]
    assert ["[none of these]" in line for line in lines] == [False, True]


def test_accepting_and_setting_aside_are_audited_as_on_the_console(cfg):
    """`accept-choices` and `dismiss-choices` wrote no audit row, while the console's "Chosen
    by users" page records `choices.accept` and `choices.dismiss`: the audit log and the
    report's staff work missed what was done from the command line. Now each writes the
    console's row, by "NAME (CLI)" (`--as NAME`, else the login name)."""
    with Storage.open(cfg.storage.database) as storage:
        curious = storage.log_choice(
            user_id=8, language="en", question="bank holidays", entry_id="bank-account",
            source="see_also",
        )  # fmt: skip
    me = f"{getpass.getuser()} (CLI)"
    assert run(cfg, "accept-choices", "4", "99").exit_code == 1  # refused: no row
    done = run(cfg, "accept-choices", "--all-for", "bank-account", "--as", "Ann  Lee")
    assert done.exit_code == 0, done.output
    assert run(cfg, "dismiss-choices", str(curious)).exit_code == 0
    assert run(cfg, "accept-choices", "1", "4", "--as", "bo").exit_code == 0
    assert "nothing changed" in run(cfg, "dismiss-choices", "4", "--as", "bo").output  # no row
    rows = _audit_rows(cfg)
    assert rows == [
        (
            "Ann Lee (CLI)",
            "choices.accept",
            "bank-account",
            # the choices it took: not the one only opened from "See also", left waiting
            [
                {"id": 1, "entry": "bank-account", "status": "new"},
                {"id": 2, "entry": "bank-account", "status": "new"},
                {"id": 3, "entry": "bank-account", "status": "new"},
            ],
            [{"entry": "bank-account", "file": "money.yaml", "added": 2, "already_there": 0}],
        ),
        (
            me,
            "choices.dismiss",
            "bank-account",
            [{"id": curious, "entry": "bank-account", "status": "new"}],
            {"status": "ignored", "ids": [curious]},
        ),
        (
            "bo (CLI)",
            "choices.accept",
            "work-permit",
            # the choices given, as the console records the ticked ones
            [
                {"id": 1, "entry": "bank-account", "status": "accepted"},
                {"id": 4, "entry": "work-permit", "status": "new"},
            ],
            [{"entry": "work-permit", "file": "people.yaml", "added": 1, "already_there": 0}],
        ),
    ]
    for command in ("accept-choices", "dismiss-choices"):
        assert "--as NAME" in run(cfg, command, "--help").output


def test_setting_aside_all_of_an_entry_is_audited_with_its_choices(cfg):
    done = run(cfg, "dismiss-choices", "--all-for", "bank-account", "--as", "kim")
    assert done.exit_code == 0, done.output
    assert _audit_rows(cfg) == [
        (
            "kim (CLI)",
            "choices.dismiss",
            "bank-account",
            [{"id": i, "entry": "bank-account", "status": "new"} for i in (1, 2, 3)],
            {"status": "ignored", "ids": [1, 2, 3]},
        )
    ]


def _audit_rows(cfg) -> list[tuple]:
    """The audit log, oldest first, as the console's audit page reads it."""
    accounts = Accounts(cfg.storage.database)
    try:
        rows = list(reversed(accounts.audit_log()))
    finally:
        accounts.close()
    return [
        (r["actor"], r["action"], r["target"], json.loads(r["before"]), json.loads(r["after"]))
        for r in rows
    ]
