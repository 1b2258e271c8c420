"""The store's record of solved similar questions offered in members' own posts: one decision per
question, settled once, gone with its question."""

from __future__ import annotations

from datetime import timedelta

from bot.forum.models import Question
from bot.forum.similar_offer import OFFER_WINDOW, OfferDecision, Outcome, SimilarOffers, first_outcome
from db.store import SqliteStore
from tests.db.conftest import T0


def _question(thread_id: int, created_at=T0) -> Question:
    return Question(id=thread_id, guild_id=1, channel_id=2, title="A question", author_id=3, created_at=created_at)


def test_only_a_new_question_is_considered():
    assert first_outcome(_question(10), T0 + OFFER_WINDOW) is Outcome.DECIDING
    assert first_outcome(_question(10), T0 + OFFER_WINDOW + timedelta(seconds=1)) is Outcome.TOO_OLD


async def test_a_question_is_decided_once(store: SqliteStore) -> None:
    await store.add_question(_question(10), None)
    offers = SimilarOffers(store, lambda: T0 + timedelta(minutes=1))
    assert await offers.claim(_question(10))
    assert not await offers.claim(_question(10))  # a replay, a restart, a catch-up
    await offers.settle(10, Outcome.OFFERED, message_id=99)
    await offers.settle(10, Outcome.NONE)  # settled already: kept as it is
    decision = await store.similar_offer(10)
    assert (decision.outcome, decision.message_id) == (Outcome.OFFERED, 99)

    await store.add_question(_question(11), None)
    late = SimilarOffers(store, lambda: T0 + timedelta(hours=2))
    assert not await late.claim(_question(11))  # too old: decided, not looked at
    assert (await store.similar_offer(11)).outcome is Outcome.TOO_OLD


async def test_the_decision_goes_with_its_question(store: SqliteStore) -> None:
    await store.add_question(_question(12), None)
    assert await store.claim_similar_offer(OfferDecision(12, Outcome.NONE, T0))
    assert await store.remove_questions([12], T0) == 1
    assert await store.similar_offer(12) is None
