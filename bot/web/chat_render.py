"""How web chat messages look: safe HTML made from plain text.

Everything a message holds (the visitor's words, answers, titles, staff replies) is plain
text and is escaped here, at the last moment; the only markup is ours. Links are made only
for http and https addresses (in the text, and an entry's sources); anything else stays
text. Buttons carry `data-act` and a few ids for bot/web/static/chat.js; they never carry
markup or script.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from urllib.parse import urlsplit

from bot.webchat_store import ChatMessage

Say = Callable[[str], str]  # the bot's words (bot/messages.py keys) in the visitor's language
URL = re.compile(r"https?://[^\s<>\"'`{}|\\^\[\]]+", re.IGNORECASE)
TRAILING = ".,;:!?)]}»”’。，；：！？）"
REASONS = ("wrong", "outdated", "not_mine")
RTL = frozenset({"ar", "fa", "he", "ur"})
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")  # a blank line (or more)
# The Telegram command an entry's text names for writing to staff ("ask staff via /staff"):
# on the web chat, its "Talk to a person" button.
STAFF_COMMAND = re.compile(r"(?<![\w/])/staff(?![\w/])")
# A line of a list: "- item", "* item", "• item", or "1. item" / "1) item".
ITEM = re.compile(r"^[ \t]*(?:([-*•])|(\d{1,3})[.)])[ \t]+(\S.*)$")
WHO = {"visitor": "web_said_you", "bot": "web_said_bot"}  # staff: their visible heading


def safe_url(url: str) -> str | None:
    """`url` when it is an http(s) address with a host and no spaces or controls, else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if any(c.isspace() or ord(c) < 32 or c in "<>\"'`" for c in url):
        return None
    return url


def link(url: str, title: str | None = None) -> str:
    found = safe_url(url)
    if found is None:
        return escape(title or url)
    return (
        f'<a href="{escape(found, quote=True)}" target="_blank" rel="noopener noreferrer '
        f'nofollow">{escape(title or url)}</a>'
    )


def text_html(text: str, staff: str | None = None) -> str:
    """Plain text as HTML: escaped, http(s) addresses linked, line breaks kept; with `staff`
    (the "Talk to a person" button's label), the /staff command a button that opens it."""

    def plain(part: str) -> str:
        if staff is None:
            return escape(part)
        opener = (
            f'<button type="button" class="chip inline" data-opens="staff">{escape(staff)}</button>'
        )
        return opener.join(escape(piece) for piece in STAFF_COMMAND.split(part))

    out, at = [], 0
    for found in URL.finditer(text):
        url = found.group(0).rstrip(TRAILING)
        start, end = found.start(), found.start() + len(url)
        out.append(plain(text[at:start]))
        out.append(link(url))
        at = end
    out.append(plain(text[at:]))
    return "".join(out).replace("\r\n", "\n").replace("\n", "<br>")


def blocks_html(text: str, staff: str | None = None) -> str:
    """Plain text as HTML as `text_html` makes it, but each run of list lines ("- item",
    "1. item") a real list (<ul>, <ol>) whose items stay escaped text. Paragraphs (parted
    by a blank line) are blocks of their own, each set in the direction of its own words
    (`dir="auto"`): an Arabic note over an English answer reads right to left. `staff`:
    see `text_html`."""
    paragraphs = [p for p in PARAGRAPH_BREAK.split(text.replace("\r\n", "\n")) if p.strip()]
    if len(paragraphs) <= 1:
        return _lines_html(text, staff)
    return "".join(
        f'<div class="para" dir="auto">{_lines_html(p, staff)}</div>' for p in paragraphs
    )


def _lines_html(text: str, staff: str | None) -> str:
    runs: list[tuple[str, int, list[str]]] = []  # (kind "", "ul" or "ol", first number, lines)
    for line in text.replace("\r\n", "\n").split("\n"):
        found = ITEM.match(line)
        kind = "" if found is None else "ul" if found.group(1) else "ol"
        said = line if found is None else found.group(3)
        if runs and runs[-1][0] == kind:
            runs[-1][2].append(said)
        else:
            first = int(found.group(2)) if found is not None and kind == "ol" else 1
            runs.append((kind, first, [said]))
    out = []
    for kind, first, lines in runs:
        if not kind:
            out.append(text_html("\n".join(lines), staff))
            continue
        items = "".join(f"<li>{text_html(item, staff)}</li>" for item in lines)
        start = f' start="{first}"' if first != 1 else ""
        out.append(f"<{kind}{start}>{items}</{kind}>")
    return "".join(out)


def language_attributes(lang: object) -> str:
    """` lang=".." dir=".."` for text known to be in `lang`; ` dir="auto"` when not known."""
    if not isinstance(lang, str) or not lang:
        return ' dir="auto"'
    direction = "rtl" if lang.split("-")[0] in RTL else "ltr"
    return f' lang="{escape(lang, quote=True)}" dir="{direction}"'


def button(label: str, act: str, pressed: bool | None = None, **data: str | int) -> str:
    """A chip; `pressed` makes it a toggle (aria-pressed), e.g. the 👍 chosen."""
    attributes = "".join(
        f' data-{escape(name, quote=True)}="{escape(str(value), quote=True)}"'
        for name, value in data.items()
    )
    if pressed is not None:
        attributes += f' aria-pressed="{"true" if pressed else "false"}"'
    return (
        f'<button type="button" class="chip" data-act="{escape(act, quote=True)}"'
        f"{attributes}>{escape(label)}</button>"
    )


def feedback_html(message: ChatMessage, say: Say) -> str:
    """👍/👎 under an answer, the one chosen pressed (pressing the other changes it); after a
    👎, its one-tap reason, asked in the answer itself so that it is about this answer; then
    thanks."""
    data, ident = message.data, message.id
    rated = data.get("rated")
    choices = "".join(
        button(say(key), "feedback", pressed=rated == value, msg=ident, value=value)
        for key, value in (("helpful", 1), ("not_helpful", 0))
    )
    html = f'<div class="actions">{choices}</div>'
    if rated == 0 and not data.get("reason"):
        reasons = "".join(
            button(say(f"reason_{r}"), "reason", msg=ident, reason=r) for r in REASONS
        )
        html += (
            f'<p class="ask" id="ask-{ident}">{escape(say("feedback_reason"))}</p>'
            f'<div class="actions" role="group" aria-labelledby="ask-{ident}">{reasons}</div>'
        )
    elif rated in (0, 1):
        thanks = say("reason_thanks" if data.get("reason") else "feedback_thanks")
        html += f'<p class="thanks">{escape(thanks)}</p>'
    return f'<div class="feedback">{html}</div>'


def see_also_html(message: ChatMessage, related: list[dict], say: Say) -> str:
    """The entries related to an answer, each a button that opens it. One opened already
    carries the id of the answer it showed (`data-shown`): pressed again, the page brings
    that answer into view instead of asking for it again (chat.js)."""
    opened = message.data.get("opened")
    shown: dict = opened if isinstance(opened, dict) else {}
    buttons = []
    for item in related:
        ident = str(item.get("id", ""))
        data: dict[str, str | int] = {"entry": ident, "msg": message.id}
        if isinstance(shown.get(ident), int):
            data["shown"] = shown[ident]
        buttons.append(button(str(item.get("question", "")), "entry", None, **data))
    return (
        f'<p class="see-also">{escape(say("see_also"))}</p>'
        f'<div class="actions column">{"".join(buttons)}</div>'
    )


def message_html(message: ChatMessage, say: Say, ui: str | None = None) -> str:
    """One message of the conversation as an HTML fragment (a <div> the page appends).
    Screen readers hear who said it (a hidden "You said:" / "The bot said:", the staff's
    visible heading) and read its words in their own language: `lang` and `dir` of the text
    it was written in (data "lang", for the bot's and staff's), and `ui`, the language of
    the page's words in it (labels, buttons), for the rest."""
    data, parts = message.data, []
    if message.role == "staff":
        parts.append(f'<p class="who">{escape(say("staff_reply"))}</p>')
    elif message.role in WHO:
        parts.append(  # its own dir: the message's direction stays that of its words
            f'<span class="visually-hidden" dir="auto">{escape(say(WHO[message.role]))} </span>'
        )
    written = language_attributes(data.get("lang"))
    if message.role == "staff" and not data.get("lang"):  # staff's words, language unknown:
        written = ' lang="" dir="auto"'  # not the page's (lang="" is "unknown" in HTML)
    if data.get("title"):
        parts.append(f'<p class="title"{written}><strong>{escape(data["title"])}</strong></p>')
    # an entry's text names Telegram's /staff: here, the "Talk to a person" button
    staff = say("web_staff") if message.kind == "answer" and message.role == "bot" else None
    parts.append(
        f'<div class="text" id="text-{message.id}"{written}>'
        f"{blocks_html(message.text, staff)}</div>"
    )
    if message.role == "staff" and data.get("original"):
        parts.append(
            f'<p class="original" dir="auto"><small>{escape(say("original_text"))} '
            f"{text_html(str(data['original']))}</small></p>"
        )
    parts.append(_extras(message, say))
    role = escape(message.role, quote=True)
    kind = escape(message.kind, quote=True)
    page = f' lang="{escape(ui, quote=True)}"' if ui else ""
    # how many times its buttons changed: the page keeps the newest it was sent (chat.js)
    rev = data.get("rev")
    page += f' data-rev="{rev}"' if isinstance(rev, int) and rev > 0 else ""
    return (
        f'<div class="msg {role} {kind}" data-id="{message.id}"{page} dir="auto">'
        f"{''.join(parts)}</div>"
    )


def _extras(message: ChatMessage, say: Say) -> str:
    data, ident = message.data, message.id
    if message.kind == "answer":
        html = ""
        links = [item for item in data.get("links", []) if isinstance(item, dict)]
        if links:
            items = "".join(
                f"<li>{link(str(item.get('url', '')), str(item.get('title') or ''))}</li>"
                for item in links
            )
            html += f'<p class="sources">{escape(say("sources"))}</p><ul>{items}</ul>'
        related = [item for item in data.get("related", []) if isinstance(item, dict)]
        if related:  # "see also": opens that entry (chat_turn.act_entry), once
            html += see_also_html(message, related, say)
        if data.get("ref"):  # logged: it can be rated
            html += feedback_html(message, say)
        return html
    if message.kind == "suggest" and data.get("open"):
        chips = [button(s["question"], "choose", msg=ident, entry=s["id"]) for s in data["items"]]
        chips.append(button(say("none_of_these"), "none", msg=ident))
        # a group named by the question it answers ("I'm not sure which of these you mean:")
        return (
            f'<div class="actions" role="group" aria-labelledby="text-{ident}">'
            f"{''.join(chips)}</div>"
        )
    if message.kind == "suggest":
        return (
            "<ul>" + "".join(f"<li>{escape(s['question'])}</li>" for s in data["items"]) + "</ul>"
        )
    if message.kind == "topics":
        chips = [button(t["name"], "topic", topic=t["id"], page=0) for t in data["items"]]
        return f'<div class="actions column">{"".join(chips)}</div>'
    if message.kind == "topic":  # an entry opened already: `data-shown`, as in "See also"
        found = data.get("opened")
        opened: dict = found if isinstance(found, dict) else {}
        chips = []
        for e in data["items"]:
            marks: dict[str, str | int] = {"entry": e["id"], "msg": ident, "from": "topic"}
            if isinstance(opened.get(e["id"]), int):
                marks["shown"] = opened[e["id"]]
            chips.append(button(e["question"], "entry", None, **marks))
        nav = []
        if data["page"] > 0:
            nav.append(button(say("previous"), "topic", topic=data["topic"], page=data["page"] - 1))
        if data["page"] + 1 < data["pages"]:
            nav.append(button(say("next"), "topic", topic=data["topic"], page=data["page"] + 1))
        nav.append(button(say("back"), "topics"))
        return (
            f'<div class="actions column">{"".join(chips)}</div>'
            f'<div class="actions">{"".join(nav)}</div>'
        )
    return ""
