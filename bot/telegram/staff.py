"""Telegram handlers for the service centre's staff: relayed replies, /reload,
/unanswered, /stats and the buttons on unanswered items.

Staff are the members of `[telegram] staff_chat_id` and the users in `staff_user_ids`.
"""

from __future__ import annotations

import asyncio
import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.answering import reload_answerer
from bot.knowledge import KnowledgeError
from bot.storage import UnknownIdError
from bot.telegram.format import answer_messages
from bot.telegram.handlers import (
    Context,
    _answerer,
    _config,
    _store,
    is_staff,
    reply,
    say,
    translated,
    ui_language,
)

log = logging.getLogger(__name__)


async def relay_reply(update: Update, context: Context) -> None:
    """A staff reply to a forwarded question goes to that user, and to no one else."""
    message = update.effective_message
    original = message.reply_to_message
    if original is None or not message.text:
        return
    relay = await _store(context, "find_relay", update.effective_chat.id, original.message_id)
    if relay is None:
        return
    lang = relay["language"]
    kb_lang = _answerer(context).kb.language
    translate = context.bot_data.get("translate")
    translated = None
    if translate and lang != kb_lang:
        translated = await asyncio.to_thread(translate, message.text, kb_lang, lang)
    parts = [
        f"<b>{html.escape(say(context, lang, 'staff_reply'))}</b>",
        html.escape(translated or message.text),
    ]
    if translated:
        parts += [
            "",
            f"<i>{html.escape(say(context, lang, 'original_text'))}</i>",
            html.escape(message.text),
        ]
    await context.bot.send_message(
        relay["user_chat_id"], "\n".join(parts), parse_mode=ParseMode.HTML
    )


ELSEWHERE = (
    "Staff commands work only in the staff chat or in a private chat with me: "
    "everyone here would see what they show."
)


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
        await reply(update, context, ELSEWHERE)
        return
    lang = await ui_language(update, context)
    await reply(update, context, say(context, lang, "not_allowed"))


def staff_only(handler):
    """Run `handler` for staff (the staff chat or [telegram] staff_user_ids), refuse others."""

    async def guarded(update: Update, context: Context) -> None:
        if is_staff(update, _config(context)):
            await handler(update, context)
        else:
            await refuse(update, context)

    guarded.__doc__ = handler.__doc__
    guarded.__name__ = handler.__name__
    return guarded


@staff_only
async def reload(update: Update, context: Context) -> None:
    """Reload the knowledge base; a broken one is refused and the old one keeps serving."""
    config = _config(context)
    storage = context.bot_data.get("storage")
    try:
        answerer = await asyncio.to_thread(reload_answerer, _answerer(context), config, storage)
    except KnowledgeError as exc:
        problems = "\n".join(str(p) for p in exc.problems[:30])
        more = f"\n… and {len(exc.problems) - 30} more" if len(exc.problems) > 30 else ""
        await update.effective_message.reply_text(
            f"Knowledge base NOT reloaded: {len(exc.problems)} problem(s); still serving the "
            f"previous one.\n{problems}{more}"
        )
        return
    context.bot_data["answerer"] = answerer
    sent = await notify_resolved(context)
    await update.effective_message.reply_text(
        f"Knowledge base reloaded: {len(answerer.kb.entries)} entries in "
        f"{len(answerer.kb.topics)} topics."
        + (f" Sent the answer to {sent} earlier question(s)." if sent else "")
    )


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
    """The latest unanswered questions, newest first."""
    items = (
        await _store(context, "list_unanswered", status="new", limit=10, newest_first=True) or []
    )
    if not items:
        await update.effective_message.reply_text("No new unanswered questions.")
        return
    for item in items:
        text = (
            f"#{item['id']} · {item['language']} · {item['time'][:16]}\n"
            f"{html.escape(item['question'])}"
        )
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Open", callback_data=f"uo:{item['id']}"),
                    InlineKeyboardButton("Ignore", callback_data=f"ui:{item['id']}"),
                ]
            ]
        )
        await update.effective_message.reply_html(text, reply_markup=keyboard)


@staff_only
async def stats(update: Update, context: Context) -> None:
    """Counts of the last 7 days by outcome and language."""
    figures = await _store(context, "stats", days=7)
    if not figures:
        await update.effective_message.reply_text("No statistics: no database configured.")
        return
    lines = [f"Last 7 days: {figures['total']} questions"]
    lines += [f"  {status}: {n}" for status, n in figures["by_status"].items()]
    lines += ["By language:"] + [f"  {lang}: {n}" for lang, n in figures["by_language"].items()]
    await update.effective_message.reply_text("\n".join(lines))


def staff_button(handler):
    """A button for staff: others are refused (and logged); `rest` is an item id."""

    async def guarded(update: Update, context: Context, rest: str, lang: str) -> bool:
        if not is_staff(update, _config(context)):
            await refuse(update, context)
            return True
        if not rest.isdigit():
            return False
        return await handler(update, context, int(rest))

    guarded.__doc__ = handler.__doc__
    return guarded


@staff_button
async def _ignore_button(update: Update, context: Context, item_id: int) -> bool:
    """Mark an unanswered item ignored; an item that is gone is a stale button."""
    try:
        await _store(context, "set_unanswered_status", [item_id], "ignored")
    except UnknownIdError:
        return False
    await update.callback_query.answer("Ignored")
    return True


@staff_button
async def _open_button(update: Update, context: Context, item_id: int) -> bool:
    """The whole unanswered item: question, language, time, status, how to resolve it."""
    items = await _store(context, "list_unanswered", status=None, ids=[item_id]) or []
    if not items:
        return False
    item = items[0]
    await update.callback_query.answer()
    await update.effective_message.reply_html(
        f"<b>#{item['id']}</b> · {html.escape(item['language'])} · {item['time'][:16]} · "
        f"{html.escape(item['status'])}\n\n{html.escape(item['question'])}\n\n"
        f"<i>python -m bot unanswered resolve {item['id']} --entry ENTRY_ID</i>"
    )
    return True


BUTTONS = {"ui": _ignore_button, "uo": _open_button}


async def button(update: Update, context: Context) -> None:
    """Staff buttons (`ui:<id>` ignore, `uo:<id>` open an unanswered item)."""
    query = update.callback_query
    data = query.data or ""
    lang = await ui_language(update, context)
    kind, _, rest = data.partition(":")
    handler = BUTTONS.get(kind)
    if handler is None or not await handler(update, context, rest, lang):
        await query.answer(say(context, lang, "stale_button"), show_alert=False)
