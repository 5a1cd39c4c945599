import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot import curation, kbedit
from bot.cli import main
from tests.conftest import ROOT, SMALL_KB


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Run the CLI in-process with a config whose cache lives in tmp_path."""
    config = tmp_path / "config.toml"
    text = (ROOT / "config.toml").read_text()
    text = text.replace('dir = "knowledge"', f'dir = "{ROOT / "knowledge"}"')
    text = text.replace('cache_dir = ".cache"', f'cache_dir = "{tmp_path / "cache"}"')
    config.write_text(text)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)

    def run(*args, input=None, env=None):
        return CliRunner().invoke(main, ["--config", str(config), *args], input=input, env=env)

    return run


def test_ask_one_question(cli):
    result = cli("ask", "--kb", str(SMALL_KB), "What is a fapiao?")
    assert result.exit_code == 0, result.output
    assert "[answered fapiao" in result.output
    assert "official tax invoice" in result.output


def test_ask_gives_every_answer_to_a_message_asking_two_things(cli):
    text = "How do I get a work permit? And when is the centre open?"
    result = cli("ask", "--kb", str(SMALL_KB), text)
    assert result.exit_code == 0, result.output
    assert "[answered work-permit" in result.output and "[answered office-hours" in result.output
    as_json = cli("ask", "--kb", str(SMALL_KB), "--json", text)
    [row] = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert (row["id"], [p["id"] for p in row["parts"]]) == ("work-permit", ["office-hours"])


def test_ask_reads_stdin_one_json_object_per_line(cli):
    lines = ["What is a fapiao?", "", "公司银行账户怎么开？", "hello", "weather in Paris tomorrow?"]
    result = cli("ask", "--kb", str(SMALL_KB), "--json", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in rows] == lines
    assert [r["status"] for r in rows] == [
        "answered",
        "smalltalk",
        "answered",
        "smalltalk",
        "unanswered",
    ]
    assert rows[0]["id"] == "fapiao" and rows[2]["id"] == "bank-account"
    assert rows[2]["language"] == "zh" and rows[2]["answer"].startswith("携带")
    for row in rows:
        assert set(row) >= {
            "question",
            "language",
            "status",
            "id",
            "score",
            "answer",
            "suggestions",
        }


def test_ask_with_lang(cli):
    result = cli("ask", "--kb", str(SMALL_KB), "--lang", "zh", "--json", "What is a fapiao?")
    row = json.loads(result.stdout)
    assert row["language"] == "zh" and row["answer"].startswith("发票")


def test_ask_rejects_an_unconfigured_language(cli):
    result = cli("ask", "--kb", str(SMALL_KB), "--lang", "xx", "hi")
    assert result.exit_code == 2
    assert "'xx' is not one of the configured languages" in result.output


def test_ask_with_a_broken_knowledge_base_explains_and_fails(cli, small_kb_dir):
    (small_kb_dir / "broken.yaml").write_text("entries:\n  - id: Bad Id\n")
    result = cli("ask", "--kb", str(small_kb_dir), "hello")
    assert result.exit_code == 1
    assert "broken.yaml:2 [Bad Id]" in result.output
    assert "was not loaded" in result.output


def test_kb_check_ok_on_the_repository_knowledge(cli):
    result = cli("kb", "check")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: ")


def test_kb_check_lists_every_problem_and_exits_1(cli, small_kb_dir):
    (small_kb_dir / "a.yaml").write_text("entries:\n  - id: fapiao\n    question: q\n")
    (small_kb_dir / "b.yaml").write_bytes(b"entries: [\xff]\n")
    result = cli("kb", "check", "--kb", str(small_kb_dir))
    assert result.exit_code == 1
    out = result.output
    assert "money.yaml:24 [fapiao]: duplicate id: also used at a.yaml:2" in out
    assert "a.yaml:2 [fapiao]: `alternates` is missing" in out
    assert "b.yaml:1: not UTF-8 text" in out


def test_kb_check_reports_every_broken_file_at_once_in_plain_words(cli, small_kb_dir):
    """A syntax error in one file hides nothing: every broken topic file, the glossary and
    the off-topic examples are reported together, each with its line and what to do."""
    money = small_kb_dir / "money.yaml"
    money.write_text(money.read_text().replace("    tags: [banking]", "\ttags: [banking]"))
    people = small_kb_dir / "people.yaml"
    people.write_text(people.read_text().replace("answer: See the hours", 'answer: "See the hours'))
    (small_kb_dir / "glossary.yaml").write_text("terms:\n  - term: fapiao\n    term: WFOE\n")
    (small_kb_dir / "offtopic.yaml").write_text("examples:\n  en: [will it rain\n")
    (small_kb_dir / "notes.yaml").mkdir()  # not a file at all
    result = cli("kb", "check", "--kb", str(small_kb_dir))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[-1] == "5 problems; the knowledge base was not loaded.", lines
    assert lines[:-1] == [
        "money.yaml:14: invalid YAML: a tab character: indent with spaces only "
        "(the YAML reader says: found character '\\t' that cannot start any token)",
        "notes.yaml: cannot read the file: Is a directory",
        "people.yaml:22: invalid YAML: the quote opened on line 17 is never closed: end the "
        "text with the same quote (the YAML reader says: found unexpected end of stream)",
        "glossary.yaml:3: invalid YAML: `term` is written twice here (first on line 2): "
        'keep one (the YAML reader says: found duplicate key "term" with value "WFOE" '
        '(original value: "fapiao"))',
        "offtopic.yaml:3: invalid YAML: the brackets opened on line 2 are never closed, or "
        "their items are not separated by commas (the YAML reader says: expected ',' or "
        "']', but got '<stream end>')",
    ]  # and no "`related` names unknown entry 'bank-account'": it is in unreadable money.yaml


def test_kb_stats(cli):
    result = cli("kb", "stats", "--kb", str(SMALL_KB), "--json")
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["entries"] == 4
    assert {t["topic"]: t["entries"] for t in stats["topics"]} == {"money": 2, "people": 2}
    assert stats["translations"]["zh"] == {
        "entries": 2,
        "share": 0.5,
        "stale": 0,
        "unversioned": 2,
        "phrasings_only": 0,
        "phrasings_per_entry": {"min": 1, "median": 1.5},
    }
    assert stats["translations"]["ru"]["entries"] == 0
    assert stats["phrasings_per_entry"] == {"min": 3, "median": 3}
    table = cli("kb", "stats", "--kb", str(SMALL_KB))
    assert "zh                2/4 (50%)      0           2  1, 1.5" in table.stdout


def test_kb_stats_counts_languages_only_matched(cli, small_kb_dir):
    """Phrasings in a language no entry is translated into (Persian here) are matched and
    never shown: stats list the language, its phrasings and how many entries have them."""
    edit = kbedit.stage(small_kb_dir)
    money = edit.file("money.yaml")
    money.append_phrasings("fapiao", {"fa": ["فاپیائو چیه", "فاکتور رسمی چین"]})
    edit.commit()
    result = cli("kb", "stats", "--kb", str(small_kb_dir), "--json")
    row = json.loads(result.stdout)["translations"]["fa"]
    assert row == {
        "entries": 0,
        "share": 0.0,
        "stale": 0,
        "unversioned": 0,
        "phrasings_only": 1,
        "phrasings_per_entry": {"min": 2, "median": 2},
    }
    table = cli("kb", "stats", "--kb", str(small_kb_dir)).stdout
    assert "fa                 0/4 (0%)      0           0  2, 2 (phrasings only: 1 entry)" in table


def test_chat_conversation_with_suggestion_choice(cli):
    script = "/lang xx\n/lang zh\nWhat is a fapiao?\n/lang auto\nhello\n/quit\n"
    result = cli("chat", "--kb", str(SMALL_KB), input=script)
    assert result.exit_code == 0, result.output
    assert "xx is not one of the available languages. Choose one of: en, " in result.stdout
    assert "发票是中国官方的税务凭证" in result.stdout
    assert "Hello! I answer questions" in result.stdout


def test_chat_number_picks_a_suggestion(small_answerer):
    from dataclasses import replace

    from bot.answering import Answerer
    from bot.cli.chat import chat_loop
    from bot.matching import Matcher

    strict = replace(small_answerer.config.matching, answer_threshold=1.1, suggest_threshold=0.2)
    matcher = Matcher(small_answerer.kb, strict, small_answerer.matcher.encoder, None)
    answerer = Answerer(small_answerer.kb, matcher, small_answerer.detector, small_answerer.config)
    inputs = iter(["open a bank account for my company", "1"])
    out = []

    def read(prompt):
        return next(inputs)  # StopIteration is not EOFError: end explicitly below

    def reader(prompt):
        try:
            return read(prompt)
        except StopIteration:
            raise EOFError from None

    chat_loop(answerer, None, read=reader, write=out.append)
    transcript = "\n".join(out)
    assert "1. How do I open a company bank account?" in transcript
    assert "Bring the business licence" in transcript


def test_run_without_token_starts_the_terminal_chat(cli):
    result = cli("run", "--kb", str(SMALL_KB), input="What is a fapiao?\n")
    assert result.exit_code == 0, result.output
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr
    assert "official tax invoice" in result.stdout


@pytest.mark.skipif(
    __import__("bot.encoder").encoder.e5_unavailable() is not None,
    reason="the e5 encoder cannot run on this CPU",
)
def test_a_first_start_chats_at_once_while_the_second_encoder_embeds(cli, monkeypatch):
    """With the shipped knowledge base e5 needs 3 minutes on a first start, USE 12 s: the
    chat starts with USE alone, says so, and e5 fills the cache in the background."""
    import threading

    from bot import matching

    monkeypatch.setattr(matching, "DEFER_SECOND_AFTER", 0)  # the small KB has a few dozen
    env = {"FAQ_BOT_SECOND_ENCODER": "e5"}
    first = cli("run", "--kb", str(SMALL_KB), input="What is a fapiao?\n", env=env)
    assert first.exit_code == 0, first.output
    assert "First start: answering with USE alone for now" in first.stderr
    assert "official tax invoice" in first.stdout
    for thread in threading.enumerate():
        if thread.name == "second-encoder":
            thread.join(timeout=300)
    again = cli("run", "--kb", str(SMALL_KB), input="What is a fapiao?\n", env=env)
    assert "First start" not in again.stderr  # e5's vectors are in the cache now
    assert "official tax invoice" in again.stdout


def test_run_for_telegram_only_without_token_fails_clearly(cli):
    result = cli("run", "--telegram", "--kb", str(SMALL_KB))
    assert result.exit_code == 1
    assert "TELEGRAM_BOT_TOKEN is not set" in result.output


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--webhook", "https://bot.example.org/telegram"], "`run --webhook` runs the bot on"),
        (["--listen", "0.0.0.0", "--port", "8080"], "`run --listen --port` runs the bot on"),
        (["--no-console"], "`run --no-console` runs the bot on Telegram"),
        (["--console"], "`run --console` runs the bot on Telegram"),
    ],
)
def test_run_with_telegram_options_but_no_token_refuses_instead_of_chatting(cli, args, said):
    """A webhook (or its server's address, or the console served beside Telegram) asked
    for without a token is a mistake to point out, not a cue for the terminal chat."""
    result = cli("run", "--kb", str(SMALL_KB), *args, input="What is a fapiao?\n")
    assert result.exit_code == 1
    assert said in result.stderr
    assert "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather" in result.stderr
    assert "python -m bot chat" in result.stderr
    assert ("public https URL" in result.stderr) == ("--webhook" in args)
    assert "Loading the knowledge base" not in result.stderr and not result.stdout


def test_run_with_terminal_refuses_telegram_options(cli):
    env = {"TELEGRAM_BOT_TOKEN": "123456:ABC-not-checked"}
    args = ["--terminal", "--webhook", "https://bot.example.org/telegram", "--telegram"]
    result = cli("run", "--kb", str(SMALL_KB), *args, env=env)
    assert result.exit_code == 2
    assert (
        "--terminal runs the terminal chat, which has no use for --telegram and --webhook"
    ) in result.stderr
    assert not result.stdout


def test_bad_config_is_a_clear_error(tmp_path):
    bad = tmp_path / "c.toml"
    bad.write_text("[matching]\nanswer_threshold = 'high'\n")
    result = CliRunner().invoke(main, ["--config", str(bad), "kb", "check"])
    assert result.exit_code == 1
    assert "[matching] answer_threshold must be a number" in result.output


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_every_command_is_documented_with_an_example():
    for path, command in _commands(main):
        if isinstance(command, click.Group):
            assert command.help, path
        else:
            assert command.help and "Example:" in command.help, path
            for param in command.params:
                if isinstance(param, click.Option):
                    assert param.help, (path, param.name)


def test_invalid_utf8_on_stdin_is_replaced_not_fatal(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--kb", str(SMALL_KB), "--json"],
        input=b"\xff\xfe fapiao types\n\xc3\n",
        capture_output=True,
        cwd=ROOT,
        env={"PATH": "", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    assert len(rows) == 2
    assert rows[0]["question"] == "\ufffd\ufffd fapiao types"
    assert rows[0]["id"] == "fapiao"


def test_python_dash_m_bot_in_a_real_process(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--kb", str(SMALL_KB), "--json"],
        input="What is a fapiao?\n你好\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["status"] for r in rows] == ["answered", "smalltalk"]
    assert rows[1]["reply"].startswith("您好")


# Lone surrogates cannot reach stdin: bytes that are not UTF-8 are replaced on reading
# (see test_invalid_utf8_on_stdin_is_replaced_not_fatal).
LINE = st.text(
    alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=200
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(LINE, min_size=1, max_size=8))
@example(["\x85", "a\u2028b", "\u2029"])  # line breaks to str.splitlines(), not to JSON
def test_ask_answers_every_line_whatever_it_holds(cli, lines):
    result = cli("ask", "--kb", str(SMALL_KB), "--json", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == len(lines)
    for row, line in zip(rows, lines, strict=True):
        assert row["question"] == line
        assert row["status"] in ("answered", "suggest", "unanswered", "smalltalk")
        assert row["reply"].strip()


def test_unfinished_drafts_are_not_served_and_kb_check_warns(cli, small_kb_dir):
    path = small_kb_dir / "money.yaml"
    path.write_text(
        path.read_text().replace(
            "answer: A fapiao is the official tax invoice in China, issued through the tax system.",
            "answer: 'TODO: write the answer'",
        )
    )
    checked = cli("kb", "check", "--kb", str(small_kb_dir))
    assert checked.exit_code == 0
    assert "[fapiao]: unfinished draft" in checked.stderr
    asked = cli("ask", "--kb", str(small_kb_dir), "--json", "What is a fapiao?")
    row = json.loads(asked.stdout)
    assert row["id"] != "fapiao" and "TODO" not in row["reply"]


def test_a_drafts_placeholder_phrasing_is_never_served(cli, small_kb_dir):
    """A draft made from one question has the placeholder alternate "TODO: another way to
    ask this". Staff who write the answer and drop the `todo` tag but keep it have not
    finished the entry: it is not served (no phrasing of it is matched, so "TODO" or the
    Spanish "todo" never finds it) and `kb check` says which placeholder is left."""
    money = small_kb_dir / "money.yaml"
    curation.append_scaffold(["Can I open a second company?"], money)
    text = money.read_text(encoding="utf-8")
    assert "- 'TODO: another way to ask this'" in text
    money.write_text(
        text.replace("TODO: write the answer", "Yes: one person may own several.").replace(
            "[todo]", "[company]"
        ),
        encoding="utf-8",
    )
    checked = cli("kb", "check", "--kb", str(small_kb_dir))
    assert checked.exit_code == 0
    assert (
        "[open-second-company]: unfinished draft (the placeholder phrasing "
        "'TODO: another way to ask this'): the bot does not serve it until it is completed "
        "(write a real way to ask in place of each placeholder phrasing, or delete it)"
    ) in checked.stderr
    asked = cli("ask", "--kb", str(small_kb_dir), "--json", input="TODO\ntodo\n")
    for row in map(json.loads, asked.stdout.splitlines()):
        assert row["status"] == "unanswered", row
    money.write_text(
        money.read_text(encoding="utf-8").replace(
            "'TODO: another way to ask this'", "start another company"
        ),
        encoding="utf-8",
    )
    assert "open-second-company" not in cli("kb", "check", "--kb", str(small_kb_dir)).stderr
    row = json.loads(
        cli("ask", "--kb", str(small_kb_dir), "--json", "start another company").stdout
    )
    assert row["id"] == "open-second-company"


def test_a_placeholder_translation_is_a_problem_never_an_answer(cli, small_kb_dir):
    """A translation has no draft: one whose answer was left "TODO" was loaded as curated,
    `kb check` said OK and `ask --lang zh` answered "TODO". Now, like an empty translation,
    it is a problem: `kb check` names it and the bot does not load such a knowledge base."""
    money = small_kb_dir / "money.yaml"
    money.write_text(
        money.read_text(encoding="utf-8").replace(
            "answer: 发票是中国官方的税务凭证，通过税务系统开具。", "answer: TODO"
        ),
        encoding="utf-8",
    )
    checked = cli("kb", "check", "--kb", str(small_kb_dir))
    assert checked.exit_code == 1
    assert (
        "[fapiao]: `answer` of translation 'zh' is the placeholder 'TODO', not a translation: "
        "write the translation, or delete it"
    ) in checked.stderr
    asked = cli("ask", "--kb", str(small_kb_dir), "--lang", "zh", "--json", "什么是发票？")
    assert asked.exit_code != 0 and "TODO" not in asked.stdout


def test_a_placeholder_among_a_translations_alternates_is_a_problem_not_a_draft(cli, small_kb_dir):
    """A "TODO" left among a translation's alternates made the whole entry a draft, served
    in no language, and `kb check` only warned; the import and the console refuse it. Now
    `kb check` refuses it too, naming the alternate."""
    money = small_kb_dir / "money.yaml"
    text = money.read_text(encoding="utf-8")
    marker = "answer: 发票是中国官方的税务凭证，通过税务系统开具。"
    assert text.count(marker) == 1
    money.write_text(
        text.replace(marker, "alternates: ['TODO: 另一种问法']\n        " + marker),
        encoding="utf-8",
    )
    checked = cli("kb", "check", "--kb", str(small_kb_dir))
    assert checked.exit_code == 1, checked.stdout
    assert (
        "[fapiao]: alternate 1 in 'zh' is the placeholder 'TODO: 另一种问法', not a way to ask: "
        "write a real way to ask in 'zh', or delete it"
    ) in checked.stderr
    assert "unfinished draft" not in checked.stderr + checked.stdout


def test_a_first_start_shows_how_embedding_the_knowledge_base_progresses(cli, monkeypatch):
    from bot import encoder

    monkeypatch.setattr(encoder, "PROGRESS_EVERY", 4)  # the small KB has a few dozen texts
    first = cli("ask", "--kb", str(SMALL_KB), "What is a fapiao?")
    assert first.exit_code == 0, first.output
    assert "Loading the knowledge base..." in first.stderr
    assert "texts with use (first start or a large change; cached for the next)" in first.stderr
    assert "use: 4 of " in first.stderr and "s left" in first.stderr
    again = cli("ask", "--kb", str(SMALL_KB), "What is a fapiao?")
    assert "embedded" not in again.stderr  # the cache is used: nothing to wait for
    assert "[answered fapiao" in again.stdout


def test_the_commands_open_the_database_with_both_retention_periods(tmp_path):
    """[storage] retention_days and audit_retention_days reach the database the commands
    (and `run`, whose daily purge applies them) open."""
    from bot.cli.common import open_storage
    from bot.config import Config, StorageConfig

    config = Config(
        storage=StorageConfig(tmp_path / "bot.db", retention_days=10, audit_retention_days=20)
    )
    storage = open_storage(config, create=True)
    assert storage is not None
    with storage:
        assert (storage.retention_days, storage.audit_retention_days) == (10, 20)
