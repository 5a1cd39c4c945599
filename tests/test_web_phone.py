"""The console on a phone (390 x 844) in a real browser: no page wider than the screen,
the navigation wraps inside it, and Arabic questions read right to left. Screenshots are
kept in a temporary folder whose paths are printed (pytest -s shows them)."""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

import pytest

from bot.storage import Storage
from tests.test_web_browser import CHROMIUM, PASSWORD, served  # noqa: F401 (a fixture)

PHONE = {"width": 390, "height": 844}
ARABIC = "أين يمكنني ركن السيارة؟"

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None, reason="playwright is not installed"
    ),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="no chromium (apt-get install chromium)"
    ),
]


async def test_inbox_and_reports_on_a_phone(served):  # noqa: F811
    from playwright.async_api import async_playwright

    url, database, _ = served
    with Storage.open(database) as storage:
        storage.log_interaction(
            user_id=3, chat_type="private", language="ar", channel="terminal",
            question=ARABIC, status="unanswered",
        )  # fmt: skip
    shots = Path(tempfile.mkdtemp(prefix="console-phone-"))
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True)
            await page.goto(url + "/login")
            await page.fill("input[name=name]", "sam")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(url + "/inbox")
            found = {}
            for name, path in (("inbox", "/inbox"), ("reports", "/reports")):
                await page.goto(url + path)
                await page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
                found[name] = await page.evaluate(
                    """(arabic) => ({
                        width: document.documentElement.scrollWidth,
                        nav: Math.max(...[...document.querySelectorAll('header a, header button')]
                            .map(e => e.getBoundingClientRect().right)),
                        rtl: [...document.querySelectorAll('[dir=auto]')]
                            .filter(e => e.textContent.includes(arabic))
                            .map(e => getComputedStyle(e).direction),
                    })""",
                    ARABIC,
                )
            table = await page.evaluate(
                """() => [...document.querySelectorAll('.scroll')].map(
                    e => getComputedStyle(e).overflowX)"""
            )
        finally:
            await browser.close()
    for name in found:
        print(f"phone screenshot: {shots / f'{name}.png'}")
    for name, facts in found.items():
        assert facts["width"] <= PHONE["width"], (name, facts)
        assert facts["nav"] <= PHONE["width"], (name, facts)
        assert facts["rtl"] and set(facts["rtl"]) == {"rtl"}, (name, facts)
    assert table and set(table) == {"auto"}


async def test_a_long_address_in_a_question_wraps_on_a_small_phone(served):  # noqa: F811
    """A question holding a long URL made the whole inbox wider than a 360 px phone (the
    page scrolled sideways and the group's title was cut): long words and addresses wrap."""
    from playwright.async_api import async_playwright

    url, database, _ = served
    address = "https://www.example.com/a/very/long/path/" + "segment-" * 12 + "end.html"
    question = f"Please look at {address} and tell me what it means"
    with Storage.open(database) as storage:
        storage.log_interaction(
            user_id=4, chat_type="private", language="en", channel="terminal",
            question=question, status="unanswered",
        )  # fmt: skip
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page(viewport={"width": 360, "height": 740}, is_mobile=True)
            await page.goto(url + "/login")
            await page.fill("input[name=name]", "sam")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(url + "/inbox")
            facts = await page.evaluate(
                """(address) => ({
                    width: document.documentElement.scrollWidth,
                    titles: [...document.querySelectorAll('.cluster h3')]
                        .filter(e => e.textContent.includes(address))
                        .map(e => e.scrollWidth - e.clientWidth),  // text past its box
                })""",
                address,
            )
        finally:
            await browser.close()
    assert facts["titles"], facts  # the question is shown as a group
    assert facts["width"] <= 360, facts
    assert set(facts["titles"]) == {0}, facts
