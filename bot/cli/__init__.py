"""Command line: `python -m bot ...` or the `faq-bot` console script.

Thin adapters over the answering core. Domain errors (configuration, knowledge base) become
clear messages and a non-zero exit status here, at the edge.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from bot.answering import Answer, Answerer
from bot.cli.common import (
    KB_OPTION,
    LANG_OPTION,
    check_lang,
    load_answerer,
    open_storage,
    utf8_streams,
)
from bot.cli.kb import kb
from bot.cli.models import models
from bot.cli.report import report
from bot.cli.unanswered import unanswered
from bot.config import Config, ConfigError, load_config
from bot.matching import SUGGEST


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
@click.pass_obj
def ask(
    config: Config, question: str | None, kb_dir: Path | None, lang: str | None, as_json: bool
) -> None:
    """Answer QUESTION, or every line of standard input when QUESTION is left out.

    The knowledge base is loaded once, so a file of questions is the staff's regression
    test: one answer (or JSON object) per input line, in order.

    Example: python -m bot ask --json < questions.txt
    """
    lang = check_lang(config, lang)
    answerer = load_answerer(config, kb_dir, open_storage(config))
    questions = [question] if question is not None else (line.rstrip("\r\n") for line in sys.stdin)
    for text in questions:
        answer = answerer.ask(text, lang=lang, live=config.translation.live)
        if as_json:
            click.echo(json_line(answer.to_json()))
        else:
            click.echo(_describe(answer))


# Characters that str.splitlines() and some JSON Lines readers take for line breaks; JSON
# allows them raw, so they are escaped to keep one object per line for every reader.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_line(data: dict) -> str:
    """One line of JSON, readable UTF-8, with no character any reader splits lines on."""
    text = json.dumps(data, ensure_ascii=False)
    for raw, escaped in _LINE_BREAKS.items():
        text = text.replace(raw, escaped)
    return text


def _describe(answer: Answer) -> str:
    head = f"[{answer.status}"
    if answer.id:
        head += f" {answer.id}"
    if answer.score is not None:
        head += f" {answer.score:.2f}"
    head += f" {answer.language}]"
    return f"{head}\n{answer.reply}\n"


CHAT_HELP = """Type a question in any language and press Enter.
  /lang CODE   answer in this language (e.g. /lang ru); /lang alone detects it again
  /help        this text
  /quit        leave (Ctrl-D works too)
After "did you mean", type the number of the question you meant."""


def chat_loop(answerer: Answerer, lang: str | None, read=input, write=click.echo) -> None:
    """The terminal conversation; `read` raises EOFError at the end of input."""
    write(answerer.localizer.message(lang or answerer.kb.language, "greeting"))
    write(CHAT_HELP + "\n")
    pending: Answer | None = None
    live = answerer.config.translation.live
    while True:
        try:
            line = read("> ")
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        line = line.strip()
        if line in ("/quit", "/exit", "/q"):
            return
        if line == "/help":
            write(CHAT_HELP)
            continue
        if line.startswith("/lang"):
            choice = line[5:].strip() or None
            if choice and choice not in answerer.config.languages.supported:
                supported = ", ".join(answerer.config.languages.supported)
                write(f"Unknown language {choice!r}; choose one of: {supported}")
                continue
            lang = choice
            write(f"Language: {lang or 'detected from each message'}")
            continue
        if pending and line.isdigit() and 1 <= int(line) <= len(pending.suggestions):
            picked = pending.suggestions[int(line) - 1]
            answer = answerer.answer_entry(picked.id, pending.language, live=live)
        else:
            answer = answerer.ask(line, lang=lang, live=live)
        pending = answer if answer.status == SUGGEST else None
        write(answer.reply + "\n")


@main.command()
@KB_OPTION
@LANG_OPTION
@click.pass_obj
def chat(config: Config, kb_dir: Path | None, lang: str | None) -> None:
    """Talk to the bot in the terminal, through the same pipeline as Telegram.

    Example: python -m bot chat --lang fr
    """
    lang = check_lang(config, lang)
    chat_loop(load_answerer(config, kb_dir, open_storage(config)), lang)


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
@click.pass_obj
def run(
    config: Config,
    kb_dir: Path | None,
    webhook_url: str | None,
    listen: str,
    port: int,
    terminal: bool,
    require_telegram: bool,
) -> None:
    """Run the bot: on Telegram when TELEGRAM_BOT_TOKEN is set, else in the terminal.

    Long polling by default; --webhook URL --listen HOST --port N for webhook mode. With
    --telegram a missing token is an error instead of a terminal chat.
    [telegram] base_url in the config points the bot at a self-hosted Bot API server.
    Exits with status 1 when Telegram refuses the token (revoked), so a supervisor sees it.

    Example: TELEGRAM_BOT_TOKEN=123456:ABC... python -m bot run
    """
    if require_telegram and config.token is None:
        raise click.ClickException(
            "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather "
            "and export TELEGRAM_BOT_TOKEN=123456:ABC..."
        )
    if config.token is None or terminal:
        if not terminal:
            click.echo(
                "TELEGRAM_BOT_TOKEN is not set: starting the terminal chat instead.\n", err=True
            )
        chat_loop(load_answerer(config, kb_dir, open_storage(config)), None)
        return
    from bot.telegram import app as telegram_app

    try:
        telegram_app.check_token(config.token)
    except telegram_app.TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    if kb_dir is not None:
        config = config.with_knowledge_dir(kb_dir)
    storage = open_storage(config, create=True)
    answerer = load_answerer(config, None, storage)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its URLs contain the token
    translator = answerer.localizer.translator
    translate = translator.translate if translator is not None else None
    status = telegram_app.run(
        config, answerer, storage, translate, webhook_url=webhook_url, listen=listen, port=port
    )
    if status:
        sys.exit(status)


main.add_command(kb)
main.add_command(models)
main.add_command(unanswered)
main.add_command(report)


if __name__ == "__main__":  # pragma: no cover
    main()
