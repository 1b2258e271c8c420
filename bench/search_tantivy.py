"""tantivy (Lucene-class BM25, block-max WAND) as a derived search index: recall and latency.

    python -m bench.search_quality --db bench/out/forum.db --save bench/out/exact.json
    python -m bench.search_tantivy --db bench/out/forum.db --exact bench/out/exact.json [--index bench/out/tantivy]

Builds an index of the forum's live posts (post id, question id, guild, channel as fast/indexed
integers; title and body as text, tokenized as FTS5's `unicode61 remove_diacritics 2` is as closely
as tantivy allows: split on anything not a letter or digit, lower case, folded to ASCII), timing
the build. For the same queries as bench.search_quality, takes tantivy's top K by BM25 (title
weighted 4x, every word required, the channel a filter that adds no score), reranks those by the
project's blend (`bot.forum.search.rank`, the question's live score and acceptance read from the
store), and measures recall@5/@10 against (a) the exact FTS5 ranking that bench.search_quality
saved and (b) the exact ranking with tantivy's own bm25 over every match. Last, posts added one at
a time (add + commit + reader reload: when it is searchable) and 50 at a time per commit.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

import tantivy

from bench.generate import CHANNEL_ID, GUILD_ID, Text
from bench.search import percentiles
from bench.search_quality import recall
from bot.forum.errors import BadInput
from bot.forum.search import Candidate, blended, parse_query, rank

TOP_K = (100, 300, 1000, 3000)
TITLE_BOOST = 4.0  # bm25(post_fts, 4.0, 1.0)
MERGED = False  # --merged: score the one "merged" field instead of title and body
LIVE_POSTS = """
SELECT p.id, p.question_id, p.guild_id, q.channel_id, CASE WHEN p.kind = 'question' THEN q.title ELSE '' END, p.body
FROM posts p JOIN questions q ON q.id = p.question_id
WHERE p.deleted_at IS NULL AND q.deleted_at IS NULL
"""
BLEND_INPUTS = """
SELECT id, score, accepted_answer_id IS NOT NULL FROM questions
WHERE id IN (SELECT value FROM json_each(?)) AND deleted_at IS NULL
"""


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("post_id", stored=True, indexed=True, fast=True)
    builder.add_integer_field("question_id", fast=True)
    builder.add_integer_field("guild_id", indexed=True)
    builder.add_integer_field("channel_id", indexed=True)
    builder.add_text_field("title", tokenizer_name="forum")
    builder.add_text_field("body", tokenizer_name="forum")
    builder.add_text_field("merged", tokenizer_name="forum")  # title 4 times, then body: one field (--merged)
    return builder.build()


def analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def open_index(path: Path, *, fresh: bool) -> tantivy.Index:
    if fresh and path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(schema(), path=str(path), reuse=not fresh)
    index.register_tokenizer("forum", analyzer())
    return index


def document(row) -> tantivy.Document:
    return tantivy.Document(post_id=row[0], question_id=row[1], guild_id=row[2], channel_id=row[3],
                            title=row[4], body=row[5], merged=" ".join([row[4]] * 4 + [row[5]]))  # fmt: skip


def build(conn: sqlite3.Connection, index: tantivy.Index) -> dict:
    started = time.perf_counter()
    writer = index.writer(heap_size=512_000_000, num_threads=2)
    count = 0
    for row in conn.execute(LIVE_POSTS):
        writer.add_document(document(row))
        count += 1
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return {"posts": count, "seconds": round(time.perf_counter() - started, 1)}


def text_query(index: tantivy.Index, text: str) -> tantivy.Query:
    """Every word in the title or the body (title boosted), none of the excluded ones, within the guild's
    readable channel. (Tags and the other filters are not in this index: see bench/RESULTS.md.)"""
    schema = index.schema
    analyze = analyzer().analyze
    musts = []
    parsed = parse_query(text)
    for phrase, occur in [(p, tantivy.Occur.Must) for p in parsed.positive] + [
        (p, tantivy.Occur.MustNot) for p in parsed.excluded
    ]:
        tokens = analyze(phrase)
        if len(tokens) == 1:
            title, body = (tantivy.Query.term_query(schema, f, tokens[0]) for f in ("title", "body"))
        else:
            title, body = (tantivy.Query.phrase_query(schema, f, tokens) for f in ("title", "body"))
        either = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.boost_query(title, TITLE_BOOST)), (tantivy.Occur.Should, body)]
        )
        if MERGED:  # FTS5's bm25 sees one document: its tf is the weighted sum over columns
            either = (tantivy.Query.term_query if len(tokens) == 1 else tantivy.Query.phrase_query)(
                schema, "merged", tokens[0] if len(tokens) == 1 else tokens
            )
        musts.append((occur, either))
    for field, value in (("guild_id", GUILD_ID), ("channel_id", CHANNEL_ID)):
        musts.append(
            (tantivy.Occur.Must, tantivy.Query.const_score_query(tantivy.Query.term_query(schema, field, value), 0.0))
        )
    return tantivy.Query.boolean_query(musts)


def ranked(index: tantivy.Index, conn: sqlite3.Connection, text: str, k: int | None) -> tuple[list[int], int]:
    """The top k posts by tantivy's bm25 (None: every match), reranked by the project's blend."""
    searcher = index.searcher()
    query = text_query(index, text)
    limit = k if k is not None else max(1, searcher.search(query, limit=1, count=True).count)
    result = searcher.search(query, limit=limit, count=False)
    addresses = [a for _, a in result.hits]
    posts = searcher.fast_field_values("post_id", addresses)
    questions = searcher.fast_field_values("question_id", addresses)
    blend = {r[0]: (r[1], bool(r[2])) for r in conn.execute(BLEND_INPUTS, (json.dumps(list(set(questions))),))}
    candidates = [
        Candidate(p, q, CHANNEL_ID, score, *blend[q])
        for (score, _), p, q in zip(result.hits, posts, questions, strict=True)
        if q in blend
    ]
    return [h.question_id for h in rank(candidates)[:10]], len(addresses)


def certified(index: tantivy.Index, conn: sqlite3.Connection, text: str, k: int, bound: float) -> tuple[list[int], int]:
    """The exact blended top 10 without scoring every match: take the top k by bm25, and double k until
    the 10th question's blended rank beats the best any unseen post could reach (the k-th bm25 score
    times `bound`, the blend's largest factor), or every match is in."""
    searcher = index.searcher()
    query = text_query(index, text)
    while True:
        result = searcher.search(query, limit=k, count=False)
        top, seen = _rerank(searcher, conn, result.hits)
        if len(result.hits) < k or (len(top) >= 10 and top[9].rank > result.hits[-1][0] * bound):
            return [h.question_id for h in top[:10]], seen
        k *= 2


def blend_bound(conn: sqlite3.Connection) -> float:
    """The largest factor the blend can give (the forum's highest question score, accepted)."""
    top = conn.execute("SELECT max(score) FROM questions WHERE deleted_at IS NULL").fetchone()[0] or 0
    return blended(1.0, max(0, top), True)


def _rerank(searcher, conn: sqlite3.Connection, hits: list) -> tuple[list, int]:
    addresses = [a for _, a in hits]
    posts = searcher.fast_field_values("post_id", addresses)
    questions = searcher.fast_field_values("question_id", addresses)
    blend = {r[0]: (r[1], bool(r[2])) for r in conn.execute(BLEND_INPUTS, (json.dumps(list(set(questions))),))}
    candidates = [
        Candidate(p, q, CHANNEL_ID, score, *blend[q])
        for (score, _), p, q in zip(hits, posts, questions, strict=True)
        if q in blend
    ]
    return rank(candidates), len(hits)


def quality_certified(index: tantivy.Index, conn: sqlite3.Connection, exact: dict, k: int) -> dict:
    bound = blend_bound(conn)
    report: dict = {"bound": round(bound, 3), "first_k": k}
    for kind, rows in exact.items():
        own = [ranked(index, conn, e["text"], None)[0] for e in rows]
        samples, tops, depth = [], [], []
        for e in rows:
            started = time.perf_counter()
            top, seen = certified(index, conn, e["text"], k, bound)
            samples.append(time.perf_counter() - started)
            tops.append(top)
            depth.append(seen)
        report[kind] = {
            "vs_tantivy_exact": _recalls(tops, [{"top": o} for o in own]),
            "vs_fts5_exact": _recalls(tops, rows),
            "latency": percentiles(samples),
            "hits_read_p50_max": [sorted(depth)[len(depth) // 2], max(depth)],
        }
    return report


def quality(index: tantivy.Index, conn: sqlite3.Connection, exact: dict) -> dict:
    report: dict = {}
    for kind, rows in exact.items():
        own = [ranked(index, conn, e["text"], None)[0] for e in rows]  # tantivy's bm25 over every match
        report[kind] = {"exact_with_tantivy_bm25_vs_fts5_exact": _recalls(own, rows)}
        for k in TOP_K:
            samples, tops = [], []
            for e in rows:
                started = time.perf_counter()
                tops.append(ranked(index, conn, e["text"], k)[0])
                samples.append(time.perf_counter() - started)
            report[kind][f"top_{k}"] = {
                "vs_fts5_exact": _recalls(tops, rows),
                "vs_tantivy_exact": _recalls(tops, [{"top": o} for o in own]),
                "latency": percentiles(samples),
            }
    return report


def hostile(index: tantivy.Index, conn: sqlite3.Connection, k: int, reps: int = 3) -> dict:
    """Issue 8's hostile queries (bench/hostile_search.py) with text, through the same top k and rerank;
    a query parse_query refuses (too many words) is not run: /search refuses it before any search."""
    from bench.hostile_search import HOSTILE

    report = {}
    for name, text in HOSTILE.items():
        try:
            if not parse_query(text).has_text:
                continue  # filters alone: no text search to make
        except BadInput:
            report[name] = "refused by parse_query"
            continue
        ranked(index, conn, text, k)  # warm
        samples = []
        for _ in range(reps):
            started = time.perf_counter()
            ranked(index, conn, text, k)
            samples.append(time.perf_counter() - started)
        report[name] = round(max(samples) * 1e3, 2)
    return report


def _recalls(found: list[list[int]], exact: list[dict]) -> dict:
    n = len(exact)
    return {f"recall@{k}": round(sum(recall(f, e["top"], k) for f, e in zip(found, exact, strict=True)) / n, 3)
            for k in (5, 10)}  # fmt: skip


def inserts(index: tantivy.Index, count: int) -> dict:
    """Posts added one at a time (add, commit, reload: then it is searchable) and 50 per commit."""
    text = Text(__import__("random").Random(7))
    writer = index.writer(heap_size=64_000_000, num_threads=1)
    base = 9_000_000_000_000_000_000
    report = {}
    for batch in (1, 50):
        samples = []
        started = time.perf_counter()
        for i in range(0, count, batch):
            one = time.perf_counter()
            for j in range(i, min(count, i + batch)):
                writer.add_document(document((base + batch * count + j, 1, GUILD_ID, CHANNEL_ID, "", text.body(50))))
            writer.commit()
            index.reload()
            samples.append(time.perf_counter() - one)
        elapsed = time.perf_counter() - started
        report[f"per_commit_{batch}"] = {"posts": count, "per_second": round(count / elapsed),
                                         "commit_to_searchable": percentiles(samples)}  # fmt: skip
    writer.wait_merging_threads()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description="tantivy's top k reranked by the blend, against the exact ranking")
    parser.add_argument("--db", type=Path, default=Path("bench/out/forum.db"))
    parser.add_argument("--exact", type=Path, default=Path("bench/out/exact.json"))
    parser.add_argument("--index", type=Path, default=Path("bench/out/tantivy"))
    parser.add_argument("--reuse", action="store_true", help="use the index already built at --index")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--certified", type=int, default=0, help="also the certified top 10, starting at this k")
    parser.add_argument("--merged", action="store_true", help="bm25 over one field (title x4 + body), as FTS5 sees it")
    parser.add_argument("--hostile-k", type=int, default=0, help="time issue 8's hostile queries with this top k")
    parser.add_argument("--inserts", type=int, default=500, help="0: none (they add posts to the index)")
    args = parser.parse_args()
    global MERGED
    MERGED = args.merged
    conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    index = open_index(args.index, fresh=not args.reuse)
    report: dict = {"load_average_start": os.getloadavg()}
    if not args.reuse:
        report["build"] = build(conn, index)
    if not args.skip_quality:
        report["quality"] = quality(index, conn, json.loads(args.exact.read_text()))
    if args.certified:
        report["certified"] = quality_certified(index, conn, json.loads(args.exact.read_text()), args.certified)
    if args.hostile_k:
        report[f"hostile_max_ms_top_{args.hostile_k}"] = hostile(index, conn, args.hostile_k)
    if args.inserts:
        report["insert"] = inserts(index, args.inserts)
    report["load_average_end"] = os.getloadavg()
    conn.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
