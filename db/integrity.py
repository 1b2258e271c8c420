"""A damaged database is refused at start, before anything writes to it.

`PRAGMA quick_check` reads every page, which takes time in proportion to the database (1.5 s for
100k questions, a 1 GB file, with a warm page cache; bench/RESULTS.md): too long for a start-up
that should take under 2 s. So it runs under a time budget: a small or medium forum is checked
whole, a large one as far as the budget reaches (the schema and the tables first in its order);
SQLite reports any damage in the rest as it reads it. `quorum check` runs it whole, unbounded.
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
    # bound: the check runs inside one VM instruction, so a progress handler is not called in it.
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    timer = threading.Timer(budget, conn.interrupt) if budget is not None else None
    try:
        if timer is not None:
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
