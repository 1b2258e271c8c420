"""`quorum web`: the public pages alone, read-only on the store, no token. The composition root of
the web side: the store, the consent rules' service and the aiohttp app are put together here."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys

from bot.config import Settings
from bot.forum.public_site import PublicSite
from db.web_store import open_web_store

log = logging.getLogger(__name__)

DEFAULT_BIND = ("127.0.0.1", 8080)


async def run_web(settings: Settings, host: str, port: int, *, exit_with_parent: bool = False) -> None:
    """Serve until cancelled, SIGTERM, or (as `quorum run`'s child) the parent process is gone."""
    from web.app import build_app, serve

    store = await open_web_store(settings.database_path)
    try:
        app = build_app(PublicSite(store), public_url=settings.public_url)
        freeze_start_up_heap()
        server = asyncio.create_task(serve(app, host, port), name="quorum-web")
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, server.cancel)
        watch = asyncio.create_task(_exit_with_parent(server)) if exit_with_parent else None
        try:
            await server
        except asyncio.CancelledError:
            if not server.cancelled():
                raise
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
            if watch is not None:
                watch.cancel()
    finally:
        await store.close()
    log.info("The web server stopped")


# Young collections per full one (CPython's default is 10). A big page allocates thousands of objects,
# so at 10 a full collection (10-15 ms over the page caches) came every ~40 renders of a 200-answer
# page and set its p99; its garbage is freed by reference counting, not by the collector.
FULL_COLLECTION_EVERY = 100


def freeze_start_up_heap() -> None:
    """Leave what start-up made (modules, classes, the app: tens of thousands of objects that live
    as long as the process) out of every later garbage collection, and make full collections rarer.
    Each full collection walks every tracked object: with them, one took 30-50 ms and set a
    200-answer page's p99 at 44 ms (bench/web, phase 1)."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)


async def _exit_with_parent(server: asyncio.Task) -> None:
    """The parent holds our stdin's other end and never writes: end of file means it is gone, even
    killed without a chance to stop us (SIGKILL), and a server must not keep running alone."""
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(1024):
        pass
    log.warning("The bot that started this web server is gone; stopping")
    server.cancel()
