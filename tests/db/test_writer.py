from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import pytest

from bot.forum.errors import StoreUnavailable
from db.writer import IN_FLIGHT, TransactionLost, WriteProcessGone, Writer, WriterClosed

from . import writer_ops as ops


async def _started(db_path: Path, **kwargs) -> Writer:
    w = Writer(db_path, **kwargs)
    await w.start()
    await w.run_sync(ops.create_schema)
    return w


@pytest.fixture
async def writer(db_path: Path) -> AsyncIterator[Writer]:
    w = await _started(db_path)
    yield w
    await w.close()


@asynccontextmanager
async def _held(writer: Writer, tmp_path: Path) -> AsyncIterator[None]:
    """Every batch slot is taken by an operation waiting for a gate: what is submitted inside the
    block queues up and goes to the write process as one batch when the block ends."""
    gate = tmp_path / "gate"
    holders = []
    for i in range(IN_FLIGHT):
        entered = tmp_path / f"entered-{i}"
        holders.append(asyncio.ensure_future(writer.run_sync(partial(ops.wait_for, str(gate), str(entered)))))
        while writer.queued:  # noqa: ASYNC110 - the feeder thread has no event to await; taken by it
            await asyncio.sleep(0.005)
    while not (tmp_path / "entered-0").exists():  # noqa: ASYNC110 - a file written by the write process
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.05)  # the feeder has sent the second holder and waits for a free slot
    try:
        yield
    finally:
        gate.touch()
        await asyncio.gather(*holders)


def _visible(path: Path) -> set[int]:
    """What another connection (another process, in effect) sees as committed."""
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT id FROM item")}


async def test_group_commit_acknowledges_only_durable_writes(writer: Writer, db_path: Path) -> None:
    n = 200
    seen_at_ack: list[bool] = []

    async def caller(i: int) -> None:
        assert await writer.run_sync(partial(ops.insert, i)) == i
        # Acknowledged: the row must already be committed, visible to a separate connection.
        seen_at_ack.append(i in _visible(db_path))

    commits = writer.commits
    await asyncio.gather(*(caller(i) for i in range(n)))
    assert seen_at_ack == [True] * n
    assert _visible(db_path) == set(range(n))
    assert 1 <= writer.commits - commits < n  # batched, not one commit per op


async def test_writes_happen_in_another_process(writer: Writer) -> None:
    assert await writer.run_sync(ops.pid) != os.getpid()


async def test_failing_op_is_rolled_back_alone(writer: Writer, db_path: Path, tmp_path: Path) -> None:
    batch = [partial(ops.insert, i) for i in range(50)]
    batch[10] = partial(ops.fail_after_insert, 10)
    batch[20] = partial(ops.insert, 5)  # duplicate key: IntegrityError
    async with _held(writer, tmp_path):
        commits, failed = writer.commits, writer.failed_ops
        futures = [writer.run_sync(op) for op in batch]
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert writer.commits == commits + IN_FLIGHT + 1  # the holders' batches, then these in one
    assert isinstance(results[10], ValueError) and str(results[10]) == "op 10 refuses"
    assert isinstance(results[20], sqlite3.IntegrityError)
    assert _visible(db_path) == set(range(50)) - {10, 20}
    assert writer.failed_ops == failed + 2


async def test_what_cannot_travel_back_fails_only_its_caller(writer: Writer, db_path: Path, tmp_path: Path) -> None:
    async with _held(writer, tmp_path):
        futures = [
            writer.run_sync(partial(ops.insert, 1)),
            writer.run_sync(ops.unpicklable_result),
            writer.run_sync(ops.raise_refusal),
            writer.run_sync(partial(ops.insert, 2)),
        ]
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert results[0] == 1 and results[3] == 2
    assert isinstance(results[1], RuntimeError) and "cannot be sent back" in str(results[1])
    assert isinstance(results[2], RuntimeError) and "Refusal: 7: no" in str(results[2])
    assert {1, 2} <= _visible(db_path)


async def test_an_operation_that_cannot_be_pickled_fails_alone(writer: Writer, db_path: Path, tmp_path: Path) -> None:
    def closure(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO item (id) VALUES (77)")

    async with _held(writer, tmp_path):
        futures = [
            writer.run_sync(partial(ops.insert, 1)),
            writer.run_sync(closure),
            writer.run_sync(partial(ops.insert, 2)),
        ]
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert results[0] == 1 and results[2] == 2
    assert isinstance(results[1], TypeError) and "must be picklable" in str(results[1])
    assert _visible(db_path) == {1, 2}
    assert await writer.run_sync(partial(ops.insert, 3)) == 3  # the writer carries on


async def test_commit_failure_fails_every_caller(writer: Writer, db_path: Path, tmp_path: Path) -> None:
    async with _held(writer, tmp_path):
        futures = [writer.run_sync(op) for op in (partial(ops.insert, 1), ops.dangling_child, partial(ops.insert, 2))]
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert all(isinstance(r, sqlite3.IntegrityError) for r in results), results
    assert _visible(db_path) == set()
    # The writer recovers: the next batch commits.
    assert await writer.run_sync(partial(ops.insert, 3)) == 3
    assert _visible(db_path) == {3}


async def test_op_that_ends_the_transaction_fails_its_batch(writer: Writer, db_path: Path, tmp_path: Path) -> None:
    async with _held(writer, tmp_path):
        futures = [writer.run_sync(op) for op in (partial(ops.insert, 1), ops.rogue_rollback, partial(ops.insert, 2))]
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert all(isinstance(r, TransactionLost) for r in results), results
    assert await writer.run_sync(partial(ops.insert, 3)) == 3
    assert _visible(db_path) == {3}


async def test_close_drains_queued_ops_and_ends_the_process(db_path: Path) -> None:
    writer = await _started(db_path)
    child = await writer.run_sync(ops.pid)
    tasks = [asyncio.ensure_future(writer.run_sync(partial(ops.insert, i))) for i in range(300)]
    await asyncio.sleep(0)  # let every caller queue its op
    await writer.close()
    assert all(t.done() and t.result() == i for i, t in enumerate(tasks))
    assert _visible(db_path) == set(range(300))
    with pytest.raises(WriterClosed):
        await writer.run_sync(partial(ops.insert, 1000))
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)


async def test_batches_are_bounded(db_path: Path) -> None:
    writer = await _started(db_path, max_batch=10)
    commits = writer.commits
    await asyncio.gather(*(writer.run_sync(partial(ops.insert, i)) for i in range(100)))
    assert writer.commits - commits >= 10
    await writer.close()


async def test_long_operation_reports_progress(writer: Writer) -> None:
    progress = ops.Progress()
    task = asyncio.ensure_future(writer.run_long(partial(ops.count_slowly, 30), progress))
    seen = set()
    while not task.done():
        seen.add(progress.rows)
        await asyncio.sleep(0.05)
    assert await task == 30
    assert len(seen - {0}) >= 2  # it moved while the operation ran, not only at the end
    assert progress.rows == 30


async def test_a_killed_write_process_fails_its_callers_and_is_replaced(writer: Writer, db_path: Path) -> None:
    assert await writer.run_sync(partial(ops.insert, 1)) == 1
    first = await writer.run_sync(ops.pid)
    os.kill(first, signal.SIGKILL)
    await asyncio.sleep(0.2)
    # The next batch finds the process gone and goes to a new one.
    assert await writer.run_sync(partial(ops.insert, 2)) == 2
    assert await writer.run_sync(ops.pid) != first
    assert writer.restarts == 1
    assert _visible(db_path) == {1, 2}


async def test_a_batch_in_the_hands_of_a_dying_process_fails_with_a_clear_error(writer: Writer) -> None:
    first = await writer.run_sync(ops.pid)
    progress = ops.Progress()
    task = asyncio.ensure_future(writer.run_long(partial(ops.count_slowly, 100), progress))
    while progress.rows == 0:  # noqa: ASYNC110 - copied in by the writer's reading thread
        await asyncio.sleep(0.02)
    os.kill(first, signal.SIGKILL)
    with pytest.raises(WriteProcessGone, match="ended"):
        await task
    assert await writer.run_sync(partial(ops.insert, 5)) == 5


async def test_the_write_process_does_not_get_the_bot_token(db_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "not-for-the-write-process")
    writer = await _started(db_path)
    try:
        child = await writer.run_sync(ops.pid)
        environ = Path(f"/proc/{child}/environ").read_bytes()  # noqa: ASYNC240 - a tiny /proc read
        assert b"DISCORD_TOKEN" not in environ and b"not-for-the-write-process" not in environ
        assert b"PYTHONPATH" in environ  # read the right file: the process's own environment
    finally:
        await writer.close()


async def test_a_database_that_cannot_be_opened_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "not-a-db.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ValueError, match="not a usable SQLite database"):
        await Writer(path).start()


async def test_storage_failures_reach_callers_as_store_unavailable(writer: Writer) -> None:
    # A full database (SQLITE_FULL, as a full disk gives) and a killed write process are the same
    # thing to the forum: StoreUnavailable (bot/forum/errors.py), classified in db/unavailable.py.
    with pytest.raises(StoreUnavailable, match="database or disk is full") as full:
        await writer.run_sync(ops.fill_to_the_page_limit)
    assert not isinstance(full.value, sqlite3.Error), "the forum never sees sqlite3's errors"
    await writer.run_sync(ops.lift_the_page_limit)
    assert await writer.run_sync(partial(ops.insert, 1)) == 1
    with pytest.raises(sqlite3.IntegrityError):  # a broken rule is no storage failure
        await writer.run_sync(partial(ops.insert, 1))
    assert issubclass(WriteProcessGone, StoreUnavailable) and issubclass(WriterClosed, StoreUnavailable)


async def test_a_write_process_killed_while_starting_does_not_stop_the_writer(writer: Writer) -> None:
    os.kill(await writer.run_sync(ops.pid), signal.SIGKILL)
    await asyncio.sleep(0.2)
    # The next start is killed before it is ready: that batch fails, the writer goes on.
    original = writer._process.start

    def start_and_die() -> None:
        writer._process.start = original
        raise WriteProcessGone("the database write process did not start (killed)")

    writer._process.start = start_and_die
    with pytest.raises(WriteProcessGone):
        await writer.run_sync(partial(ops.insert, 1))
    await asyncio.sleep(1.0)  # RESTART_EVERY
    assert await writer.run_sync(partial(ops.insert, 2)) == 2
