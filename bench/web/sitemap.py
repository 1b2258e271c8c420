"""Phase 3: /sitemap.xml and every /sitemaps/{n}.xml chunk, read in full with gzip from `quorum
web` (`python -m bot web`, a process of its own), timed from the first request to the last byte; the
server's resident memory before, sampled every 20 ms while it streams, and after. Several passes,
so a leak would show as a rising peak, then one more without compression (Accept-Encoding: identity),
to show what the gzip costs."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from .serve import free_port, wait_up
from .stats import profile


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    """Resident MiB; RssAnon is the heap's part, RssFile the database pages SQLite maps (mmap_size)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


async def _sample(pid: int, into: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        into.append(rss_mib(pid))
        await asyncio.sleep(0.02)


async def _pass(session: aiohttp.ClientSession, base: str, pid: int, gzip_wanted: bool = True) -> dict:
    headers = {"Accept-Encoding": "gzip" if gzip_wanted else "identity"}
    peak: list[float] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(_sample(pid, peak, stop))
    before = rss_mib(pid)
    started = time.perf_counter()
    async with session.get(base + "/sitemap.xml", headers=headers) as response:
        assert response.status == 200, response.status
        index = await response.text()
    chunks = index.count("<sitemap>")
    urls = gzip = 0
    for n in range(1, chunks + 1):
        async with session.get(f"{base}/sitemaps/{n}.xml", headers=headers) as response:
            assert response.status == 200, (n, response.status)
            gzip += response.headers.get("Content-Encoding") == "gzip"
            urls += (await response.read()).count(b"<url>")
    elapsed = time.perf_counter() - started
    stop.set()
    await sampler
    return {"accept_encoding": headers["Accept-Encoding"], "seconds": round(elapsed, 3), "chunks": chunks,
            "gzip_chunks": gzip, "urls": urls,
            "rss_mib_before": before, "rss_mib_peak": max(peak), "rss_mib_after": rss_mib(pid),
            "rss_anon_mib_after": rss_mib(pid, "RssAnon"), "rss_file_mib_after": rss_mib(pid, "RssFile")}  # fmt: skip


async def _measure(base: str, pid: int, passes: int) -> list[dict]:
    async with aiohttp.ClientSession() as session:
        async with session.get(base + "/robots.txt") as response:
            await response.read()
        gzip_passes = [await _pass(session, base, pid) for _ in range(passes)]
        return gzip_passes + [await _pass(session, base, pid, gzip_wanted=False)]  # what compressing costs


def run(db: Path, *, passes: int) -> dict:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db.resolve()}", "QUORUM_PUBLIC_URL": "https://forum.example.org",
           "LOG_LEVEL": "WARNING"}  # fmt: skip
    env.pop("DISCORD_TOKEN", None)
    server = subprocess.Popen([sys.executable, "-m", "bot", "web", "--bind", f"127.0.0.1:{port}"], env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_up(base)
        started_rss = rss_mib(server.pid)
        profiler = profile(server.pid, "sitemap")
        result = asyncio.run(_measure(base, server.pid, passes))
        if profiler is not None:
            profiler.wait(60)
        return {"server_rss_mib_at_start": started_rss, "passes": result}
    finally:
        server.terminate()
        server.wait(timeout=10)
