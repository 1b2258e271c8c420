"""The single writer: every write of the bot queues here and is committed in batches, one at a time.

Why: with synchronous=FULL every COMMIT waits for the disk. Committing once per operation caps
throughput at a few thousand writes per second; committing everything that queued up while the
previous commit was syncing (group commit) amortises that wait over the whole batch.

An operation is `fn(conn: sqlite3.Connection) -> T`, queued with `run_sync(fn)`. Batches run in the
write process (db/write_server.py, see there for why a process), so an operation travels by pickle:
a module-level function, usually bound with functools.partial, with picklable arguments and result.
How a batch runs is in db/batch.py: one BEGIN IMMEDIATE, every operation, one COMMIT; a failing
operation is undone alone and only its caller sees the exception; an operation may run twice, so it
must only act through `conn`. Each caller's future resolves only after the COMMIT, so an
acknowledged write is durable. If the batch as a whole fails, every caller in it gets the error.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from bot.forum.errors import StoreUnavailable

from .batch import TransactionLost
from .write_process import WriteProcess, WriteProcessGone
from .write_server import encode_frame

__all__ = ["TransactionLost", "WriteProcessGone", "Writer", "WriterClosed"]

T = TypeVar("T")

log = logging.getLogger(__name__)

# Batches sent to the write process and not yet answered: while it commits one (waiting for the
# disk), the next is already on its way, so the process never waits for the bot between batches.
IN_FLIGHT = 2
RESTART_EVERY = 1.0  # seconds: after a write process failed to start, batches fail until then


class WriterClosed(StoreUnavailable):
    """The writer is stopped (the bot is closing, or the write process could not be started again)."""


class _Item:
    __slots__ = ("op", "future", "progress")

    def __init__(self, op: Any, future: asyncio.Future, progress: object | None) -> None:
        self.op = op
        self.future = future
        self.progress = progress


class Writer:
    """Queues operations and hands them to the write process in batches. Counters are for tests
    and benchmarks.

    Batches are formed and sent by a feeding thread, not by a task on the event loop: during a burst
    of gateway events the loop has thousands of callbacks ready, and a writer task waiting its turn
    behind them left the write process idle (bench/RESULTS.md, "Vote ingestion"). The loop only
    queues operations and, once per batch, resolves the callers' futures.
    """

    def __init__(self, path: Path, *, max_batch: int = 1000) -> None:
        self._process = WriteProcess(path, self._answered)
        self._max_batch = max_batch
        self._queue: deque[_Item] = deque()
        self._has_work = threading.Condition()  # guards _queue and _closing
        self._slots = threading.Semaphore(IN_FLIGHT)
        self._feeder: threading.Thread | None = None
        self._fed: asyncio.Future[None] | None = None  # done when the feeding thread has ended
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False
        self.commits = 0  # successful COMMITs (batches)
        self.ops = 0  # operations executed (succeeded or failed)
        self.failed_ops = 0
        self.restarts = 0  # write processes started again after one ended unexpectedly
        self._restart_failed_at = -RESTART_EVERY

    @property
    def queued(self) -> int:
        """Operations waiting for a batch (not yet sent to the write process)."""
        return len(self._queue)

    async def start(self) -> None:
        """Start the write process (DatabaseUnusable if it cannot open the database) and the feeder."""
        if self._feeder is None:
            self._loop = asyncio.get_running_loop()
            await asyncio.to_thread(self._process.start)
            self._fed = self._loop.create_future()
            self._feeder = threading.Thread(target=self._feed, name="quorum-db-writer", daemon=True)
            self._feeder.start()

    def run_sync(self, fn: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """Queue `fn(sqlite3.Connection)`; the future resolves to its result once committed.

        A plain method returning the future (not a coroutine): `await writer.run_sync(fn)` reads the
        same and saves a coroutine per write on the hot path.
        """
        return self._submit(fn, None)

    def run_long(self, fn: Callable[..., T], progress: object) -> asyncio.Future[T]:
        """Queue `fn(conn, progress=...)`, a long operation in a batch of its own; while it runs,
        the attributes it sets on its copy of `progress` are copied back to this one."""
        return self._submit(fn, progress)

    def _submit(self, op: Any, progress: object | None) -> asyncio.Future:
        if self._loop is None:
            raise WriterClosed("the database writer is not running")
        future = self._loop.create_future()
        with self._has_work:
            if self._closing:
                raise WriterClosed("the database writer is not running")
            self._queue.append(_Item(op, future, progress))
            self._has_work.notify()
        return future

    async def close(self) -> None:
        """Stop accepting operations, commit everything already queued, stop the write process."""
        with self._has_work:
            self._closing = True
            self._has_work.notify()
        if self._fed is not None:
            await self._fed
        await asyncio.to_thread(self._process.close)

    # -- the feeding thread

    def _feed(self) -> None:
        try:
            while True:
                self._slots.acquire()  # at most IN_FLIGHT batches unanswered
                batch = self._next_batch()
                if batch is None:
                    self._slots.release()
                    break
                self._send(batch)
        except BaseException as exc:  # a write process that cannot be started again: stop writing
            log.exception("The database writer stopped")
            with self._has_work:
                self._closing = True
                left = list(self._queue)
                self._queue.clear()
            self._loop.call_soon_threadsafe(
                self._settle, left, "lost", WriterClosed(f"the database writer stopped: {exc}")
            )
        finally:
            for _ in range(IN_FLIGHT):  # every batch in flight has been answered
                self._slots.acquire()
            self._loop.call_soon_threadsafe(_set_done, self._fed)

    def _next_batch(self) -> list[_Item] | None:
        """Everything that queued up while the previous batch was committing (up to the cap); an
        operation with progress goes alone. None once closing and nothing is left."""
        with self._has_work:
            while not self._queue:
                if self._closing:
                    return None
                self._has_work.wait()
            queue = self._queue
            if queue[0].progress is not None:
                return [queue.popleft()]
            batch = []
            while queue and len(batch) < self._max_batch and queue[0].progress is None:
                batch.append(queue.popleft())
            return batch

    def _send(self, batch: list[_Item]) -> None:
        ops = [item.op for item in batch]
        try:
            self._process.send(batch, ops, batch[0].progress)
        except (TypeError, AttributeError, pickle.PicklingError):
            self._send_what_travels(batch)
        except WriteProcessGone:
            self._restart_and_send(batch, ops)

    def _restart_and_send(self, batch: list[_Item], ops: list) -> None:
        """The process ended unexpectedly (killed, out of memory); the batches it had were answered
        as lost. Start another and send it the batch. One that ends again before it is ready (killed
        while starting) fails this batch only, and the next batch tries again, at most once per
        RESTART_EVERY; a database it cannot open (DatabaseUnusable) stops the writer."""
        if time.monotonic() - self._restart_failed_at < RESTART_EVERY:
            gone = WriteProcessGone("the database write process is not running; starting it again shortly")
            self._answered(batch, "lost", gone)
            return
        log.error("The database write process ended unexpectedly; starting it again")
        self.restarts += 1
        try:
            self._process.start()
            self._process.send(batch, ops, batch[0].progress)
        except WriteProcessGone as exc:
            self._restart_failed_at = time.monotonic()
            self._answered(batch, "lost", exc)
        except BaseException as exc:
            self._answered(batch, "lost", exc)
            raise

    def _send_what_travels(self, batch: list[_Item]) -> None:
        """Some operation of the batch cannot be pickled (a closure, a lambda, an open handle): fail
        those callers with the reason, send the others."""
        travels = []
        for item in batch:
            try:
                encode_frame(([item.op], item.progress))
            except (TypeError, AttributeError, pickle.PicklingError) as exc:
                error = TypeError(f"a write operation must be picklable (a module-level function, bound with "
                                  f"functools.partial, and picklable arguments): {exc}")  # fmt: skip
                self._loop.call_soon_threadsafe(self._settle, [item], "lost", error)
            else:
                travels.append(item)
        if travels and len(travels) < len(batch):
            self._send(travels)
            return
        if travels:  # each travels alone but not together: nothing sensible left to try
            error = TypeError("the batch's write operations could not be pickled together")
            self._loop.call_soon_threadsafe(self._settle, travels, "lost", error)
        self._slots.release()

    def _answered(self, batch: object, kind: str, detail: Any) -> None:
        """The reading thread's report on one batch: settle its callers on the loop."""
        self._loop.call_soon_threadsafe(self._settle, batch, kind, detail)
        self._slots.release()

    # -- on the event loop

    def _settle(self, batch: list[_Item], kind: str, detail: Any) -> None:
        self.ops += len(batch)
        if kind != "done":
            self.failed_ops += len(batch)
            for item in batch:
                _fail(item, detail)
            return
        self.commits += 1
        for item, (ok, value) in zip(batch, detail, strict=True):
            if ok:
                if not item.future.done():
                    item.future.set_result(value)
            else:
                self.failed_ops += 1
                _fail(item, value)


def _fail(item: _Item, exc: BaseException) -> None:
    if not item.future.done():
        item.future.set_exception(exc)


def _set_done(future: asyncio.Future[None] | None) -> None:
    if future is not None and not future.done():
        future.set_result(None)
