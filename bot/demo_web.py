"""`quorum demo --web`: the demo's thread served as a web page until Ctrl-C. A composition root of
the web side, as `quorum web` is: the read-only store, the consent rules and the aiohttp app."""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web

from bot.config import Settings
from bot.forum.public_site import PublicSite, QuestionPage
from db.web_store import open_web_store

EXIT_OK, EXIT_CONFIG = 0, 2


async def serve_demo_page(settings: Settings, thread_id: int, host: str, port: int) -> int:
    """Serve the demo's database read-only on host:port (0: any free port), print the thread's URL,
    and keep serving until the task is cancelled (Ctrl-C)."""
    from web.app import build_app
    from web.urls import question_path

    store = await open_web_store(settings.database_path)
    try:
        site = PublicSite(store)
        page = await site.question_page(thread_id)
        assert isinstance(page, QuestionPage), "the demo published its channel, so its thread is public"
        runner = web.AppRunner(build_app(site, public_url=None), access_log=None, handle_signals=False)
        await runner.setup()
        try:
            try:
                await web.TCPSite(runner, host, port).start()
            except OSError as exc:
                print(f"quorum: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
                return EXIT_CONFIG
            bound_host, bound_port = runner.addresses[0][:2]
            origin = f"http://{_shown_host(bound_host)}:{bound_port}"
            print(f"\nThe thread on the web: {origin}{question_path(thread_id, page.slug)}", flush=True)
            print(f"The forum's home: {origin}/ (Ctrl-C stops the server)", flush=True)
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                print("\nThe web server stopped.", flush=True)
                raise
        finally:
            await runner.cleanup()
    finally:
        await store.close()
    return EXIT_OK


def _shown_host(host: str) -> str:
    """An address a browser on this machine can open: the unspecified ones mean every interface."""
    if host == "0.0.0.0":
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host
