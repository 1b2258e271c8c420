"""Votes by reaction: what a reaction added or removed means, and what the bot should do about it
(take a reaction off so Discord shows the truth, tell the member something privately)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import NotAllowed, NotFound, StoreUnavailable
from .models import GuildSettings, Post, ToldAbout, ToldOnce
from .ports import ForumStore
from .voting import VoteOutcome, VoteResult, VoteVia, day_start, vote_value

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReactionEffect:
    outcome: VoteOutcome
    remove: tuple[tuple[str, int], ...] = ()  # (emoji, member id) reactions the bot should take off
    tell: str | None = None  # a private note for the member who reacted
    # A switch: take `remove` off only if the member still holds this emoji in Discord. A reaction
    # event carries no time, so a replayed old "add 👍" after a switch to 👎 would otherwise look like
    # a new switch and cost the member their 👎. Otherwise `undo_stale_switch` puts the vote back.
    confirm: str | None = None


@dataclass(frozen=True, slots=True)
class DirectVote:
    """What `/vote` did: the outcome, and the post as it stands after it (its new score)."""

    outcome: VoteOutcome
    post: Post


OWN_POST_NOTE = "Votes on your own posts don't count, so I removed that reaction. (I'll only say this once.)"
NOT_A_POST = "That message is not a post in a question thread."
OWN_POST_REFUSED = "You can't vote on your own posts."
# A /vote has no reaction the repair could find later: it is lost for good, and the member must know.
VOTE_NOT_SAVED = ("Quorum could not save your vote right now (storage unavailable), so it does not count; "
                  "try again in a minute.")  # fmt: skip


class VoteService:
    def __init__(self, store: ForumStore, settings: Callable[[int], GuildSettings], clock: Callable[[], datetime],
                 in_order: Callable[[int], AbstractAsyncContextManager]) -> None:  # fmt: skip
        self.store = store
        self.settings = settings
        self.clock = clock
        self.in_order = in_order  # the per-thread lock message events hold while they write
        # Called with the thread id whenever a vote changed a score there (the live summary listens).
        # Plain callbacks, not tasks: they run on every vote, so they must cost next to nothing.
        self._observers: list[Callable[[int], None]] = []

    def observe(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """Call `callback(thread_id)` after every vote that changed a score; returns the undo."""
        self._observers.append(callback)
        return lambda: self._observers.remove(callback)

    def _notify(self, outcome: VoteOutcome) -> None:
        if outcome.result is VoteResult.CAST and outcome.question_id is not None:
            for callback in tuple(self._observers):
                try:
                    callback(outcome.question_id)
                except Exception:  # the vote is committed; an observer's bug must not undo its effects
                    log.exception("A vote observer failed for thread %s", outcome.question_id)

    async def reaction_added(self, guild_id: int, thread_id: int, message_id: int, user_id: int, user_is_bot: bool,
                             emoji: str) -> ReactionEffect | None:  # fmt: skip
        """None when the reaction is not a vote (another emoji, a bot's reaction)."""
        settings = self.settings(guild_id)
        value = vote_value(settings, emoji)
        if value == 0 or user_is_bot:
            return None
        # No await before the store call: reaction events of one member are queued to the writer in
        # the order Discord sent them, so the latest reaction wins.
        at = self.clock()
        outcome = await self.store.apply_vote(message_id, user_id, value, at, cap=settings.daily_vote_cap)
        if outcome.result is VoteResult.NOT_A_POST:
            outcome = await self._after_pending_messages(
                thread_id, lambda: self.store.apply_vote(message_id, user_id, value, at, cap=settings.daily_vote_cap)
            )
        self._notify(outcome)
        if outcome.result is VoteResult.CAST and outcome.previous == -value:
            opposite = settings.downvote_emoji if value > 0 else settings.upvote_emoji
            return ReactionEffect(outcome, remove=((opposite, user_id),), confirm=emoji)
        if outcome.result is VoteResult.OWN_POST:
            tell = await self._once(guild_id, user_id, ToldAbout.OWN_POST, None, OWN_POST_NOTE)
            return ReactionEffect(outcome, remove=((emoji, user_id),), tell=tell)
        if outcome.result is VoteResult.CAPPED:
            tomorrow = day_start(self.clock()) + timedelta(days=1)  # when the votes come back
            tell = await self._once(guild_id, user_id, ToldAbout.CAPPED, tomorrow, _capped_note(settings))
            return ReactionEffect(outcome, remove=((emoji, user_id),), tell=tell)
        return ReactionEffect(outcome)

    async def reaction_removed(self, guild_id: int, thread_id: int, message_id: int, user_id: int,
                               emoji: str) -> ReactionEffect | None:  # fmt: skip
        """Taking a vote reaction off withdraws that vote, and only that one: when the bot removes
        the opposite reaction after a switch, the new vote stays."""
        value = vote_value(self.settings(guild_id), emoji)
        if value == 0:
            return None
        at = self.clock()
        outcome = await self.store.apply_vote(message_id, user_id, 0, at, only_if=value)
        if outcome.result is VoteResult.NOT_A_POST:
            outcome = await self._after_pending_messages(
                thread_id, lambda: self.store.apply_vote(message_id, user_id, 0, at, only_if=value)
            )
        self._notify(outcome)
        return ReactionEffect(outcome)

    async def _after_pending_messages(self, thread_id: int,
                                      again: Callable[[], Awaitable[VoteOutcome]]) -> VoteOutcome:  # fmt: skip
        """A reaction right after its message can reach the writer before the message does (the
        message's handler reads the store first). Its handler already holds the thread's lock, so
        wait for that lock, then try once more, with the reaction's own time."""
        async with self.in_order(thread_id):
            pass
        return await again()

    async def undo_stale_switch(self, message_id: int, user_id: int, effect: ReactionEffect) -> None:
        """The member does not hold the emoji that switched their vote: the event was an old one
        replayed. Put back the vote they had."""
        outcome = await self.store.apply_vote(message_id, user_id, effect.outcome.previous, self.clock(),
                                              via=effect.outcome.previous_via)  # fmt: skip
        self._notify(outcome)
        await self.store.settle_unreaction(message_id, user_id)  # the member holds only the old one

    async def unreaction_done(self, message_id: int, user_id: int) -> None:
        """The switch's old reaction is off in Discord: the store no longer owes its removal."""
        await self.store.settle_unreaction(message_id, user_id)

    async def target(self, guild_id: int, message_id: int) -> Post:
        """The live post `/vote` names in this guild, or NotFound."""
        post = await self.store.get_post(message_id)
        if post is None or post.guild_id != guild_id or post.deleted_at is not None:
            raise NotFound(NOT_A_POST)
        return post

    async def vote(self, guild_id: int, message_id: int, user_id: int, value: int) -> DirectVote:
        """A vote without a reaction (`/vote`, for archived threads where Discord refuses reactions):
        the same rules and the same store operation as a reaction, remembered as a command vote, which
        catch-up leaves alone. One replacing a reaction vote (the same vote too: the latest action
        wins) owes that reaction's removal (`owed`): the adapter takes it off where Discord allows.
        Refusals raise a ForumError."""
        settings = self.settings(guild_id)
        await self.target(guild_id, message_id)
        try:
            outcome = await self.store.apply_vote(message_id, user_id, value, self.clock(),
                                                  cap=settings.daily_vote_cap, via=VoteVia.COMMAND)  # fmt: skip
        except StoreUnavailable as exc:
            raise StoreUnavailable(exc.reason, VOTE_NOT_SAVED) from exc
        self._notify(outcome)
        if outcome.result is VoteResult.NOT_A_POST:
            raise NotFound(NOT_A_POST)  # deleted between the two reads
        if outcome.result is VoteResult.OWN_POST:
            raise NotAllowed(OWN_POST_REFUSED)
        if outcome.result is VoteResult.CAPPED:
            raise NotAllowed(_capped_note(settings, by_reaction=False))
        return DirectVote(outcome, await self.target(guild_id, message_id))

    async def _once(self, guild_id: int, user_id: int, about: ToldAbout, expires_at: datetime | None,
                    text: str) -> str | None:  # fmt: skip
        told = await self.store.tell_once(ToldOnce(guild_id, user_id, about, expires_at, self.clock()))
        return text if told else None


def _capped_note(settings: GuildSettings, *, by_reaction: bool = True) -> str:
    removed = ", so I removed that reaction" if by_reaction else ""
    return f"You have cast your {settings.daily_vote_cap} votes for today{removed}. Votes come back at midnight UTC."
