"""Follow-ups of the help forum: a nudge to an asker who went quiet after answers came, archiving a
solved question's thread, and /unanswered. What is due is read from the store (migration 0015), never
from timers kept in memory, so a restart loses nothing and sends nothing twice.

The rules: a question is nudged when it is open, has answers by others but none accepted, its newest
such answer is `idle_nudge_hours` old and its asker has not written since; once per newest answer
(a later answer makes it due again). An accepted question's thread is archived
`archive_after_accept_hours` after the acceptance, once per acceptance. 0 hours: off."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from .acceptance import check_unsolved, may_accept
from .errors import BadInput, NotAllowed, NotFound
from .models import GuildSettings, Post, Question, QuestionStatus
from .rules import build_thread_view
from .visibility import Readable

MAX_HOURS = 8760  # a year; the store's CHECK and the export schema say the same
DEFAULT_HOURS = 24  # both delays, for a new server (GuildSettings)
# A follow-up that came due longer ago than this (the bot was away a long time, or a guild switched
# nudges on with old questions waiting) is let go: a nudge weeks late helps nobody.
LATE_LIMIT = timedelta(days=7)
PER_PASS = 50  # follow-ups of each kind sent per guild and pass; the rest wait for the next pass
ANSWER_CHOICES = 25  # a select menu holds at most 25 options (Discord)
PAGE_SIZE = 10
MAX_PAGE = 500  # pages are read by offset over an index: the walk stays bounded


class UnansweredSort(StrEnum):
    OLDEST = "oldest"
    VOTES = "votes"


@dataclass(frozen=True, slots=True)
class DueQuery:
    guild_id: int
    oldest: datetime  # follow-ups whose time (answer, acceptance) is older are let go
    cutoff: datetime  # ... and those newer are not due yet
    limit: int


@dataclass(frozen=True, slots=True)
class DueNudge:
    question_id: int
    guild_id: int
    channel_id: int
    asker_id: int
    answer_id: int  # the newest answer by someone else, which the nudge is about


@dataclass(frozen=True, slots=True)
class NudgeClaim:
    question_id: int
    cutoff: datetime  # still due by then: checked again in the write


@dataclass(frozen=True, slots=True)
class NudgeSent:
    question_id: int
    answer_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class DueArchive:
    question_id: int
    guild_id: int
    channel_id: int
    accepted_at: datetime  # the acceptance whose archive this is


@dataclass(frozen=True, slots=True)
class UnansweredQuery:
    guild_id: int
    readable: Readable
    sort: UnansweredSort
    tag: str | None
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class UnansweredRow:
    id: int
    guild_id: int
    channel_id: int
    title: str
    author_id: int
    score: int
    tags: tuple[str, ...]
    created_at: datetime
    help_wanted_at: datetime | None  # the asker pressed "Still need help"
    answered: bool  # has an answer by someone other than the asker
    answers: int  # live answers by others than the asker (as `answered`)


@dataclass(frozen=True, slots=True)
class UnansweredPage:
    rows: tuple[UnansweredRow, ...]
    page: int  # 0-based
    has_next: bool
    sort: UnansweredSort
    tag: str | None


class FollowupStore(Protocol):
    async def nudges_due(self, query: DueQuery) -> list[DueNudge]: ...
    async def claim_nudge(self, claim: NudgeClaim) -> int | None:
        """Mark the nudge as sent for the question's newest answer, if it is still due; the answer's
        id, or None when it is not (any more). Only one claim per answer ever wins."""

    async def nudge_sent(self, sent: NudgeSent) -> None: ...
    async def nudge_message(self, question_id: int) -> int | None: ...
    async def nudge_closed(self, question_id: int, message_id: int) -> None: ...
    async def archives_due(self, query: DueQuery) -> list[DueArchive]: ...
    async def archive_done(self, archive: DueArchive) -> None: ...
    async def want_help(self, question_id: int, at: datetime) -> bool: ...
    async def unanswered(self, query: UnansweredQuery) -> list[UnansweredRow]: ...
    async def get_question(self, thread_id: int) -> Question | None: ...
    async def thread_page(self, thread_id: int) -> tuple[Question, list[Post]] | None: ...
    async def tag_names(self, guild_id: int) -> list[str]: ...


def check_hours(value: int, what: str) -> int:
    if not 0 <= value <= MAX_HOURS:
        raise BadInput(f"{what} must be between 0 (off) and {MAX_HOURS} hours.")
    return value


def due_window(now: datetime, hours: int) -> tuple[datetime, datetime]:
    """(oldest, cutoff): what is at least `hours` old, and not more than LATE_LIMIT later than due."""
    cutoff = now - timedelta(hours=hours)
    return cutoff - LATE_LIMIT, cutoff


def answer_choices(question: Question, posts: list[Post]) -> list[Post]:
    """The answers a member picks the accepted one from: the /question view's order (accepted first,
    then score, then age), the first 25."""
    return [view.answer for view in build_thread_view(question, posts).answers[:ANSWER_CHOICES]]


class Followups:
    def __init__(self, store: FollowupStore, clock: Callable[[], datetime],
                 settings: Callable[[int], GuildSettings]) -> None:  # fmt: skip
        self.store = store
        self.clock = clock
        self.settings = settings

    # ----- the periodic job (bot/followups.py) -------------------------------------------------
    async def nudges_due(self, guild_ids: Iterable[int]) -> list[DueNudge]:
        due: list[DueNudge] = []
        now = self.clock()
        for guild_id in guild_ids:
            hours = self.settings(guild_id).idle_nudge_hours
            if hours > 0:
                oldest, cutoff = due_window(now, hours)
                due += await self.store.nudges_due(DueQuery(guild_id, oldest, cutoff, PER_PASS))
        return due

    async def claim_nudge(self, nudge: DueNudge) -> bool:
        """Record the nudge before it is sent (see bot/followups.py for why before)."""
        hours = self.settings(nudge.guild_id).idle_nudge_hours
        if hours <= 0:
            return False
        _, cutoff = due_window(self.clock(), hours)
        return await self.store.claim_nudge(NudgeClaim(nudge.question_id, cutoff)) is not None

    async def nudge_sent(self, nudge: DueNudge, message_id: int) -> None:
        await self.store.nudge_sent(NudgeSent(nudge.question_id, nudge.answer_id, message_id))

    async def nudge_to_close(self, question_id: int) -> int | None:
        """The nudge message whose buttons go now that the question has an accepted answer."""
        return await self.store.nudge_message(question_id)

    async def nudge_closed(self, question_id: int, message_id: int) -> None:
        await self.store.nudge_closed(question_id, message_id)

    async def archives_due(self, guild_ids: Iterable[int]) -> list[DueArchive]:
        due: list[DueArchive] = []
        now = self.clock()
        for guild_id in guild_ids:
            hours = self.settings(guild_id).archive_after_accept_hours
            if hours > 0:
                oldest, cutoff = due_window(now, hours)
                due += await self.store.archives_due(DueQuery(guild_id, oldest, cutoff, PER_PASS))
        return due

    async def still_due(self, archive: DueArchive) -> bool:
        """Read again just before archiving: the acceptance may have been cleared or moved since."""
        question = await self.store.get_question(archive.question_id)
        if question is None or question.deleted_at is not None or question.accepted_answer_id is None:
            return False
        at = archive.accepted_at
        due = await self.store.archives_due(DueQuery(archive.guild_id, at, at, PER_PASS))
        return any(d.question_id == archive.question_id for d in due)

    async def archive_done(self, archive: DueArchive) -> None:
        await self.store.archive_done(archive)

    # ----- the nudge's buttons (cogs/nudges.py) -------------------------------------------------
    async def choices(self, question_id: int, member_id: int, moderator: bool) -> tuple[Question, list[Post]]:
        """The answers the member may accept from, for "Mark the answer that solved it"."""
        question = await self.unsolved(question_id)
        if not may_accept(question, member_id, moderator):
            raise NotAllowed("Only the asker or a moderator can mark the answer that solved this question.")
        page = await self.store.thread_page(question_id)
        answers = answer_choices(*page) if page is not None else []
        if not answers:
            raise NotFound("This question has no answers to mark.")
        return question, answers

    async def still_need_help(self, question_id: int, member_id: int) -> bool:
        """The asker says no answer solved it: the question goes to the top of /unanswered. False
        when it was flagged already."""
        question = await self.unsolved(question_id)
        if member_id != question.author_id:
            raise NotAllowed("Only the asker can say this question still needs help.")
        return await self.store.want_help(question_id, self.clock())

    async def unsolved(self, question_id: int) -> Question:
        """The question a nudge's button is about, open and without an accepted answer: one accepted
        another way since is said plainly (its nudge's buttons are being or were removed)."""
        question = await self._open_question(question_id)
        check_unsolved(question)
        return question

    async def _open_question(self, question_id: int) -> Question:
        question = await self.store.get_question(question_id)
        if question is None or question.deleted_at is not None:
            raise NotFound("This question no longer exists.")
        if question.status is not QuestionStatus.OPEN:
            raise BadInput(f"This question is {question.status.value}.")
        return question

    # ----- /unanswered --------------------------------------------------------------------------
    async def unanswered(self, guild_id: int, readable: Readable, sort: UnansweredSort, tag: str | None,
                         page: int) -> UnansweredPage:  # fmt: skip
        """A page of the open questions without an accepted answer the member may read: "Still need
        help" first, then those without answers, then the rest, each group by `sort`."""
        page = min(max(page, 0), MAX_PAGE - 1)
        if tag is not None:
            tag = await self._known_tag(guild_id, tag)
        query = UnansweredQuery(guild_id, readable, sort, tag, PAGE_SIZE + 1, page * PAGE_SIZE)
        rows = await self.store.unanswered(query)
        has_next = len(rows) > PAGE_SIZE and page < MAX_PAGE - 1
        return UnansweredPage(tuple(rows[:PAGE_SIZE]), page, has_next, sort, tag)

    async def _known_tag(self, guild_id: int, tag: str) -> str:
        wanted = tag.strip().casefold()
        for name in await self.store.tag_names(guild_id):
            if name.casefold() == wanted:
                return name
        raise NotFound(f"No question here has the tag `{tag.strip()[:40]}`.")
