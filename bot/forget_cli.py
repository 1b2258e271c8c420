"""`quorum forget --guild ID --member ID`: an operator erases a member's data in one server, for a
request that came by mail rather than through `/privacy forget` (bot/forum/erasure.py). Only the
store is opened, so it runs beside the bot like `quorum publish`: the write queues behind the bot's
in SQLite's lock, and the bot's search indexer moves to the index rebuilt here by itself. The
member's vote reactions stay in Discord, owed removal: the bot's next catch-up takes them off."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from bot.config import Settings
from bot.forum.erasure import Erasure, describe_erased
from db.store import open_store


async def forget(settings: Settings, *, guild_id: int, member_id: int) -> str:
    store = await open_store(settings.database_path, readers=1, follow_search_index=False)
    try:
        erased = await Erasure(store, lambda: datetime.now(UTC)).forget(guild_id, member_id)
    finally:
        await store.close()
    return describe_erased(erased)


def forget_command(settings: Settings, *, guild_id: int, member_id: int) -> int:
    if not settings.database_path.exists():
        # Opening would create an empty database the bot never reads: a wrong DATABASE_URL.
        print(f"quorum: no database at {settings.database_path} (check DATABASE_URL)", file=sys.stderr)
        return 2
    print(asyncio.run(forget(settings, guild_id=guild_id, member_id=member_id)))
    return 0
