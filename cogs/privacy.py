"""/privacy [web:on|off]: a member's choice for this server's public web pages (bot/forum/web_privacy.py)."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.service import ForumService
from bot.forum.web_privacy import describe_choice


class Privacy(commands.Cog):
    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.service = service

    @app_commands.command(
        name="privacy",
        description="How you appear on this server's public web pages; web:off hides your name and your text",
    )
    @app_commands.describe(
        web="on: your posts show under your name on the web; off: under an anonymous name, their text hidden"
    )
    @app_commands.guild_only()
    async def privacy(self, interaction: discord.Interaction, web: Literal["on", "off"] | None = None) -> None:
        assert interaction.guild_id is not None
        privacy = self.service.web_privacy
        if web is None:
            choice = await privacy.choice(interaction.guild_id, interaction.user.id)
        else:
            choice = await privacy.choose(interaction.guild_id, interaction.user.id, hidden=web == "off")
        await interaction.response.send_message(
            describe_choice(choice, changed=web is not None),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )


async def setup(bot: QuorumBot) -> None:
    await bot.add_cog(Privacy(bot, bot.service))
