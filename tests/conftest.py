from __future__ import annotations

import pytest

from emulator import Emulator
from emulator.spec_check import default_spec_path
from tests.harness import BotHarness


def pytest_report_header(config):
    path = default_spec_path()
    if path is None:
        return "Discord OpenAPI check: OFF (no description found; set QUORUM_DISCORD_SPEC): requests were not checked"
    return f"Discord OpenAPI check: ON ({path})"


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
        harness.assert_alive()
    finally:
        await harness.stop()
