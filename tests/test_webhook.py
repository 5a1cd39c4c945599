"""Webhook mode end to end over real HTTP: `python -m bot run --webhook URL` serves Telegram's
updates and the staff console on one port, against the Bot API stand-in; behind a trusted
reverse proxy (127.0.0.2 here) the console believes X-Forwarded-For, from anyone else not."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from telegram import Update

from bot.config import ConfigError, WebConfig, load_config
from bot.telegram.app import build_application
from bot.telegram.journal import journal_path
from bot.telegram.webhook import SECRET_HEADER, one_server, webhook_route
from bot.web.serving import uvicorn_config
from tests import fake_telegram as tg
from tests.conftest import ROOT
from tests.test_crash_recovery import USERS, answered
from tests.test_e2e import STAFF_CHAT, stop
from tests.test_e2e_console import free_port, wait_for_unanswered

PASSWORD = "correct horse battery"
QUESTION = "Where can I leave my car when I visit you?"
HOOK = "/telegram/hook"
PROXY = "127.0.0.2"  # the trusted reverse proxy; tests connect from it or from 127.0.0.1


def write_config(
    tmp_path: Path, kb_dir: Path, base_url: str, web: str = f'trusted_proxies = ["{PROXY}"]'
) -> Path:
    """A config for the stand-in at `base_url`; `web`: the [web] section's lines."""
    config = tmp_path / "config.toml"
    config.write_text(f"""
[knowledge]
dir = "{kb_dir}"
cache_dir = "{tmp_path / "cache"}"
[telegram]
staff_chat_id = {STAFF_CHAT}
base_url = "{base_url}"
[storage]
database = "{tmp_path / "bot.db"}"
[web]
{web}
""")
    return config


def start_webhook_bot(config: Path, port: int, url: str | None = None) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FAQ_BOT_SECOND_ENCODER": "none",
        "TELEGRAM_BOT_TOKEN": tg.TOKEN,
    }
    url = url or f"http://127.0.0.1:{port}{HOOK}"
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(config), "run", "--webhook", url]
        + ["--listen", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def add_staff(config: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    base = [sys.executable, "-m", "bot", "--config", str(config)]
    for args, stdin in (
        (["staff", "add", "sam", "--role", "staff"], ""),
        (["staff", "password", "sam"], PASSWORD + "\n"),
    ):
        subprocess.run(base + args, input=stdin, text=True, env=env, check=True, timeout=60)


def post_update(url: str, update: dict, secret: str | None) -> httpx.Response:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return httpx.post(url + HOOK, json=update, headers=headers, timeout=30)


def log_in(client: httpx.Client, name: str, password: str, forwarded: str) -> int:
    """The login form as a browser fills it, through a proxy saying the client is
    `forwarded`; the response's status (303: logged in, 401: wrong, 429: locked out)."""
    headers = {"X-Forwarded-For": forwarded, "X-Forwarded-Proto": "https"}
    page = client.get("/login", headers=headers).text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token, page
    form = {"name": name, "password": password, "csrf": token[1]}
    return client.post("/login", data=form, headers=headers).status_code


def client_from(url: str, address: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=url, transport=transport, timeout=30)


def test_webhook_and_console_on_one_server(tmp_path, small_kb_dir):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    api = tg.FakeBotApi()
    with tg.BotApiServer(api) as server:
        config = write_config(tmp_path, small_kb_dir, server.base_url)
        add_staff(config)
        proc = start_webhook_bot(config, port)
        try:
            api.wait_for(lambda calls: any(m == "setWebhook" for m, _ in calls), timeout=180)
            [hook] = api.sent("setWebhook")
            assert hook["url"] == url + HOOK
            secret = hook["secret_token"]

            # Refused: no secret, a wrong one; nothing is answered for them.
            refused = tg.api_update(api, tg.message("hello", user_id=903))
            assert post_update(url, refused, None).status_code == 403
            assert post_update(url, refused, secret + "x").status_code == 403
            assert post_update(url, {"not": "an update"}, secret).status_code == 400

            # Taken: answered like a polled update, and journaled.
            update = tg.api_update(api, tg.message(QUESTION, user_id=901))
            assert post_update(url, update, secret).status_code == 200
            api.wait_for(lambda c: len(api.sent(chat_id=901)) >= 1)
            assert "have an answer to that yet" in api.sent(chat_id=901)[0]["text"]
            assert api.sent(chat_id=903) == []
            wait_for_unanswered(tmp_path / "bot.db")
            assert journaled(tmp_path / "bot.db", update["update_id"])

            # The console on the same port: log in, attach; the asker is told at once.
            with client_from(url, PROXY) as console:
                assert log_in(console, "sam", PASSWORD, "198.51.100.20") == 303
                inbox = console.get("/inbox").text
                assert QUESTION in inbox
                csrf = re.search(r'name="csrf" value="([^"]+)"', inbox)[1]
                ids = re.findall(r'name="ids" value="(\d+)"', inbox)
                done = console.post(
                    "/inbox/attach",
                    data={"csrf": csrf, "ids": ids[:1], "entry": "office-hours"},
                    follow_redirects=True,
                )
                assert done.status_code == 200 and "reloaded" in done.text
                assert "1 asker was sent the answer" in done.text
            api.wait_for(lambda c: len(api.sent(chat_id=901)) >= 3)
            told = [m["text"] for m in api.sent(chat_id=901)[1:]]
            assert sum("hours posted at the entrance" in text for text in told) == 1

            # The same question through the webhook is now answered by the entry.
            again = tg.api_update(api, tg.message(QUESTION, user_id=902))
            assert post_update(url, again, secret).status_code == 200
            api.wait_for(lambda c: len(api.sent(chat_id=902)) >= 1)
            assert "hours posted at the entrance" in api.sent(chat_id=902)[0]["text"]

            check_forwarded_addresses(url, tmp_path / "bot.db")
        finally:
            out = stop(proc)
        assert proc.returncode == 0, out
        assert "Traceback" not in out


def check_forwarded_addresses(url: str, database: Path) -> None:
    """From the trusted proxy, the failed-login limit counts the client it names; from any
    other address, X-Forwarded-For is ignored and the connecting address is counted."""
    with client_from(url, PROXY) as proxy:
        for n in range(5):
            assert log_in(proxy, f"nobody{n}", "wrong", "203.0.113.7") == 401
        assert log_in(proxy, "sam", PASSWORD, "203.0.113.7") == 429  # that client is locked
    with client_from(url, PROXY) as proxy:
        assert log_in(proxy, "sam", PASSWORD, "203.0.113.8") == 303  # another is not
    with client_from(url, "127.0.0.1") as direct:
        for n in range(5):
            assert log_in(direct, f"someone{n}", "wrong", f"192.0.2.{n}") == 401
        assert log_in(direct, "sam", PASSWORD, "192.0.2.99") == 429  # a new header: no escape
    with closing(sqlite3.connect(database)) as conn:
        keys = {row[0] for row in conn.execute("SELECT key FROM login_failures")}
    assert {"addr:203.0.113.7", "addr:127.0.0.1"} <= keys
    assert not any(key.startswith(("addr:192.0.2.", f"addr:{PROXY}")) for key in keys)


def journaled(database: Path, update_id: int, timeout: float = 30.0) -> bool:
    """True once the journal beside `database` has `update_id` marked answered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with closing(sqlite3.connect(journal_path(database))) as conn:
            row = conn.execute(
                "SELECT state FROM updates WHERE update_id = ?", [update_id]
            ).fetchone()
        if row and row[0] == 1:
            return True
        time.sleep(0.1)
    return False


def test_refused_token_in_webhook_mode_is_one_line_and_exit_1(tmp_path, small_kb_dir):
    api = tg.FakeBotApi()
    api.unauthorized = True
    with tg.BotApiServer(api) as server:
        config = write_config(tmp_path, small_kb_dir, server.base_url)
        proc = start_webhook_bot(config, free_port())
        try:
            out, _ = proc.communicate(timeout=180)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 1, out
    assert "Traceback" not in out
    refused = [line for line in out.splitlines() if "Telegram refused the bot token" in line]
    assert len(refused) == 1, out
    assert tg.TOKEN not in out
    assert "setWebhook" not in [m for m, _ in api.calls]


def test_webhook_url_needs_a_path(tmp_path, small_kb_dir):
    config = write_config(tmp_path, small_kb_dir, "http://127.0.0.1:9/bot")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": tg.TOKEN}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "run"]
        + ["--webhook", "https://bot.example.org/"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "--webhook needs a URL with a path" in done.stderr


# -- the proxy rule, without a server ------------------------------------------------------


def seen_by_app(web: WebConfig, client: str, headers: dict[str, str]) -> str:
    """What the console would see (client address and scheme) behind uvicorn's options."""

    async def where(request):
        return PlainTextResponse(f"{request.client.host} {request.url.scheme}")

    config = uvicorn_config(Starlette(routes=[Route("/", where)]), web, "127.0.0.1", 1)
    config.load()
    with TestClient(config.loaded_app, client=(client, 5000)) as test_client:
        return test_client.get("/", headers=headers).text


@pytest.mark.parametrize(
    ("trusted", "client", "seen"),
    [
        ((), "127.0.0.1", "127.0.0.1 http"),  # nothing trusted: not even localhost
        (("10.0.0.5",), "10.0.0.5", "203.0.113.9 https"),
        (("10.0.0.0/8",), "10.1.2.3", "203.0.113.9 https"),
        (("10.0.0.5",), "10.0.0.6", "10.0.0.6 http"),
    ],
)
def test_forwarded_headers_only_from_trusted_proxies(trusted, client, seen):
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    assert seen_by_app(WebConfig(trusted_proxies=trusted), client, headers) == seen


def test_trusted_proxies_must_be_addresses(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[web]\ntrusted_proxies = ["127.0.0.1", "10.0.0.0/8", "::1"]\n')
    assert load_config(path, environ={}).web.trusted_proxies == ("127.0.0.1", "10.0.0.0/8", "::1")
    path.write_text('[web]\ntrusted_proxies = ["proxy.example.org"]\n')
    with pytest.raises(ConfigError, match="trusted_proxies must list IP addresses"):
        load_config(path, environ={})
    path.write_text('[web]\ntrusted_proxies = "127.0.0.1"\n')
    with pytest.raises(ConfigError, match="must be a list"):
        load_config(path, environ={})


# -- behind nginx, configured as docs/console.md says -----------------------------------------

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CLIENT = "127.0.0.3"  # the browser's address, as nginx sees it


def nginx_site(tls_port: int, http_port: int, bot_port: int, cert: Path, key: Path) -> str:
    """The nginx server blocks of docs/console.md, on local ports and a test certificate."""
    doc = (ROOT / "docs" / "console.md").read_text()
    [site] = re.findall(r"```nginx\n(.*?)```", doc, re.S)
    replacements = {
        "listen 443 ssl;": f"listen 127.0.0.1:{tls_port} ssl;",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "/etc/letsencrypt/live/bot.example.org/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/bot.example.org/privkey.pem": str(key),
        "http://127.0.0.1:8443": f"http://127.0.0.1:{bot_port}",
    }
    for old, new in replacements.items():
        assert old in site, old
        site = site.replace(old, new)
    return site


@pytest.fixture
def nginx(tmp_path):
    """Start nginx with `site` (server blocks) in the foreground; yields a starter."""
    if not Path(NGINX).exists() or shutil.which("openssl") is None:
        pytest.skip("no nginx or openssl (apt-get install nginx)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=bot.example.org", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    procs = []

    def start(site: str) -> None:
        root = tmp_path / "nginx"
        root.mkdir()
        user = "user root;" if os.geteuid() == 0 else ""
        (root / "nginx.conf").write_text(f"""
{user}
daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
{site}
}}
""")
        conf = ["-p", str(root), "-c", str(root / "nginx.conf")]
        subprocess.run([NGINX, "-t", *conf], check=True, capture_output=True, timeout=30)
        procs.append(subprocess.Popen([NGINX, *conf], stderr=subprocess.DEVNULL))

    yield start, cert, key
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=30)


def test_behind_nginx_with_tls_as_documented(tmp_path, small_kb_dir, nginx):
    start_nginx, cert, key = nginx
    bot_port, tls_port, http_port = free_port(), free_port(), free_port()
    public = f"https://127.0.0.1:{tls_port}"
    api = tg.FakeBotApi()
    with tg.BotApiServer(api) as server:
        web = 'trusted_proxies = ["127.0.0.1"]\nsecure_cookies = true'
        config = write_config(tmp_path, small_kb_dir, server.base_url, web)
        add_staff(config)
        proc = start_webhook_bot(config, bot_port, url=public + "/telegram/updates")
        start_nginx(nginx_site(tls_port, http_port, bot_port, cert, key))
        try:
            api.wait_for(lambda calls: any(m == "setWebhook" for m, _ in calls), timeout=180)
            secret = api.sent("setWebhook")[0]["secret_token"]
            transport = httpx.HTTPTransport(local_address=CLIENT, verify=False)
            with httpx.Client(base_url=public, transport=transport, timeout=30) as browser:
                update = tg.api_update(api, tg.message(QUESTION, user_id=921))
                hook = browser.post(
                    "/telegram/updates", json=update, headers={SECRET_HEADER: secret}
                )
                assert hook.status_code == 200
                api.wait_for(lambda c: len(api.sent(chat_id=921)) >= 1)

                page = browser.get("/login")
                assert "Secure" in page.headers["set-cookie"]
                token = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
                form = {"name": "sam", "password": "wrong", "csrf": token}
                lying = {"X-Forwarded-For": "6.6.6.6"}  # nginx replaces it
                assert browser.post("/login", data=form, headers=lying).status_code == 401
                form["password"] = PASSWORD
                logged_in = browser.post("/login", data=form)
                assert logged_in.status_code == 303
                assert "Secure" in logged_in.headers["set-cookie"]
                assert QUESTION in browser.get("/inbox").text
            plain = httpx.get(f"http://127.0.0.1:{http_port}/login", timeout=30)
            assert plain.status_code == 301
            assert plain.headers["location"].startswith("https://")
            with closing(sqlite3.connect(tmp_path / "bot.db")) as conn:
                keys = {row[0] for row in conn.execute("SELECT key FROM login_failures")}
            assert f"addr:{CLIENT}" in keys
            assert not {"addr:6.6.6.6", "addr:127.0.0.1"} & keys
        finally:
            out = stop(proc)
        assert proc.returncode == 0, out


# -- the webhook route in process ------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@pytest.fixture
def hook_app(small_answerer):
    config = replace(small_answerer.config, token=tg.TOKEN)
    app = build_application(config, small_answerer, request=tg.RecordingRequest(tg.FakeBotApi()))
    client = TestClient(one_server(webhook_route(app, HOOK, "s3cret"), None))
    return app, client


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.dictionaries(
        st.sampled_from(["update_id", "message", "callback_query", "edited_message", "x"]),
        json_values,
    ),
    header=st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=20),
)
def test_webhook_route_never_fails_on_odd_requests(hook_app, body, header):
    app, client = hook_app
    wrong = client.post(HOOK, json=body, headers={SECRET_HEADER: header.encode("latin-1") or b"-"})
    assert wrong.status_code == 403  # a wrong secret is refused before the body is read
    response = client.post(HOOK, json=body, headers={SECRET_HEADER: "s3cret"})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert isinstance(app.update_queue.get_nowait(), Update)
    assert app.update_queue.empty()


def test_webhook_route_takes_only_post_with_the_secret(hook_app):
    app, client = hook_app
    update = {"update_id": 5, **tg.message("hello")}
    assert client.get(HOOK).status_code == 405
    assert (
        client.post(HOOK, content=b"{not json", headers={SECRET_HEADER: "s3cret"}).status_code
        == 400
    )
    assert client.post(HOOK, json=update, headers={SECRET_HEADER: "s3cre"}).status_code == 403
    assert client.post(HOOK, json=update, headers={SECRET_HEADER: "s3cret"}).status_code == 200
    queued = app.update_queue.get_nowait()
    assert queued.update_id == 5 and queued.message.text == "hello"


def test_webhook_port_taken_is_one_line_and_exit_1(tmp_path, small_kb_dir):
    api = tg.FakeBotApi()
    with tg.BotApiServer(api) as server, socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config = write_config(tmp_path, small_kb_dir, server.base_url)
        proc = start_webhook_bot(config, taken.getsockname()[1])
        try:
            out, _ = proc.communicate(timeout=180)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 1, out
    assert "Traceback" not in out
    assert len([line for line in out.splitlines() if "cannot listen on" in line]) == 1, out
    assert "setWebhook" not in [m for m, _ in api.calls]  # Telegram is not sent here


def test_sigkill_after_webhook_updates_were_taken_then_restart_answers_each(tmp_path, small_kb_dir):
    """Updates Telegram was told it delivered (200) are journaled: a killed bot answers
    them when it starts again, as with long polling (tests/test_crash_recovery.py)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    api = tg.FakeBotApi()
    with tg.BotApiServer(api) as server:
        config = write_config(tmp_path, small_kb_dir, server.base_url)
        proc = start_webhook_bot(config, port)
        try:
            api.wait_for(lambda calls: any(m == "setWebhook" for m, _ in calls), timeout=180)
            secret = api.sent("setWebhook")[0]["secret_token"]
            slow_down = {"error_code": 429, "description": "Too Many Requests: retry after 60"}
            slow_down["parameters"] = {"retry_after": 60}  # the answers wait: none goes out
            api.failures["sendMessage"] = [{"ok": False, **slow_down}] * 1000
            pushed = {}
            for user in USERS:
                update = tg.api_update(api, tg.message("What is a fapiao?", user_id=user))
                assert post_update(url, update, secret).status_code == 200
                pushed[update["update_id"]] = user
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert not any(answered(api).values())  # taken (200), and not answered
        api.failures.clear()

        proc = start_webhook_bot(config, port)
        try:
            api.wait_for(lambda c: all(n > 0 for n in answered(api).values()), timeout=180)
        finally:
            out = stop(proc)
    after = answered(api)
    assert set(after.values()) == {1}, after  # each answered, once
    assert "answering 40 update(s) received before the last stop" in out
