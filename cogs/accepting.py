"""Accepted answers: a pin in a question thread accepts the answer, `/accept`, `/unaccept` and the
"Accept answer" message command do the same through the bot's own pin, and the forum's "Solved" tag
follows."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.errors import NotFound
from bot.forum.models import Question
from bot.forum.service import ForumService
from cogs.accept_actions import accept_answer, mark_solved, pin_answer
from cogs.checks import member_is_moderator
from cogs.links import parse_ref
from cogs.stale_buttons import retire_buttons

log = logging.getLogger(__name__)


class Accepting(commands.Cog):
    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.service = service
        self.accept_menu = app_commands.ContextMenu(name="Accept answer", callback=self.accept_from_menu)
        self.accept_menu.guild_only = True
        # Context menus have no description on Discord; /help shows this one (cogs/help.py).
        self.accept_menu.extras["help"] = "accept this answer to your question (moderators: any question)"

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.accept_menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.accept_menu.name, type=self.accept_menu.type)

    # ----- Discord's own pins ------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_guild_channel_pins_update(self, channel: discord.abc.GuildChannel | discord.Thread,
                                           _last_pin: datetime | None) -> None:  # fmt: skip
        if not isinstance(channel, discord.Thread) or not self.service.is_watched(channel.guild.id, channel.parent_id):
            return
        await self.reconcile(channel)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Discord's "X pinned a message" notice is the only place that says who pinned."""
        notice = pin_notice(message, self.bot.user.id)  # type: ignore[union-attr]
        if notice is None or notice[1] is None or not isinstance(message.channel, discord.Thread):
            return  # the bot pins on behalf of /accept, whose member is already known
        await self.service.acceptance.pinned_by(message.channel.id, *notice)  # type: ignore[arg-type]

    async def reconcile(self, thread: discord.Thread) -> None:
        await reconcile_pins(self.service, thread, self.bot.user.id)  # type: ignore[union-attr]

    # ----- commands ----------------------------------------------------------------------------
    @app_commands.command(name="accept", description="Accept an answer to your question (moderators: any question)")
    @app_commands.describe(message="Link to (or id of) the answer, in its question's thread")
    @app_commands.guild_only()
    async def accept(self, interaction: discord.Interaction, message: str) -> None:
        ref = parse_ref(message)
        if ref.guild_id is not None and ref.guild_id != interaction.guild_id:
            raise NotFound("That message is in another server.")
        post = await self.service.post(ref.id)
        await accept_answer(self.service, interaction, post.question_id if post else ref.channel_id, ref.id)

    async def accept_from_menu(self, interaction: discord.Interaction, message: discord.Message) -> None:
        await accept_answer(self.service, interaction, message.channel.id, message.id)

    @app_commands.command(name="unaccept", description="Take back the accepted answer of this question")
    @app_commands.guild_only()
    async def unaccept(self, interaction: discord.Interaction) -> None:
        thread = interaction.channel
        if not isinstance(thread, discord.Thread):
            raise NotFound("Use /unaccept inside the question's thread.")
        await interaction.response.defer(ephemeral=True, thinking=True)

        async def in_discord(question: Question) -> None:
            await pin_answer(thread, question.accepted_answer_id, pin=False)

        moderator = await member_is_moderator(interaction, thread.parent_id)
        await self.service.acceptance.unaccept(thread.id, interaction.user.id, moderator, in_discord)
        await mark_solved(thread, False)
        await interaction.followup.send("The answer is no longer accepted.", ephemeral=True)


def pin_notice(message: discord.Message, bot_id: int) -> tuple[int, int | None] | None:
    """(pinned message, pinner) from Discord's "X pinned a message" notice, whose author is the
    pinner; the pinner is None when the bot pinned (for a command, recorded with its member)."""
    if message.type is not discord.MessageType.pins_add or message.reference is None:
        return None
    if message.reference.message_id is None:
        return None
    return message.reference.message_id, None if message.author.id == bot_id else message.author.id


async def reconcile_pins(service: ForumService, thread: discord.Thread, bot_id: int,
                         notices: Mapping[int, int | None] | None = None) -> None:  # fmt: skip
    """Read the pins list (the pins event names no message) and make acceptance follow it.
    `notices`: who pinned what, from the "pinned a message" notices catch-up read in the thread's
    history (pins made while Quorum was away)."""
    try:
        pins = [(m.id, m.pinned_at) async for m in thread.pins(limit=None)]
    except discord.HTTPException as exc:
        log.warning("Cannot read the pins of thread %s: %s", thread.id, exc)
        return
    before = await service.question(thread.id)
    plan = await service.acceptance.pins_changed(thread.id, pins, away_notices=notices)
    if plan is None:
        return
    service.notices.nudge()  # an answer accepted by a pin: its asker may hear of it
    for message_id in plan.unpin:  # one accepted answer: take older pinned answers down
        try:
            await thread.get_partial_message(message_id).unpin(reason="Another answer was accepted")
        except discord.HTTPException as exc:
            log.warning("Cannot unpin %s in thread %s: %s", message_id, thread.id, exc)
        else:
            await service.acceptance.unpinned_by_bot(thread.id, message_id, bot_id)
    await mark_solved(thread, plan.accepted_id is not None)
    if plan.accepted_id is not None and (before is None or before.accepted_answer_id != plan.accepted_id):
        await retire_buttons(service, thread, plan.accepted_id)  # newly accepted by a pin


async def setup(bot: QuorumBot) -> None:
    await bot.add_cog(Accepting(bot, bot.service))
