"""python -m bench.memory: the bot's own memory over time, under steady voting on a world of fixed size.

bench.load runs bot, emulator and load in one process, so its memory curve mixes the bot with a
world that grows as members post. Here the bot is `python -m bot run` in its own process (the same
command users run), the emulator and the members stay in this process, and the world is built once
(threads and answers) and then only voted on: members add and take back reactions in turn, so the
number of messages, reactions and stored votes stays bounded. The bot's resident memory is read from
/proc/<its pid>/status (plus its write process's) every second; growth after warm-up is reported as a slope in MB/min.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench.load import slope_per_min
from emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]
UP = "\N{THUMBS UP SIGN}"


def rss_of(pid: int) -> float:
    """Resident MB of the process and its children (the bot's database write process)."""
    total = 0.0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        children = []
    for child in children:
        try:
            total += rss_of(child)
        except OSError:
            pass  # ended between the listing and the read
    return total


async def run(seconds: float, rate: float, members: int, threads: int, answers: int, seed: int) -> dict:
    rng = random.Random(seed)
    emulator = Emulator()
    await emulator.start()
    world = emulator.world
    voters = [world.add_member(f"member{i}") for i in range(members)]
    with tempfile.TemporaryDirectory(prefix="quorum-memory-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "QUORUM_", "DATABASE_URL"))}
        env.update(PYTHONPATH=str(ROOT), DISCORD_TOKEN=emulator.token, DISCORD_API_BASE=emulator.api_base,
                   DATABASE_URL=f"sqlite:///{Path(tmp) / 'q.db'}", LOG_LEVEL="WARNING")  # fmt: skip
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            # Commands are registered before the gateway connects; an interaction needs the session.
            await emulator.wait_for(lambda: emulator.gateway_stats.identifies >= 1, timeout=30)
            await asyncio.sleep(1.0)
            options = {"channel": world.forum_channel_id, "daily_vote_cap": 1000}
            admin = world.members["alice"].id
            setup = await emulator.invoke_slash(admin, world.text_channel_id, "quorum setup", options)
            await setup.wait_response(timeout=10)  # a cap high enough that no vote is refused
            posts: list[tuple[int, int]] = []  # (thread, answer) pairs members vote on
            for t in range(threads):
                thread = await emulator.create_forum_post(rng.choice(voters), f"Question {t}", "body " * 20)
                for _ in range(answers):
                    answer = await emulator.post_message(rng.choice(voters), int(thread["id"]), "answer " * 30)
                    posts.append((int(thread["id"]), int(answer["id"])))
            await asyncio.sleep(2)  # let the bot mirror the world before the clock starts

            held: set[tuple[int, int]] = set()  # (member, answer) pairs holding a 👍 now
            samples: list[tuple[float, float]] = []
            sent = 0
            started = time.monotonic()
            next_sample = started
            while (now := time.monotonic()) - started < seconds:
                if proc.returncode is not None:
                    raise RuntimeError(f"the bot exited with {proc.returncode}")
                member = rng.choice(voters)
                thread_id, answer_id = rng.choice(posts)
                # Add or take back: the world's reactions stay bounded by members x answers.
                if (member, answer_id) in held:
                    await emulator.remove_reaction(member, thread_id, answer_id, UP)
                    held.discard((member, answer_id))
                else:
                    await emulator.add_reaction(member, thread_id, answer_id, UP)
                    held.add((member, answer_id))
                sent += 1
                emulator.requests.clear()  # the emulator's own log is the test instrument, not the bot
                if now >= next_sample:
                    samples.append((now - started, rss_of(proc.pid)))
                    next_sample += 1.0
                await asyncio.sleep(max(0.0, started + sent / rate - time.monotonic()))
            elapsed = time.monotonic() - started
            await asyncio.sleep(2)  # the last events reach the store
            with sqlite3.connect(Path(tmp) / "q.db") as db:  # proof the bot was voting, not idling
                standing = db.execute("SELECT count(*) FROM votes WHERE value != 0").fetchone()[0]
        finally:
            if proc.returncode is None:
                proc.terminate()
                await asyncio.wait_for(proc.wait(), timeout=30)
            await emulator.stop()
    warm = [s for s in samples if s[0] >= seconds / 4]
    return {
        "seconds": round(elapsed, 1),
        "reaction_events": sent,
        "votes_standing_in_the_bot_store": standing,
        "reactions_held_in_discord": len(held),
        "events_per_second": round(sent / elapsed, 1),
        "world": {"threads": threads, "answers": threads * answers, "members": members},
        "rss_mb": {"first": samples[0][1], "after_warmup": warm[0][1], "last": samples[-1][1],
                   "max": max(m for _, m in samples)},  # fmt: skip
        "slope_after_warmup_mb_per_min": round(slope_per_min(warm), 2),
        "samples": [(round(t), round(m, 1)) for t, m in samples],
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--rate", type=float, default=200, help="reaction events per second")
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--threads", type=int, default=40)
    parser.add_argument("--answers", type=int, default=5, help="answers per thread")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = asyncio.run(run(args.seconds, args.rate, args.members, args.threads, args.answers, args.seed))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
