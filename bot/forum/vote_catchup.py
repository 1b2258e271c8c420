"""Vote catch-up's decisions, free of Discord and SQL: which votes to store, withdraw or leave alone
after comparing who holds a vote reaction on a post (a snapshot read from Discord) with the store.

Discord keeps no time on a reaction, so what changed while the bot was away can only be read as a
snapshot. Counts are not enough (one member's vote removed and another's added leave the count
unchanged): the adapter reads every reacting member, and these functions compare member by member.

Both 👍 and 👎 held by one member (THE RULE):
- Live, the bot takes the older reaction off as soon as a member adds the opposite one, so a member
  seen holding both added the second while the bot was away. The reaction the store does NOT hold
  is therefore the newer one and wins ("the latest reaction wins", as live); the bot removes the
  other one so Discord shows one vote.
- When the store holds neither (both added while away, order unknown), the upvote wins: removing a
  downvote is the milder mistake (it costs neither the author nor the voter reputation).
- Unless the store still owes that member's old reaction a removal (a switch committed, then the
  bot stopped or was refused before taking the old reaction off: db/votes.py records it in the
  switch's transaction). Then the stored vote is the newer one and wins, and the bot removes the
  old reaction now. Without that record an acknowledged vote would be flipped back.
- When the bot cannot remove reactions in that channel (no Manage Messages), the pair stays visible
  whatever it decides; then the store keeps the vote it holds (or takes the upvote if it holds
  none), so repeated catch-ups don't flip the vote back and forth.

Votes cast by /vote (THE COMMAND RULE): a command vote has no reaction behind it, so holding none
leaves it standing. At the /vote the bot took off the reaction of the vote it replaced, or, where
Discord refused (an archived thread), recorded that removal as owed. So a reaction still owed
removal is the older action: it is not a vote, and comes off. Any other vote reaction the member
holds was added after the /vote: it is the latest action and replaces the command vote (both added
after it: the upvote, as when the store holds neither).

The same holds for a member with no standing vote whose reaction is still owed removal: the store's
latest word on them is "no vote", so that reaction is older and comes off, never counted. An erased
member is one (bot/forum/erasure.py): their votes count under a pseudonym now, and the reactions they
still hold in Discord are owed removal; counting them would count those votes twice and name them again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VoteChange:
    """What catch-up does about one member's vote on one post."""

    voter_id: int
    stored: int  # the store's vote when the plan was made (-1, 0, 1)
    value: int  # the vote Discord shows (-1, 0, 1): stored unless equal
    lose: int = 0  # held both: the vote (1 or -1) whose reaction the bot takes off; 0 otherwise
    recast: bool = False  # a /vote replaced by a newer reaction: stored as a reaction vote, same value or not

    @property
    def writes(self) -> bool:
        return self.value != self.stored or self.recast

    @property
    def conflict(self) -> bool:
        return self.lose != 0


def both_held_winner(stored: int, *, can_remove: bool, owed: int = 0) -> int:
    """The vote of a member holding both reactions (see THE RULE in the module docstring). `owed`:
    the vote whose reaction the store still owes a removal (0: none)."""
    if stored == 0:
        return 1
    if owed == -stored:
        return stored
    return -stored if can_remove else stored


def after_command(voter: int, stored: int, held: set[int], *, can_remove: bool, owed: int = 0) -> VoteChange | None:
    """The change for a member whose stored vote was cast by /vote (see THE COMMAND RULE), holding
    the vote reactions `held` (values); None when the command vote stands and nothing is to come off."""
    old = owed if owed in held else 0
    newer = held - {old}
    if not newer:
        return VoteChange(voter, stored, stored, lose=old) if old else None
    if len(newer) == 2:  # both added after it, order unknown: as when the store holds neither
        value = both_held_winner(0, can_remove=can_remove)
        return VoteChange(voter, stored, value, lose=-value, recast=True)
    return VoteChange(voter, stored, newer.pop(), lose=old, recast=True)


def plan_post(up: Iterable[int], down: Iterable[int], stored: Mapping[int, int], *, can_remove: bool,
              owed: Mapping[int, int] | None = None, commands: Collection[int] = ()) -> list[VoteChange]:  # fmt: skip
    """Changes for one post: `up`/`down` are the members (never bots) holding each vote reaction,
    `stored` the store's standing votes on the post (voter -> -1 or 1), `commands` the members whose
    vote (standing or cleared) was cast by /vote, `owed` the reactions whose removal the store owes
    (voter -> value). Members whose stored vote Discord still shows, and who hold nothing else, need
    nothing and are left out. By voter id, so a run is deterministic."""
    ups, downs = set(up), set(down)
    changes = []
    for voter in sorted(ups | downs | {v for v, value in stored.items() if value}):
        now, owes = stored.get(voter, 0), (owed or {}).get(voter, 0)
        if voter in commands or (owes and not now):
            held = {value for value, holders in ((1, ups), (-1, downs)) if voter in holders}
            change = after_command(voter, now, held, can_remove=can_remove, owed=owes)
            if change is not None:
                changes.append(change)
            continue
        if voter in ups and voter in downs:
            value = both_held_winner(now, can_remove=can_remove, owed=owes)
            changes.append(VoteChange(voter, now, value, lose=-value))
            continue
        value = 1 if voter in ups else -1 if voter in downs else 0
        if value != now:
            changes.append(VoteChange(voter, now, value))
    return changes


@dataclass(slots=True)
class VoteTally:
    """What vote catch-up did, for the run's Progress."""

    added: int = 0  # votes stored (new or switched)
    withdrawn: int = 0  # stored votes Discord no longer shows
    conflicts: int = 0  # members found holding both reactions, or a reaction a /vote replaced
    live_won: int = 0  # left alone: a live event for that member and post came after the snapshot
    refused: int = 0  # own post or daily cap: the bot takes the reaction off instead
