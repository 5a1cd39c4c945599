"""The Telegram staff chat's words (staff.py, staffqueue.py, handoffs.py, digest.py):
written in English in the code, `_(lang, "...")`, and translated by the console's catalogs
(bot/web/i18n.py; bot/web/locale/zh/telegram.toml) into the staff language. That is the
digest's: the knowledge base's language where the console has it (en, zh), else English,
so that a centre whose staff write the knowledge base in Chinese reads its staff chat in
Chinese too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.config import Config
from bot.web import i18n

# What a copy in the staff chat is (StaffCopy.kind), as the adapters name it in English.
COPY_LABELS = (
    "❓ Unanswered",
    "✉️ /staff",
    "✉️ Talk to a person",
    "🤷 None of these fit",
)


def language(config: Config) -> str:
    """The staff chat's language under `config`."""
    return i18n.staff_language(config.knowledge.language)


def language_of(bot_data: Mapping[str, Any]) -> str:
    """The staff chat's language of a running Application (its `bot_data`)."""
    return language(bot_data["config"])


def _(lang: str, text: str, **values: Any) -> str:
    """`text` in the staff chat's language `lang`, its `{name}` fields filled."""
    return i18n.translate(lang, text, **values)


def _n(lang: str, one: str, other: str, count: int, **values: Any) -> str:
    """`one` or `other` by `count`, in `lang` (i18n.plural)."""
    return i18n.plural(lang, one, other, count, **values)


def in_context(lang: str, key: str) -> str:
    """A word keyed by where it is ("button|Open"; i18n.in_context), in `lang`."""
    return i18n.in_context(lang, key)


def language_name(code: str, lang: str) -> str:
    """Language `code` by its name in `lang` (ru: 俄语 / Russian)."""
    return i18n.language_name(code, lang)
