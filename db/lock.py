"""One running Quorum per database: an OS lock on `<database>.lock`, held while the bot runs.

Two bots on one database would both answer every event: every DM and every reaction removal would
be sent twice. The lock is flock(2) on a file beside the database, holding the holder's pid so the
refusal can name it. The OS drops the lock when its process ends, however it ends (kill -9, a power
cut), so a stale lock file never blocks a start; the file itself is left in place (removing it
would race with a process that just opened it).

Only what connects to Discord takes it (`quorum run`, `quorum catchup`, `quorum demo`, the tests'
bots): `quorum export` only reads, and `quorum recount --fix` repairs the counters in one
transaction of its own, which SQLite orders with the bot's; neither sends anything to Discord.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from .connection import DatabaseUnusable


class DatabaseInUse(DatabaseUnusable):
    """Another process holds the database's lock."""


class DatabaseLock:
    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)  # the pid of a process that no longer holds it would mislead
        finally:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None


def lock_path(database: Path) -> Path:
    # The real path: a symlink to the database (or to its directory) shares the one lock.
    real = Path(os.path.realpath(database))
    return real.with_name(real.name + ".lock")


def lock_database(database: Path) -> DatabaseLock:
    """Take the database's lock, or raise DatabaseInUse naming the process that holds it (or
    DatabaseUnusable when the lock file cannot be made: the directory is not writable)."""
    path = lock_path(database)
    try:
        # O_CLOEXEC: the write process and anything else started later must not inherit the lock.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise DatabaseUnusable(
            f"Cannot create files in the database directory {path.parent} ({path.name}: {exc.strerror}); "
            "choose a writable directory in DATABASE_URL"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise DatabaseInUse(
            f"Another Quorum ({holder}) is already running on {database}: stop it first, or give this one "
            "its own DATABASE_URL (two would send every message twice)"
        ) from None
    except OSError as exc:
        os.close(fd)
        raise DatabaseUnusable(f"Cannot lock {path}: {exc.strerror}") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return DatabaseLock(path, fd)


def _holder(fd: int) -> str:
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    # Empty between the holder's flock and its write: a start at the same instant.
    return f"pid {text}" if text.isdigit() else "a process starting at this moment"
