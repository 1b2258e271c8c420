"""Mirrors questions and their posts: threads in the watched channel, and the messages in them,
with their edits, renames and deletions."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.service import ForumService
from cogs.convert import message_info, thread_info

log = logging.getLogger(__name__)


class Questions(commands.Cog):
    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.service = service
        self._warned_no_content = False
        # Messages whose creation is left to their first edit's handler (see on_message).
        self._created_at_edit: set[int] = set()

    def _watched_thread(self, channel: object) -> discord.Thread | None:
        if isinstance(channel, discord.Thread) and self.service.is_watched(channel.guild.id, channel.parent_id):
            return channel
        return None

    def _content_readable(self) -> bool:
        """Without the MESSAGE_CONTENT intent every answer would be mirrored empty: mirror nothing."""
        if getattr(self.bot, "message_content_granted", True):
            return True
        if not self._warned_no_content:
            self._warned_no_content = True
            log.warning("Not mirroring messages: the MESSAGE_CONTENT intent is not granted (see /quorum setup).")
        return False

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        # A thread /ask made is recorded from its starter, which names the asker (see convert.py).
        if await self.service.thread_created(thread_info(thread)):
            log.info("Question %s: %r", thread.id, thread.name)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        thread = self._watched_thread(message.channel)
        if thread is None or not self._content_readable():
            return
        if message.edited_at is not None:
            # discord.py updates its cached message in place when an edit arrives before this
            # handler ran (a burst, a RESUME replay): the original text is gone from `message`, but
            # the edit's raw event still holds it (cached_message), so creation happens there and
            # the first revision is not lost (tests/reliability/test_gateway.py).
            self._created_at_edit.add(message.id)
            return
        starter = message if message.id == thread.id else None
        await self.service.message_created(message_info(message), thread_info(thread, starter))

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        message = payload.message
        thread = self._watched_thread(message.channel)
        # Embeds resolving or a pin toggling also send MESSAGE_UPDATE; only a text edit has edited_at.
        if thread is None or message.edited_at is None or not self._content_readable():
            return
        original = payload.cached_message
        if original is not None and original.edited_at is None and original.id in self._created_at_edit:
            self._created_at_edit.discard(original.id)
            starter = original if original.id == thread.id else None
            await self.service.message_created(message_info(original), thread_info(thread, starter))
        await self.service.message_edited(message_info(message), thread_info(thread), message.edited_at)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self.service.messages_deleted(payload.channel_id, [payload.message_id])

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        await self.service.messages_deleted(payload.channel_id, sorted(payload.message_ids))

    @commands.Cog.listener()
    async def on_raw_thread_update(self, payload: discord.RawThreadUpdateEvent) -> None:
        if payload.thread_type is discord.ChannelType.private_thread:
            # Discord does not change a thread's type; a question stored as public before this
            # version knew types goes as soon as any update shows it private.
            await self.service.private_thread_seen(payload.thread_id)
            return
        name = payload.data.get("name")
        if name is not None and await self.service.question(payload.thread_id) is not None:
            await self.service.thread_renamed(payload.thread_id, name)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        await self.service.thread_deleted(payload.thread_id)


async def setup(bot: QuorumBot) -> None:
    await bot.add_cog(Questions(bot, bot.service))
