"""One group-commit batch on the write connection: BEGIN IMMEDIATE, every operation, one COMMIT.

Runs in the write process (db/write_server.py), on a plain sqlite3 connection. An operation is a
`fn(conn) -> value` that acts only through `conn`; it must not BEGIN, COMMIT or ROLLBACK itself.

A failing operation is undone alone and only its caller sees the exception. To keep the common case
cheap, a batch first runs without savepoints (they cost about a quarter of the throughput); if any
operation fails, everything is rolled back and the batch is redone with one savepoint per operation.
So an operation may run twice. Failures are rare: replays are absorbed by ON CONFLICT, not raised.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

Op = Callable[[sqlite3.Connection], Any]


class TransactionLost(sqlite3.OperationalError):
    """An operation's failure made SQLite abandon the whole batch transaction (e.g. disk full)."""


def run_batch(raw: sqlite3.Connection, ops: Sequence[Op]) -> list[tuple[bool, Any]]:
    """(ok, value or exception) per operation, once the batch is committed.

    Raises when the batch as a whole did not commit (COMMIT failed, or SQLite dropped the
    transaction): then no operation of it is durable and every caller must be told.
    """
    _begin(raw)
    values = []
    try:
        for op in ops:
            values.append(op(raw))
            _check_open(raw)
    except TransactionLost:
        _rollback(raw)
        raise
    except Exception:
        _rollback(raw)
        return _run_with_savepoints(raw, ops)
    _commit(raw)
    return [(True, v) for v in values]


def _run_with_savepoints(raw: sqlite3.Connection, ops: Sequence[Op]) -> list[tuple[bool, Any]]:
    results: list[tuple[bool, Any]] = []
    try:
        _begin(raw)
        for op in ops:
            raw.execute("SAVEPOINT op")
            try:
                results.append((True, op(raw)))
            except Exception as exc:
                results.append((False, exc))
                _undo_op(raw, exc)
            else:
                _check_open(raw)
                raw.execute("RELEASE op")
    except BaseException:
        _rollback(raw)
        raise
    _commit(raw)
    return results


def _begin(raw: sqlite3.Connection) -> None:
    raw.execute("BEGIN IMMEDIATE")


def _commit(raw: sqlite3.Connection) -> None:
    try:
        raw.execute("COMMIT")
    except BaseException:
        _rollback(raw)  # e.g. a deferred foreign key violation: nothing of the batch stays
        raise


def _check_open(raw: sqlite3.Connection) -> None:
    if not raw.in_transaction:
        raise TransactionLost("a write operation ended the writer's transaction (operations must not commit)")


def _undo_op(raw: sqlite3.Connection, exc: Exception) -> None:
    if not raw.in_transaction:
        # Some errors (SQLITE_FULL, IOERR, ...) roll back the whole transaction: the operations
        # before this one are gone too, so the batch must fail as a whole.
        raise TransactionLost(f"the batch transaction was rolled back by SQLite: {exc}") from exc
    raw.execute("ROLLBACK TO op")
    raw.execute("RELEASE op")


def _rollback(raw: sqlite3.Connection) -> None:
    if raw.in_transaction:
        raw.execute("ROLLBACK")
