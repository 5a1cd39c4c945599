"""Users answered while the database fails: the real bot (`python -m bot run`) over HTTP
against the Bot API stand-in, with real faults on real files.

- disk_full: the database on a 2 MB tmpfs, filled to the last byte; later freed again.
- held_lock: another process holds the database's write lock (BEGIN IMMEDIATE) for 10 s.
- damaged_page: the pages of the interactions and users tables overwritten with garbage.
- read_only: the database's files made immutable (`chattr +i`, on ext4) under the running
  bot for 10 s: every write fails; then writable again.
- frozen_fs: the database's filesystem (ext4 on a loop device) frozen with fsfreeze, so
  every write hangs, for 15 s.

For each: how many users were answered, their wait (question to reply), how often the
staff chat was told. Needs root (mount, losetup, fsfreeze, chattr).

Example: python bench/storage_faults.py [--code ../main]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import botproc  # noqa: E402
from bench.common import ROOT, add_smoke_option, results_folder, table, write_results  # noqa: E402
from tests import fake_telegram as tg  # noqa: E402

HOLD = 10.0
FREEZE = 15.0
HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.rollback()
"""


def ask(api, users, text=botproc.ANSWERED) -> dict[int, float]:
    pushed = {}
    for u in users:
        update = api.push(tg.message(text, user_id=u, message_id=u))
        pushed[u] = api.pushed[update["update_id"]]
    return pushed


def figures(api, pushed: dict[int, float], quiet: float = 20.0) -> dict:
    got = botproc.wait_quiet(api, pushed, lambda got: all(got.values()), quiet=quiet, limit=120)
    waits = [got[u][0] - pushed[u] for u in pushed if got[u]]
    return {
        "users": len(pushed),
        "answered": len(waits),
        "median_wait_s": round(statistics.median(waits), 3) if waits else None,
        "worst_wait_s": round(max(waits), 3) if waits else None,
    }


def alerts(api) -> tuple[int, int]:
    staff = [p["text"] for p in api.sent("sendMessage", botproc.STAFF_CHAT)]
    return sum("storage is failing" in t for t in staff), sum("works again" in t for t in staff)


def disk_full(work: Path, api, base_url: str, code: Path) -> dict:
    small = work / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(small)], check=True)
    try:
        proc = botproc.start(work, base_url, small / "bot.db", code)
        try:
            botproc.ready(api)
            filler = small / "filler"
            try:  # fill the disk to the last byte
                with open(filler, "wb") as f:
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
            except OSError:
                pass
            row = figures(api, ask(api, range(1001, 1021)))
            filler.unlink(missing_ok=True)
            figures(api, ask(api, [1100]), quiet=5)
            time.sleep(3)  # the queued writes are retried
        finally:
            botproc.stop(proc)
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)
    return row


def held_lock(work: Path, api, base_url: str, code: Path) -> dict:
    database = work / "bot.db"
    proc = botproc.start(work, base_url, database, code)
    try:
        botproc.ready(api)
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(database), str(HOLD)],
            stdout=subprocess.PIPE,
            text=True,
        )
        holder.stdout.readline()
        row = figures(api, ask(api, range(2001, 2021)))
        holder.wait()
        time.sleep(10)  # the queued writes are retried (pauses grow to 8 s)
    finally:
        botproc.stop(proc)
    return row


def damaged_page(work: Path, api, base_url: str, code: Path) -> dict:
    database = work / "bot.db"
    proc = botproc.start(work, base_url, database, code)
    try:
        botproc.ready(api)
        figures(api, ask(api, range(3001, 3011)), quiet=5)  # some rows to damage
    finally:
        botproc.stop(proc)
    with sqlite3.connect(database) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = dict(conn.execute("SELECT name, rootpage FROM sqlite_master"))
    with open(database, "r+b") as f:
        for table_name in ("interactions", "users"):
            f.seek((pages[table_name] - 1) * page_size)
            f.write(b"\xa5" * page_size)
    calls = len(api.calls)
    proc = botproc.start(work, base_url, database, code)
    try:
        botproc.ready(api, since=calls)
        return figures(api, ask(api, range(3101, 3111)))
    finally:
        botproc.stop(proc)


def ext4(work: Path) -> Path:
    """A fresh ext4 filesystem on a loop device, mounted at work/ext4."""
    image, disk = work / "disk.img", work / "ext4"
    with open(image, "wb") as f:
        f.truncate(32 * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", str(image)], check=True)
    disk.mkdir()
    subprocess.run(["mount", "-o", "loop", str(image), str(disk)], check=True)
    return disk


def read_only(work: Path, api, base_url: str, code: Path) -> dict:
    disk = ext4(work)
    files: list[str] = []
    try:
        proc = botproc.start(work, base_url, disk / "bot.db", code)
        try:
            botproc.ready(api)
            files = [str(p) for p in disk.glob("bot.db*")]
            subprocess.run(["chattr", "+i", *files], check=True)
            made_read_only = time.monotonic()
            try:
                pushed = ask(api, range(5001, 5021))
                pushed.update(ask(api, [5100], "/help"))
                row = figures(api, pushed, quiet=HOLD - 3)
            finally:
                time.sleep(max(0.0, made_read_only + HOLD - time.monotonic()))
                subprocess.run(["chattr", "-i", *files], check=True)
            figures(api, ask(api, [5200]), quiet=5)
            time.sleep(3)
        finally:
            botproc.stop(proc)
    finally:
        subprocess.run(["chattr", "-i", *files], capture_output=True)
        subprocess.run(["umount", "-l", str(disk)], check=False)
    return row


def frozen_fs(work: Path, api, base_url: str, code: Path) -> dict:
    disk = ext4(work)
    try:
        proc = botproc.start(work, base_url, disk / "bot.db", code)
        try:
            botproc.ready(api)
            subprocess.run(["fsfreeze", "-f", str(disk)], check=True)
            frozen_at = time.monotonic()
            try:
                pushed = ask(api, range(4001, 4021))
                pushed.update(ask(api, [4100], "/help"))
                row = figures(api, pushed, quiet=FREEZE - 3)
            finally:
                time.sleep(max(0.0, frozen_at + FREEZE - time.monotonic()))
                subprocess.run(["fsfreeze", "-u", str(disk)], check=True)
            time.sleep(3)
        finally:
            botproc.stop(proc)
    finally:
        subprocess.run(["fsfreeze", "-u", str(disk)], capture_output=True)
        subprocess.run(["umount", "-l", str(disk)], check=False)
    return row


FAULTS = {
    "disk_full": disk_full,
    "held_lock": held_lock,
    "damaged_page": damaged_page,
    "read_only": read_only,
    "frozen_fs": frozen_fs,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose bot to run")
    parser.add_argument("--faults", nargs="+", default=list(FAULTS), choices=list(FAULTS))
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    parser.add_argument("--name", default="storage_faults")
    add_smoke_option(parser)
    args = parser.parse_args()
    if args.smoke:  # one fault that needs no root
        args.faults = ["held_lock"]
    rows = []
    for name in args.faults:
        api = tg.FakeBotApi()
        with tempfile.TemporaryDirectory(prefix="fault-") as tmp, tg.BotApiServer(api) as srv:
            row = FAULTS[name](Path(tmp), api, srv.base_url, args.code.resolve())
        failing, healed = alerts(api)
        rows.append(
            {"fault": name, **row, "staff_told_failing": failing, "staff_told_healed": healed}
        )
        print(rows[-1], flush=True)
    text = table(rows, list(rows[0]))
    text += (
        f"\n\nheld_lock: the lock is held {HOLD:.0f} s; frozen_fs: writes hang {FREEZE:.0f} s. "
        "wait: question to first reply."
    )
    write_results(args.name, {"rows": rows, "code": str(args.code)}, text, results_folder(args))
    print(text)


if __name__ == "__main__":
    main()
