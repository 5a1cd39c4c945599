"""The terminal chat: the user commands of the Telegram bot, in a terminal.

/start, /help, /language (/lang) [code], /topics, /staff MESSAGE, /forget, /notify on|off and
/quit; a typed number picks one of the numbered choices last shown (suggestions, topics, a
topic's questions, languages), `n` and `p` page through a topic; 0 under a "did you mean"
list says none of them fits (the question then joins the unanswered queue, marked so).
The words are the bot's own, localized ones (bot/locales/). With a storage, the conversation
is logged like a Telegram one: channel `terminal`, a stable pseudonymous local user,
unanswered questions join the queue staff review with `python -m bot unanswered list`,
/staff messages are recorded, and a chosen suggestion is recorded as a choice.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import click

from bot import messages
from bot.answering import Answer, Answerer, Earlier, none_chosen, with_notice
from bot.matching import SUGGEST
from bot.storage import NONE_OF_THESE, Storage

CHANNEL = "terminal"
CHAT_TYPE = "private"  # one person at one terminal
PAGE_SIZE = 8
QUIT = ("/quit", "/exit", "/q")


def local_user() -> str:
    """The stable local user the terminal logs under (stored only as a keyed hash)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without one)
        name = "local"
    return f"terminal:{name}"


@dataclass
class Choices:
    """The numbered choices last shown: (kind, value) pairs, and the topic page shown."""

    items: list[tuple[str, str]] = field(default_factory=list)
    topic: str | None = None
    page: int = 0
    language: str | None = None  # suggestions: the language they were offered in
    question: str | None = None  # suggestions: the question they were offered for
    asked: int | None = None  # suggestions: the logged question's id (what a pick follows)
    after: str = ""  # suggestions: the question theirs was asked after (Answer.after)


class TerminalChat:
    """One terminal conversation; `write` prints a block of text."""

    def __init__(
        self,
        answerer: Answerer,
        lang: str | None = None,
        *,
        storage: Storage | None = None,
        user_id: str | None = None,
        write: Callable[[str], object] = click.echo,
    ):
        self.answerer = answerer
        self.storage = storage
        self.user_id = user_id or local_user()
        self.write = write
        self.choices = Choices()
        stored = storage.get_user_language(self.user_id) if storage else None
        self.lang = lang or stored  # the user's explicit choice; None detects each message
        self.recent: str | None = None  # the language the last answer was in (Answerer.ask)
        self.earlier: Earlier | None = None  # what it answered, for a follow-up (Answerer.ask)

    # Words --------------------------------------------------------------------------------

    @property
    def ui(self) -> str:
        """Language of the bot's own words: the chosen one, else the last answer's (after
        a question in Chinese, /topics and /help are in Chinese), else the knowledge
        base's."""
        return self.lang or self.recent or self.answerer.kb.language

    def say(self, key: str, lang: str | None = None, **fields: str) -> str:
        return self.answerer.localizer.message(lang or self.ui, key, **fields)

    # The loop -----------------------------------------------------------------------------

    def run(self, read: Callable[[str], str] = input) -> None:
        """Converse until /quit or the end of input (`read` raising EOFError)."""
        self.start("")
        while True:
            try:
                line = read("> ")
            except (EOFError, KeyboardInterrupt):
                self.write("")
                return
            if not self.handle(line.strip(), time.perf_counter()):
                return

    def handle(self, line: str, received: float) -> bool:
        """Answer one line; False when the user leaves."""
        if line.startswith("/"):
            name, _, rest = line.partition(" ")
            name = name.lower().split("@")[0]
            if name in QUIT:
                return False
            command = self.COMMANDS.get(name, TerminalChat.help)
            command(self, rest.strip())
            return True
        if not line:
            self.write(self.say("empty") + "\n")
            return True
        if self.pick(line):
            return True
        answer = self.answerer.ask(
            line, lang=self.lang, recent=self.recent, earlier=self.earlier, live=self.live
        )
        self.recent = answer.language
        self.reply(answer, received)
        return True

    @property
    def live(self) -> bool:
        return self.answerer.config.translation.live

    def reply(
        self,
        answer: Answer,
        received: float,
        follows: int | None = None,
        browsed: bool = False,
    ) -> None:
        """Show an answer and the answers to the message's other parts, each logged with the
        time the user waited; the last one's suggestions are what a number chooses from.
        `follows`: the reply this answer is a step after (a suggestion chosen from it);
        `browsed`: an entry picked from a topic (no question either)."""
        self.earlier = answer.earlier() or self.earlier
        for i, one in enumerate((answer, *answer.parts)):
            titled, first = bool(answer.parts), i == 0
            self.show(one, received, titled, first, follows=follows, browsed=browsed)

    def show(
        self,
        answer: Answer,
        received: float,
        titled: bool,
        first: bool = True,
        follows: int | None = None,
        browsed: bool = False,
    ) -> None:
        """Show one answer (titled: a message that asked several things, which is which),
        log it, offer its suggestions."""
        if answer.status == "unanswered" and self.storage is not None:
            noted = self.say("unanswered_noted", answer.language)  # it is in the queue
            reply = with_notice(answer.notice, noted)
        else:
            reply = answer.reply  # with its notes (no translation yet, machine-translated)
        title = self.answerer.title(answer) if titled else ""
        if title:
            reply = f"» {title}\n\n{reply}"
        self.write(("" if first else "\n") + reply + "\n")
        waited = round((time.perf_counter() - received) * 1000, 3)
        logged = self.log(answer, waited, follows, browsed)
        if answer.status == SUGGEST:
            self.choices = Choices(
                [("entry", s.id) for s in answer.suggestions],
                language=answer.language,
                question=answer.question,
                asked=logged,
                after=answer.after,
            )
        else:
            self.choices = Choices()

    def log(
        self,
        answer: Answer,
        waited_ms: float,
        follows: int | None = None,
        browsed: bool = False,
    ) -> int | None:
        """Log one answer; its id (None without a storage)."""
        if self.storage is None:
            return None
        return log_answer(
            self.storage,
            answer,
            self.user_id,
            waited_ms=waited_ms,
            follows=follows,
            browsed=browsed,
        )

    # Numbered choices ---------------------------------------------------------------------

    def pick(self, line: str) -> bool:
        """A number (or n/p on a topic page) picks from the choices shown; False if not one."""
        started = time.perf_counter()
        if self.choices.topic is not None and line.lower() in ("n", "p"):
            step = 1 if line.lower() == "n" else -1
            return self.show_topic(self.choices.topic, self.choices.page + step)
        if self.choices.question is not None and none_chosen(line):
            self.none_of_these(
                self.choices.question,
                self.choices.language or self.ui,
                self.choices.asked,
                self.choices.after,
            )
            return True
        if not line.isdecimal() or not 1 <= int(line) <= len(self.choices.items):
            return False
        kind, value = self.choices.items[int(line) - 1]
        if kind == "topic":
            return self.show_topic(value, 0)
        if kind == "language":
            self.set_language(value)
            return True
        lang = self.choices.language or self.ui
        follows = None  # an entry picked from a topic: browsing, no question
        if self.choices.question is not None:  # a suggestion: a step after the list
            follows = self.choices.asked or 0
            if self.storage is not None:
                self.storage.log_choice(
                    user_id=self.user_id,
                    language=lang,
                    question=self.choices.question,
                    entry_id=value,
                )
        answer = self.answerer.answer_entry(value, lang, live=self.live)
        self.reply(answer, started, follows, browsed=follows is None)
        return True

    def none_of_these(
        self, question: str, lang: str, asked: int | None = None, after: str = ""
    ) -> None:
        """None of the suggestions fits: the question joins the unanswered queue, marked, as
        the step after the list (`asked`: its logged id), so it counts once; with the
        question it was asked after (`after`: Answer.after), for staff."""
        self.choices = Choices()
        if self.storage is None:
            self.write(self.say("unanswered", lang) + "\n")
            return
        self.storage.log_interaction(
            user_id=self.user_id,
            chat_type=CHAT_TYPE,
            language=lang,
            question=question,
            status="unanswered",
            channel=CHANNEL,
            kind=NONE_OF_THESE,
            follows=asked or 0,
            after=after or None,
        )
        self.write(self.say("none_noted", lang) + "\n")

    def show_topics(self) -> None:
        kb, localizer = self.answerer.kb, self.answerer.localizer
        lines = [self.say("topics")]
        lines += [f"{i}. {localizer.topic(t, self.ui)}" for i, t in enumerate(kb.topics, 1)]
        self.write("\n".join(lines) + "\n")
        self.choices = Choices([("topic", t.id) for t in kb.topics])

    def show_topic(self, topic_id: str, page: int) -> bool:
        """One page of a topic's questions, numbered; False for a page that does not exist."""
        kb, localizer = self.answerer.kb, self.answerer.localizer
        topic = next((t for t in kb.topics if t.id == topic_id), None)
        if topic is None:
            return False
        pages = max(1, -(-len(topic.entry_ids) // PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        ids = topic.entry_ids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        head = self.say("topic_entries", topic=localizer.topic(topic, self.ui))
        lines = [head + (f" ({page + 1}/{pages})" if pages > 1 else "")]
        lines += [f"{i}. {localizer.question(kb.by_id[e], self.ui)}" for i, e in enumerate(ids, 1)]
        nav = []
        if page > 0:
            nav.append(f"p: {self.say('previous')}")
        if page + 1 < pages:
            nav.append(f"n: {self.say('next')}")
        nav.append(f"/topics: {self.say('back')}")
        lines.append("   ".join(nav))
        self.write("\n".join(lines) + "\n")
        self.choices = Choices([("entry", e) for e in ids], topic=topic_id, page=page)
        return True

    # Commands -----------------------------------------------------------------------------

    def start(self, rest: str) -> None:
        """Greet, then show the topics."""
        self.write(self.say("greeting") + "\n")
        self.write(self.say("terminal_help") + "\n")
        self.show_topics()

    def help(self, rest: str) -> None:
        self.write(self.say("help") + "\n" + self.say("terminal_help") + "\n")

    def language(self, rest: str) -> None:
        """/language CODE chooses; `auto` detects again; alone, lists the languages."""
        supported = self.answerer.config.languages.supported
        if rest.lower() in ("auto", "-"):
            self.set_language(None)
            return
        if rest:
            if rest.lower() not in supported:
                listed = ", ".join(supported)
                self.write(self.say("terminal_unknown_language", code=rest, languages=listed))
                self.write("\n")
                return
            self.set_language(rest.lower())
            return
        lines = [self.say("choose_language")]
        lines += [
            f"{i}. {messages.language_name(code, code)} ({code})"
            for i, code in enumerate(supported, 1)
        ]
        lines.append(self.say("terminal_language_auto"))
        self.write("\n".join(lines) + "\n")
        self.choices = Choices([("language", code) for code in supported])

    def set_language(self, code: str | None) -> None:
        told = code or self.ui  # "auto" is said in the language chosen until now
        self.lang = code
        if self.storage is not None:
            self.storage.set_user_language(self.user_id, code)
        self.choices = Choices()
        key = "language_set" if code else "terminal_language_detected"
        self.write(self.say(key, told) + "\n")

    def topics(self, rest: str) -> None:
        self.show_topics()

    def staff(self, rest: str) -> None:
        """/staff MESSAGE: recorded for the service centre's staff."""
        if not rest:
            self.write(self.say("staff_usage") + "\n")
            return
        if self.storage is None:
            self.write(self.say("staff_unavailable") + "\n")
            return
        language = self.answerer.language_of(rest, self.lang)  # as a question's is logged
        self.storage.save_staff_message(user_id=self.user_id, language=language, text=rest)
        self.write(self.say("terminal_staff_recorded") + "\n")

    def forget(self, rest: str) -> None:
        if self.storage is not None:
            self.storage.forget(self.user_id)
        said = self.say("forgotten")  # in the language of the conversation forgotten
        self.lang = self.recent = self.earlier = None
        self.write(said + "\n")

    def notify(self, rest: str) -> None:
        """/notify on|off; anything else is answered with how to use it."""
        on = messages.notify_choice(rest)
        if on is None:
            self.write(self.say("notify_usage") + "\n")
            return
        if self.storage is not None:
            self.storage.set_notify_opt_out(self.user_id, not on)
        self.write(self.say("notify_on" if on else "notify_off") + "\n")

    COMMANDS: dict[str, Callable[[TerminalChat, str], None]] = {
        "/start": start,
        "/help": help,
        "/language": language,
        "/lang": language,
        "/topics": topics,
        "/staff": staff,
        "/forget": forget,
        "/notify": notify,
    }


def log_answer(
    storage: Storage,
    answer: Answer,
    user_id: str,
    *,
    waited_ms: float | None = None,
    follows: int | None = None,
    browsed: bool = False,
) -> int:
    """Log one terminal answer like a Telegram one (channel `terminal`); `follows`: the
    reply it is a step after (a suggestion chosen from its list); `browsed`: an entry
    picked from a topic."""
    return storage.log_interaction(
        **answer.log_fields(),
        user_id=user_id,
        chat_type=CHAT_TYPE,
        channel=CHANNEL,
        waited_ms=waited_ms,
        follows=follows,
        browsed=browsed,
    )


def chat_loop(
    answerer: Answerer,
    lang: str | None,
    read: Callable[[str], str] = input,
    write: Callable[[str], object] = click.echo,
    storage: Storage | None = None,
) -> None:
    """The terminal conversation; `read` raises EOFError at the end of input."""
    TerminalChat(answerer, lang, storage=storage, write=write).run(read)
