"""Which guilds the bot is in, for the retention of a departed guild's data (bot/forum/retention.py).

discord.py dispatches on_guild_remove only when the bot left the guild (kicked, or the guild
deleted): a GUILD_DELETE that marks an outage (`unavailable: true`) becomes on_guild_unavailable
instead, which is no departure. Guilds present at start are settled by the periodic run (bot/app.py).
"""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.client import QuorumBot

log = logging.getLogger(__name__)


class GuildPresence(commands.Cog):
    def __init__(self, bot: QuorumBot) -> None:
        self.retention = bot.service.retention

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.retention.guild_left(guild.id)
        log.info("Removed from guild %s: its data is deleted after %d day(s) unless Quorum is added back",
                 guild.id, self.retention.periods.guild_days)  # fmt: skip

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._present(guild)

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self._present(guild)  # the bot is in it: a departure recorded for it is stale

    async def _present(self, guild: discord.Guild) -> None:
        if await self.retention.guilds_present([guild.id]):
            log.info("Back in guild %s: its data is kept", guild.id)


async def setup(bot: QuorumBot) -> None:
    await bot.add_cog(GuildPresence(bot))
