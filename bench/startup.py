"""python -m bench.startup --db FILE: how long `quorum run` takes to be ready on a large database.

Generate one first (`python -m bench.generate --out bench/out/q100k.db --scale 0.5`: 100k questions,
~500k posts, ~2.5M votes, 1 GB). Times, each `--runs` times on a copy-free reuse of FILE (its page
cache stays warm after the first run; say so when comparing): the start-up integrity check alone,
unbounded and with the start-up budget, and QuorumApp start to READY against the emulator (lock,
check, migrations, store, login, gateway). DESIGN target: start-up with 100k questions < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

from bot.app import QuorumApp
from bot.config import Settings
from db.integrity import START_BUDGET, check_integrity
from emulator import Emulator


async def ready_seconds(db: Path) -> float:
    emulator = Emulator()
    await emulator.start()
    try:
        settings = Settings(token=emulator.token, database_url=f"sqlite:///{db}", api_base=emulator.api_base,
                            log_level="WARNING")  # fmt: skip
        app = QuorumApp(settings)
        started = time.perf_counter()
        await app.start()
        await app.wait_until_ready()
        elapsed = time.perf_counter() - started
        await app.close()
        return elapsed
    finally:
        await emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    full = [check_integrity(args.db, budget=None).seconds for _ in range(args.runs)]
    bounded = [check_integrity(args.db) for _ in range(args.runs)]
    ready = [asyncio.run(ready_seconds(args.db.resolve())) for _ in range(args.runs)]
    print(json.dumps({
        "db_bytes": args.db.stat().st_size,
        "quick_check_whole_s": [round(s, 3) for s in full],
        "quick_check_budget_s": START_BUDGET,
        "quick_check_bounded_s": [round(c.seconds, 3) for c in bounded],
        "bounded_complete": [c.complete for c in bounded],
        "start_to_ready_s": [round(s, 3) for s in ready],
        "start_to_ready_median_s": round(statistics.median(ready), 3),
    }))


if __name__ == "__main__":
    main()
