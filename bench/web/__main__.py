"""python -m bench.web --db /work/bench-out/forum.db: the web's benchmark on a generated forum.

The source database is never written: each run copies it (cp --reflink=auto) to --workdir, makes the
copy ready for the web (bench/web/prepare.py) and runs the phases on it:
  render   question pages rendered in-process by the handler's code (the 200-answer threads and
           random questions; warm and cold markdown cache): p50/p99/max
  serve    `quorum web` (as `quorum run` starts it) under wrk on 127.0.0.1 while the bot mirrors a
           steady vote rate into the same database: pages/s, page latency, each vote's delay, and
           wrk's own ceiling on /robots.txt in the same run (needs Debian's wrk)
  sitemap  /sitemap.xml and every chunk: total time, the server's memory, URLs = public questions
Prints JSON (and writes it to --json). The copy is removed at the end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from . import prepare, render, serve, sitemap
from .stats import load_average

PHASES = ("render", "serve", "sitemap")


def machine() -> dict:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                                text=True).stdout.strip())  # fmt: skip
    return {"commit": commit + ("+dirty" if dirty else ""), "python": sys.version.split()[0],
            "sqlite": sqlite3.sqlite_version, "cpus": os.cpu_count(), "platform": platform.platform(),
            "command": " ".join(["python -m bench.web", *sys.argv[1:]])}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.web", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--db", type=Path, required=True, help="a forum from bench.generate (only read)")
    ap.add_argument("--workdir", type=Path, default=Path("/work/bench-out"), help="where the copy goes")
    ap.add_argument("--phases", default=",".join(PHASES), help="comma-separated, of: " + ", ".join(PHASES))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--random-pages", type=int, default=1000, help="random questions rendered in phase 1")
    ap.add_argument("--big-repeats", type=int, default=50, help="warm renders of each 200-answer page")
    ap.add_argument("--cold-big-repeats", type=int, default=10, help="cold renders of each 200-answer page")
    ap.add_argument("--seconds", type=float, default=30, help="phase 2's measured page run")
    ap.add_argument("--ceiling-seconds", type=float, default=5, help="wrk on /robots.txt, before the page run")
    ap.add_argument("--warmup", type=float, default=3, help="votes streaming before wrk starts")
    ap.add_argument("--alone-seconds", type=float, default=10, help="votes with the server idle, for comparison")
    ap.add_argument(
        "--web-nice",
        type=int,
        default=None,
        help="experiment: set the web server's niceness (default: as quorum run starts it)",
    )
    ap.add_argument("--vote-rate", type=float, default=200, help="votes per second the bot mirrors")
    ap.add_argument("--load-pages", type=int, default=20000, help="random question pages wrk picks from")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections (closed loop)")
    ap.add_argument(
        "--summary-delay",
        type=float,
        default=300.0,
        help="the bot's QUORUM_SUMMARY_DELAY; 300 keeps summary edits (REST) out of the run",
    )
    ap.add_argument("--sitemap-passes", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the prepared copy")
    ap.add_argument("--json", type=Path, help="also write the report here")
    args = ap.parse_args(argv)
    phases = [p for p in args.phases.split(",") if p]
    if unknown := set(phases) - set(PHASES):
        ap.error(f"unknown phases: {sorted(unknown)}")

    report: dict = {"machine": machine(), "loadavg_at_start": load_average()}
    copy = args.workdir / f"web-bench-{os.getpid()}.db"
    try:
        report["copy_seconds"] = round(prepare.copy_database(args.db, copy), 1)
        report["prepare"] = prepare.prepare(copy, args.seed)
        print(f"prepared {copy}: {report['prepare']}", file=sys.stderr, flush=True)
        big, sample = prepare.pages(copy, big_answers=200, sample=args.random_pages, seed=args.seed)
        if "render" in phases:
            t = time.perf_counter()
            report["render"] = asyncio.run(render.run(copy, big, sample, big_repeats=args.big_repeats,
                                                      cold_big_repeats=args.cold_big_repeats))  # fmt: skip
            report["render"]["loadavg_after"] = load_average()
            print(f"render done in {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
        if "serve" in phases:
            _, load_set = prepare.pages(copy, big_answers=200, sample=args.load_pages, seed=args.seed + 1)
            frames = int(
                args.vote_rate
                * serve.stream_seconds(args.warmup, args.alone_seconds, args.ceiling_seconds, args.seconds)
            )
            votes = prepare.votes(copy, frames, seed=args.seed)
            report["serve"] = serve.run(copy, load_set, votes, rate=args.vote_rate, seconds=args.seconds,
                                        ceiling_seconds=args.ceiling_seconds, warmup=args.warmup,
                                        alone_seconds=args.alone_seconds, web_nice=args.web_nice,
                                        threads=args.threads, connections=args.connections,
                                        summary_delay=args.summary_delay, seed=args.seed)  # fmt: skip
            print("serve done", file=sys.stderr, flush=True)
        if "sitemap" in phases:
            with sqlite3.connect(f"file:{copy}?mode=ro", uri=True) as conn:
                public = prepare.public_questions(conn)
            report["sitemap"] = sitemap.run(copy, passes=args.sitemap_passes)
            report["sitemap"]["public_questions"] = public
            report["sitemap"]["urls_match"] = all(p["urls"] == public for p in report["sitemap"]["passes"])
            report["sitemap"]["target_met"] = all(p["seconds"] < 2 for p in report["sitemap"]["passes"][:-1])
            report["sitemap"]["loadavg_after"] = load_average()
    finally:
        if not args.keep:
            for suffix in ("", "-wal", "-shm", ".lock"):  # .lock: the bot's instance lock
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
    report["loadavg_at_end"] = load_average()
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
