"""Helper for tests/test_storage.py: log N interactions, say "done", keep writing until killed.

Usage: python tests/storage_child.py DB N
Prints "logged <id>" after each of the first N calls returns, then "done"; after that it goes
on logging without a word (10,000 more at most), so the SIGKILL lands in the middle of a
write.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.storage import Storage


def main() -> None:
    path, count = Path(sys.argv[1]), int(sys.argv[2])
    storage = Storage.open(path)
    for i in range(count + 10_000):
        interaction_id = storage.log_interaction(
            user_id=1000 + i,
            chat_type="private",
            language="en",
            question=f"question {i}",
            status="unanswered" if i % 2 else "answered",
            chat_id=1000 + i,
        )
        if i < count:
            print(f"logged {interaction_id}", flush=True)
        if i == count - 1:
            print("done", flush=True)


if __name__ == "__main__":
    main()
