"""bench.search_index: its offline exact ranking is /search's own ranking wherever /search reads every
match, and the benchmark runs end to end (a tiny forum: what it measures is recorded in bench/RESULTS.md)."""

from __future__ import annotations

import argparse
import asyncio

from bench.generate import generate
from bench.search import queries
from bench.search_index import exact_top, main_async, ready, searched_top
from bot.forum.search_service import SearchService
from db.search import TOP_K
from db.store import open_store


async def _compare(db) -> list[tuple[str, list[int], list[int]]]:
    typical, common = queries(30, 11)
    typical += sorted({word for text in typical for word in text.split()})  # single words match more often here
    store = await open_store(db)
    try:
        await ready(store)
        service = SearchService(store)
        compared = []
        for text in typical + common:
            top, matches = await exact_top(store, text)
            if 0 < matches < TOP_K:  # /search then ranks every match
                found, _, _ = await searched_top(service, text)
                compared.append((text, top, found))
        return compared
    finally:
        await store.close()


# Plain (not async): generate() runs an event loop of its own.
def test_the_exact_ranking_equals_search_where_search_reads_every_match(tmp_path):
    db = tmp_path / "forum.db"
    generate(db, scale=0.0005)
    compared = asyncio.run(_compare(db))
    assert len(compared) >= 10
    for text, exact, found in compared:
        assert found == exact, text


def test_the_benchmark_runs(tmp_path):
    db = tmp_path / "forum.db"
    generate(db, scale=0.0005)
    args = argparse.Namespace(db=db, queries=4, seed=11, inserts=60, rebuild=True)
    report = asyncio.run(main_async(args))
    assert report["index"]["typical"]["recall@10"] == 1.0 and report["index"]["common"]["recall@10"] == 1.0
    assert report["inserts_indexed"]["never_searchable_within_10s"] == 0
    assert report["posts_indexed"] > 0 and report["hostile_worst_ms"] > 0
