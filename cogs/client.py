"""The QuorumBot a cog runs in, typed. bot/client.py loads every cog into a QuorumBot, so an
interaction's client is one: these accessors check that once and hand back its service with its type,
instead of each cog reaching for an attribute plain discord.py clients do not have."""

from __future__ import annotations

import discord

from bot.client import QuorumBot
from bot.forum.service import ForumService


def quorum_bot(client: discord.Client) -> QuorumBot:
    if not isinstance(client, QuorumBot):
        raise TypeError(f"Quorum's cogs run in a QuorumBot, not in a {type(client).__name__}")
    return client


def forum_service(interaction: discord.Interaction) -> ForumService:
    """The forum's service, for buttons and checks that get only the interaction."""
    return quorum_bot(interaction.client).service
