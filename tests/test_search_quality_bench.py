"""bench.search_quality's offline exact ranking is /search's own ranking when /search sees every match."""

from __future__ import annotations

import asyncio
import sqlite3

from bench.generate import generate
from bench.search import queries
from bench.search_quality import current_search, exact_ranking, recall, very_common
from bot.forum.search_service import CANDIDATES


# Plain (not async): generate() and the helper run event loops of their own.
def test_the_exact_ranking_equals_search_where_search_sees_every_match(tmp_path):
    db = tmp_path / "forum.db"
    generate(db, scale=0.0005)
    typical, common = queries(40, 11)
    typical += sorted({word for text in typical for word in text.split()})  # single words match more often here
    conn = sqlite3.connect(db)
    exact = [exact_ranking(conn, text) for text in typical + common]
    # A very common term leaves /search's bm25 (db/search.py): compare the queries without one.
    plain = [not very_common(conn, e["text"]) for e in exact]
    conn.close()
    found = asyncio.run(current_search(db, [e["text"] for e in exact]))
    compared = [(e, f) for e, f, p in zip(exact, found, plain, strict=True) if p and 0 < e["matches"] < CANDIDATES]
    assert len(compared) >= 10
    for e, f in compared:
        assert not f["capped"]
        assert f["top"] == e["top"], e["text"]
        assert recall(f["top"], e["top"], 10) == 1.0
