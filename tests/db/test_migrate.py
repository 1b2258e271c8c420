from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from db.connection import open_writer
from db.migrate import MigrationError, default_migrations_dir, load_migrations, migrate, schema_version

LATEST = load_migrations()[-1].version
TABLES = {"guild_settings", "members", "questions", "posts", "votes", "revisions", "audit_log", "meta"}


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}


def _schema(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT type, name, sql FROM sqlite_schema ORDER BY name").fetchall()


def _user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


@pytest.fixture
def migrations_copy(tmp_path: Path) -> Path:
    """The real migrations copied into a directory a test may add broken ones to."""
    target = tmp_path / "migrations"
    target.mkdir()
    for entry in default_migrations_dir().iterdir():
        if entry.name.endswith(".sql"):
            (target / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    return target


async def _migrate(path: Path, directory: Path | None = None) -> int:
    conn = await open_writer(path)
    try:
        return await migrate(conn, directory)
    finally:
        await conn.close()


def test_migrations_ship_in_the_package() -> None:
    names = [m.name for m in load_migrations()]
    assert names[0] == "0001_initial.sql"


async def test_from_empty_to_latest(db_path: Path) -> None:
    assert await _migrate(db_path) == LATEST
    assert _user_version(db_path) == LATEST
    assert TABLES <= _tables(db_path)


async def test_reopening_is_a_noop(db_path: Path) -> None:
    await _migrate(db_path)
    before = _schema(db_path)
    conn = await open_writer(db_path)
    try:
        assert await schema_version(conn) == LATEST
        assert await migrate(conn) == LATEST
        assert conn.total_changes == 0
    finally:
        await conn.close()
    assert _user_version(db_path) == LATEST
    assert _schema(db_path) == before


async def test_broken_migration_rolls_back_whole(db_path: Path, migrations_copy: Path) -> None:
    await _migrate(db_path, migrations_copy)
    broken = migrations_copy / f"{LATEST + 1:04d}_broken.sql"
    broken.write_text(
        "BEGIN;\n"
        "CREATE TABLE half_done (id INTEGER PRIMARY KEY);\n"
        "INSERT INTO half_done (id) VALUES (1);\n"
        "ALTER TABLE no_such_table ADD COLUMN x INTEGER;\n"
        f"PRAGMA user_version = {LATEST + 1};\n"
        "COMMIT;\n"
    )
    with pytest.raises(MigrationError, match=rf"{broken.name}.*no_such_table.*left at version {LATEST}"):
        await _migrate(db_path, migrations_copy)
    assert _user_version(db_path) == LATEST
    assert "half_done" not in _tables(db_path)
    # The database still works, and the fixed migration then applies.
    broken.write_text(
        f"BEGIN;\nCREATE TABLE half_done (id INTEGER PRIMARY KEY);\nPRAGMA user_version = {LATEST + 1};\nCOMMIT;\n"
    )
    assert await _migrate(db_path, migrations_copy) == LATEST + 1
    assert "half_done" in _tables(db_path)


async def test_broken_migration_from_empty_leaves_version_0(db_path: Path, tmp_path: Path) -> None:
    directory = tmp_path / "only_broken"
    directory.mkdir()
    (directory / "0001_bad.sql").write_text(
        "BEGIN;\nCREATE TABLE a (id INTEGER);\nCREATE TABLE a (id INTEGER);\nPRAGMA user_version = 1;\nCOMMIT;\n"
    )
    with pytest.raises(MigrationError, match="0001_bad.sql"):
        await _migrate(db_path, directory)
    assert _user_version(db_path) == 0
    assert "a" not in _tables(db_path)


async def test_newer_database_is_refused(db_path: Path) -> None:
    await _migrate(db_path)
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(MigrationError, match="version 999, newer than"):
        await _migrate(db_path)
    assert _user_version(db_path) == 999


def test_gap_in_numbering_is_refused(migrations_copy: Path) -> None:
    skip = LATEST + 2
    (migrations_copy / f"{skip:04d}_skip.sql").write_text(f"BEGIN;\nPRAGMA user_version = {skip};\nCOMMIT;\n")
    with pytest.raises(MigrationError, match=f"{skip:04d}_skip.sql"):
        load_migrations(migrations_copy)


def test_script_must_set_its_version(migrations_copy: Path) -> None:
    forgot = LATEST + 1
    (migrations_copy / f"{forgot:04d}_forgot.sql").write_text("BEGIN;\nCREATE TABLE t (id INTEGER);\nCOMMIT;\n")
    with pytest.raises(MigrationError, match=f"must set user_version to {forgot}"):
        load_migrations(migrations_copy)


def test_badly_named_sql_file_is_refused(migrations_copy: Path) -> None:
    shutil.copy(migrations_copy / "0001_initial.sql", migrations_copy / "2_oops.sql")
    with pytest.raises(MigrationError, match="2_oops.sql"):
        load_migrations(migrations_copy)
