"""Command line: `python -m bot ...` or the `faq-bot` console script.

Thin adapters over the answering core. Domain errors (configuration, knowledge base) become
clear messages and a non-zero exit status here, at the edge.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from click.core import ParameterSource

from bot import warmup
from bot.answering import Answer
from bot.cli.chat import TerminalChat, local_user, log_answer
from bot.cli.common import (
    KB_OPTION,
    LANG_OPTION,
    check_lang,
    load_answerer,
    open_storage,
    utf8_streams,
)
from bot.cli.init import init
from bot.cli.kb import kb
from bot.cli.models import models
from bot.cli.report import report
from bot.cli.staff import staff
from bot.cli.terminal import json_line
from bot.cli.unanswered import unanswered
from bot.cli.web import web
from bot.config import Config, ConfigError, load_config


class _Commands(click.Group):
    """The command group; a database that cannot be read (damaged, locked, not SQLite) ends
    a command with one clear line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except sqlite3.DatabaseError as exc:
            raise click.ClickException(
                f"the database could not be read ({exc}). Move it aside or restore it from a "
                "backup; `python -m bot chat --no-log` and `python -m bot ask` answer without it."
            ) from exc


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Configuration file (default: ./config.toml, else built-in defaults).",
)
@click.pass_context
def main(ctx: click.Context, config_path: Path | None) -> None:
    """Offline multilingual FAQ bot for foreign entrepreneurs.

    Answers questions from the curated knowledge base in knowledge/, in the asker's
    language. Start with `python -m bot run` (the terminal chat when no Telegram token is
    set) or `python -m bot ask "How do I open a bank account?"`.
    """
    utf8_streams()
    try:
        ctx.obj = load_config(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.argument("question", required=False)
@KB_OPTION
@LANG_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON object per question per line.")
@click.option(
    "--log",
    "log_questions",
    is_flag=True,
    help="Log the questions in the database like the chat does (unanswered ones join the "
    "queue); without it `ask` writes nothing.",
)
@click.pass_obj
def ask(
    config: Config,
    question: str | None,
    kb_dir: Path | None,
    lang: str | None,
    as_json: bool,
    log_questions: bool,
) -> None:
    """Answer QUESTION, or every line of standard input when QUESTION is left out.

    The knowledge base is loaded once, so a file of questions is the staff's regression
    test: one answer (or JSON object) per input line, in order. Nothing is written unless
    --log is given.

    Example: python -m bot ask --json < questions.txt
    """
    lang = check_lang(config, lang)
    try:
        storage = open_storage(config, create=log_questions)
    except click.ClickException as exc:
        if log_questions:
            raise
        # It only lends cached translations when nothing is logged: answer without it.
        click.echo(f"{exc.message}: answering without it.", err=True)
        storage = None
    answerer = load_answerer(config, kb_dir, storage)
    questions = [question] if question is not None else (line.rstrip("\r\n") for line in sys.stdin)
    for text in questions:
        started = time.perf_counter()
        answer = answerer.ask(text, lang=lang, live=config.translation.live)
        if log_questions and storage is not None:
            waited = round((time.perf_counter() - started) * 1000, 3)
            for one in (answer, *answer.parts):
                log_answer(storage, one, local_user(), waited_ms=waited)
        if as_json:
            click.echo(json_line(answer.to_json()))
        else:
            click.echo("\n".join(_describe(one) for one in (answer, *answer.parts)))


def _describe(answer: Answer) -> str:
    head = f"[{answer.status}"
    if answer.id:
        head += f" {answer.id}"
    if answer.score is not None:
        head += f" {answer.score:.2f}"
    head += f" {answer.language}]"
    return f"{head}\n{answer.reply}\n"


NO_LOG_OPTION = click.option(
    "--no-log",
    is_flag=True,
    help="Terminal chat: write nothing to the database (by default the conversation is "
    "logged like a Telegram one, channel `terminal`).",
)


def terminal_chat(config: Config, kb_dir: Path | None, lang: str | None, no_log: bool) -> None:
    try:
        storage = None if no_log else open_storage(config, create=True)
    except click.ClickException as exc:
        raise click.ClickException(f"{exc.message} (--no-log chats without a database)") from exc
    answerer = load_answerer(config, kb_dir, storage, defer_second=True)
    chat = TerminalChat(answerer, lang, storage=storage)
    if kb_dir is not None:
        config = config.with_knowledge_dir(kb_dir)
    warmup.start(lambda: chat.answerer, partial(setattr, chat, "answerer"), config, storage)
    try:
        chat.run(input)
    finally:
        if storage is not None:
            storage.close()


@main.command()
@KB_OPTION
@LANG_OPTION
@NO_LOG_OPTION
@click.pass_obj
def chat(config: Config, kb_dir: Path | None, lang: str | None, no_log: bool) -> None:
    """Talk to the bot in the terminal, through the same pipeline as Telegram.

    The Telegram user commands work here too: /start, /help, /language [code], /topics,
    /staff MESSAGE, /forget, /notify on|off, and /quit. The conversation is logged in the
    database like a Telegram one (channel `terminal`), so unanswered questions reach
    `unanswered list` and the report; --no-log writes nothing.

    Example: python -m bot chat --lang fr
    """
    lang = check_lang(config, lang)
    terminal_chat(config, kb_dir, lang, no_log)


@main.command()
@KB_OPTION
@click.option(
    "--webhook",
    "webhook_url",
    metavar="URL",
    help="Receive updates on a webhook at this public URL instead of long polling.",
)
@click.option(
    "--listen",
    default="127.0.0.1",
    show_default=True,
    help="Address the webhook server listens on.",
)
@click.option(
    "--port",
    default=8443,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port the webhook server listens on.",
)
@click.option(
    "--terminal", is_flag=True, help="Use the terminal chat even when TELEGRAM_BOT_TOKEN is set."
)
@click.option(
    "--telegram",
    "require_telegram",
    is_flag=True,
    help="Telegram only: fail (exit 1) instead of starting the terminal chat when "
    "TELEGRAM_BOT_TOKEN is not set. For services.",
)
@click.option(
    "--console/--no-console",
    default=True,
    show_default=True,
    help="Also serve the staff console (same process, same answerer: a change made there is "
    "live on Telegram at once): on [web] host:port with long polling, on the webhook's "
    "--listen/--port server in webhook mode.",
)
@NO_LOG_OPTION
@click.pass_obj
def run(
    config: Config,
    kb_dir: Path | None,
    webhook_url: str | None,
    listen: str,
    port: int,
    terminal: bool,
    require_telegram: bool,
    console: bool,
    no_log: bool,
) -> None:
    """Run the bot: on Telegram when TELEGRAM_BOT_TOKEN is set, else in the terminal.

    Long polling by default; --webhook URL --listen HOST --port N for webhook mode, where
    one server takes Telegram's updates on the URL's path and serves the staff console on
    every other path (put a TLS reverse proxy in front: docs/console.md). With --telegram
    a missing token is an error instead of a terminal chat, as it is with any option that
    only means something on Telegram (--webhook, --listen, --port, --console/--no-console).
    [telegram] base_url in the config points the bot at a self-hosted Bot API server.
    Exits with status 1 when Telegram refuses the token (revoked), so a supervisor sees it.

    Example: TELEGRAM_BOT_TOKEN=123456:ABC... python -m bot run
    """
    given = _telegram_options(click.get_current_context())
    if terminal and given:
        raise click.UsageError(
            f"--terminal runs the terminal chat, which has no use for {_listed(given)}: "
            "leave out one or the other"
        )
    if config.token is None and (require_telegram or given):
        raise click.ClickException(_needs_a_token(given))
    if config.token is None or terminal:
        if not terminal:
            click.echo(
                "TELEGRAM_BOT_TOKEN is not set: starting the terminal chat instead.\n", err=True
            )
        terminal_chat(config, kb_dir, None, no_log)
        return
    from bot.telegram import app as telegram_app

    try:
        telegram_app.check_token(config.token)
    except telegram_app.TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    if webhook_url and urlsplit(webhook_url).path.strip("/") == "":
        raise click.ClickException(
            "--webhook needs a URL with a path for Telegram's updates, such as "
            "https://bot.example.org/telegram (the other paths serve the staff console)"
        )
    if kb_dir is not None:
        config = config.with_knowledge_dir(kb_dir)
    storage = open_storage(config, create=True)
    answerer = load_answerer(config, None, storage, defer_second=True)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its URLs contain the token
    translator = answerer.localizer.translator
    translate = translator.translate if translator is not None else None
    status = telegram_app.run(
        config,
        answerer,
        storage,
        translate,
        covers=translator.covers if translator is not None else None,
        webhook_url=webhook_url,
        listen=listen,
        port=port,
        console=console,
    )
    if status:
        sys.exit(status)


# The options of `run` that only mean something on Telegram: (parameter, as typed).
TELEGRAM_OPTIONS = (
    ("require_telegram", "--telegram"),
    ("webhook_url", "--webhook"),
    ("listen", "--listen"),
    ("port", "--port"),
    ("console", "--console"),  # or --no-console: the console served beside Telegram
)


def _telegram_options(ctx: click.Context) -> list[str]:
    """The Telegram-only options of `run` given on the command line (or the environment)."""
    given = [
        typed
        for name, typed in TELEGRAM_OPTIONS
        if ctx.get_parameter_source(name)
        not in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)
    ]
    flag = "--console" if ctx.params.get("console") else "--no-console"
    return [flag if typed == "--console" else typed for typed in given]


def _listed(options: list[str]) -> str:
    return options[0] if len(options) == 1 else ", ".join(options[:-1]) + " and " + options[-1]


def _needs_a_token(given: list[str]) -> str:
    """Why `run` with Telegram-only options stops when no token is set, and what to do."""
    lines = [
        f"`run {' '.join(given)}` runs the bot on Telegram, and TELEGRAM_BOT_TOKEN is not "
        "set: get a token from @BotFather and export TELEGRAM_BOT_TOKEN=123456:ABC... "
        "(nothing was started)."
    ]
    if "--webhook" in given:
        lines.append(
            "A webhook also needs a public https URL with a path, such as "
            "https://bot.example.org/telegram, that a TLS reverse proxy forwards to "
            "--listen/--port (see docs/console.md)."
        )
    lines.append("To talk to the bot in the terminal instead: python -m bot chat")
    return "\n".join(lines)


main.add_command(init)
main.add_command(kb)
main.add_command(models)
main.add_command(unanswered)
main.add_command(report)
main.add_command(staff)
main.add_command(web)


if __name__ == "__main__":  # pragma: no cover
    main()
