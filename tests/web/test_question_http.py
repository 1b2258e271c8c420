"""The question page over HTTP on a real database: ids, canonical links, structured data that cannot
break out of its script element, error pages in the site's look, caching headers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.forum.models import Attachment, Post, PostKind, Question, QuestionStatus
from bot.forum.public_site import PublicSite
from db.store import open_store
from tests.web.helpers import json_ld, name_members, publish, web_client
from web import seo
from web.app import build_app

G, CH = 1, 10
NOW = datetime(2026, 1, 1, tzinfo=UTC)
HOSTILE = 'Why </script><script>alert(1)</script> & "quotes"?'


@pytest.fixture
async def database(tmp_path):
    path = tmp_path / "quorum.db"
    store = await open_store(path)
    try:
        await publish(store, G, CH)
        await name_members(store, G, {7: "Asker", 8: "Helper"})
        await store.add_question(Question(500, G, CH, "The original", 7, NOW, starter_id=500, thread_type=11),
                                 Post(500, 500, G, PostKind.QUESTION, 7, "First asked here.", NOW))  # fmt: skip
        await store.add_question(Question(600, G, CH, HOSTILE, 7, NOW, starter_id=600, thread_type=11),
                                 Post(600, 600, G, PostKind.QUESTION, 7, HOSTILE, NOW))  # fmt: skip
        files = (
            Attachment(1, "shot.png", "https://cdn.discordapp.com/attachments/1/shot.png", "image/png"),
            Attachment(2, "notes.txt", "https://cdn.discordapp.com/attachments/1/notes.txt", "text/plain"),
            Attachment(3, "evil.png", "javascript:alert(1)", "image/png"),
        )
        await store.add_post(Post(601, 600, G, PostKind.ANSWER, 8, "Because </script>.", NOW, attachments=files))
        await store.set_status(600, QuestionStatus.DUPLICATE, 500, NOW)
    finally:
        await store.close()
    return path


@pytest.mark.parametrize("bad", ["abc", "-1", "1.5", "٣", str(2**63), "9" * 30])
async def test_ids_that_cannot_name_a_question_are_404_in_the_sites_look(database, bad):
    async with web_client(database) as client:
        response = await client.get(f"/q/{bad}", allow_redirects=False)
        html = await response.text()
        assert response.status == 404
        assert "<h1>Page not found</h1>" in html and 'rel="stylesheet"' in html
        assert response.headers["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" in response.headers


async def test_structured_data_cannot_close_its_script(database):
    async with web_client(database, public_url="https://forum.example.org") as client:
        html = await (await client.get("/q/600/question", allow_redirects=True)).text()
    assert "<script>alert" not in html and html.count("</script>") == 1
    data = json_ld(html)
    assert data["mainEntity"]["name"] == HOSTILE
    assert data["mainEntity"]["suggestedAnswer"][0]["text"] == "Because </script>."
    assert data["mainEntity"]["author"]["url"] == "https://forum.example.org/u/1/7"


async def test_a_duplicate_says_so_and_its_canonical_is_the_original(database):
    async with web_client(database, public_url="https://forum.example.org") as client:
        response = await client.get("/q/600", allow_redirects=False)
        html = await (await client.get(response.headers["Location"])).text()
    assert '<link rel="canonical" href="https://forum.example.org/q/500/the-original">' in html
    assert 'Duplicate of <a href="/q/500/the-original">The original</a>' in html
    assert "canonical address of this page is unknown" not in html


async def test_without_a_public_url_links_are_relative_and_the_page_says_so(database):
    async with web_client(database) as client:
        html = await (await client.get("/q/500/the-original")).text()
    assert '<link rel="canonical" href="/q/500/the-original">' in html
    assert "canonical address of this page is unknown" in html
    assert json_ld(html)["@type"] == "DiscussionForumPosting"


async def test_etags_compare_weakly_and_in_lists(database):
    async with web_client(database) as client:
        first = await client.get("/q/500/the-original", headers={"Accept-Encoding": "gzip"})
        etag = first.headers["ETag"]
        assert etag.endswith('-gzip"'), "a compressed representation has its own strong ETag"
        for header in (etag, f'"nope", W/{etag}', "*"):
            again = await client.get("/q/500/the-original", headers={"If-None-Match": header})
            assert again.status == 304, header
            assert again.headers["Cache-Control"] == "no-cache"
        assert (await client.get("/q/500/the-original", headers={"If-None-Match": '"other"'})).status == 200
        head = await client.head("/q/500/the-original")
        assert head.status == 200 and head.headers["ETag"]


async def test_the_stylesheet_is_cached_for_long_under_a_versioned_url(database):
    async with web_client(database) as client:
        html = await (await client.get("/q/500/the-original")).text()
        href = html.split('<link rel="stylesheet" href="')[1].split('"')[0]
        assert href.startswith("/static/quorum.css?v=")
        css = await client.get(href)
        assert css.status == 200 and css.content_type == "text/css"
        assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "prefers-color-scheme: dark" in await css.text()


class BrokenSite(PublicSite):
    async def question_page(self, thread_id, **_):
        raise RuntimeError("the secret internals")


async def test_an_error_never_shows_a_traceback(database):
    async with TestClient(TestServer(build_app(BrokenSite(None), public_url=None))) as client:  # type: ignore[arg-type]
        response = await client.get("/q/1")
        html = await response.text()
    assert response.status == 500
    assert "secret internals" not in html and "Traceback" not in html and "Something went wrong" in html


def test_json_ld_escapes_what_could_end_the_script():
    tag = seo.script({"text": "</script><!-- & \u2028"})
    inner = str(tag).removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    assert "<" not in inner and ">" not in inner and "&" not in inner and "\u2028" not in inner
    assert json.loads(inner) == {"text": "</script><!-- & \u2028"}


async def test_attachments_are_links_and_images_with_their_names(database):
    async with web_client(database) as client:
        html = await (await client.get("/q/600/question")).text()
    assert '<img src="https://cdn.discordapp.com/attachments/1/shot.png" alt="shot.png"' in html
    assert '<a href="https://cdn.discordapp.com/attachments/1/notes.txt">notes.txt</a>' in html
    assert "javascript:" not in html and "evil.png" not in html


async def test_deflate_when_gzip_is_not_taken_and_nothing_for_small_bodies(database):
    import zlib

    async with web_client(database) as client:
        plain = await (await client.get("/q/500/the-original", headers={"Accept-Encoding": "identity"})).read()
        response = await client.get("/q/500/the-original", headers={"Accept-Encoding": "deflate, gzip;q=0"},
                                    auto_decompress=False)  # fmt: skip
        assert response.headers["Content-Encoding"] == "deflate" and response.headers["ETag"].endswith('-deflate"')
        assert zlib.decompress(await response.read()) == plain
        small = await client.get("/static/missing", headers={"Accept-Encoding": "gzip"})
        assert small.status == 404 and ("Content-Encoding" not in small.headers or len(await small.read()) > 1024)
