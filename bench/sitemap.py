"""The sitemap of a large forum, and the list pages, served by `quorum web` in a process of its own.

    python -m bench.sitemap --db bench/out/forum.db

Publishes the benchmark forum's channel (the store's own write methods: bench.generate publishes
nothing), starts `python -m bot web` on a free port of 127.0.0.1, and times, from this process:
/sitemap.xml and every /sitemaps/{n}.xml chunk read in full with gzip (the target: 200k questions in
under 2 s), twice, the server's resident memory sampled every 20 ms while it streams (the first pass
fills SQLite's page cache, bounded by the readers' cache_size; the second shows whether streaming
itself grows: rows are read in batches), and a few list pages (each one's best of five). Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bench.generate import CHANNEL_ID, GUILD_ID
from db.store import open_store


async def publish(path: Path) -> None:
    store = await open_store(path)
    try:
        now = datetime.now(UTC)
        await store.set_guild_name(GUILD_ID, "Benchmark forum", now)
        await store.set_channel_published(GUILD_ID, CHANNEL_ID, True, None, now)
        await store.set_channel_readable(GUILD_ID, CHANNEL_ID, True, now)
    finally:
        await store.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def wait_up(session: aiohttp.ClientSession, base: str, proc: subprocess.Popen) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"quorum web exited with {proc.returncode}")
        try:
            async with session.get(base + "/robots.txt") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("quorum web did not start")


async def sample(pid: int, into: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        into.append(rss_mib(pid))
        await asyncio.sleep(0.02)


async def measure(base: str, proc: subprocess.Popen) -> dict:
    pid = proc.pid
    headers = {"Accept-Encoding": "gzip"}
    async with aiohttp.ClientSession(auto_decompress=True) as session:
        await wait_up(session, base, proc)
        async with session.get(f"{base}/g/{GUILD_ID}") as response:  # warm the page cache and the templates
            await response.read()
        passes = []
        for _ in range(2):  # the first pass fills SQLite's page cache (bounded: cache_size); the second must not grow
            rss: list[float] = []
            stop = asyncio.Event()
            sampler = asyncio.create_task(sample(pid, rss, stop))
            before = rss_mib(pid)
            started = time.perf_counter()
            async with session.get(base + "/sitemap.xml", headers=headers) as response:
                index = await response.text()
            chunks = index.count("<sitemap>")
            urls = 0
            for n in range(1, chunks + 1):
                async with session.get(f"{base}/sitemaps/{n}.xml", headers=headers) as response:
                    urls += (await response.read()).count(b"<url>")
            elapsed = time.perf_counter() - started
            stop.set()
            await sampler
            memory = {"server_rss_mib_before": round(before, 1), "server_rss_mib_max": round(max(rss), 1)}
            passes.append({"seconds": round(elapsed, 3), "urls": urls, "chunks": chunks, **memory})
        pages = {}
        home = f"/g/{GUILD_ID}"
        for path in (home, f"{home}?sort=top", f"{home}?sort=unanswered", f"{home}?page=1000", f"{home}/tags/python",
                     f"{home}/search?q=python+error"):  # fmt: skip
            best = float("inf")
            for _ in range(5):
                t = time.perf_counter()
                async with session.get(base + path) as response:
                    await response.read()
                    assert response.status == 200, (path, response.status)
                best = min(best, time.perf_counter() - t)
            pages[path] = round(best * 1000, 2)
    return {"sitemap_passes": passes, "list_pages_best_ms": pages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=Path("bench/out/forum.db"))
    args = parser.parse_args()
    asyncio.run(publish(args.db))
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{args.db.resolve()}",
           "QUORUM_PUBLIC_URL": "https://forum.example.org"}  # fmt: skip
    server = subprocess.Popen([sys.executable, "-m", "bot", "web", "--bind", f"127.0.0.1:{port}"], env=env)
    try:
        print(json.dumps(asyncio.run(measure(f"http://127.0.0.1:{port}", server)), indent=2))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
