"""The live "best answers" summary of a question thread: what it says, and how often it may change.

Both are pure (no Discord, no store, no clock of their own), so the cog that posts and edits the
summary stays a thin adapter and the policy can be tested without sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Post, ThreadView

TOP_ANSWERS = 5  # a glance, not a second thread page: /question shows everything


@dataclass(frozen=True, slots=True)
class SummaryLine:
    rank: int  # 1-based, in the thread page's order
    answer: Post
    accepted: bool


@dataclass(frozen=True, slots=True)
class Summary:
    question_id: int
    guild_id: int
    question_score: int
    lines: tuple[SummaryLine, ...]
    answers: int  # live answers in the thread, listed or not

    @property
    def has_content(self) -> bool:
        """Whether a native thread needs a summary message at all (an /ask starter always has one)."""
        return bool(self.lines)


def summarise(view: ThreadView, top: int = TOP_ANSWERS) -> Summary:
    """The top answers in the order the thread page shows them (accepted first, then score, then age).

    Answers voted below zero are left out: a "best answers" list naming a downvoted answer would
    recommend what the members rejected. An accepted answer is listed whatever its score."""
    best = [a for a in view.answers if a.accepted or a.answer.score >= 0][:top]
    return Summary(
        question_id=view.question.id,
        guild_id=view.question.guild_id,
        question_score=view.question.score,
        lines=tuple(SummaryLine(rank, a.answer, a.accepted) for rank, a in enumerate(best, start=1)),
        answers=len(view.answers),
    )


class Coalescer:
    """A per-thread debounce: the first change opens a window of `delay` seconds and schedules one
    edit at its end; changes inside the window are folded into that edit (it re-reads the store).

    The edit takes its thread out of the pending set *before* it reads the store, so a change
    arriving during the edit opens a new window rather than being lost; and since a window opens
    no earlier than the previous edit started, a thread is edited at most once per `delay`.
    Times are the caller's monotonic clock (the event loop's time)."""

    def __init__(self, delay: float) -> None:
        if delay < 0:
            raise ValueError("delay must not be negative")
        self.delay = delay
        self._due: dict[int, float] = {}

    def changed(self, thread_id: int, now: float) -> float | None:
        """A change in `thread_id`: the time an edit is due if one must be scheduled now, or None
        when an edit is already pending (the change is folded into it)."""
        if thread_id in self._due:
            return None
        due = self._due[thread_id] = now + self.delay
        return due

    def take(self, thread_id: int) -> bool:
        """The edit is starting: whether it was pending (False: already taken, e.g. by a flush)."""
        return self._due.pop(thread_id, None) is not None

    def is_pending(self, thread_id: int) -> bool:
        return thread_id in self._due

    def pending(self) -> list[int]:
        """Threads with an edit still to make, soonest first (what a shutdown must flush)."""
        return sorted(self._due, key=self._due.__getitem__)


STARTER, OWN = "starter", "own"


@dataclass(frozen=True, slots=True)
class Place:
    """Where a thread's summary lives: in the starter of an /ask question (the bot's own message,
    which sits in the parent channel when the thread was started from it), or in a message of its
    own in the thread (`message_id` None until there was something to summarise)."""

    kind: str  # STARTER or OWN
    channel_id: int
    message_id: int | None = None
