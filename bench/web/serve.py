"""Phase 2: pages served by the real server while the real bot mirrors a steady vote rate into the
same database.

Processes: the paced gateway (bench/web/gateway.py); the bot (bench/web/bot.py: QuorumApp, and
`python -m bot web` as its child, as `quorum run` starts it with QUORUM_WEB_BIND); wrk, the load
generator (Debian's `wrk`, C, its own threads), GETting random question pages with gzip accepted;
this process only orchestrates. Everything is on 127.0.0.1.

Order: pages checked (a sample: 200, gzip, the title in the body); the vote stream starts; after a
warm-up, a window of votes alone (the server idle: the bot's delays on this machine at this moment,
for comparison); wrk's own ceiling against /robots.txt (the cheapest response the server has); then
the measured run over the question pages; the stream runs until after it. CPU and run-queue shares
of the web server, the bot (with its write process) and the gateway are read from /proc for the
votes-alone window and the page run, wrk's CPU from its rusage.
"""

from __future__ import annotations

import asyncio
import html
import json
import multiprocessing as mp
import os
import random
import resource
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import aiohttp

from bench.votes import cpu

from . import bot, gateway
from .prepare import Page, Vote
from .stats import load_average, profile, summary_ms

CTX = mp.get_context("spawn")
LUA = Path(__file__).with_name("wrk.lua")


def _recv(pipe, kind: str, timeout: float):
    if not pipe.poll(timeout):
        raise RuntimeError(f"no {kind!r} within {timeout:.0f} s")
    message = pipe.recv()
    if message[0] != kind:
        raise RuntimeError(f"expected {kind!r}, got {message[0]!r}")
    return message


def _child(target, *args):
    ours, theirs = CTX.Pipe()
    proc = CTX.Process(target=target, args=(theirs, *args), daemon=True)
    proc.start()
    return proc, ours


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(base: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/robots.txt", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the web server did not answer")


async def verify(base: str, pages: list[Page], n: int, seed: int) -> dict:
    """A sample of the page set, fetched as wrk fetches it: 200, gzip, the page's own title."""
    sample = random.Random(seed).sample(pages, min(n, len(pages)))
    bad = []
    gzip = 0
    async with aiohttp.ClientSession(headers={"Accept-Encoding": "gzip, deflate, br"}) as session:
        for page in sample:
            async with session.get(base + page.path, allow_redirects=False) as response:
                text = await response.text()
                gzip += response.headers.get("Content-Encoding") == "gzip"
                if response.status != 200 or html.escape(page.title, quote=False) not in text:
                    bad.append((page.path, response.status))
    if bad:
        raise RuntimeError(f"pages that are not the question's page: {bad[:5]}")
    return {"checked": len(sample), "status_200_with_title": len(sample), "gzip": gzip}


def wrk(url: str, seconds: float, threads: int, connections: int, paths: Path | None) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s", str(LUA), url]
    cmd += ["--", str(paths)] if paths else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRK_JSON "))
    r = json.loads(line.removeprefix("WRK_JSON "))
    seconds_run = r["duration_us"] / 1e6
    wrk_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    per_second = round(r["requests"] / seconds_run, 1)
    return {"requests": r["requests"], "seconds": round(seconds_run, 2), "per_second": per_second,
            "errors": {k: r[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")},
            "latency_ms": {"p50": r["p50_us"] / 1000, "p90": r["p90_us"] / 1000, "p99": r["p99_us"] / 1000,
                           "max": r["max_us"] / 1000, "mean": round(r["mean_us"] / 1000, 2)},
            "mb_per_second": round(r["bytes"] / seconds_run / 1e6, 2),
            "wrk_cpu_share": round(wrk_cpu / seconds_run, 3)}  # fmt: skip


class Windows:
    """CPU and run-queue shares of each process over a window (bench.votes' /proc reader)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.start = time.monotonic()
        self.usage = {name: cpu.usage(pid) for name, pid in pids.items()}

    def shares(self) -> dict:
        now = {name: cpu.usage(pid) for name, pid in self.pids.items()}
        span = time.monotonic() - self.start
        used = {name: now[name] - self.usage[name] for name in self.pids}
        bot_cpu = used["bot_tree"].cpu - used["web_server"].cpu  # the web server is the bot's child
        bot_runq = used["bot_tree"].runq - used["web_server"].runq
        return {"web_server_cpu": round(used["web_server"].cpu / span, 3),
                "web_server_runq": round(used["web_server"].runq / span, 3),
                "bot_and_write_process_cpu": round(bot_cpu / span, 3),
                "bot_and_write_process_runq": round(bot_runq / span, 3),
                "gateway_cpu": round(used["gateway"].cpu / span, 3)}  # fmt: skip


def run(db: Path, pages: list[Page], votes: list[Vote], *, rate: float, seconds: float, ceiling_seconds: float,
        warmup: float, alone_seconds: float, threads: int, connections: int, summary_delay: float, web_nice: int | None,
        seed: int) -> dict:  # fmt: skip
    if shutil.which("wrk") is None:
        raise SystemExit("phase 2 needs wrk (Debian: apt-get install -y wrk)")
    paths = db.with_suffix(".paths")
    paths.write_text("".join(p.path + "\n" for p in pages))
    frames = int(rate * stream_seconds(warmup, alone_seconds, ceiling_seconds, seconds))
    if len(votes) < frames:
        raise ValueError(f"{frames} votes needed, {len(votes)} given")
    votes = votes[:frames]
    send_proc, send_pipe = _child(gateway.main, votes, rate)
    bot_proc = bot_pipe = None
    try:
        _, port, _ = _recv(send_pipe, "port", 120)
        web_port = free_port()
        api_base, gateway_url = f"http://127.0.0.1:{port}/api/v10", f"ws://127.0.0.1:{port}/gateway"
        bot_proc, bot_pipe = _child(bot.main, api_base, gateway_url, str(db), web_port, summary_delay)
        _recv(send_pipe, "armed", 120)
        _, web_pid = _recv(bot_pipe, "ready", 120)
        if web_nice is not None:  # an experiment; None leaves the priority `quorum run` gave it
            os.setpriority(os.PRIO_PROCESS, web_pid, web_nice)
        base = f"http://127.0.0.1:{web_port}"
        wait_up(base)
        result: dict = {"pages_in_set": len(pages), "web_server_niceness": os.getpriority(os.PRIO_PROCESS, web_pid),
                        "verify": asyncio.run(verify(base, pages, 50, seed))}  # fmt: skip
        pids = {"web_server": web_pid, "bot_tree": bot_proc.pid, "gateway": send_proc.pid}
        send_pipe.send(("go",))
        time.sleep(warmup)
        result["loadavg_before"] = load_average()
        alone = Windows(pids)
        time.sleep(alone_seconds)
        alone_ended = time.monotonic()
        result["cpu_share_votes_alone"] = alone.shares()
        result["ceiling_robots_txt"] = wrk(base + "/robots.txt", ceiling_seconds, threads, connections, None)
        profiler = profile(web_pid, "pages")
        window = Windows(pids)
        result["pages"] = wrk(base + "/", seconds, threads, connections, paths)
        result["cpu_share_in_page_run"] = window.shares() | {"wrk_cpu": result["pages"]["wrk_cpu_share"]}
        windows = {"votes_alone": (alone.start, alone_ended), "page_run": (window.start, time.monotonic())}
        result["loadavg_after"] = load_average()
        if profiler is not None:
            profiler.wait(60)
        _, sent = _recv(send_pipe, "sent", frames / rate + 60)
        bot_pipe.send(("stop",))
        _, done = _recv(bot_pipe, "done", 60)
        send_pipe.send(("stats",))
        _, requests, unexpected = _recv(send_pipe, "stats", 10)
        result["votes"] = _delays(votes, sent, done, windows, rate)
        result["votes"]["writer"] = done["writer"]
        result["votes"]["gateway_rest"] = {"requests": requests, "unexpected": unexpected}
        return result
    finally:
        if bot_pipe is not None and bot_proc is not None:
            bot_proc.join(timeout=30)
            if bot_proc.is_alive():
                bot_proc.terminate()
        send_pipe.send(("stop",))
        send_proc.join(timeout=10)
        if send_proc.is_alive():
            send_proc.terminate()
        paths.unlink(missing_ok=True)


def stream_seconds(warmup: float, alone: float, ceiling: float, seconds: float) -> float:
    return warmup + alone + ceiling + seconds + 6  # the stream outlasts the page run


def _delays(votes: list[Vote], sent: list[float], done: dict, windows: dict[str, tuple[float, float]],
            rate: float) -> dict:  # fmt: skip
    """Gateway frame written -> apply_vote returned after its COMMIT, per vote."""
    index = {(v.post_id, v.voter_id): i for i, v in enumerate(votes)}
    delays, outcomes = [], {}
    within: dict[str, list[float]] = {name: [] for name in windows}
    for post_id, voter_id, at, outcome in done["committed"]:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        i = index.get((post_id, voter_id))
        if i is None:
            continue
        delay = at - sent[i]
        delays.append(delay)
        for name, (start, end) in windows.items():
            if start <= sent[i] <= end:
                within[name].append(delay)
    span = sent[-1] - sent[0] if len(sent) > 1 else 0.0
    # Per second of the stream: votes sent, committed, and the worst delay (where a stall was).
    timeline: dict[int, list] = {}
    committed_at = {(p, v): at for p, v, at, _ in done["committed"]}
    for i, vote in enumerate(votes):
        second = int(sent[i] - sent[0])
        row = timeline.setdefault(second, [second, 0, 0, 0.0])
        row[1] += 1
        at = committed_at.get((vote.post_id, vote.voter_id))
        if at is not None:
            row[2] += 1
            row[3] = max(row[3], round((at - sent[i]) * 1000, 1))
    return {"sent": len(sent), "rate_asked": rate, "rate_sent": round((len(sent) - 1) / span, 1) if span else None,
            "committed": len(delays), "outcomes": outcomes, "delay_all": summary_ms(delays),
            "over_100ms": sum(d > 0.1 for d in delays),
            "windows": {name: summary_ms(d) | {"over_100ms": sum(x > 0.1 for x in d),
                                               "seconds_of_stream": [round(w - sent[0], 1) for w in windows[name]]}
                        for name, d in within.items()},
            "per_second_sent_committed_max_delay_ms": list(timeline.values())}  # fmt: skip
