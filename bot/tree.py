"""One error path for every application command."""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.forum.errors import ForumError, StoreUnavailable

log = logging.getLogger(__name__)


class QuorumTree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        await report_error(interaction, cause)


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """The one error path for commands, modals and buttons: a ForumError or a refused check is told
    to the member as it is; anything else is logged with a reference the member can quote."""
    if isinstance(error, StoreUnavailable):
        # Not a bug: the database cannot be written now. Counted and logged once a minute, and the
        # thread the command was used in is caught up from Discord once writes work again.
        service = getattr(interaction.client, "service", None)
        if service is not None:
            thread = interaction.channel_id if isinstance(interaction.channel, discord.Thread) else None
            service.repair.failed(error.thread_id or thread, error)
        text = error.message
    elif isinstance(error, ForumError):
        text = error.message
    elif isinstance(error, app_commands.CheckFailure):
        # Permission checks word their own refusal (see cogs/checks.py).
        text = str(error) or "You are not allowed to use this command."
    elif isinstance(error, discord.DiscordServerError):
        # Discord failing (5xx left after discord.py's own retries) is no bug of ours: no traceback,
        # and the member can act on it. Commands change the store only after Discord agreed.
        log.warning("Discord failed during %s: %s %s", _what(interaction), error.status, error.text)
        text = f"Discord had a problem (error {error.status}) and this was not done: please try again in a moment."
    else:
        reference = secrets.token_hex(4)
        log.error("%s failed (reference %s)", _what(interaction), reference, exc_info=error)
        text = f"Something broke on our side. The moderators can look it up with reference `{reference}`."
    await reply_privately(interaction, text)


def _what(interaction: discord.Interaction) -> str:
    return interaction.command.qualified_name if interaction.command else f"interaction {interaction.type.name}"


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
