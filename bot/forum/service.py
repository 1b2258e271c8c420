"""ForumService: the forum's use cases. Adapters call it with plain data; it applies the rules and
talks to the store through the ForumStore interface."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from . import rules
from .accept_service import AcceptService
from .asking import MAX_TITLE, Draft, check_draft, check_tags
from .editing import QuestionEdit
from .erasure import Erasure
from .errors import BadInput, NotConfigured
from .events import MessageInfo, ThreadInfo
from .followups import Followups, check_hours
from .member_export import MemberExport
from .models import GuildSettings, Post, PostKind, Question, Revision, ThreadView
from .moderation_service import ModerationService
from .names import NameBook
from .notifications import DEFAULT_DIGEST_MINUTES, Notices
from .ports import ForumStore
from .profiles import Profiles
from .publishing import Publishing
from .repair import Repair, probe_with
from .retention import DEFAULT_PERIODS, Retention, RetentionPeriods
from .similar_offer import SimilarOffers
from .suggestions import Suggestions
from .summary import Place
from .vote_catchup import VoteChange, VoteTally
from .vote_service import VoteService
from .voting import VoteResult
from .web_privacy import WebPrivacy

log = logging.getLogger(__name__)
RECENT_DELETES_KEPT = 10_000
MAX_DAILY_VOTES = 1000


def utcnow() -> datetime:
    return datetime.now(UTC)


class ForumService:
    def __init__(
        self, store: ForumStore, *, clock: Callable[[], datetime] = utcnow,
        retention: RetentionPeriods = DEFAULT_PERIODS, digest_minutes: int = DEFAULT_DIGEST_MINUTES,
    ) -> None:  # fmt: skip
        self.store = store
        self.clock = clock
        # Settings are read on every event to know whether a channel is watched; they change only
        # through configure(), so a cache filled at start stays exact.
        self._settings: dict[int, GuildSettings] = {}
        # Discord delivers a thread's events in order, but discord.py runs each handler as its own
        # task: a reply can be handled while the answer it replies to is still being written. One
        # FIFO lock per thread, taken before the first await, keeps each thread's events in order.
        self._thread_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        # One change of the bot's own messages in a thread at a time (its live summary, an /ask
        # starter that /edit rewrites): each reads the message and writes it whole.
        self._bot_edit_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        # Message ids whose delete arrived lately (insertion-ordered, oldest dropped first).
        self._recently_deleted: dict[int, None] = {}
        # Renames /edit is making (thread -> (title, editor)): Discord's THREAD_UPDATE may arrive
        # before /edit records it, and does not say who renamed; this does.
        self._renaming: dict[int, tuple[str, int]] = {}
        self.votes = VoteService(store, self.settings, clock, self._in_order)
        self.profiles = Profiles(store)
        self.acceptance = AcceptService(store, clock, self._in_order)
        self.moderation = ModerationService(store, clock, self._in_order)
        # Threads whose events were lost to an unavailable store, caught up once writes work again.
        self.repair = Repair(probe_with(store.probe_write, clock))
        # What the public web pages need from Discord: published channels, display names, choices.
        self.publishing = Publishing(store, clock)  # type: ignore[arg-type]  # the store's web directory
        self.names = NameBook(store, clock)  # type: ignore[arg-type]
        self.web_privacy = WebPrivacy(store, clock)  # type: ignore[arg-type]
        self.erasure = Erasure(store, clock)  # type: ignore[arg-type]  # a member's data, on their request
        self.member_export = MemberExport(store, clock)  # type: ignore[arg-type]  # and a copy of it, for them
        self.retention = Retention(store, clock, retention)  # type: ignore[arg-type]  # deleted text, departed guilds
        self.similar_offers = SimilarOffers(store, clock)  # type: ignore[arg-type]  # in members' own posts
        self._new_question_observers: list[Callable[[int], None]] = []
        # Nudges to quiet askers, archiving solved threads, /unanswered (migration 0015)
        self.followups = Followups(store, clock, self.settings)  # type: ignore[arg-type]
        # /notify, /follow (told from the store by the app's periodic run) and "Suggest as solution".
        self.notices = Notices(store, clock, digest_minutes)  # type: ignore[arg-type]
        self.suggestions = Suggestions(store, clock)  # type: ignore[arg-type]

    def _in_order(self, thread_id: int) -> asyncio.Lock:
        lock = self._thread_locks.get(thread_id)
        if lock is None:
            lock = self._thread_locks[thread_id] = asyncio.Lock()
        return lock

    def bot_edits(self, thread_id: int) -> asyncio.Lock:
        """The lock to hold while reading and rewriting the bot's messages in a thread, so that one
        writer does not put back what another just changed."""
        lock = self._bot_edit_locks.get(thread_id)
        if lock is None:
            lock = self._bot_edit_locks[thread_id] = asyncio.Lock()
        return lock

    async def load(self) -> None:
        self._settings = {s.guild_id: s for s in await self.store.all_settings()}

    # ----- setup -------------------------------------------------------------------------------
    def settings(self, guild_id: int) -> GuildSettings:
        return self._settings.get(guild_id) or GuildSettings(guild_id=guild_id)

    def is_watched(self, guild_id: int, channel_id: int | None) -> bool:
        watched = self.settings(guild_id).forum_channel_id
        return watched is not None and watched == channel_id

    async def configure(
        self,
        guild_id: int,
        actor_id: int,
        *,
        forum_channel_id: int | None = None,
        moderator_role_id: int | None = None,
        upvote_emoji: str | None = None,
        downvote_emoji: str | None = None,
        daily_vote_cap: int | None = None,
        idle_nudge_hours: int | None = None,
        archive_after_accept_hours: int | None = None,
    ) -> GuildSettings:
        """Change what was given, keep the rest."""
        current = self.settings(guild_id)
        changes: dict[str, object] = {}
        if forum_channel_id is not None:
            changes["forum_channel_id"] = forum_channel_id
        if moderator_role_id is not None:
            changes["moderator_role_id"] = moderator_role_id
        if upvote_emoji is not None:
            changes["upvote_emoji"] = _emoji(upvote_emoji, "upvote")
        if downvote_emoji is not None:
            changes["downvote_emoji"] = _emoji(downvote_emoji, "downvote")
        if daily_vote_cap is not None:
            if not 1 <= daily_vote_cap <= MAX_DAILY_VOTES:
                raise BadInput(f"The daily vote cap must be between 1 and {MAX_DAILY_VOTES}.")
            changes["daily_vote_cap"] = daily_vote_cap
        if idle_nudge_hours is not None:
            changes["idle_nudge_hours"] = check_hours(idle_nudge_hours, "The idle nudge")
        if archive_after_accept_hours is not None:
            changes["archive_after_accept_hours"] = check_hours(archive_after_accept_hours, "Archiving after an accept")
        updated = replace(current, **changes)
        if updated.upvote_emoji == updated.downvote_emoji:
            raise BadInput("The upvote and downvote emojis must differ.")
        await self.store.save_settings(updated, actor_id, self.clock())
        self._settings[guild_id] = updated
        return updated

    # ----- asking -------------------------------------------------------------------------------
    def questions_channel_id(self, guild_id: int) -> int:
        """The watched channel, or a NotConfigured error telling the administrator what to do."""
        channel_id = self.settings(guild_id).forum_channel_id
        if channel_id is None:
            raise NotConfigured(
                "Questions are not set up in this server yet: an administrator can run "
                "`/quorum setup channel:#your-forum`."
            )
        return channel_id

    @staticmethod
    def check_question(title: str, body: str, tags: str | None, available_tags: list[str] | None) -> Draft:
        """Validate a new question before anything is created in Discord."""
        return check_draft(title, body, tags, available_tags)

    @staticmethod
    def check_tags(tags: str | None, available_tags: list[str] | None) -> tuple[str, ...]:
        return check_tags(tags, available_tags)

    # ----- mirroring Discord -------------------------------------------------------------------
    async def thread_created(self, thread: ThreadInfo) -> bool:
        """A thread appeared; in a watched channel it is a question. Its starter arrives separately."""
        async with self._in_order(thread.id):
            if thread.private:
                await self._forget_private(thread.id)
                return False
            return await self._add_question(thread)

    async def private_thread_seen(self, thread_id: int) -> bool:
        """Discord shows the thread as private: it is no question, and one stored by a version that
        did not know so is removed with everything in it. True if one was."""
        async with self._in_order(thread_id):
            return await self._forget_private(thread_id)

    async def channels_to_check(self, guild_id: int) -> list[int]:
        """Channels holding questions stored before thread types were recorded (migration 0008)."""
        return await self.store.channels_of_unknown_thread_type(guild_id)

    async def thread_types_listed(self, guild_id: int, channel_id: int, private_ids: set[int], public_type: int) -> int:
        """Discord listed every private thread of the channel (active and archived): questions among
        them are removed, the channel's other questions of unknown type are public threads. Returns
        how many questions were removed."""
        removed = await self.store.remove_questions(sorted(private_ids), self.clock())
        await self.store.record_thread_type(guild_id, channel_id, public_type)
        return removed

    async def _forget_private(self, thread_id: int) -> bool:
        if await self.store.get_question(thread_id) is None:
            return False
        return await self.store.remove_questions([thread_id], self.clock()) > 0

    async def _add_question(self, thread: ThreadInfo) -> bool:
        if not self.is_watched(thread.guild_id, thread.parent_id) or thread.owner_id is None or thread.private:
            return False
        question = Question(
            id=thread.id,
            guild_id=thread.guild_id,
            channel_id=thread.parent_id,
            title=thread.name[:MAX_TITLE],
            author_id=thread.owner_id,
            created_at=thread.created_at,
            tags=thread.tags,
            thread_type=thread.thread_type,
        )
        return await self.store.add_question(question, None)

    async def message_created(self, message: MessageInfo, thread: ThreadInfo | None) -> bool:
        """Mirror a message of a question thread as the question's body, an answer or a reply."""
        if thread is None or not rules.counts_as_post(message):
            return False
        async with self._in_order(thread.id):
            return await self._add_post(message, thread)

    def observe_new_questions(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """Call `callback(thread_id)` once a member's own post (not /ask's) is first stored with its
        starter, whether live or by catch-up; returns the undo."""
        self._new_question_observers.append(callback)
        return lambda: self._new_question_observers.remove(callback)

    def _question_stored(self, thread_id: int) -> None:
        for callback in tuple(self._new_question_observers):
            try:
                callback(thread_id)
            except Exception:  # the question is stored; an observer's bug must not undo that
                log.exception("A new-question observer failed for thread %s", thread_id)

    async def _add_post(self, message: MessageInfo, thread: ThreadInfo) -> bool:
        native = thread.owner_id is not None  # /ask's threads are the bot's: their asker is in the starter
        if thread.private:
            await self._forget_private(thread.id)
            return False
        question = await self.store.get_question(thread.id)
        if question is None:
            # The thread's own event was missed (the bot was down), or the thread is one /ask made,
            # whose asker only its starter names: the message is enough to know the question exists.
            if thread.owner_id is None and rules.is_starter(message):
                thread = replace(thread, owner_id=message.author_id)
            await self._add_question(thread)
            question = await self.store.get_question(thread.id)
            if question is None:
                return False
        if rules.is_starter(message):
            kind, parent = PostKind.QUESTION, None
        else:
            replied = await self.store.get_post(message.reply_to_id) if message.reply_to_id else None
            kind, parent = rules.place_in_thread(message, replied)
        post = Post(
            id=message.id,
            question_id=question.id,
            guild_id=question.guild_id,
            kind=kind,
            author_id=message.author_id,
            body=message.content,
            created_at=message.created_at,
            parent_id=parent,
            reply_to_id=message.reply_to_id if kind is PostKind.REPLY else None,
            attachments=message.attachments,
        )
        added = await self.store.add_post(post)
        if added and native and kind is PostKind.QUESTION:
            self._question_stored(question.id)
        if added and kind is PostKind.ANSWER:
            self.notices.nudge()  # its asker may be waiting to hear of it
        return added

    async def message_edited(self, message: MessageInfo, thread: ThreadInfo | None, edited_at: datetime) -> bool:
        """A new text is a revision by its author (only authors can edit a message on Discord)."""
        if thread is None or not rules.counts_as_post(message):
            return False
        async with self._in_order(thread.id):
            if thread.private:
                await self._forget_private(thread.id)
                return False
            if await self.store.get_post(message.id) is None:
                # Its creation was missed (the bot was down): the edit carries the whole message.
                return await self._add_post(message, thread)
            return await self.store.edit_post(message.id, message.content, message.author_id, edited_at)

    async def messages_deleted(self, thread_id: int, message_ids: list[int]) -> int:
        """Soft-delete posts (single and bulk deletes). Returns how many posts were deleted."""
        at = self.clock()
        deleted = 0
        async with self._in_order(thread_id):
            for message_id in message_ids:
                self._remember_deleted(message_id)
                if message_id == thread_id:
                    continue  # a forum post's starter goes with its thread: see thread_deleted
                deleted += await self.store.delete_post(message_id, at)
        return deleted

    def _remember_deleted(self, message_id: int) -> None:
        self._recently_deleted[message_id] = None
        if len(self._recently_deleted) > RECENT_DELETES_KEPT:
            del self._recently_deleted[next(iter(self._recently_deleted))]

    def was_deleted(self, message_id: int) -> bool:
        """Whether a delete for this message arrived lately, even if it was not a known post: a
        catch-up that read the message before it was deleted must not bring it back."""
        return message_id in self._recently_deleted

    async def thread_renamed(self, thread_id: int, name: str) -> bool:
        return await self.thread_renamed_at(thread_id, name, self.clock())

    async def thread_renamed_at(self, thread_id: int, name: str, observed_at: datetime) -> bool:
        """A rename seen at `observed_at`: catch-up passes the time it listed the thread, so a live
        rename after that (stamped later) is never overwritten by its older view."""
        title, editor = self._renaming.get(thread_id, (None, None))
        async with self._in_order(thread_id):
            editor = editor if title == name[:MAX_TITLE] else None
            return await self.store.rename_question(thread_id, name[:MAX_TITLE], editor, observed_at)

    # ----- /edit of an /ask question ------------------------------------------------------------
    def renaming(self, thread_id: int, title: str, editor_id: int | None) -> None:
        """/edit is about to rename the thread (editor None: it is done, or failed)."""
        if editor_id is None:
            self._renaming.pop(thread_id, None)
        else:
            self._renaming[thread_id] = (title, editor_id)

    async def question_edited(self, edit: QuestionEdit) -> bool:
        """Record an /edit Discord accepted: title, body and tags as revisions by the asker, as any
        edit or rename is (the gateway's events for the same change find nothing new)."""
        async with self._in_order(edit.thread_id):
            store, editor = self.store, edit.editor_id
            changed = await store.rename_question(edit.thread_id, edit.title, editor, edit.at)
            if edit.starter_id is not None:
                changed = await store.edit_post(edit.starter_id, edit.body, editor, edit.body_at) or changed
            return await store.set_question_tags(edit.thread_id, edit.tags, edit.at) or changed

    async def reconcile_votes(
        self, guild_id: int, post_id: int, changes: list[VoteChange], at: datetime, *,
        live_since: Callable[[int], bool],
    ) -> tuple[VoteTally, list[tuple[str, int]]]:  # fmt: skip
        """Apply vote catch-up's plan for one post (bot/forum/vote_catchup.py) as of `at`, the time
        taken before the snapshot was read. Returns what was done and the (emoji, member) reactions
        the bot should take off: the loser of a pair, and votes the rules refuse (own post, daily
        cap: applied as live, since the member voted under the same rules while the bot was away).

        `live_since(voter)` says whether a live reaction event for this member and post arrived after
        `at`: then the live event wins and catch-up leaves the vote alone. The store's ordering rule
        (STALE) covers the same ground where a row exists; this also covers a live removal of a vote
        the store never had, which leaves no row to compare with."""
        settings = self.settings(guild_id)
        emoji = {1: settings.upvote_emoji, -1: settings.downvote_emoji}
        tally, remove = VoteTally(), []
        for change in changes:
            # No await between the check and queueing the write: a live event handled after the
            # check queues its own write behind this one, and wins.
            if live_since(change.voter_id):
                tally.live_won += 1
                # The snapshot shows a reaction the store never had, and the member has since voted
                # the other way live: that live vote was a switch the live path could not see, so
                # the snapshot's reaction is the older one and comes off (no write: nothing to store).
                if change.value != 0 and await self.store.get_vote(post_id, change.voter_id) == -change.value:
                    remove.append((emoji[change.value], change.voter_id))
                continue
            tally.conflicts += change.conflict
            if change.conflict:
                remove.append((emoji[change.lose], change.voter_id))
            if not change.writes:
                continue
            if change.value == 0:
                outcome = await self.store.apply_vote(post_id, change.voter_id, 0, at, only_if=change.stored)
            else:
                outcome = await self.store.apply_vote(post_id, change.voter_id, change.value, at,
                                                      cap=settings.daily_vote_cap)  # fmt: skip
            # Scores changed: observers (the live summary) re-render, as after a live vote. The
            # notification belongs to VoteService; catch-up's writes are votes all the same.
            self.votes._notify(outcome)
            if outcome.result is VoteResult.CAST:
                if change.value == 0:
                    tally.withdrawn += 1
                else:
                    tally.added += 1
            elif outcome.result is VoteResult.STALE:
                tally.live_won += 1
            elif outcome.result in (VoteResult.OWN_POST, VoteResult.CAPPED):
                tally.refused += 1
                remove.append((emoji[change.value], change.voter_id))
        return tally, remove

    async def thread_deleted(self, thread_id: int) -> bool:
        async with self._in_order(thread_id):
            return await self.store.delete_question(thread_id, self.clock())

    # ----- reading -----------------------------------------------------------------------------
    async def question(self, thread_id: int) -> Question | None:
        return await self.store.get_question(thread_id)

    async def post(self, post_id: int) -> Post | None:
        return await self.store.get_post(post_id)

    async def revisions(self, post_id: int) -> list[Revision]:
        return await self.store.revisions(post_id)

    async def thread_view(self, thread_id: int) -> ThreadView | None:
        page = await self.store.thread_page(thread_id)
        return None if page is None else rules.build_thread_view(*page)

    async def guild_views(self, guild_id: int, *, deleted_answers: bool = False) -> list[ThreadView]:
        views = []
        for question in await self.store.list_questions(guild_id):
            posts = await self.store.question_posts(question.id, include_deleted=deleted_answers)
            views.append(rules.build_thread_view(question, posts, deleted_answers=deleted_answers))
        return views

    # ----- the live summary (where each thread's summary message is) --------------------------
    async def summary_place(self, thread_id: int) -> Place | None:
        return await self.store.summary_place(thread_id)

    async def set_summary_place(self, thread_id: int, place: Place) -> None:
        await self.store.set_summary_place(thread_id, place)


def _emoji(value: str, which: str) -> str:
    value = value.strip()
    if not value or len(value) > 64 or any(ch.isspace() for ch in value):
        raise BadInput(f"The {which} emoji must be a single emoji, like 👍 or <:name:id>.")
    return value
