"""Votes are reactions: this cog turns reaction events into votes and carries out what the forum
asks in return (take a reaction off, tell the member privately). `/vote` casts the same votes
without a reaction, for archived threads, where Discord refuses reactions."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands
from discord.message import convert_emoji_reaction

from bot.client import QuorumBot
from bot.forum.errors import NotFound
from bot.forum.models import Post, PostKind, Question
from bot.forum.service import ForumService
from bot.forum.vote_service import NOT_A_POST, DirectVote, ReactionEffect
from bot.forum.voting import VoteResult
from cogs.links import parse_ref
from cogs.reactions import take_off
from cogs.render import post_url

NO_PINGS = discord.AllowedMentions.none()
DIRECTIONS = {"up": 1, "down": -1, "clear": 0}

log = logging.getLogger(__name__)


class Voting(commands.Cog):
    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.service = service
        self.votes = service.votes

    # Raw events: reactions on messages outside discord.py's cache (every message older than the
    # bot's start) arrive only this way.
    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if payload.guild_id is None or payload.user_id == self.bot.user.id:  # type: ignore[union-attr]
            return
        is_bot = payload.member.bot if payload.member is not None else False
        effect = await self.votes.reaction_added(
            payload.guild_id, payload.channel_id, payload.message_id, payload.user_id, is_bot, str(payload.emoji)
        )
        if effect is not None and (effect.remove or effect.tell):  # most votes need nothing from Discord
            await self.carry_out(payload.channel_id, payload.message_id, payload.user_id, effect)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        if payload.guild_id is None or payload.user_id == self.bot.user.id:  # type: ignore[union-attr]
            return
        await self.votes.reaction_removed(
            payload.guild_id, payload.channel_id, payload.message_id, payload.user_id, str(payload.emoji)
        )

    async def carry_out(self, channel_id: int, message_id: int, member_id: int, effect: ReactionEffect) -> None:
        if effect.confirm is not None and not await self.holds(channel_id, message_id, member_id, effect.confirm):
            await self.votes.undo_stale_switch(message_id, member_id, effect)
            return
        removed = await take_off(self.bot, channel_id, message_id, effect.remove) == set(effect.remove)
        if removed and effect.confirm is not None:
            # A switch recorded the old reaction's removal as owed (db/votes.py); it is done.
            await self.votes.unreaction_done(message_id, member_id)
        if effect.tell:
            await self.tell(member_id, effect.tell)

    async def holds(self, channel_id: int, message_id: int, member_id: int, emoji: str) -> bool:
        """Whether the member holds this reaction now: one page of one user, starting at them. When
        Discord can't say (no access, message gone), assume the event is current."""
        try:
            page = await self.bot.http.get_reaction_users(
                channel_id, message_id, convert_emoji_reaction(emoji), 1, after=member_id - 1
            )
        except discord.HTTPException:
            return True
        return bool(page) and int(page[0]["id"]) == member_id

    async def tell(self, user_id: int, text: str) -> None:
        """A direct message; members who closed their DMs simply don't get it."""
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.send(text, allowed_mentions=discord.AllowedMentions.none())
        except (discord.Forbidden, discord.NotFound):
            log.debug("Could not tell member %s: %s", user_id, text)

    @app_commands.command(name="vote", description="Vote on a post without a reaction (works in archived threads)")
    @app_commands.describe(
        message="A link to the post (right-click it -> Copy Message Link), or its id",
        direction="up, down, or clear to take your vote back",
    )
    @app_commands.choices(direction=[app_commands.Choice(name=n, value=n) for n in DIRECTIONS])
    @app_commands.guild_only()
    async def vote(self, interaction: discord.Interaction, message: str, direction: app_commands.Choice[str]) -> None:
        assert interaction.guild_id is not None
        ref = parse_ref(message)
        if ref.guild_id is not None and ref.guild_id != interaction.guild_id:
            raise NotFound(NOT_A_POST)
        post = await self.votes.target(interaction.guild_id, ref.id)
        question = await self.service.question(post.question_id)
        if question is None or not _may_read(interaction, question):
            raise NotFound(NOT_A_POST)  # worded as for an unknown post: nothing leaks about hidden channels
        value = DIRECTIONS[direction.value]
        done = await self.votes.vote(interaction.guild_id, post.id, interaction.user.id, value)
        await interaction.response.send_message(confirmation(done), ephemeral=True, allowed_mentions=NO_PINGS)
        if done.outcome.owed:
            await self._take_back_reaction(interaction, ref.channel_id or post.question_id, done)

    async def _take_back_reaction(self, interaction: discord.Interaction, channel_id: int, done: DirectVote) -> None:
        """A vote that replaced one cast by reaction (cleared it, or cast it again): take that
        reaction off, as a switch by reaction does, so Discord shows no vote but the one that counts
        and catch-up cannot take the reaction for a newer vote. Skipped in archived threads (Discord
        refuses, and discord.py drops archived threads from its cache, which is how they are told
        apart): the removal stays owed, and catch-up does it once the thread is open. The removal
        event withdraws nothing: the vote is a command vote now."""
        thread = interaction.guild.get_thread(done.post.question_id) if interaction.guild else None
        if thread is None or thread.archived or thread.locked:
            return
        settings = self.service.settings(done.post.guild_id)
        emoji = settings.upvote_emoji if done.outcome.owed > 0 else settings.downvote_emoji
        message = self.bot.get_partial_messageable(channel_id).get_partial_message(done.post.id)
        try:
            await message.remove_reaction(emoji, interaction.user)
        except discord.NotFound:
            pass  # the message or the reaction is already gone: nothing is owed either way
        except discord.HTTPException as exc:
            log.debug("Could not take back %s's reaction on %s: %s", interaction.user.id, done.post.id, exc.text)
            return
        await self.votes.unreaction_done(done.post.id, interaction.user.id)


def confirmation(done: DirectVote) -> str:
    post, outcome = done.post, done.outcome
    what = f"[this {_kind(post)}]({post_url(post)}) by <@{post.author_id}>"
    if outcome.result is VoteResult.CAST:
        if outcome.value == 0:
            return f"Your vote on {what} is withdrawn. Its score is now **{post.score:+d}**."
        return f"{'Upvoted' if outcome.value > 0 else 'Downvoted'} {what}. Its score is now **{post.score:+d}**."
    score = f"Its score is **{post.score:+d}**."
    if outcome.value == 0 and outcome.previous == 0:
        return f"You had no vote on {what} to withdraw. {score}"
    if outcome.result is VoteResult.UNCHANGED:
        return f"You had already {'upvoted' if outcome.value > 0 else 'downvoted'} {what}. {score}"
    # STALE: a newer vote of this member on this post was stored while this one was on its way.
    return f"Your vote on {what} changed in the meantime; nothing more to do. {score}"


def _kind(post: Post) -> str:
    return {PostKind.QUESTION: "question", PostKind.ANSWER: "answer"}.get(post.kind, "reply")


def _may_read(interaction: discord.Interaction, question: Question) -> bool:
    """Members vote only where they can read (the same rule as /question's)."""
    channel = interaction.guild.get_channel(question.channel_id) if interaction.guild else None
    if channel is None or not isinstance(interaction.user, discord.Member):
        return True
    permissions = channel.permissions_for(interaction.user)
    return permissions.view_channel and permissions.read_message_history


async def setup(bot: QuorumBot) -> None:
    await bot.add_cog(Voting(bot, bot.service))
