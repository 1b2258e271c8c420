"""Discord snowflakes and timestamps.

Ids are built from the wall clock like Discord's (ms since the Discord epoch << 22), and a
generator never hands out the same or a smaller id twice, so ordering by id == ordering by time,
which discord.py (history `before`/`after`, `created_at`) relies on.
"""

from __future__ import annotations

import datetime as _dt
import time

DISCORD_EPOCH_MS = 1420070400000


class SnowflakeGenerator:
    def __init__(self, worker: int = 1, process: int = 0) -> None:
        self._last = 0
        self._tail = ((worker & 0x1F) << 17) | ((process & 0x1F) << 12)

    def next(self) -> int:
        now = int(time.time() * 1000) - DISCORD_EPOCH_MS
        candidate = (now << 22) | self._tail
        # Several ids in the same millisecond (or a clock step back): keep strictly increasing.
        if candidate <= self._last:
            candidate = self._last + 1
        self._last = candidate
        return candidate

    def next_on_shard(self, shard_id: int, num_shards: int) -> int:
        """An id whose timestamp part puts it on `shard_id` of `num_shards` ((id >> 22) % n, Discord's
        rule for guilds): the next id, moved on by at most n-1 milliseconds. Later ids stay larger."""
        first = self.next()
        stamp = first >> 22
        stamp += (shard_id - stamp) % num_shards
        candidate = max(first, (stamp << 22) | self._tail)
        self._last = candidate
        return candidate


def snowflake_time(snowflake: int) -> _dt.datetime:
    ms = (int(snowflake) >> 22) + DISCORD_EPOCH_MS
    return _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.UTC)


def iso(when: _dt.datetime | None = None) -> str:
    """ISO-8601 with microseconds and +00:00, as Discord writes timestamps."""
    when = when or _dt.datetime.now(_dt.UTC)
    return when.isoformat(timespec="microseconds")


def snowflake_iso(snowflake: int) -> str:
    return iso(snowflake_time(snowflake))
