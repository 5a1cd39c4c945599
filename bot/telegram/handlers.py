"""Telegram handlers: thin adapters between updates and the answering core.

Long-lived services live in `context.bot_data` (set up in app.py): `answerer`,
`config`, `storage` (or None) and `translate` (text, source, target -> text or None).
Slow or blocking work (matching, embedding, database writes) runs off the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.answering import (
    SUGGEST,
    Answer,
    Answerer,
    Earlier,
    chosen_suggestion,
    none_chosen,
    with_notice,
)
from bot.config import Config
from bot.messages import notify_choice
from bot.storage import FEEDBACK_REASONS, NONE_OF_THESE, SEE_ALSO, UnknownIdError
from bot.telegram import staffwords, storage_access
from bot.telegram.format import (
    answer_keyboard,
    answer_messages,
    language_keyboard,
    reason_keyboard,
    topic_page,
    topics_keyboard,
)
from bot.telegram.staffqueue import StaffCopy, over_limit

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE


# --- helpers -------------------------------------------------------------------------


def serving(bot_data: dict) -> Answerer:
    """The answerer serving now: the staff console's, when `run` serves both (a reload in
    either is live in both), else the one the Application was built with."""
    holder = bot_data.get("holder")
    if holder is not None and holder.answerer is not None:
        shared: Answerer = holder.answerer
        return shared
    answerer: Answerer = bot_data["answerer"]
    return answerer


def reload_lock(bot_data: dict) -> threading.Lock:
    """The lock under which the answerer is rebuilt and replaced (/reload, the second
    encoder's warm-up, and the staff console when it shares the process): the staff
    console's, else one of the Application's own. Without it a /reload that started before
    the warm-up's swap would put back an answerer without the second encoder."""
    holder = bot_data.get("holder")
    if holder is not None:
        lock: threading.Lock = holder.lock
        return lock
    return bot_data.setdefault("reload_lock", threading.Lock())


def _answerer(context: Context) -> Answerer:
    return serving(context.bot_data)


def _config(context: Context) -> Config:
    config: Config = context.bot_data["config"]
    return config


def _user_data(context: Context) -> dict:
    """The user's data; an update without a user (a channel post) gets a throwaway dict."""
    return context.user_data if context.user_data is not None else {}


async def _store(context: Context, method: str, *args: Any, **kwargs: Any) -> Any:
    """A Storage method: writes are queued, reads fall back to None (storage_access.py)."""
    return await storage_access.call(context, method, *args, **kwargs)


async def matching(
    context: Context, function: Callable[..., Any], *args: Any, **kwargs: Any
) -> Any:
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
    done: Answer = await asyncio.get_running_loop().run_in_executor(
        pool, answerer.translated, answer
    )
    return done


async def reply(update: Update, context: Context, text: str, **kwargs: Any) -> Message | None:
    """Send `text` to the update's chat: in reply to its message when the bot can see it
    (keeps a forum topic), else as a new message (a button under an old message)."""
    message = update.effective_message
    if message is not None:
        return await message.reply_text(text, **kwargs)
    chat = update.effective_chat
    if chat is None:
        return None  # a button on an inline-mode message: no chat to write to
    return await context.bot.send_message(chat.id, text, **kwargs)


async def show(
    update: Update, context: Context, text: str, keyboard: InlineKeyboardMarkup, **kwargs: Any
) -> None:
    """Replace the message under a pressed button (a menu page); a message that cannot be
    edited (deleted meanwhile) gets a new one instead. The same page twice changes nothing."""
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await context.bot.edit_message_text(
                text,
                chat_id=query.message.chat.id,
                message_id=query.message.message_id,
                reply_markup=keyboard,
                **kwargs,
            )
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            log.info("menu message not editable, sending a new one: %s", exc)
    await reply(update, context, text, reply_markup=keyboard, **kwargs)


async def chosen_language(update: Update, context: Context) -> str | None:
    """The language the user picked with /language, if any (cached in user_data)."""
    data = _user_data(context)
    if "lang" not in data and update.effective_user:
        found = await storage_access.read(
            context, "get_user_language", update.effective_user.id, default=storage_access.FAILED
        )
        if found is storage_access.FAILED:  # storage failing: ask again next time
            return None
        data["lang"] = found
    chosen: str | None = data.get("lang")
    return chosen


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
    """Staff work in the staff chat, or in a private chat with the bot (a staff member),
    never in another group: what staff see there would be seen by everyone."""
    chat = update.effective_chat
    user = update.effective_user
    staff_chat = config.telegram.staff_chat_id
    if chat is None:
        return False
    if staff_chat and chat.id == staff_chat:
        return True
    staff_users = config.telegram.staff_user_ids
    return chat.type == ChatType.PRIVATE and user is not None and user.id in staff_users


def rate_limited(context: Context, config: Config) -> bool:
    """Sliding window per user: more than N messages in the window is too many."""
    now = time.monotonic()
    window = config.telegram.rate_limit_seconds
    data = _user_data(context)
    recent = [t for t in data.get("times", []) if now - t < window]
    recent.append(now)
    data["times"] = recent
    return len(recent) > config.telegram.rate_limit_messages


async def send_answer(
    update: Update, context: Context, answer: Answer, interaction_id: int | str | None
) -> None:
    """The answer's messages; a "did you mean" list is remembered so that a typed number
    or a button chooses from it (in this chat only, once)."""
    data = _user_data(context)
    data.pop("suggested", None)
    if answer.status == SUGGEST and update.effective_chat:
        data["suggested"] = (
            update.effective_chat.id,
            answer.language,
            [s.id for s in answer.suggestions],
            answer.question,
            interaction_id,  # what a choice from it, or "none of these", follows
            answer.after,  # the question it was asked after: queued with "none of these"
        )
    if answer.status == "answered" and interaction_id is not None:
        _remember_answer(data, str(interaction_id), answer)
    if answer.status == "answered" and answer.nearest is not None:
        _remember_nearest(data, answer, None if interaction_id is None else str(interaction_id))
    answerer = _answerer(context)
    parts = answer_messages(answer, answerer)
    keyboard = answer_keyboard(
        answer, lambda key: say(context, answer.language, key), interaction_id
    )
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        await reply(
            update,
            context,
            part,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard if last else None,
            disable_web_page_preview=True,
        )


REMEMBERED_ANSWERS = 20  # answers per user whose question a 👎 reason can name to staff


def _remember(data: dict, name: str, key: str, value: tuple) -> None:
    """`value` under `key` in the user's `name` memory: the newest last, at most
    REMEMBERED_ANSWERS kept."""
    memory = data.setdefault(name, {})
    memory.pop(key, None)
    memory[key] = value
    for old in list(memory)[:-REMEMBERED_ANSWERS]:
        del memory[old]


def _remember_answer(data: dict, ref: str, answer: Answer) -> None:
    """What a 👎 reason on this answer tells staff: the question, entry and language."""
    _remember(data, "answered", ref, (answer.question, answer.id, answer.language))


def _remember_nearest(data: dict, answer: Answer, ref: str | None) -> None:
    """The entry ranked next to this answer, offered first under "See also": opening it
    records the answer's question as a choice of that entry (_also_button); the newest
    question offering it counts. `ref`: the answer's, which the opening follows."""
    if answer.nearest is not None:
        _remember(data, "nearest", answer.nearest, (answer.question, answer.language, ref))


def interaction_ref(context: Context) -> str | None:
    """The reference the answer's feedback buttons carry, chosen before anything is written
    (None: no database, no buttons)."""
    return storage_access.new_ref() if context.bot_data.get("storage") is not None else None


def _waited(started: float) -> float:
    """Milliseconds since `started` (time.perf_counter()): how long the user waited."""
    return round((time.perf_counter() - started) * 1000, 3)


async def log_answer(
    update: Update,
    context: Context,
    answer: Answer,
    ref: str | None,
    waited_ms: float | None = None,
    follows: int | str | None = None,
    browsed: bool = False,
) -> None:
    """Queue the interaction's log entry, after the answer was sent (storage_access.py);
    `waited_ms`: from the bot receiving the message to the answer sent; `follows`: the
    reply this answer is a step after (Storage.log_interaction), None for a question;
    `browsed`: an entry opened from a topic, no question either."""
    if ref is None:
        return
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None:
        return
    await _store(
        context,
        "log_interaction",
        **answer.log_fields(),
        user_id=user.id,
        chat_type=chat.type,
        channel="telegram",
        chat_id=chat.id,
        ref=ref,
        waited_ms=waited_ms,
        follows=follows,
        browsed=browsed,
    )


async def to_staff(
    update: Update,
    context: Context,
    text: str,
    language: str,
    kind: str,
    handoff: str | None = None,
    after: str = "",
) -> bool:
    """Queue a copy of a user's question or message for the staff chat (staffqueue.py);
    False when no staff chat is configured. `handoff`: its kind (bot/handoff.py) when the
    copy is a handoff of its own, not a queued question's; `after`: the question a
    follow-up was asked after (Answer.after)."""
    queue = context.bot_data.get("staff_queue")
    user, chat = update.effective_user, update.effective_chat
    if queue is None or user is None or chat is None:
        return False
    queue.put(
        StaffCopy(
            kind=kind,
            text=text,
            language=language,
            user_chat_id=chat.id,
            user_id=user.id,
            who=user.full_name,
            username=user.username,
            handoff=handoff,
            after=after,
        )
    )
    return True


# --- entrepreneurs -------------------------------------------------------------------


async def start(update: Update, context: Context) -> None:
    """Greet in the user's language, with the language picker and the topic menu."""
    lang = await ui_language(update, context)
    answerer = _answerer(context)
    await reply(
        update,
        context,
        say(context, lang, "greeting"),
        reply_markup=picker(context, lang),
    )
    await reply(
        update, context, say(context, lang, "topics"), reply_markup=topics_keyboard(answerer, lang)
    )


async def help_command(update: Update, context: Context) -> None:
    """How to use the bot."""
    lang = await ui_language(update, context)
    await reply(update, context, say(context, lang, "help"))


def picker(context: Context, lang: str) -> InlineKeyboardMarkup:
    """The language keyboard, its "Automatic" in `lang`."""
    automatic = say(context, lang, "web_language_auto")
    return language_keyboard(_config(context).languages.supported, automatic)


async def language(update: Update, context: Context) -> None:
    """Show the language picker."""
    lang = await ui_language(update, context)
    await reply(
        update,
        context,
        say(context, lang, "choose_language"),
        reply_markup=picker(context, lang),
    )


async def topics(update: Update, context: Context) -> None:
    """Browse the knowledge base by topic."""
    lang = await ui_language(update, context)
    await reply(
        update,
        context,
        say(context, lang, "topics"),
        reply_markup=topics_keyboard(_answerer(context), lang),
    )


async def staff(update: Update, context: Context) -> None:
    """/staff MESSAGE: pass a message to a person at the service centre."""
    lang = await ui_language(update, context)
    text = " ".join(context.args or []).strip()
    if not text:
        await reply(update, context, say(context, lang, "staff_usage"))
        return
    if over_limit(_user_data(context).setdefault("staff_times", []), _config(context)):
        await reply(update, context, say(context, lang, "staff_rate_limited"))
        return
    sent = await to_staff(update, context, text, lang, "✉️ /staff", "staff_message")
    key = "staff_sent" if sent else "staff_unavailable"
    await reply(update, context, say(context, lang, key))


async def forget(update: Update, context: Context) -> None:
    """Delete everything stored about the user."""
    lang = await ui_language(update, context)
    if update.effective_user is None:
        return
    queue = context.bot_data.get("staff_queue")
    if queue is not None:
        queue.forget(update.effective_user.id)
    await _store(context, "forget", update.effective_user.id)
    _user_data(context).clear()
    await reply(update, context, say(context, lang, "forgotten"))


async def notify(update: Update, context: Context) -> None:
    """/notify on|off: whether answers to earlier unanswered questions are sent later."""
    lang = await ui_language(update, context)
    on = notify_choice(" ".join(context.args or []))
    if on is None:
        await reply(update, context, say(context, lang, "notify_usage"))
        return
    if update.effective_user is None:
        return
    await _store(context, "set_notify_opt_out", update.effective_user.id, not on)
    await reply(update, context, say(context, lang, "notify_on" if on else "notify_off"))


def _question_text(update: Update, context: Context) -> str | None:
    """The question in a message, or None when the bot is not addressed (groups)."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or update.effective_user is None:
        return None  # channel posts and the like: no one to answer
    text = message.text or ""
    if chat.type == ChatType.PRIVATE:
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
    started = time.perf_counter()
    text = _question_text(update, context)
    if text is None:
        return
    config = _config(context)
    data = _user_data(context)
    if rate_limited(context, config):
        if not data.get("warned"):
            data["warned"] = True
            lang = await ui_language(update, context)
            await reply(update, context, say(context, lang, "rate_limited"))
        return
    data["warned"] = False
    offered = _offered(update, context)
    if offered is not None and none_chosen(text):
        await none_of_these(update, context, offered)
        return
    picked = _picked(update, context, text)
    follows = None
    if picked is not None:
        follows = _offered_ref(offered)
        await _log_choice(update, context, picked[0])
        answer = _answerer(context).answer_entry(*picked)
    else:
        chosen = await chosen_language(update, context)
        user = update.effective_user
        answer = await matching(
            context,
            _answerer(context).ask,
            text,
            lang=chosen,
            telegram_code=user.language_code if user else None,
            recent=data.get("recent"),
            earlier=_earlier(update, context),
        )
        data["recent"] = answer.language  # what an unsure next message continues in
    _keep_earlier(update, context, answer)
    answer = await translated(context, answer)
    ref = interaction_ref(context)
    if answer.status == "unanswered" and not await _store(context, "ignored_before", text):
        noted = await to_staff(
            update, context, text, answer.language, "❓ Unanswered", after=answer.after
        )
        if noted:
            noted_reply = say(context, answer.language, "unanswered_noted")
            answer = replace(answer, reply=with_notice(answer.notice, noted_reply))
    await send_logged(update, context, answer, ref, started, follows)
    for part in answer.parts:  # the message's other questions, each its own answer
        part = await translated(context, part)
        await send_logged(update, context, part, interaction_ref(context), started)


def _earlier(update: Update, context: Context) -> Earlier | None:
    """What the user was last answered in this chat, for a follow-up (Answerer.ask): kept
    per chat, so that a question asked in private never colours an answer in a group."""
    chat = update.effective_chat
    return _user_data(context).get("earlier", {}).get(chat.id) if chat else None


def _keep_earlier(update: Update, context: Context, answer: Answer) -> None:
    """Keep what `answer` answered as what this chat's next message may follow up on (a
    list or no answer leaves the one before)."""
    chat, earlier = update.effective_chat, answer.earlier()
    if chat is not None and earlier is not None:
        _user_data(context).setdefault("earlier", {})[chat.id] = earlier


async def send_logged(
    update: Update,
    context: Context,
    answer: Answer,
    ref: str | None,
    started: float,
    follows: int | str | None = None,
) -> None:
    """Send an answer, then log it (also when it could not be sent)."""
    try:
        await send_answer(update, context, answer, ref)
    finally:
        await log_answer(update, context, answer, ref, _waited(started), follows)


def _offered(update: Update, context: Context) -> tuple | None:
    """The "did you mean" list this chat was just offered: (chat id, language, entry ids,
    question, its interaction's ref), or None."""
    offered = _user_data(context).get("suggested")
    if not offered or update.effective_chat is None or offered[0] != update.effective_chat.id:
        return None
    return tuple(offered)


def _offered_ref(offered: tuple | None) -> int | str:
    """The reply that offered the list, for the step the user takes after it (0: unknown)."""
    return (offered[4] if offered and len(offered) > 4 else None) or 0


def _picked(update: Update, context: Context, text: str) -> tuple[str, str] | None:
    """(entry id, language) when `text` is the number of a suggestion this chat was just
    offered ("did you mean ... choose one by its number")."""
    offered = _offered(update, context)
    if offered is None:
        return None
    entry_id = chosen_suggestion(text, offered[2])
    return (entry_id, offered[1]) if entry_id in _answerer(context).kb.by_id else None


async def _log_choice(update: Update, context: Context, entry_id: str) -> None:
    """A suggestion chosen from the list offered: evidence that the question means it."""
    offered, user = _offered(update, context), update.effective_user
    _user_data(context).pop("suggested", None)  # a list is chosen from once
    if offered is None or user is None or entry_id not in offered[2]:
        return
    await _store(
        context,
        "log_choice",
        user_id=user.id,
        language=offered[1],
        question=offered[3],
        entry_id=entry_id,
    )


async def none_of_these(update: Update, context: Context, offered: tuple) -> None:
    """The user said none of the suggestions fits: the question goes to staff like an
    unanswered one (queued, and a copy for the staff chat), and the user is told."""
    lang, question = offered[1], offered[3]
    after = offered[5] if len(offered) > 5 else ""  # a list remembered by an older release
    _user_data(context).pop("suggested", None)
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    noted = False
    if not await _store(context, "ignored_before", question):  # staff set it aside: not again
        queued = context.bot_data.get("storage") is not None
        noted = (
            await to_staff(update, context, question, lang, "🤷 None of these fit", after=after)
            or queued
        )
    key = "none_noted" if noted else "unanswered"
    await reply(update, context, say(context, lang, key))
    await _store(
        context,
        "log_interaction",
        user_id=user.id,
        chat_type=chat.type,
        language=lang,
        question=question,
        status="unanswered",
        channel="telegram",
        chat_id=chat.id,
        ref=interaction_ref(context),
        kind=NONE_OF_THESE,
        follows=_offered_ref(offered),  # one question: the list's, now unanswered
        after=after or None,
    )


async def not_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice, locations, documents: a polite reply."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    lang = await ui_language(update, context)
    await reply(update, context, say(context, lang, "non_text"))


async def button(update: Update, context: Context) -> None:
    """Inline buttons: entries, feedback, languages, topics, staff actions."""
    query = update.callback_query
    if query is None:
        return
    data = query.data or ""
    lang = await ui_language(update, context)
    kind, _, rest = data.partition(":")
    handler = _BUTTONS.get(kind)
    if handler is None or not await handler(update, context, rest, lang):
        await query.answer(say(context, lang, "stale_button"), show_alert=False)


async def _entry_button(
    update: Update,
    context: Context,
    entry_id: str,
    lang: str,
    follows: int | str | None = None,
) -> bool:
    """An entry opened with a button: from a topic (browsing, not a question), or as the
    step after a reply (`follows`: a chosen suggestion, "See also")."""
    answerer = _answerer(context)
    if entry_id not in answerer.kb.by_id:
        return False
    await _answer_query(update)
    answer = answerer.answer_entry(entry_id, await chosen_language(update, context) or lang)
    _keep_earlier(update, context, answer)
    answer = await translated(context, answer)
    ref = interaction_ref(context)
    try:
        await send_answer(update, context, answer, ref)
    finally:  # answered first, then logged (also when the answer could not be sent)
        await log_answer(update, context, answer, ref, follows=follows, browsed=follows is None)
    return True


async def _also_button(update: Update, context: Context, entry_id: str, lang: str) -> bool:
    """An entry opened from an answer's "See also". When it is the entry ranked next to the
    answer (Answer.nearest), the user shows that their question may mean it: recorded like
    a chosen suggestion (once), for staff to review with the others. Any entry opened there
    is a step after that answer, not a question of its own."""
    offered = _user_data(context).get("nearest", {}).pop(entry_id, None)
    user = update.effective_user
    if offered is not None and user is not None and entry_id in _answerer(context).kb.by_id:
        question, language = offered[:2]
        await _store(
            context,
            "log_choice",
            user_id=user.id,
            language=language,
            question=question,
            entry_id=entry_id,
            source=SEE_ALSO,
        )
    answered = offered[2] if offered is not None and len(offered) > 2 else None
    return await _entry_button(update, context, entry_id, lang, answered or 0)


async def _suggestion_button(update: Update, context: Context, entry_id: str, lang: str) -> bool:
    """A suggestion chosen from a "did you mean" list: recorded, then answered."""
    offered = _offered(update, context)
    follows = _offered_ref(offered) if offered and entry_id in offered[2] else 0
    if entry_id in _answerer(context).kb.by_id:
        await _log_choice(update, context, entry_id)
    return await _entry_button(update, context, entry_id, lang, follows)


async def _none_button(update: Update, context: Context, rest: str, lang: str) -> bool:
    offered = _offered(update, context)
    if offered is None:
        return False
    await _answer_query(update)
    await none_of_these(update, context, offered)
    return True


async def _answer_query(update: Update, text: str | None = None) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(text)


async def _feedback_button(update: Update, context: Context, rest: str, lang: str) -> bool:
    ident, _, value = rest.partition(":")
    user = update.effective_user
    if not storage_access.is_interaction_ref(ident) or value not in ("0", "1") or user is None:
        return False
    interaction = int(ident) if ident.isdecimal() else ident
    data = _user_data(context)
    before = data.get("rated", {}).get(ident)
    if before is not None and before[0] == value:  # the same button again: already counted
        await _answer_query(update, say(context, lang, "feedback_thanks"))
        return True
    try:
        await _store(context, "log_feedback", interaction, user.id, value == "1")
    except UnknownIdError:  # the answer was forgotten (/forget) or purged meanwhile
        return False
    _remember(data, "rated", ident, (value, None))
    await _answer_query(update, say(context, lang, "feedback_thanks"))
    if value == "0":  # 👎: an optional reason, one tap
        keyboard = reason_keyboard(lambda key: say(context, lang, key), ident)
        await reply(update, context, say(context, lang, "feedback_reason"), reply_markup=keyboard)
    return True


async def _reason_button(update: Update, context: Context, rest: str, lang: str) -> bool:
    """The reason for a 👎: stored with the feedback, and a copy with the question and the
    entry goes to staff like an unanswered question."""
    ident, _, reason = rest.partition(":")
    user = update.effective_user
    if not storage_access.is_interaction_ref(ident) or reason not in FEEDBACK_REASONS or not user:
        return False
    interaction = int(ident) if ident.isdecimal() else ident
    data = _user_data(context)
    # This answer's rating now, as far as this process saw it (nothing after a restart).
    rating = data.get("rated", {}).get(ident)
    if rating is not None and rating[0] != "0":  # a 👍 since: the prompt is out of date
        await _answer_query(update, say(context, lang, "stale_button"))
        return True
    if rating is not None and rating[1] is not None:  # a reason given already: sent once
        await _answer_query(update, say(context, lang, "reason_thanks"))
        return True
    try:
        await _store(context, "log_feedback", interaction, user.id, False, reason=reason)
    except UnknownIdError:
        return False
    _remember(data, "rated", ident, ("0", reason))
    await _answer_query(update, say(context, lang, "reason_thanks"))
    answered = _user_data(context).get("answered", {}).get(ident)
    if answered is None:  # not answered by this process (a restart): as logged
        logged = await _store(context, "interaction", ident)
        answered = logged and (logged["question"], logged["entry_id"], logged["language"])
    if answered:
        question, entry_id, language = answered
        # the reason in the staff chat's language (staffwords.py), from the bot's own words
        staff_language = staffwords.language(_config(context))
        label = say(context, staff_language, f"reason_{reason}")
        entry = staffwords._(staff_language, "(entry {id})", id=entry_id)
        text = f"{question}\n\n{entry}"
        await to_staff(update, context, text, language, f"👎 {label}", "feedback")
    return True


async def _language_button(update: Update, context: Context, code: str, lang: str) -> bool:
    """A language for every answer, or "auto": the one picked forgotten, each message
    answered in its own language again (as the web chat's "Automatic")."""
    user = update.effective_user
    if code == "auto" and user is not None:
        _user_data(context)["lang"] = None
        await _store(context, "set_user_language", user.id, None)
        await _answer_query(update)
        lang = await ui_language(update, context)
        await reply(update, context, say(context, lang, "terminal_language_detected"))
        return True
    if code not in _config(context).languages.supported or user is None:
        return False
    _user_data(context)["lang"] = code
    await _store(context, "set_user_language", user.id, code)
    await _answer_query(update)
    await reply(update, context, say(context, code, "language_set"))
    return True


async def _topic_button(update: Update, context: Context, rest: str, lang: str) -> bool:
    topic_id, _, page = rest.rpartition(":")
    if not page.isdecimal():
        return False
    shown = topic_page(_answerer(context), topic_id, int(page), lang)
    if shown is None:
        return False
    text, keyboard = shown
    await _answer_query(update)
    await show(update, context, text, keyboard, parse_mode=ParseMode.HTML)
    return True


async def _topic_list_button(update: Update, context: Context, rest: str, lang: str) -> bool:
    await _answer_query(update)
    await show(
        update, context, say(context, lang, "topics"), topics_keyboard(_answerer(context), lang)
    )
    return True


Button = Callable[[Update, Context, str, str], Awaitable[bool]]
_BUTTONS: dict[str, Button] = {
    "a": _also_button,
    "e": _entry_button,
    "f": _feedback_button,
    "l": _language_button,
    "n": _none_button,
    "r": _reason_button,
    "s": _suggestion_button,
    "t": _topic_button,
    "tl": _topic_list_button,
}


def describe(update: object) -> str:
    """An update's id and kind for the log ("update 12 (callback_query)"), never its text."""
    if not isinstance(update, Update):
        return type(update).__name__
    kinds = [kind for kind in Update.ALL_TYPES if getattr(update, kind, None) is not None]
    return f"update {update.update_id} ({', '.join(kinds) or 'unknown'})"


async def error_handler(update: object, context: Context) -> None:
    """Log every failure with its traceback (but not the user's words) and apologise."""
    log.error("error while handling %s", describe(update), exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:  # else the button keeps spinning
            await update.callback_query.answer()
    except TelegramError:  # answered already, or too late: nothing is waiting any more
        pass
    if update.effective_chat:
        try:
            lang = await ui_language(update, context)
            await context.bot.send_message(update.effective_chat.id, say(context, lang, "error"))
        except Exception:  # the apology is best effort: never fail the error handler
            log.exception("could not send the apology")
