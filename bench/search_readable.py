"""Search when the member may read only some channels, on a forum made by bench/generate.py.

    python -m bench.search_readable --db bench/out/forum.db

Through the real SearchService: `bench.search`'s typical and common queries for a member who reads
the questions channel and for one who reads no channel holding questions (the filter then leaves
out every match, the candidate walk's worst case), with how many walks the work bound cut.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from bench import search as bs
from bench.generate import CHANNEL_ID, GUILD_ID
from bot.forum.search import parse_query
from bot.forum.search_service import CANDIDATES, SearchService
from bot.forum.visibility import Readable
from db.store import open_store

MEMBERS = {
    "reads_the_questions_channel": Readable(frozenset({CHANNEL_ID})),
    "reads_no_questions_channel": Readable(frozenset({1})),
}


async def main_async(db: Path, count: int) -> dict:
    typical, common = bs.queries(count, 11)
    store = await open_store(db)
    report: dict = {}
    try:
        service = SearchService(store)
        await bs.time_searches(service, typical[:20] + common[:20])  # warm the page cache
        for name, readable in MEMBERS.items():
            bs.READABLE = readable
            for kind, texts in (("typical", typical), ("common", common)):
                cut = 0
                for text in texts:
                    walk = await store.search_candidates(GUILD_ID, parse_query(text), CANDIDATES, readable=readable)
                    cut += not walk.complete
                timing, _ = await bs.time_searches(service, texts)
                report[f"{name}/{kind}"] = {**timing, "walks_cut": cut}
    finally:
        await store.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description="Search latency for members who read only some channels")
    parser.add_argument("--db", type=Path, default=Path("bench/out/forum.db"))
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args.db, args.queries)), indent=1))


if __name__ == "__main__":
    main()
