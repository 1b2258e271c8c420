"""Hostile searches at 1M posts: the worst latency, and mirroring latency while ten of them run.

    python -m bench.generate --out bench/out/forum.db
    python -m bench.hostile_search --db bench/out/forum.db [--before PATH] [--reps 3]

Each phase runs in a process of its own on the code of one tree (PYTHONPATH): this tree ("after")
and, with --before, another checkout (e.g. `git worktree add /tmp/quorum-main main`), so both are
measured in the same run on the same database. A phase:

1. times every hostile query (HOSTILE below: long dotted, hyphenated or underscored words, long
   phrases, stop words, prefix stars, control and bidi characters, very long single words, OR/NEAR
   words, exclusions, filters alone) end to end through SearchService on the real store, `--reps`
   times each after one warm-up pass; a refusal (BadInput: too many words, too broad) counts as an
   answer, timed like the rest;
2. times what a message handler does to mirror an answer (store.get_question, then store.add_post,
   awaited to its durable commit), 40 times at 20/s (or for 30 s at most), idle and then while ten
   tasks run hostile searches back to back.

It adds 80 answers per phase to the database (the mirroring probe).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

GUILD_ID = 900_000_000_000_000_001  # bench/generate.py's
EPOCH_MS = 1_420_070_400_000
COMMON12 = "the to a of and in is it i you that for"

HOSTILE = {
    "dotted 99": ".".join(["a"] * 99),
    "hyphenated 49": "-".join(["the"] * 49),
    "underscored 33": "_".join(["error"] * 33),
    "apostrophes 66": "a'" * 66,
    "digits dotted 99": ".".join(["1"] * 99),
    "phrase of 60 a": '"' + " ".join(["a"] * 60) + '"',
    "phrase of 49 the": '"' + " ".join(["the"] * 49) + '"',
    "phrase of 12 common": f'"{COMMON12}"',
    "phrase of 12 a": '"' + " ".join(["a"] * 12) + '"',
    "12 common words": COMMON12,
    "20 stop words": "the a to of and in is it for on that with this be are as was at or an",
    "prefix stars": "a* b* c* the* to* of* and* in* is* it* i* you*",
    "bidi and controls": "\u202e" + "a\u2066" * 60,
    "NUL and controls": "a\x00b\x01c\x02d\x1be\x7ff" * 10,
    "one word of 200": "a" * 200,
    "two long words": "x" * 99 + " " + "y" * 99,
    "OR words": "a OR b OR c OR d OR e OR f",
    "FTS syntax": 'NEAR(a b, 0) OR "c" AND d NOT e ^f {title}:g',
    "exclusions only": "-the -to -of",
    "one word, 11 exclusions": "a -the -to -of -and -in -is -it -for -on -that -you",
    "common word, rare tag": "the tag:nonexistent",
    "filters only": "is:unanswered score:>=1000",
    "emoji dotted": "x" + "🥺." * 60,
}


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda p: ordered[min(len(ordered) - 1, int(p * len(ordered)))]  # noqa: E731
    return {"n": len(ordered), "p50_ms": round(pick(0.5) * 1e3, 2), "p99_ms": round(pick(0.99) * 1e3, 2),
            "max_ms": round(ordered[-1] * 1e3, 2)}  # fmt: skip


async def one_search(service, text: str, readable) -> tuple[float, str]:
    from bot.forum.errors import ForumError

    started = time.perf_counter()
    try:
        page = await service.search(GUILD_ID, text, page=0, available_tags=None, readable=readable)
        outcome = f"{page.total}{'+' if page.capped else ''} found"
    except ForumError as error:
        outcome = "refused: " + error.message[:60]
    except Exception as error:  # noqa: BLE001 - the member would see "Something broke"
        outcome = f"error: {type(error).__name__}: {error}"
    return time.perf_counter() - started, outcome


async def mirror_probe(store, question_id: int, count: int, seq: list[int], within: float = 30.0) -> list[float]:
    """What mirroring an answer costs a message handler: read the question, store the post (`count`
    times, or fewer if that takes longer than `within` seconds)."""
    from bot.forum.models import Post, PostKind

    samples = []
    stop_at = time.monotonic() + within
    for _ in range(count):
        if time.monotonic() > stop_at:
            break
        seq[0] += 1
        post = Post(id=((int(time.time() * 1000) - EPOCH_MS) << 22) | (seq[0] & 0x3FFFFF), question_id=question_id,
                    guild_id=GUILD_ID, kind=PostKind.ANSWER, author_id=800_000_000_000_000_001,
                    body="Mirrored while searches run.", created_at=datetime.now(UTC))  # fmt: skip
        started = time.perf_counter()
        await store.get_question(question_id)
        await store.add_post(post)
        samples.append(time.perf_counter() - started)
        await asyncio.sleep(0.05)
    return samples


async def measure(db: Path, reps: int) -> dict:
    from bot.forum.search_service import SearchService
    from bot.forum.visibility import Readable
    from db.store import open_store

    store = await open_store(db)
    report: dict = {}
    try:
        service = SearchService(store)
        # A member who reads every channel holding questions: the filter runs, hiding nothing.
        channels = await store._fetchall("SELECT DISTINCT channel_id FROM questions", ())
        readable = Readable(frozenset(r[0] for r in channels))
        for text in HOSTILE.values():  # warm the page cache
            await one_search(service, text, readable)
        queries = {}
        for name, text in HOSTILE.items():
            runs = [await one_search(service, text, readable) for _ in range(reps)]
            queries[name] = {"max_ms": round(max(r[0] for r in runs) * 1e3, 1), "outcome": runs[-1][1]}
        worst = max(queries, key=lambda n: queries[n]["max_ms"])
        report["hostile"] = {"worst": worst, "worst_ms": queries[worst]["max_ms"], "queries": queries}

        question_id = (await store._fetchall("SELECT id FROM questions ORDER BY id DESC LIMIT 1", ()))[0][0]
        seq = [0]
        report["mirroring_idle"] = percentiles(await mirror_probe(store, question_id, 40, seq))
        stop = asyncio.Event()
        done = [0]

        async def hostile_loop(offset: int) -> None:
            texts = list(HOSTILE.values())
            i = offset
            while not stop.is_set():
                await one_search(service, texts[i % len(texts)], readable)
                await asyncio.sleep(0)  # a failing search must not starve the probe
                done[0] += 1
                i += 1

        loops = [asyncio.create_task(hostile_loop(i)) for i in range(10)]
        await asyncio.sleep(0.2)
        loaded = await mirror_probe(store, question_id, 40, seq)
        stop.set()
        await asyncio.gather(*loops)
        report["mirroring_with_10_hostile_searches"] = {**percentiles(loaded), "searches_done": done[0]}
    finally:
        await store.close()
    return report


def run_phase(tree: Path, db: Path, reps: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", "--db", str(db), "--reps", str(reps)]
    out = subprocess.run(command, env=env, cwd=tree, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description="Hostile search latency and mirroring under hostile searches")
    parser.add_argument("--db", type=Path, default=Path("bench/out/forum.db"))
    parser.add_argument("--before", type=Path, help="another checkout to measure first, in the same run")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # one phase, this process
    args = parser.parse_args()
    db = args.db.resolve()
    if args.measure:
        print(json.dumps(asyncio.run(measure(db, args.reps))))
        return
    report = {}
    if args.before:
        report["before"] = {"tree": str(args.before), **run_phase(args.before.resolve(), db, args.reps)}
    here = Path(__file__).resolve().parent.parent
    report["after"] = {"tree": str(here), **run_phase(here, db, args.reps)}
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
