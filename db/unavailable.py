"""Which write failures mean "the storage is unavailable" (and not a bug): the one place that says so.

A full disk, an I/O error, a file that cannot be opened or written, a lock held too long: SQLite
could not write, whatever was asked. Such a failure becomes StoreUnavailable (bot/forum/errors.py),
the store-level error the forum knows, so the upper layers never look at sqlite3 errors. Classified
in the write process (db/write_server.py), where SQLite's error code is still on the exception (it
does not survive the pickle back to the bot).
"""

from __future__ import annotations

import sqlite3

from bot.forum.errors import StoreUnavailable

# Primary result codes (the low byte of an extended code) that say nothing about the operation and
# everything about the storage.
STORAGE_CODES = {
    sqlite3.SQLITE_FULL: "database or disk is full",
    sqlite3.SQLITE_IOERR: "disk I/O error",
    sqlite3.SQLITE_CANTOPEN: "the database file cannot be opened",
    sqlite3.SQLITE_READONLY: "the database cannot be written (read-only)",
    sqlite3.SQLITE_BUSY: "the database is locked by another process",
    sqlite3.SQLITE_NOMEM: "out of memory",
}


def storage_reason(exc: BaseException) -> str | None:
    """Why the storage failed, when `exc` (or what caused it) is a storage failure; else None."""
    seen = 0
    while exc is not None and seen < 5:  # TransactionLost carries the SQLite error as its cause
        if isinstance(exc, StoreUnavailable):
            return exc.reason
        if isinstance(exc, sqlite3.Error):
            code = getattr(exc, "sqlite_errorcode", None)
            if code is not None and code & 0xFF in STORAGE_CODES:
                return str(exc) or STORAGE_CODES[code & 0xFF]
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def classified(exc: BaseException) -> BaseException:
    """StoreUnavailable for a storage failure, the exception itself for anything else."""
    reason = storage_reason(exc)
    if reason is None or isinstance(exc, StoreUnavailable):
        return exc
    return StoreUnavailable(reason)
