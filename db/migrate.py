"""Schema migrations: numbered SQL files applied in order; the version lives in PRAGMA user_version.

Each file `NNNN_name.sql` carries its own `BEGIN; ... PRAGMA user_version = N; COMMIT;`. The runner
executes one file at a time; if a statement fails it rolls the open transaction back, so the database
stays at the previous version with nothing half-created, and raises MigrationError naming the file.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import aiosqlite

from .connection import DatabaseUnusable

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_SETS_VERSION = re.compile(r"PRAGMA\s+user_version\s*=\s*(\d+)\s*;", re.IGNORECASE)


class MigrationError(RuntimeError):
    """The schema could not be brought up to date; the message says which file and why."""


class DatabaseTooNew(MigrationError, DatabaseUnusable):
    """The database was written by a newer Quorum: a configuration problem, not a failed migration."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def default_migrations_dir() -> Traversable:
    # Shipped as package data (pyproject: db = ["migrations/*.sql"]), so this works from a wheel too.
    return files("db") / "migrations"


def load_migrations(directory: Traversable | Path | None = None) -> list[Migration]:
    """Read and check the migration files: numbered 1..N without gaps, each setting its version."""
    directory = default_migrations_dir() if directory is None else directory
    found: list[Migration] = []
    for entry in directory.iterdir():
        match = _NAME.match(entry.name)
        if not match:
            if entry.name.endswith(".sql"):
                raise MigrationError(f"migration file {entry.name} is not named NNNN_name.sql")
            continue
        found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"migration {migration.name}: expected number {expected:04d} (duplicate or gap in numbering)"
            )
        # A script that forgot to set its version would be re-applied on every start; refuse it
        # before running anything.
        if expected not in {int(n) for n in _SETS_VERSION.findall(migration.sql)}:
            raise MigrationError(f"migration {migration.name} must set user_version to {expected} before its COMMIT")
    return found


async def schema_version(conn: aiosqlite.Connection) -> int:
    rows = await conn.execute_fetchall("PRAGMA user_version")
    return int(rows[0][0])


async def migrate(conn: aiosqlite.Connection, migrations_dir: Traversable | Path | None = None) -> int:
    """Apply every migration newer than the database's version; return the resulting version.

    `conn` must be in autocommit mode (isolation_level=None, as db.connection opens it) and not in a
    transaction. Refuses a database newer than the code knows: running old code on it could corrupt it.
    """
    migrations = load_migrations(migrations_dir)
    latest = migrations[-1].version if migrations else 0
    current = await schema_version(conn)
    if current > latest:
        raise DatabaseTooNew(
            f"the database is at schema version {current}, newer than this version of Quorum knows "
            f"({latest}); upgrade Quorum or point DATABASE_URL at another database"
        )
    for migration in migrations:
        if migration.version <= current:
            continue
        try:
            await conn.executescript(migration.sql)
        except sqlite3.Error as exc:
            if conn.in_transaction:
                await conn.rollback()
            raise MigrationError(
                f"migration {migration.name} failed: {exc}; the database is left at version {current}"
            ) from exc
        if conn.in_transaction:
            # The script lacked its COMMIT: do not leave a transaction open under the writer.
            await conn.rollback()
            raise MigrationError(f"migration {migration.name} did not COMMIT; rolled back, still at {current}")
        current = await schema_version(conn)
        if current != migration.version:
            raise MigrationError(f"migration {migration.name} left user_version at {current}")
    return current
