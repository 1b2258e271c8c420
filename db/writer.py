"""The single writer: one task owns the write connection and commits queued operations in batches.

Why: with synchronous=FULL every COMMIT waits for the disk. Committing once per operation caps
throughput at a few thousand writes per second; committing everything that queued up while the
previous commit was syncing (group commit) amortises that wait over the whole batch.

How a batch runs: BEGIN IMMEDIATE; for each op: SAVEPOINT, run, RELEASE (or ROLLBACK TO on error, so a
failing op is undone alone and only its caller sees the exception); one COMMIT; only then is each
caller's future resolved, so an acknowledged write is durable. If COMMIT fails, every caller in the
batch gets the error.

Two kinds of operation:
- `run(op)`: `async def op(conn: aiosqlite.Connection) -> T`, general but each statement is a
  round trip to the connection's thread.
- `run_sync(fn)`: `def fn(conn: sqlite3.Connection) -> T`, executed on the connection's thread;
  consecutive sync ops of a batch run in ONE hop. A batch of only sync ops first runs without
  savepoints and is redone with them if an op fails, so a sync op may run more than once: it must
  only act through `conn` (no other side effects). Hot paths (votes) and the store's writes use this.
Operations must not BEGIN, COMMIT or ROLLBACK themselves.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiosqlite

from .connection import run_on_connection_thread

T = TypeVar("T")

AsyncOp = Callable[[aiosqlite.Connection], Awaitable[Any]]
SyncOp = Callable[[sqlite3.Connection], Any]


class WriterClosed(RuntimeError):
    pass


class TransactionLost(sqlite3.OperationalError):
    """An operation's failure made SQLite abandon the whole batch transaction (e.g. disk full)."""


class _Item:
    __slots__ = ("op", "is_sync", "future", "ok", "value")

    def __init__(self, op: Any, is_sync: bool, future: asyncio.Future) -> None:
        self.op = op
        self.is_sync = is_sync
        self.future = future
        self.ok = False
        self.value: Any = None


def _apply_sync(raw: sqlite3.Connection, items: list[_Item], begin: bool, commit: bool) -> None:
    """Runs on the connection's thread: a run of sync ops, each in its own savepoint."""
    if begin:
        raw.execute("BEGIN IMMEDIATE")
    for item in items:
        raw.execute("SAVEPOINT op")
        try:
            item.value = item.op(raw)
            item.ok = True
        except Exception as exc:
            item.value = exc
            _undo_op(raw, exc)
        else:
            _release_op(raw)
    if commit:
        raw.execute("COMMIT")


def _apply_sync_batch(raw: sqlite3.Connection, items: list[_Item]) -> None:
    """A whole batch of sync ops, optimistically: no savepoints (they cost about a quarter of the
    throughput), and if any op fails, roll everything back and redo the batch with one savepoint per
    op. Failures are rare (replays are absorbed by ON CONFLICT, not raised), so the redo is too."""
    raw.execute("BEGIN IMMEDIATE")
    try:
        for item in items:
            item.value = item.op(raw)
            if not raw.in_transaction:
                raise TransactionLost("a write operation ended the writer's transaction (ops must not commit)")
    except TransactionLost:
        raise
    except Exception:
        _rollback(raw)
        for item in items:
            item.value = None
        _apply_sync(raw, items, True, True)
        return
    for item in items:
        item.ok = True
    raw.execute("COMMIT")


def _undo_op(raw: sqlite3.Connection, exc: Exception) -> None:
    if not raw.in_transaction:
        # Some errors (SQLITE_FULL, IOERR, ...) roll back the whole transaction: the ops before this
        # one are gone too, so the batch must fail as a whole.
        raise TransactionLost(f"the batch transaction was rolled back by SQLite: {exc}") from exc
    raw.execute("ROLLBACK TO op")
    raw.execute("RELEASE op")


def _release_op(raw: sqlite3.Connection) -> None:
    if not raw.in_transaction:
        raise TransactionLost("a write operation ended the writer's transaction (ops must not commit)")
    raw.execute("RELEASE op")


def _rollback(raw: sqlite3.Connection) -> None:
    if raw.in_transaction:
        raw.execute("ROLLBACK")


class Writer:
    """Owns the write connection's transactions. Counters are for tests and benchmarks."""

    def __init__(self, conn: aiosqlite.Connection, *, max_batch: int = 1000) -> None:
        self._conn = conn
        self._max_batch = max_batch
        self._pending: deque[_Item] = deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False
        self.commits = 0  # successful COMMITs (batches)
        self.ops = 0  # operations executed (succeeded or failed)
        self.failed_ops = 0

    async def start(self) -> None:
        if self._conn.isolation_level is not None:
            # The sqlite3 module would otherwise open transactions behind the writer's back.
            raise ValueError("the writer needs a connection opened with isolation_level=None")
        if self._task is None:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.create_task(self._serve(), name="quorum-db-writer")

    def run(self, op: Callable[[aiosqlite.Connection], Awaitable[T]]) -> asyncio.Future[T]:
        """Queue `op`; the returned future resolves to its result once its batch is committed."""
        return self._submit(op, False)

    def run_sync(self, fn: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """Queue a synchronous `fn(sqlite3.Connection)`; the future resolves once committed.

        Plain methods returning the future (not coroutines): `await writer.run_sync(fn)` reads the
        same and saves a coroutine per write on the hot path.
        """
        return self._submit(fn, True)

    def _submit(self, op: Any, is_sync: bool) -> asyncio.Future:
        if self._closing or self._task is None or self._task.done():
            raise WriterClosed("the database writer is not running")
        future = self._loop.create_future()
        self._pending.append(_Item(op, is_sync, future))
        self._wakeup.set()
        return future

    async def close(self) -> None:
        """Stop accepting operations, commit everything already queued, stop the task."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task

    async def _serve(self) -> None:
        try:
            while True:
                if not self._pending:
                    if self._closing:
                        return
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                # Everything that queued up while the previous batch was committing goes into this one.
                count = min(len(self._pending), self._max_batch)
                batch = [self._pending.popleft() for _ in range(count)]
                await self._run_batch(batch)
        finally:
            # Whatever the reason the loop ends, nobody may wait forever on a queued op.
            self._closing = True
            while self._pending:
                _fail(self._pending.popleft(), WriterClosed("the database writer stopped"))

    async def _run_batch(self, batch: list[_Item]) -> None:
        try:
            if all(item.is_sync for item in batch):
                # The common case: BEGIN, every op and COMMIT in a single hop.
                await run_on_connection_thread(self._conn, lambda raw: _apply_sync_batch(raw, batch))
            else:
                await self._run_mixed(batch)
        except BaseException as exc:
            await self._abandon(batch, exc)
            if not isinstance(exc, Exception):
                raise  # cancellation: the batch's callers are told, then the loop ends
            return
        self.commits += 1
        self.ops += len(batch)
        for item in batch:
            if item.ok:
                if not item.future.done():
                    item.future.set_result(item.value)
            else:
                self.failed_ops += 1
                _fail(item, item.value)

    async def _run_mixed(self, batch: list[_Item]) -> None:
        conn = self._conn
        await conn.execute("BEGIN IMMEDIATE")
        i = 0
        while i < len(batch):
            if batch[i].is_sync:
                j = i
                while j < len(batch) and batch[j].is_sync:
                    j += 1
                run = batch[i:j]
                await run_on_connection_thread(conn, lambda raw, run=run: _apply_sync(raw, run, False, False))
                i = j
                continue
            item = batch[i]
            await conn.execute("SAVEPOINT op")
            try:
                item.value = await item.op(conn)
                item.ok = True
            except Exception as exc:
                item.value = exc
                await run_on_connection_thread(conn, lambda raw, exc=exc: _undo_op(raw, exc))
            else:
                await run_on_connection_thread(conn, _release_op)
            i += 1
        await conn.execute("COMMIT")

    async def _abandon(self, batch: list[_Item], exc: BaseException) -> None:
        """The batch did not commit: roll back what is left and fail every caller in it."""
        try:
            await run_on_connection_thread(self._conn, _rollback)
        except Exception:  # noqa: S110 - the original error is what callers need to see
            pass
        self.ops += len(batch)
        self.failed_ops += len(batch)
        error = exc if isinstance(exc, Exception) else WriterClosed("the database writer was cancelled")
        for item in batch:
            _fail(item, error)


def _fail(item: _Item, exc: BaseException) -> None:
    if not item.future.done():
        item.future.set_exception(exc)
