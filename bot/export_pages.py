"""`quorum export`'s questions, a page at a time: decoded, shaped and encoded, in this process or in
worker processes.

Most of an export's CPU is turning a page of rows into JSON (models, then dicts, then bytes); reading
the rows is a fifth of it. The read must stay on the one connection that holds the export's snapshot,
but the rest can run on the other cores: `shaped_pages` hands each page read to a pool of processes
(threads would share one GIL) and gives the results back in the order read, with only a few pages in
flight, so the document is the same byte for byte and memory stays flat. What a worker runs is in
bot/export_worker.py.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor

from bot.export_worker import ShapedPage, ignore_sigint, shape_page
from db.export_pages import ThreadPage

MAX_WORKERS = 4  # each holds ~25 MB; more than the cores would only add memory


class WorkerPool:
    """Processes that shape pages, with at most one page more than there are workers handed to them
    at a time: enough to keep each busy while the next page is read, few enough for flat memory.
    `close()` stops them."""

    def __init__(self, count: int) -> None:
        # Spawned, not forked: the exporting process has threads (the store's), and a fork copies
        # their locks in whatever state they are. A worker ignores Ctrl-C: the export stops it.
        context = multiprocessing.get_context("spawn")
        self.executor = ProcessPoolExecutor(count, mp_context=context, initializer=ignore_sigint)
        self.in_flight = count + 1

    def close(self) -> None:
        self.executor.shutdown(cancel_futures=True)


def default_workers() -> int:
    return min(MAX_WORKERS, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


async def shaped_pages(pages: AsyncIterator[ThreadPage], pool: WorkerPool | None) -> AsyncIterator[ShapedPage]:
    """Each page shaped, in the order read: in this process without workers, else by the workers
    while the next pages are read."""
    if pool is None:
        async for page in pages:
            yield shape_page(page)
        return
    loop = asyncio.get_running_loop()
    in_flight: deque[asyncio.Future[ShapedPage]] = deque()
    try:
        async for page in pages:
            in_flight.append(loop.run_in_executor(pool.executor, shape_page, page))
            if len(in_flight) >= pool.in_flight:
                yield await in_flight.popleft()
        while in_flight:
            yield await in_flight.popleft()
    finally:
        for future in in_flight:
            future.cancel()
