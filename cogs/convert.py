"""Turning discord.py objects into the forum's plain descriptions (bot/forum/events.py)."""

from __future__ import annotations

import discord

from bot.forum.events import MessageInfo, ThreadInfo
from bot.forum.models import Attachment


def thread_info(thread: discord.Thread) -> ThreadInfo:
    tags = tuple(tag.name for tag in thread.applied_tags)
    return ThreadInfo(
        id=thread.id,
        guild_id=thread.guild.id,
        parent_id=thread.parent_id,
        name=thread.name,
        owner_id=thread.owner_id,
        # Threads made before 2022-01-09 carry no creation time; the snowflake always does.
        created_at=thread.created_at or discord.utils.snowflake_time(thread.id),
        tags=tags,
    )


def message_info(message: discord.Message) -> MessageInfo:
    reference = message.reference
    reply_to = None
    if reference is not None and message.type is discord.MessageType.reply:
        if reference.channel_id == message.channel.id:
            reply_to = reference.message_id
    return MessageInfo(
        id=message.id,
        guild_id=message.guild.id if message.guild else 0,
        channel_id=message.channel.id,
        author_id=message.author.id,
        content=message.content,
        created_at=message.created_at,
        author_is_bot=message.author.bot,
        is_system=message.is_system(),
        reply_to_id=reply_to,
        attachments=tuple(
            Attachment(id=a.id, filename=a.filename, url=a.url, content_type=a.content_type, size=a.size)
            for a in message.attachments
        ),
    )
