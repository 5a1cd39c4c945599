"""The staff curation loop: clustering unanswered questions, editing topic files, the CLI."""

from __future__ import annotations

import getpass
import json
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from bot import curation, triage
from bot.cli.common import Since
from bot.cli.unanswered import unanswered
from bot.entry_history import EntryHistory
from bot.knowledge import ID_PATTERN, MAX_ID_LENGTH, load_knowledge
from bot.normalize import normalize
from bot.storage import Storage
from tests.conftest import SMALL_KB

CAR = [
    ("how do I register a car", "en"),
    ("как зарегистрировать машину", "ru"),
    ("How can I register my car?", "en"),
]
SIM = [
    ("where can I buy a SIM card", "en"),
    ("где купить сим-карту", "ru"),
    ("我在哪里可以买到SIM卡", "zh"),
    ("dónde puedo comprar una tarjeta SIM", "es"),
]
UNRELATED = [
    ("what is the weather tomorrow", "en"),
    ("can I bring my dog to the office", "en"),
    ("how much does a taxi to the airport cost", "en"),
    ("who won the football match yesterday", "en"),
    ("recommend a good dentist", "en"),
]


def items(questions: list[tuple[str, str]], users: list[int] | None = None) -> list[dict]:
    users = users or list(range(len(questions)))
    return [
        {"id": i + 1, "question": q, "language": lang, "user_key": f"user{u}"}
        for i, ((q, lang), u) in enumerate(zip(questions, users, strict=True))
    ]


def log(db: Path, questions: list[tuple[str, str]], when: datetime | None = None) -> list[int]:
    """Log unanswered questions (one user each) into the database at `db`; their queue ids."""
    clock = (lambda: when) if when else (lambda: datetime.now(UTC))
    with Storage.open(db, clock=clock) as storage:
        before = len(storage.list_unanswered(status=None))
        for n, (question, lang) in enumerate(questions):
            storage.log_interaction(
                user_id=f"{question}{n}",
                chat_type="private",
                language=lang,
                question=question,
                status="unanswered",
                chat_id=1000 + n,
            )
        return [row["id"] for row in storage.list_unanswered(status=None)[before:]]


def statuses(db: Path) -> dict[int, tuple[str, str | None]]:
    with Storage.open(db) as storage:
        return {
            r["id"]: (r["status"], r["resolved_entry_id"])
            for r in storage.list_unanswered(status=None)
        }


@pytest.fixture
def cfg(config, tmp_path, small_kb_dir):
    return replace(
        config,
        storage=replace(config.storage, database=tmp_path / "bot.db"),
        knowledge=replace(config.knowledge, dir=small_kb_dir),
    )


def run(cfg, *args: str):
    return CliRunner().invoke(unanswered, list(args), obj=cfg)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# Clustering ------------------------------------------------------------------------------


def test_clusters_group_paraphrases_across_languages(encoder):
    found = curation.clusters(items(CAR + SIM + UNRELATED), encoder)
    by_question = {q: c for c in found for q in c.questions}
    assert set(by_question[SIM[0][0]].questions) == {q for q, _ in SIM}
    assert set(by_question[CAR[0][0]].questions) == {q for q, _ in CAR}
    assert [len(c.ids) for c in found] == [4, 3, 1, 1, 1, 1, 1]  # biggest first
    sim = found[0]
    assert sim.languages == {"en": 1, "ru": 1, "zh": 1, "es": 1}
    assert sim.representative in sim.questions and sim.questions[0] == sim.representative
    assert sim.summary == f"4 people in 4 languages asked: {sim.representative}"
    assert sorted(sim.ids) == [4, 5, 6, 7]


def test_clusters_keep_unrelated_questions_apart(encoder):
    found = curation.clusters(items(UNRELATED), encoder)
    assert sorted(len(c.ids) for c in found) == [1] * len(UNRELATED)


def test_clusters_count_people_not_questions(encoder):
    asked = [SIM[0], SIM[0], ("Where can I buy a SIM card?", "en"), SIM[1]]
    [cluster] = curation.clusters(items(asked, users=[7, 7, 7, 8]), encoder)
    assert len(cluster.ids) == 4 and cluster.users == ("user7", "user8")
    assert cluster.summary.startswith("2 people in 2 languages asked: ")
    # user 7 asked three times in English: one person, as the inbox shows "(en 1, ru 1)"
    assert cluster.languages == {"en": 1, "ru": 1}
    assert cluster.question_in("ru") == SIM[1][0]
    assert curation.clusters([], encoder) == []


def test_clusters_know_the_language_a_question_is_written_in(encoder):
    """A Hindi question from a user who chose English is logged in English, the language it
    was answered in: its cluster counts it as Hindi, and a new entry's question in English is
    the English one."""
    hindi = ("सिम कार्ड कहाँ से खरीदें", "en")
    cluster = curation.cluster_of(items([hindi, SIM[0], hindi]), encoder)
    assert cluster.languages == {"hi": 2, "en": 1}
    assert cluster.question_in("en") == SIM[0][0]
    assert cluster.summary.startswith("3 people in 2 languages asked: ")


def _reference_average_link(vectors: np.ndarray, threshold: float) -> set[frozenset[int]]:
    """Textbook average link: merge the most similar pair of groups while it reaches t."""
    groups = [[i] for i in range(len(vectors))]
    sims = vectors @ vectors.T
    while len(groups) > 1:
        best, pair = -2.0, None
        for a in range(len(groups)):
            for b in range(a + 1, len(groups)):
                mean = sims[np.ix_(groups[a], groups[b])].mean()
                if mean > best:
                    best, pair = mean, (a, b)
        if best < threshold:
            break
        a, b = pair
        groups[a] += groups.pop(b)
    return {frozenset(g) for g in groups}


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_group_is_exact_average_link(threshold):
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((6, 16))
    vectors = centres[rng.integers(0, 6, 40)] + 0.9 * rng.standard_normal((40, 16))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    found = {frozenset(g) for g in curation.group(vectors, threshold)}
    assert found == _reference_average_link(vectors, threshold)
    assert 1 < len(found) < 40


# Editing topic files ---------------------------------------------------------------------


def test_add_alternates_keeps_the_file_and_uses_curated_translations(small_kb_dir):
    (small_kb_dir / "money.yaml").chmod(0o644)
    before = snapshot(small_kb_dir)
    path = curation.add_alternates(
        small_kb_dir,
        "bank-account",
        [
            "can any bank open my company's account",
            "对公账户在哪家银行开",
            "как открыть счёт компании",
            "Open corporate bank account!",
        ],
        languages=["en", "zh", "ru", "en"],
    )
    assert path == small_kb_dir / "money.yaml"
    old = before["money.yaml"].decode()
    expected = old.replace(
        "      - which bank should my company use\n",
        "      - which bank should my company use\n"
        "      - can any bank open my company's account\n",
        1,
    ).replace("alternates: [开设对公账户]", "alternates: [开设对公账户, 对公账户在哪家银行开]", 1)
    expected = expected.replace(
        "各银行要求不同。\n",
        "各银行要求不同。\n    phrasings:\n      ru:\n        - как открыть счёт компании\n",
        1,
    )
    assert path.read_text(encoding="utf-8") == expected  # comments, other entries: unchanged
    assert path.stat().st_mode & 0o777 == 0o644
    assert snapshot(small_kb_dir)["people.yaml"] == before["people.yaml"]
    entry = load_knowledge(small_kb_dir).by_id["bank-account"]
    assert entry.phrasings == {"ru": ("как открыть счёт компании",)}  # no ru translation
    assert entry.translations["zh"].alternates == ("开设对公账户", "对公账户在哪家银行开")


def test_wordings_in_untranslated_languages_grow_the_entrys_phrasings(small_kb_dir):
    curation.add_alternates(
        small_kb_dir, "bank-account", ["как открыть счёт компании"], languages=["ru"]
    )
    curation.add_alternates(
        small_kb_dir,
        "bank-account",
        ["где открыть счёт фирмы", "Firmenkonto eröffnen", "КАК открыть счёт компании"],
        languages=["ru", "de", "ru"],
    )
    entry = load_knowledge(small_kb_dir).by_id["bank-account"]
    assert entry.phrasings == {
        "ru": ("как открыть счёт компании", "где открыть счёт фирмы"),
        "de": ("Firmenkonto eröffnen",),
    }
    assert "Firmenkonto eröffnen" not in entry.alternates


def test_add_alternates_refuses_without_writing(small_kb_dir):
    before = snapshot(small_kb_dir)
    with pytest.raises(curation.UnknownEntryError, match="did you mean bank-account"):
        curation.add_alternates(small_kb_dir, "bank-acount", ["a new question"])
    assert snapshot(small_kb_dir) == before


def test_add_alternates_keeps_a_files_own_list_indentation(small_kb_dir):
    odd = small_kb_dir / "people.yaml"
    text = odd.read_text(encoding="utf-8").replace("\n      - ", "\n    - ")
    odd.write_text(text, encoding="utf-8")
    curation.add_alternates(small_kb_dir, "office-hours", ["when do you close"])
    after = odd.read_text(encoding="utf-8")
    old, new = text.split("\n"), after.split("\n")
    assert len(new) == len(old) + 1
    added = [line for line in new if line not in old]
    assert added == ["    - when do you close"]  # the file's own style, not a reformat
    assert "when do you close" in load_knowledge(small_kb_dir).by_id["office-hours"].alternates


@pytest.mark.parametrize(
    ("tail", "error"),
    [
        ("topic: Extra\n", "would not validate"),  # appended lines break the YAML
        ("topic: |\n  Extra\n", "did not land"),  # they would join the topic's text block
    ],
)
def test_append_scaffold_refuses_what_would_not_validate(small_kb_dir, tail, error):
    extra = small_kb_dir / "extra.yaml"
    extra.write_text(
        "entries:\n  - id: visa-z\n    question: What is a Z visa?\n"
        "    alternates: [z visa]\n    answer: A work visa.\n    tags: [visas]\n"
        "    links: []\n    reviewed: 2026-11-01\n" + tail,
        encoding="utf-8",
    )
    load_knowledge(small_kb_dir)
    before = snapshot(small_kb_dir)
    with pytest.raises(curation.CurationError, match=error):
        curation.append_scaffold(["where can I buy a SIM card"], extra)
    assert snapshot(small_kb_dir) == before


def test_new_entry_scaffold_is_yaml_and_validates_once_completed(encoder, small_kb_dir):
    cluster = curation.clusters(items([SIM[1], SIM[0], SIM[2], SIM[2]]), encoder)[0]
    text = curation.new_entry_scaffold(cluster, small_kb_dir / "people.yaml")
    assert text.startswith("  # TODO")
    [entry] = YAML(typ="safe").load(text)
    assert entry["id"] == "buy-sim-card"
    assert entry["question"] == SIM[0][0]  # the English question
    # each wording under its own language (they were all English alternates)
    assert entry["alternates"] == ["TODO: another way to ask this"]
    assert entry["phrasings"] == {"ru": [SIM[1][0]], "zh": [SIM[2][0]]}
    assert entry["answer"].startswith("TODO") and entry["tags"] == ["todo"]
    assert entry["links"] == [] and entry["reviewed"] == date.today()
    people = small_kb_dir / "people.yaml"
    done = text.replace("'TODO: write the answer'", "Any phone shop, with your passport.")
    assert "TODO: another way to ask this" in done  # a placeholder keeps it a draft, so:
    done = done.replace("TODO: another way to ask this", "where to get a phone number")
    people.write_text(
        people.read_text(encoding="utf-8") + done.replace("[todo]", "[phones]"), encoding="utf-8"
    )
    completed = load_knowledge(small_kb_dir).by_id["buy-sim-card"]
    assert not curation.is_unfinished(completed)
    assert completed.phrasings == {"ru": (SIM[1][0],), "zh": (SIM[2][0],)}
    again = YAML(typ="safe").load(curation.new_entry_scaffold([SIM[0][0]], people))
    assert again[0]["id"] == "buy-sim-card-2"  # unique against the knowledge base
    foreign = curation.clusters(items([SIM[1], SIM[1], SIM[2]]), encoder)[0]
    text = curation.new_entry_scaffold(foreign, people)
    assert "# TODO: the question is in ru: write it in en" in text
    assert YAML(typ="safe").load(text)[0]["phrasings"] == {"zh": [SIM[2][0]]}
    assert YAML(typ="safe").load(text)[0]["id"] == "new-entry"


@settings(max_examples=200, deadline=None)
@given(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=80),
    st.sets(st.sampled_from(["new-entry", "visa", "visa-2", "open-bank-account"])),
)
def test_entry_slug_is_a_valid_unique_id(question, taken):
    slug = curation.entry_slug(question, set(taken))
    assert ID_PATTERN.match(slug) and len(slug) <= MAX_ID_LENGTH and slug not in taken


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60).filter(
            str.strip
        ),
        min_size=1,
        max_size=3,
    )
)
@example(["0\u20280"])  # a line separator inside a question
@example(["a\u2029b", "c\u2028 d"])
def test_scaffold_round_trips_any_question(tmp_path_factory, questions):
    text = curation.new_entry_scaffold(questions, tmp_path_factory.getbasetemp() / "t.yaml")
    [entry] = YAML(typ="safe").load(text)
    assert entry["question"] == questions[0].strip()


# The command line ------------------------------------------------------------------------


def test_every_command_is_documented():
    for name, command in unanswered.commands.items():
        assert "Example: python -m bot unanswered " + name in command.help, name
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.name}"


def test_missing_database_is_a_clear_message(cfg):
    for args in (["list"], ["clusters"], ["ignore", "1"], ["resolve", "1", "--entry", "x"]):
        result = run(cfg, *args)
        assert result.exit_code == 1
        assert f"no database yet at {cfg.storage.database}" in result.output
    assert not cfg.storage.database.exists()


def test_since_values():
    now = datetime.now(UTC)
    assert abs(Since().convert("7d", None, None) - (now - timedelta(days=7))).total_seconds() < 5
    day = Since().convert("24h", None, None) - (now - timedelta(hours=24))
    assert abs(day.total_seconds()) < 5
    assert Since().convert("2026-11-01", None, None) == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(click.BadParameter, match="time span like 90m"):
        Since().convert("last week", None, None)


def test_list_filters_and_json(cfg):
    db = cfg.storage.database
    old = log(db, [("old question about visas", "en")], datetime.now(UTC) - timedelta(days=10))
    new = log(db, [SIM[0], SIM[1], UNRELATED[0]], datetime.now(UTC) - timedelta(hours=2))
    run(cfg, "ignore", str(new[2]))
    table = run(cfg, "list")
    assert table.exit_code == 0 and "old question about visas" in table.output
    assert "what is the weather" not in table.output and "3 questions" in table.output
    recent = run(cfg, "list", "--since", "7d", "--json")
    rows = [json.loads(line) for line in recent.stdout.splitlines()]
    assert [r["id"] for r in rows] == new[:2] and rows[1]["question"] == SIM[1][0]
    assert {r["status"] for r in rows} == {"new"} and old[0] not in [r["id"] for r in rows]
    ru = [json.loads(x) for x in run(cfg, "list", "--lang", "ru", "--json").stdout.splitlines()]
    assert [r["id"] for r in ru] == [new[1]]
    ignored = run(cfg, "list", "--status", "ignored")
    assert "what is the weather tomorrow" in ignored.output and "1 question" in ignored.output
    assert "4 questions" in run(cfg, "list", "--status", "all").output
    assert "1 question" in run(cfg, "list", "--status", "all", "--limit", "1").output
    bad = run(cfg, "list", "--since", "yesterday")
    assert bad.exit_code == 2 and "Invalid value for '--since'" in bad.output


def test_list_shows_and_filters_the_language_a_question_is_written_in(cfg):
    """A Vietnamese question answered in English is listed as vi, and `--lang vi` finds it
    (through its interaction's `written_in`) as `--lang en` does."""
    with Storage.open(cfg.storage.database) as storage:
        storage.log_interaction(
            user_id=1,
            chat_type="private",
            language="en",
            question="Làm sao để mở tài khoản ngân hàng cho công ty?",
            status="unanswered",
            written_in="vi",
        )
    log(cfg.storage.database, [("How do I open a company bank account?", "en")])
    vietnamese = run(cfg, "list", "--lang", "vi")
    assert vietnamese.exit_code == 0 and "1 question" in vietnamese.output
    line = vietnamese.output.splitlines()[1]
    assert "  vi  " in line and "Làm sao để mở tài khoản" in line
    english = run(cfg, "list", "--lang", "en").output
    assert "2 questions" in english and "  vi  " in english and "  en  " in english


def test_a_follow_up_is_listed_after_the_question_it_followed(cfg, small_answerer):
    """ "大概多少钱" (roughly how much?), still unanswered after a bank account question, is
    listed with that question below it ("after: ..."; JSON `asked_after`), as is a question
    whose list got "none of these" after another; resolving adds the follow-up's own words
    to the entry, not what the bot read it as."""
    bank = "How do I open a company bank account?"
    hours = "When is the service centre open?"
    from tests.test_terminal_chat import converse  # the terminal chat, fed these lines

    with Storage.open(cfg.storage.database) as storage:
        converse(small_answerer, [bank, "大概多少钱", hours, "bank fapiao", "0"], storage)
    table = run(cfg, "list").output.splitlines()
    at = next(i for i, line in enumerate(table) if line.endswith("大概多少钱"))
    assert table[at + 1] == " " * 42 + f"after: {bank}"
    at = next(i for i, line in enumerate(table) if "bank fapiao" in line)
    assert "[none of these]" in table[at] and table[at + 1] == " " * 42 + f"after: {hours}"
    assert "2 questions" in table[-1]
    rows = [json.loads(line) for line in run(cfg, "list", "--json").stdout.splitlines()]
    assert [(r["question"], r["asked_after"]) for r in rows] == [
        ("大概多少钱", bank),
        ("bank fapiao", hours),
    ]
    done = run(cfg, "resolve", str(rows[0]["id"]), "--entry", "bank-account")
    assert done.exit_code == 0, done.output
    kb = load_knowledge(cfg.knowledge.dir, "en")
    entry = kb.by_id["bank-account"]
    added = [*entry.alternates, *(a for t in entry.translations.values() for a in t.alternates)]
    assert "大概多少钱" in added and not [a for a in added if bank in a]


def test_clusters_show_a_follow_up_after_the_question_it_followed(cfg, small_answerer):
    """`unanswered list`, the inbox, Handoffs and the staff chat show a follow-up
    ("大概多少钱") with the question asked before it; `unanswered clusters` showed the two
    words alone, in its table and its JSON. Now a group's question, and each member it
    lists, has "after: ..." below it, and each JSON question its `asked_after`."""
    bank = "How do I open a company bank account?"
    hours = "When is the service centre open?"
    from tests.test_terminal_chat import converse  # the terminal chat, fed these lines

    with Storage.open(cfg.storage.database) as storage:
        converse(small_answerer, [bank, "大概多少钱", hours, "bank fapiao", "0"], storage)
    log(cfg.storage.database, [("can I bring my dog to the office", "en")])
    follows = {"大概多少钱": bank, "bank fapiao": hours, "can I bring my dog to the office": None}
    # one group of all three (any similarity merges): its question and two members
    table = run(cfg, "clusters", "--threshold", "-1").stdout.splitlines()
    assert table[0].startswith("1. ") and not [line for line in table if line.startswith("2. ")]
    first = next(q for q in follows if table[0].endswith(f"asked about: {q}"))
    below = {first: table[1]}
    below |= {line[5:]: table[i + 1] for i, line in enumerate(table) if line.startswith("   - ")}
    assert below.keys() == follows.keys()
    for question, after in follows.items():
        indent = 3 if question == first else 5
        if after:
            assert below[question] == " " * indent + f"after: {after}"
        else:
            assert "after:" not in below[question]
    rows = [json.loads(line) for line in run(cfg, "clusters", "--json").stdout.splitlines()]
    assert {q["question"]: q["asked_after"] for r in rows for q in r["questions"]} == follows


def test_list_cuts_long_questions(cfg):
    log(cfg.storage.database, [("why " * 60, "en")])
    line = run(cfg, "list").output.splitlines()[1]
    assert line.endswith("…") and len(line) < 120


def test_clusters_command(cfg):
    ids = log(cfg.storage.database, SIM + UNRELATED[:2])
    result = run(cfg, "clusters")
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("1. 4 people in 4 languages asked about: ")
    assert f"ids: {' '.join(map(str, ids[:4]))}" in result.output
    rows = [json.loads(x) for x in run(cfg, "clusters", "--json").stdout.splitlines()]
    assert [r["people"] for r in rows] == [4, 1, 1] and rows[0]["ids"] == ids[:4]
    assert rows[0]["languages"] == {"en": 1, "ru": 1, "zh": 1, "es": 1}
    strict = run(cfg, "clusters", "--json", "--threshold", "0.99").stdout.splitlines()
    assert len(strict) == 6


def test_resolve_adds_alternates_and_marks_resolved(cfg):
    kb = cfg.knowledge.dir
    ids = log(
        cfg.storage.database,
        [
            ("can any bank open my company's account", "en"),
            ("对公账户在哪家银行开", "zh"),
            UNRELATED[0],
        ],
    )
    before = snapshot(kb)
    result = run(cfg, "resolve", str(ids[0]), str(ids[1]), "--entry", "bank-account")
    assert result.exit_code == 0, result.output
    assert "Added 2 questions to entry bank-account in money.yaml" in result.output
    assert "/reload" in result.output and "2 waiting askers" in result.output
    text = (kb / "money.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Small test knowledge base: money matters.\n")
    assert text.count("\n") == before["money.yaml"].decode().count("\n") + 1
    assert snapshot(kb)["people.yaml"] == before["people.yaml"]
    assert statuses(cfg.storage.database) == {
        ids[0]: ("resolved", "bank-account"),
        ids[1]: ("resolved", "bank-account"),
        ids[2]: ("new", None),
    }
    again = run(cfg, "resolve", str(ids[0]), "--entry", "bank-account")
    assert again.exit_code == 0, again.output
    assert f"Question {ids[0]} was already added to entry bank-account; nothing changed." in (
        again.output
    )
    assert (kb / "money.yaml").read_text() == text


def test_a_resolved_question_is_not_resolved_again_elsewhere(cfg):
    """`resolve` to another entry, `ignore` or `offtopic` of a question resolved already
    (from the console, or an earlier command) is refused, saying what happened to it; a
    question set aside is not attached to an entry later either."""
    db, kb = cfg.storage.database, cfg.knowledge.dir
    ids = log(db, [("can any bank open my company's account", "en"), UNRELATED[0]])
    assert run(cfg, "resolve", str(ids[0]), "--entry", "bank-account").exit_code == 0
    assert run(cfg, "ignore", str(ids[1])).exit_code == 0
    before, queue = snapshot(kb), statuses(db)
    for args in (
        ("resolve", str(ids[0]), "--entry", "work-permit"),
        ("ignore", str(ids[0])),
        ("offtopic", str(ids[0])),
    ):
        refused = run(cfg, *args)
        assert refused.exit_code == 1, args
        # named by its question where the command reads the knowledge base (ignore does not)
        named = "“How do I open a company bank account?” (bank-account)"
        said = named if args[0] != "ignore" else "bank-account"
        assert f"question #{ids[0]} was added to {said}" in refused.output, refused.output
        assert "Nothing changed." in refused.output
    late = run(cfg, "resolve", str(ids[1]), "--entry", "office-hours")
    # by whom: the CLI's ignore is audited, under the login name (`--as` to say another)
    said = f"question #{ids[1]} was ignored by {getpass.getuser()} (CLI)"
    assert late.exit_code == 1 and said in late.output
    assert snapshot(kb) == before and statuses(db) == queue
    again = run(cfg, "ignore", str(ids[1]))
    assert again.exit_code == 0 and "already ignored; nothing changed" in again.output


def test_a_wording_of_one_entry_is_not_added_to_another(cfg):
    """A question resolved into one entry and asked again (before the bot reloaded) or
    written there by hand is not added to a second entry: one wording, one entry."""
    db, kb = cfg.storage.database, cfg.knowledge.dir
    ids = log(db, [("which bank should my company use", "en")])  # bank-account's alternate
    before = snapshot(kb)
    refused = run(cfg, "resolve", str(ids[0]), "--entry", "work-permit")
    assert refused.exit_code == 1
    assert "is already a phrasing of entry 'bank-account'" in refused.output
    assert snapshot(kb) == before and statuses(db) == {ids[0]: ("new", None)}


def test_resolve_files_questions_in_unconfigured_languages_under_their_own(cfg):
    """The log holds the language a question was answered in: English for Vietnamese, Russian
    for Kazakh, and English for Hindi, Bengali, Persian or Urdu from a user who chose it.
    Resolved into an entry, each goes to the phrasings of the language it is written in, not
    among the English alternates or the Russian ones; an English question stays an English
    alternate."""
    asked = [
        ("मेरी कंपनी का बैंक अकाउंट कैसे खुलेगा", "en", "hi"),
        ("ব্যাংকে কোম্পানির অ্যাকাউন্ট খুলতে কী লাগে", "en", "bn"),
        ("حساب بانکی شرکت را چطور باز کنم", "en", "fa"),
        ("کمپنی کا بینک اکاؤنٹ کیسے کھلے گا", "en", "ur"),
        ("Làm sao để mở tài khoản ngân hàng cho công ty", "en", "vi"),
        ("Компанияға банк шотын қалай ашуға болады, қандай құжаттар керек", "ru", "kk"),
        ("which bank opens company accounts fastest", "en", "en"),
    ]
    ids = log(cfg.storage.database, [(q, logged) for q, logged, _ in asked])
    result = run(cfg, "resolve", *map(str, ids), "--entry", "bank-account")
    assert result.exit_code == 0, result.output
    entry = load_knowledge(cfg.knowledge.dir, "en").by_id["bank-account"]
    for question, _, lang in asked[:-1]:
        assert entry.phrasings[lang] == (question,), lang
    assert "ru" not in entry.phrasings and "ru" not in entry.translations
    assert "which bank opens company accounts fastest" in entry.alternates
    assert not {q for q, _, _ in asked[:-1]} & set(entry.alternates)


def test_resolve_and_ignore_cover_later_asks_of_the_same_wording(cfg):
    db = cfg.storage.database
    ids = log(
        db,
        [
            ("can any bank open my company's account", "en"),
            ("Can any bank open my company's account?", "en"),
            UNRELATED[0],
            ("What is the weather tomorrow?!", "en"),
        ],
    )
    result = run(cfg, "resolve", str(ids[0]), "--entry", "bank-account")
    assert result.exit_code == 0, result.output
    assert f"resolved by bank-account: {ids[0]}, and 1 other ask" in result.output
    assert "2 waiting askers" in result.output
    ignored = run(cfg, "ignore", str(ids[2]))
    assert f"Marked 1 question ignored: {ids[2]}, and 1 other ask" in ignored.output
    assert statuses(db) == {
        ids[0]: ("resolved", "bank-account"),
        ids[1]: ("resolved", "bank-account"),
        ids[2]: ("ignored", None),
        ids[3]: ("ignored", None),
    }
    [later] = log(db, [("what is the WEATHER tomorrow", "en")])
    assert statuses(db)[later] == ("ignored", None)


def _audit(db: Path) -> list[tuple]:
    with Storage.open(db) as storage:
        rows = storage.db.query(
            "SELECT actor, action, target, before, after FROM audit ORDER BY id"
        )
        return [(r["actor"], r["action"], r["target"], json.loads(r["before"]),
                 json.loads(r["after"])) for r in rows]  # fmt: skip


def test_triage_from_the_command_line_is_audited_with_who_did_it(cfg):
    """resolve, ignore and offtopic write the audit rows the console writes for the same
    actions, by the login name or `--as NAME`: the console's audit page and "by whom" (a
    later action on the same question refused) name them; nothing done, nothing audited."""
    db = cfg.storage.database
    ids = log(db, [SIM[0], UNRELATED[0], UNRELATED[4], ("will it snow in Harbin", "en")])
    assert run(cfg, "resolve", str(ids[0]), "--entry", "bank-account").exit_code == 0
    assert run(cfg, "ignore", str(ids[1]), "--as", "ann").exit_code == 0
    assert run(cfg, "offtopic", str(ids[3]), "--as", "Bo Li").exit_code == 0
    me = f"{getpass.getuser()} (CLI)"
    assert _audit(db) == [
        (me, "unanswered.attach", "bank-account", [{"id": ids[0], "status": "new"}],
         {"status": "resolved", "entry": "bank-account", "file": "money.yaml",
          "phrasings_added": 1, "changed": 1}),
        ("ann (CLI)", "unanswered.ignore", str(ids[1]), [{"id": ids[1], "status": "new"}],
         {"status": "ignored", "changed": 1}),
        ("Bo Li (CLI)", "unanswered.offtopic", "offtopic.yaml",
         [{"id": ids[3], "status": "new"}],
         {"status": "ignored", "offtopic_examples_added": ["will it snow in Harbin"],
          "changed": 1}),
    ]  # fmt: skip
    assert run(cfg, "ignore", str(ids[1])).exit_code == 0  # ignored already: nothing done
    assert len(_audit(db)) == 3
    for n, said in ((1, "ignored by ann (CLI)"), (3, "marked off-topic by Bo Li (CLI)")):
        refused = run(cfg, "resolve", str(ids[n]), "--entry", "fapiao")
        assert refused.exit_code == 1 and f"question #{ids[n]} was {said}" in refused.output
    refused = run(cfg, "ignore", str(ids[0]))
    assert f"was added to bank-account by {me}" in refused.output
    with Storage.open(db) as storage:
        how = triage.how_done(storage, storage.list_unanswered(status=None, ids=ids[:2]))
    assert how == {ids[0]: triage.Done("resolved", me), ids[1]: triage.Done("ignored", "ann (CLI)")}


def test_restore_puts_set_aside_questions_back_and_is_audited_as_the_console_does(cfg):
    """The console's Set aside page and the staff chat could put a question back, the CLI
    could not. `unanswered restore` puts ignored and off-topic questions back (with the
    ignored asks of their wording), takes an off-topic one's example out of offtopic.yaml
    (unless --keep-example), and writes the console's audit row, by `--as NAME` or the
    login name; unknown, resolved or not-set-aside ids get a plain message, nothing changed."""
    db, kb = cfg.storage.database, cfg.knowledge.dir
    harbin = ("will it snow in Harbin", "en")
    ids = log(db, [UNRELATED[0], UNRELATED[0], harbin, UNRELATED[1], SIM[0], UNRELATED[4]])
    assert run(cfg, "ignore", str(ids[0]), str(ids[3])).exit_code == 0
    assert run(cfg, "offtopic", str(ids[2])).exit_code == 0
    assert run(cfg, "resolve", str(ids[4]), "--entry", "bank-account").exit_code == 0
    examples = (kb / "offtopic.yaml").read_text(encoding="utf-8")
    assert "will it snow in Harbin" in examples
    audited = len(_audit(db))
    queue = statuses(db)

    unknown = run(cfg, "restore", str(ids[0]), "999")
    assert unknown.exit_code == 1 and "unknown unanswered question id: 999;" in unknown.output
    resolved = run(cfg, "restore", str(ids[0]), str(ids[4]))
    assert resolved.exit_code == 1
    assert f"question #{ids[4]} was added to bank-account: only questions set aside" in (
        resolved.output
    )
    assert "Nothing changed." in resolved.output
    waiting = run(cfg, "restore", str(ids[5]))
    assert waiting.exit_code == 0
    assert f"Question {ids[5]} was not set aside: it is in the queue already" in (waiting.output)
    assert statuses(db) == queue and len(_audit(db)) == audited

    restored = run(cfg, "restore", str(ids[0]), str(ids[5]), "--as", "ann")
    assert restored.exit_code == 0, restored.output
    assert f"Put 1 question back in the queue: {ids[0]}, and 1 other ask" in restored.output
    assert f"Question {ids[5]} was in the queue already; left as it is." in restored.output
    assert "offtopic.yaml" not in restored.output
    again = run(cfg, "restore", str(ids[0]))
    assert "was not set aside: it is in the queue already; nothing changed" in again.output
    kept = run(cfg, "restore", str(ids[2]), "--keep-example")
    assert kept.exit_code == 0 and "off-topic example" not in kept.output
    assert (kb / "offtopic.yaml").read_text(encoding="utf-8") == examples
    assert run(cfg, "offtopic", str(ids[2])).exit_code == 0  # set aside again
    unlearnt = run(cfg, "restore", str(ids[2]))
    assert unlearnt.exit_code == 0
    assert "Took 1 off-topic example out of" in unlearnt.output and "/reload" in unlearnt.output
    assert "will it snow in Harbin" not in (kb / "offtopic.yaml").read_text(encoding="utf-8")
    assert {i: s for i, (s, _) in statuses(db).items()} == {
        ids[0]: "new", ids[1]: "new", ids[2]: "new", ids[3]: "ignored", ids[4]: "resolved",
        ids[5]: "new",
    }  # fmt: skip
    me = f"{getpass.getuser()} (CLI)"
    assert [row for row in _audit(db)[audited:] if row[1] == "unanswered.restore"] == [
        ("ann (CLI)", "unanswered.restore", str(ids[0]), [{"id": ids[0], "status": "ignored"}],
         {"status": "new", "changed": 2, "offtopic_examples_removed": []}),
        (me, "unanswered.restore", str(ids[2]), [{"id": ids[2], "status": "ignored"}],
         {"status": "new", "changed": 1, "offtopic_examples_removed": []}),
        (me, "unanswered.restore", str(ids[2]), [{"id": ids[2], "status": "ignored"}],
         {"status": "new", "changed": 1,
          "offtopic_examples_removed": ["will it snow in Harbin"]}),
    ]  # fmt: skip
    helped = run(cfg, "restore", "--help")
    assert "Put the set-aside questions IDS" in helped.output and "--keep-example" in helped.output


def test_resolve_refuses_unknown_ids_and_entries(cfg):
    ids = log(cfg.storage.database, [SIM[0]])
    before, queue = snapshot(cfg.knowledge.dir), statuses(cfg.storage.database)
    unknown_id = run(cfg, "resolve", str(ids[0]), "999", "--entry", "bank-account")
    assert unknown_id.exit_code == 1 and "unknown unanswered question id: 999" in unknown_id.output
    unknown_entry = run(cfg, "resolve", str(ids[0]), "--entry", "sim-cards")
    assert unknown_entry.exit_code == 1 and "unknown entry id 'sim-cards'" in unknown_entry.output
    assert snapshot(cfg.knowledge.dir) == before
    assert statuses(cfg.storage.database) == queue == {ids[0]: ("new", None)}


def test_new_entry_prints_or_appends_a_draft_that_resolve_will_not_send(cfg):
    kb = cfg.knowledge.dir
    ids = log(cfg.storage.database, SIM)
    printed = run(cfg, "new-entry", *map(str, ids), "--topic", "people")
    assert printed.exit_code == 0, printed.output
    assert YAML(typ="safe").load(printed.output)[0]["id"] == "buy-sim-card"
    old = (kb / "people.yaml").read_bytes()
    appended = run(
        cfg, "new-entry", *map(str, ids), "--append-to", str(kb / "people.yaml"), "--as", "ann"
    )
    assert appended.exit_code == 0, appended.output
    new = (kb / "people.yaml").read_bytes()
    assert new.startswith(old) and b"  # TODO" in new[len(old) :]
    assert curation.is_unfinished(load_knowledge(kb).by_id["buy-sim-card"])
    history = EntryHistory(cfg.storage.database)
    [version] = history.versions("buy-sim-card")
    history.close()
    # who drafted it, as the triage commands record it (it was a bare "cli")
    assert version.actor == "ann (CLI)" and version.before == ""
    assert version.after.encode() in new[len(old) :]
    refused = run(cfg, "resolve", *map(str, ids), "--entry", "buy-sim-card")
    assert refused.exit_code == 1 and "not finished" in refused.output
    assert (kb / "people.yaml").read_bytes() == new
    assert {s for s, _ in statuses(cfg.storage.database).values()} == {"new"}
    missing = run(cfg, "new-entry", str(ids[0]), "--append-to", str(kb / "nope.yaml"))
    assert missing.exit_code == 1 and "no such topic file" in missing.output


def test_new_entry_records_the_login_name_without_as(cfg):
    """Without `--as`, the draft's first version is by the login name, marked (CLI), as the
    triage commands record theirs."""
    kb = cfg.knowledge.dir
    ids = log(cfg.storage.database, CAR)
    appended = run(cfg, "new-entry", *map(str, ids), "--append-to", str(kb / "people.yaml"))
    assert appended.exit_code == 0, appended.output
    new_id = appended.output.split("Appended draft entry ")[1].split()[0]
    history = EntryHistory(cfg.storage.database)
    [version] = history.versions(new_id)
    history.close()
    assert version.actor == f"{getpass.getuser()} (CLI)"
    assert "--as NAME" in run(cfg, "new-entry", "--help").output


def test_counts_say_one_question_and_two_questions(cfg):
    """The command line words a count as staff would write it: "1 question", "2
    questions", "Question 7 was", not "1 question(s)" or "Question(s) 7 were"."""
    a, b = log(cfg.storage.database, [UNRELATED[0], UNRELATED[1]])
    assert run(cfg, "list", "--limit", "1").output.splitlines()[-1] == "1 question"
    assert run(cfg, "list").output.splitlines()[-1] == "2 questions"
    assert run(cfg, "ignore", str(a)).output.splitlines()[0] == f"Marked 1 question ignored: {a}."
    again = run(cfg, "ignore", str(a)).output
    assert again == f"Question {a} was already ignored; nothing changed.\n"
    both = run(cfg, "ignore", str(a), str(b)).output.splitlines()[0]
    assert both == f"Marked 2 questions ignored: {a} {b}."
    assert run(cfg, "ignore", str(a), str(b)).output.startswith(f"Questions {a} {b} were already")
    one = run(cfg, "resolve", "998", "--entry", "bank-account").output
    assert "unknown unanswered question id: 998;" in one
    two = run(cfg, "resolve", "998", "999", "--entry", "bank-account").output
    assert "unknown unanswered question ids: 998, 999;" in two


def test_ignore(cfg):
    ids = log(cfg.storage.database, [UNRELATED[0], UNRELATED[1]])
    result = run(cfg, "ignore", str(ids[1]))
    assert result.exit_code == 0 and f"Marked 1 question ignored: {ids[1]}" in result.output
    assert statuses(cfg.storage.database) == {ids[0]: ("new", None), ids[1]: ("ignored", None)}
    unknown = run(cfg, "ignore", str(ids[0]), "999")
    assert unknown.exit_code == 1 and "999" in unknown.output
    assert statuses(cfg.storage.database)[ids[0]] == ("new", None)


def test_meaning_clusterer_groups_the_report_across_languages(encoder):
    from bot.curation import meaning_clusterer
    from bot.report import UnansweredItem

    items = [
        UnansweredItem("How do I register a car in China?", "en", 3),
        UnansweredItem("Как зарегистрировать машину в Китае?", "ru", 2),
        UnansweredItem("how do i register a car in china", "en", 1),
        UnansweredItem("What is the weather in Beijing tomorrow?", "en", 1),
    ]
    groups = meaning_clusterer(encoder)(items)
    as_sets = sorted((sorted(i.question for i in g) for g in groups), key=len)
    assert as_sets == [
        ["What is the weather in Beijing tomorrow?"],
        [
            "How do I register a car in China?",
            "how do i register a car in china",
            "Как зарегистрировать машину в Китае?",
        ],
    ]
    only_two = meaning_clusterer(encoder, limit=1)(items)
    assert len(only_two) == 3  # past the limit, wordings are grouped by text only


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1)
)
@example("what\x85next")
def test_any_asked_question_becomes_an_alternate_as_asked(tmp_path_factory, question):
    kb_dir = tmp_path_factory.mktemp("kb") / "kb"
    shutil.copytree(SMALL_KB, kb_dir)
    before = load_knowledge(kb_dir).by_id["office-hours"]
    known = {normalize(p) for p in (before.question, *before.alternates)}
    curation.add_alternates(kb_dir, "office-hours", [question])
    entry = load_knowledge(kb_dir).by_id["office-hours"]
    lang = curation.asked_language(question.strip(), "en")  # "en" but for Hindi, Vietnamese...
    if normalize(question) and normalize(question) not in known and lang == "en":
        assert entry.alternates == (*before.alternates, question.strip())
    elif normalize(question) and normalize(question) not in known:
        assert entry.alternates == before.alternates
        assert entry.phrasings[lang] == (question.strip(),)
    else:
        assert entry.alternates == before.alternates


def test_offtopic_adds_examples_ignores_and_the_reloaded_bot_holds_them_back(cfg):
    from bot.answering import build_answerer

    db = cfg.storage.database
    ids = log(
        db,
        [
            ("recommend a good hotpot place in Chengdu", "en"),
            ("Recommend a good hotpot place in Chengdu!", "en"),
            ("какая погода завтра в Пекине", "ru"),
            SIM[0],
        ],
    )
    result = run(cfg, "offtopic", str(ids[0]), str(ids[2]))
    assert result.exit_code == 0, result.output
    assert "Added 2 off-topic examples" in result.output
    assert f"Marked 2 questions ignored: {ids[0]} {ids[2]}, and 1 other ask" in result.output
    assert "/reload" in result.output
    assert statuses(db) == {
        ids[0]: ("ignored", None),
        ids[1]: ("ignored", None),
        ids[2]: ("ignored", None),
        ids[3]: ("new", None),
    }
    text = (cfg.knowledge.dir / "offtopic.yaml").read_text(encoding="utf-8")
    assert "recommend a good hotpot place in Chengdu" in text and "погода" in text
    # A Hindi message from a user who chose English, logged in English, is a Hindi example.
    hindi = log(db, [("कल दिल्ली में बारिश होगी क्या", "en")])
    assert run(cfg, "offtopic", str(hindi[0])).exit_code == 0
    examples = YAML(typ="safe").load(cfg.knowledge.dir / "offtopic.yaml")["examples"]
    assert examples["hi"] == ["कल दिल्ली में बारिश होगी क्या"]
    assert "कल दिल्ली में बारिश होगी क्या" not in examples["en"]
    again = run(cfg, "offtopic", str(ids[1]))
    assert f"Question {ids[1]} was already marked off-topic; nothing changed." in again.output
    answerer = build_answerer(cfg)
    assert answerer.ask("recommend a good hotpot place in Chengdu").status == "unanswered"
    assert answerer.ask("How do I open a company bank account?").id == "bank-account"


def test_offtopic_refuses_an_entrys_phrasing_and_unknown_ids(cfg):
    ids = log(cfg.storage.database, [("which bank should my company use", "en")])
    before, queue = snapshot(cfg.knowledge.dir), statuses(cfg.storage.database)
    refused = run(cfg, "offtopic", str(ids[0]))
    assert refused.exit_code == 1
    assert "is a phrasing of entry 'bank-account'" in refused.output
    assert "Nothing changed" in refused.output
    unknown = run(cfg, "offtopic", str(ids[0]), "999")
    assert unknown.exit_code == 1 and "999" in unknown.output
    assert snapshot(cfg.knowledge.dir) == before and statuses(cfg.storage.database) == queue
