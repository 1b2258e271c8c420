"""Mirrors questions and their posts: threads in the watched channel, and the messages in them."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.forum.service import ForumService
from cogs.convert import message_info, thread_info

log = logging.getLogger(__name__)


class Questions(commands.Cog):
    def __init__(self, service: ForumService) -> None:
        self.service = service

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        if await self.service.thread_created(thread_info(thread)):
            log.info("Question %s: %r", thread.id, thread.name)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None or not isinstance(message.channel, discord.Thread):
            return
        thread = message.channel
        if not self.service.is_watched(message.guild.id, thread.parent_id):
            return
        await self.service.message_created(message_info(message), thread_info(thread))


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Questions(bot.service))  # type: ignore[attr-defined]
