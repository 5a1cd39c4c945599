"""Handoff state in the Telegram staff chat: the sender that delivers staff replies to
Telegram askers, the buttons that claim and close, and the state shown on staff messages.

The operations are the core's (bot/handoff.py `Desk`); this module only translates. Every
message that shows an asker to staff carries the state of their handoff as its first button
("✋ Claimed by Sam"), edited when the state changes, whoever changed it (the console too).
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Callable, Iterable

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackContext

from bot.answering import Answerer
from bot.delivery import Sender
from bot.handoff import (
    CLAIMED,
    CLOSED,
    NEW,
    Actor,
    AlreadyRepliedError,
    ClosedError,
    Desk,
    Handoff,
    HandoffError,
    HeldError,
)
from bot.telegram.format import MAX_MESSAGE, split_text
from bot.telegram.staffwords import _, in_context, language_name, language_of

log = logging.getLogger(__name__)

HELD = "{name} is answering this user. To answer instead, press “Take over” first."
CLOSED_ALREADY = "{name} closed this conversation. To answer again, press “Reopen”."
SENT_BEFORE = (
    "Not sent: this user was sent this very reply already, on {time} (UTC) by {name}. "
    "Sent again, they would read it twice."
)


def actor(user: User) -> Actor:
    """A Telegram staff member as the core knows them."""
    return Actor(f"telegram:{user.id}", user.full_name)


def state_text(handoff: Handoff, lang: str) -> str:
    """A handoff's state in the staff chat's language `lang`: "✋ Claimed by Sam"."""
    if handoff.state == NEW:
        return "🆕 " + _(lang, "New: not claimed")
    if handoff.state == CLAIMED:
        return "✋ " + _(lang, "Claimed by {name}", name=handoff.holder_name)
    if handoff.state == CLOSED and handoff.done_by == "inbox":  # HandoffStore.sync
        return "☑️ " + _(lang, "Closed automatically: dealt with in the inbox")
    if handoff.state == CLOSED:
        return "☑️ " + _(lang, "Closed by {name}", name=handoff.done_by)
    return "✅ " + _(lang, "Answered by {name}", name=handoff.done_by)


def state_keyboard(
    shown: Iterable[tuple[int | None, Handoff]], lang: str, open_button: bool = True
) -> InlineKeyboardMarkup:
    """Per handoff shown in a message: its state, then what staff can do with it."""
    rows = []
    for item, handoff in shown:
        prefix = f"#{item} " if item is not None else ""
        rows.append(
            [
                InlineKeyboardButton(
                    prefix + state_text(handoff, lang), callback_data=f"hs:{handoff.id}"
                )
            ]
        )
        actions = []
        if handoff.unanswered_id is not None and handoff.question_status == "new":
            question = handoff.unanswered_id
            if open_button and item is None:
                opens = in_context(lang, "button|Open")
                actions.append(InlineKeyboardButton(opens, callback_data=f"uo:{question}"))
            actions.append(InlineKeyboardButton(_(lang, "Ignore"), callback_data=f"ui:{question}"))
        if handoff.holder is not None:  # claimed, or answered by them: others take over
            action, data = _(lang, "Take over"), f"ht:{handoff.id}"
        elif handoff.state == CLOSED:  # claiming it reopens it: the button says so
            action, data = _(lang, "Reopen"), f"hr:{handoff.id}"
        else:
            action, data = _(lang, "Claim"), f"hc:{handoff.id}"
        actions.append(InlineKeyboardButton(action, callback_data=data))
        if handoff.state != CLOSED:
            actions.append(InlineKeyboardButton(_(lang, "Close"), callback_data=f"hx:{handoff.id}"))
        rows.append(actions)
    return InlineKeyboardMarkup(rows)


def copy_keyboard(items: int, lang: str) -> InlineKeyboardMarkup:
    """Buttons for a fresh copy in the staff chat (before its handoff exists): they name the
    message (and item), and the button handler finds the handoff."""
    if items == 1:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(_(lang, "Claim"), callback_data="hc:m"),
                    InlineKeyboardButton(_(lang, "Close"), callback_data="hx:m"),
                ]
            ]
        )
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_(lang, "Claim #{n}", n=i), callback_data=f"hc:m{i}"),
                InlineKeyboardButton(_(lang, "Close #{n}", n=i), callback_data=f"hx:m{i}"),
            ]
            for i in range(1, items + 1)
        ]
    )


def reply_html(header: str, text: str, original: str | None, original_label: str) -> str:
    """A staff reply as the asker reads it: a header, the text, the staff's own words below
    when the text is their translation."""
    return "\n\n".join(reply_messages(header, text, original, original_label, limit=10**9))


def _titled(title: str, text: str, limit: int) -> list[str]:
    """`text` as HTML messages under `limit`, cut at paragraph breaks (split_text), the
    first one under `title` (HTML already)."""
    chunks = split_text(text, limit - len(title))
    return [title + html.escape(chunks[0])] + [html.escape(c) for c in chunks[1:]]


def reply_messages(
    header: str, text: str, original: str | None, original_label: str, limit: int = MAX_MESSAGE
) -> list[str]:
    """`reply_html` in messages Telegram takes (at most `limit` characters each), cut
    between paragraphs, never inside a tag or an escaped character."""
    messages = _titled(f"<b>{html.escape(header)}</b>\n", text, limit)
    if original:
        tail = _titled(f"<i>{html.escape(original_label)}</i>\n", original, limit)
        if len(tail) == 1 and len(messages[-1]) + 2 + len(tail[0]) <= limit:
            messages[-1] += "\n\n" + tail[0]
        else:
            messages += tail
    return messages


def sender(bot: Bot, answerer_of: Callable[[], Answerer], storage) -> Sender:
    """Delivers a staff reply to a Telegram asker through `bot`: the chat of the relayed
    copy, else the chat kept for the queued question; worded by the answerer serving
    (`answerer_of()`). True only when Telegram returned the sent Message."""

    def chat_of(row: dict) -> int | None:
        relay = row.get("relay")
        if relay:
            found = storage.find_relay(
                relay["staff_chat_id"], relay["staff_message_id"], item=relay["item"]
            )
            return found["user_chat_id"] if found else None
        return storage.asker_chat(row["id"]) if row.get("id") is not None else None

    async def send(row: dict, text: str) -> bool:
        chat_id = await asyncio.to_thread(chat_of, row)
        if chat_id is None:
            return False
        localizer = answerer_of().localizer
        lang = row["language"]
        messages = reply_messages(
            localizer.message(lang, "staff_reply"),
            text,
            row.get("original_text"),
            localizer.message(lang, "original_text"),
        )
        try:
            sent = None
            for part in messages:
                sent = await bot.send_message(chat_id, part, parse_mode=ParseMode.HTML)
        except TelegramError as exc:  # blocked the bot, deleted the chat
            log.warning("a staff reply did not reach a Telegram asker: %s", exc)
            return False
        return isinstance(sent, Message)

    return send


def bot_api_sender(
    token: str, base_url: str, answerer_of: Callable[[], Answerer], storage
) -> Sender:
    """`sender` for a process that does not poll Telegram (`python -m bot web`): staff
    replies still reach Telegram askers, through the Bot API directly (sending needs no
    polling, so another process may run the bot meanwhile). The Bot is set up at the first
    reply; when Telegram cannot be reached, the reply is recorded as not delivered."""
    bot = Bot(token, base_url=base_url)
    send = sender(bot, answerer_of, storage)
    ready = asyncio.Lock()

    async def deliver(row: dict, text: str) -> bool:
        try:
            async with ready:  # once: initialize() returns at once when done before
                await bot.initialize()
        except TelegramError as exc:
            log.warning("Telegram cannot be reached to deliver a staff reply: %s", exc)
            return False
        return await send(row, text)

    return deliver


def show_state(app: Application, desk: Desk, lang: str):
    """A desk watcher: edit the keyboard of every staff message showing a changed handoff
    (its words in the staff chat's language `lang`)."""

    async def watcher(handoff_ids: list[int]) -> None:
        messages = await asyncio.to_thread(desk.store.staff_messages, handoff_ids)
        for chat_id, message_id in messages:
            shown = await asyncio.to_thread(desk.store.in_message, chat_id, message_id)
            if not shown:
                continue
            try:
                await app.bot.edit_message_reply_markup(
                    chat_id, message_id, reply_markup=state_keyboard(shown, lang)
                )
            except TelegramError as exc:  # too old to edit, deleted, unchanged
                log.info("staff message %s not updated: %s", message_id, exc)

    return watcher


async def relayed_reply(
    context: CallbackContext, message: Message, staff: User, relay_key: tuple, text: str
) -> None:
    """A reply typed in the staff chat to a copy: the core's reply to that handoff, so it is
    recorded, reaches the asker in their language and moves the state; staff are told when
    it could not be delivered, someone else holds the asker, or the asker was sent these
    very words already (from here or the console)."""
    desk: Desk = context.bot_data["desk"]
    handoff = await asyncio.to_thread(desk.store.for_relay, *relay_key)
    if handoff is None:
        return
    lang = language_of(context.bot_data)
    try:
        result = await desk.reply([handoff.id], text, actor(staff), via="telegram", not_twice=True)
    except HeldError as exc:
        held = _(lang, HELD, name=exc.handoff.holder_name)
        await message.reply_text(_(lang, "Not sent: {reason}", reason=held))
        return
    except AlreadyRepliedError as exc:
        when = exc.time[:16].replace("T", " ")
        await message.reply_text(_(lang, SENT_BEFORE, time=when, name=exc.actor_name or "?"))
        return
    except HandoffError as exc:  # the core's reason, as the console gives it
        await message.reply_text(_(lang, "Not sent: {reason}", reason=_(lang, str(exc))))
        return
    if not result.delivered:
        why = result.deliveries[0].error if result.deliveries else None
        reason = _(lang, why or "the asker cannot be reached")
        await message.reply_text(_(lang, "Not delivered: {reason}.", reason=reason))
    for asked in result.untranslated():  # typed in another language than the asker's
        name = language_name(asked, lang)
        await message.reply_text(
            _(lang, "Delivered as typed (no {asked} translation model installed).", asked=name)
        )


async def ignored(context: CallbackContext, unanswered_id: int, staff: User | None) -> None:
    """Staff ignored a queued question in the staff chat: its handoff is closed by them
    (unless someone else holds it), and the staff messages showing it say so."""
    desk: Desk | None = context.bot_data.get("desk")
    if desk is None or staff is None:
        return
    found = await asyncio.to_thread(desk.store.for_questions, [unanswered_id])
    for handoff in found:
        if handoff.state != CLOSED and not handoff.held_by_other(actor(staff)):
            await desk.close(handoff.id, actor(staff))


async def button(update: Update, context: CallbackContext, kind: str, rest: str) -> bool:
    """hc claim, ht take over, hr reopen, hx close, hs state; `rest` is a handoff id, or
    `m`/`mN` for the message pressed (its item N). False for a stale button."""
    query, user = update.callback_query, update.effective_user
    desk: Desk | None = context.bot_data.get("desk")
    if query is None or user is None or desk is None:
        return False
    handoff = await _pressed(desk, query, rest)
    if handoff is None:
        return False
    lang = language_of(context.bot_data)
    if kind == "hs":
        await query.answer(state_text(handoff, lang), show_alert=True)
        return True
    try:
        if kind == "hx":
            done = await desk.close(handoff.id, actor(user))
        else:
            done = await desk.claim(
                handoff.id, actor(user), takeover=kind == "ht", reopen=kind == "hr"
            )
    except HeldError as exc:
        await query.answer(_(lang, HELD, name=exc.handoff.holder_name), show_alert=True)
        return True
    except ClosedError as exc:  # a Claim pressed on a message not yet showing it closed
        await query.answer(_(lang, CLOSED_ALREADY, name=exc.handoff.done_by), show_alert=True)
        return True
    await query.answer(state_text(done, lang))
    return True


async def _pressed(desk: Desk, query, rest: str) -> Handoff | None:
    if rest.isdecimal():
        try:
            return await asyncio.to_thread(desk.store.get, int(rest))
        except HandoffError:
            return None
    message = query.message
    if not rest.startswith("m") or message is None:
        return None
    item = int(rest[1:]) if rest[1:].isdecimal() else None
    return await asyncio.to_thread(desk.store.for_relay, message.chat.id, message.message_id, item)
