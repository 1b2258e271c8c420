"""Write operations for the writer's tests. They run in the write process, which receives them by
pickle: module-level functions (bound with functools.partial), importable without pytest."""

from __future__ import annotations

import sqlite3
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS parent (id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS item (id INTEGER PRIMARY KEY, note TEXT, parent_id INTEGER REFERENCES parent (id));
"""


def create_schema(conn: sqlite3.Connection) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def insert(item_id: int, conn: sqlite3.Connection) -> int:
    conn.execute("INSERT INTO item (id) VALUES (?)", (item_id,))
    return item_id


def insert_note(item_id: int, note: str, conn: sqlite3.Connection) -> int:
    conn.execute("INSERT INTO item (id, note) VALUES (?, ?)", (item_id, note))
    return item_id


def fail_after_insert(item_id: int, conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO item (id) VALUES (?)", (item_id,))
    raise ValueError(f"op {item_id} refuses")


def dangling_child(conn: sqlite3.Connection) -> None:
    # A deferred foreign key violation only surfaces at COMMIT, failing the whole batch.
    conn.execute("PRAGMA defer_foreign_keys = ON")
    conn.execute("INSERT INTO item (id, parent_id) VALUES (99, 12345)")


def rogue_rollback(conn: sqlite3.Connection) -> None:
    conn.execute("ROLLBACK")


def unpicklable_result(conn: sqlite3.Connection) -> object:
    return lambda: None


class Refusal(Exception):
    """An exception that cannot be rebuilt from its args (pickle would fail on the way back)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code}: {reason}")


def raise_refusal(conn: sqlite3.Connection) -> None:
    raise Refusal(7, "no")


class Progress:
    def __init__(self) -> None:
        self.rows = 0


def count_slowly(rows: int, conn: sqlite3.Connection, *, progress: Progress) -> int:
    """A long operation that reports how far it got."""
    for i in range(rows):
        progress.rows = i + 1
        time.sleep(0.05)
    return rows


def wait_for(gate: str, entered: str, conn: sqlite3.Connection) -> None:
    """Hold the batch until the file `gate` exists; `entered` is created once it is running."""
    from pathlib import Path

    Path(entered).touch()
    for _ in range(1000):
        if Path(gate).exists():
            return
        time.sleep(0.01)
    raise TimeoutError(gate)


def pid(conn: sqlite3.Connection) -> int:
    import os

    return os.getpid()


def fill_to_the_page_limit(conn: sqlite3.Connection) -> None:
    """SQLITE_FULL for real: the database may not grow past its pages (as on a full disk)."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    conn.execute("INSERT INTO item (id, note) VALUES (1000, ?)", ("x" * 100_000,))


def lift_the_page_limit(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA max_page_count = 1073741823")
