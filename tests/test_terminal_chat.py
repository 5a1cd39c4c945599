"""The terminal chat: Telegram's user commands, and a log that staff tools can read."""

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from bot.cli.chat import TerminalChat
from bot.storage import Storage
from tests.conftest import ROOT, kept_list_message


def python_m_bot(config, *args, input=""):
    """`python -m bot --config CONFIG ARGS` in a real process, in the config's folder."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), *args],
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=config.parent,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "HOME": str(config.parent),
            "FAQ_BOT_SECOND_ENCODER": os.environ.get("FAQ_BOT_SECOND_ENCODER", "none"),
        },
    )


@pytest.fixture
def config_file(tmp_path, session_cache):
    path = tmp_path / "config.toml"
    path.write_text(
        f'[knowledge]\ndir = "{ROOT / "knowledge"}"\ncache_dir = "{session_cache}"\n'
        '[storage]\ndatabase = "data/bot.db"\n',
        encoding="utf-8",
    )
    return path


def test_a_damaged_database_is_said_in_one_line_and_ask_still_answers(config_file):
    """A database whose pages were overwritten (a disk fault): `ask` answers without it
    (it writes nothing unless --log), and the commands that need it say so in one line
    instead of a traceback."""
    python_m_bot(config_file, "chat", input="What is a fapiao?\n/quit\n")  # creates it
    db = config_file.parent / "data" / "bot.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE filler (x TEXT)")
        conn.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,)] * 200)
    with open(db, "r+b") as file:
        for page in range(2, 12):
            file.seek(page * 4096)
            file.write(bytes(range(256)) * 16)
    asked = python_m_bot(config_file, "ask", "How do I open a company bank account?")
    assert asked.returncode == 0, asked.stderr
    assert "bank" in asked.stdout.lower()
    for args in (("chat",), ("report",), ("unanswered", "list")):
        done = python_m_bot(config_file, *args, input="What is a fapiao?\n")
        assert done.returncode == 1, args
        assert "Traceback" not in done.stderr, done.stderr
        assert "the database could not be read" in done.stderr, done.stderr


def test_ask_answers_while_another_process_holds_the_database_locked(config_file):
    """`ask` writes nothing without --log: a database locked by another process (a backup,
    a long write) does not keep it from answering."""
    python_m_bot(config_file, "chat", input="What is a fapiao?\n/quit\n")  # creates it
    db = config_file.parent / "data" / "bot.db"
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        asked = python_m_bot(config_file, "ask", "How do I open a company bank account?")
        logged = python_m_bot(config_file, "ask", "--log", "What is a fapiao?")
    finally:
        holder.close()
    assert asked.returncode == 0, asked.stderr
    assert "bank" in asked.stdout.lower() and "answering without it" in asked.stderr
    assert logged.returncode == 1 and "Traceback" not in logged.stderr


SCRIPT = """\
/topics
1
1
/staff I need help with my residence permit
/staff
How many moons does Jupiter have?
/notify off
/quit
"""


def test_a_terminal_session_is_logged_and_staff_tools_see_it(config_file):
    chat = python_m_bot(config_file, "chat", input=SCRIPT)
    assert chat.returncode == 0, chat.stderr
    out = chat.stdout
    assert "Choose a topic:\n1. Banking and payments" in out
    assert "Banking and payments – choose a question:" in out
    assert "\n1. How do I open a corporate bank" in out
    assert "business licence" in out  # picked question 1: its answer
    assert "recorded for the service centre's staff" in out
    assert "Write your message after the command" in out  # /staff alone: how to use it
    assert "noted for the service centre's staff" in out
    assert "OK, I will not send you answers" in out

    listed = python_m_bot(config_file, "unanswered", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["question"] for r in rows] == ["How many moons does Jupiter have?"]
    messages = python_m_bot(config_file, "unanswered", "messages")
    assert "I need help with my residence permit" in messages.stdout

    db = sqlite3.connect(config_file.parent / "data" / "bot.db")
    logged = db.execute(
        "SELECT question, status, channel, chat_type, waited_ms FROM interactions ORDER BY id"
    ).fetchall()
    assert [(q[:28], s) for q, s, *_ in logged] == [
        ("How do I open a corporate ba", "answered"),
        ("How many moons does Jupiter ", "unanswered"),
    ]
    assert {(c, t) for _, _, c, t, _ in logged} == {("terminal", "private")}
    assert all(waited is not None and waited >= 0 for *_, waited in logged)
    assert db.execute("SELECT count(DISTINCT user_key) FROM interactions").fetchone()[0] == 1
    assert db.execute("SELECT notify_opt_out FROM users").fetchone()[0] == 1

    again = python_m_bot(config_file, "chat", input="/forget\n")
    assert "Everything stored about you has been deleted." in again.stdout
    assert db.execute("SELECT count(*) FROM interactions").fetchone()[0] == 0


def test_ask_writes_nothing_unless_asked_to_log(config_file):
    database = config_file.parent / "data" / "bot.db"
    plain = python_m_bot(config_file, "ask", "How many moons does Jupiter have?")
    assert plain.returncode == 0, plain.stderr
    assert not database.exists()
    logged = python_m_bot(
        config_file, "ask", "--log", "Who painted the ceiling of the Sistine Chapel?"
    )
    assert logged.returncode == 0, logged.stderr
    listed = python_m_bot(config_file, "unanswered", "list")
    assert "Who painted the ceiling of the Sistine Chapel?" in listed.stdout


def test_no_log_writes_nothing(config_file):
    chat = python_m_bot(config_file, "chat", "--no-log", input="Can my cat ride the metro?\n")
    assert chat.returncode == 0, chat.stderr
    assert not (config_file.parent / "data").exists()


def converse(answerer, lines, storage=None, lang=None):
    out: list[str] = []
    feed = iter(lines)

    def read(prompt):
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    TerminalChat(answerer, lang, storage=storage, user_id="tester", write=out.append).run(read)
    return "\n".join(out)


def test_topics_are_paged_and_commands_are_not_questions(answerer, tmp_path):
    company = [t.id for t in answerer.kb.topics].index("company") + 1
    with Storage.open(tmp_path / "bot.db") as storage:
        text = converse(answerer, ["/topics", str(company), "n", "p", "/topics", "/nope"], storage)
        assert "Company setup – choose a question: (1/" in text
        assert "Company setup – choose a question: (2/" in text
        assert "n: Next ›" in text and "p: ‹ Previous" in text
        assert "/quit – leave" in text  # an unknown command shows the help
        assert storage.stats()["total"] == 0  # no command was taken for a question


def test_language_command_lists_picks_and_remembers(answerer, tmp_path):
    with Storage.open(tmp_path / "bot.db") as storage:
        text = converse(answerer, ["/language", "3"], storage)
        assert "3. Русский (ru)" in text or "3. русский (ru)" in text
        assert "Теперь я буду отвечать на русском." in text
        assert storage.get_user_language("tester") == "ru"
        again = converse(answerer, ["/help"], storage)
        assert "/topics – вопросы по темам" in again  # the remembered language
        converse(answerer, ["/lang auto"], storage)
        assert storage.get_user_language("tester") is None


def test_notify_takes_only_a_clear_on_or_off(small_answerer, tmp_path):
    with Storage.open(tmp_path / "bot.db") as storage:
        text = converse(small_answerer, ["/notify off", "/notify maybe"], storage, lang="fr")
        assert storage.get_notify_opt_out("tester")  # "maybe" did not turn it back on
        usage = "Écrivez /notify on pour recevoir les réponses à vos questions précédentes"
        assert text.count(usage) == 1
        converse(small_answerer, ["/notify on"], storage)
        assert not storage.get_notify_opt_out("tester")


def test_the_terminal_chats_own_lines_follow_the_chosen_language(small_answerer, tmp_path):
    """After /lang de, the terminal's own lines (help, the language list, an unknown code,
    the /staff notice, /lang auto) are German: none of the English ones is left."""
    english = [
        "/quit – leave",
        "/language auto – detect",
        "is not one of the available languages",
        "recorded for the service centre's staff",
        "From now on I will answer in the language of each message.",
    ]
    lines = ["/lang de", "/help", "/language", "/language xx", "/staff Bitte um Rückruf"]
    with Storage.open(tmp_path / "bot.db") as storage:
        text = converse(small_answerer, [*lines, "/lang auto"], storage)
    german = text.split("Ab jetzt antworte ich auf Deutsch.", 1)[1]
    assert "/quit – beenden (Ctrl-D geht auch)" in german
    assert "/language auto – die Sprache jeder Nachricht erkennen" in german
    assert "xx ist keine der verfügbaren Sprachen. Wählen Sie eine von: en, " in german
    assert "Ihre Nachricht wurde für die Mitarbeitenden des Servicezentrums gespeichert" in german
    assert german.rstrip().endswith("Ab jetzt antworte ich in der Sprache jeder Nachricht.")
    assert not [line for line in english if line in german]


def test_a_staff_message_is_logged_in_the_language_it_is_written_in(small_answerer, tmp_path):
    """With no language chosen the bot's words are English, but a /staff message written
    in Russian is logged as Russian, as a question in Russian is; a chosen language is the
    language of both."""
    with Storage.open(tmp_path / "bot.db") as storage:
        converse(small_answerer, ["/staff Мне нужна помощь с видом на жительство"], storage)
        converse(small_answerer, ["/staff I need help with my residence permit"], storage)
        converse(small_answerer, ["/staff Please call me back"], storage, lang="fr")
        assert [m["language"] for m in storage.staff_messages()] == ["ru", "en", "fr"]


def test_an_unwritable_database_is_a_clear_error_with_a_way_out(tmp_path, config_file):
    (tmp_path / "data").write_text("a file where the database folder should be\n")
    config = config_file
    chat = python_m_bot(config, "chat", input="hello\n")
    assert chat.returncode == 1
    assert "cannot open the database" in chat.stderr and "--no-log" in chat.stderr
    assert python_m_bot(config, "chat", "--no-log", input="hello\n").returncode == 0


def test_an_untranslated_answer_carries_its_note_once(small_answerer):
    text = converse(small_answerer, ["/lang ru", "What is a fapiao?"])
    assert "official tax invoice" in text  # the English text, no Russian version yet
    assert text.count("Этого ответа пока нет на вашем языке") == 1


def test_the_chats_own_words_follow_the_conversation_language(small_answerer):
    text = converse(small_answerer, ["公司银行账户怎么开？", "/topics", "/forget"])
    assert "关于您的所有记录都已删除。" in text  # /forget, said in Chinese
    assert small_answerer.localizer.topic(small_answerer.kb.topics[0], "zh") in text


def test_a_loanword_after_a_chinese_question_is_answered_in_chinese(small_answerer):
    text = converse(small_answerer, ["公司银行账户怎么开？", "fapiao", "/forget", "fapiao"])
    chinese, english = text.index("发票是中国官方的税务凭证"), text.index("official tax invoice")
    assert chinese < english  # in Chinese after Chinese; in English once forgotten


def test_a_picked_suggestion_is_answered_in_the_language_it_was_offered_in(small_answerer):
    from dataclasses import replace

    from bot.answering import Answerer
    from bot.matching import Matcher

    unsure = replace(small_answerer.config.matching, answer_threshold=1.1, suggest_threshold=0.2)
    matcher = Matcher(small_answerer.kb, unsure, small_answerer.matcher.encoder, None)
    answerer = Answerer(small_answerer.kb, matcher, small_answerer.detector, small_answerer.config)
    # Not word for word a phrasing (those are answered outright): a suggestion to pick.
    text = converse(answerer, ["请问公司银行账户怎么开？", "1"])
    assert "1. 公司银行账户怎么开？" in text
    assert "携带" in text  # the Chinese answer, not the knowledge base's English


def test_none_of_these_queues_the_question_marked_for_staff(small_answerer, tmp_path):
    with Storage.open(tmp_path / "bot.db") as storage:
        text = converse(small_answerer, ["licence", "0", "0"], storage)
        [queued] = storage.list_unanswered()
    assert "0. None of these" in text
    assert text.count("I have passed your question to the service centre's staff") == 1
    assert (queued["question"], queued["kind"]) == ("licence", "none_of_these")


def test_a_digit_that_is_not_a_number_is_read_as_text_not_a_crash(small_answerer):
    """ "²" or "⑤" after a list is a digit to Python but no number int() reads: the chat
    ended with a ValueError. Now it is a message like any other; "٢" and "２" still pick."""
    listed = converse(small_answerer, ["/topics"])
    second = converse(small_answerer, ["/topics", "2"])
    assert len(second) > len(listed)  # the second topic opened
    assert converse(small_answerer, ["/topics", "٢"]) == second
    assert converse(small_answerer, ["/topics", "２"]) == second
    text = converse(small_answerer, ["/topics", "²", "⑤"])  # no ValueError
    assert text.startswith(listed) and len(text) > len(listed)


def test_a_chosen_suggestion_is_recorded_but_a_topic_entry_is_not(small_answerer, tmp_path):
    with Storage.open(tmp_path / "bot.db") as storage:
        converse(small_answerer, ["licence", "1", "/topics", "1", "1"], storage)
        [choice] = storage.list_choices()
    assert (choice["question"], choice["entry_id"], choice["language"]) == (
        "licence",
        "work-permit",
        "en",
    )


def test_a_message_asking_two_things_gets_both_answers_titled(small_answerer, tmp_path):
    with Storage.open(tmp_path / "bot.db") as storage:
        text = converse(
            small_answerer, ["How do I get a work permit? And when is the centre open?"], storage
        )
        rows = list(
            storage.db.query("SELECT question, entry_id, part FROM interactions ORDER BY id")
        )
    assert "» How do I get a work permit for a foreign employee?" in text
    assert "» When is the service centre open?" in text and "hours posted" in text
    assert text.index("» How do I") < text.index("» When is")
    assert [(r["entry_id"], r["part"]) for r in rows] == [
        ("work-permit", None),
        ("office-hours", 1),
    ]


def test_the_list_kept_for_the_rest_of_a_message_can_be_chosen_from(answerer, tmp_path):
    """The first part is answered; "How long does it take?" keeps a list, and its number
    chooses from that list (recorded as a choice for that sentence)."""
    message, first = kept_list_message(answerer)
    with Storage.open(tmp_path / "bot.db") as storage:
        text = converse(answerer, [message, "1"], storage)
        [choice] = storage.list_choices()
    assert f"» {answerer.title(first)}" in text
    assert "\n» \n" not in text  # a list has no title line
    assert choice["question"] == "How long does it take?"
    assert answerer.kb.by_id[choice["entry_id"]].answer[:40] in text  # the chosen answer


def test_a_question_set_in_another_country_says_so_before_the_rest(small_answerer, tmp_path):
    with Storage.open(tmp_path / "bot.db") as storage:
        text = converse(
            small_answerer,
            ["How do I get a work permit in Vietnam?", "What time is it in Dubai right now?"],
            storage,
        )
        [queued] = storage.list_unanswered()
    assert "another country (Vietnam)" in text and "If you meant China" in text
    assert "1. How do I get a work permit for a foreign employee?" in text
    uae = "another country (United Arab Emirates)"
    assert text.index(uae) < text.index("It has been noted for the service centre's staff")
    assert queued["question"] == "What time is it in Dubai right now?"


def test_a_follow_up_is_read_with_the_question_before_until_forgotten(answerer):
    """ "大概多少钱" (roughly how much?) after a trademark question is the trademark fees;
    alone (after /forget) not: the centre's own fees."""
    trademark_fees = answerer.answer_entry("trademark-fees", "zh").answer.split("\n")[0]
    forgotten = answerer.localizer.message("zh", "forgotten")
    text = converse(answerer, ["如何注册商标？", "大概多少钱", "/forget", "大概多少钱"])
    before, after = text.split(forgotten)
    assert trademark_fees in before and trademark_fees not in after
    assert "中心" in after  # the centre's fees, answered or offered
