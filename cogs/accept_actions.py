"""Accepting an answer in Discord, shared by /accept, the "Accept answer" menu (cogs/accepting.py)
and the nudge's answer picker (cogs/nudges.py): the same rules, the same pins, the same reputation."""

from __future__ import annotations

import logging

import discord

from bot.forum.acceptance import SOLVED_TAG
from bot.forum.errors import ForumError, NotFound
from bot.forum.models import Post, Question
from bot.forum.service import ForumService
from cogs.checks import member_is_moderator
from cogs.stale_buttons import retire_buttons

log = logging.getLogger(__name__)

_warned_forbidden: set[int] = set()  # channels whose missing Pin Messages was logged


async def accept_answer(service: ForumService, interaction: discord.Interaction, thread_id: int | None,
                        answer_id: int | None) -> None:  # fmt: skip
    """Accept `answer_id` in the question thread `thread_id` for the interaction's member, and tell
    them privately. The bot pins it; a refusal (rules or Discord) leaves everything as it was."""
    thread = await _question_thread(service, interaction.guild, thread_id)
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
            # Put the previous accepted answer back: a refused accept must leave the question as it
            # was, not without an accepted answer (tests/reliability/test_discord_errors.py).
            await _restore_pin(thread, previous)
            raise

    # The target question's channel decides, not the one the command was typed in.
    moderator = await member_is_moderator(interaction, thread.parent_id)
    await service.acceptance.accept(thread.id, answer_id, interaction.user.id, moderator, in_discord)
    service.notices.nudge()  # the asker may hear of it
    await mark_solved(thread, True)
    # The nudge's and suggestions' buttons go (never raises).
    await retire_buttons(service, thread, answer_id, interaction.message.id if interaction.message else None)
    link = f"https://discord.com/channels/{thread.guild.id}/{thread.id}/{answer_id}"
    await interaction.followup.send(f"Accepted: {link}", ephemeral=True)


async def _question_thread(service: ForumService, guild: discord.Guild | None,
                           thread_id: int | None) -> discord.Thread | None:  # fmt: skip
    """The question's thread: from the cache, or (an archived thread is not cached) from Discord when
    it is a question this server's store knows."""
    if guild is None or thread_id is None:
        return None
    thread = guild.get_thread(thread_id)
    if thread is not None:
        return thread
    question = await service.question(thread_id)
    if question is None or question.guild_id != guild.id:
        return None
    try:
        fetched = await guild.fetch_channel(thread_id)
    except (discord.NotFound, discord.Forbidden, discord.InvalidData):
        return None
    return fetched if isinstance(fetched, discord.Thread) else None


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
