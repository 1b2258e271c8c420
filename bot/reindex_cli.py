"""`quorum reindex`: rebuild the search index from the store. No Discord connection: only the store is
opened.

The index beside the database (`<database>-search/`) is derived data (DESIGN §3): this builds a new
one from every live post in a directory of its own and makes it current at the end, so it may run
beside the bot, whose indexer moves to the new index by itself (db/search_indexer.py). Searches use
the store's own full-text index while the new one is built.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

from bot.config import Settings
from bot.progress import with_progress
from db import search_indexer
from db.store import open_store

SHOW_AFTER = 1.0  # seconds before a progress display appears: a small forum is indexed at once


class ReindexProgress:
    """What the build has done, as its worker thread last reported it. The thread only replaces
    `counts` (one assignment, so a reader sees a whole pair); the event loop reads it and alone
    writes to the stream."""

    def __init__(self) -> None:
        self.counts: tuple[int, int] | None = None  # (posts indexed, posts in all); None before the first report

    def report(self, done: int, total: int) -> None:
        self.counts = (done, total)


@dataclass(frozen=True)
class Reindexed:
    posts: int
    seconds: float

    def summary(self) -> str:
        return f"search index rebuilt: {self.posts:,} post{'' if self.posts == 1 else 's'} in {self.seconds:.1f} s"


def progress_line(progress: ReindexProgress, elapsed: float) -> str:
    counts = progress.counts
    if counts is None:  # counting the posts, or waiting for a build the bot's indexer had begun
        return f"reindex: starting… ({elapsed:.0f} s)"
    done, total = counts
    percent = 100 * done // total if total else 100
    return f"reindex: {done:,} / {total:,} posts ({percent}%, {elapsed:.0f} s)"


async def run_reindex(settings: Settings, *, stream: TextIO | None = None) -> Reindexed:
    progress = ReindexProgress()
    # Bots follow the index; this command only builds it.
    store = await open_store(settings.database_path, readers=1, follow_search_index=False)
    try:
        started = time.monotonic()
        with _quiet_build_log():
            posts = await with_progress(store.rebuild_search_index(progress.report),
                                        lambda elapsed: progress_line(progress, elapsed), stream or sys.stderr,
                                        show_after=SHOW_AFTER)  # fmt: skip
        return Reindexed(posts, time.monotonic() - started)
    finally:
        await store.close()


@contextmanager
def _quiet_build_log() -> Iterator[None]:
    """The build's INFO lines say what the display and the summary say, and would land in the middle
    of the line rewritten in place; its warnings still show, and everything at LOG_LEVEL=DEBUG."""
    log = logging.getLogger(search_indexer.__name__)
    if log.isEnabledFor(logging.DEBUG):
        yield
        return
    level = log.level
    log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        log.setLevel(level)


def reindex_command(settings: Settings) -> int:
    if not settings.database_path.exists():
        # Opening would create an empty database and index it, which would hide a wrong DATABASE_URL.
        print(f"quorum: no database at {settings.database_path} (check DATABASE_URL)", file=sys.stderr)
        return 2
    print(asyncio.run(run_reindex(settings)).summary())
    return 0
