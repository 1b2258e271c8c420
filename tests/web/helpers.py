"""What the web tests share: a web app over a read-only store of a database, and page parsing."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.forum.public import NameEntry
from bot.forum.public_site import PublicSite
from db.web_store import open_web_store
from web.app import build_app

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@contextlib.asynccontextmanager
async def web_client(database: Path, public_url: str | None = None) -> AsyncIterator[TestClient]:
    store = await open_web_store(database)
    try:
        async with TestClient(TestServer(build_app(PublicSite(store), public_url=public_url))) as client:
            yield client
    finally:
        await store.close()


async def publish(store, guild_id: int, channel_id: int, *, published: bool = True, readable: bool = True) -> None:
    await store.set_channel_published(guild_id, channel_id, published, None, NOW)
    await store.set_channel_readable(guild_id, channel_id, readable, NOW)


async def name_members(store, guild_id: int, names: dict[int, str]) -> None:
    await store.remember_names([NameEntry(guild_id, "user", i, n) for i, n in names.items()], NOW)


def json_ld(html: str) -> dict:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(found) == 1, found
    return json.loads(found[0])


def answer_ids(html: str) -> list[int]:
    """The answers' ids in page order."""
    return [int(i) for i in re.findall(r'<article id="answer-(\d+)"', html)]


def answer_block(html: str, answer_id: int) -> str:
    start = html.index(f'<article id="answer-{answer_id}"')
    return html[start : html.index("</article>", start)]
