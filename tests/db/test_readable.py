"""The store's reads filter by the channels a member may read inside their queries: a hidden
question never takes one of the limited places (bot/forum/visibility.py)."""

from __future__ import annotations

from datetime import timedelta

from bot.forum.models import Post, PostKind, Question
from bot.forum.search import parse_query
from bot.forum.visibility import Readable
from db import search as db_search
from tests.db.conftest import T0

GUILD, OPEN, STAFF = 7, 20, 21
AUTHOR = 5


async def _forum(store) -> None:
    """Question 1 (open channel, oldest) and questions 2..4 (staff channel, newer), all about zebras."""
    for qid, channel in ((1, OPEN), (2, STAFF), (3, STAFF), (4, STAFF)):
        at = T0 + timedelta(minutes=qid)
        await store.add_question(Question(qid, GUILD, channel, f"Zebra question {qid}", AUTHOR, at), None)
        await store.add_post(Post(qid * 10, qid, GUILD, PostKind.QUESTION, AUTHOR, "zebra stripes", at))
        await store.add_post(Post(qid * 10 + 1, qid, GUILD, PostKind.ANSWER, AUTHOR, "zebra answer", at))
    await store.writer.run_sync(_staff_posts_score_best)


def _staff_posts_score_best(conn) -> None:
    conn.execute("UPDATE posts SET score = 5 WHERE question_id IN (2, 3, 4)")


async def test_hidden_channels_take_no_place_in_any_bounded_read(store):
    await _forum(store)
    open_only, nothing = Readable(frozenset({OPEN})), Readable(frozenset())
    # The search index filters channels inside the engine: only what the member may read is ranked.
    for readable, expected in ((open_only, {1}), (nothing, set()), (None, {1, 2, 3, 4})):
        walk = await store.search_candidates(GUILD, parse_query("zebra"), 2, readable=readable)
        assert walk.by_relevance and walk.complete and {c.question_id for c in walk.found} == expected
    similar = await store.similar_candidates(GUILD, ("zebra",), 1, readable=open_only)
    assert [c.question_id for c in similar] == [1]
    # The store's own index (the fallback) walks the newest matches, bounded.
    store.search_index = None
    for text in ("zebra", "is:open"):  # ranked by words, and filters alone
        query = parse_query(text)

        async def found(readable, query=query):
            walk = await store.search_candidates(GUILD, query, 2, readable=readable)
            assert walk.complete
            return [c.question_id for c in walk.found]

        assert set(await found(open_only)) == {1}
        assert await found(nothing) == []
        assert 1 not in await found(None)  # the newest two, in the staff channel
    similar = await store.similar_candidates(GUILD, ("zebra",), 1, readable=open_only)
    assert [c.question_id for c in similar] == [1]
    assert [p.question_id for p in await store.best_posts(GUILD, AUTHOR, 1, readable=open_only)] == [1]
    assert await store.best_posts(GUILD, AUTHOR, 5, readable=nothing) == []
    assert [p.question_id for p in await store.best_posts(GUILD, AUTHOR, 1, readable=None)] == [2]


async def test_a_long_walk_stops_at_its_budget_and_says_so(store, monkeypatch):
    """A member who may read almost nothing makes the walk meet row after row it must leave out:
    its work is bounded, and the result says it was cut (the search shows a capped count). This is the
    store's own index, the fallback while no search index is usable."""
    await _forum(store)
    store.search_index = None
    for n in range(300):
        at = T0 + timedelta(hours=1, seconds=n)
        await store.add_post(Post(1000 + n, 4, GUILD, PostKind.ANSWER, AUTHOR, f"zebra note {n}", at))
    open_only = Readable(frozenset({OPEN}))
    for text in ("zebra", "is:open"):
        whole = await store.search_candidates(GUILD, parse_query(text), 5, readable=open_only)
        assert whole.complete and {c.question_id for c in whole.found} == {1}
    monkeypatch.setattr(db_search, "WALK_STEPS", 1500)
    cut = await store.search_candidates(GUILD, parse_query("zebra"), 5, readable=open_only)
    assert not cut.complete and cut.found == []  # stopped among the staff channel's newest matches
    everything = await store.search_candidates(GUILD, parse_query("zebra"), 5, readable=None)
    assert everything.complete and len(everything.found) == 5  # an unhindered walk stays within it
