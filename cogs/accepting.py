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

from bot.forum.acceptance import SOLVED_TAG
from bot.forum.errors import ForumError, NotFound
from bot.forum.models import Post, Question
from bot.forum.service import ForumService
from cogs.checks import member_is_moderator
from cogs.links import parse_ref

log = logging.getLogger(__name__)


class Accepting(commands.Cog):
    def __init__(self, bot: commands.Bot, service: ForumService) -> None:
        self.bot = bot
        self.service = service
        self.accept_menu = app_commands.ContextMenu(name="Accept answer", callback=self.accept_from_menu)
        self.accept_menu.guild_only = True

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
        await self._accept(interaction, post.question_id if post else ref.channel_id, ref.id)

    async def accept_from_menu(self, interaction: discord.Interaction, message: discord.Message) -> None:
        await self._accept(interaction, message.channel.id, message.id)

    @app_commands.command(name="unaccept", description="Take back the accepted answer of this question")
    @app_commands.guild_only()
    async def unaccept(self, interaction: discord.Interaction) -> None:
        thread = interaction.channel
        if not isinstance(thread, discord.Thread):
            raise NotFound("Use /unaccept inside the question's thread.")
        await interaction.response.defer(ephemeral=True, thinking=True)

        async def in_discord(question: Question) -> None:
            await self._pin(thread, question.accepted_answer_id, pin=False)

        moderator = await member_is_moderator(interaction, thread.parent_id)
        await self.service.acceptance.unaccept(thread.id, interaction.user.id, moderator, in_discord)
        await mark_solved(thread, False)
        await interaction.followup.send("The answer is no longer accepted.", ephemeral=True)

    async def _accept(self, interaction: discord.Interaction, thread_id: int | None, answer_id: int | None) -> None:
        await accept_answer(interaction, thread_id, answer_id)

    async def _pin(self, thread: discord.Thread, message_id: int | None, *, pin: bool) -> None:
        await pin_answer(thread, message_id, pin=pin)


_warned_forbidden: set[int] = set()  # channels whose missing Pin Messages was logged


async def accept_answer(interaction: discord.Interaction, thread_id: int | None, answer_id: int | None) -> None:
    """/accept, "Accept answer" and a suggestion's Accept button: the same rights (the asker, or a
    moderator of the question's channel), the same pin, the same reputation. Answers the interaction
    privately; ForumError when refused."""
    thread = interaction.guild.get_thread(thread_id) if interaction.guild and thread_id else None
    if thread is None or answer_id is None:
        raise NotFound("That message is not an answer in a question thread.")
    # Pinning is a round trip or two: defer, Discord's 3 s deadline must not bite.
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)

    async def in_discord(question: Question, post: Post) -> None:
        previous = question.accepted_answer_id if question.accepted_answer_id not in (None, post.id) else None
        await pin_answer(thread, previous, pin=False)
        try:
            await pin_answer(thread, post.id, pin=True)
        except Exception:
            # Put the previous accepted answer back: a refused /accept must leave the question
            # as it was, not without an accepted answer (tests/reliability/test_discord_errors.py).
            await _restore_pin(thread, previous)
            raise

    service: ForumService = interaction.client.service  # type: ignore[attr-defined]
    # The target question's channel decides, not the one /accept was typed in.
    moderator = await member_is_moderator(interaction, thread.parent_id)
    await service.acceptance.accept(thread.id, answer_id, interaction.user.id, moderator, in_discord)
    service.notices.nudge()  # the asker may hear of it
    await mark_solved(thread, True)
    link = f"https://discord.com/channels/{thread.guild.id}/{thread.id}/{answer_id}"
    await interaction.followup.send(f"Accepted: {link}", ephemeral=True)


async def pin_answer(thread: discord.Thread, message_id: int | None, *, pin: bool) -> None:
    """Pin or unpin, turning Discord's refusals into what the member needs to know."""
    if message_id is None:
        return
    message = thread.get_partial_message(message_id)
    try:
        if pin:
            await message.pin(reason="Accepted answer")
        else:
            await message.unpin(reason="No longer the accepted answer")
    except discord.Forbidden as exc:
        # Said once per channel in the log (the member hears it every time): an admin must act.
        channel_id = thread.parent_id or thread.id
        if channel_id not in _warned_forbidden:
            _warned_forbidden.add(channel_id)
            log.warning("Cannot pin in thread %s (channel %s): Quorum needs the Pin Messages permission there "
                        "to mark accepted answers.", thread.id, channel_id)  # fmt: skip
        raise ForumError(
            "I need the Pin Messages permission in this channel to mark accepted answers: a server admin can grant it."
        ) from exc
    except discord.NotFound as exc:
        if not pin:
            return  # the old accepted answer is gone from Discord: nothing left to unpin
        # Deleted in Discord before its deletion event reached the store: an expected race.
        raise ForumError("That answer no longer exists in Discord.") from exc
    except discord.HTTPException as exc:
        if exc.code == 50083 or thread.archived or thread.locked:
            raise ForumError("This thread is archived or locked: reopen it to change the accepted answer.") from exc
        if exc.code == 30003:
            raise ForumError("This thread has reached Discord's limit of 250 pins.") from exc
        raise


async def _restore_pin(thread: discord.Thread, message_id: int | None) -> None:
    """Best effort: the member already hears about the first failure; this one is only logged."""
    if message_id is None:
        return
    try:
        await thread.get_partial_message(message_id).pin(reason="Accepting another answer failed")
    except discord.HTTPException as exc:
        log.warning("Could not pin %s again in thread %s after a refused accept: %s", message_id, thread.id, exc)


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


async def mark_solved(thread: discord.Thread, solved: bool) -> None:
    """Apply or remove the forum's "Solved" tag, if it has one."""
    forum = thread.parent
    if not isinstance(forum, discord.ForumChannel):
        return
    tag = next((t for t in forum.available_tags if t.name.casefold() == SOLVED_TAG), None)
    if tag is None or (tag in thread.applied_tags) == solved:
        return
    tags = [t for t in thread.applied_tags if t.id != tag.id] + ([tag] if solved else [])
    try:
        await thread.edit(applied_tags=tags[:5], reason="Accepted answer changed")
    except discord.HTTPException as exc:
        log.warning("Cannot update the Solved tag of thread %s: %s", thread.id, exc)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Accepting(bot, bot.service))  # type: ignore[attr-defined]
