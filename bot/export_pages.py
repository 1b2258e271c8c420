"""`quorum export`'s questions, a page at a time: decoded, shaped and encoded, in this process or in
worker processes.

Most of an export's CPU is turning a page of rows into JSON (models, then dicts, then bytes); reading
the rows is a fifth of it. The read must stay on the one connection that holds the export's snapshot,
but the rest can run on the other cores: `shaped_pages` hands each page read to a pool of processes
(threads would share one GIL) and gives the results back in the order read, with only a few pages in
flight, so the document is the same byte for byte and memory stays flat. This module is what a
worker imports: the rules' shaping and the pages' decoding, not the store.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

import orjson

from bot.forum.exporting import question_export
from bot.forum.models import PostKind
from db.export_pages import ThreadPage, decode_thread_page

MAX_WORKERS = 4  # each holds ~20 MB; more than the cores would only add memory


@dataclass(frozen=True, slots=True)
class ShapedPage:
    lines: bytes  # the page's questions, one line of compact JSON each, joined by ",\n"
    questions: int
    posts: int
    authors: set[int]  # who asked, answered or replied: version 1's users (bot/export.py)


def shape_page(page: ThreadPage) -> ShapedPage:
    records = decode_thread_page(page)
    authors: set[int] = set()
    posts = 0
    for record in records:
        authors.add(record.question.author_id)
        # A starter post's author may be the bot, which /ask posts for the asker.
        authors.update(p.author_id for p in record.posts if p.kind is not PostKind.QUESTION)
        posts += len(record.posts)
    lines = b",\n".join([orjson.dumps(question_export(record)) for record in records])
    return ShapedPage(lines, len(records), posts, authors)


def worker_pool(workers: int) -> ProcessPoolExecutor:
    # Spawned, not forked: the exporting process has threads (the store's), and a fork copies their
    # locks in whatever state they are. A worker ignores Ctrl-C: the export stops it, not the key.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_sigint)


def default_workers() -> int:
    return min(MAX_WORKERS, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


async def shaped_pages(pages: AsyncIterator[ThreadPage], pool: Executor | None,
                       window: int = 0) -> AsyncIterator[ShapedPage]:  # fmt: skip
    """Each page shaped, in the order read: in this process without a pool, else in the pool's
    workers while the next pages are read, at most `window` pages in flight."""
    if pool is None:
        async for page in pages:
            yield shape_page(page)
        return
    loop = asyncio.get_running_loop()
    in_flight: deque[asyncio.Future[ShapedPage]] = deque()
    try:
        async for page in pages:
            in_flight.append(loop.run_in_executor(pool, shape_page, page))
            if len(in_flight) >= window:
                yield await in_flight.popleft()
        while in_flight:
            yield await in_flight.popleft()
    finally:
        for future in in_flight:
            future.cancel()
