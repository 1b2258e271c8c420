"""The web's directory (mixed into SqliteStore): guild and display names, channel publication and
visibility, and members' web privacy choices. The bot writes them from Discord; the web reads them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from functools import partial

from bot.forum.models import AuditEntry
from bot.forum.public import NameEntry, WebChannel

from . import convert as cv
from .queries import INSERT_AUDIT
from .writer import Writer

UPSERT_GUILD_NAME = """
INSERT INTO web_guilds (guild_id, name, updated_at) VALUES (?1, ?2, ?3)
ON CONFLICT (guild_id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at
WHERE web_guilds.name IS NOT excluded.name
"""
GUILD_NAME = "SELECT name FROM web_guilds WHERE guild_id = ?"

UPSERT_NAME = """
INSERT INTO names (guild_id, kind, id, name, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (guild_id, kind, id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at
WHERE names.name IS NOT excluded.name
"""
RENAME_KNOWN = """
UPDATE names SET name = ?4, updated_at = ?5 WHERE guild_id = ?1 AND kind = ?2 AND id = ?3 AND name IS NOT ?4
"""
NAMES_OF_KIND = "SELECT id, name FROM names WHERE guild_id = ? AND kind = ? AND id IN (SELECT value FROM json_each(?))"

SET_READABLE = """
INSERT INTO web_channels (channel_id, guild_id, everyone_can_read, updated_at) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (channel_id) DO UPDATE SET everyone_can_read = excluded.everyone_can_read, updated_at = excluded.updated_at
WHERE web_channels.everyone_can_read IS NOT excluded.everyone_can_read
"""
SET_PUBLISHED = """
INSERT INTO web_channels (channel_id, guild_id, published, published_by, published_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?5)
ON CONFLICT (channel_id) DO UPDATE SET published = excluded.published, published_by = excluded.published_by,
    published_at = excluded.published_at, updated_at = excluded.updated_at
"""
WEB_CHANNELS = """
SELECT channel_id, guild_id, published, everyone_can_read, published_by, published_at FROM web_channels
WHERE guild_id = ? ORDER BY channel_id
"""
WEB_CHANNEL = """
SELECT channel_id, guild_id, published, everyone_can_read, published_by, published_at FROM web_channels
WHERE channel_id = ?
"""
UNCHECKED_WEB_CHANNELS = """
SELECT channel_id, guild_id, published, everyone_can_read, published_by, published_at FROM web_channels
WHERE everyone_can_read IS NULL ORDER BY channel_id
"""

SET_WEB_HIDDEN = """
INSERT INTO web_privacy (guild_id, user_id, hidden, at) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (guild_id, user_id) DO UPDATE SET hidden = excluded.hidden, at = excluded.at
"""
WEB_HIDDEN = "SELECT hidden FROM web_privacy WHERE guild_id = ? AND user_id = ?"
HIDDEN_AMONG = """
SELECT user_id FROM web_privacy WHERE guild_id = ? AND hidden = 1 AND user_id IN (SELECT value FROM json_each(?))
"""


class WebDirectoryStore:
    """Needs the SqliteStore's `writer` and `_fetchall`/`_fetchone` (reader connections)."""

    writer: Writer
    _fetchall: Callable[[str, tuple], Awaitable[list[sqlite3.Row]]]
    _fetchone: Callable[[str, tuple], Awaitable[sqlite3.Row | None]]

    # -- writes (the bot)

    async def set_guild_name(self, guild_id: int, name: str, at: datetime) -> bool:
        return await self.writer.run_sync(partial(_changes, UPSERT_GUILD_NAME, (guild_id, name, cv.to_ms(at))))

    async def remember_names(self, entries: Iterable[NameEntry], at: datetime) -> int:
        """Upsert display names; unchanged names write nothing. Returns how many changed."""
        rows = [(e.guild_id, e.kind, e.id, e.name, cv.to_ms(at)) for e in entries]
        if not rows:
            return 0
        return await self.writer.run_sync(partial(_changes_many, UPSERT_NAME, rows))

    async def rename_known(self, entries: Iterable[NameEntry], at: datetime) -> int:
        """Update names already stored (a member renamed); names never stored stay unknown. Returns how
        many changed."""
        rows = [(e.guild_id, e.kind, e.id, e.name, cv.to_ms(at)) for e in entries]
        if not rows:
            return 0
        return await self.writer.run_sync(partial(_changes_many, RENAME_KNOWN, rows))

    async def set_channel_readable(self, guild_id: int, channel_id: int, everyone_can_read: bool, at: datetime) -> bool:
        """Record whether @everyone can view the channel and read its history (from Discord's overwrites)."""
        params = (channel_id, guild_id, int(everyone_can_read), cv.to_ms(at))
        return await self.writer.run_sync(partial(_changes, SET_READABLE, params))

    async def set_channel_published(
        self, guild_id: int, channel_id: int, published: bool, actor_id: int | None, at: datetime,
        audit: AuditEntry | None = None,
    ) -> None:  # fmt: skip
        """Publish or unpublish, with its audit entry (when given) in the same transaction."""
        params = (channel_id, guild_id, int(published), actor_id, cv.to_ms(at))
        await self.writer.run_sync(partial(_publish, params, cv.audit_params(audit) if audit else None))

    async def set_web_hidden(self, guild_id: int, user_id: int, hidden: bool, at: datetime) -> None:
        await self.writer.run_sync(partial(_changes, SET_WEB_HIDDEN, (guild_id, user_id, int(hidden), cv.to_ms(at))))

    # -- reads

    async def guild_name(self, guild_id: int) -> str | None:
        row = await self._fetchone(GUILD_NAME, (guild_id,))
        return row["name"] if row else None

    async def names(self, guild_id: int, kind: str, ids: Iterable[int]) -> dict[int, str]:
        rows = await self._fetchall(NAMES_OF_KIND, (guild_id, kind, json.dumps(sorted(set(ids)))))
        return {r["id"]: r["name"] for r in rows}

    async def web_channels(self, guild_id: int) -> list[WebChannel]:
        return [_web_channel(r) for r in await self._fetchall(WEB_CHANNELS, (guild_id,))]

    async def web_channel(self, channel_id: int) -> WebChannel | None:
        row = await self._fetchone(WEB_CHANNEL, (channel_id,))
        return _web_channel(row) if row else None

    async def unchecked_web_channels(self) -> list[WebChannel]:
        """Channels whose readability the bot has not recorded yet (published by `quorum publish`)."""
        return [_web_channel(r) for r in await self._fetchall(UNCHECKED_WEB_CHANNELS, ())]

    async def web_hidden(self, guild_id: int, user_id: int) -> bool:
        row = await self._fetchone(WEB_HIDDEN, (guild_id, user_id))
        return bool(row and row["hidden"])

    async def hidden_among(self, guild_id: int, user_ids: Iterable[int]) -> set[int]:
        rows = await self._fetchall(HIDDEN_AMONG, (guild_id, json.dumps(sorted(set(user_ids)))))
        return {r["user_id"] for r in rows}


def _web_channel(row: sqlite3.Row) -> WebChannel:
    readable = row["everyone_can_read"]
    return WebChannel(
        row["guild_id"], row["channel_id"], bool(row["published"]), None if readable is None else bool(readable),
        row["published_by"], None if row["published_at"] is None else cv.from_ms(row["published_at"]),
    )  # fmt: skip


def _changes(sql: str, params: tuple, conn: sqlite3.Connection) -> bool:
    return conn.execute(sql, params).rowcount > 0


def _publish(params: tuple, audit: tuple | None, conn: sqlite3.Connection) -> None:
    conn.execute(SET_PUBLISHED, params)
    if audit is not None:
        conn.execute(INSERT_AUDIT, audit)


def _changes_many(sql: str, rows: list[tuple], conn: sqlite3.Connection) -> int:
    return sum(conn.execute(sql, row).rowcount for row in rows)
