"""How answers look on Telegram: HTML with everything escaped, split under the length
limit, and the inline keyboards (source link, feedback, suggestions, topics, languages).

Callback data (at most 64 bytes) has a short prefix per kind:
`e:<entry id>` answer an entry, `f:<interaction id or ref>:<1|0>` feedback, `l:<code>` language,
`t:<topic id>:<page>` a page of a topic, `tl` the topic list, `ui:<id>` / `uo:<id>` staff:
ignore / open an unanswered item.
"""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answering import Answer, Answerer
from bot.storage import FEEDBACK_REASONS

MAX_MESSAGE = 4096
PAGE_SIZE = 8
LANGUAGE_NAMES = {  # each language's name in itself, for the picker
    "en": "English",
    "zh": "中文",
    "ru": "Русский",
    "ar": "العربية",
    "fr": "Français",
    "es": "Español",
    "de": "Deutsch",
    "ja": "日本語",
    "ko": "한국어",
    "pt": "Português",
    "it": "Italiano",
    "tr": "Türkçe",
    "vi": "Tiếng Việt",
    "th": "ไทย",
    "uk": "Українська",
    "nl": "Nederlands",
    "pl": "Polski",
}


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Plain text in pieces whose HTML-escaped form fits `limit`, cut at paragraph breaks,
    then line breaks, then spaces, and only as a last resort inside a word."""
    pieces: list[str] = []
    rest = text
    while rest:
        if len(html.escape(rest)) <= limit:
            pieces.append(rest)
            break
        cut = _fitting_prefix(rest, limit)
        window = rest[:cut]
        for sep in ("\n\n", "\n", " "):
            at = window.rfind(sep)
            if at > cut // 3:
                cut = at + len(sep)
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    return [p for p in pieces if p.strip()] or [""]


def _fitting_prefix(text: str, limit: int) -> int:
    """The longest prefix length whose escaped form fits `limit` (binary search)."""
    low, high = 1, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if len(html.escape(text[:mid])) <= limit:
            low = mid
        else:
            high = mid - 1
    return low


def answer_messages(answer: Answer, answerer: Answerer) -> list[str]:
    """The HTML messages for an answer: the entry's question in bold, then the text."""
    if answer.status != "answered" or answer.id is None:
        return [html.escape(p) for p in split_text(answer.reply)]
    title = answerer.title(answer)
    body = answerer.body(answer)
    header = f"<b>{html.escape(title)}</b>\n\n"
    chunks = split_text(body, MAX_MESSAGE - len(header))
    return [header + html.escape(chunks[0])] + [html.escape(c) for c in chunks[1:]]


def answer_keyboard(
    answer: Answer, say, interaction_id: int | str | None
) -> InlineKeyboardMarkup | None:
    """`say(key)` gives the bot's words in the user's language."""
    rows = []
    if answer.status == "answered":
        label = say("source_button")
        rows += [
            [
                InlineKeyboardButton(
                    label if link.title == link.url else f"{label}: {link.title}"[:64], url=link.url
                )
            ]
            for link in answer.links[:3]
        ]
        rows += [  # "see also": opens that entry (handlers._also_button)
            [InlineKeyboardButton(f"↪ {r.question}"[:120], callback_data=f"a:{r.id}")]
            for r in answer.related
        ]
        if interaction_id is not None:
            rows.append(
                [
                    InlineKeyboardButton(say("helpful"), callback_data=f"f:{interaction_id}:1"),
                    InlineKeyboardButton(say("not_helpful"), callback_data=f"f:{interaction_id}:0"),
                ]
            )
    elif answer.status == "suggest":
        rows += [
            [InlineKeyboardButton(s.question[:120], callback_data=f"s:{s.id}")]
            for s in answer.suggestions
        ]
        rows.append([InlineKeyboardButton(say("none_of_these"), callback_data="n")])
    return InlineKeyboardMarkup(rows) if rows else None


def reason_keyboard(say, interaction_id: int | str) -> InlineKeyboardMarkup:
    """The optional reasons for a 👎, one tap each; `say(key)` as for `answer_keyboard`."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    say(f"reason_{reason}"), callback_data=f"r:{interaction_id}:{reason}"
                )
            ]
            for reason in FEEDBACK_REASONS
        ]
    )


def language_keyboard(languages: tuple[str, ...], automatic: str) -> InlineKeyboardMarkup:
    """The language picker: first `automatic` ("Automatic", in the user's language: each
    message answered in its own, as the web chat's picker), then one button a language."""
    buttons = [
        InlineKeyboardButton(LANGUAGE_NAMES.get(code, code), callback_data=f"l:{code}")
        for code in languages
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return InlineKeyboardMarkup([[InlineKeyboardButton(automatic, callback_data="l:auto")], *rows])


def topics_keyboard(answerer: Answerer, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(answerer.localizer.topic(t, lang), callback_data=f"t:{t.id}:0")]
            for t in answerer.kb.topics
        ]
    )


def topic_page(
    answerer: Answerer, topic_id: str, page: int, lang: str
) -> tuple[str, InlineKeyboardMarkup] | None:
    """The text and keyboard of one page of a topic's questions; None if it does not exist."""
    kb, localizer = answerer.kb, answerer.localizer
    say = localizer.message
    topic = next((t for t in kb.topics if t.id == topic_id), None)
    if topic is None:
        return None
    pages = max(1, -(-len(topic.entry_ids) // PAGE_SIZE))
    if not 0 <= page < pages:
        return None
    ids = topic.entry_ids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows = [
        [InlineKeyboardButton(localizer.question(kb.by_id[i], lang)[:120], callback_data=f"e:{i}")]
        for i in ids
    ]
    nav = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(say(lang, "previous"), callback_data=f"t:{topic_id}:{page - 1}")
        )
    nav.append(InlineKeyboardButton(say(lang, "back"), callback_data="tl"))
    if page + 1 < pages:
        nav.append(
            InlineKeyboardButton(say(lang, "next"), callback_data=f"t:{topic_id}:{page + 1}")
        )
    rows.append(nav)
    name = localizer.topic(topic, lang)
    text = html.escape(say(lang, "topic_entries", topic=name))
    if pages > 1:
        text += f" ({page + 1}/{pages})"
    return text, InlineKeyboardMarkup(rows)
