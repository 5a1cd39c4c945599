"""The console's interface language: English strings in the templates, translated by catalogs.

Templates write `{{ _("Inbox") }}` (or `_("{n} questions", n=3)`); the English text is the
key. Catalogs are TOML files in `bot/web/locale/<language>/`, every file of a language merged
(one file per group of pages, so that adding pages never edits another page's catalog):

    "Inbox" = "收件箱"
    "{n} questions" = "{n} 个问题"

A text with a number has its English forms, `_n("{n} question", "{n} questions", n)`; the
catalog translates the plural form ("{n} questions" = "{n} 个问题": Chinese has one form).

A string missing from a catalog is shown in English. The language is the `console_lang`
cookie (set by `/ui-language?to=zh`), else the browser's Accept-Language, else English.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI's report page and the digest use the catalogs without a web stack
    from jinja2 import Environment
    from starlette.requests import Request

LOCALE = Path(__file__).resolve().parent / "locale"
UI_LANGUAGES = {"en": "English", "zh": "中文"}
RTL = frozenset({"ar", "fa", "he", "ur"})
COOKIE = "console_lang"


@cache
def catalog(language: str) -> dict[str, str]:
    """Every string of `language`'s catalog files; empty for English or an unknown language."""
    merged: dict[str, str] = {}
    folder = LOCALE / language
    if language == "en" or not folder.is_dir():
        return merged
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as handle:
            for key, value in tomllib.load(handle).items():
                if not isinstance(value, str):
                    raise ValueError(f"{path}: the translation of {key!r} is not a string")
                merged[key] = value
    return merged


def translate(language: str, text: str, **values: Any) -> str:
    """`text` in `language`, with `{name}` fields filled from `values`."""
    found = catalog(language).get(text, text)
    return found.format(**values) if values else found


def plural(language: str, one: str, other: str, count: int, **values: Any) -> str:
    """`one` or `other` by `count` (English: one for 1), in `language`; the catalog keys
    the text by its plural form `other`. `{n}` is `count` unless `values` give it (a
    number formatted with thousands separators)."""
    found = catalog(language).get(other) or (one if count == 1 else other)
    return found.format(**{"n": count, **values})


def in_context(language: str, key: str) -> str:
    """A word that means different things in different places, keyed `"<where>|<English>"`
    ("button|Open": the staff chat's button that shows a question in full, where the
    console's "Open" is a state): its translation, else the English after the bar."""
    return catalog(language).get(key) or key.partition("|")[2]


def staff_language(knowledge_language: str) -> str:
    """The language of what staff read outside the console (the digest, the report page,
    the Telegram staff chat): the knowledge base's where the console has a catalog for it,
    else English."""
    return knowledge_language if knowledge_language in UI_LANGUAGES else "en"


def ui_language(request: Request) -> str:
    """The cookie's choice, else the supported language the browser prefers, else en."""
    chosen = request.cookies.get(COOKIE, "")
    if chosen in UI_LANGUAGES:
        return chosen
    return browser_language(request, tuple(UI_LANGUAGES)) or "en"


def browser_language(request: Request, supported: tuple[str, ...]) -> str | None:
    """The browser's most preferred language (Accept-Language, by its q weights, in the
    order given between equal ones; q=0 means not acceptable) in `supported`."""
    ranked = []
    for i, part in enumerate(request.headers.get("accept-language", "").split(",")):
        code, *params = (p.strip() for p in part.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight > 0:
            ranked.append((-weight, i, code.lower().split("-")[0]))
    for _, _, code in sorted(ranked):
        if code in supported:
            return code
    return None


# The channels askers reach the bot on (bot.storage.CHANNELS), as staff read them.
CHANNEL_NAMES = {
    "telegram": "Telegram",
    "web": "Web chat",
    "terminal": "Terminal chat",
    "cli": "Command line",
}


# The console's roles (bot.accounts.ROLES), as staff read them.
ROLE_NAMES = {"manager": "manager", "staff": "staff"}


def role_name(role: str, language: str) -> str:
    """A role (`staff`) by its name in `language` (工作人员 / staff)."""
    return translate(language, ROLE_NAMES[role]) if role in ROLE_NAMES else role


def language_name(code: str | None, language: str) -> str:
    """Language `code` by its name in `language` (ru -> 俄文 / Russian); "?" for none."""
    from bot import messages

    return messages.language_name(code, language) if code else "?"


def channel_name(channel: str | None, language: str) -> str:
    """A channel (`web`) by its name in `language` (网页聊天 / Web chat)."""
    if not channel:
        return "?"
    return translate(language, CHANNEL_NAMES[channel]) if channel in CHANNEL_NAMES else channel


def install(templates: Environment) -> None:
    """Give the templates `_()`, translating into the request's interface language, and the
    filters `language_name`, `channel_name` and `role_name` (a code by its name in that
    language)."""
    from jinja2 import pass_context

    def language_of(context: Any) -> str:
        request = context.get("request")
        return ui_language(request) if request is not None else "en"

    @pass_context
    def gettext(context: Any, text: str, **values: Any) -> str:
        return translate(language_of(context), text, **values)

    @pass_context
    def named_language(context: Any, code: str | None) -> str:
        return language_name(code, language_of(context))

    @pass_context
    def named_channel(context: Any, channel: str | None) -> str:
        return channel_name(channel, language_of(context))

    @pass_context
    def named_role(context: Any, role: str) -> str:
        return role_name(role, language_of(context))

    @pass_context
    def ngettext(context: Any, one: str, other: str, count: int, **values: Any) -> str:
        request = context.get("request")
        language = ui_language(request) if request is not None else "en"
        return plural(language, one, other, count, **values)

    templates.globals["_"] = gettext
    templates.filters["language_name"] = named_language
    templates.filters["channel_name"] = named_channel
    templates.filters["role_name"] = named_role
    templates.globals["_n"] = ngettext
