"""Search latency and post insertion with the index, on a forum made by bench/generate.py.

    python -m bench.generate --out bench/out/forum.db
    python -m bench.search --db bench/out/forum.db [--queries 300] [--inserts 5000]

Searches go through the real SearchService and SqliteStore (aiosqlite reader connections), end to
end: parsing, the bounded candidate query with bm25, ranking, and the first page's result lines
with snippets. Typical queries are 2-3 words drawn from the corpus's own word frequencies (below
its 40 most common words); "common" queries are made only of the 40 most common words ("the",
"to", "error", ...), the worst case for bm25. For comparison, a few common queries also run the
unbounded way (ORDER BY rank over every match). Insertion is last: it adds posts to the database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.generate import CHANNEL_ID, GUILD_ID, Text
from bot.forum.models import Post, PostKind
from bot.forum.search_service import SearchService
from bot.forum.visibility import Readable
from db.search import match_all
from db.store import open_store

READABLE = Readable(frozenset({CHANNEL_ID}))  # a member who can read the questions channel, as in use

COMMON = 40


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda p: ordered[min(len(ordered) - 1, int(p * len(ordered)))]  # noqa: E731
    return {"n": len(ordered), "p50_ms": round(pick(0.50) * 1e3, 2), "p99_ms": round(pick(0.99) * 1e3, 2),
            "max_ms": round(ordered[-1] * 1e3, 2)}  # fmt: skip


def queries(n: int, seed: int) -> tuple[list[str], list[str]]:
    text = Text(random.Random(7))  # the generator's vocabulary (same seed, built first)
    rng = random.Random(seed)
    words, cum = text.words, text.cum
    common_words = set(words[:COMMON])
    typical = []
    while len(typical) < n:
        picked = [w for w in rng.choices(words, cum_weights=cum, k=12) if w not in common_words]
        if len(picked) >= 3:
            typical.append(" ".join(picked[: rng.choice((2, 3))]))
    common = [" ".join(rng.sample(words[:COMMON], rng.choice((1, 2, 3)))) for _ in range(n)]
    return typical, common


async def time_searches(service: SearchService, texts: list[str]) -> tuple[dict, int]:
    samples, capped = [], 0
    for text in texts:
        started = time.perf_counter()
        page = await service.search(GUILD_ID, text, page=0, available_tags=None, readable=READABLE)
        samples.append(time.perf_counter() - started)
        capped += page.capped
    return percentiles(samples), capped


def unbounded(db: Path, texts: list[str]) -> dict:
    """What the bound saves: bm25 over every match (ORDER BY rank), for a few common queries."""
    from bot.forum.search import parse_query

    conn = sqlite3.connect(db)
    samples = []
    for text in texts:
        started = time.perf_counter()
        conn.execute("SELECT rowid FROM post_fts WHERE post_fts MATCH ? ORDER BY rank LIMIT 20",
                     (match_all(parse_query(text)),)).fetchall()  # fmt: skip
        samples.append(time.perf_counter() - started)
    conn.close()
    return percentiles(samples)


async def inserts(store, count: int) -> dict:
    """Answers added through the store's single writer (group commit, synchronous=FULL), as the bot
    adds them: `concurrent` callers at a time, each awaiting its own durable commit."""
    rows = await store._fetchall("SELECT id FROM questions ORDER BY random() LIMIT 1000", ())
    question_ids = [r[0] for r in rows]
    rng = random.Random(3)
    text = Text(random.Random(7))
    results = {}
    base = int(time.time() * 1000)
    for concurrent in (1, 50):
        bodies = [text.body(50) for _ in range(count)]
        posts = [
            Post(
                id=((base + concurrent * count + i) - 1_420_070_400_000) << 22,
                question_id=rng.choice(question_ids),
                guild_id=GUILD_ID,
                kind=PostKind.ANSWER,
                author_id=800_000_000_000_000_000 + i % 1000,
                body=bodies[i],
                created_at=datetime.now(UTC),
            )  # fmt: skip
            for i in range(count)
        ]
        started = time.perf_counter()
        for i in range(0, count, concurrent):
            await asyncio.gather(*(store.add_post(p) for p in posts[i : i + concurrent]))
        elapsed = time.perf_counter() - started
        results[f"concurrent_{concurrent}"] = {"posts": count, "per_second": round(count / elapsed)}
    return results


async def main_async(args: argparse.Namespace) -> dict:
    typical, common = queries(args.queries, args.seed)
    store = await open_store(args.db)
    try:
        for conn in store._readers:  # e.g. "PRAGMA mmap_size = 4294967296", to compare reader settings
            for pragma in args.reader_pragma:
                await conn.execute(pragma)
        service = SearchService(store)
        await time_searches(service, typical[:20] + common[:20])  # warm the page cache
        report: dict = {}
        report["typical"], capped = await time_searches(service, typical)
        report["typical"]["capped"] = capped
        report["common"], capped = await time_searches(service, common)
        report["common"]["capped"] = capped
        report["common_unbounded_order_by_rank"] = unbounded(args.db, common[:20])
        if args.inserts:
            report["insert"] = await inserts(store, args.inserts)
        report["examples"] = {"typical": typical[:5], "common": common[:5]}
    finally:
        await store.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description="Search latency and insertion with the FTS index")
    parser.add_argument("--db", type=Path, default=Path("bench/out/forum.db"))
    parser.add_argument("--reader-pragma", action="append", default=[], help="run on each reader connection")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--inserts", type=int, default=3000, help="0 leaves the database unchanged")
    parser.add_argument("--seed", type=int, default=11)
    print(json.dumps(asyncio.run(main_async(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
