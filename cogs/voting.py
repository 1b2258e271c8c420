"""Votes are reactions: this cog turns reaction events into votes and carries out what the forum
asks in return (take a reaction off, tell the member privately)."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.forum.service import ForumService
from bot.forum.vote_service import ReactionEffect

log = logging.getLogger(__name__)


class Voting(commands.Cog):
    def __init__(self, bot: commands.Bot, service: ForumService) -> None:
        self.bot = bot
        self.votes = service.votes
        self._warned_forbidden: set[int] = set()

    # Raw events: reactions on messages outside discord.py's cache (every message older than the
    # bot's start) arrive only this way.
    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if payload.guild_id is None or payload.user_id == self.bot.user.id:  # type: ignore[union-attr]
            return
        is_bot = payload.member.bot if payload.member is not None else False
        effect = await self.votes.reaction_added(
            payload.guild_id, payload.message_id, payload.user_id, is_bot, str(payload.emoji)
        )
        if effect is not None:
            await self.carry_out(payload.channel_id, payload.message_id, payload.user_id, effect)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        if payload.guild_id is None or payload.user_id == self.bot.user.id:  # type: ignore[union-attr]
            return
        await self.votes.reaction_removed(payload.guild_id, payload.message_id, payload.user_id, str(payload.emoji))

    async def carry_out(self, channel_id: int, message_id: int, member_id: int, effect: ReactionEffect) -> None:
        message = self.bot.get_partial_messageable(channel_id).get_partial_message(message_id)
        for emoji, user_id in effect.remove:
            try:
                await message.remove_reaction(emoji, discord.Object(user_id))
            except discord.Forbidden:
                if channel_id not in self._warned_forbidden:
                    self._warned_forbidden.add(channel_id)
                    log.warning(
                        "Cannot remove reactions in channel %s: Quorum needs the Manage Messages permission "
                        "there so Discord shows each member's single vote.",
                        channel_id,
                    )
            except discord.NotFound:
                pass  # the message or the reaction is already gone
        if effect.tell:
            await self.tell(member_id, effect.tell)

    async def tell(self, user_id: int, text: str) -> None:
        """A direct message; members who closed their DMs simply don't get it."""
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.send(text, allowed_mentions=discord.AllowedMentions.none())
        except (discord.Forbidden, discord.NotFound):
            log.debug("Could not tell member %s: %s", user_id, text)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Voting(bot, bot.service))  # type: ignore[attr-defined]
