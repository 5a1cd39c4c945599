"""Database writes off the hot path: a bounded queue that one background thread drains.

The user's answer never waits for the log. An adapter answers first and then `put`s the
write (a `Storage` method name and its arguments); `put` never blocks. The writer retries a
write that fails for a reason that may pass (disk full, a lock held too long, a read-only or
damaged file) with growing pauses; what still fails after `retries` attempts, or does not fit
in the queue, is dropped, counted and logged (the method name only, never user text).

Health: the first failure switches the queue to "failing" and calls `on_health(False,
reason)` once; the first success after that switches it back and calls `on_health(True,
summary)` once. Both are also logged once, so an outage is one pair of log lines, however
long it lasts.
"""

from __future__ import annotations

import collections
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.storage import StorageError, UnknownIdError

log = logging.getLogger(__name__)

# Writes whose failure says the call itself is wrong (an unknown id, a bad value): retrying
# cannot help, and they do not mean storage is failing.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    UnknownIdError,
    ValueError,
    sqlite3.IntegrityError,
)
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, OSError, StorageError)


@dataclass
class _Write:
    method: str
    args: tuple
    kwargs: dict
    attempts: int = 0


@dataclass
class QueueCounts:
    """What happened to the writes put on the queue so far."""

    written: int = 0
    dropped_full: int = 0  # the queue was full: the oldest waiting write made room
    dropped_failed: int = 0  # failed `retries` times, or failed for a permanent reason
    failures: int = 0  # failed attempts, retried or not
    outages: int = 0
    by_method: dict[str, int] = field(default_factory=dict)  # dropped, by method


class LogQueue:
    """Writes to `storage` in order, in one background thread, never blocking the caller."""

    def __init__(
        self,
        storage: Any,
        *,
        max_items: int = 10_000,
        retries: int = 5,
        first_delay: float = 0.5,
        max_delay: float = 30.0,
        stall_after: float = 10.0,
        on_health: Callable[[bool, str], None] | None = None,
    ):
        if max_items < 1 or retries < 1:
            raise ValueError("max_items and retries must be at least 1")
        self.storage = storage
        self.max_items = max_items
        self.retries = retries
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.stall_after = stall_after
        self._started = 0.0  # time.monotonic() the current write began
        self.on_health = on_health
        self.counts = QueueCounts()
        self.healthy = True
        self._items: collections.deque[_Write] = collections.deque()
        self._cond = threading.Condition()
        self._busy = False
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self._thread.start()
        self._watchdog = threading.Thread(target=self._watch, name="log-watchdog", daemon=True)
        self._watchdog.start()

    def __len__(self) -> int:
        with self._cond:
            return len(self._items) + int(self._busy)

    def put(self, method: str, *args: Any, **kwargs: Any) -> None:
        """Queue `storage.<method>(*args, **kwargs)`; returns at once, whatever storage does."""
        with self._cond:
            if self._closing:
                self._drop(_Write(method, args, kwargs), "the bot is stopping", full=False)
                return
            stalled = self._is_stalled()
            if len(self._items) >= self.max_items:
                self._drop(self._items.popleft(), "the queue is full", full=True)
            self._items.append(_Write(method, args, kwargs))
            self._cond.notify()
        if stalled:
            self._stalled()

    def pending(self, method: str) -> list[dict[str, Any]]:
        """The keyword arguments of the `method` writes not yet settled (waiting, or being
        written now), oldest first: what a reader cannot see in storage yet."""
        with self._cond:
            return [dict(item.kwargs) for item in self._items if item.method == method]

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the queue to empty; True when it did."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._items or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self, timeout: float = 5.0) -> bool:
        """Write what is waiting (up to `timeout` s), then stop; True when all of it was."""
        drained = self.join(timeout)
        with self._cond:
            self._closing = True
            left = list(self._items)
            self._items.clear()
            self._cond.notify_all()
        if left:  # one line for all of them
            self.counts.dropped_failed += len(left)
            for item in left:
                self.counts.by_method[item.method] = self.counts.by_method.get(item.method, 0) + 1
            log.warning(
                "%d log write(s) dropped: the bot stopped before storage took them", len(left)
            )
        self._thread.join(timeout=1.0)
        return drained and not left

    # -- the writer thread -----------------------------------------------------------------

    def _is_stalled(self) -> bool:
        return self._busy and time.monotonic() - self._started > self.stall_after

    def _stalled(self) -> None:
        """A write hangs (a frozen or dead disk): that is failing storage too."""
        self._set_health(False, f"a write has been waiting over {self.stall_after:.0f} s")

    def _watch(self) -> None:
        """Notice a hanging write even when nothing new is queued."""
        while True:
            with self._cond:
                if self._closing:
                    return
                stalled = self._is_stalled()
            if stalled:
                self._stalled()
            time.sleep(min(1.0, self.stall_after / 2))

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._items and not self._closing:
                    self._cond.wait()
                if self._closing:
                    return
                item = self._items[0]
                self._busy = True
                self._started = time.monotonic()
            delay = self._attempt(item)
            with self._cond:
                if delay is None and self._items and self._items[0] is item:
                    self._items.popleft()
                self._busy = False
                self._cond.notify_all()
                if delay:
                    self._cond.wait_for(lambda: self._closing, timeout=delay)

    def _attempt(self, item: _Write) -> float | None:
        """Try one write: None when it is settled (written or dropped), else the pause."""
        item.attempts += 1
        try:
            getattr(self.storage, item.method)(*item.args, **item.kwargs)
        except PERMANENT_ERRORS as exc:
            with self._cond:
                self._drop(item, f"{type(exc).__name__}: {exc}", full=False)
            return None
        except TRANSIENT_ERRORS as exc:
            self.counts.failures += 1
            self._set_health(False, f"{type(exc).__name__}: {exc}")
            if item.attempts >= self.retries:
                with self._cond:
                    self._drop(item, f"failed {item.attempts} times: {exc}", full=False)
                return None
            return min(self.max_delay, self.first_delay * 2 ** (item.attempts - 1))
        self.counts.written += 1
        self._set_health(True, "")
        return None

    def _drop(self, item: _Write, why: str, *, full: bool) -> None:
        if full:
            self.counts.dropped_full += 1
        else:
            self.counts.dropped_failed += 1
        self.counts.by_method[item.method] = self.counts.by_method.get(item.method, 0) + 1
        dropped = self.counts.dropped_full + self.counts.dropped_failed
        log.warning("log write %s dropped (%s); %d dropped so far", item.method, why, dropped)

    def _set_health(self, healthy: bool, reason: str) -> None:
        with self._cond:
            if healthy == self.healthy:
                return
            self.healthy = healthy
        if healthy:
            c = self.counts
            message = (
                f"storage works again: {len(self)} write(s) waiting are being written; "
                f"{c.dropped_full + c.dropped_failed} dropped so far"
            )
            log.warning("%s", message)
        else:
            self.counts.outages += 1
            message = (
                f"storage is failing ({reason}); users are still answered, log writes are "
                f"queued (at most {self.max_items}) and retried"
            )
            log.error("%s", message)
        if self.on_health is not None:
            try:
                self.on_health(healthy, message)
            except Exception:  # the alert is best effort: never stop the writer
                log.exception("could not report the storage state")
