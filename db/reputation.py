"""Reputation as a maintained counter under the running floor (bot/forum/voting.py): reputation is
a member's contributions replayed in time order, never below 1 at any moment.

A new contribution newer than all the member has (members.rep_at) is one floored step: the common
case, a new vote, costs the one statement it always did. Anything else (a vote withdrawn or
switched, a deleted post, an acceptance moved or cleared, two contributions in the same millisecond)
replays that member's contributions, read through indexes of the member."""

from __future__ import annotations

import heapq
import sqlite3

from bot.forum.models import PostKind
from bot.forum.voting import START_REP, VOTE_CONTRIBUTION, acceptance_effect, floored, replay, vote_effect

from . import reputation_queries as rq


def add_contribution(conn: sqlite3.Connection, guild_id: int, user_id: int, change: int, at: int) -> None:
    """The member gains a contribution of `change` as of `at` (unix ms)."""
    if change and conn.execute(rq.APPEND, (guild_id, user_id, change, at)).rowcount == 0:
        replay_member(conn, guild_id, user_id)  # not newer than all they have: its place is in the past


def contribution_changed(conn: sqlite3.Connection, guild_id: int, user_id: int, before: int, after: int,
                         at: int) -> None:  # fmt: skip
    """One of the member's contributions (a vote's effect on them) went from `before` to `after`."""
    if before == 0:
        add_contribution(conn, guild_id, user_id, after, at)
    else:  # an older contribution changed or went away: the floor may have acted on it since
        replay_member(conn, guild_id, user_id)


def replay_member(conn: sqlite3.Connection, guild_id: int, user_id: int) -> None:
    """Recompute the member's reputation from their standing contributions, oldest first."""
    rows = conn.execute(rq.MEMBER_CONTRIBUTIONS, (guild_id, user_id)).fetchall()
    reputation = replay(_change_for(user_id, row) for row in rows)
    conn.execute(rq.SET_REPLAYED, (guild_id, user_id, reputation, rows[-1][0] if rows else 0))


def _change_for(user_id: int, row: tuple) -> int:
    _at, source, _first, _second, kind, value, author_id, actor_id, asker_id = row
    if source == VOTE_CONTRIBUTION:
        to_author, to_voter = vote_effect(PostKind(kind), value)
        return to_author if author_id == user_id else to_voter
    return acceptance_effect(author_id, actor_id, asker_id).get(user_id, 0)


def recount_reputations(conn: sqlite3.Connection, progress: object, every: int,
                        guild_id: int | None = None) -> dict[tuple[int, int], tuple[int, int]]:  # fmt: skip
    """Every member's reputation (in one guild's, with `guild_id`) replayed from all contributions in
    order: (guild, user) -> (reputation, time of their latest contribution). Members without any are
    left out (they are at START_REP). `progress.rows` counts the contributions read, every `every`."""
    reputation: dict[tuple[int, int], int] = {}
    latest: dict[tuple[int, int], int] = {}
    if guild_id is None:
        votes = conn.execute(rq.ORDERED_VOTES)
        acceptances = conn.cursor().execute(rq.ORDERED_ACCEPTANCES)
    else:
        votes = conn.execute(rq.GUILD_ORDERED_VOTES, (guild_id,))
        acceptances = conn.cursor().execute(rq.GUILD_ORDERED_ACCEPTANCES, (guild_id,))
    # The first four columns are the replay key, unique per contribution: the merge never compares more.
    for read, row in enumerate(heapq.merge(votes, acceptances), start=1):
        if read % every == 0:
            progress.rows = read  # type: ignore[attr-defined]
        at, source = row[0], row[1]
        if source == VOTE_CONTRIBUTION:
            _, _, _, voter_id, kind, value, author_id, guild_id = row
            to_author, to_voter = vote_effect(PostKind(kind), value)
            effects = ((author_id, to_author), (voter_id, to_voter))
        else:
            _, _, _, _, guild_id, answer_author, accepter, asker = row
            effects = tuple(acceptance_effect(answer_author, accepter, asker).items())
        for user_id, change in effects:
            if change:
                key = (guild_id, user_id)
                reputation[key] = floored(reputation.get(key, START_REP), change)
                latest[key] = at
    return {key: (rep, latest[key]) for key, rep in reputation.items()}


def fix_reputations(conn: sqlite3.Connection, fixes: list[tuple[int, int, int, int]]) -> None:
    """Write recounted (guild, user, reputation, latest contribution time) rows."""
    conn.executemany(rq.FIX_REPUTATION, fixes)
