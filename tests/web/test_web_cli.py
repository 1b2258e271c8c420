"""`quorum web` as a person runs it, and `quorum run` with QUORUM_WEB_BIND: the web server as the bot's
child process, serving the pages and gone when the bot stops (stopped, or killed outright)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.forum.models import Post, PostKind, Question
from db.store import open_store
from tests.harness import eventually
from tests.test_cli import quorum
from tests.test_cli_failures import closed_port, start_quorum
from tests.web.helpers import publish

GUILD, CHANNEL, THREAD = 1001, 2002, 3003
SERVING = re.compile(r"Serving the web pages at (http://127\.0\.0\.1:\d+)/")
STARTED = re.compile(r"Started the web server \(process (\d+)\)")


async def make_forum(path: Path) -> None:
    store = await open_store(path)
    try:
        now = datetime.now(UTC)
        question = Question(THREAD, GUILD, CHANNEL, "Where is the page?", 7, now, starter_id=THREAD, thread_type=11)
        await store.add_question(question, Post(THREAD, THREAD, GUILD, PostKind.QUESTION, 7, "Here it is.", now))
        await publish(store, GUILD, CHANNEL)
    finally:
        await store.close()


async def read_until(
    stream: asyncio.StreamReader, pattern: re.Pattern, seen: list[str], timeout: float = 20
) -> re.Match:
    async def scan() -> re.Match:
        while line := (await stream.readline()).decode():
            seen.append(line)
            if match := pattern.search(line):
                return match
        raise AssertionError("the output ended: " + "".join(seen)[-2000:])

    return await asyncio.wait_for(scan(), timeout)


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def stop(proc: asyncio.subprocess.Process, sig: int = signal.SIGTERM) -> int:
    if proc.returncode is None:
        proc.send_signal(sig)
    try:
        return await asyncio.wait_for(proc.wait(), 15)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError("quorum did not stop") from None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead, only not yet reaped
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


async def test_quorum_web_serves_the_pages_read_only_without_a_token(tmp_path):
    await make_forum(tmp_path / "quorum.db")
    proc = await start_quorum("web", "--bind", "127.0.0.1:0", cwd=tmp_path)
    seen: list[str] = []
    try:
        base = (await read_until(proc.stderr, SERVING, seen)).group(1)
        status, html = await get(f"{base}/q/{THREAD}")
        assert status == 200 and "Here it is." in html and "<h1>Where is the page?</h1>" in html
        assert (await get(f"{base}/q/{THREAD + 1}"))[0] == 404
    finally:
        code = await stop(proc)
    assert code == 0, "".join(seen)


def test_a_bad_bind_exits_2_in_one_line(tmp_path):
    for bind in ("nope", "127.0.0.1:99999", ":8080"):
        result = quorum("web", "--bind", bind, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and "is not HOST:PORT" in result.stderr.strip().splitlines()[-1]
    result = quorum("web", cwd=tmp_path, env={"QUORUM_WEB_BIND": "localhost"})
    assert result.returncode == 2 and result.stderr.strip() == (
        "quorum: QUORUM_WEB_BIND: 'localhost' is not HOST:PORT (for example 127.0.0.1:8080)"
    )


def test_a_missing_or_old_database_exits_2_in_one_line(tmp_path):
    result = quorum("web", "--bind", "127.0.0.1:0", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "quorum: no database at quorum.db: run the bot once to create it (or check DATABASE_URL)"
    )
    with sqlite3.connect(tmp_path / "quorum.db") as conn:
        conn.execute("PRAGMA user_version = 3")
    result = quorum("web", "--bind", "127.0.0.1:0", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].endswith("run the bot once to upgrade it")


async def run_with_web(emulator, tmp_path) -> tuple[asyncio.subprocess.Process, str, int, list[str]]:
    await make_forum(tmp_path / "quorum.db")
    port = closed_port()
    proc = await start_quorum("run", cwd=tmp_path, DISCORD_TOKEN=emulator.token, DISCORD_API_BASE=emulator.api_base,
                              QUORUM_WEB_BIND=f"127.0.0.1:{port}")  # fmt: skip
    seen: list[str] = []
    pid = int((await read_until(proc.stderr, STARTED, seen)).group(1))
    await read_until(proc.stderr, SERVING, seen)
    return proc, f"http://127.0.0.1:{port}", pid, seen


async def test_quorum_run_serves_the_web_from_a_child_that_stops_with_it(emulator, tmp_path):
    proc, base, child, seen = await run_with_web(emulator, tmp_path)
    try:
        status, html = await get(f"{base}/q/{THREAD}")
        assert status == 200 and "Here it is." in html
        assert child != proc.pid and alive(child)

        # A child that dies is started again, with a log line.
        os.kill(child, signal.SIGKILL)
        replacement = int((await read_until(proc.stderr, STARTED, seen)).group(1))
        assert replacement != child
        await read_until(proc.stderr, SERVING, seen)
        assert (await get(f"{base}/q/{THREAD}"))[0] == 200
        assert any("The web server stopped (exit code -9)" in line for line in seen)
    finally:
        code = await stop(proc)
    assert code == 0, "".join(seen)
    assert not alive(replacement), "the web server outlived the bot"


async def test_the_child_stops_when_the_bot_is_killed(emulator, tmp_path):
    proc, base, child, seen = await run_with_web(emulator, tmp_path)
    await stop(proc, signal.SIGKILL)  # no chance to stop the child: it notices on its own

    async def child_gone() -> bool:
        return not alive(child)

    await eventually(child_gone, timeout=10)
