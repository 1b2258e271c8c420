"""Fixtures: a started emulator and a real discord.py client connected to it."""

from __future__ import annotations

import asyncio
import contextlib

import discord
import pytest
import yarl

from emulator import Emulator, default_spec_path

_noted = False


@pytest.fixture
async def emu():
    global _noted
    spec = default_spec_path()
    if spec is None and not _noted:
        _noted = True
        print("NOTE: Discord OpenAPI description not found; requests are not checked against it")
    e = Emulator(token="emulator-token", spec_path=spec)
    await e.start()
    yield e
    await e.stop()


def point_discord_at(emu: Emulator) -> None:
    discord.http.Route.BASE = emu.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(emu.gateway_url)


class Harness:
    """A discord.Client running in a task, plus the events it saw."""

    def __init__(self, emu: Emulator, *, tree: bool = False, intents: discord.Intents | None = None) -> None:
        self.emu = emu
        if intents is None:
            intents = discord.Intents.default()
            intents.message_content = True
            intents.members = True
        self.client = discord.Client(intents=intents, guild_ready_timeout=0.1)
        self.tree = discord.app_commands.CommandTree(self.client) if tree else None
        self.events: list[tuple[str, tuple]] = []
        self.ready = asyncio.Event()
        self.task: asyncio.Task | None = None
        client = self.client
        harness = self

        original = client.dispatch

        def dispatch(event, *args, **kwargs):
            harness.events.append((event, args))
            if event == "ready":
                harness.ready.set()
            return original(event, *args, **kwargs)

        client.dispatch = dispatch

        async def no_identify_wait(shard_id, *, initial=False):
            # discord.py sleeps 5 s before every non-initial IDENTIFY (Discord's identify rate
            # limit); the emulator has none, and the wait would dominate the invalidation tests.
            return None

        client.before_identify_hook = no_identify_wait
        client._connection.dispatch = dispatch  # the state captured the bound method at construction

    async def start(self, timeout: float = 5.0) -> Harness:
        point_discord_at(self.emu)
        self.task = asyncio.create_task(self.client.start(self.emu.token))
        ready = asyncio.create_task(self.ready.wait())
        done, _ = await asyncio.wait({ready, self.task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if self.task.done():
                self.task.result()  # surface the exception
            raise TimeoutError("client did not become ready")
        return self

    def named(self, name: str) -> list[tuple]:
        return [args for ev, args in self.events if ev == name]

    async def wait_event(self, name: str, count: int = 1, timeout: float = 3.0) -> list[tuple]:
        async def poll():
            while len(self.named(name)) < count:
                assert not self.task.done(), f"client task ended: {self.task}"
                await asyncio.sleep(0.01)
        await asyncio.wait_for(poll(), timeout)
        return self.named(name)

    def assert_alive(self) -> None:
        assert self.task is not None and not self.task.done(), (
            f"discord.py client task ended (a gateway payload probably failed to parse): "
            f"{self.task.exception() if self.task and self.task.done() else ''}")

    async def close(self) -> None:
        await self.client.close()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self.task, 3)


@pytest.fixture
async def harness(emu):
    h = Harness(emu)
    await h.start()
    yield h
    await h.close()
