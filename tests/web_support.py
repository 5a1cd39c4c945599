"""Helpers for console tests: accounts, logging in through the real forms, asking questions.

Test modules take the fixtures (`clock`, `storage`, `accounts`: sam is staff, mia a manager;
`client`) with `from tests.web_support import *`, and define their own where they differ."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from bot.accounts import Accounts
from bot.storage import Storage
from bot.web.app import AnswererHolder, create_app

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def make_client(config, storage, accounts, answerer) -> TestClient:
    app = create_app(config, storage, AnswererHolder(answerer), accounts, secret=b"s" * 32)
    return TestClient(app, follow_redirects=False)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found[1]


def flash_of(client: TestClient, response, key: str = "message") -> str:
    """The message (or error) a redirect carries for the page it leads to, as shown there."""
    from urllib.parse import parse_qs, urlparse

    [token] = parse_qs(urlparse(response.headers["location"]).query)[key]
    text = client.app.state.console.flashed(token)  # type: ignore[attr-defined]
    assert text is not None, f"{key} is not signed by this console"
    return text


def login(client: TestClient, name: str, password: str = PASSWORD):
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": password, "csrf": token})


def ask(storage: Storage, question: str, user: int, language: str = "en") -> None:
    storage.log_interaction(
        user_id=user, chat_type="private", language=language, question=question,
        status="unanswered", channel="terminal",
    )  # fmt: skip


def queued(storage: Storage) -> dict[int, str]:
    return {row["id"]: row["status"] for row in storage.list_unanswered(status=None)}


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def storage(tmp_path):
    with Storage.open(tmp_path / "bot.db") as store:
        yield store


@pytest.fixture
def accounts(storage, clock):
    accounts = Accounts(storage.path, clock=clock)
    for name, role in (("sam", "staff"), ("mia", "manager")):
        accounts.add(name, role, actor="admin")
        accounts.set_password(name, PASSWORD, actor="admin")
    yield accounts
    accounts.close()


@pytest.fixture
def client(config, storage, accounts, small_answerer):
    with make_client(config, storage, accounts, small_answerer) as client:
        yield client


def wait_served(url: str, proc, log: Path | None = None, timeout: float = 180) -> None:
    """Until `url` answers over HTTP; fails (with the server's `log`) if `proc` ends first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(log.read_text() if log else f"{url} never answered") from None
            time.sleep(0.3)


def log_in_over_http(client: httpx.Client, name: str, password: str = PASSWORD) -> None:
    """Log in through the real form of a console served over HTTP."""
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token, "no login form"
    client.post("/login", data={"name": name, "password": password, "csrf": token[1]})
