"""`quorum run` with QUORUM_WEB_BIND: the web server as a child process (`python -m bot web`), so
rendering pages never shares the bot's event loop or GIL with gateway events. It is restarted if it
dies and stopped when the bot stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time

from bot.config import Settings

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 30.0
STABLE_SECONDS = 60.0  # a child that ran this long was fine: the next restart is quick again
# The web server runs at a lower CPU priority than the bot: when both want a core, a gateway event
# (a vote to mirror) goes before a page. Pages are throughput, the bot's events have a delay budget;
# the bot takes a fraction of a core, so the server keeps the rest (bench/web: with the server at
# the bot's priority, votes waited up to 0.9 s behind page renders on 2 cores; at 10, 0.2 s).
WEB_NICENESS = 10


def child_command(host: str, port: int) -> list[str]:
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return [sys.executable, "-m", "bot", "web", "--bind", bind, "--exit-with-parent"]


def child_environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}  # the web needs no token
    env["DATABASE_URL"] = settings.database_url
    env["LOG_LEVEL"] = settings.log_level
    if settings.public_url:
        env["QUORUM_PUBLIC_URL"] = settings.public_url
    return env


class WebChild:
    def __init__(self, settings: Settings) -> None:
        assert settings.web_bind is not None
        self.command = child_command(*settings.web_bind)
        self.env = child_environment(settings)
        self.process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        await self._spawn()
        self._task = asyncio.create_task(self._supervise(), name="quorum-web-child")

    async def _spawn(self) -> None:
        # stdin is a pipe we never write to: the child stops when it reads end of file (we are gone).
        self.process = await asyncio.create_subprocess_exec(*self.command, env=self.env, stdin=asyncio.subprocess.PIPE)
        with contextlib.suppress(OSError, AttributeError):  # not on every platform; a priority is not essential
            os.setpriority(os.PRIO_PROCESS, self.process.pid, os.getpriority(os.PRIO_PROCESS, 0) + WEB_NICENESS)
        log.info("Started the web server (process %d)", self.process.pid)

    async def _supervise(self) -> None:
        backoff = 1.0
        while not self._stopping:
            assert self.process is not None
            started = time.monotonic()
            code = await self.process.wait()
            if self._stopping:
                return
            if time.monotonic() - started > STABLE_SECONDS:
                backoff = 1.0
            log.warning("The web server stopped (exit code %s); starting it again in %.0f s", code, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            if not self._stopping:
                await self._spawn()

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        process = self.process
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()
        log.info("Stopped the web server")
