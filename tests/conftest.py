from __future__ import annotations

import pytest

from emulator import Emulator
from emulator.spec_check import default_spec_path
from tests.harness import BotHarness, Clock


def pytest_terminal_summary(terminalreporter):
    # Said once per run, even with -q, so nobody mistakes an unchecked run for a checked one.
    path = default_spec_path()
    if path is None:
        terminalreporter.write_line(
            "Discord OpenAPI check: OFF: no description found (set QUORUM_DISCORD_SPEC); requests were not checked"
        )
    else:
        terminalreporter.write_line(f"Discord OpenAPI check: ON: every request the bot sent was checked against {path}")


@pytest.fixture
async def emulator():
    emu = Emulator(spec_path=default_spec_path())
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()
    assert emu.spec_violations == [], "the bot sent requests Discord's API description rejects"
    assert emu.unhandled == [], "the bot used routes the emulator does not know"


@pytest.fixture
async def quorum(emulator, tmp_path):
    harness = BotHarness(emulator, tmp_path / "quorum.db")
    await harness.start()
    try:
        yield harness
        if harness.app is not None:  # a test may have stopped the bot on purpose
            harness.assert_alive()
    finally:
        await harness.stop()


@pytest.fixture
async def timed(emulator, tmp_path):
    """The bot with a clock the test moves: (harness, clock)."""
    clock = Clock()
    harness = BotHarness(emulator, tmp_path / "quorum.db", clock=clock)
    await harness.start()
    try:
        yield harness, clock
        if harness.app is not None:  # a test may have stopped the bot on purpose
            harness.assert_alive()
    finally:
        await harness.stop()
