"""/quorum web channel:… publish:…: a Manage Server member publishes a questions channel on the web,
or takes its pages down. The rules and the reply's words are in bot/forum/publishing.py."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.errors import BadInput
from bot.forum.publishing import publish_reply
from bot.forum.service import ForumService
from cogs import quorum_group
from cogs.checks import server_manager_only
from cogs.visibility import QUESTION_CHANNELS, everyone_can_read


class Publishing(commands.Cog):
    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.service = service
        self.command = app_commands.Command(
            name="web",
            description="Publish a questions channel on the public web pages, or take its pages down",
            callback=self.web,
        )

    async def cog_load(self) -> None:
        quorum_group.attach(self.bot.tree, self.command)  # /quorum web

    async def cog_unload(self) -> None:
        quorum_group.detach(self.bot.tree, self.command)

    @app_commands.describe(
        channel="The forum or text channel whose questions get public web pages",
        publish="True: give its questions public pages; False: take them down at once",
    )
    @server_manager_only()
    async def web(
        self,
        interaction: discord.Interaction,
        channel: discord.ForumChannel | discord.TextChannel,
        publish: bool,
    ) -> None:
        guild, member = interaction.guild, interaction.user
        assert guild is not None
        # Discord offers only this server's channels; the cache is where its overwrites are known.
        cached = guild.get_channel(channel.id)
        if not isinstance(cached, QUESTION_CHANNELS):
            raise BadInput("Choose a forum or text channel of this server.")
        outcome = await self.service.publishing.publish(
            guild.id,
            cached.id,
            publish,
            actor_id=member.id,
            manages_server=isinstance(member, discord.Member) and member.guild_permissions.manage_guild,
            readable=everyone_can_read(cached),
        )
        await interaction.response.send_message(
            publish_reply(outcome, cached.mention, self.bot.settings.public_url),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )


async def setup(bot: QuorumBot) -> None:
    await bot.add_cog(Publishing(bot, bot.service))
