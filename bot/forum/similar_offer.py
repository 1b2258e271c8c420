"""Solved similar questions offered in a member's own forum post: when a native post becomes a
question, Quorum replies once in its thread with up to three similar questions that have an
accepted answer, when /ask's similarity rule (similar.pick_similar) finds any.

Once per question, ever: the decision is stored before anything is posted (at most once: a crash
between the two leaves no reply rather than two), and what was decided stays, offered or not.
Only while the question is new: a post whose starter Quorum first stores more than OFFER_WINDOW
after it was created (it came in while Quorum was away for long, or before this feature existed) is
decided as too old and gets no reply. An hour keeps the offer useful to an asker still waiting,
including after a short outage, without Quorum waking up old threads after a long one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from .models import Question
from .similar import SimilarQuestion

OFFER_WINDOW = timedelta(hours=1)


class Outcome(StrEnum):
    DECIDING = "deciding"  # claimed; the search or the reply was under way (or stopped midway: no retry)
    OFFERED = "offered"  # a reply was posted
    NONE = "none"  # no good match: nothing posted
    TOO_OLD = "too_old"  # first seen after OFFER_WINDOW: nothing posted
    FAILED = "failed"  # Discord refused the reply: not tried again


@dataclass(frozen=True, slots=True)
class OfferDecision:
    question_id: int
    outcome: Outcome
    decided_at: datetime
    message_id: int | None = None  # the reply, when offered
    shown: tuple[int, ...] = ()  # the questions it listed


class OfferStore(Protocol):
    async def claim_similar_offer(self, decision: OfferDecision) -> bool:
        """Store the decision unless the question has one already; True if this one was stored."""

    async def settle_similar_offer(self, decision: OfferDecision) -> None:
        """Replace a DECIDING decision by its outcome."""

    async def similar_offer(self, question_id: int) -> OfferDecision | None: ...


def first_outcome(question: Question, now: datetime) -> Outcome:
    """What is decided when the question is first seen: to look (DECIDING), or too old to."""
    return Outcome.TOO_OLD if now - question.created_at > OFFER_WINDOW else Outcome.DECIDING


class SimilarOffers:
    def __init__(self, store: OfferStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    async def claim(self, question: Question) -> bool:
        """Whether to look for similar questions now: the first time the question is considered,
        and only while it is new. The decision is stored either way."""
        outcome = first_outcome(question, self.clock())
        claimed = await self.store.claim_similar_offer(OfferDecision(question.id, outcome, self.clock()))
        return claimed and outcome is Outcome.DECIDING

    async def settle(self, question_id: int, outcome: Outcome, message_id: int | None = None,
                     shown: list[SimilarQuestion] | None = None) -> None:  # fmt: skip
        shown_ids = tuple(s.question_id for s in shown or ())
        await self.store.settle_similar_offer(OfferDecision(question_id, outcome, self.clock(), message_id, shown_ids))

    async def decision(self, question_id: int) -> OfferDecision | None:
        return await self.store.similar_offer(question_id)
