"""`quorum export`'s reads: one snapshot of the whole store, read in pages.

The export runs on a connection of its own inside one read transaction, so every page sees the store
as it was when the export began (WAL keeps that snapshot while the bot goes on writing), and the
document is consistent however long it takes. Pages are read in one hop on the connection's thread
each and come back as plain models: memory holds a page, never the forum.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite

from bot.forum.archive import (
    LearntName,
    StoredMember,
    StoredSettings,
    StoredVote,
    StoredWebChannel,
    ThreadRecord,
    WebGuild,
    WebPrivacy,
)
from bot.forum.models import Attachment, AuditEntry, GuildSettings, Post, Question, QuestionStatus, Revision
from bot.forum.voting import VoteVia

from . import export_queries as eq
from .connection import open_reader, run_on_connection_thread
from .convert import KINDS, from_ms, opt_dt, to_ms

QUESTIONS_PER_PAGE = 200  # about 1,000 posts and 5,000 votes at the benchmark's proportions
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

    async def threads(self, guild_id: int, *, deleted: bool) -> AsyncIterator[list[ThreadRecord]]:
        """The guild's live (or deleted) questions, oldest first, a page at a time."""
        sql = eq.DELETED_QUESTIONS if deleted else eq.LIVE_QUESTIONS
        after = (_BEFORE_ALL, _BEFORE_ALL)
        while True:
            page = await run_on_connection_thread(
                self._conn, lambda conn, after=after: _thread_page(conn, sql, guild_id, after)
            )
            if not page:
                return
            yield page
            last = page[-1].question
            after = (to_ms(last.created_at), last.id)

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


def _thread_page(conn: sqlite3.Connection, sql: str, guild_id: int, after: tuple[int, int]) -> list[ThreadRecord]:
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: a page holds thousands of rows
    questions = cursor.execute(sql, (guild_id, *after, QUESTIONS_PER_PAGE)).fetchall()
    if not questions:
        return []
    ids = json.dumps([row[0] for row in questions])
    posts: dict[int, list[Post]] = {}
    for row in cursor.execute(eq.POSTS_OF, (ids,)):
        posts.setdefault(row[1], []).append(_post(row, guild_id))
    votes: dict[int, list[StoredVote]] = {}
    for qid, post_id, voter_id, value, at, via in cursor.execute(eq.VOTES_OF, (ids,)):
        votes.setdefault(qid, []).append(StoredVote(post_id, voter_id, value, from_ms(at), VoteVia(via)))
    revisions: dict[int, list[Revision]] = {}
    for sql_revisions in (eq.TITLE_REVISIONS_OF, eq.BODY_REVISIONS_OF):
        for qid, post_id, field, number, text, editor_id, at in cursor.execute(sql_revisions, (ids,)):
            revisions.setdefault(qid, []).append(Revision(post_id, number, field, text, editor_id, from_ms(at)))
    records = []
    for (qid, channel_id, title, author_id, starter_id, status, accepted_answer_id, tags, score, created_at,
         deleted_at, accepted_by, duplicate_of, thread_type, accepted_at, updated_at) in questions:  # fmt: skip
        question = Question(
            qid, guild_id, channel_id, title, author_id, from_ms(created_at), starter_id, QuestionStatus(status),
            accepted_answer_id, tuple(json.loads(tags)), score, opt_dt(deleted_at), accepted_by, duplicate_of,
            thread_type,
        )  # fmt: skip
        records.append(ThreadRecord(question, opt_dt(accepted_at), from_ms(updated_at), posts.get(qid, []),
                                    votes.get(qid, []), revisions.get(qid, [])))  # fmt: skip
    return records


def _post(row: tuple, guild_id: int) -> Post:
    (post_id, question_id, kind, parent_id, reply_to_id, author_id, body, attachments, score, created_at, edited_at,
     deleted_at) = row  # fmt: skip
    return Post(
        post_id, question_id, guild_id, KINDS[kind], author_id, body, from_ms(created_at), parent_id, reply_to_id,
        score, opt_dt(edited_at), opt_dt(deleted_at),
        () if attachments == "[]" else tuple(Attachment(**a) for a in json.loads(attachments)),
    )  # fmt: skip
