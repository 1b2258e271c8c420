"""The bot's own bookkeeping in the store (mixed into SqliteStore; tables of migration 0018): where
each live summary is, what members were told once, the catch-up watermarks, and the hash of the
slash commands last registered. They left the key/value meta table for typed rows: meta keeps only
single values of the whole store."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial

from bot.forum.models import CommandSync, ToldOnce
from bot.forum.summary import Place

from . import convert as cv
from .writer import Writer

GET_SUMMARY_PLACE = "SELECT kind, channel_id, message_id FROM summary_places WHERE question_id = ?"
SET_SUMMARY_PLACE = """
INSERT INTO summary_places (question_id, kind, channel_id, message_id) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (question_id) DO UPDATE SET kind = excluded.kind, channel_id = excluded.channel_id,
    message_id = excluded.message_id
"""

GET_WATERMARK = "SELECT since FROM catchup_watermarks WHERE guild_id = ?"
SET_WATERMARK = """
INSERT INTO catchup_watermarks (guild_id, since) VALUES (?1, ?2)
ON CONFLICT (guild_id) DO UPDATE SET since = excluded.since
"""

# One statement decides and marks: a member is told when no mark stands, or when theirs expired by
# now (it is replaced); a standing mark makes it a no-op (no row changed).
TELL_ONCE = """
INSERT INTO told_once (guild_id, user_id, about, expires_at) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (guild_id, user_id, about) DO UPDATE SET expires_at = excluded.expires_at
WHERE told_once.expires_at IS NOT NULL AND told_once.expires_at <= ?5
"""
# Run by the retention purge (db/retention.py); the partial index told_once_expiring serves it.
DROP_EXPIRED_MARKS = "DELETE FROM told_once WHERE expires_at IS NOT NULL AND expires_at <= ?1"

GET_COMMANDS_DIGEST = "SELECT digest FROM command_syncs WHERE application_id = ? AND guild_id = ?"
SET_COMMANDS_DIGEST = """
INSERT INTO command_syncs (application_id, guild_id, digest) VALUES (?1, ?2, ?3)
ON CONFLICT (application_id, guild_id) DO UPDATE SET digest = excluded.digest
"""
GLOBAL = 0  # command_syncs.guild_id of commands registered globally (no snowflake is 0)


class BotStateStore:
    """Needs the SqliteStore's `writer` and `_fetchall`."""

    writer: Writer
    _fetchall: Callable[[str, tuple], Awaitable[list[sqlite3.Row]]]

    async def summary_place(self, question_id: int) -> Place | None:
        rows = await self._fetchall(GET_SUMMARY_PLACE, (question_id,))
        return Place(rows[0][0], rows[0][1], rows[0][2]) if rows else None

    async def set_summary_place(self, question_id: int, place: Place) -> None:
        params = (question_id, place.kind, place.channel_id, place.message_id)
        await self.writer.run_sync(partial(_changed, SET_SUMMARY_PLACE, params))

    async def catchup_watermark(self, guild_id: int) -> datetime | None:
        rows = await self._fetchall(GET_WATERMARK, (guild_id,))
        return cv.from_ms(rows[0][0]) if rows else None

    async def set_catchup_watermark(self, guild_id: int, since: datetime) -> None:
        await self.writer.run_sync(partial(_changed, SET_WATERMARK, (guild_id, cv.to_ms(since))))

    async def tell_once(self, mark: ToldOnce) -> bool:
        """Mark that the member is told; False (and nothing written) when they were already."""
        params = (mark.guild_id, mark.user_id, mark.about.value, cv.opt_ms(mark.expires_at), cv.to_ms(mark.at))
        return await self.writer.run_sync(partial(_changed, TELL_ONCE, params))

    async def commands_digest(self, application_id: int, guild_id: int | None) -> str | None:
        rows = await self._fetchall(GET_COMMANDS_DIGEST, (application_id, guild_id or GLOBAL))
        return rows[0][0] if rows else None

    async def set_commands_digest(self, sync: CommandSync) -> None:
        params = (sync.application_id, sync.guild_id or GLOBAL, sync.digest)
        await self.writer.run_sync(partial(_changed, SET_COMMANDS_DIGEST, params))


def _changed(sql: str, params: tuple, conn: sqlite3.Connection) -> bool:
    return conn.execute(sql, params).rowcount > 0
