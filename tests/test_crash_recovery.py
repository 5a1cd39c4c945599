"""No update lost on a crash: `python -m bot run` killed with SIGKILL in the middle of a
burst, then started again, answers every message (over real HTTP, against the stand-in,
which forgets updates once an offset confirms them, as Telegram does)."""

from __future__ import annotations

import signal
import sqlite3
import time

from tests import fake_telegram as tg
from tests.test_e2e import start_bot, stop

BURST = 40
USERS = range(7001, 7001 + BURST)


def answered(api) -> dict[int, int]:
    counts = {u: 0 for u in USERS}
    for params in api.sent():
        chat = int(params.get("chat_id") or 0)
        if chat in counts:
            counts[chat] += 1
    return counts


def in_flight(api, journal, update_users: dict[int, int]) -> set[int]:
    """Users whose answer reached Telegram but whose update was not yet marked done."""
    done: set[int] = set()
    if journal.exists():
        with sqlite3.connect(journal) as conn:
            done = {i for (i,) in conn.execute("SELECT update_id FROM updates WHERE state = 1")}
    sent = answered(api)
    return {u for i, u in update_users.items() if sent[u] and i not in done}


def test_sigkill_in_a_burst_then_restart_answers_every_message_once(tmp_path, small_kb_dir):
    api = tg.FakeBotApi()
    with tg.BotApiServer(api) as server:
        proc = start_bot(tmp_path, server.base_url, small_kb_dir)
        try:
            api.wait_for(lambda calls: any(m == "getUpdates" for m, _ in calls), timeout=120)
            pushed = {
                api.push(tg.message("What is a fapiao?", user_id=u, message_id=u))["update_id"]: u
                for u in USERS
            }
            # killed once a few are answered and more have been fetched (offset confirmed)
            api.wait_for(lambda c: sum(n > 0 for n in answered(api).values()) >= 5)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        time.sleep(1)  # requests already on the wire reach the stand-in
        before = answered(api)
        assert 0 < sum(n > 0 for n in before.values()) < BURST  # killed mid-burst
        assert not api.updates or api.updates[0]["update_id"] > 1  # Telegram forgot some
        racing = in_flight(api, tmp_path / "bot.updates.db", pushed)

        proc = start_bot(tmp_path, server.base_url, small_kb_dir)
        try:
            api.wait_for(lambda c: all(n > 0 for n in answered(api).values()), timeout=120)
        finally:
            out = stop(proc)
    after = answered(api)
    assert all(n >= 1 for n in after.values()), after  # nobody is left without an answer
    # Exactly one answer each, except answers on the wire when the process died (Telegram
    # had them, the journal did not know yet): those are sent again.
    assert {u for u, n in after.items() if n > 1} <= racing
    assert max(after.values()) <= 2
    assert "received before the last stop" in out


def test_updates_older_than_replay_max_age_are_not_answered_after_a_crash(tmp_path, small_kb_dir):
    api = tg.FakeBotApi()
    with tg.BotApiServer(api) as server:
        proc = start_bot(
            tmp_path, server.base_url, small_kb_dir, telegram="replay_max_age_seconds = 0"
        )
        try:
            api.wait_for(lambda calls: any(m == "getUpdates" for m, _ in calls), timeout=120)
            for u in USERS:
                api.push(tg.message("What is a fapiao?", user_id=u, message_id=u))
            api.wait_for(lambda c: sum(n > 0 for n in answered(api).values()) >= 5)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        before = sum(n > 0 for n in answered(api).values())
        proc = start_bot(
            tmp_path, server.base_url, small_kb_dir, telegram="replay_max_age_seconds = 0"
        )
        calls = len(api.calls)
        try:  # started and polling: a getUpdates after the replay step
            api.wait_for(lambda c: sum(m == "getUpdates" for m, _ in c[calls:]) >= 2, timeout=120)
        finally:
            out = stop(proc)
    assert before < BURST
    assert "older than 0 s: not answered" in out
    assert "answering" not in out  # nothing was replayed
