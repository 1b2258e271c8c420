"""What a search may cost: a time budget, and a lower CPU share than the bot's other threads.

SQLite's progress handler stops a statement once the budget is spent. FTS5 reads its index through
SQLite's own statements, so the handler is called during a long doclist walk too (about every
millisecond with PROGRESS_STEPS): a search costs its budget at worst, whatever the member typed, and
the member is told to narrow it instead of waiting. The search connections' threads run at a lower
CPU priority, so on a busy machine the event loop and the writer (mirroring) go first
(bench/RESULTS.md, "Hostile searches").
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bot.forum.search import TOO_BROAD, TooBroad

log = logging.getLogger(__name__)

SEARCH_BUDGET = 0.2  # seconds of database work per search step (candidates, then the page's lines)
PROGRESS_STEPS = 200  # virtual machine steps between two looks at the clock (~1 ms of FTS work)
SEARCH_NICENESS = 10  # Linux: a thread at nice 10 gets ~1/10 of the CPU a nice 0 thread wants


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


def lower_priority(_conn: sqlite3.Connection) -> None:
    """Run on a search connection's own thread: that thread to a lower CPU priority (nice is per
    thread on Linux), where the platform has one."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), SEARCH_NICENESS)
    except (AttributeError, OSError) as exc:
        log.info("Search threads keep their normal priority: %s", exc)
