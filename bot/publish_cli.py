"""`quorum publish --guild ID --channel ID [--off]`: a server operator publishes a questions channel
on the web (or takes its pages down) without Discord. Only the store is opened, so it runs beside
the bot like `quorum recount --fix`: the write queues behind the bot's in SQLite's lock.

No member runs it: the channel's row names nobody as publisher (NULL) and the audit entry's actor is
bot.forum.publishing.OPERATOR (0; /modlog says "an operator"). Whether @everyone may read the
channel only Discord knows: the bot records it at its next start, or within a second if it runs.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from bot.config import Settings
from bot.forum.errors import ForumError
from bot.forum.publishing import Publishing, operator_line
from db.store import open_store


async def publish(settings: Settings, *, guild_id: int, channel_id: int, on: bool) -> str:
    store = await open_store(settings.database_path, readers=1, follow_search_index=False)
    try:
        outcome = await Publishing(store, lambda: datetime.now(UTC)).publish(
            guild_id, channel_id, on, actor_id=None, manages_server=False, readable=None
        )
    finally:
        await store.close()
    return operator_line(outcome)


def publish_command(settings: Settings, *, guild_id: int, channel_id: int, off: bool) -> int:
    if not settings.database_path.exists():
        # Opening would create an empty database the bot never reads: a wrong DATABASE_URL.
        print(f"quorum: no database at {settings.database_path} (check DATABASE_URL)", file=sys.stderr)
        return 2
    try:
        line = asyncio.run(publish(settings, guild_id=guild_id, channel_id=channel_id, on=not off))
    except ForumError as exc:  # the channel is known to belong to another guild
        print(f"quorum: {exc.message}", file=sys.stderr)
        return 2
    print(line)
    return 0
