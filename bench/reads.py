"""Read latency on a forum made by bench/generate.py: the question view of a thread with 200 answers
and one page of the reputation leaderboard.

    python -m bench.reads --db bench/out/forum.db [--iterations 1000]

Both go through the real store's reader connections (aiosqlite): the question view is
ForumService.thread_view (question, every live post, the read model built), the leaderboard the
LEADERBOARD query of db/member_queries.py (the members_by_reputation index, one page of 10).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from pathlib import Path

from bench.generate import BIG_ANSWERS, GUILD_ID
from bench.search import percentiles
from bot.forum.service import ForumService
from db import member_queries
from db.store import open_store


async def main_async(args: argparse.Namespace) -> dict:
    store = await open_store(args.db)
    try:
        for conn in store._readers:  # e.g. "PRAGMA mmap_size = 4294967296", to compare reader settings
            for pragma in args.reader_pragma:
                await conn.execute(pragma)
        service = ForumService(store)
        rows = await store._fetchall(
            "SELECT question_id FROM posts WHERE kind = 'answer' GROUP BY question_id HAVING count(*) >= ?",
            (BIG_ANSWERS,),
        )
        big = [r[0] for r in rows]
        rng = random.Random(5)
        for _ in range(50):  # warm the page cache
            await service.thread_view(rng.choice(big))
        samples = []
        for _ in range(args.iterations):
            thread = rng.choice(big)
            started = time.perf_counter()
            view = await service.thread_view(thread)
            samples.append(time.perf_counter() - started)
        assert view is not None and len(view.answers) >= BIG_ANSWERS
        report = {"question_view_200_answers": {**percentiles(samples), "threads": len(big)}}

        samples = []
        for i in range(args.iterations):
            offset = (i % 5) * 10  # the first five pages
            started = time.perf_counter()
            page = await store._fetchall(member_queries.LEADERBOARD, (GUILD_ID, 11, offset))
            samples.append(time.perf_counter() - started)
        assert len(page) == 11
        report["leaderboard_page"] = percentiles(samples)
        return report
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Question view and leaderboard latency")
    parser.add_argument("--db", type=Path, default=Path("bench/out/forum.db"))
    parser.add_argument("--reader-pragma", action="append", default=[], help="run on each reader connection")
    parser.add_argument("--iterations", type=int, default=1000)
    print(json.dumps(asyncio.run(main_async(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
