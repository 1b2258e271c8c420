"""What the application holds for its handlers (aiohttp AppKeys, typed)."""

from __future__ import annotations

from aiohttp import web
from jinja2 import Environment

from bot.forum.public_site import PublicSite

SITE = web.AppKey("site", PublicSite)
PUBLIC_URL = web.AppKey("public_url", str)  # "" when unknown: links stay relative
TEMPLATES = web.AppKey("templates", Environment)
