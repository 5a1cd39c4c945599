"""The staff console through its ASGI client: a real SQLite file, a real knowledge-base copy."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.accounts import MAX_FAILURES
from bot.answering import build_answerer
from bot.knowledge import load_knowledge
from bot.web.app import PUBLIC_PATHS, route_roles
from tests.web_support import *  # noqa: F403  (the fixtures)
from tests.web_support import PASSWORD, ask, csrf_of, flash_of, login, make_client, queued

# Every route refuses the anonymous and the wrong role ------------------------------------


def test_every_route_refuses_anonymous_and_wrong_role(client):
    routes = route_roles(client.app)
    assert {path for path, _, _ in routes} >= {
        "/inbox",
        "/inbox/attach",
        "/inbox/ignore",
        "/inbox/offtopic",
    }
    for path, methods, role in routes:
        if path.startswith(PUBLIC_PATHS):
            assert role is None
            continue
        assert role in ("manager", "staff"), f"{path} has no required role"
        for method in methods - {"HEAD"}:
            response = client.request(method, path, data={"ids": "1", "csrf": "x"})
            # a POST gets the login page (401), which keeps a form sent from our own pages
            assert response.status_code in (303, 401), (method, path)
            if response.status_code == 401:
                assert 'action="/login"' in response.text, (method, path)
            if response.status_code == 303:
                assert response.headers["location"] == "/login"
    login(client, "mia")  # a manager
    for path, methods, role in routes:
        if role != "staff":
            continue
        for method in methods - {"HEAD"}:
            page = client.get("/inbox").text
            response = client.request(method, path, data={"ids": "1", "csrf": csrf_of(page)})
            assert response.status_code == 403, (method, path)
            assert "role (manager)" in response.text
    assert any(role == "staff" for _, _, role in routes)


def test_manager_reads_inbox_without_action_forms(client, storage):
    ask(storage, "Where do I get a dog licence?", 1)
    assert login(client, "mia").status_code == 303
    page = client.get("/inbox")
    assert page.status_code == 200
    assert "dog licence" in page.text
    assert "/inbox/attach" not in page.text and "/inbox/ignore" not in page.text


# Logging in --------------------------------------------------------------------------------


def test_login_sets_a_safe_cookie_and_logout_ends_the_session(client):
    response = login(client, "sam")
    assert response.status_code == 303 and response.headers["location"] == "/inbox"
    cookie = [h for h in response.headers.get_list("set-cookie") if "console_session" in h][0]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    page = client.get("/inbox")
    assert page.status_code == 200 and "sam (staff)" in page.text
    old = client.cookies["console_session"]
    assert client.post("/logout", data={"csrf": csrf_of(page.text)}).status_code == 303
    client.cookies.set("console_session", old)  # a copy of the cookie is no use any more
    assert client.get("/inbox").status_code == 303


def test_secure_cookies_when_configured(config, storage, accounts, small_answerer):
    secure = replace(config, web=replace(config.web, secure_cookies=True))
    with make_client(secure, storage, accounts, small_answerer) as client:
        client.base_url = "https://testserver"
        response = login(client, "sam")
    cookie = [h for h in response.headers.get_list("set-cookie") if "console_session" in h][0]
    assert "Secure" in cookie


def test_pages_forbid_framing_and_caching(client):
    headers = client.get("/login").headers
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"


def test_wrong_password_and_forged_cookie_are_refused(client):
    response = login(client, "sam", "wrong password!")
    assert response.status_code == 401 and "Wrong name or password" in response.text
    assert login(client, "nobody").status_code == 401
    client.cookies.set("console_session", "forged.value")
    assert client.get("/inbox").status_code == 303


def test_login_without_csrf_token_is_refused(client):
    client.get("/login")
    response = client.post("/login", data={"name": "sam", "password": PASSWORD, "csrf": "x"})
    assert response.status_code == 403
    assert "console_session" not in client.cookies


def test_post_without_the_sessions_csrf_token_changes_nothing(client, storage):
    ask(storage, "Where do I get a dog licence?", 1)
    login(client, "sam")
    for token in ("", "not-the-token"):
        response = client.post("/inbox/ignore", data={"ids": "1", "csrf": token})
        assert response.status_code == 403
    assert queued(storage) == {1: "new"}


def test_failed_logins_are_rate_limited_per_name_and_per_address(client, accounts, clock):
    for _ in range(MAX_FAILURES):
        assert login(client, "sam", "wrong password!").status_code == 401
    # the right password is refused too, until the window has passed
    response = login(client, "sam")
    assert response.status_code == 429 and "Too many failed logins" in response.text
    # the same address is locked out for the other account as well
    assert login(client, "mia").status_code == 429
    clock.now += timedelta(minutes=16)
    assert login(client, "sam").status_code == 303


def test_a_refused_login_keeps_the_name_and_the_name_is_in_any_case(client, accounts):
    """A wrong password cleared the Name field, and "Sam" was refused for "sam". Now the
    name typed stays (the password field has the focus), any case logs in as the account,
    and failures in another case count for the same account."""
    refused = login(client, "Sam", "wrong password!")
    assert refused.status_code == 401 and "Wrong name or password." in refused.text
    assert 'name="name" autocomplete="username" required value="Sam">' in refused.text
    assert 'type="password" autocomplete="current-password" required autofocus>' in refused.text
    assert login(client, "SAM").status_code == 303
    assert "sam (staff)" in client.get("/inbox").text
    for n in range(MAX_FAILURES - 1):
        assert accounts.login("sAm", "wrong password!", f"10.0.0.{n}", 1) is None
    assert accounts.login("sam", PASSWORD, "10.0.0.99", 1) is None  # locked, whatever case


def test_failed_logins_for_a_name_lock_it_from_other_addresses(accounts):
    for n in range(MAX_FAILURES):
        assert accounts.login("sam", "wrong password!", f"10.0.0.{n}", 1) is None
    assert accounts.login("sam", PASSWORD, "10.0.0.99", 1) is None
    assert accounts.login("mia", PASSWORD, "10.0.0.99", 1) is not None


def test_sessions_expire(client, clock, config):
    login(client, "sam")
    assert client.get("/inbox").status_code == 200
    clock.now += timedelta(hours=config.web.session_hours) - timedelta(minutes=1)
    assert client.get("/inbox").status_code == 200
    clock.now += timedelta(minutes=2)
    response = client.get("/inbox")
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_removed_account_loses_its_session(client, accounts):
    login(client, "sam")
    assert client.get("/entries").status_code == 200
    accounts.remove("sam", actor="admin")
    assert client.get("/entries").status_code == 303


def test_staff_change_their_own_password_in_the_browser(client, accounts, config, storage):
    from bot.accounts import MIN_PASSWORD

    login(client, "mia")  # a manager: every account may change its own password
    page = client.get("/account").text
    assert 'href="/account">mia (manager)</a>' in page and 'name="current"' in page
    with make_client(config, storage, accounts, None) as other:  # another browser
        login(other, "mia")
        assert other.get("/inbox").status_code == 200
        token = csrf_of(page)
        new = "a much better passphrase"

        def change(current: str, new: str, again: str):
            data = {"csrf": token, "current": current, "new": new, "again": again}
            return client.post("/account/password", data=data)

        for (current, typed, again), error in (
            ((PASSWORD, new, new + "!"), "The two new passwords differ."),
            ((PASSWORD, "short", "short"), f"A password needs {MIN_PASSWORD} to"),
            (("not my password", new, new), "The current password is not right."),
        ):
            refused = change(current, typed, again)
            assert refused.status_code == 303 and flash_of(client, refused, "error").startswith(
                error
            )
        assert other.get("/inbox").status_code == 200  # nothing changed yet
        done = change(PASSWORD, new, new)
        assert flash_of(client, done).startswith("Password changed")
        assert client.get("/inbox").status_code == 200  # this session stays
        assert other.get("/inbox").status_code == 303  # the other one ended
    client.cookies.clear()
    assert login(client, "mia").status_code == 401
    assert login(client, "mia", new).status_code == 303
    [row] = [r for r in accounts.audit_log() if r["action"] == "staff.password"][:1]
    assert row["actor"] == "mia" and row["target"] == "mia"
    # a wrong current password counts as a failed login: the form cannot be used to guess
    token = csrf_of(client.get("/account").text)
    for _ in range(5):
        client.post(
            "/account/password", data={"csrf": token, "current": "guess", "new": new, "again": new}
        )
    locked = client.post(
        "/account/password", data={"csrf": token, "current": new, "new": new, "again": new}
    )
    assert "Too many failed logins" in flash_of(client, locked, "error")
    client.cookies.set("console_lang", "zh")
    assert "修改密码" in client.get("/account").text


# Inbox, entries, audit ---------------------------------------------------------------------


@pytest.fixture
def live(config, storage, accounts, small_kb_dir, encoder):
    """A client over a writable knowledge-base copy, served by a real answerer."""
    cfg = replace(config, knowledge=replace(config.knowledge, dir=small_kb_dir))
    answerer = build_answerer(cfg, None, storage, encoder=encoder)
    with make_client(cfg, storage, accounts, answerer) as client:
        client.holder = client.app.state.console.holder
        yield client


def test_inbox_groups_questions_across_languages_biggest_first(live, storage):
    ask(storage, "How can I renew my residence permit?", 1)
    ask(storage, "How do I renew my residence permit?", 2)
    ask(storage, "Как продлить вид на жительство?", 3, "ru")
    ask(storage, "Can I bring my cat to the office?", 4)
    login(live, "sam")
    page = live.get("/inbox").text
    sections = page.split('<section class="cluster"')[1:]
    assert len(sections) == 2
    assert "3 people in 2 languages" in sections[0] and "Как продлить" in sections[0]
    assert "cat to the office" in sections[1]


def test_the_inbox_shows_a_page_of_groups_each_with_candidates(live, storage, monkeypatch):
    from bot.web import views

    monkeypatch.setattr(views, "INBOX_PAGE", 2)
    for user, question in enumerate(
        [
            "How do I renew my residence permit?",
            "How can I renew my residence permit?",
            "how do I get a corporate account at a bank",
            "Can I bring my cat to the office?",
            "Where do I buy a ticket for the opera?",
            "What time does the gym open?",
        ]
    ):
        ask(storage, question, user)
    login(live, "sam")
    first = live.get("/inbox").text
    assert "5 groups of questions" in first and first.count('<section class="cluster"') == 2
    assert '<a href="/inbox?page=3">3</a>' in first and "<strong>1</strong>" in first
    pages = [first] + [live.get(f"/inbox?page={n}").text for n in (2, 3)]
    sections = [s for page in pages for s in page.split('<section class="cluster"')[1:]]
    assert len(sections) == 5 and pages[2].count('<section class="cluster"') == 1
    assert all('name="entry"' in s for s in sections)  # every page offers entries
    bank = next(p for p in pages if "corporate account at a bank" in p)
    assert 'name="entry" value="bank-account"' in bank
    # a search from a group on page 3 comes back to page 3, and a page past the end is the last
    cid = re.search(r'id="cluster-(\d+)"', pages[2])[1]
    found = live.get(f"/inbox?for={cid}&find=fapiao").text
    assert f'id="cluster-{cid}"' in found and "<strong>3</strong>" in found
    assert '<input type="hidden" name="page" value="3">' in found
    assert live.get("/inbox?page=99").text.count('<section class="cluster"') == 1
    assert live.get("/inbox?page=x").text.count('<section class="cluster"') == 2


def test_a_group_s_forms_carry_its_ids_as_one_value(live, storage):
    """Each inbox form holds the group's ids joined ("4,2,1"), not one field each: with
    thousands of queued questions the page stays a fraction of the size."""
    from bot.web.app import id_list

    for user in (1, 2, 3):
        ask(storage, "How do I renew my residence permit?", user)
    ids = list(queued(storage))
    login(live, "sam")
    page = live.get("/inbox").text
    [joined] = set(re.findall(r'name="ids" value="([\d,]+)"', page))
    assert sorted(id_list([joined])) == sorted(ids) and page.count(f'value="{joined}"') == 4
    assert f'href="/entries/new?ids={joined}"' in page
    new_entry = live.get(f"/entries/new?ids={joined}").text
    assert all(f'name="ids" value="{i}" checked' in new_entry for i in ids)
    done = live.post("/inbox/ignore", data={"ids": joined, "csrf": csrf_of(page)})
    assert flash_of(live, done).startswith("Ignored 3")
    assert id_list(["1, 2", "3"]) == [1, 2, 3] and id_list(["1,x"]) == [] and id_list([""]) == []


def test_a_group_lists_each_wording_once_with_how_often_it_was_asked(live, storage):
    for user in range(5):
        ask(storage, "How do I renew my residence permit?", user)
    for n in range(22):
        ask(storage, f"residence permit renewal question number {n}", 100 + n)
    login(live, "sam")
    sections = live.get("/inbox").text.split('<section class="cluster"')[1:]
    [renew] = [s for s in sections if "How do I renew my residence permit?" in s]
    assert renew.count("<li>") == 1 and "×5" in renew  # one wording, asked 5 times
    [numbered] = [s for s in sections if "number 11" in s]
    shown, rest = numbered.split('<details class="more-wordings">')
    assert shown.count("<li>") == 20 and "2 more wordings" in rest
    listed = numbered.split("<ul>", 1)[1]  # not the heading
    assert sum(listed.count(f"number {n}<") for n in range(22)) == 22


def test_attach_adds_phrasings_resolves_and_reloads(live, storage, small_kb_dir, accounts):
    ask(storage, "how do I get a corporate account at a bank", 1)
    ask(storage, "how do I get a corporate account at a bank", 2)
    login(live, "sam")
    page = live.get("/inbox").text
    assert 'name="entry" value="bank-account"' in page  # offered first: no id to type
    before = live.holder.answerer
    response = live.post(
        "/inbox/attach", data={"ids": ["1"], "entry": "bank-account", "csrf": csrf_of(page)}
    )
    assert response.status_code == 303
    message = live.get(response.headers["location"]).text
    said = "Added 1 question to bank-account (money.yaml). 2 questions resolved."
    assert f"{said} The knowledge base is reloaded." in message
    assert queued(storage) == {1: "resolved", 2: "resolved"}
    kb = load_knowledge(small_kb_dir, "en")
    assert "how do I get a corporate account at a bank" in kb.by_id["bank-account"].alternates
    assert live.holder.answerer is not before
    answer = live.holder.answerer.ask("how do I get a corporate account at a bank")
    assert answer.id == "bank-account" and answer.status == "answered"
    [row] = [r for r in accounts.audit_log() if r["action"].startswith("unanswered.")]
    assert (row["actor"], row["target"]) == ("sam", "bank-account")
    assert '"status": "new"' in row["before"] and '"resolved"' in row["after"]
    assert "unanswered.attach" in live.get("/audit").text


def test_attach_to_unknown_entry_changes_nothing(live, storage, small_kb_dir):
    ask(storage, "how do I get a corporate account at a bank", 1)
    files = {p.name: p.read_text() for p in small_kb_dir.glob("*.yaml")}
    login(live, "sam")
    token = csrf_of(live.get("/inbox").text)
    response = live.post("/inbox/attach", data={"ids": "1", "entry": "bank-acount", "csrf": token})
    page = live.get(response.headers["location"]).text
    assert "unknown entry id" in page and "bank-account" in page and "Nothing changed" in page
    assert queued(storage) == {1: "new"}
    assert files == {p.name: p.read_text() for p in small_kb_dir.glob("*.yaml")}


def test_a_stale_page_cannot_resolve_a_question_twice(live, storage, small_kb_dir, accounts):
    """A group attached to an entry (or set aside) in one tab stays as it is when a stale
    page or a second tab attaches it to another entry, ignores it or marks it off-topic: the
    console says what was done to it and changes nothing. The same entry again is done."""
    question = "how do I get a corporate account at a bank"
    ask(storage, question, 1)
    ask(storage, question, 2)
    login(live, "sam")
    stale = live.get("/inbox").text
    token = csrf_of(stale)
    first = live.post("/inbox/attach", data={"ids": "1,2", "entry": "bank-account", "csrf": token})
    assert "Added 1 question to bank-account" in flash_of(live, first)
    files = {p.name: p.read_text() for p in small_kb_dir.glob("*.yaml")}
    audited = len(accounts.audit_log())
    for path, data in (
        ("/inbox/attach", {"entry": "work-permit"}),
        ("/inbox/ignore", {}),
        ("/inbox/offtopic", {}),
    ):
        again = live.post(path, data={"ids": "1,2", "csrf": token, **data})
        error = flash_of(live, again, "error")
        assert (
            "question #1 was added to “How do I open a company bank account?” (bank-account)"
            in error
        ), path
        assert error.endswith("Nothing changed."), path
        assert queued(storage) == {1: "resolved", 2: "resolved"}, path
    assert files == {p.name: p.read_text() for p in small_kb_dir.glob("*.yaml")}
    assert not (small_kb_dir / "offtopic.yaml").exists()
    kb = load_knowledge(small_kb_dir, "en")
    assert question not in kb.by_id["work-permit"].alternates
    same = live.post("/inbox/attach", data={"ids": "1,2", "entry": "bank-account", "csrf": token})
    assert flash_of(live, same) == (
        "These questions were already added to bank-account; nothing changed."
    )
    assert len(accounts.audit_log()) == audited  # nothing done, nothing audited
    # set aside in one tab: another tab's attach is refused, a second ignore is done
    ask(storage, "Can I bring my cat to the office?", 3)
    assert live.post("/inbox/ignore", data={"ids": "3", "csrf": token}).status_code == 303
    late = live.post("/inbox/attach", data={"ids": "3", "entry": "office-hours", "csrf": token})
    assert "question #3 was ignored by sam" in flash_of(live, late, "error")
    twice = live.post("/inbox/ignore", data={"ids": "3", "csrf": token})
    assert flash_of(live, twice) == "These questions were already set aside; nothing changed."
    assert queued(storage)[3] == "ignored"
    assert files == {p.name: p.read_text() for p in small_kb_dir.glob("*.yaml")}


def test_off_topic_twice_is_done_once(live, storage, small_kb_dir):
    ask(storage, "what is the weather like in Hangzhou this weekend", 1)
    login(live, "sam")
    token = csrf_of(live.get("/inbox").text)
    live.post("/inbox/offtopic", data={"ids": "1", "csrf": token})
    examples = (small_kb_dir / "offtopic.yaml").read_text(encoding="utf-8")
    twice = live.post("/inbox/offtopic", data={"ids": "1", "csrf": token})
    assert flash_of(live, twice) == (
        "These questions were already marked off-topic; nothing changed."
    )
    assert (small_kb_dir / "offtopic.yaml").read_text(encoding="utf-8") == examples


def test_a_stale_off_topic_says_what_was_done_and_by_whom(live, storage, small_kb_dir, accounts):
    """Another tab had ignored the question: Off-topic from a stale page said "already marked
    off-topic" (its wording was an example already) or "set aside (ignored or off-topic)"."""
    accounts.add("ann", "staff", actor="admin")
    accounts.set_password("ann", PASSWORD, actor="admin")
    (small_kb_dir / "offtopic.yaml").write_text(
        'examples:\n  en:\n    - "will it snow in Harbin"\n'
    )
    ask(storage, "what is the weather like in Hangzhou this weekend", 1)
    ask(storage, "will it snow in Harbin", 2)
    ask(storage, "how to open a company bank account please", 3)
    ask(storage, "is the Hangzhou metro open at night", 4)
    login(live, "sam")
    token = csrf_of(live.get("/inbox").text)  # sam's page, before ann acts
    config = live.app.state.console.config
    with make_client(config, storage, accounts, live.holder.answerer) as other:
        login(other, "ann")
        theirs = csrf_of(other.get("/inbox").text)
        other.post("/inbox/ignore", data={"ids": "1", "csrf": theirs})
        other.post("/inbox/ignore", data={"ids": "2", "csrf": theirs})
        other.post("/inbox/attach", data={"ids": "3", "entry": "bank-account", "csrf": theirs})
        other.post("/inbox/offtopic", data={"ids": "4", "csrf": theirs})
    audited = len(accounts.audit_log())
    already = "Already done, on another page or by someone else: question #{} was {} by ann."
    for n in (1, 2):
        stale = live.post("/inbox/offtopic", data={"ids": str(n), "csrf": token})
        said = flash_of(live, stale, "error")
        assert said == already.format(n, "ignored") + " Nothing changed.", said
    stale = live.post("/inbox/offtopic", data={"ids": "3", "csrf": token})
    said = flash_of(live, stale, "error")
    assert said.startswith("Already done") and "(bank-account) by ann" in said
    stale = live.post("/inbox/offtopic", data={"ids": "4", "csrf": token})  # the same: done
    assert flash_of(live, stale).startswith("These questions were already marked off-topic")
    stale = live.post("/inbox/attach", data={"ids": "4", "entry": "fapiao", "csrf": token})
    assert flash_of(live, stale, "error").startswith(already.format(4, "marked off-topic"))
    assert queued(storage) == {1: "ignored", 2: "ignored", 3: "resolved", 4: "ignored"}
    assert len(accounts.audit_log()) == audited


def test_ignore_sets_the_group_aside_and_is_audited(client, storage, accounts):
    ask(storage, "Can I bring my cat to the office?", 1)
    ask(storage, "Can I bring my cat to the office?", 2)
    ask(storage, "Where do I get a dog licence?", 3)
    login(client, "sam")
    token = csrf_of(client.get("/inbox").text)
    response = client.post("/inbox/ignore", data={"ids": ["1"], "csrf": token})
    assert flash_of(client, response).startswith("Ignored 2")
    assert queued(storage) == {1: "ignored", 2: "ignored", 3: "new"}
    page = client.get("/inbox").text
    assert "dog licence" in page and "cat to the office" not in page
    [row] = [r for r in accounts.audit_log() if r["action"].startswith("unanswered.")]
    assert (row["actor"], row["action"]) == ("sam", "unanswered.ignore")


def test_ignore_unknown_id_changes_nothing(client, storage):
    ask(storage, "Can I bring my cat to the office?", 1)
    login(client, "sam")
    token = csrf_of(client.get("/inbox").text)
    response = client.post("/inbox/ignore", data={"ids": ["1", "99"], "csrf": token})
    assert "unknown" in client.get(response.headers["location"]).text
    assert queued(storage) == {1: "new"}


def test_off_topic_teaches_the_gate_reloads_and_is_audited(live, storage, small_kb_dir, accounts):
    question = "what is the weather like in Hangzhou this weekend"
    ask(storage, question, 1)
    ask(storage, question, 2)
    ask(storage, "Where do I get a dog licence?", 3)
    before = live.holder.answerer
    assert before.matcher.gate is None  # the small knowledge base has no offtopic.yaml
    login(live, "sam")
    page = live.get("/inbox").text
    assert 'action="/inbox/offtopic"' in page
    response = live.post("/inbox/offtopic", data={"ids": ["1"], "csrf": csrf_of(page)})
    assert response.status_code == 303
    message = live.get(response.headers["location"]).text
    assert "Marked 2 questions off-topic. 1 example added to offtopic.yaml" in message
    assert queued(storage) == {1: "ignored", 2: "ignored", 3: "new"}
    assert question in (small_kb_dir / "offtopic.yaml").read_text(encoding="utf-8")
    after = live.holder.answerer
    assert after is not before and after.matcher.gate is not None
    [best] = after.matcher.scores(question, limit=1)
    assert best.offtopic > after.config.matching.offtopic_threshold
    assert after.ask(question).status == "unanswered"
    [row] = [r for r in accounts.audit_log() if r["action"] == "unanswered.offtopic"]
    assert row["actor"] == "sam" and question in row["after"]


def test_off_topic_refuses_an_entrys_own_phrasing_and_changes_nothing(live, storage, small_kb_dir):
    ask(storage, "which bank should my company use", 1)  # an alternate of bank-account
    files = {p.name: p.read_text() for p in small_kb_dir.glob("*.yaml")}
    login(live, "sam")
    token = csrf_of(live.get("/inbox").text)
    response = live.post("/inbox/offtopic", data={"ids": ["1"], "csrf": token})
    page = live.get(response.headers["location"]).text
    assert "is a phrasing of entry" in page and "Nothing changed" in page
    assert queued(storage) == {1: "new"}
    assert files == {p.name: p.read_text() for p in small_kb_dir.glob("*.yaml")}
    assert not (small_kb_dir / "offtopic.yaml").exists()
    empty = live.post("/inbox/offtopic", data={"csrf": token})
    assert flash_of(live, empty, "error").startswith("Choose the questions")


def _form(html: str, action: str) -> dict[str, str]:
    """The hidden and ticked fields of the first form posting to `action`."""
    form = html.split(f'action="{action}"', 1)[1].split("</form>")[0]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    fields.update(re.findall(r'<input type="checkbox" name="(\w+)" value="([^"]*)" checked', form))
    return fields


def test_an_undo_puts_back_only_what_its_ignore_set_aside(client, storage):
    """A stale page's group holds a question another tab ignored already: Ignore sets the
    other one aside, and its Undo puts back that one only, not the first tab's."""
    ask(storage, "Can I bring my cat to the office?", 1)
    ask(storage, "Where do I get a dog licence?", 2)
    login(client, "sam")
    token = csrf_of(client.get("/inbox").text)
    client.post("/inbox/ignore", data={"ids": "1", "csrf": token})  # the other tab
    done = client.post("/inbox/ignore", data={"ids": ["1", "2"], "csrf": token})
    undo = _form(client.get(done.headers["location"]).text, "/inbox/restore")
    assert undo["ids"] == "2"
    client.post("/inbox/restore", data=undo)
    assert queued(storage) == {1: "ignored", 2: "new"}


def test_ignore_is_undone_from_its_message_and_restored_from_the_set_aside_list(
    client, storage, accounts
):
    """Ignore took a group out of the inbox at once, with no undo and nowhere to see it."""
    ask(storage, "Can I bring my cat to the office?", 1)
    ask(storage, "can I bring my CAT to the office", 2)
    ask(storage, "Where do I get a dog licence?", 3)
    login(client, "sam")
    token = csrf_of(client.get("/inbox").text)
    done = client.post("/inbox/ignore", data={"ids": "1", "csrf": token})
    page = client.get(done.headers["location"]).text
    assert "Ignored 2 questions." in page and "cat to the office" not in page
    undo = _form(page, "/inbox/restore")
    assert undo["ids"] == "1" and "unlearn" not in undo
    back = client.post("/inbox/restore", data=undo)
    assert back.headers["location"].startswith("/inbox?")
    assert flash_of(client, back) == "Put 2 questions back in the inbox."
    assert queued(storage) == {1: "new", 2: "new", 3: "new"}
    assert 'action="/inbox/restore"' not in client.get(back.headers["location"]).text
    client.post("/inbox/ignore", data={"ids": "2", "csrf": token})
    ask(storage, "Can I bring my cat to the office", 4)  # asked again: set aside at once
    listed = client.get("/inbox/set-aside").text
    assert 'href="/inbox/set-aside"' in client.get("/inbox").text
    row = listed.split('id="aside-4"')[1].split("</tr>")[0]
    assert "Can I bring my cat to the office" in row and "<td>3</td>" in row
    assert "dog licence" not in listed and "off-topic example" not in row
    restored = client.post("/inbox/restore", data=_form(row, "/inbox/restore"))
    assert restored.headers["location"].startswith("/inbox/set-aside?")
    assert "Put 3 questions back" in flash_of(client, restored)
    assert queued(storage) == {1: "new", 2: "new", 3: "new", 4: "new"}
    assert "Nothing set aside." in client.get("/inbox/set-aside").text
    actions = [r["action"] for r in accounts.audit_log() if r["action"].startswith("unanswered.")]
    assert actions == ["unanswered.restore", "unanswered.ignore"] * 2
    unknown = client.post("/inbox/restore", data={"ids": "99", "csrf": token})
    assert "unknown" in flash_of(client, unknown, "error")
    client.cookies.clear()
    login(client, "mia")  # a manager sees what was set aside, and cannot restore it
    client.post("/inbox/ignore", data={"ids": "1", "csrf": csrf_of(client.get("/inbox").text)})
    assert 'action="/inbox/restore"' not in client.get("/inbox/set-aside").text


def test_a_follow_up_set_aside_shows_the_question_it_followed(client, storage):
    """A short follow-up ("大概多少钱", roughly how much?) is shown with the question asked
    before it ("after: ...") in the inbox, on Handoffs, in `unanswered list` and in the staff
    chat, but not once set aside: staff deciding whether to restore it read the two words
    alone. Now each distinct question it followed is shown there too, newest first, the
    same way (上一个问题 in Chinese); a wording asked alone shows none."""
    bank, mark = "How do I open a company bank account?", "How do I register a trademark?"
    for user, after in ((1, bank), (2, mark), (3, mark), (4, None)):
        storage.log_interaction(
            user_id=user, chat_type="private", language="zh", question="大概多少钱",
            status="unanswered", channel="terminal", after=after,
        )  # fmt: skip
    ask(storage, "Where do I get a dog licence?", 5)
    login(client, "sam")
    token = csrf_of(client.get("/inbox").text)
    client.post("/inbox/ignore", data={"ids": "1,5", "csrf": token})
    listed = client.get("/inbox/set-aside").text
    [row] = [r for r in listed.split("<tr id=")[1:] if "大概多少钱" in r]
    shown = '<span class="asked-after">after: <q dir="auto">{}</q></span>'
    assert shown.format(mark) in row and shown.format(bank) in row
    assert row.index(mark) < row.index(bank) and row.count(mark) == 1
    [alone] = [r for r in listed.split("<tr id=")[1:] if "dog licence" in r]
    assert "asked-after" not in alone
    for user, after in ((6, "Visa?"), (7, "Rent?"), (8, "Tax?")):  # set aside when asked
        storage.log_interaction(
            user_id=user, chat_type="private", language="zh", question="大概多少钱",
            status="unanswered", channel="terminal", after=after,
        )  # fmt: skip
    listed = client.get("/inbox/set-aside").text
    [row] = [r for r in listed.split("<tr id=")[1:] if "大概多少钱" in r]
    assert row.count('class="asked-after"') == 3 and "Tax?" in row and bank not in row
    assert '<span class="note">2 more</span>' in row  # three shown, newest first
    client.cookies.set("console_lang", "zh")
    listed = client.get("/inbox/set-aside").text
    assert '上一个问题： <q dir="auto">Tax?</q>' in listed and "另外 2 项" in listed


def test_a_restore_done_in_another_tab_is_not_audited_again(client, storage, accounts):
    """Restore on a Set aside page whose questions another tab had restored already wrote an
    audit row for a change that did not happen."""
    ask(storage, "Can I bring my cat to the office?", 1)
    login(client, "sam")
    client.post("/inbox/ignore", data={"ids": "1", "csrf": csrf_of(client.get("/inbox").text)})
    tab_a, tab_b = (client.get("/inbox/set-aside").text for _ in range(2))
    client.post("/inbox/restore", data=_form(tab_a, "/inbox/restore"))
    assert queued(storage) == {1: "new"}
    audited = [r["action"] for r in accounts.audit_log()]
    stale = client.post("/inbox/restore", data=_form(tab_b, "/inbox/restore"))
    assert flash_of(client, stale) == (
        "These questions were already back in the inbox; nothing changed."
    )
    assert [r["action"] for r in accounts.audit_log()] == audited
    assert audited[0] == "unanswered.restore"


def test_off_topic_is_undone_with_its_example_and_the_gate_forgets_it(
    live, storage, small_kb_dir, accounts
):
    """Undoing an Off-topic takes its example out of offtopic.yaml again and reloads; the
    example that was there before is kept."""
    question = "what is the weather like in Hangzhou this weekend"
    ask(storage, question, 1)
    ask(storage, question, 2)
    ask(storage, "will it snow in Harbin", 3)
    offtopic_file = small_kb_dir / "offtopic.yaml"
    offtopic_file.write_text('examples:\n  en:\n    - "will it snow in Harbin"\n')
    login(live, "sam")
    token = csrf_of(live.get("/inbox").text)
    done = live.post("/inbox/offtopic", data={"ids": "1,3", "csrf": token})
    page = live.get(done.headers["location"]).text
    assert "1 example added to offtopic.yaml" in page
    assert question in offtopic_file.read_text(encoding="utf-8")
    marked = live.holder.answerer
    assert marked.matcher.scores(question, limit=1)[0].offtopic > 0.5
    undo = _form(page, "/inbox/restore")
    assert undo["ids"] == "1,3" and undo["unlearn"] == "1"  # only the example it added
    back = live.post("/inbox/restore", data=undo)
    message = flash_of(live, back)
    assert message.startswith("Put 3 questions back in the inbox. 1 example taken out")
    assert queued(storage) == {1: "new", 2: "new", 3: "new"}
    assert (
        offtopic_file.read_text(encoding="utf-8")
        == 'examples:\n  en:\n    - "will it snow in Harbin"\n'
    )
    assert live.holder.answerer is not marked  # reloaded: the gate learnt without it
    [row] = [r for r in accounts.audit_log() if r["action"] == "unanswered.restore"]
    assert question in row["after"]
    live.post("/inbox/offtopic", data={"ids": "2", "csrf": token})
    listed = live.get("/inbox/set-aside").text
    row_html = listed.split(question)[1].split("</tr>")[0]
    assert "off-topic example" in row_html
    restore = _form(
        listed.split(question)[0].rsplit("<tr", 1)[1] + question + row_html, "/inbox/restore"
    )
    assert restore["unlearn"]  # ticked: the example goes too
    live.post("/inbox/restore", data=restore)
    assert question not in offtopic_file.read_text(encoding="utf-8")
    assert queued(storage) == {1: "new", 2: "new", 3: "new"}


def test_an_old_undo_undoes_only_its_own_action(live, storage, small_kb_dir):
    """Ignore, Undo, then Off-topic: the Ignore's Undo pressed again put the questions back
    but left their example in offtopic.yaml, and off the Set aside page where it could be
    taken out. Now an Undo whose questions were set aside otherwise since changes nothing
    and says so; one pressed again says they are already back in the inbox."""
    question = "what is the weather like in Hangzhou this weekend"
    ask(storage, question, 1)
    offtopic_file = small_kb_dir / "offtopic.yaml"
    login(live, "sam")
    token = csrf_of(live.get("/inbox").text)
    ignored = live.post("/inbox/ignore", data={"ids": "1", "csrf": token})
    undo_ignore = _form(live.get(ignored.headers["location"]).text, "/inbox/restore")
    live.post("/inbox/restore", data=undo_ignore)
    marked = live.post("/inbox/offtopic", data={"ids": "1", "csrf": token})
    undo_offtopic = _form(live.get(marked.headers["location"]).text, "/inbox/restore")
    stale = live.post("/inbox/restore", data=undo_ignore)
    error = flash_of(live, stale, "error")
    assert "set aside again since" in error and "nothing changed" in error
    assert "Set aside page" in error
    assert queued(storage) == {1: "ignored"}
    assert question in offtopic_file.read_text(encoding="utf-8")
    assert "off-topic example" in live.get("/inbox/set-aside").text
    live.post("/inbox/restore", data=undo_offtopic)
    assert queued(storage) == {1: "new"} and question not in offtopic_file.read_text("utf-8")
    again = live.post("/inbox/restore", data=undo_offtopic)
    assert flash_of(live, again) == (
        "These questions were already back in the inbox; nothing changed."
    )
    live.post("/inbox/ignore", data={"ids": "1", "csrf": token})  # Off-topic, Undo, Ignore
    stale = live.post("/inbox/restore", data=undo_offtopic)
    assert "set aside again since" in flash_of(live, stale, "error")
    assert queued(storage) == {1: "ignored"}


def test_entries_lists_by_topic_and_searches(client):
    login(client, "mia")
    page = client.get("/entries").text
    assert "<h2>Money</h2>" in page and "bank-account" in page and "fapiao" in page
    found = client.get("/entries", params={"q": "INVOICE"}).text
    assert "fapiao" in found and "bank-account" not in found
    assert "No entry matches" in client.get("/entries", params={"q": "zzzz"}).text


def test_user_text_is_escaped(client, storage):
    ask(storage, "<script>alert(1)</script> visa?", 1)
    login(client, "mia")
    page = client.get("/inbox").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page


# Interface language --------------------------------------------------------------------------


def test_the_interface_follows_the_browser_then_the_choice(client):
    page = client.get("/login", headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert '<html lang="zh" dir="ltr">' in page.text and "登录" in page.text
    # By weight, not order (the chat's rule too): Chinese preferred over English.
    page = client.get("/login", headers={"accept-language": "en;q=0.3,zh;q=0.8"})
    assert '<html lang="zh" dir="ltr">' in page.text
    chosen = client.get("/ui-language?to=en&next=/login")
    assert chosen.status_code == 303 and chosen.headers["location"] == "/login"
    page = client.get("/login", headers={"accept-language": "zh-CN"})
    assert '<html lang="en"' in page.text and "登录" not in page.text
    assert client.get("/ui-language?to=zh&next=//evil.example").headers["location"] == "/"
    assert login(client, "sam", "wrong password").status_code == 401
    client.get("/ui-language?to=zh&next=/login")
    assert "用户名或密码错误" in login(client, "sam", "wrong password").text


def test_the_role_is_named_in_the_interface_language(client):
    """The header, the account page and a refusal for want of a role named the role as
    stored ("mia (manager)", "sam (staff)") on the Chinese console too."""
    login(client, "mia")
    client.cookies.set("console_lang", "zh")
    assert 'href="/account">mia（经理）</a>' in client.get("/inbox").text
    assert "<p>mia（经理）</p>" in client.get("/account").text
    page = client.get("/inbox").text
    refused = client.post("/inbox/ignore", data={"ids": "1", "csrf": csrf_of(page)})
    assert refused.status_code == 403 and "您的角色（经理）无权执行此操作。" in refused.text
    client.cookies.clear()
    login(client, "sam")
    client.cookies.set("console_lang", "zh")
    assert 'href="/account">sam（工作人员）</a>' in client.get("/inbox").text
    client.cookies.set("console_lang", "en")
    assert 'href="/account">sam (staff)</a>' in client.get("/inbox").text


def test_an_attach_the_file_refuses_is_said_in_plain_words_in_chinese(live, storage, small_kb_dir):
    """An entry whose translation is written as a {...} mapping cannot be edited from the
    console: attaching a question to it was refused in the core's English on the Chinese
    console ("money.yaml: a {...} mapping cannot be edited here; edit by hand. Nothing
    changed."). Now in Chinese, saying what to do."""
    money = small_kb_dir / "money.yaml"
    text = money.read_text(encoding="utf-8")
    block = (
        "      zh:\n        question: 什么是发票？\n"
        "        answer: 发票是中国官方的税务凭证，通过税务系统开具。\n"
    )
    assert block in text
    money.write_text(
        text.replace(block, "      zh: {question: 什么是发票？, answer: 发票是官方的税务凭证。}\n"),
        encoding="utf-8",
    )
    ask(storage, "发票是什么东西", 1, "zh")
    login(live, "sam")
    live.cookies.set("console_lang", "zh")
    page = live.get("/inbox").text
    refused = live.post(
        "/inbox/attach", data={"ids": "1", "entry": "fapiao", "csrf": csrf_of(page)}
    )
    assert flash_of(live, refused, "error") == (
        "未做任何改动：money.yaml 的格式特殊，控制台无法安全地编辑：请直接在文件中手动修改。"
    )
    assert queued(storage) == {1: "new"}


def test_every_catalog_string_is_used_and_fills_its_fields():
    import ast
    import re
    from pathlib import Path

    from bot.web import i18n

    files = [
        path
        for path in Path(i18n.__file__).parent.parent.rglob("*")  # the digest is in bot/
        if path.suffix in (".html", ".py")
    ]
    sources = "".join(path.read_text(encoding="utf-8") for path in files)
    # Python strings written over several lines ("a " "b") count as written whole
    sources += "\n".join(
        node.value
        for path in files
        if path.suffix == ".py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    )
    for key, value in i18n.catalog("zh").items():
        assert key in sources, f"{key!r} is in the zh catalog but no template or view uses it"
        assert set(re.findall(r"{(\w+)}", key)) == set(re.findall(r"{(\w+)}", value)), key


def _templates_say() -> set[str]:
    """Every text the console's pages and views pass to `_()`, as written, and the plural
    form of each they pass to `_n()` (the catalog's key)."""
    import ast
    from pathlib import Path

    from bot.web import i18n

    web = Path(i18n.__file__).parent
    said = set()
    for page in (web / "templates").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        said |= {m[2] for m in re.finditer(r"""\b_\(\s*(["'])(.*?)\1\s*[,)]""", text, re.S)}
        plural = r"""\b_n\(\s*(["'])(?:.*?)\1\s*,\s*(["'])(.*?)\2\s*,"""
        said |= {m[3] for m in re.finditer(plural, text, re.S)}  # keyed by the plural form
    for module in web.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_":
                said |= {
                    a.value
                    for a in node.args
                    if isinstance(a, ast.Constant) and isinstance(a.value, str)
                }
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_n":
                other = node.args[2] if len(node.args) > 2 else None  # _n(request, one, other, n)
                if isinstance(other, ast.Constant) and isinstance(other.value, str):
                    said.add(other.value)
    return said


def test_every_console_text_has_a_chinese_translation():
    """Each text a page or view passes to `_()`, each name the console gives a channel, a
    role, a handoff kind or a message to staff, each audit action, field and state, each
    refusal said by its code (an entry's or a translation's problem) and each reason the
    period filter gives, is in the zh catalog: what is not is shown in English on the
    Chinese console."""
    from bot import period
    from bot.handoffmodel import DELIVERY_ERRORS
    from bot.web import app, audit, handoffs, i18n, kb_problems, translations

    said = _templates_say()
    assert len(said) > 300
    for module in (kb_problems, translations):  # what a refused change says, by its code
        said |= set(module.SAID.values()) | set(module.LABELS.values())
    said |= set(kb_problems.REFUSED.values())
    said |= set(i18n.CHANNEL_NAMES.values()) | set(i18n.ROLE_NAMES.values())
    said |= {*audit.ACTIONS.values(), *audit.FIELDS.values(), *audit.STATE_WORDS.values()}
    said |= {w for words in audit.VALUE_WORDS.values() for w in words.values()}
    said |= set(audit.SYSTEM_ACTORS.values())
    said |= set(app.ERROR_TITLES.values()) | set(app.WAYS_BACK.values())
    said |= set(handoffs.KIND_LABELS.values()) | set(handoffs.STAFF_LABELS.values())
    said |= {
        value
        for name, value in vars(period).items()
        if name.isupper() and isinstance(value, str) and "{" in value
    }
    said |= set(DELIVERY_ERRORS)
    assert sorted(said - set(i18n.catalog("zh"))) == []


def test_console_pages_in_chinese_name_languages_and_channels_and_show_local_times(client, storage):
    """On the Chinese console, language codes (ru), channel names (terminal), the
    "/staff message" label, the period filter's errors and ISO times (2026-11-20T09:00)
    were shown as they are stored. Now languages and channels are named in Chinese, a
    message to staff says what it is, and times are in [web] timezone (UTC+8 here)."""
    ask(storage, "Где парковка?", 1, "ru")
    storage.log_interaction(
        user_id=9, chat_type="private", language="zh", question="我要找人工",
        status="unanswered", channel="web", kind="staff_message",
    )  # fmt: skip
    storage.save_staff_message(user_id=7, language="ru", text="Мне нужен человек")
    login(client, "mia")
    client.cookies.set("console_lang", "zh")

    def seen(path: str) -> str:
        page = client.get(path)
        assert page.status_code == 200, path
        text = re.sub(r"<(script|style).*?</\1>|<[^>]+>", " ", page.text, flags=re.S)
        text = html.unescape(text)
        text = text.split("English", 1)[1]  # after the menu
        assert not re.search(r"\b(ru|zh|en|terminal|web|telegram)\b", text), (path, text)
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d", text), (path, text)
        return text

    inbox = seen("/inbox")
    assert "俄文" in inbox and "网页聊天中的“联系工作人员”留言" in inbox
    assert "给工作人员的留言（终端聊天中的 /staff 命令）" in inbox  # typed in the terminal
    assert "/staff message" not in inbox and "时间（UTC+8）" in inbox
    handoffs = seen("/handoffs")
    assert "终端聊天" in handoffs or "网页聊天" in handoffs
    for path in ("/handoffs/1", "/entries", "/translations?lang=ru", "/inbox/set-aside"):
        seen(path)
    audit = seen("/audit")  # the accounts were made at 09:00 UTC (the test clock)
    assert "2026-11-20 17:00" in audit and "时间（UTC+8）" in audit
    refused = seen("/reports?language=ru&channel=web&since=soon")  # said, typed text kept
    assert "'soon' 既不是 90m、24h、30d、2w 这样的时间跨度" in refused
    assert 'name="since" value="soon"' in client.get("/reports?since=soon").text
    reports = seen("/reports?language=ru&channel=web")
    assert "俄文 · 网页聊天" in reports and "（UTC+8）" in reports


def test_times_follow_the_configured_zone(config, storage, accounts, small_answerer):
    utc = replace(config, web=replace(config.web, timezone="UTC"))
    with make_client(utc, storage, accounts, small_answerer) as client:
        login(client, "mia")
        page = client.get("/audit").text
    assert "2026-11-20 09:00" in page and "time (UTC)" in page


def test_the_entries_list_shows_each_entrys_question_in_the_consoles_language(client):
    """The Chinese console listed every entry by its English question, though the
    knowledge base has Chinese ones."""
    login(client, "mia")
    client.cookies.set("console_lang", "zh")
    page = client.get("/entries").text
    assert "公司银行账户怎么开？" in page and "How do I open a company bank account?" not in page
    assert "How do I get a work permit" in page  # no Chinese question: the English one
    assert "bank-account" in client.get("/entries", params={"q": "银行账户"}).text


def test_a_crafted_link_cannot_make_the_console_show_a_message(live, storage):
    """After an action the console shows what it did; that text travels in the redirect
    signed with the console's secret, so a link made elsewhere shows nothing."""
    ask(storage, "Can I bring my cat to the office?", 1)
    login(live, "sam")
    token = csrf_of(live.get("/inbox").text)
    done = live.post("/inbox/ignore", data={"ids": ["1"], "csrf": token})
    assert "Ignored 1" in live.get(done.headers["location"]).text
    lure = "Your session expired: log in again at evil.example"
    for path in ("/inbox", "/entries", "/entries/fapiao", "/handoffs", "/translations?lang=ru"):
        sep = "&" if "?" in path else "?"
        page = live.get(f"{path}{sep}message={lure}&error={lure}")
        assert page.status_code == 200 and "evil.example" not in page.text, path
        forged = live.app.state.console.flash(lure).rsplit(".", 1)[0] + ".AAAA"
        assert "evil.example" not in live.get(f"{path}{sep}message={forged}").text, path


def test_error_pages_are_console_pages_in_the_consoles_language(client, storage):
    """An unknown address, an unknown handoff, a refusal for want of a role or of a form's
    token answered a bare monospace text ("404 Not Found", "No such handoff."), English on
    the Chinese console, with no header and no way back. Now each is a console page in its
    language, with the menu and a way back, keeping its status; the web chat's addresses and
    the static files keep their plain answers."""
    login(client, "mia")
    client.cookies.set("console_lang", "zh")
    cases = {
        "/no/such/page": (404, "找不到页面", "控制台中没有这个地址的页面", "/inbox", "返回收件箱"),
        "/handoffs/12345": (404, "找不到页面", "没有这个会话。", "/handoffs", "返回转人工"),
        "/entries/new": (403, "无权访问", "您的角色（经理）无权执行此操作", "/entries", "返回条目"),
    }  # fmt: skip
    for path, (status, title, said, back, way_back) in cases.items():
        page = client.get(path)
        assert page.status_code == status, path
        assert page.headers["content-type"].startswith("text/html"), path
        text = html.unescape(page.text)
        assert '<html lang="zh"' in text and '<a href="/inbox">收件箱</a>' in text, path  # menu
        assert f"<h1>{title}</h1>" in text and said in text, path
        assert f'<a href="{back}">{way_back}</a>' in text, path
    client.cookies.clear()
    login(client, "sam")
    client.cookies.set("console_lang", "zh")
    refused = client.post("/inbox/ignore", data={"ids": "1", "csrf": "not-ours"},
                          headers={"origin": "https://evil.example"})  # fmt: skip
    assert refused.status_code == 403 and "表单已过期或并非来自本控制台" in refused.text
    assert '<a href="/inbox">收件箱</a>' in refused.text
    client.cookies.set("console_lang", "en")
    page = client.get("/handoffs/12345")
    assert page.status_code == 404 and "No such handoff." in page.text
    assert '<a href="/handoffs">Back to Handoffs</a>' in page.text
    client.cookies.clear()  # logged out: the page, without the menu
    page = client.get("/nowhere")
    assert page.status_code == 404 and "<h1>Page not found</h1>" in page.text
    assert 'href="/inbox">Inbox</a>' not in page.text
    for path in ("/chat/nowhere", "/static/nowhere.css"):
        plain = client.get(path)
        assert plain.status_code == 404 and plain.headers["content-type"].startswith("text/plain")
    assert client.get("/chat/send").status_code == 405
    assert client.get("/chat/send").headers["content-type"].startswith("text/plain")
