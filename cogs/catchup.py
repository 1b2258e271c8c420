"""Catch-up: mirrors what happened in watched channels while the bot was away.

discord.py dispatches `on_ready` after every READY: the first start and each new session after one
that could not be resumed (after a RESUME, Discord replays what was missed and nothing is lost). Each
READY starts a catch-up in the background, one at a time: a READY during a run queues one more run.

For each watched channel: its active threads, and its archived public threads back to a per-guild
watermark (see bot/forum/catchup.py). Each thread's history is read oldest first and reconciled
through the same service calls as live events, which are idempotent, so a live event and catch-up
seeing the same message give one post and one revision. Live events keep flowing meanwhile; what
they bring is never overwritten by catch-up's older view (see `decide` and `missing_posts`).
A question active since the cutoff whose thread the complete listing does not show is looked up
once; if Discord says the thread is unknown, it was deleted while away and the question goes too.
A thread locked or unlocked by hand while away changes the question's status as a live event would.

Votes: after a thread's messages, every post that shows a vote reaction now, or that the store says
had standing votes, is compared member by member with the reacting members Discord lists (paged,
100 at a time, until a short page: discord.py's `Reaction.users()` stops at the count the message
had when it was read). Differences are applied as of a time taken before the thread was read, so a
live reaction event after it wins (bot/forum/vote_catchup.py has the rules, including the one for a
member holding both vote reactions, and the one for votes cast by /vote, which no reaction backs).
Renames are applied as of the time the thread was listed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import discord
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum import catchup as plan
from bot.forum.catchup import Action, Progress, Seen
from bot.forum.errors import StoreUnavailable
from bot.forum.rules import counts_as_post
from bot.forum.service import ForumService
from bot.forum.vote_catchup import plan_post
from bot.forum.voting import vote_value
from cogs.accepting import pin_notice, reconcile_pins
from cogs.convert import message_info, thread_info
from cogs.names import message_names
from cogs.private_threads import check_thread_types
from cogs.reactions import can_take_off, take_off

log = logging.getLogger(__name__)

# Threads read at once. Every history page is a request in the same per-route bucket; discord.py
# waits out rate limits and 429s itself, so more workers would only queue behind the bucket.
CONCURRENCY = 3
LOG_EVERY = 25  # threads between progress lines in the log
REACTIONS_PAGE = 100  # Discord's largest page of reacting users
ANYONE = 0  # stands for every member: a moderator cleared a message's reactions live


class CatchUp(commands.Cog):
    def __init__(self, bot: QuorumBot, service: ForumService, *, concurrency: int = CONCURRENCY) -> None:
        self.bot = bot
        self.service = service
        self.concurrency = concurrency
        self.automatic = True  # `quorum catchup` turns it off and runs catch-up itself
        self.progress: Progress | None = None  # the current run, or the last one
        self.completed = 0  # runs finished (with or without failed threads)
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._again = False
        # (message id, member id or ANYONE) -> when a live reaction event for it arrived, during a run.
        self._live_reactions: dict[tuple[int, int], datetime] = {}
        # thread id -> when a live THREAD_UPDATE for it arrived, during a run.
        self._live_threads: dict[int, datetime] = {}

    async def cog_load(self) -> None:
        self.service.repair.attach(self.repair_threads)
        self.bot.catchup = self  # for the follow-ups' wait and `quorum catchup` (bot/client.CatchUpRun)

    async def cog_unload(self) -> None:
        self.service.repair.detach()
        if self.bot.catchup is self:
            self.bot.catchup = None
        if self._task is not None:
            self._task.cancel()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if self.automatic:
            self.trigger()

    # Live reaction and thread events are mirrored by cogs/voting.py and cogs/moderation.py; these only
    # note when one arrived, so catch-up leaves that member's vote on that post, or that thread's lock,
    # to the live event (see `_live_since`, `_mirror_lock`). They are listening only while a run is
    # (see `run`): outside runs, a listener would cost every vote an extra task for nothing.
    async def _noted_reaction(self, payload: discord.RawReactionActionEvent) -> None:
        self._saw_live(payload.message_id, payload.user_id)

    async def _noted_clear(self, payload: discord.RawReactionClearEvent | discord.RawReactionClearEmojiEvent) -> None:
        self._saw_live(payload.message_id, ANYONE)

    async def _noted_thread_update(self, payload: discord.RawThreadUpdateEvent) -> None:
        if self._lock.locked():
            self._live_threads[payload.thread_id] = self.service.clock()

    def _noting_live_events(self, on: bool) -> None:
        listeners = (
            (self._noted_reaction, "on_raw_reaction_add"),
            (self._noted_reaction, "on_raw_reaction_remove"),
            (self._noted_clear, "on_raw_reaction_clear"),
            (self._noted_clear, "on_raw_reaction_clear_emoji"),
            (self._noted_thread_update, "on_raw_thread_update"),
        )
        for listener, event in listeners:
            if on:
                self.bot.add_listener(listener, event)
            else:
                self.bot.remove_listener(listener, event)

    def _saw_live(self, message_id: int, user_id: int) -> None:
        if self._lock.locked():  # only a running catch-up needs to know; nothing piles up between runs
            self._live_reactions[(message_id, user_id)] = self.service.clock()

    def _live_since(self, message_id: int, at: datetime) -> Callable[[int], bool]:
        live = self._live_reactions

        def since(voter_id: int) -> bool:
            seen = live.get((message_id, voter_id)) or live.get((message_id, ANYONE))
            return seen is not None and seen >= at

        return since

    # ----- scheduling --------------------------------------------------------------------------
    def trigger(self) -> asyncio.Task[None]:
        """Start a background run, or, if one is running, queue exactly one more after it: a READY
        during a run may follow events the running one already read past."""
        if self._task is not None and not self._task.done():
            self._again = True
            return self._task
        self._task = asyncio.create_task(self._runs(), name="quorum-catchup")
        return self._task

    async def repair_threads(self, thread_ids: list[int]) -> None:
        """Catch up threads whose live events were lost to an unavailable store (bot/forum/repair.py),
        now that writes work again: each is read as a run reads it, fresh from Discord."""
        async with self._lock:
            self._live_reactions.clear()
            self._live_threads.clear()
            self._noting_live_events(True)
            try:
                progress = Progress()
                for thread_id in thread_ids:
                    if self.bot.is_closed():
                        return
                    await self._repair_thread(thread_id, progress)
                progress.finished = time.monotonic()
                log.debug("Repair: %s", progress.summary())  # bot/forum/repair.py says when it is done
            finally:
                self._noting_live_events(False)

    async def _repair_thread(self, thread_id: int, progress: Progress) -> None:
        try:
            try:
                # From Discord, not the cache: its last_message_id is what the deletion rule relies on.
                thread = await self.bot.fetch_channel(thread_id)
            except discord.NotFound:  # deleted while its events were being lost
                if await self.service.question(thread_id) is not None:
                    progress.threads_deleted += await self.service.thread_deleted(thread_id)
                return
            if not isinstance(thread, discord.Thread) or not self.service.is_watched(thread.guild.id, thread.parent_id):
                return  # not a question's thread: nothing of it is mirrored
            await self._read_thread(thread, progress, self.service.clock())
            progress.threads_done += 1
        except StoreUnavailable as exc:  # failing again: marked again, read again later
            self.service.repair.failed(thread_id, exc)
        except discord.HTTPException as exc:  # no access, or Discord failing: the next catch-up run reads it
            log.warning("Repair: thread %s unreadable: %s", thread_id, exc)
        except Exception:
            if not self.bot.is_closed():
                log.exception("Repair: thread %s failed; going on with the others", thread_id)

    async def _runs(self) -> None:
        while True:
            self._again = False
            try:
                await self.run()
            except StoreUnavailable as exc:  # counted and logged by the repair, which runs once writes work
                self.service.repair.failed(None, exc)
            except Exception:
                if self.bot.is_closed():
                    return
                log.exception("Catch-up failed; live events are still mirrored")
            if not self._again or self.bot.is_closed():
                return

    async def wait_idle(self) -> None:
        """Until no background run is running or queued."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    # ----- one run -----------------------------------------------------------------------------
    async def run(self, *, days: float | None = None) -> Progress:
        """One catch-up of every watched channel. `days` reads archived threads that far back
        instead of from the watermark (and leaves the watermark as it is)."""
        async with self._lock:
            self._live_reactions.clear()
            self._live_threads.clear()
            self._noting_live_events(True)
            try:
                return await self._run(days)
            finally:
                self._noting_live_events(False)

    async def _run(self, days: float | None) -> Progress:
        progress = self.progress = Progress()
        started = datetime.now(UTC)
        work: list[tuple[discord.Guild, list[discord.Thread], bool, datetime]] = []
        for guild in sorted(self.bot.guilds, key=lambda g: g.id):
            try:
                progress.private_removed += await check_thread_types(self.service, guild)
            except Exception:
                if self.bot.is_closed():
                    raise
                log.exception("Catch-up: checking the thread types of guild %s failed; going on", guild.id)
            channel_id = self.service.settings(guild.id).forum_channel_id
            if channel_id is None:
                continue
            progress.guilds += 1
            listed_at = self.service.clock()  # before the listing: what it shows is at least this new
            threads, complete, cutoff = await self._list_threads(guild, channel_id, days)
            work.append((guild, threads, complete, listed_at))
            progress.threads_total += len(threads)
            if complete:
                progress.threads_deleted += await self._deleted_threads(guild.id, channel_id, threads, cutoff)
        log.info("Catch-up: %d thread(s) to read in %d watched channel(s)", progress.threads_total, progress.guilds)
        for guild, threads, complete, listed_at in work:
            failed_before = progress.threads_failed
            all_read = await self._read_threads(threads, progress, listed_at)
            # A failed thread (not a 403/404, which would fail again) or a run cut short by
            # shutdown keeps the old watermark, so the next run reads those archived threads again.
            if all_read and complete and progress.threads_failed == failed_before and days is None:
                mark = plan.next_watermark(started)
                await self.bot.store.set_catchup_watermark(guild.id, mark)
        progress.finished = time.monotonic()
        self.completed += 1
        log.info("%s", progress.summary())
        return progress

    async def _list_threads(
        self, guild: discord.Guild, channel_id: int, days: float | None
    ) -> tuple[list[discord.Thread], bool, datetime]:
        """The channel's active threads and its archived public threads back to the cutoff; whether
        the listing was complete; and the cutoff."""
        now = datetime.now(UTC)
        channel = guild.get_channel(channel_id)
        if not isinstance(channel, (discord.ForumChannel, discord.TextChannel)):
            log.warning(
                "Catch-up: watched channel %s of guild %s is gone or not a forum/text channel", channel_id, guild.id
            )
            return [], False, now
        if days is not None:
            cutoff = now - timedelta(days=days)
        else:
            stored = await self.bot.store.catchup_watermark(guild.id)
            cutoff = plan.archived_cutoff(stored, now, plan.DEFAULT_FIRST_WINDOW)
        found: dict[int, discord.Thread] = {}
        try:
            # Fresh objects built from the REST answer, not the cache: their last_message_id is what
            # Discord said at listing time, which the deletion rule relies on.
            for thread in await guild.active_threads():
                if thread.parent_id == channel_id:
                    found[thread.id] = thread
            async for thread in channel.archived_threads(limit=None):
                # Newest archive first: everything after this was archived before the cutoff.
                if thread.archive_timestamp < cutoff:
                    break
                found.setdefault(thread.id, thread)
        except discord.HTTPException as exc:
            log.warning(
                "Catch-up: could not list the threads of channel %s (%s); reading what was listed", channel_id, exc
            )
            return sorted(found.values(), key=lambda t: t.id), False, cutoff
        return sorted(found.values(), key=lambda t: t.id), True, cutoff

    async def _deleted_threads(self, guild_id: int, channel_id: int, listed: list[discord.Thread],
                               cutoff: datetime) -> int:  # fmt: skip
        """Questions whose thread was deleted while the bot was away: active since the cutoff yet
        missing from a complete listing (bot/forum/catchup.py, `unlisted`), and confirmed gone by
        Discord. One request per such question; normally only deleted threads are asked about."""
        store = self.bot.store
        active = await store.questions_active_since(guild_id, channel_id, plan.first_id_at(cutoff))
        gone = 0
        for thread_id in plan.unlisted(active, (t.id for t in listed)):
            if self.bot.is_closed():
                break
            try:
                await self.bot.http.get_channel(thread_id)
            except discord.NotFound:
                gone += await self.service.thread_deleted(thread_id)
            except discord.HTTPException as exc:  # no access, or Discord failing: decide nothing
                log.warning("Catch-up: could not check whether thread %s still exists: %s", thread_id, exc)
        return gone

    async def _read_threads(self, threads: list[discord.Thread], progress: Progress, listed_at: datetime) -> bool:
        """Read the threads, a few at a time; False if the bot closed before all were read."""
        queue = iter(threads)
        finished = 0

        async def worker() -> None:
            nonlocal finished
            for thread in queue:  # a shared iterator: each thread goes to exactly one worker
                if self.bot.is_closed():
                    return
                try:
                    await self._read_thread(thread, progress, listed_at)
                except (discord.Forbidden, discord.NotFound) as exc:
                    # Permanent for this thread (no access, or deleted since listing): skip it.
                    log.warning("Catch-up: thread %s unreadable: %s", thread.id, exc)
                except StoreUnavailable as exc:  # the repair reads it again once writes work
                    progress.threads_failed += 1
                    self.service.repair.failed(thread.id, exc)
                except Exception:
                    if self.bot.is_closed():
                        return
                    progress.threads_failed += 1
                    log.exception("Catch-up: thread %s failed; going on with the others", thread.id)
                finished += 1
                progress.threads_done += 1
                if progress.threads_done % LOG_EVERY == 0:
                    log.info("Catch-up: %s", progress.line())

        await asyncio.gather(*(worker() for _ in range(max(1, self.concurrency))))
        return finished == len(threads) and not self.bot.is_closed()

    async def _read_thread(self, thread: discord.Thread, progress: Progress, listed_at: datetime) -> None:
        # A thread /ask made has the bot as owner: thread_info leaves its owner unknown, and its
        # starter (which names the asker) records the question when the history reaches it, as it
        # does live. Members' forum posts are recorded from the thread itself.
        if thread.is_private():  # never a question (and one stored by an older version goes)
            await self.service.private_thread_seen(thread.id)
            return
        had_question = await self.service.question(thread.id) is not None
        await self.service.thread_created(thread_info(thread))
        if had_question:
            # Renamed while away. As of the listing, so a live rename since then (stamped later) wins.
            progress.renamed += await self.service.thread_renamed_at(thread.id, thread.name, listed_at)
            await self._mirror_lock(thread, listed_at, progress)
        if not getattr(self.bot, "message_content_granted", True):
            return  # texts would read as empty: questions.py warns about the missing intent

        listed_last = thread.last_message_id
        store = self.bot.store
        known = {p.id: p for p in await store.question_posts(thread.id, include_deleted=True)}
        seen: set[int] = set()
        # Before the read: every reaction the history (and the users read after it) shows is at least
        # this new, and any live reaction event after it is newer than catch-up's view.
        read_at = self.service.clock()
        settings = self.service.settings(thread.guild.id)
        vote_emojis: dict[int, dict[int, str]] = {}  # message id -> vote value -> emoji as the route spells it
        pin_notices: dict[int, int | None] = {}  # message -> who pinned it last (None: the bot)
        async for message in thread.history(limit=None, oldest_first=True):
            progress.messages += 1
            seen.add(message.id)
            if (notice := pin_notice(message, self.bot.user.id)) is not None:  # type: ignore[union-attr]
                pin_notices[notice[0]] = notice[1]  # oldest first: a later pin of the same message wins
            shown = {vote_value(settings, str(r.emoji)): _route_emoji(r.emoji) for r in message.reactions}
            shown.pop(0, None)  # other emojis
            if shown:
                vote_emojis[message.id] = shown
            m = message_info(message)
            if counts_as_post(m):  # names as Discord shows them now (cogs/names.py); unchanged ones cost nothing
                await self.service.names.learn(message_names(message, m.author_id))
            info = thread_info(thread, message if message.id == thread.id else None)
            action = plan.decide(
                Seen(m.id, m.content, message.edited_at, counts_as_post(m)),
                known.get(m.id),
                deleted_live=self.service.was_deleted(m.id),
            )
            if action is Action.ADD:
                added = await self.service.message_created(m, info)
                if self.service.was_deleted(m.id):
                    # Its delete arrived while the add waited for the thread's turn: apply it again
                    # (idempotent) so the message doesn't come back.
                    await self.service.messages_deleted(thread.id, [m.id])
                elif added:
                    progress.added += 1
            elif action is Action.EDIT:
                progress.edited += await self.service.message_edited(m, info, message.edited_at)  # type: ignore[arg-type]
        if not had_question and await self.service.question(thread.id) is not None:
            progress.questions_added += 1
            await self._mirror_lock(thread, listed_at, progress)

        # Read after the history, so posts that arrived live during the read are included (and
        # spared by the horizon).
        live = await store.question_posts(thread.id)
        missing = plan.missing_posts(live, seen, plan.read_horizon(seen, listed_last))
        if missing:
            progress.deleted += await self.service.messages_deleted(thread.id, missing)
        live_ids = {p.id for p in live} - set(missing)
        await self._catch_up_votes(thread, vote_emojis, seen & live_ids, read_at, progress)
        # Pins made or taken down while away accept or unaccept answers; the pins list is their only
        # record, read once the thread's posts are known, and the notices say who pinned. (tests/
        # reliability/test_crash.py: without this, an answer pinned while the bot was down stayed
        # unaccepted after catch-up.)
        await reconcile_pins(self.service, thread, self.bot.user.id, pin_notices)  # type: ignore[union-attr]

    async def _mirror_lock(self, thread: discord.Thread, listed_at: datetime, progress: Progress) -> None:
        """A hand lock or unlock made while away, seen in the listing. A live update of the thread
        since the listing (a moderator's hand, or a command's edit) is newer and was mirrored live."""
        if plan.newer_than_listing(self._live_threads.get(thread.id), listed_at):
            return
        if await self.service.moderation.lock_seen(thread.id, bool(thread.locked)) is not None:
            progress.locks += 1

    async def _catch_up_votes(self, thread: discord.Thread, vote_emojis: dict[int, dict[int, str]],
                              posts: set[int], read_at: datetime, progress: Progress) -> None:  # fmt: skip
        """Compare the votes on the thread's posts with the reactions Discord shows. `posts`: live
        posts the history showed (a post the read missed was deleted or arrived live after it)."""
        standing = await self.bot.store.standing_votes(thread.id)
        owed = await self.bot.store.owed_unreactions(thread.id)
        commands = await self.bot.store.command_votes(thread.id)
        can_remove = can_take_off(thread)
        settings = self.service.settings(thread.guild.id)
        emoji = {1: settings.upvote_emoji, -1: settings.downvote_emoji}
        for post_id in sorted((vote_emojis.keys() | standing.keys()) & posts):
            if self.bot.is_closed():
                return
            shown = vote_emojis.get(post_id, {})
            up = await self._holders(thread.id, post_id, shown[1]) if 1 in shown else []
            down = await self._holders(thread.id, post_id, shown[-1]) if -1 in shown else []
            changes = plan_post(up, down, standing.get(post_id, {}), can_remove=can_remove, owed=owed.get(post_id),
                                commands=commands.get(post_id, ()))  # fmt: skip
            tally, remove = await self.service.reconcile_votes(
                thread.guild.id, post_id, changes, read_at, live_since=self._live_since(post_id, read_at)
            )
            progress.count_votes(tally)
            off = await take_off(self.bot, thread.id, post_id, remove) if remove and can_remove else set()
            # A removal owed to a member who no longer holds the reaction (or holds no pair) is done
            # (or moot), and so is one just taken off; any other stays owed until a run sees it gone.
            conflicted = {change.voter_id for change in changes if change.conflict}
            for voter_id, value in owed.get(post_id, {}).items():
                if voter_id not in conflicted or (emoji[value], voter_id) in off:
                    await self.service.votes.unreaction_done(post_id, voter_id)

    async def _holders(self, channel_id: int, message_id: int, emoji: str) -> list[int]:
        """Every member (bots left out, the bot too) holding `emoji` on the message. Pages by user id
        until a short page: discord.py's `Reaction.users()` would stop at the count the message had
        when the history was read, and miss members who reacted since."""
        members: list[int] = []
        after: int | None = None
        while True:
            page = await self.bot.http.get_reaction_users(channel_id, message_id, emoji, REACTIONS_PAGE, after=after)
            members.extend(int(u["id"]) for u in page if not u.get("bot"))
            if len(page) < REACTIONS_PAGE:
                return members
            after = max(int(u["id"]) for u in page)


def _route_emoji(emoji: discord.PartialEmoji | discord.Emoji | str) -> str:
    """The emoji as the reactions route spells it: the character, or name:id for a custom one."""
    if isinstance(emoji, str):
        return emoji
    return f"{emoji.name}:{emoji.id}" if emoji.id else str(emoji.name)


async def setup(bot: QuorumBot) -> None:
    await bot.add_cog(CatchUp(bot, bot.service))
