"""The checkpointer keeps the WAL bounded without checkpoints in the writer's commits, and the write
process uses it. Real SQLite files and threads; the thresholds are made small so that a few thousand
small commits cross them."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from functools import partial
from pathlib import Path

import pytest

from db.checkpointer import Checkpointer
from db.connection import connect_writer
from db.writer import Writer

from . import writer_ops as ops

NOTE = "x" * 3000  # about a page per row, so the WAL grows a page or more per commit


def _writer_conn(path: Path) -> sqlite3.Connection:
    conn = connect_writer(path)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    ops.create_schema(conn)
    return conn


def _commit_rows(conn: sqlite3.Connection, first: int, count: int) -> None:
    for i in range(first, first + count):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO item (id, note) VALUES (?, ?)", (i, NOTE))
        conn.execute("COMMIT")


def _wal(path: Path) -> Path:
    return path.parent / (path.name + "-wal")


def _wal_starts(path: Path) -> int:
    """How many times the WAL started over: its header's checkpoint sequence number (bytes 12-15,
    big-endian, in SQLite's WAL format), which each restart increments. Read from the file, so
    looking has no effect (a checkpoint of the test's own would)."""
    return int.from_bytes(_wal(path).read_bytes()[12:16], "big")


def _wal_file_pages(path: Path) -> int:
    """The WAL file never shrinks: a WAL that starts over is written again from its beginning, so
    the file's length is the most the WAL ever held."""
    return _wal(path).stat().st_size // (4096 + 24)


def _wait_for(check, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_busy_writer_keeps_the_wal_bounded_by_finishing_between_batches(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    writer = _writer_conn(path)
    limit = 300
    ck = Checkpointer(path, tick=0.01, wal_limit=limit)
    ck.start()
    try:
        for batch in range(60):  # never idle: each batch follows the last at once
            _commit_rows(writer, batch * 50, 50)
            if ck.restart_wanted.is_set():
                ck.finish(writer)
    finally:
        ck.close()
    assert ck.restarts >= 2, "the WAL never started over"
    # Without the finishes the WAL would hold 3000 pages or more (a page or more per commit).
    assert _wal_file_pages(path) < 6 * limit, _wal_file_pages(path)
    assert writer.execute("SELECT count(*) FROM item").fetchone()[0] == 3000
    writer.close()


def test_an_idle_writer_needs_no_finish(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    writer = _writer_conn(path)
    ck = Checkpointer(path, tick=0.01)
    ck.start()
    try:
        _commit_rows(writer, 0, 500)
        grown, starts = _wal_file_pages(path), _wal_starts(path)
        rows = iter(range(500, 10_000))

        def started_over() -> bool:
            time.sleep(0.1)  # idle: the checkpointer's own checkpoint reaches the end of the WAL
            _commit_rows(writer, next(rows), 1)  # and a commit after that starts the WAL over
            return _wal_starts(path) > starts

        assert _wait_for(started_over), "the WAL never started over"
    finally:
        ck.close()
    assert grown >= 500
    assert ck.restarts == 0, "no finish was needed"
    writer.close()


def test_a_finish_held_back_by_a_readers_snapshot_is_tried_again(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    writer = _writer_conn(path)
    ck = Checkpointer(path, tick=3600)  # never runs by itself
    _commit_rows(writer, 0, 20)
    ck.restart_wanted.set()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN")
    other.execute("SELECT count(*) FROM item").fetchone()  # a reader's snapshot holds the WAL's end
    _commit_rows(writer, 20, 5)  # pages the reader's snapshot does not include
    ck.finish(writer)
    assert ck.restart_wanted.is_set() and ck.restarts == 0
    other.execute("COMMIT")
    ck.finish(writer)
    assert not ck.restart_wanted.is_set() and ck.restarts == 1
    other.close()
    ck.close()
    writer.close()


async def test_the_write_process_checkpoints_while_idle(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    writer = Writer(path)
    await writer.start()
    try:
        await writer.run_sync(ops.create_schema)
        for i in range(600):  # one commit each, a page or so each
            await writer.run_sync(partial(ops.insert_note, i, NOTE))
        grown, starts = _wal_file_pages(path), _wal_starts(path)
        # A commit every 0.25 s, at most 20: the WAL stays under SQLite's own automatic checkpoint
        # (1000 pages), so only the checkpointer can make it start over.
        for i in range(10_000, 10_020):
            await asyncio.sleep(0.25)
            await writer.run_sync(partial(ops.insert_note, i, NOTE))
            if _wal_starts(path) > starts:
                break
        started_over = _wal_starts(path) > starts
    finally:
        await writer.close()
    assert grown >= 600
    assert started_over, "the write process never checkpointed the WAL to its end"


def test_a_failing_checkpoint_is_retried_not_fatal(tmp_path: Path, caplog) -> None:
    path = tmp_path / "q.db"
    _writer_conn(path).close()
    ck = Checkpointer(path, tick=0.01)
    calls = []

    def flaky_step() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise sqlite3.OperationalError("disk I/O error")

    ck.step = flaky_step
    ck.start()
    try:
        assert _wait_for(lambda: len(calls) >= 3), "the thread stopped after a failure"
    finally:
        ck.close()
    assert "WAL checkpoint failed" in caplog.text


def test_closing_stops_the_thread(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    _writer_conn(path).close()
    ck = Checkpointer(path, tick=0.01)
    ck.start()
    ck.close()
    assert not any(t.name == "quorum-db-checkpoint" for t in threading.enumerate())


def test_the_writer_finishes_by_itself_when_the_thread_makes_no_progress(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    writer = _writer_conn(path)
    ck = Checkpointer(path, tick=3600, stalled_after=0.2)  # as if the thread never got the CPU
    _commit_rows(writer, 0, 50)
    assert not ck.finish_due()
    time.sleep(0.3)
    assert ck.finish_due(), "a stalled thread was not noticed"
    starts = _wal_starts(path)
    ck.finish(writer)
    assert not ck.finish_due(), "at most one finish per stalled_after"
    _commit_rows(writer, 50, 1)
    assert _wal_starts(path) > starts, "the writer's own finish did not let the WAL start over"
    ck.close()
    writer.close()


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="the idle scheduling class is Linux's")
def test_the_thread_runs_at_idle_priority(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    _writer_conn(path).close()
    ck = Checkpointer(path, tick=0.01)
    ck.start()
    try:
        assert _wait_for(lambda: ck._thread.native_id is not None)
        assert _wait_for(lambda: os.sched_getscheduler(ck._thread.native_id) == os.SCHED_IDLE)
        assert os.sched_getscheduler(0) != os.SCHED_IDLE, "only the checkpointing thread, not the caller"
    finally:
        ck.close()
