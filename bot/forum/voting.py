"""Voting and reputation rules (Stack Exchange's), as pure functions the store applies in the same
transaction as the vote that triggers them.

Reputation starts at START_REP and never goes below it at any moment (a running floor): a member
at 1 who is downvoted stays at 1, and their next upvote takes them to 11. So reputation depends on
the order of what changed it. It is `replay` of a member's *contributions* in time order: each
standing vote (value != 0, on a live post of a live question) at its vote row's `at`, each
acceptance of a live answer at its question's `accepted_at` (same-time ties: see VOTE_CONTRIBUTION).
The store appends a contribution that is newer than everything the member has (one `floored`
step) and replays the member's contributions when an older one is taken back or changed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum

from .models import GuildSettings, PostKind

UPVOTE_REP = 10  # to the author of an upvoted question or answer
DOWNVOTE_REP = -2  # to the author of a downvoted question or answer
ANSWER_DOWNVOTER_REP = -1  # to a member who downvotes an answer: downvotes should cost something
ACCEPTED_REP = 15  # to the author of the accepted answer
ACCEPTER_REP = 2  # to the asker for accepting an answer (a moderator accepting earns nothing)
START_REP = 1  # everyone starts here, and nobody ever goes below it

# Contributions are ordered by (at, source, first id, second id) everywhere a reputation is
# replayed: at the same time votes come before acceptances, votes by (post id, voter id) and
# acceptances by (question id, 0). The store's queries order by the same key.
VOTE_CONTRIBUTION, ACCEPT_CONTRIBUTION = 0, 1


def vote_effect(kind: PostKind, value: int) -> tuple[int, int]:
    """(author's change, voter's change) that a vote of `value` (-1, 0, 1) on a post of `kind` makes.

    Replies can be voted on (their score shows), but like comments on Stack Exchange they earn no
    reputation."""
    if kind is PostKind.REPLY or value == 0:
        return 0, 0
    if value > 0:
        return UPVOTE_REP, 0
    return DOWNVOTE_REP, ANSWER_DOWNVOTER_REP if kind is PostKind.ANSWER else 0


def acceptance_effect(answer_author: int, accepter: int | None, asker: int) -> dict[int, int]:
    """Reputation changes an accepted answer makes, by member, as on Stack Exchange: +15 to the
    answer's author and +2 to the asker when the asker accepts. Accepting one's own answer earns
    nothing (Stack Exchange gives no reputation for a self-accepted answer), and neither does a
    moderator accepting an answer on someone else's question."""
    effects: dict[int, int] = {}
    if answer_author != asker and answer_author != accepter:
        effects[answer_author] = ACCEPTED_REP
    if accepter == asker and accepter != answer_author:
        effects[asker] = ACCEPTER_REP
    return effects


def floored(reputation: int, change: int) -> int:
    """One step of the running floor: reputation never goes below START_REP at any moment."""
    return max(START_REP, reputation + change)


def replay(changes: Iterable[int]) -> int:
    """A member's reputation from their contributions' changes, oldest first (see the module's doc)."""
    reputation = START_REP
    for change in changes:
        reputation = max(START_REP, reputation + change)
    return reputation


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
