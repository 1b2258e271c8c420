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
    permissions = channel.permissions_for(member)
    return permissions.view_channel and permissions.read_message_history


def readable(interaction: discord.Interaction) -> Readable:
    """The channels of the interaction's guild whose questions its member may be shown."""
    guild, user = interaction.guild, interaction.user
    if guild is None or not isinstance(user, discord.Member):
        return Readable(frozenset())
    return Readable(frozenset(c.id for c in guild.channels if isinstance(c, QUESTION_CHANNELS) and _can_read(c, user)))


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
