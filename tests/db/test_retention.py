"""Retention in the store: deleted text is purged after its period (and leaves the files), and a
guild the bot left is deleted whole after its period, unless the bot is in it."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from bot.forum.models import AuditEntry, Post, PostKind, Question, ToldAbout, ToldOnce
from bot.forum.public import NameEntry
from bot.forum.retention import PURGED, Retention, RetentionPeriods
from bot.forum.summary import OWN, Place
from db.store import SqliteStore, open_store

from .conftest import T0
from .test_erasure import _database_files

GUILD, KEPT_GUILD = 100, 101
ASKER, OLD, RECENT, VOTER = 21, 22, 23, 24
DAY = timedelta(days=1)
OLD_TEXT = "An answer about zyxquorpelt"  # deleted 31 days before the purge
OLD_EDIT = "An answer about flibbergrumph"  # its edit
OLD_TITLE = "Why does snarfulgate break?"  # a question deleted 31 days before
RECENT_TEXT = "An answer deleted lately"  # deleted 29 days before: kept


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _question(thread_id: int, title: str, guild: int = GUILD) -> Question:
    return Question(id=thread_id, guild_id=guild, channel_id=300 + guild, title=title, author_id=ASKER, created_at=T0,
                    tags=("storage",))  # fmt: skip


def _post(post_id: int, thread_id: int, author: int, body: str, kind=PostKind.ANSWER, guild: int = GUILD) -> Post:
    return Post(id=post_id, question_id=thread_id, guild_id=guild, kind=kind, author_id=author, body=body,
                created_at=T0 + timedelta(seconds=post_id % 1000))  # fmt: skip


def _rows(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()


async def _deleted_posts(store: SqliteStore, now: datetime) -> None:
    await store.add_question(_question(1000, "Which storage engine?"),
                             _post(1000, 1000, ASKER, "Where to keep state", PostKind.QUESTION))  # fmt: skip
    await store.add_post(_post(1001, 1000, OLD, OLD_TEXT))
    await store.edit_post(1001, OLD_EDIT, OLD, T0 + timedelta(minutes=1))
    await store.apply_vote(1001, VOTER, 1, T0 + timedelta(minutes=2))
    await store.add_post(_post(1002, 1000, RECENT, RECENT_TEXT))
    await store.add_question(_question(2000, OLD_TITLE), _post(2000, 2000, ASKER, "snarfulgate", PostKind.QUESTION))
    await store.rename_question(2000, OLD_TITLE + " (quaxolith)", ASKER, T0 + timedelta(minutes=3))
    await store.delete_post(1001, now - 31 * DAY)
    await store.delete_question(2000, now - 31 * DAY)
    await store.delete_post(1002, now - 29 * DAY)


async def test_deleted_text_is_purged_after_its_period(store: SqliteStore, db_path: Path) -> None:
    now = T0 + 60 * DAY
    await _deleted_posts(store, now)
    before = dict(_rows(db_path, "SELECT id, score FROM posts"))
    retention = Retention(store, Clock(now), RetentionPeriods(deleted_days=30))

    purged = await retention.run(present=[GUILD])

    assert (purged.posts, purged.titles, purged.guilds) == (2, 1, ())  # 1001 and 2000's starter
    assert purged.revisions == 5  # 1001: original and edit; 2000: its body; its title and rename
    old = await store.get_post(1001)
    assert (old.body, old.author_id, old.deleted_at) == (PURGED, OLD, now - 31 * DAY), "the deletion stays"
    assert [r.text for r in await store.revisions(1001)] == [PURGED, PURGED], "/history shows the purge"
    assert (await store.get_question(2000)).title == PURGED
    assert {r.text for r in await store.revisions(2000)} == {PURGED}
    recent = await store.get_post(1002)
    assert recent.body == RECENT_TEXT and [r.text for r in await store.revisions(1002)] == [RECENT_TEXT]
    assert (await store.get_question(1000)).title == "Which storage engine?", "a live question keeps its title"
    assert dict(_rows(db_path, "SELECT id, score FROM posts")) == before, "scores stay"
    assert (await store.recount()).differences == 0

    # Nothing more to purge; a day later the recent one's period is over too.
    assert not (await retention.run(present=[GUILD])).anything
    retention.clock.now = now + 2 * DAY  # type: ignore[attr-defined]
    assert (await retention.run(present=[GUILD])).posts == 1
    assert (await store.get_post(1002)).body == PURGED


async def test_purged_text_is_gone_from_the_files(db_path: Path) -> None:
    now = T0 + 60 * DAY
    store = await open_store(db_path)
    try:
        await _deleted_posts(store, now)
        await Retention(store, Clock(now), RetentionPeriods(deleted_days=30)).run(present=[GUILD])
        files = _database_files(db_path)
        assert any(p.name == f"{db_path.name}-wal" for p in files), "checked while the store is open"
        words = ("zyxquorpelt", "flibbergrumph", "snarfulgate", "quaxolith", OLD_TEXT)
        found = {(p.name, w) for p in files for w in words if w.encode() in p.read_bytes()}
        assert not found, f"purged text still in the files: {sorted(found)}"
        assert any(RECENT_TEXT.encode() in p.read_bytes() for p in files), "the grep sees text that stays"
    finally:
        await store.close()


async def _two_guilds(store: SqliteStore) -> None:
    for guild, base in ((GUILD, 1000), (KEPT_GUILD, 5000)):
        await store.add_question(_question(base, f"Question of {guild}", guild),
                                 _post(base, base, ASKER, f"Body of {guild}", PostKind.QUESTION, guild))  # fmt: skip
        await store.add_post(_post(base + 1, base, OLD, f"Answer in {guild}", guild=guild))
        await store.edit_post(base + 1, f"Answer edited in {guild}", OLD, T0 + timedelta(minutes=1))
        await store.apply_vote(base + 1, VOTER, 1, T0 + timedelta(minutes=2))
        await store.set_acceptance(base, base + 1, ASKER, T0 + timedelta(minutes=3))
        await store.add_audit(AuditEntry(guild, ASKER, "close", base, "closed", T0))
        await store.remember_names([NameEntry(guild, "user", OLD, "Old")], T0)
        await store.set_web_hidden(guild, VOTER, True, T0)
        await store.set_summary_place(base, Place(OWN, base, base + 2))
        await store.set_catchup_watermark(guild, T0)
        await store.tell_once(ToldOnce(guild, VOTER, ToldAbout.OWN_POST, None, T0))


def _tables_with_guild_id(db_path: Path) -> list[str]:
    tables = [t for (t,) in _rows(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [t for t in tables if any(c[1] == "guild_id" for c in _rows(db_path, f"PRAGMA table_info('{t}')"))]


def _guild_rows(db_path: Path, guild: int, base: int) -> dict[str, int]:
    counts = {t: _rows(db_path, f"SELECT count(*) FROM {t} WHERE guild_id = ?", (guild,))[0][0]  # noqa: S608  (names from sqlite_master)
              for t in _tables_with_guild_id(db_path)}  # fmt: skip
    ids = (base, base + 1)
    counts["revisions"] = _rows(db_path, "SELECT count(*) FROM revisions WHERE post_id IN (?, ?)", ids)[0][0]
    counts["summary_places"] = _rows(db_path, "SELECT count(*) FROM summary_places WHERE question_id = ?",
                                     (base,))[0][0]  # fmt: skip
    counts["channel counts"] = _rows(db_path, "SELECT count(*) FROM channel_tag_counts WHERE channel_id = ?",
                                     (300 + guild,))[0][0]  # fmt: skip
    return {t: n for t, n in counts.items() if n}


async def test_a_departed_guild_is_deleted_after_its_period(store: SqliteStore, db_path: Path) -> None:
    await _two_guilds(store)
    clock = Clock(T0 + DAY)
    retention = Retention(store, clock, RetentionPeriods(guild_days=30))
    kept = _guild_rows(db_path, KEPT_GUILD, 5000)
    forum = {"questions", "posts", "votes", "members", "audit_log", "names", "revisions"}
    assert forum | {"summary_places", "catchup_watermarks", "told_once"} <= set(kept)

    await retention.guild_left(GUILD)
    clock.now = T0 + 2 * DAY
    await retention.guild_left(GUILD)  # a replayed event keeps the first time
    assert await store.departures() == {GUILD: T0 + DAY}
    clock.now = T0 + 30 * DAY
    assert not (await retention.run(present=[KEPT_GUILD])).anything, "29 days: still kept, exportable"
    assert set(_guild_rows(db_path, GUILD, 1000)) == {*kept, "guild_departures"}

    # The bot is in the guild after all (a join the store missed): never purged, the record goes.
    clock.now = T0 + 40 * DAY
    assert not (await retention.run(present=[GUILD, KEPT_GUILD])).anything
    assert await store.departures() == {}
    assert set(_guild_rows(db_path, GUILD, 1000)) == set(kept)

    await retention.guild_left(GUILD)
    clock.now = T0 + 71 * DAY  # 31 days after this departure
    purged = await retention.run(present=[KEPT_GUILD])

    assert purged.guilds == (GUILD,)
    assert _guild_rows(db_path, GUILD, 1000) == {}, "every row of the guild is gone"
    assert _guild_rows(db_path, KEPT_GUILD, 5000) == kept, "the other guild is untouched"
    assert await store.departures() == {}
    assert await store.guild_ids() == [KEPT_GUILD]
    assert (await store.recount()).differences == 0
    # Out of the store's full-text index too (its triggers need the text to take it out).
    assert _rows(db_path, "SELECT rowid FROM post_fts WHERE post_fts MATCH '100'") == []
    assert _rows(db_path, "SELECT rowid FROM post_fts WHERE post_fts MATCH '101'") == [(5000,), (5001,)]


async def test_rejoining_clears_the_departure(store: SqliteStore) -> None:
    clock = Clock(T0)
    retention = Retention(store, clock, RetentionPeriods(guild_days=30))
    await retention.guild_left(GUILD)
    await retention.guild_left(KEPT_GUILD)
    assert await retention.guilds_present([GUILD]) == 1
    assert await store.departures() == {KEPT_GUILD: T0}


async def test_another_bot_application_never_takes_missing_guilds_for_departed(store) -> None:
    await _two_guilds(store)
    retention = Retention(store, Clock(T0 + DAY), RetentionPeriods(guild_days=30))
    assert (await retention.run(present=[GUILD, KEPT_GUILD], application_id=1)).absent == ()
    assert (await retention.run(present=[], application_id=2)).absent == (), "a different bot on this database"
    assert await store.departures() == {}
    assert (await retention.run(present=[KEPT_GUILD], application_id=1)).absent == (GUILD,)


async def test_a_guild_left_while_the_bot_was_away_counts_from_the_first_run_without_it(store, db_path) -> None:
    await _two_guilds(store)
    clock = Clock(T0 + DAY)
    retention = Retention(store, clock, RetentionPeriods(guild_days=30))
    first = await retention.run(present=[KEPT_GUILD])
    assert first.absent == (GUILD,) and not first.anything
    assert await store.departures() == {GUILD: T0 + DAY}, "no GUILD_DELETE came: its period starts now"
    clock.now = T0 + 20 * DAY
    assert (await retention.run(present=[KEPT_GUILD])).absent == ()
    assert await store.departures() == {GUILD: T0 + DAY}, "the first time stays"
    clock.now = T0 + 32 * DAY
    assert (await retention.run(present=[KEPT_GUILD])).guilds == (GUILD,)
    assert set(_guild_rows(db_path, KEPT_GUILD, 5000)) and not _guild_rows(db_path, GUILD, 1000)
