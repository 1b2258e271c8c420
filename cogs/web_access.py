"""Keeps what @everyone may read in each channel the web cares about (published channels and the
questions channel) as Discord says it, so a channel made private stops being public at once.

Recorded when a guild becomes available (start-up, or after an outage), and again on every change
that can move it: the channel's overwrites (CHANNEL_UPDATE), a category's (its synced channels), the
@everyone role's permissions, a channel created or deleted. A channel published by `quorum publish`
while the bot ran has no readability yet: it is looked at within a second (`_watch_unchecked`).
"""

from __future__ import annotations

import asyncio
import logging

import discord
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.service import ForumService
from cogs.visibility import QUESTION_CHANNELS, everyone_can_read

log = logging.getLogger(__name__)

UNCHECKED_EVERY = 1.0  # seconds between looks for channels `quorum publish` published


class WebAccess(commands.Cog):
    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.service = service
        self._task: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self._task = asyncio.create_task(self._watch_unchecked(), name="quorum-web-access")

    async def cog_unload(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _questions_channel(self, guild_id: int) -> int | None:
        return self.service.settings(guild_id).forum_channel_id

    async def record(self, guild: discord.Guild, channel_id: int) -> bool:
        channel = guild.get_channel(channel_id)  # None: deleted, or never a channel of this guild
        readable = isinstance(channel, QUESTION_CHANNELS) and everyone_can_read(channel)
        return await self.service.publishing.record_readable(guild.id, channel_id, readable)

    async def record_guild(self, guild: discord.Guild) -> None:
        for channel_id in sorted(await self.service.publishing.tracked(guild.id, self._questions_channel(guild.id))):
            await self.record(guild, channel_id)

    async def _record_if_tracked(self, channel: discord.abc.GuildChannel) -> None:
        publishing, guild = self.service.publishing, channel.guild
        if await publishing.is_tracked(guild.id, channel.id, self._questions_channel(guild.id)):
            await self.record(guild, channel.id)

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.record_guild(guild)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.record_guild(guild)

    @commands.Cog.listener()
    async def on_guild_channel_update(self, before: discord.abc.GuildChannel, after: discord.abc.GuildChannel) -> None:
        if isinstance(after, discord.CategoryChannel):  # channels synced with it may have changed too
            await self.record_guild(after.guild)
        else:  # rare enough to look every time: overwrites, a move to another category, a sync
            await self._record_if_tracked(after)

    @commands.Cog.listener()
    async def on_guild_channel_create(self, channel: discord.abc.GuildChannel) -> None:
        await self._record_if_tracked(channel)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self._record_if_tracked(channel)  # gone from the cache already: recorded unreadable

    @commands.Cog.listener()
    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        if after.is_default() and before.permissions != after.permissions:
            await self.record_guild(after.guild)

    async def _watch_unchecked(self) -> None:
        await self.bot.wait_until_ready()
        while not self.bot.is_closed():
            try:
                for channel in await self.service.publishing.unchecked():
                    guild = self.bot.get_guild(channel.guild_id)
                    if guild is not None and not guild.unavailable:  # another bot's guild stays unchecked
                        await self.record(guild, channel.channel_id)
            except Exception as exc:  # the store unavailable for a moment: look again later
                log.debug("Looking at newly published channels failed: %s", exc)
            await asyncio.sleep(UNCHECKED_EVERY)


async def setup(bot: QuorumBot) -> None:
    await bot.add_cog(WebAccess(bot, bot.service))
