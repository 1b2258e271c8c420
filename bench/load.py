"""python -m bench.load: many members voting and posting through the emulator for a fixed time.

The real bot (QuorumApp: discord.py, cogs, service, store with synchronous=FULL) and the emulator
run in ONE process and event loop, so the emulator's work (serialising events, REST handlers) is
charged to the same core as the bot's: the numbers are a lower bound for the bot alone. The
emulator's request log and RESUME buffer, which grow without bound by design (tests read them), are
trimmed every second so memory measures the bot and a steady world, not the test instrument.

Reported:
- events handled per second: gateway dispatches sent, and store writes committed (writer ops);
- commit latency p50/p99: a probe queues an empty write every 10 ms and times its acknowledgement
  (the wait any vote or post has between being queued and being durable);
- interaction response p50/p99/max: `/question` or `/vote` invoked every 100 ms, from dispatch to
  the bot's first answer reaching the emulator (target p99 <= 1 s);
- resident memory each second; growth after warm-up (the first quarter) as a slope in MB/min.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from bot.app import QuorumApp
from bot.config import Settings
from emulator import Emulator

UP, DOWN = "\N{THUMBS UP SIGN}", "\N{THUMBS DOWN SIGN}"


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def slope_per_min(samples: list[tuple[float, float]]) -> float:
    if len(samples) < 3:
        return float("nan")
    xs, ys = [t for t, _ in samples], [m for _, m in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 60 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


async def run(seconds: float, rate: float, members: int, threads: int, seed: int) -> dict:
    rng = random.Random(seed)
    emu = Emulator()
    await emu.start()
    w = emu.world
    tmp = Path(tempfile.mkdtemp(prefix="quorum-load-"))
    settings = Settings(token=emu.token, database_url=f"sqlite:///{tmp / 'load.db'}", api_base=emu.api_base,
                        log_level="WARNING")  # fmt: skip
    app = QuorumApp(settings)
    bot = await app.start()
    await app.wait_until_ready(timeout=30)
    store = app.store
    try:
        setup = await emu.invoke_slash(w.members["alice"].id, w.text_channel_id, "quorum setup",
                                       {"channel": w.forum_channel_id, "daily_vote_cap": 1000})  # fmt: skip
        await setup.wait_response()
        ids = [w.add_member(f"m{i}", _quiet=True) for i in range(members)]
        posts: list[tuple[int, int]] = []  # (thread, message)
        for t in range(threads):
            thread = await emu.create_forum_post(rng.choice(ids), f"Load question {t}", "body")
            tid = int(thread["id"])
            posts.append((tid, tid))
            for a in range(4):
                msg = await emu.post_message(rng.choice(ids), tid, f"answer {a}")
                posts.append((tid, int(msg["id"])))
        for _ in range(200):  # until the fixture is mirrored
            if len(await store.question_posts(posts[-1][0])) >= 5:
                break
            await asyncio.sleep(0.05)

        stop = asyncio.Event()
        commit_ms: list[float] = []
        interaction_ms: list[float] = []
        memory: list[tuple[float, float]] = []
        counts = {"votes": 0, "posts": 0, "refused": 0}
        t0 = time.monotonic()

        async def load() -> None:
            tick = 0.01
            carry = 0.0
            while not stop.is_set():
                carry += rate * tick
                n, carry = int(carry), carry - int(carry)
                for _ in range(n):
                    who = rng.choice(ids)
                    tid, mid = rng.choice(posts)
                    try:
                        if rng.random() < 0.02:
                            msg = await emu.post_message(who, tid, f"answer at {time.monotonic() - t0:.2f}")
                            posts.append((tid, int(msg["id"])))
                            counts["posts"] += 1
                            continue
                        emoji = UP if rng.random() < 0.7 else DOWN
                        if who in w.reactions.get(mid, {}).get(emoji, []):
                            await emu.remove_reaction(who, tid, mid, emoji)
                        else:
                            await emu.add_reaction(who, tid, mid, emoji)
                        counts["votes"] += 1
                    except Exception:
                        counts["refused"] += 1
                await asyncio.sleep(tick)

        async def probe_commits() -> None:
            while not stop.is_set():
                started = time.perf_counter()
                await store.writer.run_sync(_nothing)
                commit_ms.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.01)

        async def probe_interactions() -> None:
            i = 0
            while not stop.is_set():
                i += 1
                tid, mid = rng.choice(posts)
                who = rng.choice(ids)
                started = time.perf_counter()
                if i % 2:
                    inter = await emu.invoke_slash(who, tid, "question", {})
                else:
                    inter = await emu.invoke_slash(who, tid, "vote", {"message": str(mid), "direction": "up"})
                await inter.wait_response(timeout=10)
                interaction_ms.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.1)

        async def sample_memory() -> None:
            while not stop.is_set():
                emu.requests.clear()
                session = emu.gateway.current
                if session is not None and len(session.buffer) > 1000:
                    del session.buffer[:-1000]
                gc.collect()
                memory.append((time.monotonic() - t0, rss_mb()))
                await asyncio.sleep(1.0)

        ops0, sent0 = store.writer.ops, emu.gateway_stats.events_sent
        tasks = [asyncio.create_task(c()) for c in (load, probe_commits, probe_interactions, sample_memory)]
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - t0
        assert app.task is not None and not app.task.done(), "the bot's gateway task ended during the run"
        warm = [(t, m) for t, m in memory if t >= seconds / 4]
        return {
            "seconds": round(elapsed, 1), "target_rate": rate, "members": members, "threads": threads,
            "actions": dict(counts),
            "events_per_s": round((emu.gateway_stats.events_sent - sent0) / elapsed),
            "writes_per_s": round((store.writer.ops - ops0) / elapsed),
            "commit_ms": {"p50": round(pct(commit_ms, 50), 2), "p99": round(pct(commit_ms, 99), 2),
                          "n": len(commit_ms)},
            "interaction_ms": {"p50": round(pct(interaction_ms, 50), 1), "p99": round(pct(interaction_ms, 99), 1),
                               "max": round(max(interaction_ms, default=float("nan")), 1),
                               "n": len(interaction_ms)},
            "rss_mb": {"start": round(memory[0][1], 1) if memory else None,
                       "after_warmup": [round(m, 1) for _, m in warm[:: max(1, len(warm) // 8)]],
                       "end": round(memory[-1][1], 1) if memory else None,
                       "slope_mb_per_min_after_warmup": round(slope_per_min(warm), 2)},
            "recount_differences": (await store.recount()).differences,
        }  # fmt: skip
    finally:
        await app.close()
        await emu.stop()
        del bot


def _nothing(conn) -> None:
    return None


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=500.0, help="member actions per second (votes, some posts)")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = asyncio.run(run(args.seconds, args.rate, args.members, args.threads, args.seed))
    result["machine"] = f"{platform.python_version()}, {os.cpu_count()} cpus, {platform.machine()}"
    import json

    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
