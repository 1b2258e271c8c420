from __future__ import annotations

from pathlib import Path

import pytest

from db.connection import BUSY_TIMEOUT_MS, check_writable, open_reader, open_writer, parse_database_url


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///quorum.db", Path("quorum.db")),
        ("sqlite:///data/quorum.db", Path("data/quorum.db")),
        ("sqlite:////var/lib/quorum/q.db", Path("/var/lib/quorum/q.db")),
        ("  sqlite:///with%20space.db ", Path("with space.db")),
        ("SQLITE:///upper.db", Path("upper.db")),
    ],
)
def test_parse_sqlite_urls(url: str, path: Path) -> None:
    assert parse_database_url(url) == path


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://user:secret@host/db", "not supported yet"),
        ("postgres://user:secret@host/db", "not supported yet"),
        ("mysql://host/db", "'mysql' is not supported"),
        ("quorum.db", "not a URL"),
        ("", "not a URL"),
        ("sqlite://host/q.db", "no host"),
        ("sqlite:///", "names no database file"),
        ("sqlite:///dir/", "names no database file"),
        ("sqlite:///q.db?mode=ro", "query parameters"),
        ("sqlite:///:memory:", "in-memory"),
    ],
)
def test_parse_rejects_with_one_line_message(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        parse_database_url(url)
    text = str(info.value)
    assert "\n" not in text
    assert "secret" not in text  # a URL's password is never echoed


def test_check_writable_accepts_new_and_existing_files(tmp_path: Path) -> None:
    check_writable(tmp_path / "new.db")
    (tmp_path / "old.db").write_bytes(b"")
    check_writable(tmp_path / "old.db")


def test_check_writable_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        check_writable(tmp_path / "nope" / "q.db")


def test_check_writable_path_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is a directory"):
        check_writable(tmp_path)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_check_writable_directory_nobody_can_write() -> None:
    # Unlike a chmod-ed directory, /proc/self refuses new files even to root.
    with pytest.raises(ValueError, match="not writable"):
        check_writable(Path("/proc/self/q.db"))


PRAGMAS = {
    "journal_mode": "PRAGMA journal_mode",
    "foreign_keys": "PRAGMA foreign_keys",
    "busy_timeout": "PRAGMA busy_timeout",
    "synchronous": "PRAGMA synchronous",
    "query_only": "PRAGMA query_only",
}


async def _pragma(conn, name: str):
    rows = await conn.execute_fetchall(PRAGMAS[name])
    return rows[0][0]


async def test_connection_pragmas(tmp_path: Path) -> None:
    writer = await open_writer(tmp_path / "q.db")
    reader = await open_reader(tmp_path / "q.db")
    try:
        for conn in (writer, reader):
            assert await _pragma(conn, "journal_mode") == "wal"
            assert await _pragma(conn, "foreign_keys") == 1
            assert await _pragma(conn, "busy_timeout") == 5000
        assert await _pragma(writer, "synchronous") == 2  # FULL
        assert await _pragma(reader, "query_only") == 1
        assert writer.isolation_level is None
        assert await _pragma(writer, "busy_timeout") == BUSY_TIMEOUT_MS
    finally:
        await reader.close()
        await writer.close()


async def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ValueError, match="not a usable SQLite database"):
        await open_writer(path)
