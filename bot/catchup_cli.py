"""`quorum catchup`: start the bot, mirror what happened while it was away, print a summary, exit.

The automatic catch-up on READY is turned off for this command, so exactly one run reads the
channels, and this module shows its progress: one line rewritten in place when stderr is a
terminal, a plain line every few seconds otherwise (logs, CI).
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TextIO

from bot.app import QuorumApp
from bot.config import Settings
from bot.forum.catchup import Progress

PLAIN_EVERY = 5.0  # seconds between plain progress lines
TTY_EVERY = 0.2


class ProgressDisplay:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._last_line = ""
        self._last_plain = 0.0

    def show(self, progress: Progress, *, final: bool = False) -> None:
        line = f"catch-up: {progress.line()}"
        if self.tty:
            # \r and clear-to-end rewrite the line; the final one keeps it and moves on.
            self.stream.write(f"\r{line}\x1b[K" + ("\n" if final else ""))
        elif final or (line != self._last_line and time.monotonic() - self._last_plain >= PLAIN_EVERY):
            self.stream.write(line + "\n")
            self._last_plain = time.monotonic()
        self._last_line = line
        self.stream.flush()


async def run_catchup(settings: Settings, *, days: float | None = None, stream: TextIO | None = None) -> Progress:
    """Connect, run one catch-up while showing its progress on `stream`, disconnect."""
    display = ProgressDisplay(stream or sys.stderr)
    app = QuorumApp(settings)
    try:
        bot = await app.start()
        # start() returned before the gateway task ran, so READY cannot have triggered a run yet.
        cog = bot.catchup
        assert cog is not None, "cogs.catchup is not loaded"
        cog.automatic = False
        await app.wait_until_ready()
        run = asyncio.create_task(cog.run(days=days))
        every = TTY_EVERY if display.tty else 0.5
        while not run.done():
            await asyncio.wait({run}, timeout=every)
            if cog.progress is not None:
                display.show(cog.progress, final=run.done())
        return run.result()
    finally:
        await app.close()
