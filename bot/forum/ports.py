"""What the forum needs from a store. db/ implements it; the forum never sees SQL.

Every write is idempotent on Discord ids, because Discord replays events after a RESUME and
catch-up may see what a live event already delivered. Writes return whether they changed anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from .models import (
    AuditEntry,
    CommandSync,
    GuildSettings,
    MemberCounts,
    Post,
    Question,
    QuestionStatus,
    Revision,
    ToldOnce,
    TopPost,
)
from .search import Candidates, Hit, SearchQuery, SearchResult
from .similar import PendingAsk, SimilarCandidate
from .summary import Place
from .visibility import Readable
from .voting import VoteOutcome, VoteVia


class ForumStore(Protocol):
    # guild setup
    async def get_settings(self, guild_id: int) -> GuildSettings | None: ...
    async def all_settings(self) -> list[GuildSettings]: ...
    async def save_settings(self, settings: GuildSettings, actor_id: int, at: datetime) -> None:
        """Upsert the settings and write a "setup" audit entry in the same transaction."""

    # questions and posts
    async def add_question(self, question: Question, starter: Post | None) -> bool:
        """Insert the question (and its starter post, if known) unless the thread is already known.
        Revision 1 of the title (and of the starter's body) is written with it."""

    async def get_question(self, thread_id: int) -> Question | None: ...
    async def list_questions(self, guild_id: int) -> list[Question]:
        """Oldest first."""

    async def add_post(self, post: Post) -> bool:
        """Insert unless the message id is known; revision 1 of its body is written with it."""

    async def get_post(self, post_id: int) -> Post | None: ...
    async def question_posts(self, thread_id: int, *, include_deleted: bool = False) -> list[Post]:
        """All posts of a thread (starter, answers, replies), oldest first."""

    async def thread_page(self, thread_id: int) -> tuple[Question, list[Post]] | None:
        """The question and its live posts (what question_posts gives), read together for the thread
        page; None if the question is unknown."""

    async def edit_post(self, post_id: int, body: str, editor_id: int | None, at: datetime) -> bool:
        """Record a new body as a revision. Ignored (False) when the text is unchanged or `at` is older
        than the post's latest known edit, so an older view never overwrites a newer one."""

    async def delete_post(self, post_id: int, at: datetime) -> bool:
        """Soft delete: the post stays with its history; False if unknown or already deleted."""

    async def rename_question(self, thread_id: int, title: str, editor_id: int | None, at: datetime) -> bool:
        """A thread rename is a revision of the title; same ordering rule as edit_post."""

    async def delete_question(self, thread_id: int, at: datetime) -> bool:
        """The thread was deleted: soft-delete the question and every post in it."""

    async def revisions(self, post_id: int) -> list[Revision]:
        """Oldest first. For a question, title revisions are stored under its thread id."""

    # questions that never were: private threads
    async def remove_questions(self, thread_ids: list[int], at: datetime) -> int:
        """Remove the questions with every row that came from them (posts, votes, revisions, search
        rows, tags), their effects on scores and reputation taken back. Unknown ids are skipped."""

    async def channels_of_unknown_thread_type(self, guild_id: int) -> list[int]:
        """Channels holding live questions stored before thread types were recorded."""

    async def record_thread_type(self, guild_id: int, channel_id: int, thread_type: int) -> int:
        """Set the thread type of the channel's live questions whose type is unknown."""

    # votes
    async def apply_vote(self, post_id: int, voter_id: int, value: int, at: datetime, *, cap: int | None = None,
                         only_if: int | None = None, via: VoteVia = VoteVia.REACTION) -> VoteOutcome:  # fmt: skip
        """Set a member's vote (-1, 0, 1) with its effects on scores and reputation, atomically.
        Refuses votes on unknown or deleted posts and on one's own; with `cap`, new votes beyond that
        many since the start of the day; with `only_if`, changes only a reaction vote that currently
        has that value. An event older than the stored one for the same member and post is STALE.
        A vote remembers `via`; a /vote replacing a reaction vote owes that reaction's removal."""

    async def get_vote(self, post_id: int, voter_id: int) -> int: ...

    async def set_acceptance(self, thread_id: int, answer_id: int | None, accepter_id: int | None, at: datetime,
                             audit: AuditEntry | None = None) -> bool:  # fmt: skip
        """Make `answer_id` (or nothing) the accepted answer, with the reputation it gives and the audit
        entry, in one transaction. False when nothing changed."""

    async def settle_unreaction(self, post_id: int, voter_id: int) -> None:
        """A switch's old reaction is off in Discord: the removal is no longer owed."""

    async def owed_unreactions(self, thread_id: int) -> dict[int, dict[int, int]]:
        """Removals still owed after switches (a crash or a refusal in between): post -> voter ->
        the vote whose reaction is to come off."""

    async def questions_active_since(self, guild_id: int, channel_id: int, since_id: int) -> list[int]:
        """Live questions of the channel whose thread, or any post in it, has an id >= `since_id`."""

    async def standing_votes(self, thread_id: int) -> dict[int, dict[int, int]]:
        """Standing votes (value -1 or 1) on the thread's live posts: post id -> voter id -> value.
        Catch-up compares them with the reactions Discord shows."""

    async def command_votes(self, thread_id: int) -> dict[int, set[int]]:
        """Members whose vote on a live post of the thread was cast by /vote: post -> voter ids.
        Catch-up leaves those votes alone unless a newer reaction replaced them."""

    async def set_status(self, thread_id: int, status: QuestionStatus, duplicate_of: int | None, at: datetime,
                         audit: AuditEntry | None = None) -> bool:  # fmt: skip
        """Set the question's status (and the question it duplicates, or None) with the audit entry in
        one transaction. False, with no audit entry, when unknown, deleted or already so."""

    # members
    async def reputations(self, guild_id: int) -> dict[int, int]:
        """Stored reputation (never below 1: see bot/forum/voting.py) of every member the guild has seen."""

    # member statistics (db/member_stats.py): /profile and /top
    async def member_counts(self, guild_id: int, user_id: int) -> MemberCounts:
        """Live questions, answers and accepted answers of a member, and their stored reputation."""

    async def best_posts(self, guild_id: int, user_id: int, limit: int, *, readable: Readable | None) -> list[TopPost]:
        """A member's live questions and answers with the highest scores, best first, among those
        in `readable` channels (None: every channel)."""

    async def leaderboard(self, guild_id: int, *, limit: int, offset: int = 0) -> list[tuple[int, int]]:
        """(member id, stored reputation), highest first, ties by member id."""

    async def members_above(self, guild_id: int, reputation: int) -> int:
        """How many members have a stored reputation above `reputation` (rank = 1 + this)."""

    async def member_reputation(self, guild_id: int, user_id: int) -> int | None:
        """Stored reputation, or None when the forum never saw the member."""

    # bookkeeping
    async def guild_ids(self) -> list[int]:
        """Guilds with settings or questions."""

    async def add_audit(self, entry: AuditEntry) -> None: ...
    async def audit_log(
        self, guild_id: int, *, actor_id: int | None = None, limit: int = 20, offset: int = 0
    ) -> list[AuditEntry]: ...
    async def audit_count(self, guild_id: int, *, actor_id: int | None = None) -> int: ...
    async def tell_once(self, mark: ToldOnce) -> bool:
        """Mark that the member is told, unless a mark stands (one expired by `mark.at` does not):
        False, and nothing written, when they were told already."""

    async def commands_digest(self, application_id: int, guild_id: int | None) -> str | None: ...
    async def set_commands_digest(self, sync: CommandSync) -> None: ...

    # the live summary's place (bot/forum/summary.py) and catch-up's watermark (bot/forum/catchup.py)
    async def summary_place(self, question_id: int) -> Place | None: ...
    async def set_summary_place(self, question_id: int, place: Place) -> None: ...
    async def catchup_watermark(self, guild_id: int) -> datetime | None: ...
    async def set_catchup_watermark(self, guild_id: int, since: datetime) -> None: ...
    async def probe_write(self, at: datetime) -> None:
        """One small write, to learn whether the store takes writes again: raises StoreUnavailable
        (bot/forum/errors.py) while it cannot. Every write raises it then, for the same reasons."""

    # search (db/search.py)
    async def search_candidates(self, guild_id: int, query: SearchQuery, limit: int, *,
                                readable: Readable | None) -> Candidates:  # fmt: skip
        """Posts matching the query's words (the newest `limit`), with bm25 relevance and the filters
        applied; without words, the newest `limit` questions the filters allow. Only questions in
        `readable` channels count (None: every channel, for tools no member uses). The walk's work
        is bounded: cut short, the result says it is not complete. Like every search method here,
        raises search.TooBroad when it runs past its time budget."""

    async def search_results(self, hits: list[Hit], query: SearchQuery) -> list[SearchResult]:
        """Result lines (title, score, answers, snippet of the hit's post) in the order given."""

    async def similar_candidates(
        self,
        guild_id: int,
        terms: tuple[str, ...],
        limit: int,
        *,
        readable: Readable | None,
        title_only: bool = False,
        every: bool = False,
    ) -> list[SimilarCandidate]: ...

    # tags
    async def set_question_tags(self, thread_id: int, tags: tuple[str, ...], at: datetime) -> bool: ...
    async def tag_names(self, guild_id: int) -> list[str]: ...
    async def tag_leaders(self, guild_id: int, tag: str, limit: int = 10) -> list[tuple[int, int, int]]:
        """(member id, summed answer score, answers) in a tag's live questions, best first."""

    # /ask drafts waiting on the similar-questions step
    async def save_pending_ask(self, draft: PendingAsk) -> None: ...
    async def get_pending_ask(self, draft_id: int) -> PendingAsk | None: ...
    async def take_pending_ask(self, draft_id: int, user_id: int) -> PendingAsk | None:
        """Remove and return the member's draft atomically; None when it is gone or not theirs."""
