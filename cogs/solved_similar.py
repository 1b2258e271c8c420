"""Solved similar questions in a member's own forum post: when a native post becomes a question
(live, or found by catch-up while still new), Quorum replies once in its thread with up to three
similar questions that have an accepted answer, if /ask's similarity rule finds any. The decision is
the store's (bot/forum/similar_offer.py), so no question is offered twice, whatever restarts."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.errors import StoreUnavailable
from bot.forum.models import Question
from bot.forum.search_service import SearchService
from bot.forum.service import ForumService
from bot.forum.similar import SimilarQuestion
from bot.forum.similar_offer import Outcome
from cogs.render import jump_url
from cogs.visibility import readable_by_readers_of

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()
STOP_TIMEOUT = 10.0  # a clean stop lets offers under way finish this long


class SolvedSimilar(commands.Cog):
    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.service = service
        self.search = SearchService(service.store, service.clock)
        self._tasks: set[asyncio.Task[None]] = set()
        self._unobserve = service.observe_new_questions(self.question_stored)

    async def cog_unload(self) -> None:
        self._unobserve()
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT)
            for task in late:
                task.cancel()

    def question_stored(self, thread_id: int) -> None:
        """Called by the service as the question's starter is stored: the search and the reply run
        on their own, so the thread's other events wait for neither."""
        task = asyncio.create_task(self._offer_logged(thread_id), name=f"quorum-similar-{thread_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _offer_logged(self, thread_id: int) -> None:
        try:
            await self.offer(thread_id)
        except StoreUnavailable as exc:  # the decision was not stored, so nothing was posted either
            log.warning("Similar questions not offered in thread %s: %s", thread_id, exc.reason)
        except Exception:
            log.exception("Similar questions not offered in thread %s", thread_id)

    async def offer(self, thread_id: int) -> None:
        question = await self.service.question(thread_id)
        if question is None or question.deleted_at is not None:
            return
        guild = self.bot.get_guild(question.guild_id)
        forum = guild.get_channel(question.channel_id) if guild is not None else None
        if guild is None or not isinstance(forum, discord.ForumChannel):
            return  # members' own posts are forum posts; a text channel's threads have no starter of theirs
        if not await self.service.similar_offers.claim(question):
            return  # decided before (a replay, a restart, a catch-up), or too old to offer now
        starter = await self.service.post(question.starter_id) if question.starter_id else None
        body = starter.body if starter is not None else ""
        # Only what everybody reading this forum may read: the reply is for all of them to see.
        similar = await self.search.solved_similar(guild.id, question.id, question.title, body,
                                                   readable_by_readers_of(forum))  # fmt: skip
        if not similar:
            await self.service.similar_offers.settle(question.id, Outcome.NONE)
            return
        await self._post(guild, question, similar)

    async def _post(self, guild: discord.Guild, question: Question, similar: list[SimilarQuestion]) -> None:
        try:
            # Sent to the thread's id: a forum post is its thread, whether or not it is cached.
            channel = guild.get_thread(question.id) or self.bot.get_partial_messageable(question.id)
            message = await channel.send(embed=offer_embed(guild.id, similar), allowed_mentions=NO_PINGS)
        except discord.HTTPException as exc:
            # Not tried again: a reply long after the question was posted would help nobody.
            log.warning("Cannot offer similar questions in thread %s: %s %s", question.id, exc.status, exc.text)
            await self.service.similar_offers.settle(question.id, Outcome.FAILED)
            return
        await self.service.similar_offers.settle(question.id, Outcome.OFFERED, message.id, similar)


def offer_embed(guild_id: int, similar: list[SimilarQuestion]) -> discord.Embed:
    """Links only: titles with their markdown escaped (brackets would break the link), no mentions."""
    lines = []
    for item in similar:
        title = discord.utils.escape_markdown(item.title).replace("[", "(").replace("]", ")")
        lines.append(f"✔ [{title}]({jump_url(guild_id, item.question_id)}) · score {item.score:+d}")
    embed = discord.Embed(
        title="Similar questions with an accepted answer",
        description="\n".join(lines) + "\n\nIf one of them answers your question, you may have your answer already.",
        colour=discord.Colour.gold(),
    )
    embed.set_footer(text="Quorum offers these once, when a question is posted")
    return embed


async def setup(bot: QuorumBot) -> None:
    await bot.add_cog(SolvedSimilar(bot, bot.service))
