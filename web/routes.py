"""Every route of the site, registered by area (one function each)."""

from __future__ import annotations

from aiohttp import web

from .lists import add_list_routes
from .question import question_page, question_redirect
from .sitemap import add_sitemap_routes
from .static import stylesheet


def add_routes(app: web.Application) -> None:
    add_static_routes(app)
    add_question_routes(app)
    add_list_routes(app)
    add_sitemap_routes(app)


def add_static_routes(app: web.Application) -> None:
    app.router.add_get("/static/quorum.css", stylesheet)


def add_question_routes(app: web.Application) -> None:
    app.router.add_get("/q/{thread_id}", question_redirect)
    app.router.add_get("/q/{thread_id}/{slug}", question_page)
