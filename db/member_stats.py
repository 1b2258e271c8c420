"""The store's member statistics (mixed into SqliteStore): what /profile and /top read.

Reads only, on the reader connections, each one statement over an index (see member_queries.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable

from bot.forum.models import MemberCounts, PostKind, TopPost
from bot.forum.visibility import Readable

from . import member_queries as mq


class MemberStatsStore:
    """Needs the SqliteStore's `_fetchall` and `_fetchone` (reader connections)."""

    # SqliteStore's methods: declared here for readers and type checkers, provided by the store.
    _fetchall: Callable[[str, tuple], Awaitable[list[sqlite3.Row]]]
    _fetchone: Callable[[str, tuple], Awaitable[sqlite3.Row | None]]

    async def member_counts(self, guild_id: int, user_id: int) -> MemberCounts:
        """Live questions, answers and accepted answers of a member, and their stored reputation."""
        row = await self._fetchone(mq.MEMBER_COUNTS, (guild_id, user_id))
        assert row is not None  # a SELECT of scalar subqueries always yields one row
        return MemberCounts(row["questions"], row["answers"], row["accepted"], row["reputation"])

    async def best_posts(self, guild_id: int, user_id: int, limit: int, *, readable: Readable | None) -> list[TopPost]:
        """A member's live questions and answers with the highest scores, best first (older first
        among equals), in `readable` channels only (None: every channel)."""
        channels = None if readable is None else readable.as_json()
        rows = await self._fetchall(mq.BEST_POSTS, (guild_id, user_id, limit, channels))
        return [TopPost(r["id"], r["question_id"], guild_id, r["channel_id"], PostKind(r["kind"]), r["score"],
                        r["title"]) for r in rows]  # fmt: skip

    async def leaderboard(self, guild_id: int, *, limit: int, offset: int = 0) -> list[tuple[int, int]]:
        """(member id, stored reputation), highest first, ties by member id."""
        rows = await self._fetchall(mq.LEADERBOARD, (guild_id, limit, offset))
        return [(r["user_id"], r["reputation"]) for r in rows]

    async def members_above(self, guild_id: int, reputation: int) -> int:
        """How many members have a stored reputation above `reputation`."""
        row = await self._fetchone(mq.MEMBERS_ABOVE, (guild_id, reputation))
        return row[0] if row else 0

    async def member_reputation(self, guild_id: int, user_id: int) -> int | None:
        """Stored reputation, or None when the forum never saw the member."""
        row = await self._fetchone(mq.MEMBER_REPUTATION, (guild_id, user_id))
        return row["reputation"] if row else None
