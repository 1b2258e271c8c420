"""Where the database is and how connections to it are opened.

One write connection, in the write process (db/write_server.py; synchronous=FULL: a commit is on
disk before anyone is told it happened), another with the same PRAGMAs for the migrations before that
process starts, and reader connections (WAL lets them read a consistent snapshot while the write
process commits).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit

import aiosqlite

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000
EXAMPLE_URL = "sqlite:///path/to/file.db"


class DatabaseUnusable(ValueError):
    """DATABASE_URL points at something Quorum cannot use as its database (not an SQLite file, a
    directory, no write access, a schema from a newer Quorum): bad configuration, which the command
    reports in one line with exit code 2, not as a crash."""


# PRAGMAs are not parameterisable, so they are fixed literal strings, never built from values.
_COMMON_PRAGMAS = (
    "PRAGMA busy_timeout = 5000",  # BUSY_TIMEOUT_MS
    "PRAGMA foreign_keys = ON",
)
# secure_delete: what a write frees (an erased or replaced text) is overwritten with zeros, not left
# in the file (db/erasure.py).
_WRITER_PRAGMAS = ("PRAGMA synchronous = FULL", "PRAGMA secure_delete = ON")
# Readers never write; query_only turns an accidental write on a read connection into an error.
# A reader's page cache may grow to 128 MiB (SQLite's default is 2 MiB): searches for mid-frequency
# words read long FTS doclists again and again (bench/RESULTS.md: at 1M posts, typical search p99
# 45-62 ms with this against 73-118 ms with the default). A ceiling, not an allocation: a small
# forum's readers stay small.
_READER_PRAGMAS = ("PRAGMA synchronous = NORMAL", "PRAGMA query_only = ON", "PRAGMA cache_size = -131072")


def parse_database_url(url: str) -> Path:
    """`sqlite:///relative/path.db` -> Path("relative/path.db"); `sqlite:////abs.db` -> Path("/abs.db").

    Raises ValueError with a one-line message for anything else. The URL itself is never echoed:
    a database URL of another kind may carry a password.
    """
    url = url.strip()
    scheme, sep, _ = url.partition("://")
    if not sep or not scheme:
        raise ValueError(f"DATABASE_URL is not a URL; expected {EXAMPLE_URL}")
    scheme = scheme.lower()
    if scheme in ("postgres", "postgresql") or scheme.startswith("postgresql+"):
        raise ValueError(f"DATABASE_URL: PostgreSQL is not supported yet; use {EXAMPLE_URL}")
    if scheme != "sqlite":
        raise ValueError(f"DATABASE_URL scheme {scheme!r} is not supported; use {EXAMPLE_URL}")
    parts = urlsplit(url)
    if parts.netloc:
        raise ValueError("DATABASE_URL: a sqlite URL has no host; use sqlite:///relative.db or sqlite:////absolute.db")
    if parts.query or parts.fragment:
        raise ValueError("DATABASE_URL: query parameters are not supported in a sqlite URL")
    # urlsplit keeps the leading "/" that separates the (empty) host from the path.
    path = unquote(parts.path[1:])
    if not path or path.endswith("/"):
        raise ValueError(f"DATABASE_URL names no database file; expected {EXAMPLE_URL}")
    if path == ":memory:":
        raise ValueError("DATABASE_URL: in-memory databases are not supported; name a file")
    return Path(path)


def check_writable(path: Path) -> None:
    """Raise DatabaseUnusable unless a database can be created or written at `path`.

    WAL mode creates `-wal` and `-shm` files beside the database, so the directory itself must be
    writable even when the file already exists.
    """
    directory = path.parent
    if path.is_dir():
        raise DatabaseUnusable(f"The database path {path} is a directory, not a file")
    if not directory.is_dir():
        raise DatabaseUnusable(f"The database directory {directory} does not exist; create it or change DATABASE_URL")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise DatabaseUnusable(f"The database directory {directory} is not writable")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise DatabaseUnusable(f"The database file {path} is not writable")


async def _open(path: Path, pragmas: tuple[str, ...]) -> aiosqlite.Connection:
    # isolation_level=None: the sqlite3 module never issues BEGIN/COMMIT behind our back; the
    # writer and the migration scripts manage their transactions explicitly.
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        mode = await conn.execute_fetchall("PRAGMA journal_mode = WAL")
        if mode[0][0] != "wal":
            raise DatabaseUnusable(f"The database {path} could not be switched to WAL mode ({mode[0][0]})")
        for pragma in _COMMON_PRAGMAS + pragmas:
            await conn.execute(pragma)
    except sqlite3.DatabaseError as exc:
        await conn.close()
        raise DatabaseUnusable(f"{path} is not a usable SQLite database: {exc}") from exc
    except BaseException:
        await conn.close()
        raise
    return conn


async def open_writer(path: Path) -> aiosqlite.Connection:
    """A connection that writes, for the migrations, before the write process starts."""
    return await _open(path, _WRITER_PRAGMAS)


def connect_writer(path: Path) -> sqlite3.Connection:
    """The write process's connection (db/write_server.py): plain sqlite3, the same PRAGMAs."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise DatabaseUnusable(f"The database {path} could not be switched to WAL mode ({mode})")
        for pragma in _COMMON_PRAGMAS + _WRITER_PRAGMAS:
            conn.execute(pragma)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise DatabaseUnusable(f"{path} is not a usable SQLite database: {exc}") from exc
    except BaseException:
        conn.close()
        raise
    return conn


async def open_reader(path: Path) -> aiosqlite.Connection:
    conn = await _open(path, _READER_PRAGMAS)
    conn.row_factory = sqlite3.Row
    return conn


def _call_with_raw(conn: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    return fn(conn._conn)


async def run_on_connection_thread(conn: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Run `fn(raw sqlite3 connection)` on the aiosqlite connection's own thread, in one hop.

    Every aiosqlite call is a round trip between the event loop and the connection's thread (tens of
    microseconds); a read of many statements or rows (a thread page, a search, an export page, a web
    list) is much cheaper as one hop. Writes never come here: they run in the write process.
    This uses aiosqlite internals (`_execute`, `_conn`), which is why aiosqlite is pinned exactly;
    the store's reads that use it are under test, so an upgrade that breaks it fails loudly.
    """
    return await conn._execute(_call_with_raw, conn, fn)
