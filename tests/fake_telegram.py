"""A stand-in for the Telegram Bot API, for tests: in process (a `BaseRequest` that records
calls, as python-telegram-bot's own tests do) and over real HTTP on 127.0.0.1 (a small server
that `python -m bot run` talks to through `[telegram] base_url`).

Both share `FakeBotApi`, which keeps what the bot sent and the updates waiting for it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from telegram.request import BaseRequest

BOT_ID = 7000001
BOT_USERNAME = "faq_test_bot"
TOKEN = "7000001:TEST-token-for-the-local-stand-in"


class FakeBotApi:
    """Answers Bot API methods with plausible results and records every call."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.results: list[tuple[str, dict, object]] = []  # (method, params, result)
        self.times: list[float] = []  # time.monotonic() of each call
        self.pushed: dict[int, float] = {}  # update_id -> time.monotonic() it was queued
        self.failures: dict[str, list[dict]] = {}  # method -> error replies to give first
        self.unauthorized = False  # True: every call gets 401, as for a revoked token
        self.held_chats: set[int] = set()  # RecordingRequest: sends here wait until removed
        self.updates: list[dict] = []
        self._ids = itertools.count(5000)
        self._update_ids = itertools.count(1)
        self._lock = threading.Condition()

    # -- what the bot asks ------------------------------------------------------------
    def failure(self, method: str) -> dict | None:
        """The next scripted error reply for `method` (e.g. a 429 RetryAfter), if any."""
        with self._lock:
            if self.unauthorized:
                return {"ok": False, "error_code": 401, "description": "Unauthorized"}
            queue = self.failures.get(method)
            return queue.pop(0) if queue else None

    def handle(self, method: str, params: dict):
        result = self._result(method, params)
        with self._lock:
            self.calls.append((method, params))
            self.results.append((method, params, result))
            self.times.append(time.monotonic())
            self._lock.notify_all()
        return result

    def message_id_of(self, params: dict) -> int:
        """The message_id the stand-in gave the message sent with `params`."""
        return next(r["message_id"] for _, p, r in self.results if p is params)

    def _result(self, method: str, params: dict):
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "FAQ",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "getUpdates":
            return self._take_updates(params)
        if method in ("sendMessage", "editMessageText", "copyMessage", "forwardMessage"):
            chat_id = int(params.get("chat_id") or 0)
            return {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "FAQ"},
                "text": params.get("text", ""),
            }
        return True  # answerCallbackQuery, deleteWebhook, setWebhook, close, ...

    def _take_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 2.0)
        deadline = time.monotonic() + timeout
        with self._lock:
            if offset:  # as Telegram: an offset confirms, and forgets, the updates before it
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while True:
                ready = [u for u in self.updates if u["update_id"] >= offset]
                if ready or time.monotonic() >= deadline:
                    return ready
                self._lock.wait(max(0.0, deadline - time.monotonic()))

    # -- what tests do ----------------------------------------------------------------
    def push(self, update: dict) -> dict:
        with self._lock:
            update = {"update_id": next(self._update_ids), **update}
            self.updates.append(update)
            self.pushed[update["update_id"]] = time.monotonic()
            self._lock.notify_all()
        return update

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[dict]:
        with self._lock:
            return [
                p
                for m, p in self.calls
                if m == method and (chat_id is None or int(p.get("chat_id") or 0) == chat_id)
            ]

    def wait_for(self, predicate, timeout: float = 30.0) -> list[dict]:
        """Block until `predicate(calls)` is true; return the calls."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not predicate(self.calls):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out; calls so far: {self.calls}")
                self._lock.wait(left)
            return list(self.calls)


class RecordingRequest(BaseRequest):
    """python-telegram-bot's network layer replaced by `FakeBotApi` (no sockets)."""

    def __init__(self, api: FakeBotApi):
        self.api = api

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def do_request(
        self,
        url,
        method,
        request_data=None,
        read_timeout=None,
        write_timeout=None,
        connect_timeout=None,
        pool_timeout=None,
    ):
        params = request_data.parameters if request_data else {}
        method = url.rsplit("/", 1)[-1]
        while int(params.get("chat_id") or 0) in self.api.held_chats:
            await asyncio.sleep(0.01)  # a throttled or slow chat
        error = self.api.failure(method)
        if error is not None:
            return error["error_code"], json.dumps(error).encode()
        result = self.api.handle(method, params)
        return 200, json.dumps({"ok": True, "result": result}).encode()


class _Handler(BaseHTTPRequestHandler):
    api: FakeBotApi
    protocol_version = "HTTP/1.1"  # keep-alive, as the real Bot API
    disable_nagle_algorithm = True  # headers and body go out without a delayed-ACK stall

    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8")
        kind = self.headers.get("Content-Type", "")
        if "json" in kind:
            params = json.loads(body or "{}")
        else:
            params = {k: v[0] for k, v in parse_qs(body).items()}
        for key, value in list(params.items()):
            if isinstance(value, str) and value[:1] in "[{":
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    pass
        method = self.path.rstrip("/").rsplit("/", 1)[-1]
        error = self.api.failure(method)
        if error is not None:
            payload = json.dumps(error).encode()
            self.send_response(error["error_code"])
        else:
            result = self.api.handle(method, params)
            payload = json.dumps({"ok": True, "result": result}).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST

    def log_message(self, *args):  # keep test output quiet
        pass


class _Server(ThreadingHTTPServer):
    # The default listen backlog (5) drops connections under a burst: SYN retried 1 s later.
    request_queue_size = 256
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        """A bot killed mid-request (the crash tests) is expected: no traceback for it."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class BotApiServer:
    """The stand-in on 127.0.0.1 (an ephemeral port unless given), in a background thread."""

    def __init__(self, api: FakeBotApi, port: int = 0):
        handler = type("Handler", (_Handler,), {"api": api})
        self.server = _Server(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/bot"

    def __enter__(self) -> BotApiServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- updates as Telegram sends them ----------------------------------------------------


def user(user_id: int = 42, language_code: str | None = "en", first_name: str = "Ann") -> dict:
    data = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        data["language_code"] = language_code
    return data


def message(
    text: str | None = None,
    *,
    user_id: int = 42,
    chat_id: int | None = None,
    chat_type: str = "private",
    language_code: str | None = "en",
    reply_to: dict | None = None,
    message_id: int = 1,
    edited: bool = False,
    extra: dict | None = None,
) -> dict:
    chat_id = chat_id if chat_id is not None else user_id
    msg = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": chat_type, "title": "Group"}
        if chat_type != "private"
        else {"id": chat_id, "type": "private"},
        "from": user(user_id, language_code),
    }
    if text is not None:
        msg["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    if reply_to is not None:
        msg["reply_to_message"] = reply_to
    if edited:
        msg["edit_date"] = int(time.time())
    msg.update(extra or {})
    return {"edited_message" if edited else "message": msg}


def callback(
    data: str, *, user_id: int = 42, language_code: str | None = "en", message_id: int = 99
) -> dict:
    return {
        "callback_query": {
            "id": f"cb{time.time_ns()}",
            "from": user(user_id, language_code),
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "text": "…",
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "FAQ"},
            },
        }
    }


def bot_message(api: FakeBotApi, params: dict, chat_id: int) -> dict:
    """The message the bot sent with `params`, as Telegram shows it in reply_to_message."""
    return {
        "message_id": api.message_id_of(params),
        "date": 0,
        "chat": {"id": chat_id, "type": "supergroup" if chat_id < 0 else "private"},
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "FAQ"},
        "text": params["text"],
    }


def api_update(api: FakeBotApi, data: dict) -> dict:
    """`data` with an update_id, as getUpdates would deliver it."""
    return {"update_id": next(api._update_ids), **data}
