from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from db.connection import open_writer
from db.writer import TransactionLost, Writer, WriterClosed

SCHEMA = """
CREATE TABLE parent (id INTEGER PRIMARY KEY);
CREATE TABLE item (id INTEGER PRIMARY KEY, note TEXT, parent_id INTEGER REFERENCES parent (id));
"""


@pytest.fixture
async def writer(db_path: Path) -> AsyncIterator[Writer]:
    conn = await open_writer(db_path)
    await conn.executescript(SCHEMA)
    w = Writer(conn)
    await w.start()
    yield w
    await w.close()
    await conn.close()


def _visible(path: Path) -> set[int]:
    """What another connection (another process, in effect) sees as committed."""
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT id FROM item")}


def _insert(item_id: int, note: str = ""):
    def op(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO item (id, note) VALUES (?, ?)", (item_id, note))
        return item_id

    return op


def _insert_async(item_id: int):
    async def op(conn: aiosqlite.Connection) -> int:
        await conn.execute("INSERT INTO item (id) VALUES (?)", (item_id,))
        return item_id

    return op


def _fail_after_insert(item_id: int):
    def op(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO item (id) VALUES (?)", (item_id,))
        raise ValueError(f"op {item_id} refuses")

    return op


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_group_commit_acknowledges_only_durable_writes(writer: Writer, db_path: Path, kind: str) -> None:
    n = 200
    seen_at_ack: list[bool] = []

    async def caller(i: int) -> None:
        if kind == "sync":
            assert await writer.run_sync(_insert(i)) == i
        else:
            assert await writer.run(_insert_async(i)) == i
        # Acknowledged: the row must already be committed, visible to a separate connection.
        seen_at_ack.append(i in _visible(db_path))

    await asyncio.gather(*(caller(i) for i in range(n)))
    assert seen_at_ack == [True] * n
    assert _visible(db_path) == set(range(n))
    assert writer.ops == n
    assert 1 <= writer.commits < n  # batched, not one commit per op


async def test_failing_op_is_rolled_back_alone(writer: Writer, db_path: Path) -> None:
    ops = [_insert(i) for i in range(50)]
    ops[10] = _fail_after_insert(10)
    ops[20] = _insert(5)  # duplicate key: IntegrityError
    commits = writer.commits
    results = await asyncio.gather(*(writer.run_sync(op) for op in ops), return_exceptions=True)
    assert writer.commits == commits + 1  # one batch
    assert isinstance(results[10], ValueError)
    assert isinstance(results[20], sqlite3.IntegrityError)
    assert _visible(db_path) == set(range(50)) - {10, 20}
    assert writer.failed_ops == 2


async def test_mixed_sync_and_async_ops_in_one_batch(writer: Writer, db_path: Path) -> None:
    async def failing_async(conn: aiosqlite.Connection) -> None:
        await conn.execute("INSERT INTO item (id) VALUES (1000)")
        raise RuntimeError("nope")

    ops = [
        writer.run_sync(_insert(1)),
        writer.run(_insert_async(2)),
        writer.run(failing_async),
        writer.run_sync(_insert(3)),
        writer.run_sync(_fail_after_insert(4)),
        writer.run(_insert_async(5)),
    ]
    results = await asyncio.gather(*ops, return_exceptions=True)
    assert results[:2] == [1, 2] and results[3] == 3 and results[5] == 5
    assert isinstance(results[2], RuntimeError) and isinstance(results[4], ValueError)
    assert _visible(db_path) == {1, 2, 3, 5}


async def test_commit_failure_fails_every_caller(writer: Writer, db_path: Path) -> None:
    def dangling_child(conn: sqlite3.Connection) -> None:
        # A deferred foreign key violation only surfaces at COMMIT, failing the whole batch.
        conn.execute("PRAGMA defer_foreign_keys = ON")
        conn.execute("INSERT INTO item (id, parent_id) VALUES (99, 12345)")

    ops = [_insert(1), dangling_child, _insert(2)]
    results = await asyncio.gather(*(writer.run_sync(op) for op in ops), return_exceptions=True)
    assert all(isinstance(r, sqlite3.IntegrityError) for r in results), results
    assert _visible(db_path) == set()
    # The writer recovers: the next batch commits.
    assert await writer.run_sync(_insert(3)) == 3
    assert _visible(db_path) == {3}


async def test_op_that_ends_the_transaction_fails_its_batch(writer: Writer, db_path: Path) -> None:
    def rogue(conn: sqlite3.Connection) -> None:
        conn.execute("ROLLBACK")

    results = await asyncio.gather(
        writer.run_sync(_insert(1)), writer.run_sync(rogue), writer.run_sync(_insert(2)), return_exceptions=True
    )
    assert all(isinstance(r, TransactionLost) for r in results), results
    assert await writer.run_sync(_insert(3)) == 3
    assert _visible(db_path) == {3}


async def test_close_drains_queued_ops(db_path: Path) -> None:
    conn = await open_writer(db_path)
    await conn.executescript(SCHEMA)
    writer = Writer(conn)
    await writer.start()
    tasks = [asyncio.ensure_future(writer.run_sync(_insert(i))) for i in range(300)]
    await asyncio.sleep(0)  # let every caller queue its op
    await writer.close()
    assert all(t.done() and t.result() == i for i, t in enumerate(tasks))
    assert _visible(db_path) == set(range(300))
    with pytest.raises(WriterClosed):
        await writer.run_sync(_insert(1000))
    await conn.close()


async def test_batches_are_bounded(db_path: Path) -> None:
    conn = await open_writer(db_path)
    await conn.executescript(SCHEMA)
    writer = Writer(conn, max_batch=10)
    await writer.start()
    await asyncio.gather(*(writer.run_sync(_insert(i)) for i in range(100)))
    assert writer.commits >= 10
    await writer.close()
    await conn.close()


async def test_writer_refuses_a_connection_that_manages_its_own_transactions(db_path: Path) -> None:
    conn = await aiosqlite.connect(db_path)  # default isolation_level: implicit BEGINs
    try:
        with pytest.raises(ValueError, match="isolation_level=None"):
            await Writer(conn).start()
    finally:
        await conn.close()
