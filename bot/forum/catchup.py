"""Catch-up's decisions, free of Discord and SQL: what changed while the bot was away.

The adapter (cogs/catchup.py) lists a watched channel's threads and reads each thread's history
oldest first; these functions say which messages to add, which to re-read as edits and which
stored posts to delete, and how far back archived threads need to be read at all.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from .models import Post
from .vote_catchup import VoteTally

# First run for a guild (no watermark yet): how far back archived threads are read. Older archived
# threads are left to live events from now on; `quorum catchup --days N` reaches further.
DEFAULT_FIRST_WINDOW = timedelta(days=7)
# Subtracted from the start of a completed run: covers clock skew between this host and Discord
# (archive timestamps are Discord's clock) and threads archived while that run was listing.
WATERMARK_MARGIN = timedelta(minutes=10)


def archived_cutoff(watermark: datetime | None, now: datetime, first_window: timedelta) -> datetime:
    """Archived threads whose archive time is older than this need no reading.

    An archived thread accepts no new message, edit or reaction; only unarchiving it (which moves
    its archive timestamp) reopens it. So one archived before the last completed catch-up started
    is already mirrored, except for moderators' deletes, which Discord still allows there and which
    only a full re-read (`--days`) would find.
    """
    return watermark if watermark is not None else now - first_window


DISCORD_EPOCH_MS = 1_420_070_400_000  # the first millisecond of 2015, where snowflake time starts


def first_id_at(at: datetime) -> int:
    """The smallest snowflake Discord can have made at `at` or later: ids sort as their times do."""
    return max(0, int(at.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22


def unlisted(active_since_cutoff: Iterable[int], listed: Iterable[int]) -> list[int]:
    """Questions with activity since the listing's cutoff that a complete listing did not show.

    A thread with a message after the cutoff was archived after it, if at all, so a complete listing
    (active threads, archived ones back to the cutoff) shows it: one that is missing was deleted
    while the bot was away, or the bot can no longer see it. The adapter asks Discord which.
    """
    return sorted(set(active_since_cutoff) - set(listed))


def newer_than_listing(live_seen_at: datetime | None, listed_at: datetime) -> bool:
    """Whether a live event about a thread arrived after catch-up listed it: then the live event's
    view (already mirrored) is the newer one and the listing's must not be applied."""
    return live_seen_at is not None and live_seen_at >= listed_at


def next_watermark(run_started: datetime) -> datetime:
    return run_started - WATERMARK_MARGIN


# ----- per message ------------------------------------------------------------------------------


class Action(Enum):
    NOTHING = "nothing"
    ADD = "add"  # the store has never seen it
    EDIT = "edit"  # known, and Discord shows a text edited since


@dataclass(frozen=True, slots=True)
class Seen:
    """What catch-up read of one message."""

    id: int
    content: str
    edited_at: datetime | None
    counts: bool  # a member's message, not a bot's or a system notice (rules.counts_as_post)


def decide(seen: Seen, stored: Post | None, *, deleted_live: bool) -> Action:
    """What to do with a message read from history, given the store's view of it.

    A message whose delete arrived live after the read must not come back. An edit is only worth a
    write when the text differs; the store still drops it if a newer live edit landed meanwhile
    (it compares edit times), so catch-up's older view never wins.
    """
    if not seen.counts:
        return Action.NOTHING
    if stored is None:
        return Action.NOTHING if deleted_live else Action.ADD
    if seen.edited_at is not None and stored.body != seen.content and stored.deleted_at is None:
        return Action.EDIT
    return Action.NOTHING


# ----- per thread -------------------------------------------------------------------------------


def read_horizon(seen_ids: Iterable[int], listed_last_message_id: int | None) -> int | None:
    """The newest message id that certainly existed when the history was read.

    History is read oldest first, so a message posted during the read either shows up on a later
    page or has an id above everything read. The thread's last_message_id, taken when it was
    listed (before the read), extends that to threads whose newest messages are all gone.
    """
    candidates = [i for i in (max(seen_ids, default=None), listed_last_message_id) if i is not None]
    return max(candidates) if candidates else None


def missing_posts(stored: Iterable[Post], seen_ids: set[int], horizon: int | None) -> list[int]:
    """Stored live posts that the history no longer has: deleted while the bot was away.

    Only ids up to the horizon: a post that arrived live after the read is not in the history and
    must not be deleted. Ids ascending, so deletes apply oldest first like Discord's events.
    """
    if horizon is None:
        return []
    return sorted(p.id for p in stored if p.deleted_at is None and p.id <= horizon and p.id not in seen_ids)


# ----- progress ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Progress:
    """Counts of one catch-up run; read by the progress display while the run fills it in."""

    started: float = field(default_factory=time.monotonic)
    guilds: int = 0
    threads_total: int = 0
    threads_done: int = 0
    threads_failed: int = 0
    messages: int = 0
    added: int = 0
    edited: int = 0
    deleted: int = 0
    threads_deleted: int = 0  # questions whose thread was deleted while the bot was away
    questions_added: int = 0
    renamed: int = 0
    locks: int = 0  # hand locks and unlocks made while away, mirrored as the question's status
    private_removed: int = 0  # questions an older version stored from private threads, removed
    # votes (bot/forum/vote_catchup.py): posts whose reactions were compared with the store
    posts_checked: int = 0
    votes_added: int = 0
    votes_withdrawn: int = 0
    vote_conflicts: int = 0  # members found holding both vote reactions, resolved by the rule
    votes_refused: int = 0  # own post or daily cap: the reaction was taken off
    votes_live_won: int = 0  # left to a live event that came after the snapshot
    finished: float | None = None

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def changed(self) -> int:
        return (self.added + self.edited + self.deleted + self.threads_deleted + self.questions_added + self.renamed
                + self.locks + self.private_removed
                + self.votes_added + self.votes_withdrawn + self.vote_conflicts + self.votes_refused)  # fmt: skip

    def count_votes(self, tally: VoteTally) -> None:
        self.posts_checked += 1
        self.votes_added += tally.added
        self.votes_withdrawn += tally.withdrawn
        self.vote_conflicts += tally.conflicts
        self.votes_refused += tally.refused
        self.votes_live_won += tally.live_won

    def line(self) -> str:
        threads = f"{self.threads_done}/{self.threads_total} threads"
        failed = f", {self.threads_failed} failed" if self.threads_failed else ""
        votes = f", votes of {self.posts_checked} posts checked" if self.posts_checked else ""
        return f"{threads}{failed}, {self.messages} messages read{votes}"

    def summary(self) -> str:
        failed = f", {self.threads_failed} failed" if self.threads_failed else ""
        return (
            f"catch-up: {self.threads_done} threads{failed}, {self.messages} messages read, "
            f"{self.questions_added} questions and {self.added} posts added, {self.edited} edited, "
            f"{self.deleted} deleted, {self.renamed} renamed, {self.locks} locked or unlocked, "
            f"{self.threads_deleted} deleted threads"
            f"{f', {self.private_removed} private threads removed' if self.private_removed else ''}; "
            f"votes on {self.posts_checked} posts: "
            f"{self.votes_added} added, {self.votes_withdrawn} withdrawn, {self.vote_conflicts} held both "
            f"(resolved), {self.votes_refused} refused, {self.votes_live_won} left to live events "
            f"in {self.seconds:.1f} s"
        )
