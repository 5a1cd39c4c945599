"""Closing a gap by attach, measured in a real browser (Debian's chromium through Playwright)
against `python -m bot run --webhook`: a Telegram user's question nobody could answer, then
a staff member from the login page to the asker receiving the answer. The clicks, the
fields typed in (and their characters) and the seconds are printed (`pytest -s`)."""

from __future__ import annotations

import importlib.util
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import fake_telegram as tg
from tests.test_e2e import stop
from tests.test_e2e_console import free_port, wait_for_unanswered
from tests.test_webhook import (
    HOOK,
    PASSWORD,
    add_staff,
    post_update,
    start_webhook_bot,
    write_config,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
QUESTION = "Where can I leave my car when I visit you?"
ANSWER = "hours posted at the entrance"  # in the office-hours entry

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None, reason="playwright is not installed"
    ),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="no chromium (apt-get install chromium)"
    ),
]


@dataclass
class Effort:
    """What a person does on the page: clicks, fields filled, characters typed."""

    page: object
    clicks: int = 0
    fields: int = 0
    keystrokes: int = 0
    steps: list[str] = field(default_factory=list)

    async def fill(self, selector: str, text: str) -> None:
        await self.page.fill(selector, text)
        self.fields += 1
        self.keystrokes += len(text)
        self.steps.append(f"type {len(text)} characters into {selector}")

    async def click(self, selector: str) -> None:
        await self.page.click(selector)
        self.clicks += 1
        self.steps.append(f"click {selector}")


async def test_close_a_gap_by_attach_in_the_browser(tmp_path, small_kb_dir):
    from playwright.async_api import async_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    api = tg.FakeBotApi()
    with tg.BotApiServer(api) as server:
        config = write_config(tmp_path, small_kb_dir, server.base_url)
        add_staff(config)
        proc = start_webhook_bot(config, port)
        try:
            api.wait_for(lambda calls: any(m == "setWebhook" for m, _ in calls), timeout=180)
            secret = api.sent("setWebhook")[0]["secret_token"]
            asked = tg.api_update(api, tg.message(QUESTION, user_id=951))
            assert post_update(url, asked, secret).status_code == 200
            api.wait_for(lambda c: len(api.sent(chat_id=951)) >= 1)
            assert ANSWER not in api.sent(chat_id=951)[0]["text"]  # a gap
            wait_for_unanswered(tmp_path / "bot.db")

            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                try:
                    page = await browser.new_page()
                    effort = Effort(page)
                    started = time.monotonic()
                    await page.goto(url + "/login")
                    await effort.fill("input[name=name]", "sam")
                    await effort.fill("input[name=password]", PASSWORD)
                    await effort.click("button[type=submit]")
                    await page.wait_for_url(url + "/inbox")
                    cluster = page.locator("section.cluster", has_text=QUESTION)
                    await cluster.wait_for()
                    shot = time.monotonic()  # the picture is for us, not the staff member
                    await page.screenshot(path=str(tmp_path / "inbox.png"), full_page=True)
                    started += time.monotonic() - shot
                    # the matcher's candidates are offered: choose one, no id typed
                    await effort.click("section.cluster input[name=entry][value=office-hours]")
                    await effort.click("section.cluster >> text=Attach to the chosen entry")
                    await page.wait_for_selector(".message")
                    message = await page.inner_text(".message")
                    await page.screenshot(path=str(tmp_path / "attached.png"), full_page=True)
                    api.wait_for(
                        lambda c: any(ANSWER in m["text"] for m in api.sent(chat_id=951)),
                        timeout=60,
                    )
                    seconds = time.monotonic() - started
                finally:
                    await browser.close()
            assert "1 asker was sent the answer" in message
            told = [m["text"] for m in api.sent(chat_id=951)[1:]]
            assert sum(ANSWER in text for text in told) == 1  # told once

            again = tg.api_update(api, tg.message(QUESTION, user_id=952))
            assert post_update(url, again, secret).status_code == 200
            api.wait_for(lambda c: len(api.sent(chat_id=952)) >= 1)
            assert ANSWER in api.sent(chat_id=952)[0]["text"]  # the gap is closed
        finally:
            out = stop(proc)
    assert proc.returncode == 0, out
    print(
        f"\nGAP CLOSED BY ATTACH (login page -> asker told, webhook {HOOK}): "
        f"{effort.clicks} clicks, {effort.fields} fields typed in "
        f"({effort.keystrokes} characters), {seconds:.1f} s"
    )
    for step in effort.steps:
        print("  -", step)
    print(f"  screenshots: {tmp_path / 'inbox.png'}, {tmp_path / 'attached.png'}")
    assert effort.clicks <= 3 and effort.fields <= 3
