"""The web application: build it over a PublicSite, serve it until cancelled."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.forum.public_site import PublicSite

from .keys import PUBLIC_URL, SITE, TEMPLATES
from .middleware import site_middleware
from .routes import add_routes
from .templating import build_environment

log = logging.getLogger(__name__)


def build_app(site: PublicSite, *, public_url: str | None) -> web.Application:
    """`public_url` (no trailing slash) makes canonical links absolute; None leaves them relative."""
    app = web.Application(middlewares=[site_middleware])
    app[SITE] = site
    app[PUBLIC_URL] = (public_url or "").rstrip("/")
    app[TEMPLATES] = build_environment(app[PUBLIC_URL])
    add_routes(app)
    return app


async def serve(app: web.Application, host: str, port: int) -> None:
    """Serve until cancelled; logs the address (the real port when `port` is 0)."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        for address in runner.addresses:
            bound_host, bound_port = address[0], address[1]
            shown = f"[{bound_host}]" if ":" in bound_host else bound_host
            log.info("Serving the web pages at http://%s:%d/", shown, bound_port)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
