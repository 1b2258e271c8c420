"""Permission decorators that both shape what Discord shows (default_permissions) and enforce at
run time (a check), since server admins can override the former in Discord's settings.

Every right is decided where the thing lives, never by the channel a command was typed in: Discord
computes `interaction.permissions` for the invoking channel, so a member given Manage Threads by an
overwrite on #general would moderate every question from there. Moderator rights are read in the
question's own channel (threads have no overwrites of their own: they inherit their parent's), and
Manage Server from the member's guild-wide roles (it means nothing in a channel overwrite)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands

from bot.forum.rules import is_moderator
from cogs.client import forum_service

T = TypeVar("T")
Where = Callable[[discord.Interaction], int | None]


class NotPermitted(app_commands.CheckFailure):
    """Refusal with the sentence the member sees."""


def server_manager_only() -> Callable[[T], T]:
    """Setup is for members with Manage Server (administrators have it implicitly), from their roles."""

    def predicate(interaction: discord.Interaction) -> bool:
        if interaction.guild is None:
            raise NotPermitted("This command works in a server, not in direct messages.")
        member = interaction.user
        if isinstance(member, discord.Member) and member.guild_permissions.manage_guild:
            return True
        raise NotPermitted("Only members with the Manage Server permission can change Quorum's setup.")

    def decorator(func: T) -> T:
        func = app_commands.default_permissions(manage_guild=True)(func)
        return app_commands.check(predicate)(func)

    return decorator


async def question_channel(guild: discord.Guild, channel_id: int) -> discord.abc.GuildChannel | None:
    """The channel whose overwrites decide rights over a question: the forum or text channel it lives
    in (given a thread, its parent). From the cache, else fetched; None when Discord no longer has it."""
    channel = await _channel(guild, channel_id)
    if isinstance(channel, discord.Thread):  # a thread has no overwrites of its own
        channel = await _channel(guild, channel.parent_id)
    return channel if isinstance(channel, discord.abc.GuildChannel) else None


async def _channel(guild: discord.Guild, channel_id: int) -> discord.abc.GuildChannel | discord.Thread | None:
    channel = guild.get_channel_or_thread(channel_id)
    if channel is not None:
        return channel
    try:
        return await guild.fetch_channel(channel_id)
    except (discord.NotFound, discord.Forbidden):
        return None


async def member_is_moderator(interaction: discord.Interaction, channel_id: int | None) -> bool:
    """Whether the member moderates the questions of `channel_id` (a question's channel or thread):
    the guild's moderator role, or Manage Threads there (see bot.forum.rules.is_moderator). Without a
    channel (none configured, or deleted) no overwrite applies: the member's guild-wide roles decide."""
    member, guild = interaction.user, interaction.guild
    if not isinstance(member, discord.Member) or guild is None:
        return False
    role_id = forum_service(interaction).settings(guild.id).moderator_role_id
    channel = await question_channel(guild, channel_id) if channel_id else None
    permissions = channel.permissions_for(member) if channel is not None else member.guild_permissions
    return is_moderator([role.id for role in member.roles], role_id, manage_threads=permissions.manage_threads)


def current_thread(interaction: discord.Interaction) -> int | None:
    """Commands about "this question" act on the thread they are run in; run elsewhere, they are
    refused anyway, and only the questions channel's moderators learn why."""
    if isinstance(interaction.channel, discord.Thread):
        return interaction.channel.parent_id
    return questions_channel(interaction)


def questions_channel(interaction: discord.Interaction) -> int | None:
    """The guild's configured questions channel (None when setup has not named one)."""
    if interaction.guild_id is None:
        return None
    return forum_service(interaction).settings(interaction.guild_id).forum_channel_id


def moderator_only(where: Where = current_thread) -> Callable[[T], T]:
    """Moderation is for the moderator role or Manage Threads in the channel `where` names. Discord
    can only hide a command by permission, so it shows these to Manage Threads by default (a server
    admin can also allow the moderator role in Server Settings -> Integrations); the check here is
    what enforces the rule."""

    async def predicate(interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            raise NotPermitted("This command works in a server, not in direct messages.")
        if await member_is_moderator(interaction, where(interaction)):
            return True
        raise NotPermitted("Only moderators (the moderator role or Manage Threads) can use this command.")

    def decorator(func: T) -> T:
        func = app_commands.default_permissions(manage_threads=True)(func)
        return app_commands.check(predicate)(func)

    return decorator
