"""`quorum export`: the stored forum as JSON, to standard output or a file."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from bot.config import Settings
from bot.forum.exporting import guild_export
from bot.forum.service import ForumService
from db.store import open_store


async def export_forum(service: ForumService, guild_id: int | None = None) -> list[dict]:
    """Deleted answers are part of the export, marked: it is the administrators' archive."""
    guild_ids = [guild_id] if guild_id is not None else await service.store.guild_ids()
    exports = []
    for gid in guild_ids:
        views = await service.guild_views(gid, deleted_answers=True)
        exports.append(guild_export(gid, views, await service.store.reputations(gid)))
    return exports


async def _read(settings: Settings, guild_id: int | None) -> list[dict]:
    store = await open_store(settings.database_path, follow_search_index=False)
    try:
        return await export_forum(ForumService(store), guild_id)
    finally:
        await store.close()


def export_command(settings: Settings, *, guild_id: int | None, out: str | None) -> int:
    if not settings.database_path.exists():
        print(f"quorum: no database at {settings.database_path} (check DATABASE_URL)", file=sys.stderr)
        return 2
    data = asyncio.run(_read(settings, guild_id))
    # One guild asked for: its object. Otherwise a list with one object per guild.
    document = data[0] if guild_id is not None and data else data
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if out:
        Path(out).write_text(text, encoding="utf-8")
        print(f"Exported {sum(len(g['questions']) for g in data)} question(s) to {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
