"""Answers survive the database: a full disk, a write lock held by another process, a
damaged page and a frozen (hanging) filesystem, each with real files, through the real
Application. Every user is answered; the staff chat hears of the failure once and of the
recovery once; what was queued is written when storage heals.

The small filesystems need root (mount); without it these tests are skipped with a reason.
"Read-only" is the immutable flag (`chattr +i`): as root, a read-only remount is refused
while the bot has the file open, and file modes do not stop root.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from telegram import Update

from bot.storage import Storage
from bot.telegram import storage_access
from bot.telegram.app import build_application
from tests import fake_telegram as tg

STAFF_CHAT = -100500
USERS = range(1001, 1021)


def mounted(kind: str, target: Path, *options: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", *options, "-t", kind, kind, str(target)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a {kind} filesystem here: {done.stderr.decode().strip()}")


@pytest.fixture
def small_fs(tmp_path):
    """A 2 MB tmpfs: a disk that can really be filled."""
    where = tmp_path / "small"
    mounted("tmpfs", where, "-o", "size=2m")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def ext4_fs(tmp_path):
    """An ext4 filesystem in a file on a loop device: `fsfreeze` can freeze it, `chattr +i`
    make its files read-only under an open connection."""
    for tool in ("fsfreeze", "mkfs.ext4", "chattr"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    image, where = tmp_path / "disk.img", tmp_path / "ext4"
    with open(image, "wb") as f:
        f.truncate(16 * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", str(image)], check=True)
    where.mkdir()
    done = subprocess.run(["mount", "-o", "loop", str(image), str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a loop device here: {done.stderr.decode().strip()}")
    yield where
    subprocess.run(["fsfreeze", "-u", str(where)], capture_output=True)
    subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def bot_config(small_answerer):
    base = small_answerer.config
    return replace(
        base,
        token=tg.TOKEN,
        telegram=replace(base.telegram, staff_chat_id=STAFF_CHAT, rate_limit_messages=50),
    )


async def eventually(predicate, timeout: float = 60.0) -> None:
    """Wait (up to `timeout` s) for something the bot does in the background."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


class Bot:
    """The real Application on a recording request, with storage, started for a test."""

    def __init__(self, config, answerer, storage):
        self.api = tg.FakeBotApi()
        self.app = build_application(
            config, answerer, storage, request=tg.RecordingRequest(self.api)
        )

    async def __aenter__(self):
        await self.app.initialize()
        await self.app.post_init(self.app)
        queue = self.app.bot_data["log_queue"]
        queue.first_delay, queue.stall_after = 0.05, 0.5  # quick retries for the tests
        return self

    async def __aexit__(self, *exc):
        storage_access.close_access(self.app, timeout=10)
        await self.app.shutdown()

    @property
    def queue(self):
        return self.app.bot_data["log_queue"]

    async def send(self, *updates: dict) -> None:
        """Process the updates at once, concurrently, as the running bot would."""
        await asyncio.gather(
            *(
                self.app.process_update(Update.de_json(tg.api_update(self.api, u), self.app.bot))
                for u in updates
            )
        )

    def answered(self, users=USERS) -> list[int]:
        return [u for u in users if self.api.sent("sendMessage", u)]

    def staff(self) -> list[str]:
        return [p["text"] for p in self.api.sent("sendMessage", STAFF_CHAT)]


def questions(users=USERS) -> list[dict]:
    return [tg.message("What is a fapiao?", user_id=u, message_id=u) for u in users]


def logged(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM interactions").fetchone()[0]


async def test_a_full_disk_answers_everyone_and_tells_staff_once(
    small_fs, bot_config, small_answerer
):
    storage = Storage.open(small_fs / "bot.db")
    filler = small_fs / "filler"
    async with Bot(bot_config, small_answerer, storage) as bot:
        with open(filler, "wb") as f:  # fill the disk to the last byte
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        await bot.send(*questions())
        assert bot.answered() == list(USERS)
        await eventually(lambda: bot.staff())
        assert "storage is failing" in bot.staff()[0]

        filler.unlink()  # the disk has room again
        await bot.send(tg.message("What is a fapiao?", user_id=2000))
        await eventually(lambda: len(bot.staff()) == 2 and not len(bot.queue))
        assert "storage works again" in bot.staff()[1]
        assert bot.staff()[0].startswith("⚠️")  # once each, not once per write
        assert bot.staff()[1].startswith("✅")
    counts = bot.queue.counts
    assert logged(small_fs / "bot.db") == 21 - counts.dropped_failed - counts.dropped_full
    assert logged(small_fs / "bot.db") >= 1
    storage.close()


HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.rollback()
"""


async def test_a_write_lock_held_by_another_process_delays_no_answer(
    tmp_path, bot_config, small_answerer
):
    path = tmp_path / "bot.db"
    storage = Storage.open(path)
    storage.set_user_language(1005, "zh")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        async with Bot(bot_config, small_answerer, storage) as bot:
            await bot.send(*questions(), tg.message("/help", user_id=3000))
            assert bot.answered() == list(USERS)  # all answered while the lock is held
            assert bot.api.sent("sendMessage", 3000)
            assert holder.poll() is None  # (still held)
            # the chosen language was read through the lock (WAL readers do not wait)
            assert bot.api.sent("sendMessage", 1005)[0]["text"].startswith("<b>什么是发票")
            holder.communicate("release\n", timeout=30)
            await eventually(lambda: not len(bot.queue))
        assert logged(path) == len(USERS)
    finally:
        holder.kill()
        storage.close()


async def test_a_damaged_page_answers_everyone_with_default_settings(
    tmp_path, bot_config, small_answerer
):
    path = tmp_path / "bot.db"
    with Storage.open(path) as storage:
        storage.set_user_language(1001, "zh")
        for i in range(50):
            storage.log_interaction(
                user_id=i, chat_type="private", language="en", question="q", status="answered"
            )
        pages = {
            name: page
            for name, page in storage.db.execute("SELECT name, rootpage FROM sqlite_master")
        }
    page_size = 4096
    with open(path, "r+b") as f:  # garbage over the tables the bot writes and reads
        for table in ("interactions", "users"):
            f.seek((pages[table] - 1) * page_size)
            f.write(b"\xa5" * page_size)
    storage = Storage.open(path)
    async with Bot(bot_config, small_answerer, storage) as bot:
        users = list(USERS)[:10]
        await bot.send(*questions(users))
        assert bot.answered(users) == users
        # user 1001's chosen language cannot be read: the default (their Telegram language)
        assert bot.api.sent("sendMessage", 1001)[0]["text"].startswith("<b>What is a fapiao")
        await eventually(lambda: bot.staff())
        assert "storage is failing" in bot.staff()[0]
        assert "malformed" in bot.staff()[0]
    assert bot.queue.counts.written == 0
    assert bot.queue.counts.dropped_failed == len(users)  # counted, and the bot went on
    assert len(bot.staff()) == 1
    storage.close()


async def test_a_frozen_filesystem_hangs_writes_but_not_answers(
    ext4_fs, bot_config, small_answerer
):
    storage = Storage.open(ext4_fs / "bot.db")
    try:
        async with Bot(bot_config, small_answerer, storage) as bot:
            subprocess.run(["fsfreeze", "-f", str(ext4_fs)], check=True)
            try:
                await bot.send(*questions(list(USERS)[:5]))  # the first write now hangs
                await asyncio.sleep(1)  # past the queue's stall_after (0.5 s in this test)
                await bot.send(*questions(list(USERS)[5:]), tg.message("/help", user_id=3000))
                assert bot.answered() == list(USERS)
                assert bot.api.sent("sendMessage", 3000)
                await eventually(lambda: bot.staff())
                assert "storage is failing" in bot.staff()[0]
            finally:
                subprocess.run(["fsfreeze", "-u", str(ext4_fs)], check=True)
            await eventually(lambda: len(bot.staff()) == 2 and not len(bot.queue))
            assert "storage works again" in bot.staff()[1]
        assert logged(ext4_fs / "bot.db") == len(USERS)
    finally:
        storage.close()


async def test_a_database_turned_read_only_answers_everyone_and_heals(
    ext4_fs, bot_config, small_answerer
):
    storage = Storage.open(ext4_fs / "bot.db")
    storage.set_user_language(1003, "zh")
    files = [str(p) for p in ext4_fs.glob("bot.db*")]
    try:
        async with Bot(bot_config, small_answerer, storage) as bot:
            subprocess.run(["chattr", "+i", *files], check=True)
            try:
                await bot.send(*questions(), tg.message("/help", user_id=3000))
                assert bot.answered() == list(USERS)
                assert bot.api.sent("sendMessage", 3000)
                assert bot.api.sent("sendMessage", 1003)[0]["text"].startswith("<b>什么是发票")
                await eventually(lambda: bot.staff())
                assert "storage is failing" in bot.staff()[0]
            finally:
                subprocess.run(["chattr", "-i", *files], check=True)
            await bot.send(tg.message("What is a fapiao?", user_id=2000))
            await eventually(lambda: len(bot.staff()) == 2 and not len(bot.queue))
            assert "storage works again" in bot.staff()[1]
        counts = bot.queue.counts
        assert logged(ext4_fs / "bot.db") == 21 - counts.dropped_failed - counts.dropped_full
    finally:
        subprocess.run(["chattr", "-i", *files], capture_output=True)
        storage.close()
