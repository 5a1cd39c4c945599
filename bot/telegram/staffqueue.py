"""Copies to the staff chat, sent in the background so they never delay a user's answer.

Telegram lets a bot post about 20 messages a minute in a group: the answer to a user used to
wait for the copy of their question, so 40 unanswered questions at once meant waits of over a
minute. Now the user is answered first and the copy goes on a queue that one task sends.
When copies wait (the staff chat is throttled), the next message carries several of them,
numbered (#1, #2 ...); staff answer one by replying to that message starting with its number.
A copy longer than a Telegram message is shortened with a note; the full text is in the
database (the relay, and for questions the unanswered list).

`/staff` is limited per user ([telegram] staff_limit_messages per staff_limit_seconds), so
one user cannot fill the queue for everyone else.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application

from bot.config import Config
from bot.telegram.handoffs import copy_keyboard
from bot.telegram.staffwords import _, _n, language, language_name
from bot.web.chat_hub import StaffNote

log = logging.getLogger(__name__)

MAX_BATCH = 10  # copies in one staff message at most
MAX_CHARS = 3800  # a staff message's text, under Telegram's 4096 with room for the markup
MAX_QUEUE = 2000  # copies waiting at most; beyond that the oldest is dropped (and logged)
ITEM = re.compile(r"\s*#(\d{1,3})\b[\s:.,-]*")
REPLY_HINT = "Reply to this message to answer the user."


@dataclass(frozen=True)
class StaffCopy:
    """A user's question or message for the staff chat, and who to answer."""

    kind: str  # "❓ Unanswered", "✉️ /staff" (staffwords.COPY_LABELS), as staff read it
    text: str
    language: str
    user_chat_id: int | None  # None: an asker on another channel (`channel`)
    user_id: int | str | None
    who: str
    username: str | None = None
    handoff: str | None = None  # its kind when it is a handoff of its own (bot/handoff.py)
    channel: str = "telegram"  # the asker's; "web": a reply reaches them through its sender
    after: str = ""  # the question a follow-up was asked after (Answer.after), for context


def addressed_item(text: str) -> tuple[int | None, str]:
    """A staff reply to a message of several copies starts with the item's number: `#2 ...`."""
    match = ITEM.match(text)
    if not match:
        return None, text
    return int(match.group(1)), text[match.end() :]


def over_limit(times: list[float], config: Config, now: float | None = None) -> bool:
    """Sliding window for /staff; `times` (the user's earlier /staff times) is updated."""
    now = time.monotonic() if now is None else now
    window = config.telegram.staff_limit_seconds
    times[:] = [t for t in times if now - t < window]
    if len(times) >= config.telegram.staff_limit_messages:
        return True
    times.append(now)
    return False


def untranslated_warning(asked: str, lang: str) -> str:
    """Staff are told before replying that no model produces the asker's language: a reply
    goes exactly as typed."""
    return _(
        lang,
        "No {asked} translation model is installed: a reply goes exactly as typed. "
        "Write it in {asked} if you can.",
        asked=language_name(asked, lang),
    )


def _shorten(text: str, limit: int, lang: str) -> str:
    if len(text) <= limit:
        return text
    cut = _(lang, "[cut: {n} characters; the full text is stored]", n=len(text))
    return f"{text[:limit].rstrip()} … {cut}"


class StaffQueue:
    """The staff chat's outbox: `put` returns at once, `run` sends (in batches when behind)."""

    def __init__(
        self,
        app: Application,
        config: Config,
        translate: Callable[[str, str, str], str | None] | None,
        save_relay: Callable[..., None],
        open_handoff: Callable[..., int] | None = None,
        reply_language: Callable[[str], str] | None = None,
    ):
        """`reply_language(language)`: the language a reply to an asker of `language` goes
        out in (bot.handoff.Desk.sent_in); a copy says when it is not theirs."""
        self.app = app
        self.chat_id = config.telegram.staff_chat_id
        self.kb_language = config.knowledge.language
        self.language = language(config)  # the staff chat's (staffwords.py)
        self.translate = translate
        self.save_relay = save_relay
        self.open_handoff = open_handoff
        self.reply_language = reply_language
        self.opening: set[asyncio.Task] = set()  # handoffs being written (bot/handoff.py)
        self.queue: asyncio.Queue[StaffCopy] = asyncio.Queue()
        # Copies put and not yet sent with their relays handed to `save_relay`: waiting, or
        # in the batch being sent. `unsent` finds their askers in the meantime.
        self.waiting: list[StaffCopy] = []
        self.dropped = 0
        self.forgotten: set[int | str] = set()  # users who used /forget while this ran
        self.sending = False
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.run(), name="staff-queue")

    async def stop(self, timeout: float = 5.0) -> None:
        """Send what is waiting (up to `timeout` s), then stop."""
        if self.task is None:
            return
        deadline = time.monotonic() + timeout
        while (self.sending or not self.queue.empty()) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.task.cancel()
        if self.opening:
            await asyncio.wait(self.opening, timeout=max(0.1, deadline - time.monotonic()))
        if not self.queue.empty():
            log.warning("stopped with %d staff copies unsent", self.queue.qsize())

    def _opened(self, task: asyncio.Task) -> None:
        self.opening.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("could not record a handoff: %s", task.exception())

    def put(self, copy: StaffCopy) -> None:
        if self.queue.qsize() >= MAX_QUEUE:
            self._settled([self.queue.get_nowait()])
            self.dropped += 1
            log.warning("staff queue full: the oldest copy was dropped (%d so far)", self.dropped)
        self.queue.put_nowait(copy)
        self.waiting.append(copy)

    def unsent(self) -> list[StaffCopy]:
        """Copies on their way to the staff chat whose relays are not yet handed on: a
        staff member who lists the queued questions meanwhile can still reach their askers
        (bot/telegram/staff.py)."""
        return [copy for copy in self.waiting if copy.user_id not in self.forgotten]

    def _settled(self, copies: list[StaffCopy]) -> None:
        done = {id(copy) for copy in copies}
        self.waiting = [copy for copy in self.waiting if id(copy) not in done]

    def forget(self, user_id: int | str) -> None:
        """A user used /forget: their copies still waiting are not sent, and no copy of
        theirs is linked to them afterwards (a reply to it cannot reach them)."""
        self.forgotten.add(user_id)

    async def run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < MAX_BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            taken, batch = batch, [copy for copy in batch if copy.user_id not in self.forgotten]
            if not batch:
                self._settled(taken)
                continue
            self.sending = True
            try:
                await self.send(batch)
            except TelegramError as exc:
                log.error("could not send %d copy(ies) to the staff chat: %s", len(batch), exc)
            except Exception:  # never let one bad copy stop the staff chat for good
                log.exception("staff copy failed")
            finally:
                self._settled(taken)
                self.sending = False

    async def send(self, batch: list[StaffCopy]) -> None:
        share = (MAX_CHARS - 200) // len(batch)
        blocks = [await self._block(copy, share) for copy in batch]
        lang = self.language
        if len(batch) == 1:
            text = blocks[0] + f"\n\n<i>{html.escape(_(lang, REPLY_HINT))}</i>"
        else:
            numbered = [f"<b>#{i}</b> {block}" for i, block in enumerate(blocks, 1)]
            count = _n(lang, "{n} message", "{n} messages", len(batch))
            hint = _(lang, "Reply to this message starting with #N to answer that user.")
            text = "\n\n".join([f"<b>{count}</b>", *numbered, f"<i>{html.escape(hint)}</i>"])
        keyboard = copy_keyboard(len(batch), lang) if self.open_handoff else None
        sent = await self.app.bot.send_message(
            self.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard
        )
        for i, copy in enumerate(batch, 1):
            if copy.user_id in self.forgotten:  # /forget came while this copy was sent
                continue
            item = None if len(batch) == 1 else i
            self.save_relay(
                staff_chat_id=self.chat_id,
                staff_message_id=sent.message_id,
                user_chat_id=copy.user_chat_id,
                user_id=copy.user_id if copy.user_id is not None else copy.user_chat_id or 0,
                language=copy.language,
                question=copy.text,
                item=item,
            )
            if copy.handoff and self.open_handoff is not None:  # in the background
                task = asyncio.get_running_loop().create_task(
                    asyncio.to_thread(
                        self.open_handoff,
                        kind=copy.handoff,
                        staff_chat_id=self.chat_id,
                        staff_message_id=sent.message_id,
                        item=item,
                        channel=copy.channel,
                    )
                )
                self.opening.add(task)
                task.add_done_callback(self._opened)

    async def _block(self, copy: StaffCopy, share: int) -> str:
        """One copy as HTML, its text (and translation) cut to about `share` characters."""
        translated = None
        if self.translate and copy.language != self.kb_language:
            translated = await asyncio.to_thread(
                self.translate, copy.text[:2000], copy.language, self.kb_language
            )
        share = max(100, share - 150)  # the header lines take about this much
        room = share // 2 if translated else share
        lang = self.language
        who = html.escape(copy.who) + (f" · @{html.escape(copy.username)}" if copy.username else "")
        lines = [
            f"<b>{html.escape(_(lang, copy.kind))}</b>",
            f"{who} · {html.escape(copy.language)}",
            "",
            html.escape(_shorten(copy.text, room, lang)),
        ]
        if translated:
            shown = html.escape(_shorten(translated, room, lang))
            lines += ["", f"<i>{html.escape(self.kb_language)}:</i> {shown}"]
        if copy.after:
            after = html.escape(_shorten(copy.after, room, lang))
            lines.append(f"<i>{html.escape(_(lang, 'after:'))}</i> {after}")
        sent_in = self.reply_language(copy.language) if self.reply_language else copy.language
        if sent_in != copy.language:
            warning = untranslated_warning(copy.language, lang)
            lines += ["", f"<i>{html.escape(warning)}</i>"]
        return "\n".join(lines)


class WebCopies:
    """The web chat's words for staff (bot/web/chat_hub.py `StaffNote`: a question nobody
    could answer, "none of these", "talk to a person", a 👎 with its reason), copied to the
    staff chat marked as from the web chat. Their relay has no chat: a staff reply to the copy
    goes to the visitor's queued question or handoff (channel web), which the web chat's
    sender in `Deliveries` reaches."""

    LABEL = "🌐 Web chat · {label}"

    def __init__(self, app: Application):
        self.app = app

    def _queue(self) -> StaffQueue | None:
        return self.app.bot_data.get("staff_queue")  # there once the bot has started

    def copy(self, note: StaffNote) -> None:
        queue = self._queue()
        if queue is None:
            return
        lang = queue.language
        queue.put(
            StaffCopy(
                kind=_(lang, self.LABEL, label=_(lang, note.label)),
                text=note.text,
                language=note.language,
                user_chat_id=None,
                user_id=note.user_id,
                who=_(lang, "web visitor"),
                handoff=note.handoff,
                channel="web",
                after=note.after,
            )
        )

    def forget(self, user_id: str) -> None:
        queue = self._queue()
        if queue is not None:
            queue.forget(user_id)
