"""One sender per channel; a channel nobody serves is a clear error."""

from __future__ import annotations

import pytest

from bot.delivery import Deliveries, NoSenderError


async def test_a_row_goes_to_its_channels_sender():
    sent: list[tuple[str, int, str]] = []

    def sender(channel: str):
        async def send(row: dict, text: str) -> bool:
            sent.append((channel, row["id"], text))
            return channel == "web"

        return send

    deliveries = Deliveries()
    deliveries.register("telegram", sender("telegram"))
    deliveries.register("web", sender("web"))
    assert await deliveries.deliver({"id": 1, "channel": "web"}, "hello") is True
    assert await deliveries.deliver({"id": 2, "channel": "telegram"}, "hi") is False
    assert sent == [("web", 1, "hello"), ("telegram", 2, "hi")]
    assert deliveries.channels() == {"telegram", "web"}
    with pytest.raises(NoSenderError, match="terminal"):
        await deliveries.deliver({"id": 3, "channel": "terminal"}, "x")
