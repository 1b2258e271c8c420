"""Crash: the bot runs as its own process (`python -m bot run`) while members post, edit, delete,
vote and pin at a steady rate, and is killed with SIGKILL at random moments, several times. Nothing
the store acknowledged is lost, the database opens fast after each crash, and after each restart
(and its catch-up) the store equals the emulator's world exactly."""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import time

from db.store import open_store
from emulator import Emulator
from emulator.spec_check import default_spec_path
from tests.harness import eventually

from .members import Members
from .support import BotProcess, committed, differences, lost_since

KILLS = 4
SEED = int(os.environ.get("QUORUM_CRASH_SEED", "20260321"))
OPEN_AFTER_CRASH_S = 1.0  # opening the crashed database (WAL recovery + migrations check)
WAL_MAX_BYTES = 16 * 1024 * 1024  # regular checkpoints keep the WAL (and recovery time) bounded


async def setup_forum(emulator) -> None:
    w = emulator.world
    inter = await emulator.invoke_slash(w.members["alice"].id, w.text_channel_id, "quorum setup",
                                        {"channel": w.forum_channel_id, "daily_vote_cap": 1000})  # fmt: skip
    await inter.wait_response()


async def agree(emulator, database, timeout: float = 20.0) -> None:
    """The store equals the world (polled: the bot works asynchronously)."""
    last: list[str] = []

    async def check():
        nonlocal last
        last = differences(emulator, database)
        return not last

    try:
        await eventually(check, timeout=timeout, interval=0.1)
    except AssertionError:
        raise AssertionError("store != world:\n" + "\n".join(last)) from None


async def test_sigkill_at_random_moments_loses_nothing_and_catches_up(tmp_path):
    rng = random.Random(SEED)
    database = tmp_path / "q.db"
    emulator = Emulator(spec_path=default_spec_path())
    await emulator.start()
    bot = BotProcess(emulator, database, tmp_path)
    members = Members(emulator, rng)
    report = []
    try:
        await bot.start()
        await emulator.wait_for(lambda: emulator.world.commands, message="commands never registered")
        await setup_forum(emulator)
        members.start()
        for kill in range(1, KILLS + 1):
            await asyncio.sleep(rng.uniform(0.6, 1.8))  # the bot runs with members acting
            bot.assert_running()
            before = committed(database)  # acknowledged: committed, as any reader sees it
            await bot.kill()

            started = time.perf_counter()
            store = await open_store(database)  # WAL recovery of the crashed file, migrations check
            opened_s = time.perf_counter() - started
            await store.close()
            after = committed(database)
            assert lost_since(before, after) == [], f"kill {kill}: acknowledged writes lost"
            assert opened_s < OPEN_AFTER_CRASH_S, f"kill {kill}: the crashed database took {opened_s:.2f} s to open"
            wal = database.with_name(database.name + "-wal")
            assert not wal.exists() or wal.stat().st_size < WAL_MAX_BYTES

            await asyncio.sleep(rng.uniform(0.1, 0.4))  # members go on while the bot is down
            # Members pause while the bot starts and catches up: what they did while it was down is
            # what catch-up must close. (A member who reacted while the bot was down and then adds the
            # opposite reaction live during catch-up is left holding both: the live event wins over
            # catch-up's snapshot, and the live path, not knowing the first reaction, takes nothing off.)
            members.hold()
            await bot.start()  # returns once its catch-up finished
            try:
                await agree(emulator, database)
            except AssertionError as exc:
                trail = [f"{r.method} {r.path} {r.status}" for r in emulator.requests if "/reactions/" in r.path][-15:]
                raise AssertionError(f"after kill {kill}: {exc}\n" + "\n".join(bot.output[-40:] + trail)) from None
            report.append((kill, len(before.votes), len(before.posts), round(opened_s * 1000)))
            members.resume()  # and act while the bot runs live again
        await members.stop()
        await agree(emulator, database)
        assert await bot.stop() == 0, "\n".join(bot.output[-20:])
        conn = sqlite3.connect(database)
        try:
            assert conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
        finally:
            conn.close()
    finally:
        await members.stop()
        await bot.stop()
        await emulator.stop()
    print(
        f"\nseed {SEED}; kills (votes, posts acknowledged before it, open ms): {report}; actions {dict(members.done)}"
    )
    assert members.done["vote"] > 50 and members.done["delete"] and members.done["pin"]
    assert emulator.spec_violations == [] and emulator.unhandled == []
