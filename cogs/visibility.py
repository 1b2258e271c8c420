"""What a member may be shown, decided from Discord's cache: the channels whose threads they can
read (View Channel and Read Message History, after roles and permission overwrites). The forum's
reads take the answer as data (bot/forum/visibility.py) and filter inside their queries."""

from __future__ import annotations

import discord

from bot.forum.models import Question
from bot.forum.visibility import Readable

# Where question threads live: text channels (announcement channels among them) and forums (media
# channels among them).
QUESTION_CHANNELS = (discord.TextChannel, discord.ForumChannel)


def _can_read(channel: discord.abc.GuildChannel, member: discord.Member) -> bool:
    return _reads(channel.permissions_for(member))


def _reads(permissions: discord.Permissions) -> bool:
    return permissions.view_channel and permissions.read_message_history


def readable(interaction: discord.Interaction) -> Readable:
    """The channels of the interaction's guild whose questions its member may be shown."""
    guild, user = interaction.guild, interaction.user
    if guild is None or not isinstance(user, discord.Member):
        return Readable(frozenset())
    return readable_by(guild, user)


def readable_by(guild: discord.Guild, member: discord.Member) -> Readable:
    """The channels of the guild whose questions the member may be shown (a digest of followed tags)."""
    channels = (c for c in guild.channels if isinstance(c, QUESTION_CHANNELS))
    return Readable(frozenset(c.id for c in channels if _can_read(c, member)))


def may_read_question(interaction: discord.Interaction, question: Question) -> bool:
    """Whether the member may be shown this question: one of this server's, in a channel they can
    read that Discord still has, and not in a thread Discord shows as private (those are never
    questions; one stored by an older version waits for its removal at start-up)."""
    guild, user = interaction.guild, interaction.user
    if guild is None or question.guild_id != guild.id or not isinstance(user, discord.Member):
        return False
    channel = guild.get_channel(question.channel_id)
    if channel is None or not _can_read(channel, user):
        return False
    thread = guild.get_thread(question.id)
    return thread is None or not thread.is_private()


def readable_here(interaction: discord.Interaction) -> Readable:
    """For a page posted in the channel for everyone (`public`): of the member's readable channels,
    those everybody reading the channel the command runs in can read too. Decided from Discord's
    cache without walking every member: the command's own channel (or the thread's parent, whose
    readers include the thread's), and channels @everyone can read whose permission overwrites deny
    reading to no role or member that can read here. A member denied by an overwrite, or holding a
    role that is, keeps the channel's questions out of a public page in a channel they read."""
    own = readable(interaction)
    guild, here = interaction.guild, interaction.channel
    if isinstance(here, discord.Thread):
        here = here.parent
    if guild is None or not isinstance(here, discord.abc.GuildChannel):
        return Readable(frozenset())
    shared = {c for c in own.channel_ids if c == here.id or _shared_with(guild.get_channel(c), here)}
    return Readable(frozenset(shared))


def readable_by_readers_of(here: discord.abc.GuildChannel) -> Readable:
    """For a message the bot posts in `here` (or a thread of it), with no member asking: the channel
    itself and the channels everybody reading it can read too (as readable_here decides them)."""
    guild = here.guild
    return Readable(frozenset(c.id for c in guild.channels if isinstance(c, QUESTION_CHANNELS)
                              and (c.id == here.id or _shared_with(c, here))))  # fmt: skip


def _shared_with(channel: discord.abc.GuildChannel | None, here: discord.abc.GuildChannel) -> bool:
    if channel is None or not _reads(channel.permissions_for(channel.guild.default_role)):
        return False
    for target, overwrite in channel.overwrites.items():
        if overwrite.view_channel is not False and overwrite.read_message_history is not False:
            continue
        if not isinstance(target, discord.Role | discord.Member):
            return False  # a member Discord's cache does not hold: assume they read here
        if target != channel.guild.default_role and _reads(here.permissions_for(target)):
            return False
    return True


def everyone_can_read(channel: discord.abc.GuildChannel) -> bool:
    """Whether @everyone may view the channel and read its history: what the public web requires."""
    return _reads(channel.permissions_for(channel.guild.default_role))
