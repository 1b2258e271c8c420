"""Repair after lost writes: the store must not stay wrong until the next restart.

When a write fails because the storage is unavailable (StoreUnavailable: the disk is full, an I/O
error, the write process was killed with the batch in its hands), the event it came from is lost.
Discord still shows what happened, so the threads those events touched are remembered here and,
once a probe write succeeds again, caught up one by one (the adapter's per-thread catch-up: messages,
edits, deletions, reactions and pins, through the same idempotent service calls as live events).
A failure during the repair marks the thread again, so the repair ends only when everything it
owed was written.

Failures are logged once a minute with a count, not once per event: a full disk fails every event,
and a traceback each would drown the log (a traceback is at DEBUG only).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from .errors import StoreUnavailable

log = logging.getLogger(__name__)

REPORT_EVERY = 60.0  # seconds between log lines while writes keep failing
RETRY_EVERY = 1.0  # seconds between probe writes while the store is unavailable

CatchUpThreads = Callable[[list[int]], Awaitable[None]]


class FailureLog:
    """Counts writes that could not be saved and says so at most once per `every` seconds."""

    def __init__(self, *, every: float = REPORT_EVERY, clock: Callable[[], float] = time.monotonic) -> None:
        self._every = every
        self._clock = clock
        self._reported_at: float | None = None
        self._unreported = 0  # failures since the last line
        self.total = 0  # failures since writes last worked
        self._reason = ""

    def failed(self, error: StoreUnavailable) -> None:
        self.total += 1
        self._unreported += 1
        self._reason = error.reason
        log.debug("A write was not saved: %s", error.reason, exc_info=error)
        self.report_due()

    def report_due(self) -> None:
        """The line owed, once `every` seconds have passed since the last one (or at the first failure)."""
        now = self._clock()
        if not self._unreported or (self._reported_at is not None and now - self._reported_at < self._every):
            return
        self._reported_at = now
        log.warning("The database cannot be written (%s): %d write(s) not saved since the last report; the "
                    "threads they touched will be caught up from Discord once writes work again",
                    self._reason, self._unreported)  # fmt: skip
        self._unreported = 0

    def recovered(self, threads: int) -> None:
        """Writes work again and what they lost is caught up: said once, if the failures were said."""
        if self.total and self._unreported < self.total:
            log.info("The database takes writes again: %d write(s) had not been saved; %d thread(s) caught up "
                     "from Discord", self.total, threads)  # fmt: skip
        self.total = self._unreported = 0


class Repair:
    """Threads whose events were lost, and the loop that catches them up once writes work again."""

    def __init__(self, probe: Callable[[], Awaitable[None]], *, retry_every: float = RETRY_EVERY,
                 failures: FailureLog | None = None) -> None:  # fmt: skip
        self._probe = probe
        self._retry_every = retry_every
        self.failures = failures or FailureLog()
        self._dirty: set[int] = set()
        self._catch_up: CatchUpThreads | None = None
        self._task: asyncio.Task[None] | None = None
        self._caught_up = 0  # threads caught up since writes last failed
        self.repairs = 0  # completed repairs (writes worked again and every marked thread was caught up)

    @property
    def pending(self) -> frozenset[int]:
        """Threads waiting to be caught up."""
        return frozenset(self._dirty)

    @property
    def idle(self) -> bool:
        return not self._dirty and (self._task is None or self._task.done())

    def attach(self, catch_up: CatchUpThreads) -> None:
        """The adapter's per-thread catch-up; until one is attached, threads are only remembered."""
        self._catch_up = catch_up
        if self._dirty:
            self._start()

    def detach(self) -> None:
        self._catch_up = None
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def failed(self, thread_id: int | None, error: StoreUnavailable) -> None:
        """A write was not saved. `thread_id`: the thread whose event it was, to be caught up (None
        when it touched no thread, or nothing Discord keeps)."""
        self.failures.failed(error)
        if thread_id is not None:
            self._dirty.add(thread_id)
        self._start()

    def _start(self) -> None:
        if self._catch_up is None or (self._task is not None and not self._task.done()):
            return  # not attached (yet, or any more: the bot is closing), or already running
        with contextlib.suppress(RuntimeError):  # no running loop: the next failure on one starts it
            self._task = asyncio.get_running_loop().create_task(self._run(), name="quorum-repair")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._retry_every)  # also lets a burst of failures arrive first
            self.failures.report_due()
            if not await self._writable():
                continue
            if self._dirty and self._catch_up is not None:
                threads = sorted(self._dirty)
                self._dirty.clear()
                try:
                    await self._catch_up(threads)  # a thread whose writes fail again is marked again
                except Exception:  # a bug, not the store: trying again would only fail again
                    log.exception("Repairing threads %s failed; the next catch-up run reads them", threads)
                self._caught_up += len(threads)
            if not self._dirty or self._catch_up is None:
                self.failures.recovered(self._caught_up)
                self._caught_up = 0
                self.repairs += 1
                return

    async def _writable(self) -> bool:
        try:
            await self._probe()
        except StoreUnavailable as exc:
            log.debug("The database still cannot be written: %s", exc.reason)
            return False
        return True


def probe_with(store_probe: Callable[[datetime], Awaitable[None]], clock: Callable[[], datetime]):
    """The probe the service gives Repair: one small write, stamped with the forum's clock."""
    return lambda: store_probe(clock())
