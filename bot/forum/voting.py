"""Voting and reputation rules (Stack Exchange's), as pure functions the store applies in the same
transaction as the vote that triggers them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum

from .models import GuildSettings, PostKind

UPVOTE_REP = 10  # to the author of an upvoted question or answer
DOWNVOTE_REP = -2  # to the author of a downvoted question or answer
ANSWER_DOWNVOTER_REP = -1  # to a member who downvotes an answer: downvotes should cost something
ACCEPTED_REP = 15  # to the author of the accepted answer
ACCEPTER_REP = 2  # to the member who accepted it, unless they accepted their own answer
START_REP = 1  # reputation is stored as 1 plus every effect, and shown never below 1


def vote_effect(kind: PostKind, value: int) -> tuple[int, int]:
    """(author's change, voter's change) that a vote of `value` (-1, 0, 1) on a post of `kind` makes.

    Replies can be voted on (their score shows), but like comments on Stack Exchange they earn no
    reputation."""
    if kind is PostKind.REPLY or value == 0:
        return 0, 0
    if value > 0:
        return UPVOTE_REP, 0
    return DOWNVOTE_REP, ANSWER_DOWNVOTER_REP if kind is PostKind.ANSWER else 0


def acceptance_effect(answer_author: int, accepter: int | None) -> dict[int, int]:
    """Reputation changes an accepted answer makes, by member."""
    effects = {answer_author: ACCEPTED_REP}
    if accepter is not None and accepter != answer_author:
        effects[accepter] = effects.get(accepter, 0) + ACCEPTER_REP
    return effects


def shown_reputation(stored: int) -> int:
    return max(START_REP, stored)


def vote_value(settings: GuildSettings, emoji: str) -> int:
    """+1, -1, or 0 for an emoji that is not a vote in this guild."""
    if emoji == settings.upvote_emoji:
        return 1
    if emoji == settings.downvote_emoji:
        return -1
    return 0


def day_start(moment: datetime) -> datetime:
    """The daily vote cap counts votes since midnight UTC, as Stack Exchange does."""
    return datetime.combine(moment.date(), time(0), tzinfo=moment.tzinfo)


class VoteVia(StrEnum):
    """How a vote was cast. Catch-up compares reaction votes with Discord's reactions; a command vote
    (/vote) has no reaction behind it, and stands until the member's next action."""

    REACTION = "reaction"
    COMMAND = "command"


class VoteResult(StrEnum):
    CAST = "cast"  # the vote changed (new, switched or withdrawn)
    UNCHANGED = "unchanged"  # the same vote again: a replayed event, or cast another way (only `via` changed)
    STALE = "stale"  # a newer event for this member and post is already stored
    NOT_A_POST = "not_a_post"  # unknown message, or a deleted post
    OWN_POST = "own_post"
    CAPPED = "capped"  # the member reached the daily cap


@dataclass(frozen=True, slots=True)
class VoteOutcome:
    result: VoteResult
    previous: int = 0  # the member's vote on the post before this event
    value: int = 0  # the vote this event asked for
    question_id: int | None = None  # the thread of the post, when a vote was cast (what to re-render)
    previous_via: VoteVia = VoteVia.REACTION  # how the previous vote was cast
    owed: int = 0  # after a /vote: the vote (1 or -1) whose reaction the bot is to take off, if any
