"""The repair's rules (bot/forum/repair.py), without Discord: failures are said once a minute with a
count, and the threads they touched are caught up once a probe write succeeds, again if the catch-up
itself fails. End to end: tests/reliability/test_lost_writes.py."""

from __future__ import annotations

import asyncio
import logging

from bot.forum.errors import StoreUnavailable
from bot.forum.repair import FailureLog, Repair

FULL = StoreUnavailable("database or disk is full")


def test_failures_are_said_once_a_minute_with_a_count(caplog):
    now = [0.0]
    failures = FailureLog(clock=lambda: now[0])
    with caplog.at_level(logging.DEBUG, logger="bot.forum.repair"):
        for _ in range(300):
            failures.failed(FULL)
            now[0] += 0.1  # 30 s of failures
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1 and "database or disk is full" in warnings[0].getMessage()
        assert all(r.exc_info is None for r in warnings), "a traceback only at DEBUG"
        now[0] = 61.0
        failures.report_due()
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 2 and "299 write(s) not saved" in warnings[1].getMessage()
        failures.recovered(threads=3)
    assert "300 write(s) had not been saved; 3 thread(s) caught up" in caplog.records[-1].getMessage()


async def test_threads_are_caught_up_once_writes_work_and_again_if_that_fails():
    writable = asyncio.Event()
    probes = 0

    async def probe() -> None:
        nonlocal probes
        probes += 1
        if not writable.is_set():
            raise FULL

    caught_up: list[list[int]] = []

    async def catch_up(threads: list[int]) -> None:
        caught_up.append(threads)
        if len(caught_up) == 1:
            repair.failed(threads[0], FULL)  # writes failed again during the first round

    repair = Repair(probe, retry_every=0.01)
    repair.attach(catch_up)
    repair.failed(30, FULL)
    repair.failed(10, FULL)
    repair.failed(None, FULL)  # a write that touched no thread is only counted
    await asyncio.sleep(0.1)
    assert caught_up == [] and probes >= 3 and repair.pending == {10, 30}
    writable.set()
    for _ in range(100):
        if repair.idle:
            break
        await asyncio.sleep(0.01)
    assert caught_up == [[10, 30], [10]] and repair.idle and repair.repairs == 1
    repair.detach()
