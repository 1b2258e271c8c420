"""Member statistics: /profile and the /top leaderboard, read from maintained counters.

Reputation is read as stored (1 plus every effect, maintained in the vote's transaction) and shown
never below 1; counts of posts are index ranges over live posts. Nothing here aggregates votes.
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import NotFound
from .models import Leaderboard, Profile, RankedMember
from .ports import ForumStore
from .visibility import Readable
from .voting import shown_reputation

PAGE_SIZE = 10
BEST_POSTS = 5


def rank_page(rows: Sequence[tuple[int, int]], offset: int, first_rank: int) -> list[RankedMember]:
    """Ranks for a page of (member id, stored reputation) rows in leaderboard order, starting at
    position `offset`. A rank is 1 + the number of members with a higher *shown* reputation, so
    members who show the same number share a rank ("1, 2, 2, 4"), whatever they store below 1.

    `first_rank` is the first row's rank (it may tie with rows on earlier pages, so only a count
    knows it). After it, a row that shows less than the row before it has everybody before it
    above it: its rank is its position."""
    ranked: list[RankedMember] = []
    for index, (user_id, stored) in enumerate(rows):
        shown = shown_reputation(stored)
        if not ranked:
            rank = first_rank
        elif shown == ranked[-1].reputation:
            rank = ranked[-1].rank
        else:
            rank = offset + index + 1
        ranked.append(RankedMember(rank, user_id, shown))
    return ranked


class Profiles:
    def __init__(self, store: ForumStore) -> None:
        self.store = store

    async def rank_of(self, guild_id: int, shown: int) -> int:
        return 1 + await self.store.members_above(guild_id, shown)

    async def profile(self, guild_id: int, user_id: int, name: str, readable: Readable) -> Profile:
        """A member's profile. `name` is how the member is called in the error when they have not
        asked or answered anything yet (their reputation is still told: it starts at 1). Best posts
        are those the viewer may read (`readable`)."""
        counts = await self.store.member_counts(guild_id, user_id)
        shown = shown_reputation(counts.reputation if counts.reputation is not None else 1)
        if counts.questions == 0 and counts.answers == 0:
            raise NotFound(f"{name} hasn't asked or answered anything here yet (reputation {shown}).")
        rank = await self.rank_of(guild_id, shown) if counts.reputation is not None else None
        best = await self.store.best_posts(guild_id, user_id, BEST_POSTS, readable=readable)
        return Profile(guild_id, user_id, shown, rank, counts.questions, counts.answers, counts.accepted, tuple(best))

    async def leaderboard(self, guild_id: int, page: int, caller_id: int) -> Leaderboard:
        """Page `page` (0-based) of the guild's members by reputation, with the caller's own rank.
        A page past the end (the board can only grow, so only a forged button leads there) shows
        the first page."""
        page = max(page, 0)
        rows = await self.store.leaderboard(guild_id, limit=PAGE_SIZE + 1, offset=page * PAGE_SIZE)
        if not rows and page > 0:
            page = 0
            rows = await self.store.leaderboard(guild_id, limit=PAGE_SIZE + 1, offset=0)
        if not rows:
            raise NotFound("Nobody here has any reputation yet: ask or answer a question to be the first on the board.")
        shown_rows = rows[:PAGE_SIZE]
        first_rank = await self.rank_of(guild_id, shown_reputation(shown_rows[0][1]))
        entries = rank_page(shown_rows, page * PAGE_SIZE, first_rank)
        caller = next((e for e in entries if e.user_id == caller_id), None)
        if caller is None:
            stored = await self.store.member_reputation(guild_id, caller_id)
            if stored is not None:
                shown = shown_reputation(stored)
                caller = RankedMember(await self.rank_of(guild_id, shown), caller_id, shown)
        return Leaderboard(guild_id, page, tuple(entries), len(rows) > PAGE_SIZE, caller)
