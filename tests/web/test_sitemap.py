"""/sitemap.xml, its chunks and /robots.txt: valid sitemaps.org XML, every public question once (by
id, duplicates left out), chunked, lastmod from the question's last change, absolute when the
public URL is known."""

from __future__ import annotations

import contextlib
import gzip
import xml.etree.ElementTree as ET
import zlib
from datetime import datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.forum.models import Post, PostKind, Question, QuestionStatus
from bot.forum.public_site import PublicSite
from db.store import open_store
from db.web_store import open_web_store
from tests.web.helpers import NOW, publish
from web.app import build_app
from web.sitemap import SITEMAP_CHUNK

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
G, CH, G2, CH2, OFF = 1, 10, 2, 20, 30
BASE = "https://forum.example.org"


@contextlib.asynccontextmanager
async def client_for(database, *, public_url=BASE, chunk=3):
    store = await open_web_store(database)
    try:
        app = build_app(PublicSite(store), public_url=public_url)
        app[SITEMAP_CHUNK] = chunk
        async with TestClient(TestServer(app)) as client:
            yield client
    finally:
        await store.close()


@pytest.fixture
async def database(tmp_path):
    """Public questions 1..7 (guild 1) and 8 (guild 2); 9 unpublished, 10 deleted, 11 a duplicate."""
    path = tmp_path / "quorum.db"
    store = await open_store(path)
    try:
        await publish(store, G, CH)
        await publish(store, G2, CH2)
        for qid, guild, channel in [*((n, G, CH) for n in range(1, 8)), (8, G2, CH2), (9, G, OFF), (10, G, CH),
                                    (11, G, CH)]:  # fmt: skip
            at = NOW + timedelta(hours=qid)
            await store.add_question(Question(qid, guild, channel, f"Title {qid} & more", 5, at, starter_id=qid,
                                              thread_type=11),
                                     Post(qid, qid, guild, PostKind.QUESTION, 5, "text", at))  # fmt: skip
        await store.add_post(Post(100, 2, G, PostKind.ANSWER, 6, "late answer", NOW + timedelta(days=3)))
        await store.delete_question(10, NOW)
        await store.set_status(11, QuestionStatus.DUPLICATE, 1, NOW)
    finally:
        await store.close()
    return path


def urls(xml: bytes) -> list[tuple[str, str]]:
    root = ET.fromstring(xml)
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    return [(u.findtext("s:loc", namespaces=NS), u.findtext("s:lastmod", namespaces=NS))
            for u in root.findall("s:url", NS)]  # fmt: skip


async def test_the_index_lists_chunks_with_their_newest_change(database):
    async with client_for(database) as client:
        response = await client.get("/sitemap.xml")
        assert response.status == 200 and response.content_type == "application/xml"
        root = ET.fromstring(await response.read())
        assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
        entries = [(s.findtext("s:loc", namespaces=NS), s.findtext("s:lastmod", namespaces=NS))
                   for s in root.findall("s:sitemap", NS)]  # fmt: skip
        assert [loc for loc, _ in entries] == [f"{BASE}/sitemaps/{n}.xml" for n in (1, 2, 3)]
        chunks = [urls(await (await client.get(f"/sitemaps/{n}.xml")).read()) for n in (1, 2, 3)]
    assert [len(c) for c in chunks] == [3, 3, 2]
    every = [loc for chunk in chunks for loc, _ in chunk]
    assert every == [f"{BASE}/q/{n}/title-{n}-more" for n in range(1, 9)], "by id, once each, all guilds"
    for (_, lastmod), chunk in zip(entries, chunks, strict=True):
        assert lastmod == max(m for _, m in chunk), "a chunk's lastmod is its newest change"
    by_loc = dict(u for chunk in chunks for u in chunk)
    assert datetime.fromisoformat(by_loc[f"{BASE}/q/2/title-2-more"]) == NOW + timedelta(days=3), "the answer"
    assert datetime.fromisoformat(by_loc[f"{BASE}/q/3/title-3-more"]) == NOW + timedelta(hours=3)


async def test_chunks_past_the_end_and_bad_numbers_are_404(database):
    async with client_for(database) as client:
        for path in ("/sitemaps/4.xml", "/sitemaps/0.xml", "/sitemaps/abc.xml", "/sitemaps/99999999.xml"):
            assert (await client.get(path)).status == 404, path


async def test_a_default_chunk_holds_everything(database):
    async with client_for(database, chunk=50_000) as client:
        index = await (await client.get("/sitemap.xml")).read()
        assert index.count(b"<sitemap>") == 1
        assert len(urls(await (await client.get("/sitemaps/1.xml")).read())) == 8


async def test_without_a_public_url_locations_are_relative_and_say_so(database):
    async with client_for(database, public_url=None) as client:
        index = await (await client.get("/sitemap.xml")).text()
        chunk = await (await client.get("/sitemaps/1.xml")).read()
        robots = await (await client.get("/robots.txt")).text()
    assert "<loc>/sitemaps/1.xml</loc>" in index and "QUORUM_PUBLIC_URL is not set" in index
    assert urls(chunk)[0][0] == "/q/1/title-1-more" and b"QUORUM_PUBLIC_URL is not set" in chunk
    assert "Sitemap:" not in robots


async def test_chunks_are_streamed_compressed_when_asked(database):
    async with client_for(database) as client:
        response = await client.get("/sitemaps/1.xml", headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
        assert response.headers["Content-Encoding"] == "gzip"
        assert len(urls(gzip.decompress(await response.read()))) == 3


async def test_a_publication_change_shows_at_once(database):
    async with client_for(database) as client:
        store = await open_store(database)
        try:
            await publish(store, G2, CH2, published=False)
        finally:
            await store.close()
        every = urls(await (await client.get("/sitemaps/3.xml")).read())
    assert [loc for loc, _ in every] == [f"{BASE}/q/7/title-7-more"]


async def test_robots(database):
    async with client_for(database) as client:
        response = await client.get("/robots.txt")
        text = await response.text()
    assert response.content_type == "text/plain"
    assert text.splitlines() == ["User-agent: *", "Disallow: /u/", "Disallow: /g/*/search",
                                 f"Sitemap: {BASE}/sitemap.xml"]  # fmt: skip


async def test_a_hidden_askers_titles_stay_out_of_the_urls(database):
    store = await open_store(database)
    try:
        await store.set_web_hidden(G, 5, True, NOW)
    finally:
        await store.close()
    async with client_for(database) as client:
        first = urls(await (await client.get("/sitemaps/1.xml")).read())
        last = urls(await (await client.get("/sitemaps/3.xml")).read())
    assert [loc for loc, _ in first] == [f"{BASE}/q/{n}/question" for n in (1, 2, 3)]
    assert last[-1][0] == f"{BASE}/q/8/title-8-more", "hidden in guild 1 only"


async def test_chunks_deflate_or_plain_as_asked(database):
    async with client_for(database) as client:
        deflated = await client.get("/sitemaps/1.xml", headers={"Accept-Encoding": "deflate"}, auto_decompress=False)
        assert deflated.headers["Content-Encoding"] == "deflate"
        assert len(urls(zlib.decompress(await deflated.read()))) == 3
        plain = await client.get("/sitemaps/1.xml", headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers and len(urls(await plain.read())) == 3
