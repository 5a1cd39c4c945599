"""The web chat in a real browser (Debian's chromium through Playwright; skipped, with the
reason, when either is absent), served by a real uvicorn over the repository's knowledge base.

The main story: a Russian visitor asks and gets the Russian answer, chooses a "did you mean"
suggestion, asks something unanswerable, a staff member replies in the console's inbox, and
the reply appears live in the visitor's page, and is still there after a reload. Then the
widget on an allowed and on a refused site, Arabic right to left, and the keyboard alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import re
import shutil
import socket
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bot import messages
from bot.accounts import Accounts
from bot.elsewhere import Place
from bot.storage import Storage
from bot.web.app import AnswererHolder, create_app
from tests.conftest import kept_list_message

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "correct horse battery"
pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None, reason="playwright is not installed"
    ),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="no chromium (apt-get install chromium)"
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    return server, thread


@pytest.fixture
def site(config, answerer, tmp_path):
    """The bot (chat + console) on one port, and the centre's own site on another that is
    allowed to embed the chat; yields (bot URL, site URL, app, server, storage)."""
    bot_port, site_port = free_port(), free_port()
    site_url = f"http://127.0.0.1:{site_port}"
    chat_config = replace(config, web=replace(config.web, chat_origins=(site_url,)))
    storage = Storage.open(tmp_path / "bot.db")
    accounts = Accounts(storage.path)
    accounts.add("sam", "staff", actor="admin")
    accounts.set_password("sam", PASSWORD, actor="admin")
    app = create_app(chat_config, storage, AnswererHolder(answerer), accounts, secret=b"k" * 32)
    bot_url = f"http://127.0.0.1:{bot_port}"

    async def home(request):
        return HTMLResponse(
            f'<!DOCTYPE html><html><body><h1>Centre</h1><script src="{bot_url}/widget.js">'
            "</script></body></html>"
        )

    servers = [serve(app, bot_port), serve(Starlette(routes=[Route("/", home)]), site_port)]
    try:
        yield bot_url, site_url, app, servers[0][0], storage
    finally:
        for server, thread in servers:
            server.should_exit = True
            thread.join(timeout=15)
        accounts.close()
        storage.close()


async def reply_in_the_console(browser, bot_url: str, question: str, text: str) -> None:
    """A staff member logs in, finds the question in the inbox and replies to its asker."""
    from playwright.async_api import expect

    staff = await browser.new_page(locale="en-GB")
    await staff.goto(bot_url + "/login")
    await staff.fill("input[name=name]", "sam")
    await staff.fill("input[name=password]", PASSWORD)
    await staff.click("button[type=submit]")
    await staff.wait_for_url(bot_url + "/inbox")
    group = staff.locator("section.cluster", has_text=question)
    await group.locator("form.inbox-reply textarea[name=text]").fill(text)
    await group.locator("form.inbox-reply button[type=submit]").click()
    await expect(staff.locator(".message")).to_contain_text("Reply sent to 1", timeout=15000)
    await staff.close()


@contextlib.asynccontextmanager
async def chat_page(bot_url: str, locale: str = "en-US"):
    """A visitor's /chat page in a fresh headless chromium, closed afterwards."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page(locale=locale)
            await page.goto(bot_url + "/chat")
            yield page
        finally:
            await browser.close()


async def send(page, text: str) -> None:
    """Type `text` and press Enter, once the message before has been sent: a reply can come
    by the stream before the request that asked for it is done, and Enter is not taken
    while a message is on its way (test_enter_pressed_twice_asks_once)."""
    from playwright.async_api import expect

    await expect(page.locator("#send")).to_be_enabled(timeout=15000)
    await page.fill("#text", text)
    await page.press("#text", "Enter")  # Enter sends


# Vague Russian questions (whose account?): which of them the classifier finds too close to
# call between the company and the personal account moves a little whenever the knowledge
# base is retrained, so the story takes the first that gets a "did you mean" list.
VAGUE_ACCOUNT = (
    "хочу открыть счёт",
    "открыть счёт",
    "нужен банковский счёт",
    "счёт в банке",
    "хочу счёт в китайском банке",
)


async def test_russian_visitor_story(site, answerer, tmp_path):
    from playwright.async_api import async_playwright, expect

    bot_url, _, app, server, storage = site
    vague = next(
        (
            q
            for q in VAGUE_ACCOUNT
            if (outcome := answerer.ask(q)).status == "suggest"
            and "corporate-basic-account" in {s.id for s in outcome.suggestions}
        ),
        None,
    )
    assert vague, "none of VAGUE_ACCOUNT gets a did-you-mean list with the company account"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = await browser.new_context(
                locale="ru-RU", viewport={"width": 390, "height": 800}
            )
            page = await context.new_page()
            await page.goto(bot_url + "/chat")
            assert await page.get_attribute("html", "lang") == "ru"
            await expect(page.locator(".msg.bot .text")).to_have_text(
                messages.text("ru", "greeting")
            )
            assert await page.get_attribute("#text", "placeholder") == messages.text(
                "ru", "web_placeholder"
            )
            assert await page.get_attribute("#log", "aria-live") == "polite"
            # keyboard: Tab reaches the message box, which has a label
            await page.focus("#text")
            label = page.locator("label[for=text]")
            assert await label.inner_text() == messages.text("ru", "web_placeholder")

            started = time.monotonic()
            await send(page, "Как открыть расчётный счёт компании?")
            answer = page.locator(".msg.answer").first
            await expect(answer).to_contain_text("бизнес-лицензии", timeout=15000)
            answered_in = time.monotonic() - started
            await expect(answer.locator(".sources")).to_have_text(messages.text("ru", "sources"))
            await expect(answer.locator("a").first).to_have_attribute(
                "href", re.compile(r"^https://")
            )

            await send(page, vague)  # whose account? a "did you mean" list
            choice = page.get_by_role("button", name="Как открыть корпоративный банковский счёт")
            await expect(choice).to_be_visible(timeout=15000)
            await expect(
                page.get_by_role("button", name=messages.text("ru", "none_of_these"))
            ).to_be_visible()
            await choice.click()
            await expect(page.locator(".msg.answer")).to_have_count(2, timeout=15000)
            await expect(choice).to_have_count(0)  # the list is closed once chosen from

            await send(page, "Где купить билеты в зоопарк Пекина для моего кота?")
            noted = messages.text("ru", "web_unanswered_noted")
            await expect(page.locator(".msg.notice .text").last).to_have_text(noted, timeout=15000)
            await page.screenshot(path=str(tmp_path / "ru-before-reply.png"))

            staff_text = "Hello! Tickets are sold on the zoo's website; pets cannot enter."
            sent_at = time.monotonic()
            await reply_in_the_console(browser, bot_url, "зоопарк Пекина", staff_text)
            staff = page.locator(".msg.staff")  # the English, or its translation and it
            await expect(staff).to_contain_text(staff_text, timeout=10000)
            live_in = time.monotonic() - sent_at
            await expect(staff).to_contain_text(messages.text("ru", "staff_reply"))
            await page.screenshot(path=str(tmp_path / "ru-staff-reply.png"), full_page=True)

            await page.reload()  # they come back: the conversation, staff reply included
            await expect(page.locator(".msg.staff")).to_contain_text(staff_text, timeout=10000)
            await expect(page.locator(".msg.answer")).to_have_count(2)
        finally:
            await browser.close()
    rows = list(storage.db.query("SELECT status, channel, language FROM interactions"))
    assert [(r["status"], r["channel"], r["language"]) for r in rows] == [
        ("answered", "web", "ru"),
        ("suggest", "web", "ru"),
        ("answered", "web", "ru"),
        ("unanswered", "web", "ru"),
    ]
    assert [c["entry_id"] for c in storage.list_choices()] == ["corporate-basic-account"]
    print(f"answer shown in {answered_in:.2f} s; staff reply shown live in {live_in:.2f} s")


async def test_widget_opens_the_chat_on_an_allowed_site_only(site, tmp_path):
    from playwright.async_api import async_playwright, expect

    bot_url, site_url, *_ = site
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page(locale="en-GB")
            await page.goto(site_url + "/")
            opener = page.get_by_role("button", name=messages.text("en", "web_open"))
            await opener.click()
            frame = page.frame_locator("#faq-chat-panel iframe")
            await frame.locator("#text").fill("What is a fapiao?")
            await frame.locator("#text").press("Enter")
            # the iframe loads the chat page, then the answer comes: slow on a busy machine
            await expect(frame.locator(".msg.answer")).to_be_visible(timeout=30000)
            await page.screenshot(path=str(tmp_path / "widget.png"))
            await page.keyboard.press("Escape")
            await expect(page.locator("#faq-chat-panel")).to_be_hidden()

            # the same script on a site that is not in [web] chat_origins does nothing, and
            # the chat refuses to be framed there
            other = await browser.new_page()  # about:blank: an origin not in the list
            await other.set_content(
                f'<script src="{bot_url}/widget.js"></script>'
                f'<iframe id="f" src="{bot_url}/chat?embed=1"></iframe>'
            )
            await other.wait_for_timeout(1000)
            assert await other.locator("#faq-chat-panel").count() == 0
            framed = other.frame_locator("#f").locator("#text")
            assert await framed.count() == 0
        finally:
            await browser.close()


async def test_arabic_visitor_reads_right_to_left(site, tmp_path):
    from playwright.async_api import async_playwright, expect

    bot_url, *_ = site
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page(locale="ar-EG", viewport={"width": 390, "height": 700})
            await page.goto(bot_url + "/chat")
            assert await page.get_attribute("html", "dir") == "rtl"
            await expect(page.locator("#send")).to_have_text(messages.text("ar", "web_send"))
            await send(page, "كيف أفتح حسابًا مصرفيًا للشركة؟")
            greeting = page.locator(".msg.bot .text").first
            await expect(greeting).to_have_text(messages.text("ar", "greeting"))
            await expect(page.locator(".msg.answer")).to_be_visible(timeout=15000)
            direction = await page.evaluate(
                "getComputedStyle(document.querySelector('#log')).direction"
            )
            assert direction == "rtl"
            await page.screenshot(path=str(tmp_path / "arabic.png"))
        finally:
            await browser.close()


async def test_keyboard_alone_browses_topics_and_reads_an_answer(site):
    from playwright.async_api import async_playwright, expect

    bot_url, *_ = site
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page(locale="en-US")
            await page.goto(bot_url + "/chat")
            await page.focus("#topics")
            await page.keyboard.press("Enter")  # a real <button>: Enter presses it
            first_topic = page.locator(".msg.topics button").first
            await expect(first_topic).to_be_visible(timeout=10000)
            await first_topic.focus()
            await page.keyboard.press("Enter")
            question = page.locator(".msg.topic button[data-act=entry]").first
            await expect(question).to_be_visible(timeout=10000)
            await question.focus()
            await page.keyboard.press("Space")
            await expect(page.locator(".msg.answer")).to_be_visible(timeout=10000)
            # Tab walks from the message box to Send
            await page.focus("#text")
            await page.keyboard.press("Tab")
            assert await page.evaluate("document.activeElement.id") == "send"
        finally:
            await browser.close()


async def test_after_a_button_focus_is_back_in_the_message_box(site, answerer):
    """Keyboard alone: a "did you mean" suggestion chosen with Tab and Enter (its list then
    goes), 👍, 👎 and its reason, Topics and a topic: focus is back in the message box each
    time, so typing goes on. The language picker keeps focus (its arrow keys move in it); a
    tap on a touch screen leaves focus be (no on-screen keyboard over the answer)."""
    from playwright.async_api import expect

    bot_url, *_ = site
    vague = next(q for q in VAGUE_ACCOUNT if answerer.ask(q).status == "suggest")

    def named(key: str) -> str:
        return messages.text("ru", key)

    async def focused() -> str:
        return await page.evaluate("document.activeElement.id")

    async def named_in(lang: str) -> None:  # the page's own controls, named in `lang`
        for role, key in (
            ("button", "web_topics"),
            ("button", "web_staff"),
            ("button", "web_forget"),
            ("button", "web_send"),
            ("combobox", "web_language"),
            ("textbox", "web_placeholder"),
            ("log", "web_conversation"),
        ):
            name = messages.text(lang, key)
            await expect(page.get_by_role(role, name=name, exact=True)).to_have_count(1)

    async with chat_page(bot_url, locale="ru-RU") as page:
        await named_in("ru")
        icons = await page.evaluate(
            "Promise.all([...document.querySelectorAll('link[rel=icon]')]"
            ".map((link) => fetch(link.href).then((r) => r.status)))"
        )
        assert icons == [200, 200]
        await send(page, vague)
        choice = page.locator(".msg.suggest button[data-act=choose]").first
        await expect(choice).to_be_visible(timeout=15000)
        await page.focus("#text")
        for _ in range(10):  # Forget me, Talk to a person, Topics, then the list from its end
            await page.keyboard.press("Shift+Tab")
            if await page.evaluate("document.activeElement.dataset.act") == "choose":
                break
        await page.keyboard.press("Enter")
        answer = page.locator(".msg.answer").last
        await expect(answer).to_be_visible(timeout=15000)
        await expect(choice).to_have_count(0)  # the button pressed is gone
        assert await focused() == "text"
        await page.keyboard.type("ещё")
        assert await page.input_value("#text") == "ещё"

        for key in ("helpful", "not_helpful"):
            await answer.get_by_role("button", name=named(key)).focus()
            await page.keyboard.press("Enter")
            await expect(answer.get_by_role("button", name=named(key))).to_have_attribute(
                "aria-pressed", "true"
            )
            assert await focused() == "text"
        await answer.get_by_role("button", name=named("reason_outdated")).focus()
        await page.keyboard.press("Space")
        await expect(answer.locator(".thanks")).to_have_text(named("reason_thanks"))
        assert await focused() == "text"

        await page.focus("#topics")
        await page.keyboard.press("Enter")
        topic = page.locator(".msg.topics button").first
        await expect(topic).to_be_visible(timeout=10000)
        assert await focused() == "text"
        await topic.focus()
        await page.keyboard.press("Enter")
        await expect(page.locator(".msg.topic")).to_have_count(1, timeout=10000)
        assert await focused() == "text"

        await page.focus("#language")
        await page.keyboard.press("ArrowDown")  # a closed picker: the next language,
        await page.keyboard.press("Enter")  # applied when confirmed
        await expect(page.locator("html")).not_to_have_attribute("lang", "ru", timeout=10000)
        assert await focused() == "language"
        await named_in(await page.get_attribute("html", "lang"))
        assert await page.input_value("#text") == "ещё"  # typed, kept all along

        touch = await page.context.browser.new_page(has_touch=True, locale="ru-RU")
        await touch.goto(bot_url + "/chat")
        await touch.tap("#topics")
        await expect(touch.locator(".msg.topics button").first).to_be_visible(timeout=10000)
        assert await touch.evaluate("document.activeElement.id") != "text"


async def test_the_language_picker_goes_back_to_automatic(site):
    """A visitor who picked German in the picker picks "automatic" again: told that each
    message is answered in its own language, they ask in Spanish and get the Spanish answer
    and page, the picker showing "automatic" (as after a reload)."""
    from playwright.async_api import expect

    bot_url, *_ = site
    async with chat_page(bot_url) as page:
        picker = page.locator("#language")
        await expect(picker).to_have_value("auto")
        automatic = picker.locator("option[value=auto]")
        await expect(automatic).to_have_text(messages.text("en", "web_language_auto"))
        await picker.select_option("de")
        await expect(page.locator("html")).to_have_attribute("lang", "de", timeout=10000)
        await expect(automatic).to_have_text(messages.text("de", "web_language_auto"))
        await picker.select_option("auto")
        detected = messages.text("de", "terminal_language_detected")
        await expect(page.locator(".msg.notice .text").last).to_have_text(detected, timeout=10000)
        await expect(picker).to_have_value("auto")
        await send(page, "¿Cómo abro una cuenta bancaria para mi empresa en China?")
        await expect(page.locator(".msg.answer")).to_have_count(1, timeout=15000)
        await expect(page.locator("html")).to_have_attribute("lang", "es")
        await expect(picker).to_have_value("auto")
        await page.reload()
        await expect(page.locator(".msg.answer")).to_have_count(1, timeout=15000)
        await expect(picker).to_have_value("auto")
        await expect(automatic).to_have_text(messages.text("es", "web_language_auto"))


async def test_the_language_picker_applies_a_language_only_when_confirmed(site):
    """Arrow keys in the closed picker changed the language at each press (two presses: two
    changes, two "I will answer in ..." messages). Now a keyboard user passes through the
    languages and one applies on Enter or on leaving the picker; Escape puts back the one
    in use; a mouse user still picks in one step."""
    from playwright.async_api import expect

    bot_url, *_ = site
    async with chat_page(bot_url) as page:
        picker, html = page.locator("#language"), page.locator("html")
        codes = await picker.evaluate("(s) => [...s.options].map((o) => o.value)")
        assert codes[0] == "auto"
        notices = page.locator(".msg.notice")
        await expect(notices).to_have_count(1)  # the greeting
        await page.focus("#text")
        await page.keyboard.press("Shift+Tab")  # Forget me, Talk to a person, Topics, ...
        while await page.evaluate("document.activeElement.id") != "language":
            await page.keyboard.press("Shift+Tab")
        await page.keyboard.press("ArrowDown")
        await page.keyboard.press("ArrowDown")
        await expect(picker).to_have_value(codes[2])
        await page.wait_for_timeout(700)  # nothing is sent
        await expect(html).to_have_attribute("lang", "en")
        await expect(notices).to_have_count(1)
        await page.keyboard.press("Escape")  # back to the language in use
        await expect(picker).to_have_value("auto")

        await page.keyboard.press("ArrowDown")
        await page.keyboard.press("ArrowDown")
        await page.keyboard.press("Enter")
        await expect(html).to_have_attribute("lang", codes[2], timeout=10000)
        await expect(notices).to_have_count(2)
        await expect(notices.last.locator(".text")).to_have_text(
            messages.text(codes[2], "language_set")
        )
        assert await page.evaluate("document.activeElement.id") == "language"

        await page.keyboard.press("ArrowDown")
        await page.keyboard.press("Tab")  # left on a language: that one
        await expect(html).to_have_attribute("lang", codes[3], timeout=10000)
        await expect(notices).to_have_count(3)

        await picker.select_option("de")  # the mouse: one step
        await expect(html).to_have_attribute("lang", "de", timeout=10000)
        await expect(notices).to_have_count(4)
        await page.wait_for_timeout(500)
        await expect(notices).to_have_count(4)


# For each control focused in turn: the focus ring's colour, the background around it (the
# first ancestor with one) and their contrast ratio (WCAG 2 relative luminance).
FOCUS_RINGS = """(selectors) => {
    const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
    const luminance = (c) => {
        const [r, g, b] = rgb(c).slice(0, 3).map((v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const behind = (el) => {
        for (let at = el.parentElement; at; at = at.parentElement) {
            const c = getComputedStyle(at).backgroundColor;
            if (rgb(c).length < 4 || rgb(c)[3] > 0) return c;
        }
        return "rgb(255, 255, 255)";
    };
    return selectors.flatMap((selector) => [...document.querySelectorAll(selector)].map((el) => {
        el.focus();
        const style = getComputedStyle(el), around = behind(el);
        const [a, b] = [luminance(style.outlineColor), luminance(around)].sort();
        return {selector, visible: el.matches(":focus-visible"), width: style.outlineWidth,
                ring: style.outlineColor, around, ratio: (b + 0.05) / (a + 0.05)};
    }));
}"""


async def test_the_focus_ring_stands_out_on_every_background(site):
    """The focus ring (amber, rgb(242,169,0)) had 1.77:1 against an answer's bubble and 2:1
    against white: it now has at least 3:1 against the background around every control a
    keyboard reaches (answer bubble, white bars, the staff-mode strip, the dark header)."""
    from playwright.async_api import expect

    bot_url, *_ = site
    async with chat_page(bot_url) as page:
        await send(page, "How do I open a company bank account in China?")
        await expect(page.locator(".msg.answer button").first).to_be_visible(timeout=15000)
        await page.click("#staff")  # "Talk to a person": its Cancel sits on a yellow strip
        await page.keyboard.press("Tab")  # a keyboard in use: :focus-visible shows rings
        selectors = [".msg.answer button", ".msg.answer a", "#topics", "#staff", "#forget",
                     "#cancel", "#text", "#send", "#language"]  # fmt: skip
        rings = await page.evaluate(FOCUS_RINGS, selectors)
    assert {r["selector"] for r in rings} == set(selectors), rings
    for ring in rings:
        assert ring["visible"] and ring["width"] == "3px", ring
        assert ring["ratio"] >= 3, ring
    backgrounds = {r["around"] for r in rings}
    light = {"rgb(238, 241, 244)", "rgb(255, 255, 255)", "rgb(255, 244, 214)"}
    assert light | {"rgb(31, 78, 121)"} <= backgrounds


async def test_a_screen_reader_hears_who_said_what_in_its_own_language(site):
    """Each message says who said it ("You said:", "The bot said:"; staff have their
    heading), each of the bot's is marked with the language it is written in, so that the
    German greeting is still read as German once the page has turned English, and Arabic
    right to left; a list in an answer is a real list with a hanging indent."""
    from playwright.async_api import expect

    bot_url, *_ = site
    async with chat_page(bot_url, locale="de-DE") as page:
        greeting = page.locator(".msg.notice").first
        await expect(greeting.locator(".text")).to_have_attribute("lang", "de")
        await send(page, "What are the emergency phone numbers in China?")
        answer = page.locator(".msg.answer").last
        await expect(answer).to_be_visible(timeout=15000)
        await expect(page.locator("html")).to_have_attribute("lang", "en")  # it follows
        await expect(answer.locator(".text")).to_have_attribute("lang", "en")
        await expect(answer.locator(".text")).to_have_attribute("dir", "ltr")
        await expect(greeting.locator(".text")).to_have_attribute("lang", "de")  # still
        read = await page.locator("#log").aria_snapshot()
        visitor = page.locator(".msg.visitor")
        said = messages.text(await visitor.get_attribute("lang"), "web_said_you")
        assert f"{said} What are the emergency phone numbers in China?" in read, read
        said = messages.text(await answer.get_attribute("lang"), "web_said_bot")
        assert said in await answer.inner_text() or said in read, read
        # "- 110: police" lines: a list whose markers hang outside the wrapped text
        items = answer.locator(".text ul > li")
        await expect(items.first).to_contain_text("110", timeout=5000)
        assert await items.count() >= 4
        await expect(answer.locator(".text")).not_to_contain_text("- 110")
        style = await answer.locator(".text ul").evaluate(
            "(e) => [getComputedStyle(e).listStylePosition, getComputedStyle(e).paddingInlineStart]"
        )
        assert style[0] == "outside" and float(style[1].rstrip("px")) > 10, style
        assert "listitem" in read

        await page.locator("#language").select_option("ar")
        notice = page.locator(".msg.notice").last
        await expect(notice.locator(".text")).to_have_text(
            messages.text("ar", "language_set"), timeout=10000
        )
        await expect(notice.locator(".text")).to_have_attribute("lang", "ar")
        await expect(notice.locator(".text")).to_have_attribute("dir", "rtl")
        await expect(answer.locator(".text")).to_have_attribute("lang", "en")


async def test_talk_to_a_person_names_the_box_for_a_person_and_escape_leaves(site):
    """In "Talk to a person" mode the message box was still named "Type your question":
    it now says the message is for the staff; Escape goes back to asking the bot, what
    was typed kept."""
    from playwright.async_api import expect

    bot_url, *_ = site
    async with chat_page(bot_url, locale="fr-FR") as page:
        box = page.locator("#text")
        await expect(
            page.get_by_role("textbox", name=messages.text("fr", "web_placeholder"))
        ).to_have_count(1)
        await page.click("#staff")
        for_staff = messages.text("fr", "web_staff_mode")
        await expect(page.get_by_role("textbox", name=for_staff, exact=True)).to_be_focused()
        await expect(box).to_have_attribute("placeholder", for_staff)
        await page.keyboard.type("Bonjour")
        await page.keyboard.press("Escape")
        await expect(page.locator("#mode")).to_be_hidden()
        asking = messages.text("fr", "web_placeholder")
        await expect(page.get_by_role("textbox", name=asking, exact=True)).to_be_focused()
        await expect(box).to_have_attribute("placeholder", asking)
        await expect(box).to_have_value("Bonjour")


async def test_did_you_mean_choices_are_a_group_named_by_its_question(site, answerer):
    """The "did you mean" buttons were loose buttons: a screen reader now hears them as a
    group named by the question they answer, as the reasons after a 👎."""
    from playwright.async_api import expect

    bot_url, *_ = site
    vague = next(q for q in VAGUE_ACCOUNT if answerer.ask(q).status == "suggest")
    async with chat_page(bot_url, locale="ru-RU") as page:
        await send(page, vague)
        group = page.get_by_role("group", name=messages.text("ru", "did_you_mean"))
        await expect(group).to_have_count(1, timeout=15000)
        await expect(group.locator("button[data-act=choose]").first).to_be_visible()
        none = group.get_by_role("button", name=messages.text("ru", "none_of_these"))
        await expect(none).to_have_count(1)


async def test_see_also_under_an_answer_opens_the_related_entry(site, answerer):
    """The first "See also" button is the entry ranked next (Answer.nearest): it opens that
    entry, and the question is recorded as a choice of it, like a chosen suggestion."""
    from playwright.async_api import expect

    bot_url, *_, storage = site
    asked = "How do I open a company bank account in China?"
    nearest = answerer.ask(asked).nearest
    assert nearest is not None
    async with chat_page(bot_url) as page:
        await send(page, asked)
        answer = page.locator(".msg.answer").first
        await expect(answer.locator(".see-also")).to_have_text(
            messages.text("en", "see_also"), timeout=15000
        )
        related = answer.locator("button[data-act=entry]").first
        title = (await related.inner_text()).strip()
        await related.click()
        await expect(page.locator(".msg.answer")).to_have_count(2, timeout=15000)
        await expect(page.locator(".msg.answer .title").last).to_have_text(title)
    rows = list(storage.db.query("SELECT status, entry_id FROM interactions"))
    assert [r["status"] for r in rows] == ["answered", "answered"]
    assert rows[0]["entry_id"] == "corporate-basic-account" != rows[1]["entry_id"] == nearest
    assert [(c["question"], c["entry_id"]) for c in storage.list_choices()] == [(asked, nearest)]


async def test_a_see_also_entry_pressed_again_is_not_asked_again(site):
    """A double click on a "See also" button opens its entry once; the button then shows it
    was opened, and pressed again brings that answer into view instead of adding it again."""
    from playwright.async_api import expect

    bot_url, *_, storage = site
    async with chat_page(bot_url) as page:
        await page.set_viewport_size({"width": 390, "height": 500})
        await send(page, "How do I open a company bank account in China?")
        related = page.locator(".msg.answer").first.locator("button[data-act=entry]").first
        await expect(related).to_be_visible(timeout=15000)
        await related.dblclick()
        answers = page.locator(".msg.answer")
        await expect(answers).to_have_count(2, timeout=15000)
        opened = answers.nth(1)
        await expect(related).to_have_attribute("data-shown", await opened.get_attribute("data-id"))
        await page.evaluate("document.getElementById('log').scrollTop = 0")
        await expect(opened).not_to_be_in_viewport()
        await related.click()
        await expect(opened).to_be_in_viewport()
        await page.wait_for_timeout(500)  # nothing more comes
        await expect(answers).to_have_count(2)
    rows = list(storage.db.query("SELECT status, follows FROM interactions ORDER BY id"))
    assert [r["status"] for r in rows] == ["answered", "answered"]


async def test_a_topic_entry_pressed_again_brings_its_answer_back(site):
    """A question opened from a topic list was answered (and logged) again each time its
    button was pressed later. Now, as under "See also", the button shows it was opened and
    pressed again brings the answer already shown into view."""
    from playwright.async_api import expect

    bot_url, *_, storage = site
    async with chat_page(bot_url) as page:
        await page.set_viewport_size({"width": 390, "height": 500})
        await page.click("#topics")
        await page.locator(".msg.topics button").first.click()
        entry = page.locator(".msg.topic button[data-act=entry]").first
        await expect(entry).to_be_visible(timeout=10000)
        await entry.click()
        answers = page.locator(".msg.answer")
        await expect(answers).to_have_count(1, timeout=15000)
        await expect(entry).to_have_attribute("data-shown", await answers.get_attribute("data-id"))
        await page.evaluate("document.getElementById('log').scrollTop = 0")
        await expect(answers).not_to_be_in_viewport()
        await entry.click()
        await expect(answers).to_be_in_viewport()
        await page.wait_for_timeout(500)  # nothing more comes
        await expect(answers).to_have_count(1)
        await page.reload()  # the mark is kept with the list
        await expect(page.locator(".msg.topic button[data-shown]")).to_have_count(1)
    rows = list(storage.db.query("SELECT browsed FROM interactions"))
    assert [r["browsed"] for r in rows] == [1]  # logged once, as browsed (no question)


async def test_thumbs_count_once_and_a_reason_stays_with_its_answer(site, tmp_path):
    """👍 pressed twice shows and records one rating, the button marked as pressed; a 👎 asks
    for its reason inside that answer, and a 👍 pressed after it takes the question away, so
    that no reason left on the page can turn the 👍 into a 👎 or land on another answer."""
    from playwright.async_api import expect

    bot_url, *_, storage = site

    def named(key: str) -> str:
        return messages.text("en", key)

    async with chat_page(bot_url) as page:
        await send(page, "What is a fapiao?")
        first = page.locator(".msg.answer").first
        await expect(first).to_be_visible(timeout=15000)
        shown = await page.locator(".msg").count()
        up = first.get_by_role("button", name=named("helpful"))
        down = first.get_by_role("button", name=named("not_helpful"))
        await up.dblclick()
        await expect(up).to_have_attribute("aria-pressed", "true")
        await expect(down).to_have_attribute("aria-pressed", "false")
        await expect(first.locator(".thanks")).to_have_text(named("feedback_thanks"))
        await up.click()  # pressed already: nothing is sent
        await page.wait_for_timeout(300)
        assert await page.locator(".msg").count() == shown
        await down.click()
        await expect(first.locator("button[data-act=reason]")).to_have_count(3)
        await expect(first.locator(".ask")).to_have_text(named("feedback_reason"))
        await up.click()  # a change of mind: the reason is no longer asked
        await expect(up).to_have_attribute("aria-pressed", "true")
        await expect(page.locator("button[data-act=reason]")).to_have_count(0)
        assert await page.locator(".msg").count() == shown

        await send(page, "How do I open a company bank account in China?")
        second = page.locator(".msg.answer").nth(1)
        await expect(second).to_be_visible(timeout=15000)
        await second.get_by_role("button", name=named("not_helpful")).click()
        reasons = second.get_by_role("group", name=named("feedback_reason"))
        await reasons.get_by_role("button", name=named("reason_outdated")).click()
        await expect(second.locator(".thanks")).to_have_text(named("reason_thanks"))
        await page.screenshot(path=str(tmp_path / "rated.png"), full_page=True)
    rows = storage.db.query(
        "SELECT i.question, f.helpful, f.reason FROM feedback f "
        "JOIN interactions i ON i.id = f.interaction_id ORDER BY i.id"
    )
    assert [(r["question"], r["helpful"], r["reason"]) for r in rows] == [
        ("What is a fapiao?", 1, None),
        ("How do I open a company bank account in China?", 0, "outdated"),
    ]


async def test_a_message_asking_two_things_shows_two_answers(site, answerer):
    """Each part answered in its own message, with its own title and feedback; a part no
    answer covers keeps its "did you mean" list, and choosing from it answers that part."""
    from playwright.async_api import expect

    bot_url, *_, storage = site
    async with chat_page(bot_url) as page:
        await send(
            page, "Can a foreigner set up a WFOE alone? What is the minimum registered capital?"
        )
        answers = page.locator(".msg.answer")
        await expect(answers).to_have_count(2, timeout=15000)
        # The whole message's answer first, then the other part's (either may rank first).
        titles = [await answers.nth(i).locator(".title").inner_text() for i in range(2)]
        assert sorted("WFOE" in t for t in titles) == [False, True], titles
        assert sorted("registered capital" in t for t in titles) == [False, True], titles
        for i in range(2):
            await expect(answers.nth(i).locator("button[data-act=feedback]")).to_have_count(2)
        message, first = kept_list_message(answerer)
        await send(page, message)
        await expect(answers).to_have_count(3, timeout=15000)
        await expect(answers.nth(2).locator(".title")).to_contain_text(answerer.title(first))
        offer = page.locator(".msg.suggest").last
        await offer.locator("button[data-act=choose]").first.click()
        await expect(answers).to_have_count(4, timeout=15000)
    rows = list(storage.db.query("SELECT question, status, entry_id FROM interactions"))
    logged = [(r["status"], r["entry_id"]) for r in rows]
    assert sorted(logged[:2]) == [
        ("answered", "registered-capital-five-year-rule"),
        ("answered", "wfoe-what-is"),
    ]
    assert logged[2] == ("answered", first.id)
    assert (rows[3]["question"], rows[3]["status"]) == ("How long does it take?", "suggest")


async def test_a_question_about_another_country_says_so_and_offers_china(site, answerer, tmp_path):
    """A French visitor asks about a business visa for Vietnam: no answer about China's M
    visa, but the notice naming the country in French and the entries "if you meant China";
    choosing one answers it."""
    from playwright.async_api import expect

    bot_url, *_, storage = site
    question = "Comment obtenir un visa d'affaires au Vietnam ?"
    expected = answerer.ask(question)
    assert expected.elsewhere == "VN" and expected.suggestions  # the story's premise
    async with chat_page(bot_url, locale="fr-FR") as page:
        await send(page, question)
        offer = page.locator(".msg.suggest").last
        notice = messages.text("fr", "elsewhere", country=Place("VN", "").name("fr"))
        await expect(offer).to_contain_text(notice, timeout=15000)
        await expect(offer).to_contain_text(messages.text("fr", "elsewhere_suggest"))
        await expect(page.locator(".msg.answer")).to_have_count(0)
        await page.screenshot(path=str(tmp_path / "elsewhere.png"), full_page=True)
        await offer.locator("button[data-act=choose]").first.click()
        await expect(page.locator(".msg.answer")).to_have_count(1, timeout=15000)
    rows = list(storage.db.query("SELECT question, status, entry_id FROM interactions"))
    assert (rows[0]["question"], rows[0]["status"]) == (question, "suggest")
    assert (rows[1]["status"], rows[1]["entry_id"]) == ("answered", expected.suggestions[0].id)


async def test_what_is_typed_while_a_message_is_sent_is_kept(site):
    """The reply can arrive by the stream before the page has the response to its own
    request: what the visitor typed meanwhile is the next message and stays in the box."""
    import asyncio

    from playwright.async_api import expect

    bot_url, *_ = site
    async with chat_page(bot_url) as page:
        released, fulfilled = asyncio.Event(), asyncio.Event()

        async def slow_response(route):
            response = await route.fetch()  # the server answers (and streams the reply) now
            await released.wait()
            await route.fulfill(response=response)
            fulfilled.set()

        await page.route("**/chat/send", slow_response)
        await send(page, "What is a fapiao?")
        await expect(page.locator(".msg.answer").last).to_be_visible(timeout=15000)
        await page.fill("#text", "And how do I issue one?")
        released.set()
        await asyncio.wait_for(fulfilled.wait(), 15)
        await page.evaluate("() => new Promise((done) => setTimeout(done, 200))")  # handled
        assert await page.input_value("#text") == "And how do I issue one?"


async def test_enter_pressed_twice_asks_once(site):
    """Send is disabled while a message is on its way: a second Enter (or click) while the
    first is answered does not ask the same question again."""
    import asyncio

    from playwright.async_api import expect

    bot_url, _, _, _, storage = site
    async with chat_page(bot_url) as page:
        released = asyncio.Event()

        async def slow(route):
            await released.wait()
            await route.continue_()

        await page.route("**/chat/send", slow)
        await page.fill("#text", "What is a fapiao?")
        await page.press("#text", "Enter")
        await expect(page.locator("#send")).to_be_disabled()
        await page.press("#text", "Enter")
        await page.locator("#send").click(force=True)
        released.set()
        await expect(page.locator(".msg.answer")).to_have_count(1, timeout=15000)
        await expect(page.locator("#send")).to_be_enabled()
        await page.evaluate("() => new Promise((done) => setTimeout(done, 300))")
        assert await page.locator(".msg.visitor").count() == 1
        asked = storage.db.execute("SELECT COUNT(*) FROM interactions").fetchone()[0]
        assert asked == 1


async def test_a_message_sent_while_the_one_before_is_on_its_way_follows_it(site):
    """A fast typist's Enter while the message before was still on its way was ignored
    without a word (Send disabled). It is now sent as soon as that one is done, in order;
    the text stays in the box till then."""
    import asyncio

    from playwright.async_api import expect

    bot_url, _, _, _, storage = site
    async with chat_page(bot_url) as page:
        released = asyncio.Event()

        async def slow(route):
            await released.wait()
            await route.continue_()

        await page.route("**/chat/send", slow)
        await page.fill("#text", "What is a fapiao?")
        await page.press("#text", "Enter")
        await expect(page.locator("#send")).to_be_disabled()
        await page.fill("#text", "How do I open a company bank account?")
        await page.press("#text", "Enter")
        await expect(page.locator("#text")).to_have_value("How do I open a company bank account?")
        released.set()
        visitor = page.locator(".msg.visitor .text")
        await expect(visitor).to_have_count(2, timeout=15000)
        await expect(visitor).to_have_text(
            ["What is a fapiao?", "How do I open a company bank account?"]
        )
        await expect(page.locator(".msg.answer")).to_have_count(2, timeout=15000)
        await expect(page.locator("#text")).to_have_value("")
    rows = storage.db.query("SELECT question FROM interactions ORDER BY id")
    assert [r["question"] for r in rows] == [
        "What is a fapiao?",
        "How do I open a company bank account?",
    ]


async def test_forget_me_then_the_conversation_goes_on(site):
    """After "Forget me" the page is a new, empty conversation that still works (the
    cookie was replaced, not only deleted)."""
    from playwright.async_api import expect

    bot_url, *_ = site
    async with chat_page(bot_url) as page:
        await send(page, "What is a fapiao?")
        await expect(page.locator(".msg.answer")).to_have_count(1, timeout=15000)
        page.once("dialog", lambda dialog: dialog.accept())
        await page.click("#forget")
        await expect(page.locator(".msg")).to_have_count(1, timeout=15000)
        await expect(page.locator(".msg")).to_contain_text(messages.text("en", "forgotten"))
        await send(page, "What is a fapiao?")
        await expect(page.locator(".msg.answer")).to_have_count(1, timeout=15000)
        await page.reload()
        await expect(page.locator(".msg.answer")).to_have_count(1, timeout=15000)


async def test_a_tab_left_open_after_forget_me_in_another_shows_the_new_conversation(site):
    """ "Forget me" in one tab gives the browser a new conversation: a message sent from a
    second tab, still showing the old one, was answered in the new one and its reply mixed
    into, or lost from, the old one shown there. That tab now shows the new conversation."""
    from playwright.async_api import async_playwright, expect

    bot_url, *_ = site
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = await browser.new_context(locale="en-US")  # one browser, two tabs
            first, second = await context.new_page(), await context.new_page()
            await first.goto(bot_url + "/chat")
            await send(first, "What is a fapiao?")
            await expect(first.locator(".msg.answer")).to_have_count(1, timeout=15000)
            await send(first, "How do I open a company bank account?")
            await expect(first.locator(".msg.answer")).to_have_count(2, timeout=15000)
            await second.goto(bot_url + "/chat")
            await expect(second.locator(".msg.answer")).to_have_count(2, timeout=15000)
            second.once("dialog", lambda dialog: dialog.accept())
            await second.click("#forget")
            await expect(second.locator(".msg")).to_have_count(1, timeout=15000)
            await send(first, "When is the service centre open?")
            visitor = first.locator(".msg.visitor")
            await expect(visitor).to_have_count(1, timeout=15000)
            await expect(visitor).to_contain_text("When is the service centre open?")
            await expect(first.locator(".msg.answer")).to_have_count(1, timeout=15000)
            await expect(first.locator("#log")).not_to_contain_text("fapiao")
        finally:
            await browser.close()


async def test_a_request_that_fails_is_shown_and_the_text_kept(site):
    """The server cannot be reached: the page says so in the visitor's language and keeps
    what they typed, instead of silently doing nothing."""
    from playwright.async_api import expect

    bot_url, *_ = site
    async with chat_page(bot_url, locale="es-ES") as page:
        await page.route("**/chat/send", lambda route: route.abort())
        await send(page, "¿Qué es un fapiao?")
        notice = page.locator(".msg.notice").last
        await expect(notice).to_contain_text(messages.text("es", "web_offline"), timeout=15000)
        assert await page.input_value("#text") == "¿Qué es un fapiao?"


async def test_a_persian_visitor_is_greeted_and_answered_in_english_not_arabic(site, tmp_path):
    """A browser set to Persian: "سلام" (Arabic too) gets the English greeting, not the
    Arabic one, and a Persian question the English answer with the note that Persian has no
    translation yet; the page's own words are English."""
    from playwright.async_api import expect

    bot_url, *_ = site
    async with chat_page(bot_url, locale="fa-IR") as page:
        assert await page.get_attribute("html", "lang") == "en"
        await send(page, "سلام")
        greeting = page.locator(".msg", has_text=messages.text("en", "greeting")).last
        await expect(greeting).to_be_visible(timeout=15000)
        await expect(page.locator(".msg", has_text=messages.text("ar", "greeting"))).to_have_count(
            0
        )
        await send(page, "به عنوان خارجی میتونم تو چین حساب بانکی شخصی باز کنم؟")
        note = messages.text("en", "no_translation", source="English")
        await expect(page.locator(".msg.answer").last).to_contain_text(note, timeout=15000)
        # the page stays English, left to right
        assert await page.get_attribute("html", "dir") == "ltr"
        assert await page.get_attribute("html", "lang") == "en"
        assert await page.input_value("#language") == "auto"  # none picked: "automatic"
        await page.screenshot(path=str(tmp_path / "persian.png"), full_page=True)


@pytest.mark.parametrize("motion", ["no-preference", "reduce"])
async def test_the_reason_asked_after_thumbs_down_comes_into_view(site, motion):
    """On a phone, the question "why?" and its buttons under a 👎 were added below the
    visible part of the conversation: they are brought into view (gliding, or at once for
    a visitor who asked for less motion)."""
    from playwright.async_api import async_playwright, expect

    bot_url, *_ = site
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page(
                locale="en-US", viewport={"width": 360, "height": 740}, reduced_motion=motion
            )
            await page.goto(bot_url + "/chat")
            await send(page, "How do I open a company bank account in China?")
            answer = page.locator(".msg.answer").last
            await expect(answer).to_be_visible(timeout=15000)
            down = answer.get_by_role("button", name=messages.text("en", "not_helpful"))
            await down.focus()
            await expect(down).to_be_in_viewport(ratio=1)
            await page.keyboard.press("Enter")
            reasons = answer.get_by_role("group", name=messages.text("en", "feedback_reason"))
            await expect(reasons).to_have_count(1, timeout=10000)
            await expect(reasons).to_be_in_viewport(ratio=1)
            await expect(answer.locator(".ask")).to_be_in_viewport(ratio=1)
        finally:
            await browser.close()


async def test_a_late_copy_from_the_stream_does_not_take_back_a_thumbs_down(site):
    """The stream sends the page every message of its conversation, the answer too. On a
    busy server its copy of an answer came after the visitor had pressed 👎 (the reply to the
    press came first), and drew the answer back as it was before the press: the question
    "why?" vanished, and the keyboard focus with the buttons it was on. The page keeps the
    newest revision of a message it was sent."""
    from playwright.async_api import async_playwright, expect

    bot_url, _, app, *_ = site
    hub = app.state.webchat
    publish, arrived = hub.publish, []

    def arrive(user_key, message):
        arrived.append(message)
        publish(user_key, message)

    def late(user_key, message):  # the stream's copies come 1.5 s late
        asyncio.get_running_loop().call_later(1.5, arrive, user_key, message)

    hub.publish = late
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page(locale="en-US")
            await page.goto(bot_url + "/chat")
            await send(page, "How do I open a company bank account in China?")
            answer = page.locator(".msg.answer").last
            await expect(answer).to_be_visible(timeout=15000)
            await answer.get_by_role("button", name=messages.text("en", "not_helpful")).click()
            reasons = answer.get_by_role("group", name=messages.text("en", "feedback_reason"))
            await expect(reasons).to_have_count(1, timeout=10000)
            pressed = len(arrived)
            await page.wait_for_timeout(2500)  # the copies sent before the press arrive
            assert any(m.kind == "answer" and "rev" not in m.data for m in arrived[pressed:])
            await expect(reasons).to_have_count(1)
        finally:
            await browser.close()


async def test_slash_staff_in_an_answer_is_the_talk_to_a_person_button(site):
    """Answers told web visitors to write to staff "via /staff", a Telegram command. On the
    web chat it is the "Talk to a person" button, in the visitor's language, and pressing
    it opens that mode as the button above the conversation does."""
    from playwright.async_api import expect

    bot_url, *_ = site
    async with chat_page(bot_url, locale="es-ES") as page:
        await send(page, "¿Cuál es el horario de apertura del centro de servicios?")
        answer = page.locator(".msg.answer").first
        opener = answer.locator("button[data-opens=staff]").first
        await expect(opener).to_have_text(messages.text("es", "web_staff"), timeout=15000)
        assert "/staff" not in await answer.locator(".text").inner_text()
        await opener.click()
        await expect(page.locator("#mode")).to_be_visible()
        for_staff = messages.text("es", "web_staff_mode")
        await expect(page.get_by_role("textbox", name=for_staff, exact=True)).to_be_focused()
