"""A time budget for each search: SQLite's progress handler stops a statement once it is spent.

FTS5 reads its index through SQLite's own statements, so the handler is called during a long doclist
walk too (every few milliseconds at most with PROGRESS_STEPS): a search costs its budget at worst,
whatever the member typed, and the member is told to narrow it instead of waiting (bench/RESULTS.md).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bot.forum.search import TOO_BROAD, TooBroad

SEARCH_BUDGET = 0.2  # seconds of database work per search step (candidates, then the page's lines)
PROGRESS_STEPS = 200  # virtual machine steps between two looks at the clock (~1 ms of FTS work)


@contextmanager
def time_budget(conn: sqlite3.Connection, seconds: float) -> Iterator[None]:
    """Within the block, a statement still running after `seconds` stops and TooBroad is raised."""
    deadline = time.monotonic() + seconds
    conn.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
    try:
        yield
    except sqlite3.OperationalError as error:
        if str(error) == "interrupted" and time.monotonic() > deadline:
            raise TooBroad(TOO_BROAD) from error
        raise
    finally:
        conn.set_progress_handler(None, 0)
