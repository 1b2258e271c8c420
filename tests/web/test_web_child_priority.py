"""`quorum run`'s web child runs at a lower CPU priority than the bot, so gateway events go first."""

from __future__ import annotations

import os
import sys

from bot.config import Settings
from bot.web_child import WEB_NICENESS, WebChild


async def test_the_web_child_is_started_below_the_bots_priority(tmp_path):
    settings = Settings(token="t", database_url=f"sqlite:///{tmp_path / 'q.db'}", web_bind=("127.0.0.1", 0))
    child = WebChild(settings)
    child.command = [sys.executable, "-c", "import sys; sys.stdin.read()"]  # stands in for `quorum web`
    await child.start()
    try:
        assert child.process is not None
        expected = min(19, os.getpriority(os.PRIO_PROCESS, 0) + WEB_NICENESS)
        assert os.getpriority(os.PRIO_PROCESS, child.process.pid) == expected
    finally:
        await child.stop()
    assert child.process.returncode is not None
