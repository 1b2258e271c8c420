"""The store's record of similar questions offered in members' own forum posts (mixed into
SqliteStore; bot/forum/similar_offer.py): one row per question, claimed before anything is posted."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable
from functools import partial

from bot.forum.similar_offer import OfferDecision, Outcome

from . import convert as cv
from .writer import Writer

# A question already decided keeps its decision: the claim of a replayed event or a catch-up is a no-op.
CLAIM_OFFER = """
INSERT INTO similar_offers (question_id, outcome, decided_at) VALUES (?1, ?2, ?3)
ON CONFLICT (question_id) DO NOTHING
"""
SETTLE_OFFER = """
UPDATE similar_offers SET outcome = ?2, decided_at = ?3, message_id = ?4, shown = ?5
WHERE question_id = ?1 AND outcome = 'deciding'
"""
GET_OFFER = "SELECT question_id, outcome, decided_at, message_id, shown FROM similar_offers WHERE question_id = ?"


class SimilarOfferStore:
    """Needs the SqliteStore's `writer` and `_fetchall`."""

    writer: Writer
    _fetchall: Callable[[str, tuple], Awaitable[list[sqlite3.Row]]]

    async def claim_similar_offer(self, decision: OfferDecision) -> bool:
        params = (decision.question_id, decision.outcome.value, cv.to_ms(decision.decided_at))
        return await self.writer.run_sync(partial(_changed, CLAIM_OFFER, params))

    async def settle_similar_offer(self, decision: OfferDecision) -> None:
        params = (decision.question_id, decision.outcome.value, cv.to_ms(decision.decided_at), decision.message_id,
                  json.dumps(list(decision.shown)))  # fmt: skip
        await self.writer.run_sync(partial(_changed, SETTLE_OFFER, params))

    async def similar_offer(self, question_id: int) -> OfferDecision | None:
        rows = await self._fetchall(GET_OFFER, (question_id,))
        if not rows:
            return None
        r = rows[0]
        return OfferDecision(r[0], Outcome(r[1]), cv.from_ms(r[2]), r[3], tuple(json.loads(r[4])))


def _changed(sql: str, params: tuple, conn: sqlite3.Connection) -> bool:
    return conn.execute(sql, params).rowcount > 0
