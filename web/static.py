"""The one stylesheet: cached for a year, since its URL carries its hash."""

from __future__ import annotations

from aiohttp import web

from .templating import stylesheet as stylesheet_file


async def stylesheet(request: web.Request) -> web.Response:
    body, _ = stylesheet_file()
    response = web.Response(body=body, content_type="text/css", charset="utf-8")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
