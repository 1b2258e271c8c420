"""Commit latency at a steady rate: votes submitted through SqliteStore.apply_vote (the store's single
writer, group commit, synchronous=FULL) at RATE per second for SECONDS; latency = commit acknowledged
(the awaiting caller resumes) - submitted. 95 % new votes, 5 % switches of standing votes.

The first WARMUP seconds run at the same rate but are not measured: the write process's first batches
import the store's operations and fill its page cache (a start-up cost of ~0.2 s that would otherwise
be a fifth of the slow votes of a 10 s run). Everything after it counts, checkpoints included."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime
from pathlib import Path

from .fixture import Params, Vote, generate

WARMUP = 1.0


def run(pipe, database: str, params: Params, rate: int, seconds: float) -> None:
    asyncio.run(_run(pipe, Path(database), params, rate, seconds))


def _workload(params: Params, count: int) -> list[Vote]:
    _posts, base, new = generate(params)
    rng = random.Random(7)
    out = []
    for i in range(count):
        if rng.random() < 0.05:
            b = base[rng.randrange(len(base))]
            out.append(Vote(b.post_id, b.question_id, b.author_id, b.voter_id, -b.value))
        else:
            out.append(new[i])
    return out


async def _run(pipe, database: Path, params: Params, rate: int, seconds: float) -> None:
    from db.store import open_store

    warmup = int(rate * WARMUP)
    votes = _workload(params, warmup + int(rate * seconds))
    store = await open_store(database)
    latencies: list[float] = []
    results: dict[str, int] = {}
    pending: set[asyncio.Task] = set()

    async def one(v: Vote, measured: bool) -> None:
        submitted = time.perf_counter()
        outcome = await store.apply_vote(v.post_id, v.voter_id, v.value, datetime.now(UTC), cap=40)
        if measured:
            latencies.append((time.perf_counter() - submitted) * 1000)
            results[outcome.result.value] = results.get(outcome.result.value, 0) + 1

    try:
        start = time.perf_counter()
        sent = 0
        while sent < len(votes):
            due = min(len(votes), int((time.perf_counter() - start) * rate) + 1)
            while sent < due:
                if sent == warmup:
                    measured_from, commits0 = time.perf_counter(), store.writer.commits
                task = asyncio.create_task(one(votes[sent], sent >= warmup))
                pending.add(task)
                task.add_done_callback(pending.discard)
                sent += 1
            await asyncio.sleep(0.0005)
        await asyncio.gather(*pending)
        elapsed = time.perf_counter() - measured_from
        commits = store.writer.commits - commits0
    finally:
        await store.close()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    pipe.send(("done", {"votes": len(latencies), "seconds": elapsed, "rate": len(latencies) / elapsed,
                        "commits": commits, "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99),
                        "max_ms": latencies[-1], "over_5ms": sum(1 for x in latencies if x > 5),
                        "results": results}))  # fmt: skip
