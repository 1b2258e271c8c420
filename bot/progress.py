"""A long command's progress on stderr (`quorum recount`, `reindex`, `export`, `import`): nothing while
the work is quick, then one line rewritten in place on a terminal, or a plain line every few seconds
otherwise. Only the event loop writes to the stream; the work reports into an object it reads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TextIO, TypeVar

T = TypeVar("T")

TTY_EVERY = 0.2
PLAIN_EVERY = 5.0


class ProgressDisplay:
    """`describe(elapsed seconds)` gives the line to show."""

    def __init__(self, stream: TextIO, describe: Callable[[float], str]) -> None:
        self.stream = stream
        self.describe = describe
        self.tty = stream.isatty()
        self.shown = False

    def show(self, elapsed: float) -> None:
        line = self.describe(elapsed)
        self.stream.write(f"\r{line}\x1b[K" if self.tty else line + "\n")
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown and self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


async def with_progress(work: Awaitable[T], describe: Callable[[float], str], stream: TextIO, *,
                        show_after: float) -> T:  # fmt: skip
    """Await `work`, showing `describe`'s line once it has taken `show_after` seconds."""
    display = ProgressDisplay(stream, describe)
    task = asyncio.ensure_future(work)
    started = time.monotonic()
    every = TTY_EVERY if display.tty else PLAIN_EVERY
    done, _ = await asyncio.wait({task}, timeout=show_after)
    while not done:
        display.show(time.monotonic() - started)
        done, _ = await asyncio.wait({task}, timeout=every)
    display.done()
    return task.result()
