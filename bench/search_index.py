"""/search through the search index at 1M posts: recall against the exact ranking, latency, the
hostile set, similar questions, and adding posts with the indexer running.

    python -m bench.generate --out bench/out/forum.db            # once (a few minutes)
    cp bench/out/forum.db bench/out/forum-si.db                  # open_store migrates and writes
    python -m bench.search_index --db bench/out/forum-si.db [--queries 50] [--inserts 5000]

The exact ranking is computed offline over EVERY matching post: the index's bm25 for every match
(tantivy asked for as many hits as there are matches), each hit confirmed and blended with its
question's score and acceptance by the store and grouped by `bot.forum.search.rank`, as /search
does. /search itself reads only the top TOP_K (db/search.py). recall@k is the share of the exact
top k questions that /search's own first k (pages 1 and 2, through SearchService) hold. Queries
are bench/search.py's generator (seed 11): typical words, 1-3 of the 40 most common words, and half as
many common-word queries with a filter the index does not hold (is:accepted, is:unanswered,
is:open, score:>=5, score:<0), which the store applies while reading down the index's ranking.

Same run, for comparison: the store's own FTS5 index (the fallback while no index is usable),
ranked against the same exact ranking. Inserts: answers added by 50 concurrent callers through the
store's writer, with the indexer following, against the same writes with no indexer; "searchable"
is the time from a caller's acknowledged write until the index returns the post for a word only it
holds (polled every 5 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.generate import GUILD_ID, Text
from bench.hostile_search import HOSTILE, one_search
from bench.search import READABLE, percentiles, queries
from bench.search_quality import recall
from bot.forum.asking import Draft
from bot.forum.models import Post, PostKind
from bot.forum.search import Candidate, parse_query, rank
from bot.forum.search_service import PER_PAGE, SearchService
from db import search_engine as engine
from db import search_queries as sq
from db.search import TOP_K, _filters
from db.search_index import index_root
from db.store import open_store

EPOCH_MS = 1_420_070_400_000
CONFIRM_CHUNK = 20_000


async def exact_top(store, text: str) -> tuple[list[int], int]:
    """The exact top 10 question ids of the blend over every match, and the number of matches."""
    query = parse_query(text)
    searcher = store.search_index.searcher(0)
    expression = engine.search_query(searcher, query, engine.Scope(GUILD_ID, READABLE.channel_ids))
    matches = searcher.search(expression, limit=1, count=True).count
    hits = engine.top(searcher, expression, max(1, matches))
    params = _filters(query, GUILD_ID, READABLE)
    candidates = []
    for i in range(0, len(hits), CONFIRM_CHUNK):
        chunk = hits[i : i + CONFIRM_CHUNK]
        questions = json.dumps(list({question for _, question, _ in chunk}))
        passed = {r[0]: r for r in await store._fetchall(sq.CONFIRMED, {**params, "questions": questions})}
        candidates += [Candidate(p, q, passed[q][1], bm25, passed[q][2], bool(passed[q][3]))
                       for p, q, bm25 in chunk if q in passed]  # fmt: skip
    return [h.question_id for h in rank(candidates)[:10]], matches


async def searched_top(service: SearchService, text: str) -> tuple[list[int], float, bool]:
    """/search's first two pages (10 questions); the first page timed, as a member waits for it."""
    started = time.perf_counter()
    first = await service.search(GUILD_ID, text, page=0, available_tags=None, readable=READABLE)
    elapsed = time.perf_counter() - started
    second = await service.search(GUILD_ID, text, page=1, available_tags=None, readable=READABLE)
    ids = [r.question_id for r in first.results] + ([r.question_id for r in second.results] if first.pages > 1 else [])
    return ids, elapsed, first.newest_only


async def quality(store, service: SearchService, kinds: dict[str, list[str]], exact: dict) -> dict:
    report = {}
    for kind, texts in kinds.items():
        for text in texts:  # warm: the first touch of a term's postings reads them from disk
            await service.search(GUILD_ID, text, page=0, available_tags=None, readable=READABLE)
        r5, r10, samples, newest = [], [], [], 0
        for text in texts:
            found, elapsed, newest_only = await searched_top(service, text)
            top = exact[text][0]
            r5.append(recall(found, top, 5))
            r10.append(recall(found, top, 10))
            samples.append(elapsed)
            newest += newest_only
        matches = sorted(exact[t][1] for t in texts)
        report[kind] = {
            "recall@5": round(sum(r5) / len(r5), 3), "recall@10": round(sum(r10) / len(r10), 3),
            "below_0.95@10": sum(1 for r in r10 if r < 0.95), "latency": percentiles(samples),
            "matches_p50_max": [matches[len(matches) // 2], matches[-1]], "ranked_among_newest": newest,
        }  # fmt: skip
    return report


async def hostile(service: SearchService, reps: int = 3) -> dict:
    out = {}
    for name, text in HOSTILE.items():
        await one_search(service, text, READABLE)  # warm
        runs = [await one_search(service, text, READABLE) for _ in range(reps)]
        out[name] = {"worst_ms": round(max(s for s, _ in runs) * 1e3, 1), "outcome": runs[-1][1]}
    return out


async def similar(service: SearchService, titles: list[str]) -> dict:
    samples, offered = [], 0
    for title in titles:
        draft = Draft(title, title, ())
        started = time.perf_counter()
        found = await service.similar_questions(GUILD_ID, draft, READABLE)
        samples.append(time.perf_counter() - started)
        offered += bool(found)
    return {"latency": percentiles(samples), "drafts_offered_some": offered}


async def inserts(store, count: int, concurrent: int, *, probe_every: int | None) -> dict:
    """`count` answers by `concurrent` callers; with `probe_every`, how long every such post takes
    to become searchable in the index after its write is acknowledged."""
    rows = await store._fetchall("SELECT id FROM questions ORDER BY random() LIMIT 1000", ())
    question_ids = [r[0] for r in rows]
    rng, text = random.Random(3), Text(random.Random(7))
    base = int(time.time() * 1000) - EPOCH_MS
    run = random.randrange(1 << 20)
    posts = [
        Post(id=((base + i // 4096) << 22) | (i % 4096) << 10 | (run & 0x3FF), question_id=rng.choice(question_ids),
             guild_id=GUILD_ID, kind=PostKind.ANSWER, author_id=800_000_000_000_000_000 + i % 1000,
             body=f"{text.body(50)} qz{run}x{i}", created_at=datetime.now(UTC))  # fmt: skip
        for i in range(count)
    ]
    latencies: list[float] = []
    probes: list[asyncio.Task] = []

    async def searchable(i: int, written: float) -> None:
        query, scope = parse_query(f"qz{run}x{i}"), engine.Scope(GUILD_ID, None)
        while time.perf_counter() - written < 10:
            searcher = store.search_index.searcher(0)
            if searcher is not None and engine.top(searcher, engine.search_query(searcher, query, scope), 1):
                latencies.append(time.perf_counter() - written)
                return
            await asyncio.sleep(0.005)

    queue = iter(range(count))

    async def caller() -> None:
        for i in queue:
            await store.add_post(posts[i])
            if probe_every and i % probe_every == 0:
                probes.append(asyncio.create_task(searchable(i, time.perf_counter())))

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrent)))
    elapsed = time.perf_counter() - started
    await asyncio.gather(*probes)
    out = {"posts": count, "callers": concurrent, "per_second": round(count / elapsed)}
    if probe_every:
        out["searchable_after"] = percentiles(latencies) if latencies else None
        out["never_searchable_within_10s"] = len(probes) - len(latencies)
    return out


async def ready(store) -> None:
    """Until the index is built and holds every change the store has."""
    newest = (await store._fetchone("SELECT coalesce(max(seq), 0) FROM search_changes", ()))[0]
    await asyncio.to_thread(store.indexer.wait_for, newest, 3600.0)
    while store.search_index.searcher(0) is None:  # noqa: ASYNC110 - built by another thread
        await asyncio.sleep(0.05)


async def main_async(args: argparse.Namespace) -> dict:
    typical, common = queries(args.queries, args.seed)
    # Filters the index does not hold: the store confirms, reading further down the ranking.
    state = ("is:accepted", "is:unanswered", "is:open", "score:>=5", "score:<0")
    filtered = [f"{text} {state[i % len(state)]}" for i, text in enumerate(common[: max(5, args.queries // 2)])]
    kinds = {"typical": typical, "common": common, "common, filtered": filtered}
    report: dict = {}
    if args.rebuild:
        shutil.rmtree(index_root(args.db), ignore_errors=True)
    started = time.perf_counter()
    store = await open_store(args.db)
    try:
        await ready(store)
        report["index_ready_seconds"] = round(time.perf_counter() - started, 1)
        report["posts_indexed"] = store.search_index.searcher(0).num_docs - 1
        service = SearchService(store)
        exact = {t: await exact_top(store, t) for texts in kinds.values() for t in texts}
        report["index"] = await quality(store, service, kinds, exact)
        report["hostile"] = await hostile(service)
        report["hostile_worst_ms"] = max(v["worst_ms"] for v in report["hostile"].values())
        report["similar"] = await similar(service, typical[:25] + common[:25])
        index, store.search_index = store.search_index, None
        report["fts5_fallback"] = await quality(store, service, kinds, exact)
        store.search_index = index
        report["inserts_indexed"] = await inserts(store, args.inserts, 50, probe_every=10)
    finally:
        await store.close()
    store = await open_store(args.db, follow_search_index=False)
    try:
        report["inserts_without_indexer"] = await inserts(store, args.inserts, 50, probe_every=None)
    finally:
        await store.close()
    report["insert_ratio"] = round(report["inserts_indexed"]["per_second"]
                                   / report["inserts_without_indexer"]["per_second"], 2)  # fmt: skip
    report["top_k"], report["per_page"] = TOP_K, PER_PAGE
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=Path("bench/out/forum-si.db"))
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--inserts", type=int, default=5000)
    parser.add_argument("--rebuild", action="store_true", help="delete the index first (times a full build)")
    print(json.dumps(asyncio.run(main_async(parser.parse_args())), indent=1))


if __name__ == "__main__":
    main()
