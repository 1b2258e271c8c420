"""`quorum export`'s reads: one snapshot of the whole store, read in pages.

The export runs on a connection of its own inside one read transaction, so every page sees the store
as it was when the export began (WAL keeps that snapshot while the bot goes on writing), and the
document is consistent however long it takes. Pages are read in one hop on the connection's thread
each and come back as plain models (the questions' pages as rows, decoded by db/export_pages.py where
they are shaped): memory holds a few pages, never the forum.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite

from bot.forum.archive import LearntName, StoredMember, StoredSettings, StoredWebChannel, WebGuild, WebPrivacy
from bot.forum.models import AuditEntry, GuildSettings

from . import export_queries as eq
from .connection import open_reader, run_on_connection_thread
from .convert import from_ms, opt_dt
from .export_pages import ThreadPage

QUESTIONS_PER_PAGE = 100  # about 500 posts and 2,500 votes at the benchmark's proportions
ROWS_PER_PAGE = 2_000
_BEFORE_ALL = -(2**63)  # a key lower than any stored one: where the first page starts


class ExportSnapshot:
    """Build it with `await ExportSnapshot.open(path)`; `await close()` ends the read transaction."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    @classmethod
    async def open(cls, path: Path) -> ExportSnapshot:
        conn = await open_reader(path)
        try:
            # Each page is read once: the readers' large page cache (db/connection.py) would only
            # grow the export's memory with the size of the database.
            await conn.execute("PRAGMA cache_size = -8192")
            await conn.execute("BEGIN")
            # A deferred transaction takes its snapshot at its first read.
            await conn.execute_fetchall("SELECT 1 FROM questions LIMIT 1")
        except BaseException:
            await conn.close()
            raise
        return cls(conn)

    async def close(self) -> None:
        try:
            await self._conn.execute("COMMIT")
        finally:
            await self._conn.close()

    async def _rows(self, sql: str, params: tuple) -> list[sqlite3.Row]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def guild_ids(self) -> list[int]:
        return [r[0] for r in await self._rows(eq.GUILD_IDS, ())]

    async def post_count(self, guild_id: int) -> int:
        return (await self._rows(eq.POSTS_IN, (guild_id,)))[0][0]

    async def settings(self, guild_id: int) -> StoredSettings | None:
        rows = await self._rows(eq.SETTINGS, (guild_id,))
        if not rows:
            return None
        r = rows[0]
        settings = GuildSettings(guild_id, r["forum_channel_id"], r["moderator_role_id"], r["upvote_emoji"],
                                 r["downvote_emoji"], r["daily_vote_cap"], r["idle_nudge_hours"],
                                 r["archive_after_accept_hours"])  # fmt: skip
        return StoredSettings(settings, from_ms(r["updated_at"]))

    async def web_guild(self, guild_id: int) -> WebGuild | None:
        rows = await self._rows(eq.WEB_GUILD, (guild_id,))
        return WebGuild(rows[0]["name"], from_ms(rows[0]["updated_at"])) if rows else None

    async def web_channels(self, guild_id: int) -> list[StoredWebChannel]:
        return [
            StoredWebChannel(r["channel_id"], None if r["everyone_can_read"] is None else bool(r["everyone_can_read"]),
                       bool(r["published"]), r["published_by"], opt_dt(r["published_at"]), from_ms(r["updated_at"]))
            for r in await self._rows(eq.WEB_CHANNELS, (guild_id,))
        ]  # fmt: skip

    async def thread_pages(self, guild_id: int, *, deleted: bool) -> AsyncIterator[ThreadPage]:
        """The guild's live (or deleted) questions, oldest first, a page at a time, as read: a page
        becomes models with `decode_thread_page` (db/export_pages.py), wherever it is shaped."""
        sql = eq.DELETED_QUESTIONS if deleted else eq.LIVE_QUESTIONS
        after = (_BEFORE_ALL, _BEFORE_ALL)
        while True:
            page = await run_on_connection_thread(
                self._conn, lambda conn, after=after: _read_thread_page(conn, sql, guild_id, after)
            )
            if page is None:
                return
            yield page
            after = page.last_key()

    async def members(self, guild_id: int) -> AsyncIterator[list[StoredMember]]:
        async for rows in self._pages(eq.MEMBERS, guild_id, lambda r: (r["user_id"],)):
            yield [StoredMember(r["user_id"], r["reputation"]) for r in rows]

    async def names(self, guild_id: int) -> AsyncIterator[list[LearntName]]:
        async for rows in self._pages(eq.NAMES, guild_id, lambda r: (r["kind"], r["id"]), ("", _BEFORE_ALL)):
            yield [LearntName(r["kind"], r["id"], r["name"], from_ms(r["updated_at"])) for r in rows]

    async def web_privacy(self, guild_id: int) -> AsyncIterator[list[WebPrivacy]]:
        async for rows in self._pages(eq.WEB_PRIVACY, guild_id, lambda r: (r["user_id"],)):
            yield [WebPrivacy(r["user_id"], bool(r["hidden"]), from_ms(r["at"])) for r in rows]

    async def audit_log(self, guild_id: int) -> AsyncIterator[list[AuditEntry]]:
        async for rows in self._pages(eq.AUDIT, guild_id, lambda r: (r["id"],)):
            yield [AuditEntry(guild_id, r["actor_id"], r["action"], r["target_id"], r["reason"], from_ms(r["at"]),
                              r["id"]) for r in rows]  # fmt: skip

    async def _pages(self, sql: str, guild_id: int, key, start: tuple = (_BEFORE_ALL,)) -> AsyncIterator[list]:
        after = start
        while True:
            rows = await self._rows(sql, (guild_id, *after, ROWS_PER_PAGE))
            if not rows:
                return
            yield rows
            after = key(rows[-1])


def _read_thread_page(conn: sqlite3.Connection, sql: str, guild_id: int, after: tuple[int, int]) -> ThreadPage | None:
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: a page holds thousands of rows
    questions = cursor.execute(sql, (guild_id, *after, QUESTIONS_PER_PAGE)).fetchall()
    if not questions:
        return None
    ids = json.dumps([row[0] for row in questions])
    posts = cursor.execute(eq.POSTS_OF, (ids,)).fetchall()
    votes = cursor.execute(eq.VOTES_OF, (ids,)).fetchall()
    revisions = cursor.execute(eq.TITLE_REVISIONS_OF, (ids,)).fetchall()
    revisions += cursor.execute(eq.BODY_REVISIONS_OF, (ids,)).fetchall()
    return ThreadPage(guild_id, questions, posts, votes, revisions)
