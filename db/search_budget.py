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
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bot.forum.search import TOO_BROAD, TooBroad

log = logging.getLogger(__name__)

SEARCH_BUDGET = 0.2  # seconds of database work per search step (candidates, then the page's lines)
PROGRESS_STEPS = 200  # virtual machine steps between two looks at the clock (~1 ms of FTS work)
SEARCH_NICENESS = 10  # Linux: a thread at nice 10 gets ~1/10 of the CPU a nice 0 thread wants


_active = threading.local()  # each search connection has a thread of its own: the budget running on it


@contextmanager
def time_budget(conn: sqlite3.Connection, seconds: float) -> Iterator[None]:
    """Within the block, a statement still running after `seconds` stops and TooBroad is raised."""
    deadline = _active.deadline = time.monotonic() + seconds
    _active.limit = None

    def handler() -> bool:
        limit = _active.limit
        return time.monotonic() > deadline or (limit is not None and limit())

    conn.set_progress_handler(handler, PROGRESS_STEPS)
    try:
        yield
    except sqlite3.OperationalError as error:
        if str(error) == "interrupted" and time.monotonic() > deadline:
            raise TooBroad(TOO_BROAD) from error
        raise
    finally:
        del _active.limit, _active.deadline
        conn.set_progress_handler(None, 0)


def out_of_time() -> bool:
    """Whether the time budget running on this thread (if any) is spent."""
    limit = getattr(_active, "deadline", None)
    return limit is not None and time.monotonic() > limit


@contextmanager
def work_limit(conn: sqlite3.Connection, stop: Callable[[], bool]) -> Iterator[None]:
    """Within the block, `stop()` is asked every PROGRESS_STEPS steps too (True interrupts): beside the
    time budget when one runs on this thread (a connection has one progress handler), else alone."""
    if not hasattr(_active, "limit"):  # no time budget on this thread
        conn.set_progress_handler(stop, PROGRESS_STEPS)
        try:
            yield
        finally:
            conn.set_progress_handler(None, 0)
        return
    _active.limit = stop
    try:
        yield
    finally:
        _active.limit = None


def lower_priority(_conn: sqlite3.Connection) -> None:
    """Run on a search connection's own thread: that thread to a lower CPU priority (nice is per
    thread on Linux), where the platform has one."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), SEARCH_NICENESS)
    except (AttributeError, OSError) as exc:
        log.info("Search threads keep their normal priority: %s", exc)
