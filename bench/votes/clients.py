"""The clients under test, each run in a process of its own (entry points take a pipe to the parent).

- sink: no client at all, a raw WebSocket reader that only drains the socket: the sender's own rate.
- bare: a discord.Client with Quorum's intents whose on_raw_reaction_add only counts (the baseline).
- quorum: the real QuorumApp (bot/app.py: QuorumBot, its cogs, ForumService, SqliteStore with the
  single writer, synchronous=FULL) on a copy of the fixture (measurement (c)). Done when the writer
  has committed as many operations as frames were sent; then the database is checked.
Protocol: -> ("ready",) once connected and idle; the parent starts the stream; -> ("done", {...}),
with the process tree's CPU and run-queue seconds between the two (cpu.py).
BENCH_CLIENT_CPU=n pins the client's event-loop thread (the sink's only thread) to CPU n.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import socket
import sqlite3
import struct
import subprocess
import sys
import time
from pathlib import Path

from . import cpu

TOKEN = "bench-token"
TIMEOUT = 60.0  # a phase never runs longer than this


def sink(pipe, sender_pid: int, port: int, sizes: dict) -> None:
    """The sender's own rate: open the gateway like a client, IDENTIFY, then read and drop bytes until
    the whole stream has arrived. Nothing is parsed, so only the sender (and the kernel) can limit it."""
    cpu.pin(cpu.env_cpu("BENCH_CLIENT_CPU"))
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(f"GET /gateway?v=10&encoding=json HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(65536) or _closed()
    head, _, early = response.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"no WebSocket upgrade: {head[:80]!r}")
    sock.sendall(_client_text_frame(b'{"op":2,"d":{"token":"bench-token"}}'))
    buf = bytearray(1 << 20)
    _drain(sock, buf, sizes["before"] - len(early))  # HELLO, READY, GUILD_CREATE
    window = cpu.Window(sender_pid)
    pipe.send(("ready",))
    _drain(sock, buf, sizes["stream"])
    end = time.monotonic()
    window.stop()
    sock.close()
    pipe.send(("done", {"complete": True, "count": sizes["frames"], "end": end, **window.used}))


def _drain(sock: socket.socket, buf: bytearray, nbytes: int) -> None:
    while nbytes > 0:
        n = sock.recv_into(buf, min(nbytes, len(buf)))
        if not n:
            _closed()
        nbytes -= n


def _closed():
    raise RuntimeError("the sender closed the connection")


def _client_text_frame(payload: bytes) -> bytes:
    # A client's frames are masked (RFC 6455 5.3); the payload is short.
    mask = os.urandom(4)
    return struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def bare(pipe, sender_pid: int, api_base: str, gateway_url: str, frames: int) -> None:
    asyncio.run(_bare(pipe, sender_pid, api_base, gateway_url, frames))


async def _bare(pipe, sender_pid: int, api_base: str, gateway_url: str, frames: int) -> None:
    import discord

    from bot.client import INTENTS
    from bot.endpoints import use_api_base, use_gateway

    cpu.pin(cpu.env_cpu("BENCH_CLIENT_CPU"))
    use_api_base(api_base)
    use_gateway(gateway_url)
    done = asyncio.Event()
    state = {"count": 0, "end": 0.0}

    class Bare(discord.Client):
        async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
            state["count"] += 1
            if state["count"] == frames:
                state["end"] = time.monotonic()
                window.stop()
                done.set()

    client = Bare(intents=INTENTS, guild_ready_timeout=0.5)
    await client.login(TOKEN)
    task = asyncio.create_task(client.connect(reconnect=False))
    await _ready(client.wait_until_ready(), task)
    window = cpu.Window(sender_pid)
    pipe.send(("ready",))
    result = await _until(done, task)
    result.update(count=state["count"], end=state["end"] or time.monotonic())
    window.stop()
    result.update(window.used)
    await client.close()
    pipe.send(("done", result))


def quorum(pipe, sender_pid: int, api_base: str, gateway_url: str, database: str, frames: int, started_ms: int,
           summary_delay: float) -> None:  # fmt: skip
    asyncio.run(_quorum(pipe, sender_pid, api_base, gateway_url, Path(database), frames, started_ms, summary_delay))


async def _quorum(pipe, sender_pid: int, api_base: str, gateway_url: str, database: Path, frames: int, started_ms: int,
                  summary_delay: float) -> None:  # fmt: skip
    from bot.app import QuorumApp
    from bot.config import Settings

    logging.basicConfig(level=logging.WARNING)
    if os.environ.get("BENCH_SWITCH_INTERVAL"):  # experiment: the GIL hand-off between loop and writer thread
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))
    settings = Settings(token=TOKEN, database_url=f"sqlite:///{database}", api_base=api_base,
                        gateway_url=gateway_url, log_level="WARNING", summary_delay=summary_delay)  # fmt: skip
    app = QuorumApp(settings)
    await app.start()
    await app.wait_until_ready()
    assert app.store is not None and app.task is not None
    await asyncio.sleep(0.5)  # on_ready handlers (catch-up) have nothing to do: let them finish
    # The loop's thread only: the write process, started with the store, keeps every CPU.
    cpu.pin(cpu.env_cpu("BENCH_CLIENT_CPU"))
    writer = app.store.writer
    base_ops, base_commits, base_failed = writer.ops, writer.commits, writer.failed_ops
    done = asyncio.Event()
    state = {"end": 0.0}

    async def watch() -> None:
        # Polls the writer's counter every millisecond: `ops` moves only after a batch's COMMIT.
        while writer.ops - base_ops < frames:  # noqa: ASYNC110 - the writer has no event to wait on
            await asyncio.sleep(0.001)
        state["end"] = time.monotonic()
        window.stop()
        done.set()

    watcher = asyncio.create_task(watch())
    profiler = _profile_window()
    window = cpu.Window(sender_pid)
    pipe.send(("ready",))
    result = await _until(done, app.task)
    watcher.cancel()
    window.stop()
    result.update(window.used)
    result.update(
        end=state["end"] or time.monotonic(),
        count=writer.ops - base_ops,
        ops=writer.ops - base_ops,
        commits=writer.commits - base_commits,
        failed_ops=writer.failed_ops - base_failed,
    )
    if profiler is not None:
        profiler.wait(60)
    recount = await app.store.recount()
    result["recount_differences"] = recount.differences
    await app.close()
    with sqlite3.connect(database) as conn:
        result["new_votes"] = conn.execute("SELECT count(*) FROM votes WHERE at >= ?", (started_ms,)).fetchone()[0]
    pipe.send(("done", result))


def _profile_window():
    """BENCH_PYSPY=out.txt[:seconds]: py-spy samples this process (all threads, raw stacks) during
    the measured window only, not start-up or shutdown."""
    spec = os.environ.get("BENCH_PYSPY")
    if not spec:
        return None
    path, _, seconds = spec.partition(":")
    cmd = [os.path.join(os.path.dirname(sys.executable), "py-spy"), "record", "--pid", str(os.getpid()), "-r", "200",
           "-f", "raw", "-o", path, "-d", seconds or "8", "--nonblocking"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # let it attach
    return proc


async def _ready(ready, task: asyncio.Task) -> None:
    waiter = asyncio.ensure_future(ready)
    finished, _ = await asyncio.wait({waiter, task}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if waiter not in finished:
        raise RuntimeError(f"client not ready: {task.exception() if task.done() else 'timeout'}")


async def _until(done: asyncio.Event, task: asyncio.Task) -> dict:
    waiter = asyncio.ensure_future(done.wait())
    finished, _ = await asyncio.wait({waiter, task}, timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    if waiter in finished:
        return {"complete": True}
    waiter.cancel()
    reason = "the gateway task ended" if task in finished else f"not done after {TIMEOUT:.0f} s"
    return {"complete": False, "reason": reason}
