"""The bot's bookkeeping in typed tables (db/bot_state.py, migration 0018): summary places, told-once
marks (expired ones deleted by the retention purge), catch-up watermarks, command hashes; and the
migration that moved them out of the key/value meta table, rows copied, unreadable values left out."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.forum.models import CommandSync, ToldAbout, ToldOnce
from bot.forum.retention import PurgeRequest
from bot.forum.summary import OWN, STARTER, Place
from db.connection import open_writer
from db.migrate import default_migrations_dir, migrate
from db.store import SqliteStore, open_store

from .conftest import T0

GUILD, MEMBER, APP = 100, 21, 900
DAY = timedelta(days=1)


async def test_summary_places_and_watermarks_round_trip(store: SqliteStore) -> None:
    assert await store.summary_place(5) is None
    await store.set_summary_place(5, Place(OWN, 5))
    assert await store.summary_place(5) == Place(OWN, 5)
    await store.set_summary_place(5, Place(STARTER, 7, 8))
    assert await store.summary_place(5) == Place(STARTER, 7, 8)

    assert await store.catchup_watermark(GUILD) is None
    await store.set_catchup_watermark(GUILD, T0)
    await store.set_catchup_watermark(GUILD, T0 + DAY)
    assert await store.catchup_watermark(GUILD) == T0 + DAY
    assert await store.catchup_watermark(GUILD + 1) is None


async def test_commands_digest_per_application_and_place(store: SqliteStore) -> None:
    assert await store.commands_digest(APP, None) is None
    await store.set_commands_digest(CommandSync(APP, None, "abc"))
    await store.set_commands_digest(CommandSync(APP, GUILD, "dev"))
    await store.set_commands_digest(CommandSync(APP, None, "def"))
    assert await store.commands_digest(APP, None) == "def"
    assert await store.commands_digest(APP, GUILD) == "dev"
    assert await store.commands_digest(APP + 1, None) is None, "another bot registers its own"


async def test_told_once_until_the_mark_expires(store: SqliteStore, db_path: Path) -> None:
    tomorrow = T0.replace(hour=0) + DAY
    capped = ToldOnce(GUILD, MEMBER, ToldAbout.CAPPED, tomorrow, T0)
    assert await store.tell_once(capped)
    assert not await store.tell_once(capped), "once"
    assert await store.tell_once(ToldOnce(GUILD + 1, MEMBER, ToldAbout.CAPPED, tomorrow, T0)), "per guild"
    # The next day the votes are back, and so is the note when the cap is reached again.
    next_day = ToldOnce(GUILD, MEMBER, ToldAbout.CAPPED, tomorrow + DAY, tomorrow)
    assert await store.tell_once(next_day)
    assert not await store.tell_once(next_day)

    own = ToldOnce(GUILD, MEMBER, ToldAbout.OWN_POST, None, T0)
    assert await store.tell_once(own)
    assert not await store.tell_once(ToldOnce(GUILD, MEMBER, ToldAbout.OWN_POST, None, T0 + 400 * DAY)), "for good"

    # The retention purge deletes the marks that expired; the lasting ones stay.
    request = PurgeRequest(at=tomorrow + DAY, deleted_before=T0, left_before=T0, present=frozenset({GUILD}),
                           infer_absent=False)  # fmt: skip
    await store.purge_expired(request)
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT guild_id, about, expires_at FROM told_once ORDER BY guild_id, about").fetchall()
    assert rows == [(GUILD, "own_post", None)]


async def _at_version(path: Path, version: int, tmp_path: Path) -> None:
    directory = tmp_path / f"migrations-{version}"
    directory.mkdir()
    for entry in default_migrations_dir().iterdir():
        if entry.name.endswith(".sql") and int(entry.name[:4]) <= version:
            (directory / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    conn = await open_writer(path)
    try:
        assert await migrate(conn, directory) == version
    finally:
        await conn.close()


# What the store before 0018 kept in meta, readable and not: the unreadable ones were treated as absent.
OLD_META = {
    "summary:501": "own:501:",
    "summary:502": "starter:300:777",
    "summary:503": "pinned:1:2",  # unreadable
    "summary:504": "own:x:",  # unreadable
    "catchup:since:100": "2026-03-01T11:50:00.123456+00:00",
    "catchup:since:101": "2026-03-01T12:50:00+01:00",
    "catchup:since:102": "2026-01-01T00:00:00",  # naive: unreadable
    "catchup:since:103": "garbage",
    "told:own_post:100:21": "2026-03-01T12:00:00+00:00",
    "told:capped:100:21:2026-02-27": "2026-02-27T09:00:00+00:00",
    "told:capped:100:21:2026-03-01": "2026-03-01T09:00:00+00:00",
    "told:capped:101:22:2026-03-01": "2026-03-01T10:00:00+00:00",
    "commands_hash:global:900": "g1",
    "commands_hash:555:900": "d1",
    "commands_hash:global:None": "lost",  # no application id: never matched
    "retention:application": "900",
    "replay_reputation": "0009",
}


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


async def test_the_migration_moves_the_old_rows(db_path: Path, tmp_path: Path) -> None:
    await _at_version(db_path, 17, tmp_path)
    with sqlite3.connect(db_path) as conn:
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", OLD_META.items())
    await _at_version(db_path, 18, tmp_path)
    with sqlite3.connect(db_path) as conn:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        told = conn.execute("SELECT guild_id, user_id, about, expires_at FROM told_once ORDER BY 1, 2, 3").fetchall()
        commands = conn.execute("SELECT application_id, guild_id, digest FROM command_syncs ORDER BY 2").fetchall()
    assert meta == {"retention:application": "900", "replay_reputation": "0009"}, "meta keeps single values"
    assert told == [(100, 21, "capped", _ms("2026-03-02T00:00:00+00:00")), (100, 21, "own_post", None),
                    (101, 22, "capped", _ms("2026-03-02T00:00:00+00:00"))]  # fmt: skip
    assert commands == [(900, 0, "g1"), (900, 555, "d1")]

    store = await open_store(db_path)
    try:
        assert await store.summary_place(501) == Place(OWN, 501)
        assert await store.summary_place(502) == Place(STARTER, 300, 777)
        assert await store.summary_place(503) is None and await store.summary_place(504) is None
        assert await store.catchup_watermark(100) == datetime(2026, 3, 1, 11, 50, 0, 123000, tzinfo=UTC)
        assert await store.catchup_watermark(101) == datetime(2026, 3, 1, 11, 50, tzinfo=UTC)
        assert await store.catchup_watermark(102) is None and await store.catchup_watermark(103) is None
        assert await store.commands_digest(900, None) == "g1" and await store.commands_digest(900, 555) == "d1"
        # The marks behave as the old keys did: told already today, and for good about own posts.
        assert not await store.tell_once(ToldOnce(100, 21, ToldAbout.OWN_POST, None, T0))
        march_1 = datetime(2026, 3, 1, 15, tzinfo=UTC)
        assert not await store.tell_once(ToldOnce(100, 21, ToldAbout.CAPPED, march_1 + DAY, march_1))
        assert await store.tell_once(ToldOnce(100, 21, ToldAbout.CAPPED, march_1 + 2 * DAY, march_1 + DAY))
    finally:
        await store.close()
