"""The write queue on a real database: order, retries, bounded memory, one alert each way."""

from __future__ import annotations

import threading

from bot.logqueue import LogQueue
from bot.storage import Storage


def log(queue: LogQueue, user: int, status: str = "answered") -> None:
    queue.put(
        "log_interaction",
        user_id=user,
        chat_type="private",
        language="en",
        question=f"q{user}",
        status=status,
    )


def count(storage: Storage) -> int:
    return storage.db.execute("SELECT count(*) FROM interactions").fetchone()[0]


def test_writes_in_order_and_a_bad_call_is_dropped_not_retried(tmp_path):
    with Storage.open(tmp_path / "bot.db") as storage:
        health = []
        queue = LogQueue(storage, on_health=lambda ok, why: health.append(ok))
        log(queue, 1)
        queue.put("log_feedback", "no-such-ref", 1, True)  # unknown: a permanent error
        log(queue, 2, status="not-a-status")  # a ValueError: permanent
        log(queue, 3)
        assert queue.close(timeout=10) is True
        rows = storage.db.execute("SELECT question FROM interactions ORDER BY id").fetchall()
        assert rows == [("q1",), ("q3",)]
        assert (queue.counts.written, queue.counts.dropped_failed) == (2, 2)
        assert health == []  # a wrong call is not failing storage


def test_refused_writes_are_retried_and_the_state_is_told_once_each_way(tmp_path):
    with Storage.open(tmp_path / "bot.db") as storage:
        changed = threading.Event()
        health = []

        def on_health(ok, why):
            health.append((ok, why))
            changed.set()

        queue = LogQueue(
            storage, retries=1000, first_delay=0.01, max_delay=0.05, on_health=on_health
        )
        with storage._lock:  # the queue's next write sees a read-only connection
            storage.db.execute("PRAGMA query_only = 1")
        for user in range(5):
            log(queue, user)
        assert changed.wait(10)
        changed.clear()
        with storage._lock:
            storage.db.execute("PRAGMA query_only = 0")
        assert queue.join(10)
        assert count(storage) == 5  # nothing lost: retried until storage healed
        assert [ok for ok, _ in health] == [False, True]
        assert "readonly" in health[0][1]
        queue.close()


def test_memory_is_bounded_the_oldest_waiting_write_is_dropped_and_counted(tmp_path):
    with Storage.open(tmp_path / "bot.db") as storage:
        with storage._lock:  # the writer cannot start: everything waits in the queue
            queue = LogQueue(storage, max_items=3)
            for user in range(10):
                log(queue, user)
            assert len(queue) <= 4  # three waiting, at most one being written
        assert queue.close(timeout=10)
        assert queue.counts.dropped_full >= 6
        kept = [q for (q,) in storage.db.execute("SELECT question FROM interactions")]
        assert kept[-3:] == ["q7", "q8", "q9"]  # the newest are kept


def test_pending_lists_the_writes_a_reader_cannot_see_yet(tmp_path):
    with Storage.open(tmp_path / "bot.db") as storage:
        release = threading.Event()

        class Held:  # the real storage behind a write that waits (a slow disk)
            def __getattr__(self, name):
                return getattr(storage, name)

            def hold(self):
                assert release.wait(10)

        queue = LogQueue(Held())
        queue.put("hold")
        relay = dict(staff_chat_id=-1, staff_message_id=5, user_chat_id=9, user_id=9)
        queue.put("save_relay", **relay, language="en", question="q")
        log(queue, 1)
        [waiting] = queue.pending("save_relay")
        assert waiting == {**relay, "language": "en", "question": "q"}
        assert queue.pending("forget") == []
        release.set()
        assert queue.close(timeout=10) is True
        assert queue.pending("save_relay") == []
        assert storage.find_relay(-1, 5)["user_chat_id"] == 9
