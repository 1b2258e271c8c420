"""Vote operations run by the single writer: one function per event, undone alone if it fails
(db/batch.py), so a vote, the post's score, the question's score and both members' reputation change
together or not at all. The rules themselves (what a vote is worth) come from bot.forum.voting."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field

from bot.forum.models import PostKind
from bot.forum.voting import START_REP, VoteOutcome, VoteResult, VoteVia, vote_effect

from . import vote_queries as vq
from .reputation import contribution_changed, fix_reputations, recount_reputations, replay_member


def apply_vote(
    post_id: int,
    voter_id: int,
    value: int,
    at: int,
    cap: int | None,
    day_start: int,
    only_if: int | None,
    via: VoteVia,
    conn: sqlite3.Connection,
) -> VoteOutcome:
    """Set `voter_id`'s vote on `post_id` to `value` (-1, 0 or 1) as of `at` (unix ms), cast `via`.

    `only_if`: change only a reaction vote of this value (a removed 👍 withdraws an upvote, not the
    downvote that replaced it, nor a /vote). `cap`: refuse a new vote beyond this many since `day_start`.
    """
    target = conn.execute(vq.VOTE_TARGET, (post_id,)).fetchone()
    if target is None or target[4] is not None or target[5] is not None:
        return VoteOutcome(VoteResult.NOT_A_POST, value=value)
    kind, author_id, guild_id, question_id = PostKind(target[0]), target[1], target[2], target[3]
    if author_id == voter_id:
        return VoteOutcome(VoteResult.OWN_POST, value=value)
    row = conn.execute(vq.GET_VOTE, (post_id, voter_id)).fetchone()
    previous, last_at, was = (row[0], row[1], VoteVia(row[2])) if row else (0, None, VoteVia.REACTION)
    if last_at is not None and at < last_at:
        return VoteOutcome(VoteResult.STALE, previous, value)
    if only_if is not None and value == 0:
        # That reaction is off in Discord (the member or the bot took it off): a removal owed for it
        # is done. Otherwise one owed to a member with no vote left (an erased member: their vote is
        # a pseudonym's) would outlive the reaction and make a reaction added again read as the old one.
        conn.execute(vq.SETTLE_UNREACTION_OF, (post_id, voter_id, only_if))
    if only_if is not None and (previous != only_if or was is VoteVia.COMMAND):
        return VoteOutcome(VoteResult.UNCHANGED, previous, value)
    if value == previous:
        if value != 0 and via is not was:
            # The same vote cast the other way is still the member's latest action: it decides what
            # catch-up compares (a /vote over a 👍 takes the 👍 off, a 👍 over a /vote stands for it).
            conn.execute(vq.SET_VOTE_VIA, (via.value, at, post_id, voter_id))
            # The vote's time moved to `at`, and with it its place among the contributions replayed
            # for reputation (db/reputation.py): replay whoever it counts for.
            for user_id, change in zip((author_id, voter_id), vote_effect(kind, value), strict=True):
                if change:
                    replay_member(conn, guild_id, user_id)
        owed = _owe_for_command(conn, post_id, voter_id, previous, was) if via is VoteVia.COMMAND else 0
        return VoteOutcome(VoteResult.UNCHANGED, previous, value, previous_via=was, owed=owed)
    if cap is not None and previous == 0 and value != 0:
        if conn.execute(vq.VOTES_CAST_SINCE, (guild_id, voter_id, day_start)).fetchone()[0] >= cap:
            return VoteOutcome(VoteResult.CAPPED, previous, value)
    conn.execute(vq.UPSERT_VOTE, (post_id, voter_id, guild_id, value, at, via.value))
    delta = value - previous
    conn.execute(vq.ADD_POST_SCORE, (delta, post_id))
    conn.execute(vq.ADD_QUESTION_SCORE, (delta, question_id, post_id))
    (author_old, voter_old), (author_new, voter_new) = vote_effect(kind, previous), vote_effect(kind, value)
    contribution_changed(conn, guild_id, author_id, author_old, author_new, at)
    contribution_changed(conn, guild_id, voter_id, voter_old, voter_new, at)
    if via is VoteVia.COMMAND:
        owed = _owe_for_command(conn, post_id, voter_id, previous, was)
        return VoteOutcome(VoteResult.CAST, previous, value, question_id, was, owed)
    if previous != 0:  # a new vote (the common case) can owe nothing: no extra statement for it
        if value == -previous:
            conn.execute(vq.OWE_UNREACTION, (post_id, voter_id, previous))  # settled once it is off
        else:
            conn.execute(vq.SETTLE_UNREACTION, (post_id, voter_id))
    return VoteOutcome(VoteResult.CAST, previous, value, question_id, was)


def _owe_for_command(conn: sqlite3.Connection, post_id: int, voter_id: int, previous: int, was: VoteVia) -> int:
    """A /vote has no reaction: the reaction of the vote it replaced is owed removal (settled once it
    is off). One owed by an earlier /vote stays owed. Returns the vote whose reaction is owed, or 0."""
    if previous != 0 and was is VoteVia.REACTION:
        conn.execute(vq.OWE_UNREACTION, (post_id, voter_id, previous))
        return previous
    row = conn.execute(vq.OWED_UNREACTION, (post_id, voter_id)).fetchone()
    return row[0] if row else 0


def settle_unreaction(post_id: int, voter_id: int, conn: sqlite3.Connection) -> None:
    conn.execute(vq.SETTLE_UNREACTION, (post_id, voter_id))


def take_back_votes(conn: sqlite3.Connection, post_id: int, kind: PostKind, author_id: int, guild_id: int) -> None:
    """A post was deleted (call after marking it): its votes stop counting for everyone's reputation
    (they stay stored), so whoever they counted for is replayed."""
    affected: set[int] = set()
    for voter_id, value in conn.execute(vq.POST_VOTES, (post_id,)).fetchall():
        author_change, voter_change = vote_effect(kind, value)
        affected.update(user for user, change in ((author_id, author_change), (voter_id, voter_change)) if change)
    for user_id in sorted(affected):
        replay_member(conn, guild_id, user_id)


def ensure_member(conn: sqlite3.Connection, guild_id: int, user_id: int) -> None:
    conn.execute(vq.ENSURE_MEMBER, (guild_id, user_id))


@dataclass
class Recount:
    """What a recount found: counters that differed from what the votes say, by kind."""

    posts: dict[int, tuple[int, int]] = field(default_factory=dict)  # id -> (stored, recounted)
    questions: dict[int, tuple[int, int]] = field(default_factory=dict)
    members: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)  # (guild, user) -> ...
    votes: int = 0  # standing votes counted
    checked: int = 0  # counters compared (posts, questions and members)

    @property
    def differences(self) -> int:
        return len(self.posts) + len(self.questions) + len(self.members)


class RecountProgress:
    """Rows a running recount has read, for a progress display. The recount updates its copy in the
    write process; the writer copies the attributes back here a few times a second."""

    EVERY = 10_000

    def __init__(self) -> None:
        self.phase = "votes"
        self.rows = 0


def recount(conn: sqlite3.Connection, fix: bool, progress: RecountProgress | None = None) -> Recount:
    """Rebuild every score from the votes and every reputation by replaying the votes and
    acceptances in time order (db/reputation.py), and compare with the maintained counters; with
    `fix`, write the recounted values."""
    progress = progress or RecountProgress()
    post_scores: dict[int, int] = defaultdict(int)
    votes = 0
    for post_id, value in conn.execute(vq.ALL_STANDING_VOTES):
        votes += 1
        if votes % RecountProgress.EVERY == 0:
            progress.rows = votes
        post_scores[post_id] += value
    progress.phase, progress.rows = "reputation", 0
    reputation = recount_reputations(conn, progress, RecountProgress.EVERY)

    found = Recount(votes=votes)
    progress.phase, progress.rows = "counters", 0
    for post_id, stored in conn.execute(vq.ALL_POST_SCORES).fetchall():
        found.checked += 1
        if stored != post_scores.get(post_id, 0):
            found.posts[post_id] = (stored, post_scores.get(post_id, 0))
    for question_id, stored, starter_id in conn.execute(vq.ALL_QUESTION_SCORES).fetchall():
        found.checked += 1
        expected = post_scores.get(starter_id, 0) if starter_id is not None else 0
        if stored != expected:
            found.questions[question_id] = (stored, expected)
    stored_rep = {(g, u): r for g, u, r in conn.execute(vq.ALL_REPUTATIONS).fetchall()}
    for key in stored_rep.keys() | reputation.keys():
        found.checked += 1
        expected = reputation.get(key, (START_REP, 0))[0]
        if stored_rep.get(key, START_REP) != expected:
            found.members[key] = (stored_rep.get(key, START_REP), expected)
    progress.rows = found.checked
    if fix:
        progress.phase = "fixing"
        conn.executemany(vq.SET_POST_SCORE, [(new, pid) for pid, (_, new) in found.posts.items()])
        conn.executemany(vq.SET_QUESTION_SCORE, [(new, qid) for qid, (_, new) in found.questions.items()])
        fix_reputations(conn, [(g, u, new, reputation.get((g, u), (START_REP, 0))[1])
                               for (g, u), (_, new) in found.members.items()])  # fmt: skip
    return found
