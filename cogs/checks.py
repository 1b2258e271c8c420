"""Permission decorators that both shape what Discord shows (default_permissions) and enforce at
run time (a check), since server admins can override the former in Discord's settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands

T = TypeVar("T")


class NotPermitted(app_commands.CheckFailure):
    """Refusal with the sentence the member sees."""


def server_manager_only() -> Callable[[T], T]:
    """Setup is for members with Manage Server (administrators have it implicitly)."""

    def predicate(interaction: discord.Interaction) -> bool:
        if interaction.guild is None:
            raise NotPermitted("This command works in a server, not in direct messages.")
        if interaction.permissions.manage_guild:
            return True
        raise NotPermitted("Only members with the Manage Server permission can change Quorum's setup.")

    def decorator(func: T) -> T:
        func = app_commands.default_permissions(manage_guild=True)(func)
        return app_commands.check(predicate)(func)

    return decorator


def member_is_moderator(interaction: discord.Interaction, moderator_role_id: int | None) -> bool:
    """A moderator has the guild's moderator role or Manage Threads (see bot.forum.rules.is_moderator)."""
    from bot.forum.rules import is_moderator

    roles = [role.id for role in getattr(interaction.user, "roles", ())]
    return is_moderator(roles, moderator_role_id, manage_threads=interaction.permissions.manage_threads)


def moderator_only() -> Callable[[T], T]:
    """Moderation is for the moderator role or Manage Threads. Discord can only hide a command by
    permission, so it shows these to Manage Threads by default (a server admin can also allow the
    moderator role in Server Settings -> Integrations); the check here is what enforces the rule."""

    def predicate(interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            raise NotPermitted("This command works in a server, not in direct messages.")
        service = getattr(interaction.client, "service", None)
        role_id = service.settings(interaction.guild_id).moderator_role_id if service is not None else None
        if member_is_moderator(interaction, role_id):
            return True
        raise NotPermitted("Only moderators (the moderator role or Manage Threads) can use this command.")

    def decorator(func: T) -> T:
        func = app_commands.default_permissions(manage_threads=True)(func)
        return app_commands.check(predicate)(func)

    return decorator
