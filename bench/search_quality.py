"""How much of the best the store's own FTS search finds (the fallback while no search index is
usable; it was /search itself before the search index). Recall against the exact ranking.

    python -m bench.search_quality --db bench/out/forum.db [--queries 50] [--save bench/out/exact.json]

The exact ranking is the project's own, computed offline over EVERY matching post: bm25 from FTS5
(the same match expression and column weights as db/search.py), blended with the question's score
and acceptance and grouped into one hit per question by `bot.forum.search.rank`, the function
/search itself uses. /search ranks the newest CANDIDATES matches only; recall@k is the share of the
exact top k questions that /search's own first k (pages 1 and 2) hold. Queries come from
bench/search.py's generator with its seed, so typical and common-word queries are the same ones.

Check of the offline ranking: for a query where /search saw every match (fewer than CANDIDATES,
not capped) and no term was "very common" (db/search.py then ranks by the other terms only), the
exact top 5 must equal /search's top 5; the report counts those queries and any that differ.
The database is opened by open_store (which may migrate it and does write its WAL): use a copy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import time
from pathlib import Path

from bench.generate import CHANNEL_ID, GUILD_ID
from bench.search import READABLE, percentiles, queries
from bot.forum.search import Candidate, parse_query, rank
from bot.forum.search_service import CANDIDATES, PER_PAGE, SearchService
from db.search import fts_string, match_all
from db.store import open_store

# The candidate statement of db/search_queries.py without its bound: bm25 for every match.
EVERY_MATCH = """
SELECT p.id, p.question_id, q.channel_id, bm25(post_fts, 4.0, 1.0), q.score, q.accepted_answer_id IS NOT NULL
FROM post_fts
CROSS JOIN posts p ON p.id = post_fts.rowid
CROSS JOIN questions q ON q.id = p.question_id
WHERE post_fts MATCH ? AND p.guild_id = ? AND q.deleted_at IS NULL AND q.channel_id = ?
"""  # CROSS JOIN: the index walk first (else the planner walks the guild's posts and matches each)
DEPTH = 10  # the exact ranking kept per query (recall@10 needs 10)


def exact_ranking(conn: sqlite3.Connection, text: str) -> dict:
    """The exact top DEPTH question ids of the project's blend over every match, and the match count."""
    query = parse_query(text)
    rows = conn.execute(EVERY_MATCH, (match_all(query), GUILD_ID, CHANNEL_ID)).fetchall()
    hits = rank([Candidate(r[0], r[1], r[2], -float(r[3]), r[4], bool(r[5])) for r in rows])
    return {"text": text, "matches": len(rows), "top": [h.question_id for h in hits[:DEPTH]]}


def very_common(conn: sqlite3.Connection, text: str) -> bool:
    """Whether db/search.py would treat a term as very common (then /search's bm25 leaves it out)."""
    from db import search as ds

    horizon = conn.execute(ds.sq.NTH_NEWEST_POST, (round(ds.PROBE_DEPTH / ds.COMMON_SHARE) - 1,)).fetchone()[0]
    for term in parse_query(text).positive:
        nth = conn.execute(ds.sq.NTH_NEWEST_MATCH, (fts_string(term), ds.PROBE_DEPTH - 1)).fetchone()
        if nth and nth[0] >= horizon:
            return True
    return False


def recall(found: list[int], exact: list[int], k: int) -> float:
    want = exact[:k]
    if not want:
        return 1.0
    return len(set(found[:k]) & set(want)) / len(want)


async def current_search(db: Path, texts: list[str]) -> list[dict]:
    """/search's first two pages for each query (the first one timed, as a member waits for it),
    through the store's own FTS index: the fallback while no search index is usable (bench.search_index
    measures the search index)."""
    store = await open_store(db, follow_search_index=False)
    store.search_index = None
    try:
        service = SearchService(store)
        out = []
        for text in texts:
            started = time.perf_counter()
            first = await service.search(GUILD_ID, text, page=0, available_tags=None, readable=READABLE)
            elapsed = time.perf_counter() - started
            second = await service.search(GUILD_ID, text, page=1, available_tags=None, readable=READABLE)
            shown = [r.question_id for r in first.results] + (
                [r.question_id for r in second.results] if second.page == 1 else []
            )
            out.append({"seconds": elapsed, "top": shown[: 2 * PER_PAGE], "capped": first.capped})
        return out
    finally:
        await store.close()


def summarize(exact: list[dict], found: list[dict]) -> dict:
    over = [i for i, e in enumerate(exact) if e["matches"] > CANDIDATES]

    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 3) if values else None

    return {
        "queries": len(exact),
        "recall@5": mean([recall(f["top"], e["top"], 5) for e, f in zip(exact, found, strict=True)]),
        "recall@10": mean([recall(f["top"], e["top"], 10) for e, f in zip(exact, found, strict=True)]),
        f"over_{CANDIDATES}_matches": len(over),
        f"recall@5_over_{CANDIDATES}": mean([recall(found[i]["top"], exact[i]["top"], 5) for i in over]),
        f"recall@10_over_{CANDIDATES}": mean([recall(found[i]["top"], exact[i]["top"], 10) for i in over]),
        "latency": percentiles([f["seconds"] for f in found]),
        "capped": sum(f["capped"] for f in found),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="/search's recall against the exact blended ranking")
    parser.add_argument("--db", type=Path, default=Path("bench/out/forum.db"))
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--save", type=Path, help="write the exact rankings here (bench.search_tantivy reads them)")
    args = parser.parse_args()
    typical, common = queries(args.queries, args.seed)
    conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    started = time.perf_counter()
    exact = {
        kind: [exact_ranking(conn, t) for t in texts] for kind, texts in (("typical", typical), ("common", common))
    }
    exact_seconds = time.perf_counter() - started
    common_term = {kind: [very_common(conn, e["text"]) for e in rows] for kind, rows in exact.items()}
    conn.close()
    report: dict = {"exact_ranking_seconds": round(exact_seconds, 1), "load_average": os.getloadavg()}
    for kind, rows in exact.items():
        found = asyncio.run(current_search(args.db, [e["text"] for e in rows]))
        report[kind] = summarize(rows, found)
        checked = [
            i for i, e in enumerate(rows)
            if e["matches"] < CANDIDATES and not found[i]["capped"] and not common_term[kind][i]
        ]  # fmt: skip
        differ = [rows[i]["text"] for i in checked if found[i]["top"][:5] != rows[i]["top"][:5]]
        report[kind]["check_top5_equal_below_candidates"] = {"queries": len(checked), "differ": differ}
    report["examples"] = {kind: [(e["text"], e["matches"]) for e in rows[:5]] for kind, rows in exact.items()}
    if args.save:
        args.save.write_text(json.dumps(exact))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
