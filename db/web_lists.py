"""The web's list pages, profiles and sitemap (a read mixin for the web's store): SQL in
web_lists_queries.py, over the indexes and maintained counts of migration 0012.

Channels come in as a Readable: the public channels, which the caller worked out with the consent
rules (bot/forum/public.py); nothing here decides what is public.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Iterator

import aiosqlite

from bot.forum.listing import ListedRow, ListSort, PublicCounts, SitemapChunk, SitemapEntry, TagCount
from bot.forum.models import PostKind, QuestionStatus
from bot.forum.public import WebChannel
from bot.forum.visibility import Readable

from . import convert as cv
from . import web_lists_queries as wq
from .connection import run_on_connection_thread

_BY_SORT = {ListSort.NEWEST: wq.NEWEST, ListSort.TOP: wq.TOP, ListSort.UNANSWERED: wq.UNANSWERED}


class WebListsStore:
    """Needs the store's `_fetchall`, `_fetchone` and `_next_reader` (reader connections)."""

    _fetchall: Callable[[str, tuple | dict], Awaitable[list[sqlite3.Row]]]
    _fetchone: Callable[[str, tuple | dict], Awaitable[sqlite3.Row | None]]
    _next_reader: Iterator[aiosqlite.Connection]

    async def listed_questions(
        self, guild_id: int, channels: Readable, sort: ListSort, *, limit: int, offset: int
    ) -> list[ListedRow]:
        params = {"guild": guild_id, "channels": channels.as_json(), "limit": limit, "offset": offset}
        return [_row(r) for r in await self._fetchall(_BY_SORT[sort], params)]

    async def tagged_questions(
        self, guild_id: int, tag: str, channels: Readable, *, limit: int, offset: int
    ) -> list[ListedRow]:
        params = {"guild": guild_id, "tag": tag, "channels": channels.as_json(), "limit": limit, "offset": offset}
        return [_row(r) for r in await self._fetchall(wq.TAGGED, params)]

    async def channel_question_counts(self, channels: Readable) -> dict[int, int]:
        """Listed questions per channel (channels without any are left out)."""
        return {r["channel_id"]: r["questions"] for r in await self._fetchall(wq.CHANNEL_COUNTS, (channels.as_json(),))}

    async def tag_counts(self, channels: Readable, *, limit: int) -> list[TagCount]:
        """Tags of the listed questions in these channels, most used first."""
        rows = await self._fetchall(wq.TAG_COUNTS, (channels.as_json(), limit))
        return [TagCount(r["tag"], r["n"]) for r in rows]

    async def tag_count(self, channels: Readable, tag: str) -> int:
        row = await self._fetchone(wq.TAG_COUNT, (channels.as_json(), tag))
        return row[0] if row else 0

    async def published_channels(self) -> list[WebChannel]:
        """Every channel published in any guild (whether @everyone can read it is in each)."""
        rows = await self._fetchall(wq.PUBLISHED_CHANNELS, ())
        return [
            WebChannel(r["guild_id"], r["channel_id"], True, None if r["everyone_can_read"] is None
                       else bool(r["everyone_can_read"]), r["published_by"], cv.opt_dt(r["published_at"]))
            for r in rows
        ]  # fmt: skip

    async def guild_names(self, guild_ids: Iterable[int]) -> dict[int, str]:
        rows = await self._fetchall(wq.GUILD_NAMES, (json.dumps(sorted(set(guild_ids))),))
        return {r["guild_id"]: r["name"] for r in rows}

    async def listed_among(self, question_ids: Iterable[int], channels: Readable) -> dict[int, int]:
        """Those of the questions that are listed (live, public thread) in these channels: id -> asker."""
        rows = await self._fetchall(wq.LISTED_AMONG, (json.dumps(sorted(set(question_ids))), channels.as_json()))
        return {r["id"]: r["author_id"] for r in rows}

    async def post_authors(self, post_ids: Iterable[int]) -> dict[int, tuple[int, PostKind]]:
        """Each post's author and kind."""
        rows = await self._fetchall(wq.POST_AUTHORS, (json.dumps(sorted(set(post_ids))),))
        return {r["id"]: (r["author_id"], PostKind(r["kind"])) for r in rows}

    async def member_public_counts(self, guild_id: int, user_id: int, channels: Readable) -> PublicCounts:
        """The member's live posts in listed questions of these channels, by kind."""
        row = await self._fetchone(wq.MEMBER_PUBLIC_COUNTS, (guild_id, user_id, channels.as_json()))
        assert row is not None  # scalar subqueries: always one row
        return PublicCounts(row["questions"], row["answers"], row["replies"])

    # -- sitemap

    async def sitemap_chunks(self, channels: Readable, *, size: int) -> list[SitemapChunk]:
        rows = await self._fetchall(wq.SITEMAP_CHUNKS, {"channels": channels.as_json(), "size": size})
        return [SitemapChunk(r["chunk"], r["urls"], r["lastmod"]) for r in rows]

    async def sitemap_chunk_start(self, channels: Readable, *, number: int, size: int) -> int | None:
        """The first question id of chunk `number` (from 0), or None past the end."""
        row = await self._fetchone(wq.SITEMAP_CHUNK_START, {"channels": channels.as_json(), "skip": number * size})
        return row[0] if row else None

    async def sitemap_batch(self, channels: Readable, *, from_id: int, limit: int) -> list[SitemapEntry]:
        """Up to `limit` sitemap questions from `from_id` on (inclusive), by id; read as plain tuples
        on the reader's own thread, in one hop (a sitemap reads every public question)."""
        params = {"channels": channels.as_json(), "from": from_id, "limit": limit}

        def read(conn: sqlite3.Connection) -> list[SitemapEntry]:
            cursor = conn.cursor()
            cursor.row_factory = None
            return list(map(SitemapEntry._make, cursor.execute(wq.SITEMAP_BATCH, params)))

        return await run_on_connection_thread(next(self._next_reader), read)


def _row(r: sqlite3.Row) -> ListedRow:
    return ListedRow(
        r["id"], r["guild_id"], r["channel_id"], r["title"], r["author_id"], r["score"], r["answers"],
        bool(r["solved"]), QuestionStatus(r["status"]), tuple(json.loads(r["tags"])), cv.from_ms(r["created_at"]),
    )  # fmt: skip
