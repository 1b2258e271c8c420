"""Questions stored before Quorum recorded thread types (migration 0008) may be private threads,
which are never questions. The migration cannot tell them apart (nothing stored says), so start-up
catch-up asks Discord, once per channel holding such questions: every private thread of a text
channel is either active (the guild's active threads) or archived (the channel's archived private
threads, a listing that needs Manage Threads). Questions among them are removed with everything in
them; the channel's other questions are public threads, and their type is recorded, so the channel
is not asked about again. A thread archived or unarchived during the listing sends THREAD_UPDATE,
which removes it live (cogs/questions.py). Without access the channel stays unchecked and is asked
about at the next start; forum channels hold public threads only and need no listing.
"""

from __future__ import annotations

import logging

import discord

from bot.forum.events import ANNOUNCEMENT_THREAD, PUBLIC_THREAD
from bot.forum.service import ForumService

log = logging.getLogger(__name__)


async def check_thread_types(service: ForumService, guild: discord.Guild) -> int:
    """Remove the guild's stored questions whose thread Discord lists as private; how many went."""
    removed = 0
    active: list[discord.Thread] | None = None
    for channel_id in await service.channels_to_check(guild.id):
        channel = guild.get_channel(channel_id)
        if isinstance(channel, discord.ForumChannel):
            await service.thread_types_listed(guild.id, channel_id, set(), PUBLIC_THREAD)
            continue
        if isinstance(channel, discord.TextChannel) and channel.is_news():
            # Announcement channels have no private threads.
            await service.thread_types_listed(guild.id, channel_id, set(), ANNOUNCEMENT_THREAD)
            continue
        if not isinstance(channel, discord.TextChannel):
            continue  # gone, and its threads with it: nothing to ask
        try:
            if active is None:
                active = [t for t in await guild.active_threads() if t.is_private()]
            private = {t.id for t in active if t.parent_id == channel_id}
            async for thread in channel.archived_threads(private=True, limit=None):
                private.add(thread.id)
        except discord.HTTPException as exc:
            log.warning("Could not list the private threads of channel %s (%s); checking again at the next start",
                        channel_id, exc)  # fmt: skip
            continue
        gone = await service.thread_types_listed(guild.id, channel_id, private, PUBLIC_THREAD)
        if gone:
            log.info("Removed %d question(s) in private threads of channel %s", gone, channel_id)
        removed += gone
    return removed
