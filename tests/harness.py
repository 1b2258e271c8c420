"""Runs the real Quorum bot (discord.py, unmodified) against the emulator, on a store of its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from bot.app import QuorumApp
from bot.client import QuorumBot
from bot.config import Settings
from bot.forum.service import ForumService, utcnow
from db.store import SqliteStore
from emulator import Emulator

T = TypeVar("T")


class Clock:
    """A clock the test moves (`clock.now += …`): timed features are tested without sleeping."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)  # the store keeps milliseconds

    def __call__(self) -> datetime:
        return self.now


class BotHarness:
    def __init__(self, emulator: Emulator, database: Path, *, clock: Callable[[], datetime] = utcnow,
                 **overrides: object) -> None:  # fmt: skip
        self.emulator = emulator
        self.database = database
        self.clock = clock  # the application's time (a test may move it on)
        self.overrides = overrides  # Settings fields to set differently from the defaults below
        self.app: QuorumApp | None = None
        self.starts = 0

    @property
    def settings(self) -> Settings:
        # No gateway URL: the bot asks the API for it, as with any Discord-compatible server.
        defaults: dict = {
            "token": self.emulator.token,
            "database_url": f"sqlite:///{self.database}",
            "api_base": self.emulator.api_base,
            "log_level": "DEBUG",
        }
        return Settings(**{**defaults, **self.overrides})

    async def start(self) -> QuorumBot:
        self.app = QuorumApp(self.settings, clock=self.clock)
        bot = await self.app.start()
        await self.app.wait_until_ready(timeout=15)
        self.starts += 1
        return bot

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.close()
            self.app = None

    async def restart(self) -> QuorumBot:
        await self.stop()
        return await self.start()

    def assert_alive(self) -> None:
        """discord.py ends `connect()` silently when parsing an event fails: check the task itself."""
        assert self.app is not None and self.app.task is not None
        if self.app.task.done():
            error = self.app.task.exception() if not self.app.task.cancelled() else None
            raise AssertionError(f"the bot's gateway task ended: {error!r}")

    @property
    def bot(self) -> QuorumBot:
        assert self.app is not None and self.app.bot is not None
        return self.app.bot

    @property
    def store(self) -> SqliteStore:
        assert self.app is not None and self.app.store is not None
        return self.app.store

    @property
    def service(self) -> ForumService:
        return self.bot.service


async def eventually(check: Callable[[], Awaitable[T]], timeout: float = 5.0, interval: float = 0.02) -> T:
    """Poll an async check until it returns something truthy (the bot works asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition still false after {timeout} s (last: {result!r})")
        await asyncio.sleep(interval)
