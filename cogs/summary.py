"""The live "best answers" summary of each question thread, edited as votes change.

For an /ask question the summary is part of the bot's own starter (its Score field and a "Best
answers" field); for a native forum post it is one message of the bot's in the thread, posted the
first time there is something to list. Votes only *schedule* an edit (bot/forum/summary.py decides
how edits are coalesced); the edit itself re-reads the store, so a missed or failed edit heals at
the next vote. The summary is never pinned: pins mean accepted answers.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from dataclasses import replace

import discord
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.errors import StoreUnavailable
from bot.forum.models import Post, Question
from bot.forum.service import ForumService
from bot.forum.summary import OWN, STARTER, Coalescer, Place, Summary, summarise
from cogs import render

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()

BEST_FIELD = "Best answers"
SCORE_FIELD = "Score"  # the /ask starter's field (cogs/asking.py)
EXCERPT = 90
NOTHING_YET = "No answers to list yet."
FOOTER = "Updated as votes come in · /question shows the whole thread"
THREAD_ARCHIVED = 50083
FLUSH_TIMEOUT = 10.0  # a clean stop waits this long for pending edits, then leaves them to the next vote
SHOWN_KEPT = 2000  # threads whose last summary is remembered, to skip edits that change nothing


class LiveSummary(commands.Cog):
    def __init__(self, bot: QuorumBot, service: ForumService, delay: float) -> None:
        self.bot = bot
        self.service = service
        self.coalescer = Coalescer(delay)
        # Threads whose edit waits for its window: a timer each, not a task, because a vote storm
        # over many threads schedules thousands of them (bench/votes) and a task costs several times more.
        self._waiting: dict[int, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # every running edit
        self._shown: dict[int, dict] = {}  # thread -> the embed last sent for its own summary message
        self._warned_forbidden: set[int] = set()  # channels whose missing permission was logged
        self._unobserve = service.votes.observe(self.changed)

    async def cog_unload(self) -> None:
        """Nothing is lost at a clean stop: edits still waiting for their window are made now."""
        self._unobserve()
        for timer in self._waiting.values():
            timer.cancel()
        self._waiting.clear()
        if self._tasks:
            # Edits still running after the timeout are cancelled: the HTTP session closes next,
            # and the next vote in their thread redoes them.
            _, late = await asyncio.wait(self._tasks, timeout=FLUSH_TIMEOUT)
            for task in late:
                task.cancel()
        pending = self.coalescer.pending()
        if not pending:
            return
        for thread_id in pending:
            self.coalescer.take(thread_id)
        flush = [asyncio.create_task(self._refresh_logged(t)) for t in pending]
        _, late = await asyncio.wait(flush, timeout=FLUSH_TIMEOUT)
        for task in late:
            task.cancel()
        if late:
            log.warning("%d summary edit(s) not made before shutdown; the next vote there redoes them", len(late))

    # ----- scheduling -------------------------------------------------------------------------

    def changed(self, thread_id: int) -> None:
        """Something the summary shows changed in `thread_id`. Cheap and synchronous: it runs on
        every vote, and at most schedules one edit per thread per window."""
        if self.coalescer.changed(thread_id, asyncio.get_running_loop().time()) is None:
            return  # folded into the edit already scheduled
        loop = asyncio.get_running_loop()
        self._waiting[thread_id] = loop.call_later(self.coalescer.delay, self._window_over, thread_id)

    def _window_over(self, thread_id: int) -> None:
        self._waiting.pop(thread_id, None)
        # Taken before the store is read: a vote arriving from here on opens a new window.
        if self.coalescer.take(thread_id):
            task = asyncio.create_task(self._refresh_logged(thread_id), name=f"quorum-summary-{thread_id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _refresh_logged(self, thread_id: int) -> None:
        try:
            await self.refresh(thread_id)
        except discord.Forbidden as exc:
            # Once per channel (every vote there would say it again), naming what an admin must grant.
            thread = self.bot.get_channel(thread_id)
            channel_id = getattr(thread, "parent_id", None) or thread_id
            if channel_id in self._warned_forbidden:
                log.debug("Summary of thread %s not updated: %s", thread_id, exc.text)
            else:
                self._warned_forbidden.add(channel_id)
                log.warning(
                    "Cannot post or edit the best-answers summary in thread %s (channel %s): Quorum needs "
                    "the Send Messages in Threads and Embed Links permissions there",
                    thread_id,
                    channel_id,
                )
        except discord.HTTPException as exc:
            if exc.code == THREAD_ARCHIVED:
                # Discord refuses edits in archived threads; the next vote after unarchiving heals it.
                log.debug("Summary of thread %s not updated: the thread is archived", thread_id)
            else:
                log.warning("Summary of thread %s not updated: %s %s", thread_id, exc.status, exc.text)
        except StoreUnavailable as exc:  # counted by the repair; the next vote's edit heals the summary
            self.service.repair.failed(None, exc)
        except Exception:
            log.exception("Summary of thread %s not updated", thread_id)

    # ----- rendering --------------------------------------------------------------------------

    async def refresh(self, thread_id: int) -> None:
        """Bring the thread's summary in line with the store (now, without waiting for a window)."""
        async with self._lock(thread_id):
            view = await self.service.thread_view(thread_id)
            if view is None or view.question.deleted_at is not None:
                return
            place = await self._place(view.question)
            if place is None:
                return
            summary = summarise(view)
            if place.kind == STARTER:
                await self._edit_starter(place, summary)
            else:
                await self._post_or_edit(thread_id, place, summary)

    def _lock(self, thread_id: int) -> asyncio.Lock:
        # One edit of a thread at a time: two concurrent first edits would post two summaries, and
        # an edit of an /ask starter must not put back the text /edit just replaced (cogs/editing.py).
        return self.service.bot_edits(thread_id)

    async def _place(self, question: Question) -> Place | None:
        place = await self.service.summary_place(question.id)
        if place is not None:
            return place
        # Worked out once per thread, then remembered: an /ask thread is the bot's own.
        try:
            thread = self.bot.get_channel(question.id) or await self.bot.fetch_channel(question.id)
            if not isinstance(thread, discord.Thread):
                return None
            if thread.owner_id == self.bot.user.id:  # type: ignore[union-attr]
                parent = thread.parent or await self.bot.fetch_channel(thread.parent_id)
                # A forum post's starter is in the thread; a thread started from a message in a
                # text channel keeps that message in the channel.
                channel_id = thread.id if isinstance(parent, discord.ForumChannel) else thread.parent_id
                place = Place(STARTER, channel_id, question.starter_id or thread.id)
            else:
                place = Place(OWN, thread.id)
        except discord.NotFound:
            return None
        await self.service.set_summary_place(question.id, place)
        return place

    async def _edit_starter(self, place: Place, summary: Summary) -> None:
        assert place.message_id is not None
        channel = self.bot.get_partial_messageable(place.channel_id)
        try:
            message = await channel.fetch_message(place.message_id)
        except discord.NotFound:
            return  # the starter was deleted: there is nothing to keep up to date
        if not message.embeds:
            return
        embed = starter_with_summary(message.embeds[0], summary)
        if embed.to_dict() != message.embeds[0].to_dict():
            # The embed's description (the question's body) is untouched, so cogs/questions.py sees
            # no new revision in the MESSAGE_UPDATE this edit causes.
            await message.edit(embed=embed, allowed_mentions=NO_PINGS)

    async def _post_or_edit(self, thread_id: int, place: Place, summary: Summary) -> None:
        embed = summary_embed(summary)
        shown = embed.to_dict()
        channel = self.bot.get_partial_messageable(place.channel_id)
        if place.message_id is not None:
            if self._shown.get(thread_id) == shown:
                return
            try:
                await channel.get_partial_message(place.message_id).edit(embed=embed, allowed_mentions=NO_PINGS)
                self._remember(thread_id, shown)
                return
            except discord.NotFound:
                pass  # someone deleted the summary: post a new one
        if not summary.has_content:
            return
        message = await channel.send(embed=embed, allowed_mentions=NO_PINGS)
        await self.service.set_summary_place(thread_id, replace(place, message_id=message.id))
        self._remember(thread_id, shown)

    def _remember(self, thread_id: int, shown: dict) -> None:
        self._shown.pop(thread_id, None)
        self._shown[thread_id] = shown
        if len(self._shown) > SHOWN_KEPT:
            del self._shown[next(iter(self._shown))]

    # ----- other changes the summary shows ---------------------------------------------------

    @commands.Cog.listener()
    async def on_guild_channel_pins_update(self, channel: discord.abc.GuildChannel | discord.Thread, _last) -> None:
        # Pins are acceptance (cogs/accepting.py): the accepted answer is listed first. The window gives
        # the acceptance cog time to read the pins list and record it before the summary re-reads.
        if isinstance(channel, discord.Thread) and self.service.is_watched(channel.guild.id, channel.parent_id):
            self.changed(channel.id)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        place = await self.service.summary_place(payload.channel_id)
        if place is None:
            return
        if place.kind == OWN and place.message_id == payload.message_id:
            # Forget it rather than repost at once: the next change posts a new one. Under the
            # thread's lock, read again: an edit may have replaced it meanwhile, keep that one.
            async with self._lock(payload.channel_id):
                place = await self.service.summary_place(payload.channel_id)
                if place is not None and place.message_id == payload.message_id:
                    self._shown.pop(payload.channel_id, None)
                    await self.service.set_summary_place(payload.channel_id, replace(place, message_id=None))
        else:
            self.changed(payload.channel_id)  # a listed answer may be gone


def line(rank: int, answer: Post, accepted: bool) -> str:
    """One listed answer: rank, score, author (a mention, which never pings in an embed), a one-line
    excerpt with its markdown escaped, and a jump link."""
    mark = "✔ " if accepted else ""
    text = render.flat(answer.body, EXCERPT) if answer.body.strip() else render.post_text(answer)
    return f"{rank}. {mark}**{answer.score:+d}** · <@{answer.author_id}> · {text} · [jump]({render.post_url(answer)})"


def summary_text(summary: Summary, budget: int) -> str:
    """The listed answers, as many whole lines as fit in `budget` (Discord's units)."""
    lines: list[str] = []
    used = 0
    for item in summary.lines:
        text = line(item.rank, item.answer, item.accepted)
        cost = render.dlen(text) + (1 if lines else 0)
        if used + cost > budget:
            break
        lines.append(text)
        used += cost
    return "\n".join(lines) or NOTHING_YET


def summary_embed(summary: Summary) -> discord.Embed:
    """A native thread's own summary message."""
    embed = discord.Embed(title=BEST_FIELD, description=summary_text(summary, render.DESCRIPTION_BUDGET),
                          colour=discord.Colour.green())  # fmt: skip
    answers = f"{summary.answers} answer{'s' if summary.answers != 1 else ''}"
    embed.set_footer(text=f"Question score {summary.question_score:+d} · {answers} · {FOOTER}")
    return embed


def starter_with_summary(starter: discord.Embed, summary: Summary) -> discord.Embed:
    """The /ask starter with its Score and Best answers fields brought up to date; the asker link,
    title, body, Tags field and footer are kept as they are (cogs/convert.py reads them back)."""
    embed = discord.Embed.from_dict(copy.deepcopy(starter.to_dict()))  # Embed.copy() shares its fields
    fields = [(f.name, f.value, f.inline) for f in starter.fields if f.name != BEST_FIELD]
    had_best = len(fields) != len(starter.fields)
    embed.clear_fields()
    for name, value, inline in fields:
        embed.add_field(name=name, value=str(summary.question_score) if name == SCORE_FIELD else value, inline=inline)
    if summary.has_content or had_best:
        # Whatever room the rest of the embed leaves under Discord's 6000 total, at most a field's 1024.
        room = min(render.FIELD_VALUE_MAX, render.PAGE_TOTAL - render.embed_size(embed) - len(BEST_FIELD))
        embed.add_field(name=BEST_FIELD, value=summary_text(summary, max(room, len(NOTHING_YET))), inline=False)
    return embed


async def setup(bot: QuorumBot) -> None:
    delay = bot.settings.summary_delay
    await bot.add_cog(LiveSummary(bot, bot.service, delay))
