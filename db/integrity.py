"""A damaged database is refused at start, before anything writes to it.

`PRAGMA quick_check` reads every page, which takes time in proportion to the database: 1.6-3.2 s
for 100k questions (a 1 GB file, page cache warm; 7.9 s cold), too long for a start-up that should
take under 2 s (`python -m bench.startup`). So it runs under a time budget of 0.5 s: a forum of a
few tens of thousands of questions is checked whole, a larger one as far as the budget reaches (its
tables in schema order, the small ones first); SQLite reports damage in the rest when it reads it.
With the budget, start to READY at 100k questions took 1.2 s. `quorum check` runs it whole.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .connection import DatabaseUnusable

log = logging.getLogger(__name__)

START_BUDGET = 0.5  # seconds of quick_check at start-up


class DatabaseDamaged(DatabaseUnusable):
    """quick_check found damage; the message says what to do."""


@dataclass(frozen=True)
class Checked:
    complete: bool  # False: the budget ran out before the check reached the end
    seconds: float


def check_integrity(path: Path, *, budget: float | None = START_BUDGET) -> Checked:
    """Raise DatabaseDamaged if quick_check finds damage within `budget` seconds (None: no bound).
    A database that does not exist yet has nothing to check."""
    if not path.exists():
        return Checked(complete=True, seconds=0.0)
    if not path.is_file():  # /dev/null, a pipe: nothing SQLite can keep a database in
        raise DatabaseUnusable(f"{path} is not a usable SQLite database: it is not a regular file")
    started = time.monotonic()
    # Read-only: nothing is written (or recovered) before the verdict. sqlite3_interrupt() is the
    # bound: the check runs inside one VM instruction, where no progress handler is called; the
    # handler only catches a budget spent before the statement started (interrupt is a no-op then).
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        conn.interrupt()

    timer = threading.Timer(budget, expire) if budget is not None else None
    try:
        if timer is not None:
            conn.set_progress_handler(expired.is_set, 100)
            timer.start()
        try:
            rows = conn.execute("PRAGMA quick_check(5)").fetchall()
        except sqlite3.OperationalError as exc:
            if timer is not None and "interrupted" in str(exc):
                return Checked(complete=False, seconds=time.monotonic() - started)
            raise DatabaseDamaged(_damaged(path, str(exc))) from exc
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc):  # never was one: a wrong DATABASE_URL, not damage
                raise DatabaseUnusable(f"{path} is not a usable SQLite database: {exc}") from exc
            raise DatabaseDamaged(_damaged(path, str(exc))) from exc
    finally:
        if timer is not None:
            timer.cancel()
        conn.close()
    problems = [row[0] for row in rows if row[0] != "ok"]
    if problems:
        more = " (and more)" if len(problems) > 1 else ""
        raise DatabaseDamaged(_damaged(path, problems[0] + more))
    return Checked(complete=True, seconds=time.monotonic() - started)


def _damaged(path: Path, problem: str) -> str:
    problem = " ".join(problem.split())[:200]
    return (
        f"The database {path} is damaged ({problem}): restore it from a backup, or save what can still "
        "be read with `quorum export --out forum.json` before starting from a new database"
    )
