"""Turning discord.py objects into the forum's plain descriptions (bot/forum/events.py)."""

from __future__ import annotations

import re

import discord

from bot.forum.asking import MAX_FREE_TAG, MAX_TAGS
from bot.forum.events import MessageInfo, ThreadInfo
from bot.forum.models import Attachment

# The starter of an /ask question is the bot's message; its embed names the asker by a profile
# link, which is how the question's author is known again after a restart or in catch-up.
ASKER_URL = "https://discord.com/users/{}"
ASKER_URL_RE = re.compile(r"^https://discord\.com/users/(\d+)$")
TAGS_FIELD = "Tags"

# What enters the forum is capped at Discord's own limits, so a gateway that is not Discord's (or a
# bug) cannot make the store keep megabytes per message: Discord allows 2000 characters in a message,
# 4000 for Nitro members; 100 in a thread name; 20 in a tag name and 5 tags on a post; 10 attachments.
MAX_CONTENT = 4000  # also an /ask starter's body (its embed's description; /ask takes 4000)
MAX_THREAD_NAME = 100
MAX_TAG_NAME = MAX_FREE_TAG  # 20, as Discord's forum tags
MAX_ATTACHMENTS = 10
MAX_FILENAME = 1024
MAX_URL = 2048
MAX_CONTENT_TYPE = 255  # a media type's type and subtype are at most 127 characters each (RFC 6838)


def _own_id(guild: discord.Guild | None) -> int | None:
    return guild.me.id if guild is not None and guild.me is not None else None


def thread_info(thread: discord.Thread, starter: discord.Message | None = None) -> ThreadInfo:
    """`starter`, when known, supplies the tags of an /ask question in a text channel, whose
    threads have no tags of their own: the starter's embed lists them."""
    owner = thread.owner_id
    tags = tag_names(thread.applied_tags)
    if owner is not None and owner == _own_id(thread.guild):
        owner = None  # an /ask question: the asker is named by its starter, not the thread
        if not tags and starter is not None:
            tags = asked_tags(starter)
    return ThreadInfo(
        id=thread.id,
        guild_id=thread.guild.id,
        parent_id=thread.parent_id,
        name=thread.name[:MAX_THREAD_NAME],
        owner_id=owner,
        # Threads made before 2022-01-09 carry no creation time; the snowflake always does.
        created_at=thread.created_at or discord.utils.snowflake_time(thread.id),
        tags=tags,
        thread_type=thread.type.value,
    )


def message_info(message: discord.Message) -> MessageInfo:
    if message.author.id == _own_id(message.guild) and message.id == message.channel.id:
        asked = asked_starter_info(message, thread_id=message.channel.id)
        if asked is not None:
            return asked
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
        content=message.content[:MAX_CONTENT],
        created_at=message.created_at,
        author_is_bot=message.author.bot,
        is_system=message.is_system(),
        reply_to_id=reply_to,
        attachments=tuple(_attachment(a) for a in message.attachments[:MAX_ATTACHMENTS]),
    )


def asked_starter_info(message: discord.Message, *, thread_id: int) -> MessageInfo | None:
    """The bot's starter of an /ask question as the asker's post, or None if it is not one."""
    embed = message.embeds[0] if message.embeds else None
    match = ASKER_URL_RE.match(embed.author.url or "") if embed is not None else None
    if embed is None or match is None:
        return None
    return MessageInfo(
        id=message.id,
        guild_id=message.guild.id if message.guild else 0,
        channel_id=thread_id,
        author_id=int(match.group(1)),
        content=(embed.description or "")[:MAX_CONTENT],
        created_at=message.created_at,
    )


def asked_tags(starter: discord.Message) -> tuple[str, ...]:
    embed = starter.embeds[0] if starter.embeds else None
    field = next((f for f in embed.fields if f.name == TAGS_FIELD), None) if embed else None
    if field is None:
        return ()
    return tuple(t.strip()[:MAX_TAG_NAME] for t in (field.value or "").split(",") if t.strip())[:MAX_TAGS]


def tag_names(tags: list[discord.ForumTag]) -> tuple[str, ...]:
    """A post's tags, capped like everything else that enters the forum."""
    return tuple(tag.name[:MAX_TAG_NAME] for tag in tags)[:MAX_TAGS]


def _attachment(a: discord.Attachment) -> Attachment:
    content_type = a.content_type[:MAX_CONTENT_TYPE] if a.content_type else None
    return Attachment(id=a.id, filename=a.filename[:MAX_FILENAME], url=a.url[:MAX_URL], content_type=content_type,
                      size=a.size)  # fmt: skip
