"""One error path for every application command."""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.forum.errors import ForumError

log = logging.getLogger(__name__)


class QuorumTree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(cause, ForumError):
            text = cause.message
        elif isinstance(cause, app_commands.CheckFailure):
            # Permission checks word their own refusal (see cogs/checks.py).
            text = str(cause) or "You are not allowed to use this command."
        else:
            reference = secrets.token_hex(4)
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error("Command /%s failed (reference %s)", command, reference, exc_info=cause)
            text = f"Something broke on our side. The moderators can look it up with reference `{reference}`."
        await reply_privately(interaction, text)


async def reply_privately(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral answer, whether or not the interaction was already answered or deferred."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
        else:
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
    except discord.HTTPException:
        # The interaction may have expired (3 s / 15 min); there is nobody left to tell.
        log.warning("Could not deliver an error message for interaction %s", interaction.id)
