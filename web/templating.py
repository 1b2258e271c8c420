"""Jinja2 templates (autoescaped; compiled once per process) and the one stylesheet's versioned URL."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from .keys import PUBLIC_URL, TEMPLATES
from .question_model import byline

HTML = "text/html"


@cache
def stylesheet() -> tuple[bytes, str]:
    """The stylesheet and a short hash of it, for a URL that changes when the file does."""
    body = (files("web") / "static" / "quorum.css").read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:12]


def build_environment(public_url: str) -> Environment:
    env = Environment(
        loader=PackageLoader("web"),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates never change under a running server: no stat per render
    )
    env.globals.update(css_url=f"/static/quorum.css?v={stylesheet()[1]}", public_url=public_url, byline=byline)
    return env


def absolute(request: web.Request, path: str) -> str:
    """`path` under QUORUM_PUBLIC_URL when it is set, else `path` itself (relative to the site)."""
    return request.app[PUBLIC_URL] + path


def render(
    request: web.Request, template: str, *, status: int = 200, content_type: str = HTML, **context: object
) -> web.Response:
    """A page from a template; the middleware adds the ETag, caching, security headers and compression."""
    text = request.app[TEMPLATES].get_template(template).render(context)
    return web.Response(text=text, status=status, content_type=content_type, charset="utf-8")
