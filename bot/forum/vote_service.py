"""Votes by reaction: what a reaction added or removed means, and what the bot should do about it
(take a reaction off so Discord shows the truth, tell the member something privately)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .models import GuildSettings
from .ports import ForumStore
from .voting import VoteOutcome, VoteResult, day_start, vote_value


@dataclass(frozen=True, slots=True)
class ReactionEffect:
    outcome: VoteOutcome
    remove: tuple[tuple[str, int], ...] = ()  # (emoji, member id) reactions the bot should take off
    tell: str | None = None  # a private note for the member who reacted


OWN_POST_NOTE = "Votes on your own posts don't count, so I removed that reaction. (I'll only say this once.)"


class VoteService:
    def __init__(self, store: ForumStore, settings: Callable[[int], GuildSettings],
                 clock: Callable[[], datetime]) -> None:  # fmt: skip
        self.store = store
        self.settings = settings
        self.clock = clock

    async def reaction_added(self, guild_id: int, message_id: int, user_id: int, user_is_bot: bool,
                             emoji: str) -> ReactionEffect | None:  # fmt: skip
        """None when the reaction is not a vote (another emoji, a bot's reaction)."""
        settings = self.settings(guild_id)
        value = vote_value(settings, emoji)
        if value == 0 or user_is_bot:
            return None
        # No await before the store call: reaction events of one member are queued to the writer in
        # the order Discord sent them, so the latest reaction wins.
        outcome = await self.store.apply_vote(message_id, user_id, value, self.clock(), cap=settings.daily_vote_cap)
        if outcome.result is VoteResult.CAST and outcome.previous == -value:
            opposite = settings.downvote_emoji if value > 0 else settings.upvote_emoji
            return ReactionEffect(outcome, remove=((opposite, user_id),))
        if outcome.result is VoteResult.OWN_POST:
            tell = await self._once(f"told:own_post:{guild_id}:{user_id}", OWN_POST_NOTE)
            return ReactionEffect(outcome, remove=((emoji, user_id),), tell=tell)
        if outcome.result is VoteResult.CAPPED:
            today = day_start(self.clock()).date().isoformat()
            note = (
                f"You have cast your {settings.daily_vote_cap} votes for today, so I removed that reaction. "
                "Votes come back at midnight UTC."
            )
            tell = await self._once(f"told:capped:{guild_id}:{user_id}:{today}", note)
            return ReactionEffect(outcome, remove=((emoji, user_id),), tell=tell)
        return ReactionEffect(outcome)

    async def reaction_removed(self, guild_id: int, message_id: int, user_id: int, emoji: str) -> ReactionEffect | None:
        """Taking a vote reaction off withdraws that vote, and only that one: when the bot removes
        the opposite reaction after a switch, the new vote stays."""
        value = vote_value(self.settings(guild_id), emoji)
        if value == 0:
            return None
        outcome = await self.store.apply_vote(message_id, user_id, 0, self.clock(), only_if=value)
        return ReactionEffect(outcome)

    async def _once(self, key: str, text: str) -> str | None:
        if await self.store.get_meta(key) is not None:
            return None
        await self.store.set_meta(key, self.clock().isoformat())
        return text
