"""The update journal on a real SQLite file: what is replayed, what is skipped, what is kept."""

from __future__ import annotations

import sqlite3

from bot.telegram.journal import UpdateJournal, journal_path
from tests import fake_telegram as tg


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def update(update_id: int, text: str = "What is a fapiao?") -> dict:
    return {"update_id": update_id, **tg.message(text, user_id=update_id)}


def test_received_not_done_is_replayed_once_and_old_ones_are_skipped(tmp_path):
    clock = Clock()
    journal = UpdateJournal(journal_path(tmp_path / "bot.db"), clock=clock)
    assert journal.path.name == "bot.updates.db"
    journal.record([update(1), update(2)])
    clock.now += 7200  # two hours later
    assert journal.record([update(3), update(2, "changed")]) == 1  # a repeat keeps the first
    journal.mark_done(3)
    journal.close()

    again = UpdateJournal(journal.path, clock=clock)
    assert again.take_pending(max_age=3600) == []  # 1 and 2 are too old; 3 is done
    assert {3, 1, 2} <= again.done  # none of them is answered if Telegram sends it again
    assert not again.claim(3) and not again.claim(1)
    assert again.claim(4) and not again.claim(4)  # being answered: not twice at once
    again.close()


def test_pending_updates_come_back_in_order_and_done_ones_keep_no_text(tmp_path):
    journal = UpdateJournal(tmp_path / "j.db", clock=Clock())
    journal.record([update(5), update(6, "my passport is E12345678"), update(7)])
    journal.mark_done(6)
    assert [u["update_id"] for u in journal.take_pending(max_age=60)] == [5, 7]
    journal.close()
    with sqlite3.connect(tmp_path / "j.db") as conn:
        assert conn.execute("SELECT payload FROM updates WHERE update_id = 6").fetchone() == (None,)
