"""Sending staff words to an asker on the channel they asked on.

Each channel's adapter registers one sender when it starts: Telegram sends to the asker's
chat, the web chat to the visitor's session. A sender gets the asker's queued question (a
row of `Storage.list_unanswered`: `id`, `channel`, `user_key`, `language`, `question`, ...)
and the text, and returns whether the text was delivered. Core functions that reply to
askers (the console's reply, a reply typed in the Telegram staff chat) call `deliver`, never
a channel directly, so a reply reaches a web visitor and a Telegram user alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Sender = Callable[[dict, str], Awaitable[bool]]


class NoSenderError(Exception):
    """No adapter in this process can reach askers of that channel."""


class Deliveries:
    """The senders of this process, by channel."""

    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}

    def register(self, channel: str, sender: Sender) -> None:
        self._senders[channel] = sender

    def channels(self) -> frozenset[str]:
        return frozenset(self._senders)

    async def deliver(self, row: dict, text: str) -> bool:
        """Send `text` to the asker of `row`; False when the channel could not deliver it."""
        sender = self._senders.get(row["channel"])
        if sender is None:
            raise NoSenderError(f"nothing in this process can reach {row['channel']} askers")
        return await sender(row, text)
