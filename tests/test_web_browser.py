"""`python -m bot web` as a real process: served over HTTP, and driven in a real browser
(Debian's chromium through Playwright; skipped, with the reason, when either is absent)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.storage import Storage
from tests.conftest import ROOT, SMALL_KB
from tests.web_support import wait_served

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """The console of a fresh install (knowledge-base copy, database, one staff account)
    served by `python -m bot web` on a free port; yields (base URL, database, kb folder)."""
    kb = Path(shutil.copytree(SMALL_KB, tmp_path / "kb"))
    config = tmp_path / "config.toml"
    text = (ROOT / "config.toml").read_text().replace('dir = "knowledge"', f'dir = "{kb}"')
    config.write_text(text.replace('cache_dir = ".cache"', f'cache_dir = "{tmp_path / "c"}"'))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FAQ_BOT_SECOND_ENCODER": "none"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    base = [sys.executable, "-m", "bot", "--config", str(config)]
    for args, stdin in (
        (["staff", "add", "sam", "--role", "staff"], ""),
        (["staff", "password", "sam"], PASSWORD + "\n"),
    ):
        subprocess.run(base + args, input=stdin, text=True, env=env, check=True, timeout=60)
    database = tmp_path / "data" / "bot.db"
    with Storage.open(database) as storage:
        for user in (1, 2):
            storage.log_interaction(
                user_id=user, chat_type="private", language="en", channel="terminal",
                question="how do I get a corporate account at a bank", status="unanswered",
            )  # fmt: skip
    port = free_port()
    log = tmp_path / "web.log"
    proc = subprocess.Popen(
        [*base, "web", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_served(url + "/login", proc, log)
        yield url, database, kb
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_web_command_serves_the_console(served):
    url, _, _ = served
    response = httpx.get(url + "/login")
    assert response.status_code == 200 and "Log in" in response.text
    assert httpx.get(url + "/inbox").status_code == 303
    assert httpx.get(url + "/static/console.css").status_code == 200


@pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None, reason="playwright is not installed"
)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium (apt-get install chromium)")
async def test_browser_login_then_attach(served, tmp_path):
    from playwright.async_api import async_playwright

    url, database, kb = served
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await page.goto(url + "/inbox")
            assert page.url.endswith("/login")
            await page.fill("input[name=name]", "sam")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(url + "/inbox")
            assert "2 people in 1 language" in await page.inner_text("main")
            await page.check("input[name=entry][value=bank-account]")  # offered: no id typed
            await page.click("text=Attach to the chosen entry")
            await page.wait_for_selector(".message")
            message = await page.inner_text(".message")
            await page.screenshot(path=str(tmp_path / "attached.png"))
        finally:
            await browser.close()
    assert "The knowledge base is reloaded" in message
    assert "Nothing waiting" in await_text(url)
    with Storage.open(database) as storage:
        assert {r["status"] for r in storage.list_unanswered(status=None)} == {"resolved"}
    assert "corporate account at a bank" in (kb / "money.yaml").read_text()


async def log_in(page, url: str) -> None:
    """Log in as sam through the real form; lands on the inbox."""
    await page.goto(url + "/login")
    await page.fill("input[name=name]", "sam")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(url + "/inbox")


def await_text(url: str) -> str:
    """The inbox as a fresh, logged-in client sees it."""
    with httpx.Client(base_url=url) as client:
        import re

        page = client.get("/login").text
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token
        client.post("/login", data={"name": "sam", "password": PASSWORD, "csrf": token[1]})
        return client.get("/inbox").text


@pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None, reason="playwright is not installed"
)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium (apt-get install chromium)")
async def test_browser_closes_a_gap_by_new_entry(served, tmp_path):
    """Close a gap by a new entry: from the inbox's group to an entry the running bot
    serves, without a restart. Prints the clicks and seconds it takes."""
    from playwright.async_api import async_playwright

    url, database, kb = served
    with Storage.open(database) as storage:
        for user, question in (
            (3, "Where do I get a dog licence?"),
            (4, "Where can I get a dog licence?"),
        ):
            storage.log_interaction(
                user_id=user, chat_type="private", language="en", channel="terminal",
                question=question, status="unanswered",
            )  # fmt: skip
    shots = Path(os.environ.get("SCREENSHOTS") or tmp_path)  # to look at them: SCREENSHOTS=dir
    clicks = 0
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await log_in(page, url)
            started = time.monotonic()
            group = page.locator("section.cluster", has_text="dog licence")
            await group.get_by_role("link", name="New entry").click()
            clicks += 1
            await page.wait_for_selector("textarea[name=answer]")
            assert "dog licence" in await page.input_value("input[name=question]")
            assert await page.locator("input[name=ids]:checked").count() == 2
            await page.screenshot(path=str(shots / "new-entry-form.png"), full_page=True)
            zh = page.locator("details.language", has=page.locator("#lang-zh"))
            assert await zh.get_attribute("open") is None
            await page.click("nav.language-tabs a[href='#lang-zh']")  # a tab: opens its section
            await zh.locator("textarea[name=tr-zh-answer]").wait_for(state="visible")
            await page.fill("textarea[name=answer]", "At the district police station.")
            await page.fill("input[name=tags]", "pets")
            await page.select_option("select[name=topic]", "people")
            await page.click("text=Create entry")
            clicks += 1
            await page.wait_for_selector(".message")
            seconds = time.monotonic() - started
            message = await page.inner_text(".message")
            new_id = page.url.split("/entries/")[1].split("?")[0]
            await page.screenshot(path=str(shots / "new-entry-saved.png"), full_page=True)
            await page.fill("input[name=try]", "where can I get a licence for my dog")
            await page.click("form.try button")
            await page.wait_for_selector(".tried")
            await page.set_viewport_size({"width": 390, "height": 844})  # a phone
            await page.screenshot(path=str(shots / "new-entry-phone.png"), full_page=True)
            tried = await page.inner_text(".tried")
            await page.click("text=History")
            history = await page.inner_text("main")
            await page.screenshot(path=str(shots / "new-entry-history.png"), full_page=True)
        finally:
            await browser.close()
    print(
        f"\nclose a gap by new entry: {clicks} clicks and 3 fields filled (answer, tags, topic),"
        f" {seconds:.1f} s from the inbox to the live entry"
    )
    assert "the bot serves it now" in message and "2 questions resolved" in message
    assert f"Answered by {new_id}" in tried and "district police station" in tried
    assert "sam · created" in history and "+    answer: At the district police station." in history
    assert f"- id: {new_id}" in (kb / "people.yaml").read_text()
    with Storage.open(database) as storage:
        dog = [r for r in storage.list_unanswered(status=None) if "dog" in r["question"]]
        assert {r["status"] for r in dog} == {"resolved"}


@pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None, reason="playwright is not installed"
)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium (apt-get install chromium)")
async def test_browser_adds_ticked_choices_and_sets_the_rest_aside(served, tmp_path):
    """On "Chosen by users", staff untick a wording that does not mean the entry, add the
    others to its phrasings (the running bot reloads), then set the unticked one aside."""
    from playwright.async_api import async_playwright

    url, database, kb = served
    with Storage.open(database) as storage:
        for user, wording in ((1, "account for my trading firm"), (2, "which cafe has wifi")):
            storage.log_choice(
                user_id=user, language="en", question=wording, entry_id="bank-account"
            )
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await log_in(page, url)
            await page.click("text=2 suggestions chosen by users wait for review.")
            await page.wait_for_url(url + "/choices")
            group = page.locator("section.chosen", has_text="bank-account")
            await group.get_by_label("which cafe has wifi").uncheck()
            await group.get_by_role("button", name="Add the ticked wordings to this entry").click()
            await page.wait_for_selector(".message")
            added = await page.inner_text(".message")
            await page.screenshot(path=str(tmp_path / "chosen.png"))
            group = page.locator("section.chosen", has_text="bank-account")
            await group.get_by_role("button", name="Set the ticked wordings aside").click()
            await page.wait_for_selector(".message")
            aside = await page.inner_text(".message")
            left = await page.inner_text("main")
        finally:
            await browser.close()
    assert "Added 1 wording to bank-account" in added and "reloaded" in added
    assert "Set aside 1 choice." in aside and "Nothing waiting." in left
    topic = (kb / "money.yaml").read_text(encoding="utf-8")
    assert "account for my trading firm" in topic and "cafe" not in topic
    with Storage.open(database) as storage:
        statuses = {r["question"]: r["status"] for r in storage.list_choices(status=None)}
    assert statuses == {"account for my trading firm": "accepted", "which cafe has wifi": "ignored"}


@pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None, reason="playwright is not installed"
)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium (apt-get install chromium)")
async def test_browser_marks_a_question_off_topic(served, tmp_path):
    """Staff press "Off-topic" on a group: it leaves the inbox, its wording becomes an
    example in the knowledge base's offtopic.yaml, and the running bot has learnt it."""
    from playwright.async_api import async_playwright

    url, database, kb = served
    question = "will my flight to Bali be delayed by the typhoon"
    with Storage.open(database) as storage:
        storage.log_interaction(
            user_id=3, chat_type="private", language="en", channel="terminal",
            question=question, status="unanswered",
        )  # fmt: skip
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await log_in(page, url)
            group = page.locator("section.cluster", has_text="typhoon")
            await group.get_by_role("button", name="Off-topic").click()
            await page.wait_for_selector(".message")
            message = await page.inner_text(".message")
            await page.screenshot(path=str(tmp_path / "offtopic.png"))
            inbox = await_text(url)
            learnt = (kb / "offtopic.yaml").read_text(encoding="utf-8")
            with Storage.open(database) as storage:
                marked = {r["question"]: r["status"] for r in storage.list_unanswered(status=None)}
            await page.get_by_role("button", name="Undo").click()  # changed their mind
            await page.wait_for_selector("text=back in the inbox")
            undone = await page.inner_text(".message")
            await page.screenshot(path=str(tmp_path / "offtopic-undone.png"))
            back = await page.locator("section.cluster", has_text="typhoon").count()
        finally:
            await browser.close()
    assert "Marked 1 question off-topic" in message and "reloaded" in message
    assert "typhoon" not in inbox and "corporate account at a bank" in inbox
    assert question in learnt and marked[question] == "ignored"
    assert "Put 1 question back in the inbox. 1 example taken out" in undone and back == 1
    assert question not in (kb / "offtopic.yaml").read_text(encoding="utf-8")
    with Storage.open(database) as storage:
        statuses = {r["question"]: r["status"] for r in storage.list_unanswered(status=None)}
    assert statuses[question] == "new"


@pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None, reason="playwright is not installed"
)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium (apt-get install chromium)")
async def test_browser_moves_deletes_and_restores_an_entry(served, tmp_path):
    """From an entry's page: move it to another topic, delete it (a confirmation page
    first), then bring it back from its history; the served bot follows each step."""
    from playwright.async_api import async_playwright

    url, database, kb = served
    shots = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await log_in(page, url)
            await page.goto(url + "/entries/fapiao")
            await page.select_option("form.move select[name=topic]", "people")
            await page.click("form.move button")
            await page.get_by_role("button", name="Move entry").click()  # the confirmation
            await page.wait_for_selector(".message")
            moved = await page.inner_text(".message")
            await page.click("text=Delete this entry…")
            await page.wait_for_selector("ul.consequences")
            await page.screenshot(path=str(shots / "entry-delete.png"), full_page=True)
            await page.get_by_role("button", name="Delete entry").click()
            await page.wait_for_selector(".message")
            deleted = await page.inner_text(".message")
            listing = await page.inner_text("main")
            await page.click("#deleted ~ table a:has-text('fapiao')")
            await page.get_by_role("button", name="Restore this entry").click()
            await page.wait_for_selector(".message")
            restored = await page.inner_text(".message")
            await page.screenshot(path=str(shots / "entry-restored.png"), full_page=True)
            await page.fill("input[name=try]", "What is a fapiao?")
            await page.click("form.try button")
            await page.wait_for_selector(".tried")
            tried = await page.inner_text(".tried")
        finally:
            await browser.close()
    assert "Moved fapiao from money.yaml to people.yaml" in moved
    assert "the bot no longer serves it" in deleted and "Deleted entries" in listing
    assert "the bot serves it now" in restored and "Answered by fapiao" in tried
    assert "- id: fapiao" in (kb / "people.yaml").read_text(encoding="utf-8")
    assert "- id: fapiao" not in (kb / "money.yaml").read_text(encoding="utf-8")


# Once the form is sent: the save button's words and state as the page shows them while the
# save is under way (kept in sessionStorage, which outlives the page), and the form sent
# once more, as a second click would.
WATCH_THE_SAVE = """() => {
  let watched = false;
  window.addEventListener("submit", () => setTimeout(() => {
    if (watched) { return; }
    watched = true;
    const button = document.querySelector("form.saves button[value=save]");
    sessionStorage.setItem("seen", JSON.stringify([button.textContent, button.disabled]));
    button.form.requestSubmit();
  }, 0));
}"""


@pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None, reason="playwright is not installed"
)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium (apt-get install chromium)")
async def test_browser_a_slow_save_says_saving_and_is_sent_once(served):
    """A save took 10-70 s on a busy machine with nothing to show for it, and a second
    click sent the form again. Now the button says "Saving…", and the form goes once."""
    import asyncio

    from playwright.async_api import async_playwright

    url, _, kb = served
    posts: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await log_in(page, url)
            await page.goto(url + "/entries/fapiao")

            async def slow(route):  # the server is busy: the answer takes a while
                if route.request.method == "POST":
                    posts.append(route.request.post_data or "")
                    await asyncio.sleep(1)
                await route.continue_()

            await page.route("**/entries/fapiao", slow)
            await page.evaluate(WATCH_THE_SAVE)
            await page.fill("textarea[name=notes]", "Ask for the buyer's tax number.")
            await page.locator("form.saves button[value=save]").dblclick()
            await page.wait_for_selector(".message", timeout=60_000)
            message = await page.inner_text(".message")
            seen = await page.evaluate("sessionStorage.getItem('seen')")
        finally:
            await browser.close()
    assert seen == '["Saving…",true]'
    assert len(posts) == 1, posts
    assert "action=save" in posts[0]  # the pressed button's value still went with the form
    assert "the bot serves it now" in message
    assert "Ask for the buyer's tax number." in (kb / "money.yaml").read_text()


@pytest.mark.skipif(
    importlib.util.find_spec("playwright") is None, reason="playwright is not installed"
)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium (apt-get install chromium)")
async def test_browser_a_new_entry_without_tags_is_held_by_the_form(served):
    """ "Tags" had to be filled in but the form let it go empty, and only the server said so.
    Now the browser holds the form at the empty required field, sends nothing and keeps
    what was typed; the field shows its * marker."""
    from playwright.async_api import async_playwright

    url, _, kb = served
    posts: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await log_in(page, url)
            await page.goto(url + "/entries/new")
            page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
            await page.fill("input[name=id]", "printing")
            await page.select_option("select[name=topic]", "people")
            await page.fill("input[name=question]", "Where can I print documents?")
            await page.fill("textarea[name=alternates]", "printer")
            await page.fill("textarea[name=answer]", "At the front desk.")
            await page.click("text=Create entry")
            await page.wait_for_timeout(500)
            held = await page.evaluate(
                "[document.activeElement.name, document.querySelector('input[name=tags]')"
                ".validity.valueMissing]"
            )
            label = await page.inner_text("label:has(input[name=tags])")
            typed = await page.input_value("textarea[name=answer]")
        finally:
            await browser.close()
    assert posts == [] and held == ["tags", True]
    assert label.startswith("Tags (separated by commas) *")
    assert typed == "At the front desk."
    assert "printing" not in (kb / "people.yaml").read_text()


async def test_browser_chinese_staff_work_table_keeps_names_whole(served, tmp_path):
    """The Chinese report's Staff work table at 1280 px: its first column was squeezed to one
    character a line ("工/作/人/员") and the table ran past its section. Names now stay on one
    line, the table fits at 1280 px, and on a phone it scrolls inside its section."""
    from playwright.async_api import async_playwright

    url, database, _ = served
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FAQ_BOT_SECOND_ENCODER": "none"}
    base = [sys.executable, "-m", "bot", "--config", str(tmp_path / "config.toml")]
    for args, stdin in (
        (["staff", "add", "mia", "--role", "manager"], ""),
        (["staff", "password", "mia"], PASSWORD + "\n"),
        (["unanswered", "ignore", "1", "--as", "王小明"], ""),
    ):
        subprocess.run(base + args, input=stdin, text=True, env=env, check=True, timeout=60)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.goto(url + "/login")
            await page.fill("input[name=name]", "mia")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(url + "/**")
            await page.context.add_cookies([{"name": "console_lang", "value": "zh", "url": url}])
            measure = """() => {
                const table = document.querySelector('table.staff-work');
                const line = (el) => parseFloat(getComputedStyle(el).lineHeight)
                    || parseFloat(getComputedStyle(el).fontSize) * 1.6;
                const first = [...table.querySelectorAll('tr > :first-child')];
                return {
                    lines: first.map((c) => {  // the text's own height, not its row's
                        const range = document.createRange();
                        range.selectNodeContents(c);
                        return range.getBoundingClientRect().height / line(c);
                    }),
                    texts: first.map((c) => c.innerText),
                    table: table.getBoundingClientRect().width,
                    section: table.closest('section').clientWidth,
                    box: table.parentElement.clientWidth,
                    boxScroll: table.parentElement.scrollWidth,
                    own: table.clientWidth,  // on a phone the table is its own scroller
                    ownScroll: table.scrollWidth,
                    page: document.documentElement.scrollWidth,
                };
            }"""
            await page.goto(url + "/reports")
            wide = await page.evaluate(measure)
            await page.locator("table.staff-work").screenshot(path=str(tmp_path / "wide.png"))
            await page.set_viewport_size({"width": 390, "height": 800})
            narrow = await page.evaluate(measure)
        finally:
            await browser.close()
    assert "王小明 (CLI)" in wide["texts"] and "全体工作人员" in wide["texts"]
    assert max(wide["lines"]) < 1.5, wide  # one line each
    assert wide["table"] <= wide["section"] and wide["page"] <= 1280, wide
    assert max(narrow["lines"]) < 1.5, narrow
    assert narrow["page"] <= 390, narrow  # the page does not scroll sideways: the table does
    assert narrow["table"] <= narrow["section"], narrow
    assert narrow["ownScroll"] > narrow["own"] or narrow["boxScroll"] > narrow["box"], narrow
