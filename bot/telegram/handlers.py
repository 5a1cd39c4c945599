"""Telegram handlers: thin adapters between updates and the answering core.

Long-lived services live in `context.bot_data` (set up in app.py): `answerer`,
`config`, `storage` (or None) and `translate` (text, source, target -> text or None).
Slow or blocking work (matching, embedding, database writes) runs off the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
import time
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.answering import Answer, Answerer
from bot.config import Config
from bot.storage import UnknownIdError
from bot.telegram import storage_access
from bot.telegram.format import (
    answer_keyboard,
    answer_messages,
    language_keyboard,
    topic_page,
    topics_keyboard,
)
from bot.telegram.staffqueue import StaffCopy, addressed_item, over_limit

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE


# --- helpers -------------------------------------------------------------------------


def _answerer(context: Context) -> Answerer:
    return context.bot_data["answerer"]


def _config(context: Context) -> Config:
    return context.bot_data["config"]


async def _store(context: Context, method: str, *args, **kwargs):
    """A Storage method: writes are queued, reads fall back to None (storage_access.py)."""
    return await storage_access.call(context, method, *args, **kwargs)


async def matching(context: Context, function, *args, **kwargs):
    """Run CPU-bound answering work on the one matching thread, off the event loop.

    One thread, not many: the work holds the GIL and uses BLAS, so parallel threads only
    contend (40 questions took 5x longer on 6 threads than one after the other)."""
    pool = context.bot_data["matching_pool"]
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, functools.partial(function, *args, **kwargs))


async def translated(context: Context, answer: Answer) -> Answer:
    """Translate an answer that has only its source text, now, on the translation thread."""
    answerer = _answerer(context)
    if (
        answer.text_source != "source"
        or not _config(context).translation.live
        or not answerer.localizer.can_translate(answer.language)
    ):
        return answer
    pool = context.bot_data["translation_pool"]
    return await asyncio.get_running_loop().run_in_executor(pool, answerer.translated, answer)


async def chosen_language(update: Update, context: Context) -> str | None:
    """The language the user picked with /language, if any (cached in user_data)."""
    if "lang" not in context.user_data and update.effective_user:
        found = await storage_access.read(
            context, "get_user_language", update.effective_user.id, default=storage_access.FAILED
        )
        if found is storage_access.FAILED:  # storage failing: ask again next time
            return None
        context.user_data["lang"] = found
    return context.user_data.get("lang")


async def ui_language(update: Update, context: Context) -> str:
    """Language for the bot's own words: chosen, else Telegram's, else the KB's."""
    chosen = await chosen_language(update, context)
    if chosen:
        return chosen
    supported = _config(context).languages.supported
    code = (update.effective_user.language_code or "") if update.effective_user else ""
    code = code.split("-")[0].lower()
    return code if code in supported else _answerer(context).kb.language


def say(context: Context, lang: str, key: str, **fields: str) -> str:
    """The bot's own words in `lang` (curated, else machine-translated, else English)."""
    return _answerer(context).localizer.message(lang, key, **fields)


def is_staff(update: Update, config: Config) -> bool:
    chat = update.effective_chat
    user = update.effective_user
    staff_chat = config.telegram.staff_chat_id
    return bool(
        (staff_chat and chat and chat.id == staff_chat)
        or (user and user.id in config.telegram.staff_user_ids)
    )


def rate_limited(context: Context, config: Config) -> bool:
    """Sliding window per user: more than N messages in the window is too many."""
    now = time.monotonic()
    window = config.telegram.rate_limit_seconds
    recent = [t for t in context.user_data.get("times", []) if now - t < window]
    recent.append(now)
    context.user_data["times"] = recent
    return len(recent) > config.telegram.rate_limit_messages


async def send_answer(
    message: Message, context: Context, answer: Answer, interaction_id: int | str | None
) -> None:
    answerer = _answerer(context)
    parts = answer_messages(answer, answerer)
    keyboard = answer_keyboard(
        answer, lambda key: say(context, answer.language, key), interaction_id
    )
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        await message.reply_html(
            part, reply_markup=keyboard if last else None, disable_web_page_preview=True
        )


def interaction_ref(context: Context) -> str | None:
    """The reference the answer's feedback buttons carry, chosen before anything is written
    (None: no database, no buttons)."""
    return storage_access.new_ref() if context.bot_data.get("storage") is not None else None


async def log_answer(update: Update, context: Context, answer: Answer, ref: str | None) -> None:
    """Queue the interaction's log entry, after the answer was sent (storage_access.py)."""
    if ref is None:
        return
    chat = update.effective_chat
    user = update.effective_user
    await _store(
        context,
        "log_interaction",
        user_id=user.id if user else chat.id,
        chat_type=chat.type if chat else "private",
        language=answer.language,
        question=answer.question,
        status=answer.status,
        entry_id=answer.id,
        score=answer.score,
        took_ms=answer.took_ms,
        text_source=answer.text_source,
        channel="telegram",
        chat_id=chat.id if chat else None,
        ref=ref,
    )


async def to_staff(update: Update, context: Context, text: str, language: str, kind: str) -> bool:
    """Queue a copy of a user's question or message for the staff chat (staffqueue.py);
    False when no staff chat is configured."""
    queue = context.bot_data.get("staff_queue")
    if queue is None:
        return False
    user = update.effective_user
    queue.put(
        StaffCopy(
            kind=kind,
            text=text,
            language=language,
            user_chat_id=update.effective_chat.id,
            user_id=user.id if user else None,
            who=user.full_name if user else "?",
            username=user.username if user else None,
        )
    )
    return True


# --- entrepreneurs -------------------------------------------------------------------


async def start(update: Update, context: Context) -> None:
    """Greet in the user's language, with the language picker and the topic menu."""
    lang = await ui_language(update, context)
    answerer = _answerer(context)
    await update.effective_message.reply_text(
        say(context, lang, "greeting"),
        reply_markup=language_keyboard(_config(context).languages.supported),
    )
    await update.effective_message.reply_text(
        say(context, lang, "topics"), reply_markup=topics_keyboard(answerer, lang)
    )


async def help_command(update: Update, context: Context) -> None:
    """How to use the bot."""
    lang = await ui_language(update, context)
    await update.effective_message.reply_text(say(context, lang, "help"))


async def language(update: Update, context: Context) -> None:
    """Show the language picker."""
    lang = await ui_language(update, context)
    await update.effective_message.reply_text(
        say(context, lang, "choose_language"),
        reply_markup=language_keyboard(_config(context).languages.supported),
    )


async def topics(update: Update, context: Context) -> None:
    """Browse the knowledge base by topic."""
    lang = await ui_language(update, context)
    await update.effective_message.reply_text(
        say(context, lang, "topics"), reply_markup=topics_keyboard(_answerer(context).kb, lang)
    )


async def staff(update: Update, context: Context) -> None:
    """/staff MESSAGE: pass a message to a person at the service centre."""
    lang = await ui_language(update, context)
    text = " ".join(context.args or []).strip()
    if not text:
        await update.effective_message.reply_text(say(context, lang, "staff_usage"))
        return
    if over_limit(context.user_data.setdefault("staff_times", []), _config(context)):
        await update.effective_message.reply_text(say(context, lang, "staff_rate_limited"))
        return
    sent = await to_staff(update, context, text, lang, "✉️ /staff")
    key = "staff_sent" if sent else "staff_unavailable"
    await update.effective_message.reply_text(say(context, lang, key))


async def forget(update: Update, context: Context) -> None:
    """Delete everything stored about the user."""
    lang = await ui_language(update, context)
    await _store(context, "forget", update.effective_user.id)
    context.user_data.clear()
    await update.effective_message.reply_text(say(context, lang, "forgotten"))


async def notify(update: Update, context: Context) -> None:
    """/notify on|off: whether answers to earlier unanswered questions are sent later."""
    lang = await ui_language(update, context)
    choice = (context.args or ["on"])[0].lower()
    off = choice in ("off", "no", "0", "stop")
    await _store(context, "set_notify_opt_out", update.effective_user.id, off)
    await update.effective_message.reply_text(
        say(context, lang, "notify_off" if off else "notify_on")
    )


def _question_text(update: Update, context: Context) -> str | None:
    """The question in a message, or None when the bot is not addressed (groups)."""
    message = update.effective_message
    text = message.text or ""
    if update.effective_chat.type == ChatType.PRIVATE:
        return text
    username = context.bot.username or ""
    mention = f"@{username}"
    replied = (
        message.reply_to_message
        and message.reply_to_message.from_user
        and message.reply_to_message.from_user.id == context.bot.id
    )
    if username and mention.lower() in text.lower():
        start_at = text.lower().index(mention.lower())
        return (text[:start_at] + text[start_at + len(mention) :]).strip()
    return text if replied else None


async def ask(update: Update, context: Context) -> None:
    """Answer a free-text question (private chats always, groups when addressed)."""
    text = _question_text(update, context)
    if text is None:
        return
    config = _config(context)
    if rate_limited(context, config):
        if not context.user_data.get("warned"):
            context.user_data["warned"] = True
            lang = await ui_language(update, context)
            await update.effective_message.reply_text(say(context, lang, "rate_limited"))
        return
    context.user_data["warned"] = False
    chosen = await chosen_language(update, context)
    user = update.effective_user
    answer = await matching(
        context,
        _answerer(context).ask,
        text,
        lang=chosen,
        telegram_code=user.language_code if user else None,
    )
    answer = await translated(context, answer)
    ref = interaction_ref(context)
    if answer.status == "unanswered":
        noted = await to_staff(update, context, text, answer.language, "❓ Unanswered")
        if noted:
            answer = replace(answer, reply=say(context, answer.language, "unanswered_noted"))
    try:
        await send_answer(update.effective_message, context, answer, ref)
    finally:  # answered first, then logged (also when the answer could not be sent)
        await log_answer(update, context, answer, ref)


async def not_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice, locations, documents: a polite reply."""
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    lang = await ui_language(update, context)
    await update.effective_message.reply_text(say(context, lang, "non_text"))


async def button(update: Update, context: Context) -> None:
    """Inline buttons: entries, feedback, languages, topics, staff actions."""
    query = update.callback_query
    data = query.data or ""
    lang = await ui_language(update, context)
    kind, _, rest = data.partition(":")
    handler = _BUTTONS.get(kind)
    if handler is None or not await handler(update, context, rest, lang):
        await query.answer(say(context, lang, "stale_button"), show_alert=False)


async def _entry_button(update: Update, context: Context, entry_id: str, lang: str) -> bool:
    answerer = _answerer(context)
    if entry_id not in answerer.kb.by_id:
        return False
    await update.callback_query.answer()
    answer = answerer.answer_entry(entry_id, await chosen_language(update, context) or lang)
    answer = await translated(context, answer)
    ref = interaction_ref(context)
    try:
        await send_answer(update.effective_message, context, answer, ref)
    finally:  # answered first, then logged (also when the answer could not be sent)
        await log_answer(update, context, answer, ref)
    return True


async def _feedback_button(update: Update, context: Context, rest: str, lang: str) -> bool:
    ident, _, value = rest.partition(":")
    if not storage_access.is_interaction_ref(ident) or value not in ("0", "1"):
        return False
    interaction = int(ident) if ident.isdigit() else ident
    await _store(context, "log_feedback", interaction, update.effective_user.id, value == "1")
    await update.callback_query.answer(say(context, lang, "feedback_thanks"))
    return True


async def _language_button(update: Update, context: Context, code: str, lang: str) -> bool:
    if code not in _config(context).languages.supported:
        return False
    context.user_data["lang"] = code
    await _store(context, "set_user_language", update.effective_user.id, code)
    await update.callback_query.answer()
    await update.effective_message.reply_text(say(context, code, "language_set"))
    return True


async def _topic_button(update: Update, context: Context, rest: str, lang: str) -> bool:
    topic_id, _, page = rest.rpartition(":")
    if not page.isdigit():
        return False
    shown = topic_page(_answerer(context), topic_id, int(page), lang)
    if shown is None:
        return False
    text, keyboard = shown
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        text, reply_markup=keyboard, parse_mode=ParseMode.HTML
    )
    return True


async def _topic_list_button(update: Update, context: Context, rest: str, lang: str) -> bool:
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        say(context, lang, "topics"), reply_markup=topics_keyboard(_answerer(context).kb, lang)
    )
    return True


_BUTTONS = {
    "e": _entry_button,
    "f": _feedback_button,
    "l": _language_button,
    "t": _topic_button,
    "tl": _topic_list_button,
}


# --- staff ---------------------------------------------------------------------------


async def relay_reply(update: Update, context: Context) -> None:
    """A staff reply to a forwarded question goes to that user, and to no one else."""
    message = update.effective_message
    original = message.reply_to_message
    if original is None or not message.text:
        return
    item, text = addressed_item(message.text)
    relay = await _store(
        context, "find_relay", update.effective_chat.id, original.message_id, item=item
    )
    if relay is None:
        return
    lang = relay["language"]
    kb_lang = _answerer(context).kb.language
    translate = context.bot_data.get("translate")
    translated = None
    if translate and lang != kb_lang:
        translated = await asyncio.to_thread(translate, text, kb_lang, lang)
    parts = [
        f"<b>{html.escape(say(context, lang, 'staff_reply'))}</b>",
        html.escape(translated or text),
    ]
    if translated:
        parts += [
            "",
            f"<i>{html.escape(say(context, lang, 'original_text'))}</i>",
            html.escape(text),
        ]
    await context.bot.send_message(
        relay["user_chat_id"], "\n".join(parts), parse_mode=ParseMode.HTML
    )


async def refuse(update: Update, context: Context) -> None:
    """Staff commands from anyone else: refused and logged."""
    user = update.effective_user
    log.warning(
        "refused staff command %r from user %s in chat %s",
        update.effective_message.text,
        user.id if user else None,
        update.effective_chat.id if update.effective_chat else None,
    )
    lang = await ui_language(update, context)
    await update.effective_message.reply_text(say(context, lang, "not_allowed"))


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
    from bot.answering import build_answerer
    from bot.knowledge import KnowledgeError

    config = _config(context)
    try:
        answerer = await asyncio.to_thread(build_answerer, config)
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


_BUTTONS["ui"] = _ignore_button
_BUTTONS["uo"] = _open_button


async def error_handler(update: object, context: Context) -> None:
    """Log every failure with its traceback and apologise to the user."""
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        try:
            lang = await ui_language(update, context)
            await context.bot.send_message(update.effective_chat.id, say(context, lang, "error"))
        except Exception:  # the apology is best effort: never fail the error handler
            log.exception("could not send the apology")
