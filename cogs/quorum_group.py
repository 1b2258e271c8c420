"""/quorum: the administration group, shared by the cogs that add a subcommand to it (setup, web).

A group defined in one cog's class is bound to that cog, so it lives here instead: each cog builds
its subcommand from its own bound method and attaches it when loaded. Discord takes default
permissions from the top-level command only, so the group carries Manage Server; each subcommand
still checks at run time (server admins can override what Discord shows)."""

from __future__ import annotations

import discord
from discord import app_commands

NAME = "quorum"


def attach(tree: app_commands.CommandTree, command: app_commands.Command) -> None:
    group = tree.get_command(NAME)
    if not isinstance(group, app_commands.Group):
        group = app_commands.Group(
            name=NAME,
            description="Quorum administration",
            guild_only=True,
            default_permissions=discord.Permissions(manage_guild=True),
        )
        tree.add_command(group)
    group.add_command(command)


def detach(tree: app_commands.CommandTree, command: app_commands.Command) -> None:
    group = tree.get_command(NAME)
    if not isinstance(group, app_commands.Group):
        return
    group.remove_command(command.name)
    if not group.commands:
        tree.remove_command(NAME)
