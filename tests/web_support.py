"""Helpers for console tests: accounts, logging in through the real forms, asking questions.

The fixtures `clock`, `web_storage`, `accounts` and `client` live in tests/conftest.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from starlette.testclient import TestClient

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
