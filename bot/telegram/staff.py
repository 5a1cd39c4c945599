"""Telegram handlers for the service centre's staff: relayed replies, /reload,
/unanswered, /stats and the buttons on unanswered items.

Staff are the members of `[telegram] staff_chat_id` and the users in `staff_user_ids`; staff
commands work in the staff chat and in a private chat with the bot, nowhere else. A staff
reply to a message that shows an asker's question (a forwarded question, an /unanswered
item, an opened item) goes to that asker, in their language, and to no one else.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, User
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError

from bot import triage
from bot.answering import Answerer, reload_answerer
from bot.config import Config
from bot.handoff import Desk, Handoff
from bot.knowledge import KnowledgeError
from bot.redact import redact
from bot.storage import NONE_OF_THESE, UnknownIdError
from bot.telegram import handlers, handoffs
from bot.telegram.format import answer_messages
from bot.telegram.handlers import (
    Context,
    _answerer,
    _config,
    _store,
    is_staff,
    reload_lock,
    reply,
    say,
    serving,
    translated,
    ui_language,
)
from bot.telegram.staffqueue import REPLY_HINT, addressed_item
from bot.telegram.staffwords import _, _n, in_context, language_of
from bot.web import i18n

log = logging.getLogger(__name__)

ELSEWHERE = (
    "Staff commands work only in the staff chat or in a private chat with me: "
    "everyone here would see what they show."
)
NO_ASKER = (
    "Not delivered: no asker is linked to that message any more (they deleted their data "
    "with /forget, or it expired), so the bot cannot reach them."
)
EDIT_NOT_SENT = (
    "Edits are not delivered: the asker already has your first reply. "
    "To correct it, reply to the question again with a new message."
)
NOT_TEXT = (
    "Not delivered: the bot passes on text only, and this reply is a {kind}. "
    "Write the answer as text (for a file, a link to it)."
)
UNREACHABLE = "The asker cannot be reached (no chat known: asked elsewhere, or opted out)."
ATTACHMENTS = {  # what a message carries instead of text, as staff are told it
    "photo": "photo",
    "document": "document",
    "video": "video",
    "animation": "animation",
    "voice": "voice",
    "audio": "audio",
    "video_note": "video note",
    "sticker": "sticker",
    "location": "location",
    "venue": "venue",
    "contact": "contact",
    "poll": "poll",
    "dice": "dice",
}


def hints(text: str) -> set[str]:
    """`text` in every language the staff chat may have been in when it was sent."""
    return {_(lang, text) for lang in i18n.UI_LANGUAGES}


# --- replies to askers ---------------------------------------------------------------


async def relay_reply(update: Update, context: Context) -> None:
    """A staff reply to a message showing a question goes to that asker, and no one else;
    what cannot be delivered (a photo, an edit, an asker who left) is explained to staff."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or message.reply_to_message is None:
        return
    original = message.reply_to_message
    lang = language_of(context.bot_data)
    # A reply to a batch of copies names its item first ("#2 Your answer"): staffqueue.py.
    item, text = addressed_item(message.text) if message.text else (None, "")
    relay = await _store(context, "find_relay", chat.id, original.message_id, item=item)
    if relay is None:
        if chat.type == ChatType.PRIVATE:  # a staff member's own chat: an ordinary message
            await (handlers.ask if message.text else handlers.not_text)(update, context)
        elif any(hint in (original.text or "") for hint in hints(REPLY_HINT)):
            await message.reply_text(_(lang, NO_ASKER))
        return
    if update.edited_message is not None:
        await message.reply_text(_(lang, EDIT_NOT_SENT))
        return
    if not message.text:
        kind = next(
            (name for k, name in ATTACHMENTS.items() if getattr(message, k, None)),
            "message without text",
        )
        await message.reply_text(_(lang, NOT_TEXT, kind=_(lang, kind)))
        return
    if message.from_user is None:
        return
    key = (chat.id, original.message_id, item)
    await handoffs.relayed_reply(context, message, message.from_user, key, text)


# --- who may ---------------------------------------------------------------------------


async def refuse(update: Update, context: Context) -> None:
    """Staff commands from anyone else, or from staff outside the staff chat and a private
    chat: refused and logged (the command or button, never the rest of the text)."""
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if update.callback_query is not None:
        what = (update.callback_query.data or "").split(":")[0]
    else:
        what = ((message.text or "").split() or ["?"])[0] if message else "?"
    log.warning(
        "refused staff command %r from user %s in chat %s",
        what,
        user.id if user else None,
        chat.id if chat else None,
    )
    if user is not None and user.id in _config(context).telegram.staff_user_ids:
        text = _(language_of(context.bot_data), ELSEWHERE)
    else:
        text = say(context, await ui_language(update, context), "not_allowed")
    if update.callback_query is not None:
        await update.callback_query.answer()
    await reply(update, context, text)


Command = Callable[[Update, Context], Coroutine[Any, Any, None]]


def staff_only(handler: Command) -> Command:
    """Run `handler` for staff where staff may work (see is_staff), refuse the rest."""

    async def guarded(update: Update, context: Context) -> None:
        if is_staff(update, _config(context)):
            await handler(update, context)
        else:
            await refuse(update, context)

    guarded.__doc__ = handler.__doc__
    guarded.__name__ = handler.__name__
    return guarded


# --- commands --------------------------------------------------------------------------


@staff_only
async def reload(update: Update, context: Context) -> None:
    """Reload the knowledge base; a broken one is refused and the old one keeps serving."""
    config = _config(context)
    lang = language_of(context.bot_data)
    storage = context.bot_data.get("storage")
    try:
        answerer = await asyncio.to_thread(_reload_and_swap, context.bot_data, config, storage)
    except KnowledgeError as exc:
        found = len(exc.problems)
        lines = [
            _n(
                lang,
                "Knowledge base NOT reloaded: {n} problem; still serving the previous one.",
                "Knowledge base NOT reloaded: {n} problems; still serving the previous one.",
                found,
            ),
            *(str(p) for p in exc.problems[:30]),
        ]
        if found > 30:
            lines.append(_(lang, "… and {n} more", n=found - 30))
        await reply(update, context, "\n".join(lines))
        return
    sent = await notify_resolved(context)
    kb = answerer.kb
    text = _(
        lang,
        "Knowledge base reloaded: {entries} in {topics}.",
        entries=_n(lang, "{n} entry", "{n} entries", len(kb.entries)),
        topics=_n(lang, "{n} topic", "{n} topics", len(kb.topics)),
    )
    if sent:
        also = _n(
            lang,
            "Sent the answer to {n} earlier question.",
            "Sent the answer to {n} earlier questions.",
            sent,
        )
        text = _(lang, "{done} {also}", done=text, also=also)  # no space between in Chinese
    await reply(update, context, text)


def _reload_and_swap(bot_data: dict, config: Config, storage) -> Answerer:
    """Rebuild from the answerer serving now and put the new one in its place, both under
    the reload lock: a swap made meanwhile (the console's, or the second encoder's warm-up)
    is built on, never undone."""
    with reload_lock(bot_data):
        answerer = reload_answerer(serving(bot_data), config, storage)
        bot_data["answerer"] = answerer
        holder = bot_data.get("holder")
        if holder is not None:  # the staff console serves the same answerer
            holder.answerer = answerer
    return answerer


async def notify_resolved(context: Context) -> int:
    """Send each resolved question's answer, once, to whoever asked it (unless opted out)."""
    pending = await _store(context, "pending_notifications") or []
    answerer = _answerer(context)
    sent = 0
    for item in pending:
        if item["entry_id"] not in answerer.kb.by_id:
            continue  # resolved with an entry this knowledge base does not have (yet)
        lang = item["language"]
        answer = await translated(context, answerer.answer_entry(item["entry_id"], lang))
        intro = say(context, lang, "resolved_answer", question=item["question"])
        try:
            await context.bot.send_message(
                item["chat_id"], html.escape(intro, quote=False), parse_mode=ParseMode.HTML
            )
            for part in answer_messages(answer, answerer):
                await context.bot.send_message(
                    item["chat_id"], part, parse_mode=ParseMode.HTML, disable_web_page_preview=True
                )
        except TelegramError as exc:  # blocked the bot, deleted the chat: do not retry
            log.warning("could not send a resolved answer to a chat: %s", exc)
        await _store(context, "mark_notified", item["ids"])
        sent += 1
    return sent


@staff_only
async def unanswered(update: Update, context: Context) -> None:
    """The latest unanswered questions, newest first; a reply to one answers its asker."""
    items = (
        await _store(context, "list_unanswered", status="new", limit=10, newest_first=True) or []
    )
    lang = language_of(context.bot_data)
    if not items:
        await reply(update, context, _(lang, "No new unanswered questions."))
        return
    held = await _handoffs_of(context, [item["id"] for item in items])
    # The askers' chats on their way to staff, read at most once for the whole listing.
    on_their_way = functools.cache(lambda: _chats_on_their_way(context))
    for item in items:
        text = (
            f"#{item['id']} · {item['language']} · {item['time'][:16]}{_kind(item, lang)}\n"
            f"{html.escape(item['question'])}{_after(item, lang)}"
        )
        keyboard = _item_keyboard(item, lang, True, held)
        await _show_item(update, context, item, text, keyboard, on_their_way)


def _kind(item: dict, lang: str) -> str:
    """What sets a queued question apart: its asker rejected a "did you mean" list."""
    return " · " + _(lang, "none of these") if item.get("kind") == NONE_OF_THESE else ""


def _after(item: dict, lang: str) -> str:
    """The question a queued follow-up was asked after ("how much?" after a trademark
    question), on a line of its own (HTML); "" for a question read alone."""
    after = item.get("asked_after")
    return f"\n<i>{html.escape(_(lang, 'after:'))}</i> {html.escape(after)}" if after else ""


async def _handoffs_of(context: Context, ids: list[int]) -> dict[int, Handoff]:
    """The handoffs of these queued questions, by question id (made where missing)."""
    desk: Desk | None = context.bot_data.get("desk")
    if desk is None:
        return {}
    found = await asyncio.to_thread(desk.store.for_questions, ids)
    return {h.unanswered_id: h for h in found if h.unanswered_id is not None}


def _item_keyboard(
    item: dict, lang: str, open_button: bool = True, held: dict[int, Handoff] | None = None
) -> InlineKeyboardMarkup:
    """Open and Ignore; with the item's handoff, its state and Claim/Close too."""
    if held and item["id"] in held:
        return handoffs.state_keyboard([(None, held[item["id"]])], lang, open_button)
    buttons = [InlineKeyboardButton(_(lang, "Ignore"), callback_data=f"ui:{item['id']}")]
    if open_button:
        opens = in_context(lang, "button|Open")
        buttons.insert(0, InlineKeyboardButton(opens, callback_data=f"uo:{item['id']}"))
    return InlineKeyboardMarkup([buttons])


async def _show_item(
    update: Update,
    context: Context,
    item: dict,
    text: str,
    keyboard: InlineKeyboardMarkup,
    on_their_way: Callable[[], dict[tuple[str, str], int]] | None = None,
) -> None:
    """Show a queued question to staff so that a reply to it reaches its asker (in their
    Telegram chat, or on their own channel: a web chat visitor). `on_their_way`: the
    askers' chats whose staff copies are on their way (`_chats_on_their_way`), when a
    listing shares them between its items."""
    reachable = await _store(context, "asker_chat", item["id"]) is not None
    on_its_way = None
    if not reachable:
        chats = on_their_way() if on_their_way is not None else _chats_on_their_way(context)
        on_its_way = chats.get((item["user_key"], item["question"]))
    elsewhere = (
        not reachable and on_its_way is None and await _reached_elsewhere(context, item["id"])
    )
    reachable = reachable or elsewhere or on_its_way is not None
    hint = _(language_of(context.bot_data), REPLY_HINT if reachable else UNREACHABLE)
    sent = await reply(
        update,
        context,
        f"{text}\n\n<i>{html.escape(hint)}</i>",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
    )
    if reachable and sent is not None:
        await _store(
            context,
            "relay_unanswered",
            staff_chat_id=sent.chat.id,
            staff_message_id=sent.message_id,
            unanswered_id=item["id"],
            chatless=elsewhere,
            on_its_way=on_its_way,
        )


def _chats_on_their_way(context: Context) -> dict[tuple[str, str], int]:
    """The chats of askers whose staff copies are on their way, by (asker key, question as
    logged): waiting in the staff queue (a throttled staff chat), or sent with their relays
    not yet written. Without them, /unanswered in that window said the asker could not be
    reached. Read once per listing: a throttled staff chat can hold thousands of copies,
    each needing its asker's key and its redacted text."""
    reader = context.bot_data.get("storage_reader")
    if reader is None:
        return {}
    queue = context.bot_data.get("staff_queue")
    carried = (
        []
        if queue is None
        else [(copy.user_id, copy.text, copy.user_chat_id) for copy in queue.unsent()]
    )
    writes = context.bot_data.get("log_queue")
    if writes is not None:
        gone = set() if queue is None else queue.forgotten
        carried += [
            (relay.get("user_id"), relay.get("question"), relay.get("user_chat_id"))
            for relay in writes.pending("save_relay")
            if relay.get("user_id") not in gone
        ]
    chats: dict[tuple[str, str], int] = {}
    for user_id, text, chat in carried:
        if chat is not None and user_id is not None and isinstance(text, str):
            chats.setdefault((reader.user_key(user_id), redact(text)), chat)
    return chats


async def _reached_elsewhere(context: Context, unanswered_id: int) -> bool:
    """Whether the asker of a queued question is on a channel whose sender this process has
    besides Telegram's (the web chat's, when it is served here)."""
    desk: Desk | None = context.bot_data.get("desk")
    if desk is None:
        return False
    held = await _handoffs_of(context, [unanswered_id])
    handoff = held.get(unanswered_id)
    return (
        handoff is not None
        and handoff.channel not in ("telegram", "terminal")
        and handoff.channel in desk.deliveries.channels()
    )


@staff_only
async def stats(update: Update, context: Context) -> None:
    """Counts of the last 7 days by outcome and language."""
    figures = await _store(context, "stats", days=7)
    lang = language_of(context.bot_data)
    if not figures:
        await reply(update, context, _(lang, "No statistics: no database configured."))
        return
    total = figures["total"]
    lines = [_n(lang, "Last 7 days: {n} question", "Last 7 days: {n} questions", total)]
    lines += [f"  {_(lang, status)}: {n}" for status, n in figures["by_status"].items()]
    lines += [_(lang, "By language:")]
    lines += [f"  {code}: {n}" for code, n in figures["by_language"].items()]
    await reply(update, context, "\n".join(lines))


# --- buttons on unanswered items -------------------------------------------------------


def actor(user: User) -> str:
    """Who a staff member's triage in the staff chat is recorded as in the audit log (the
    console's "by whom"): their Telegram name, and their id as the handoffs' audit rows
    name them ("Ann Lee (telegram:77)": names change and repeat, ids do not)."""
    return f"{user.full_name} ({handoffs.actor(user).id})"


ItemButton = Callable[[Update, Context, int], Awaitable[bool]]
Button = Callable[[Update, Context, str, str], Awaitable[bool]]


def staff_button(handler: ItemButton) -> Button:
    """A button for staff: others are refused (and logged); `rest` is an item id."""

    async def guarded(update: Update, context: Context, rest: str, lang: str) -> bool:
        if not is_staff(update, _config(context)):
            await refuse(update, context)
            return True
        if not rest.isdecimal():
            return False
        return await handler(update, context, int(rest))

    guarded.__doc__ = handler.__doc__
    return guarded


async def _answer_query(update: Update, text: str | None = None) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(text)


@staff_button
async def _ignore_button(update: Update, context: Context, item_id: int) -> bool:
    """Mark an unanswered item ignored (and close its handoff, unless someone else holds
    it), recorded in the audit log as done by the staff member who pressed it; an item that
    is gone is a stale button, one already resolved or set aside (from the console, the CLI
    or another press) is said so and kept as it is."""
    items = await _store(context, "list_unanswered", status=None, ids=[item_id])
    if items == []:
        return False
    lang = language_of(context.bot_data)
    if items and items[0]["status"] != "new":
        done = _(lang, items[0]["status"])
        entry = items[0].get("resolved_entry_id")
        await _answer_query(
            update,
            _(lang, "Already {done} ({entry}): nothing changed.", done=done, entry=entry)
            if entry
            else _(lang, "Already {done}: nothing changed.", done=done),
        )
        return True
    try:
        changed = await _store(context, "set_unanswered_status", [item_id], "ignored", if_new=True)
    except UnknownIdError:
        return False
    staff = update.effective_user
    if changed and staff is not None:
        # (not read: the storage read gave up; it was new, as the change found it)
        before = triage.audit_before(items or [{"id": item_id, "status": "new"}])
        after = triage.ignored_audit(changed)
        done_by = actor(staff)
        await _store(
            context, "audit_triage", done_by, "unanswered.ignore", str(item_id), before, after
        )
    await _answer_query(update, _(lang, "Ignored"))
    await handoffs.ignored(context, item_id, update.effective_user)
    return True


@staff_button
async def _open_button(update: Update, context: Context, item_id: int) -> bool:
    """The whole unanswered item: question, language, time, status, its translation where
    a model exists, and what staff can do: ignore it, reply to answer the asker, resolve."""
    items = await _store(context, "list_unanswered", status=None, ids=[item_id]) or []
    if not items:
        return False
    item = items[0]
    lang = language_of(context.bot_data)
    await _answer_query(update)
    kb_lang = _answerer(context).kb.language
    translate = context.bot_data.get("translate")
    translation = None
    if translate and item["language"] != kb_lang:
        translation = await asyncio.to_thread(
            translate, item["question"], item["language"], kb_lang
        )
    lines = [
        f"<b>#{item['id']}</b> · {html.escape(item['language'])} · "
        f"{item['time'][:16].replace('T', ' ')} UTC · {html.escape(_(lang, item['status']))}"
        f"{_kind(item, lang)}",
        "",
        html.escape(item["question"]),
    ]
    if translation:
        lines += ["", f"<i>{html.escape(kb_lang)}:</i> {html.escape(translation)}"]
    lines[-1] += _after(item, lang)  # below the question, or its translation
    lines += [
        "",
        html.escape(_(lang, "To add it to an entry's phrasings:"))
        + f" <code>python -m bot unanswered resolve {item['id']} --entry ENTRY_ID</code>",
    ]
    held = await _handoffs_of(context, [item["id"]])
    keyboard = _item_keyboard(item, lang, False, held)
    await _show_item(update, context, item, "\n".join(lines), keyboard)
    return True


async def _handoff_button(update: Update, context: Context, kind: str, rest: str) -> bool:
    """Claim, take over, close, or show the state of a handoff (staff only)."""
    if not is_staff(update, _config(context)):
        await refuse(update, context)
        return True
    return await handoffs.button(update, context, kind, rest)


def _handoff(kind: str) -> Button:
    async def pressed(update: Update, context: Context, rest: str, lang: str) -> bool:
        return await _handoff_button(update, context, kind, rest)

    return pressed


BUTTONS: dict[str, Button] = {
    "ui": _ignore_button,
    "uo": _open_button,
    **{kind: _handoff(kind) for kind in ("hc", "ht", "hr", "hx", "hs")},
}


async def button(update: Update, context: Context) -> None:
    """Staff buttons (`ui:<id>` ignore, `uo:<id>` open an unanswered item; `hc`, `ht`,
    `hr`, `hx`, `hs` claim, take over, reopen, close, show a handoff: bot/telegram/handoffs.py)."""
    query = update.callback_query
    if query is None:
        return
    lang = await ui_language(update, context)
    kind, _sep, rest = (query.data or "").partition(":")
    handler = BUTTONS.get(kind)
    if handler is None or not await handler(update, context, rest, lang):
        await query.answer(say(context, lang, "stale_button"), show_alert=False)
