"""Posting an /ask question in Discord, shared by /ask and its form (cogs/asking.py) and by the
similar-questions step's "Post anyway" button (cogs/similar.py): the same channel, starter and record."""

from __future__ import annotations

import logging

import discord

from bot.forum.asking import Draft
from bot.forum.errors import ForumError, StoreUnavailable
from bot.forum.service import ForumService
from cogs.convert import ASKER_URL, TAGS_FIELD, asked_starter_info, thread_info

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()
ASKED_LATER = ("Your question is up: {url}. Quorum could not record it right now (storage unavailable); it will "
               "be recorded from the thread once storage is back, so there is no need to ask again.")  # fmt: skip

_warned_forbidden: set[int] = set()  # channels whose missing permission was logged


def questions_channel(
    service: ForumService, interaction: discord.Interaction
) -> discord.ForumChannel | discord.TextChannel:
    assert interaction.guild is not None
    channel = interaction.guild.get_channel(service.questions_channel_id(interaction.guild.id))
    if not isinstance(channel, discord.ForumChannel | discord.TextChannel):
        raise ForumError(
            "The questions channel no longer exists: an administrator can pick another with `/quorum setup`."
        )
    return channel


async def create_question(
    service: ForumService,
    interaction: discord.Interaction,
    channel: discord.ForumChannel | discord.TextChannel,
    draft: Draft,
) -> None:
    embed = starter_embed(interaction.user, draft)
    try:
        if isinstance(channel, discord.ForumChannel):
            tags = [t for t in channel.available_tags if t.name in draft.tags]
            created = await channel.create_thread(
                name=draft.title, embed=embed, applied_tags=tags, allowed_mentions=NO_PINGS
            )
            thread, starter = created.thread, created.message
        else:
            starter = await channel.send(embed=embed, allowed_mentions=NO_PINGS)
            thread = await starter.create_thread(name=draft.title)
    except discord.Forbidden as exc:
        # Named as Discord's settings name it; logged once per channel (every /ask would repeat
        # it), while each member is told every time (tests/reliability/test_discord_errors.py).
        forum = isinstance(channel, discord.ForumChannel)
        needed = "Create Posts" if forum else "Send Messages and Create Public Threads"
        if channel.id not in _warned_forbidden:
            _warned_forbidden.add(channel.id)
            log.warning("Cannot create a question thread in channel %s: Quorum needs the %s permission there (%s)",
                        channel.id, needed, exc.text)  # fmt: skip
        raise ForumError(
            f"I am not allowed to create threads in {channel.mention}: I need the {needed} permission there. "
            "An administrator can check my permissions with `/quorum setup`."
        ) from exc
    except discord.NotFound as exc:
        # The channel was deleted and the bot has not heard yet: the same answer as when it knows.
        raise ForumError(
            "The questions channel no longer exists: an administrator can pick another with `/quorum setup`."
        ) from exc
    # The gateway delivers the same starter; recording it here too means the question exists as
    # soon as the asker is told, and both paths are idempotent.
    info = asked_starter_info(starter, thread_id=thread.id)
    assert info is not None, "the starter embed always names the asker"
    try:
        await service.message_created(info, thread_info(thread, starter))
    except StoreUnavailable as exc:  # posted in Discord: the repair records it from the thread
        raise StoreUnavailable(exc.reason, ASKED_LATER.format(url=thread.jump_url), thread_id=thread.id) from exc
    await interaction.followup.send(f"Your question is up: {thread.jump_url}", ephemeral=True)


def available_tags(channel: discord.ForumChannel | discord.TextChannel) -> list[str] | None:
    return [t.name for t in channel.available_tags] if isinstance(channel, discord.ForumChannel) else None


def starter_embed(asker: discord.abc.User, draft: Draft) -> discord.Embed:
    embed = discord.Embed(title=draft.title, description=draft.body, colour=discord.Colour.blurple())
    embed.set_author(name=asker.display_name, url=ASKER_URL.format(asker.id), icon_url=asker.display_avatar.url)
    if draft.tags:
        embed.add_field(name=TAGS_FIELD, value=", ".join(draft.tags), inline=True)
    embed.add_field(name="Score", value="0", inline=True)
    embed.set_footer(text="Answer in this thread · reply to an answer to comment on it")
    return embed
