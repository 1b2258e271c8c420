"""Retention in the store (bot/forum/retention.py), mixed into SqliteStore: the deleted text past its
period becomes the PURGED marker, departed guilds past theirs are deleted row by row, and expired
told-once marks go (db/bot_state.py), in one transaction of the writer. Then, as after an erasure
(db/erasure.py), the old text leaves the files: secure_delete zeroes what the transaction freed, the
full-text index is merged into one segment, the WAL is truncated and the search index is rebuilt (its
segments keep a deleted document's text until they are merged, and it compresses them, so only a new
index is sure to be without it).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from functools import partial
from pathlib import Path

from bot.forum.retention import PURGED, Purged, PurgeRequest

from . import convert as cv
from .bot_state import DROP_EXPIRED_MARKS
from .erasure import OPTIMIZE_FTS, truncate_wal
from .writer import Writer

RECORD_DEPARTURE = """
INSERT INTO guild_departures (guild_id, left_at) VALUES (?1, ?2)
ON CONFLICT (guild_id) DO UPDATE SET left_at = min(left_at, excluded.left_at)
"""
CLEAR_DEPARTURES = "DELETE FROM guild_departures WHERE guild_id IN (SELECT value FROM json_each(?1))"
DEPARTURES = "SELECT guild_id, left_at FROM guild_departures ORDER BY guild_id"
# A guild the store knows that is not among the bot's guilds was left while the bot was away (no
# GUILD_DELETE reached it): its period starts now. One it is in loses any record (a missed join).
NEWLY_ABSENT = """
SELECT guild_id FROM (SELECT guild_id FROM guild_settings UNION SELECT guild_id FROM questions)
WHERE guild_id NOT IN (SELECT value FROM json_each(?1)) AND guild_id NOT IN (SELECT guild_id FROM guild_departures)
ORDER BY guild_id
"""
DEPARTED_BEFORE = "SELECT guild_id FROM guild_departures WHERE left_at < ?1 ORDER BY guild_id"

# Revisions first: they are found through their post's or question's deletion. `deleted_at < ?1`
# uses the partial indexes of migration 0013.
PURGE_BODY_REVISIONS = """
UPDATE revisions SET text = ?2
WHERE field = 'body' AND text IS NOT ?2 AND post_id IN (SELECT id FROM posts WHERE deleted_at < ?1)
"""
PURGE_TITLE_REVISIONS = """
UPDATE revisions SET text = ?2
WHERE field = 'title' AND text IS NOT ?2 AND post_id IN (SELECT id FROM questions WHERE deleted_at < ?1)
"""
# A deleted post is out of the full-text index already (its triggers skip deleted posts); the search
# index hears of the change through its journal (migration 0012) and keeps the post out.
PURGE_BODIES = """
UPDATE posts SET body = ?2, attachments = '[]'
WHERE deleted_at < ?1 AND (body IS NOT ?2 OR attachments != '[]')
"""
PURGE_TITLES = "UPDATE questions SET title = ?2 WHERE deleted_at < ?1 AND title IS NOT ?2"

# A guild's live posts are deleted first so the full-text index's triggers take their text out (an
# external-content index needs the old values).
DELETE_LIVE_POSTS = "UPDATE posts SET deleted_at = ?2 WHERE guild_id = ?1 AND deleted_at IS NULL"
# Then every row of the guild: through its posts and questions first, then by guild_id. Deleting the
# posts journals them for the search index.
PURGE_GUILD = (
    "DELETE FROM votes WHERE guild_id = ?1",
    "DELETE FROM owed_unreactions WHERE post_id IN (SELECT id FROM posts WHERE guild_id = ?1)",
    "DELETE FROM revisions WHERE post_id IN (SELECT id FROM posts WHERE guild_id = ?1)"
    " OR post_id IN (SELECT id FROM questions WHERE guild_id = ?1)",
    "DELETE FROM summary_places WHERE question_id IN (SELECT id FROM questions WHERE guild_id = ?1)",
    "DELETE FROM catchup_watermarks WHERE guild_id = ?1",
    "DELETE FROM told_once WHERE guild_id = ?1",
    "DELETE FROM command_syncs WHERE guild_id = ?1",
    # The public lists' counters hold tags; the question rows' own triggers would only lower them.
    "DELETE FROM channel_tag_counts WHERE channel_id IN (SELECT channel_id FROM questions WHERE guild_id = ?1"
    " UNION SELECT channel_id FROM web_channels WHERE guild_id = ?1)",
    "DELETE FROM channel_question_counts WHERE channel_id IN (SELECT channel_id FROM questions WHERE guild_id = ?1"
    " UNION SELECT channel_id FROM web_channels WHERE guild_id = ?1)",
    "DELETE FROM posts WHERE guild_id = ?1",
    "DELETE FROM question_tags WHERE guild_id = ?1",
    "DELETE FROM questions WHERE guild_id = ?1",
    "DELETE FROM members WHERE guild_id = ?1",
    "DELETE FROM guild_settings WHERE guild_id = ?1",
    "DELETE FROM audit_log WHERE guild_id = ?1",
    "DELETE FROM pending_asks WHERE guild_id = ?1",
    "DELETE FROM web_guilds WHERE guild_id = ?1",
    "DELETE FROM web_channels WHERE guild_id = ?1",
    "DELETE FROM names WHERE guild_id = ?1",
    "DELETE FROM web_privacy WHERE guild_id = ?1",
    "DELETE FROM notify_members WHERE guild_id = ?1",
    "DELETE FROM tag_follows WHERE guild_id = ?1",
    "DELETE FROM answer_notices WHERE guild_id = ?1",
    "DELETE FROM suggestions WHERE guild_id = ?1",
    "DELETE FROM guild_departures WHERE guild_id = ?1",
)


class RetentionStore:
    """Needs the SqliteStore's `path`, `writer`, `_fetchall` and `rebuild_search_index`."""

    path: Path
    writer: Writer
    _fetchall: Callable[[str, tuple], Awaitable[list[sqlite3.Row]]]
    rebuild_search_index: Callable[[], Awaitable[int]]

    async def record_departure(self, guild_id: int, at: datetime) -> None:
        """The bot left the guild at `at`; a departure recorded earlier keeps its time (a replay)."""
        await self.writer.run_sync(partial(_execute, RECORD_DEPARTURE, (guild_id, cv.to_ms(at))))

    async def clear_departures(self, guild_ids: Iterable[int]) -> int:
        """The bot is in these guilds: forget their departures. Returns how many there were."""
        return await self.writer.run_sync(partial(_execute, CLEAR_DEPARTURES, (json.dumps(sorted(guild_ids)),)))

    async def departures(self) -> dict[int, datetime]:
        return {r["guild_id"]: cv.from_ms(r["left_at"]) for r in await self._fetchall(DEPARTURES, ())}

    async def purge_expired(self, request: PurgeRequest) -> Purged:
        """Purge the deleted text and the departed guilds past their periods (one transaction), then
        the files, if anything went."""
        purged = await self.writer.run_sync(partial(purge_expired, request))
        if purged.anything:
            await asyncio.to_thread(truncate_wal, self.path)
            await self.rebuild_search_index()
        return purged


def _execute(sql: str, params: tuple, conn: sqlite3.Connection) -> int:
    return conn.execute(sql, params).rowcount


def purge_expired(request: PurgeRequest, conn: sqlite3.Connection) -> Purged:
    """The write operation (run by the writer, inside its transaction)."""
    present, now = json.dumps(sorted(request.present)), cv.to_ms(request.at)
    conn.execute(CLEAR_DEPARTURES, (present,))  # a guild the bot is in is never purged
    absent = tuple(g for (g,) in conn.execute(NEWLY_ABSENT, (present,)).fetchall()) if request.infer_absent else ()
    conn.executemany(RECORD_DEPARTURE, [(g, now) for g in absent])
    guilds = tuple(g for (g,) in conn.execute(DEPARTED_BEFORE, (cv.to_ms(request.left_before),)).fetchall())
    for guild_id in guilds:
        conn.execute(DELETE_LIVE_POSTS, (guild_id, now))
        for sql in PURGE_GUILD:
            conn.execute(sql, (guild_id,))
    conn.execute(DROP_EXPIRED_MARKS, (now,))  # a member may be told again: the mark has no use
    cutoff = (cv.to_ms(request.deleted_before), PURGED)
    revisions = conn.execute(PURGE_BODY_REVISIONS, cutoff).rowcount
    revisions += conn.execute(PURGE_TITLE_REVISIONS, cutoff).rowcount
    posts = conn.execute(PURGE_BODIES, cutoff).rowcount
    titles = conn.execute(PURGE_TITLES, cutoff).rowcount
    purged = Purged(posts=posts, revisions=revisions, titles=titles, guilds=guilds, absent=absent)
    if purged.anything:
        conn.execute(OPTIMIZE_FTS)  # FTS5 keeps deleted documents' tokens in old segments until merged
    return purged
