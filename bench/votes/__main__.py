"""python -m bench.votes: run every phase once (or --rounds times) and print the numbers and ratios.

Phases, each in a fresh process, each on a fresh copy of the fixture, each bounded (~60 s):
  sqlite   raw sqlite3, 1000 votes per transaction (what the disk and SQLite allow)
  sink     the sender's own rate: a raw WebSocket reader that only drains the socket
  bare     the baseline: a bare discord.Client counting on_raw_reaction_add
  quorum   the real bot, gateway frame -> committed vote, score and reputation
  latency  commit latency through the store's writer at a steady 1k votes/s
The target (DESIGN 5) is quorum/bare >= 0.6, with a sender at least 3x as fast as the bare client.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from . import clients, fixture, latency, sender, sqlite_raw

TARGET = 0.6  # quorum / bare
SENDER_MARGIN = 3.0  # sink / bare: the sender must outrun the client it feeds
CTX = mp.get_context("spawn")


def _recv(pipe, kind: str, timeout: float = 120.0):
    if not pipe.poll(timeout):
        raise TimeoutError(f"no {kind!r} message within {timeout:.0f} s")
    message = pipe.recv()
    if message[0] != kind:
        raise RuntimeError(f"expected {kind!r}, got {message!r}")
    return message


def _child(target, *args) -> tuple[mp.Process, object]:
    mine, theirs = CTX.Pipe()
    proc = CTX.Process(target=target, args=(theirs, *args), daemon=True)
    proc.start()
    return proc, mine


def phase_sqlite(workdir: Path, fix: Path, votes) -> dict:
    db = fixture.copy(fix, workdir / "sqlite.db")
    proc, pipe = _child(sqlite_raw.main, str(db), votes)
    result = _recv(pipe, "done", 180)[1]
    proc.join(10)
    return result


def phase_stream(workdir: Path, fix: Path, which: str, sending: tuple, port: int, sizes: dict,
                 summary_delay: float) -> dict:  # fmt: skip
    send_proc, send_pipe = sending
    api_base, gateway_url = f"http://127.0.0.1:{port}/api/v10", f"ws://127.0.0.1:{port}/gateway"
    frames = sizes["frames"]
    if which == "sink":
        proc, pipe = _child(clients.sink, send_proc.pid, port, sizes)
    elif which == "bare":
        proc, pipe = _child(clients.bare, send_proc.pid, api_base, gateway_url, frames)
    else:
        db = fixture.copy(fix, workdir / "quorum.db")
        started_ms = int(time.time() * 1000) - 1
        proc, pipe = _child(clients.quorum, send_proc.pid, api_base, gateway_url, str(db), frames, started_ms,
                            summary_delay)  # fmt: skip
    _recv(send_pipe, "armed", 120)
    _recv(pipe, "ready", 120)
    load = os.getloadavg()[0]
    send_pipe.send(("go",))
    t0 = _recv(send_pipe, "sent", 60)[1]
    result = _recv(pipe, "done", 180)[1]
    proc.join(30)
    if proc.is_alive():
        proc.kill()
    result["start"] = t0
    result["seconds"] = result["end"] - t0
    # Incomplete (the phase's time limit): the rate over what was done in the window.
    result["rate"] = result["count"] / result["seconds"]
    result["loadavg_1min"] = round(load, 2)
    return result


def phase_latency(workdir: Path, fix: Path, params: fixture.Params, rate: int, seconds: float) -> dict:
    db = fixture.copy(fix, workdir / "latency.db")
    proc, pipe = _child(latency.run, str(db), params, rate, seconds)
    result = _recv(pipe, "done", 180)[1]
    proc.join(10)
    return result


def machine() -> dict:
    import sqlite3

    import aiosqlite
    import discord

    load = os.getloadavg()
    return {"python": sys.version.split()[0], "discord.py": discord.__version__, "aiosqlite": aiosqlite.__version__,
            "sqlite": sqlite3.sqlite_version, "cpus": os.cpu_count(), "platform": platform.platform(),
            "loadavg_at_start": [round(x, 2) for x in load]}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.votes", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/quorum-bench"))
    ap.add_argument("--votes", type=int, default=60_000, help="frames / votes per throughput phase")
    ap.add_argument("--rounds", type=int, default=1, help="repeat sqlite, bare, quorum; ratios per round")
    ap.add_argument("--phases", default="sqlite,sink,bare,quorum,latency")
    ap.add_argument("--pin", action="store_true",
                    help="pin the sender to the last CPU and the client's event loop to CPU 0 (Quorum's write "
                         "process is left free)")
    ap.add_argument("--latency-rate", type=int, default=1000)
    ap.add_argument("--latency-seconds", type=float, default=10.0)
    ap.add_argument("--summary-delay", type=float, default=300.0,
                    help="Quorum's QUORUM_SUMMARY_DELAY: the default 300 (the most the setting allows) keeps the "
                         "live summary's edits out of the measured window; 3 is the production default")
    ap.add_argument("--json", type=Path, help="also write every number here")
    args = ap.parse_args(argv)
    phases = args.phases.split(",")
    params = fixture.Params(votes=args.votes)
    report: dict = {"machine": machine(), "params": params.__dict__ | {"posts": params.posts}, "rounds": []}
    t = time.perf_counter()
    fix, votes = fixture.prepare(args.workdir, params)
    print(f"fixture {fix} ({params.posts} posts, {params.base_votes} standing votes) ready in "
          f"{time.perf_counter() - t:.1f} s; {len(votes)} votes to cast", flush=True)  # fmt: skip

    if args.pin:
        os.environ["BENCH_SENDER_CPU"], os.environ["BENCH_CLIENT_CPU"] = str((os.cpu_count() or 1) - 1), "0"
    report["pinned"] = args.pin
    send_proc = send_pipe = None
    port, sizes = 0, {}
    if {"sink", "bare", "quorum"} & set(phases):
        send_proc, send_pipe = _child(sender.main, votes)
        _, port, sizes = _recv(send_pipe, "port", 120)
    try:
        for r in range(args.rounds):
            rnd: dict = {}
            for name in ("sqlite", "sink", "bare", "quorum"):
                if name not in phases:
                    continue
                if name == "sqlite":
                    rnd[name] = phase_sqlite(args.workdir, fix, votes)
                else:
                    sending = (send_proc, send_pipe)
                    rnd[name] = phase_stream(args.workdir, fix, name, sending, port, sizes, args.summary_delay)
                print(f"round {r + 1} {name:7s} {rnd[name]['rate']:9.0f} votes/s  "
                      f"{_brief(rnd[name])}", flush=True)  # fmt: skip
            _ratios(rnd)
            report["rounds"].append(rnd)
        if "latency" in phases:
            res = phase_latency(args.workdir, fix, params, args.latency_rate, args.latency_seconds)
            report["latency"] = res
            print(f"latency at {res['rate']:.0f} votes/s: p50 {res['p50_ms']:.2f} ms, p90 {res['p90_ms']:.2f} ms, "
                  f"p99 {res['p99_ms']:.2f} ms (target <= 5), max {res['max_ms']:.1f} ms, "
                  f"{res['over_5ms']} of {res['votes']} over 5 ms, {res['commits']} commits, {res['results']}",
                  flush=True)  # fmt: skip
    finally:
        if send_pipe is not None:
            send_pipe.send(("stats",))
            try:
                report["sender_requests"] = _recv(send_pipe, "stats", 10)[1:]
            except (TimeoutError, RuntimeError):
                pass
            send_pipe.send(("stop",))
            send_proc.join(10)
    _summary(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


def _brief(res: dict) -> str:
    keep = ("seconds", "complete", "reason", "count", "commits", "failed_ops", "recount_differences", "new_votes",
            "cast", "refused", "new_rows", "loadavg_1min")  # fmt: skip
    out = " ".join(f"{k}={round(res[k], 2) if isinstance(res[k], float) else res[k]}" for k in keep if k in res)
    if "cpu_s" in res:
        # Of the window: the client's tree on a CPU / waiting for one (both near 100 %: it was never
        # waiting for its input), and the sender's CPU.
        w = res["seconds"] / 100
        out += (f" client cpu {res['cpu_s'] / w:.0f}% runq {res['runq_s'] / w:.0f}%"
                f" sender cpu {res['sender_cpu_s'] / w:.0f}%")  # fmt: skip
    return out


def _ratios(rnd: dict) -> None:
    rates = {name: rnd[name]["rate"] for name in ("sqlite", "sink", "bare", "quorum") if name in rnd}
    pairs = (("quorum", "bare"), ("sink", "bare"), ("quorum", "sqlite"))
    rnd["ratios"] = {f"{a}/{b}": rates[a] / rates[b] for a, b in pairs if a in rates and b in rates}
    if rnd["ratios"]:
        print("         ratios " + "  ".join(f"{k} {v:.2f}" for k, v in rnd["ratios"].items())
              + f"  (target quorum/bare >= {TARGET}, with sink/bare >= {SENDER_MARGIN:.0f})", flush=True)  # fmt: skip


def _summary(report: dict) -> None:
    ratios = [r["ratios"]["quorum/bare"] for r in report["rounds"] if "quorum/bare" in r.get("ratios", {})]
    margins = [r["ratios"]["sink/bare"] for r in report["rounds"] if "sink/bare" in r.get("ratios", {})]
    if margins:
        fast = "outran" if min(margins) >= SENDER_MARGIN else "did NOT outrun"
        print(f"sender/bare: {min(margins):.1f}-{max(margins):.1f}: the sender {fast} the bare client "
              f"{SENDER_MARGIN:.0f}x in every round")  # fmt: skip
    if ratios:
        med = statistics.median(ratios)
        verdict = "meets" if med >= TARGET else "BELOW"
        spread = f"{min(ratios):.2f}-{max(ratios):.2f}"
        print(f"quorum/bare: median {med:.2f} over {len(ratios)} round(s) (spread {spread}): {verdict} the {TARGET} "
              "target")  # fmt: skip
    if "sender_requests" in report:
        # Unexpected ones are the live summary's edits flushed at shutdown, after the measured window.
        requests, unexpected = report["sender_requests"]
        print(f"sender REST requests: {sum(requests.values())} ({sum(unexpected.values())} outside login and "
              "command sync; the full list is in --json)")


if __name__ == "__main__":
    sys.exit(main())
