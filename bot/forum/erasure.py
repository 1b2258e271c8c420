"""Erasure of a member's data in one server, on their request (`/privacy forget`) or an operator's
(`quorum forget`).

What goes: the text of every post they wrote there and of every revision of it, the titles of the
questions they asked (with their revisions), their display name, their web choice and their drafts.
Their posts stay, with a placeholder text, so threads keep their shape and scores. Votes they cast
still count, under a pseudonymous voter (a negative id, which no Discord id is), and so do their
moderation actions in the audit log, under the same pseudonym. The store then makes sure the old text
is gone from its files too (db/erasure.py). The vote reactions they hold in Discord would still name
them, and would read as new votes of theirs: they are owed removal, taken off at once where the bot
can (cogs/privacy.py) and otherwise by the next catch-up, which never counts them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

PLACEHOLDER = "deleted at the author's request"


@dataclass(frozen=True, slots=True)
class ErasureRequest:
    guild_id: int
    member_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class ErasurePlan:
    """What an erasure would touch, shown before the member confirms."""

    posts: int
    votes: int


@dataclass(frozen=True, slots=True)
class OwedReaction:
    """A vote reaction the member still holds in Discord after the erasure: its vote counts under the
    pseudonym, so the reaction is no vote, and its removal is owed (see db/erasure.py)."""

    thread_id: int
    post_id: int
    value: int  # the vote it showed (1 or -1)


@dataclass(frozen=True, slots=True)
class Erased:
    posts: int  # posts whose text became the placeholder
    revisions: int  # revisions (of bodies and titles) whose text became the placeholder
    titles: int  # questions whose title became the placeholder
    votes: int  # votes kept under a pseudonym
    audit_entries: int  # audit entries now under the pseudonym
    reactions: tuple[OwedReaction, ...] = ()  # for the bot to take off in Discord


class ErasureStore(Protocol):
    async def erasure_plan(self, guild_id: int, member_id: int) -> ErasurePlan: ...
    async def erase_member(self, request: ErasureRequest) -> Erased: ...


class Erasure:
    def __init__(self, store: ErasureStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    async def plan(self, guild_id: int, member_id: int) -> ErasurePlan:
        return await self.store.erasure_plan(guild_id, member_id)

    async def forget(self, guild_id: int, member_id: int) -> Erased:
        return await self.store.erase_member(ErasureRequest(guild_id, member_id, self.clock()))


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else many or one + 's'}"


def describe_plan(plan: ErasurePlan) -> str:
    """What `/privacy forget` tells the member before they confirm."""
    return (
        "**Forget me on this server?** This cannot be undone.\n"
        f"- the text of your {_n(plan.posts, 'post')} here and of every earlier version of it, and the titles "
        f'of your questions, become "{PLACEHOLDER}" (the posts stay, so threads keep their shape and scores)\n'
        "- your display name and your `/privacy web` choice are forgotten\n"
        f"- your {_n(plan.votes, 'vote')} still count, but no longer name you (your vote reactions are taken off); "
        "so do your moderation actions in the log\n"
        "Your messages in Discord itself are not touched: delete them there if you want them gone."
    )


def describe_erased(erased: Erased) -> str:
    """The one-line summary after an erasure (the member's, and `quorum forget`'s)."""
    return (
        f"erased: {_n(erased.posts, 'post')}, {_n(erased.revisions, 'revision')}, {_n(erased.titles, 'title')}; "
        f"kept anonymously: {_n(erased.votes, 'vote')}, {_n(erased.audit_entries, 'log entry', 'log entries')}"
    )
