"""/sitemap.xml (a sitemap index), /sitemaps/{n}.xml (the question URLs, streamed) and /robots.txt.

Every public question of every guild is in the sitemaps, by id, at most `SITEMAP_CHUNK` URLs each
(the protocol allows 50,000); duplicates are left out, since their canonical page is the original's.
A chunk is written as it is read, a batch of rows at a time, so memory stays flat however large the
forum; and its absolute URLs need QUORUM_PUBLIC_URL (without it they are relative, and say so).
"""

from __future__ import annotations

import zlib
from xml.sax.saxutils import escape

from aiohttp import web
from aiohttp.web import ContentCoding

from .keys import PUBLIC_URL
from .lists import lists_of
from .middleware import _coding as accepted_coding
from .urls import question_path

SITEMAP_CHUNK = web.AppKey("sitemap_chunk", int)
DEFAULT_CHUNK = 50_000  # the sitemaps.org limit of URLs per file
XML = "application/xml"
_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_NO_BASE = "<!-- QUORUM_PUBLIC_URL is not set: these addresses are relative to this site -->\n"


def add_sitemap_routes(app: web.Application, *, chunk: int = DEFAULT_CHUNK) -> None:
    lists_of(app)
    app.setdefault(SITEMAP_CHUNK, chunk)
    app.router.add_get("/sitemap.xml", sitemap_index)
    app.router.add_get(r"/sitemaps/{number:\d{1,7}}.xml", sitemap_chunk)
    app.router.add_get("/robots.txt", robots)


async def sitemap_index(request: web.Request) -> web.Response:
    base = request.app[PUBLIC_URL]
    chunks = await lists_of(request.app).sitemap_chunks(request.app[SITEMAP_CHUNK])
    lines = [_HEAD, f'<sitemapindex xmlns="{_NS}">\n', "" if base else _NO_BASE]
    for chunk in chunks:
        lastmod = f"<lastmod>{chunk.lastmod}</lastmod>" if chunk.lastmod else ""
        lines.append(f"<sitemap><loc>{escape(f'{base}/sitemaps/{chunk.number + 1}.xml')}</loc>{lastmod}</sitemap>\n")
    lines.append("</sitemapindex>\n")
    return web.Response(text="".join(lines), content_type=XML, charset="utf-8")


async def sitemap_chunk(request: web.Request) -> web.StreamResponse:
    number = int(request.match_info["number"]) - 1  # /sitemaps/1.xml is the first
    if number < 0:
        raise web.HTTPNotFound()
    base = escape(request.app[PUBLIC_URL])
    batches = lists_of(request.app).sitemap_urls(number, request.app[SITEMAP_CHUNK])
    first = await anext(batches, None)
    if first is None:
        raise web.HTTPNotFound()
    response = web.StreamResponse(headers={"Cache-Control": "no-cache", "Vary": "Accept-Encoding"})
    response.content_type, response.charset = XML, "utf-8"
    compressor = _compressor(request, response)
    await response.prepare(request)
    await response.write(compressor(f'{_HEAD}<urlset xmlns="{_NS}">\n{"" if base else _NO_BASE}'.encode()))
    batch: list | None = first
    while batch is not None:
        parts = []
        for question_id, slug, lastmod in batch:
            modified = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
            parts.append(f"<url><loc>{base}{question_path(question_id, slug)}</loc>{modified}</url>\n")
        await response.write(compressor("".join(parts).encode()))
        batch = await anext(batches, None)
    await response.write(compressor(b"</urlset>\n", last=True))
    await response.write_eof()
    return response


def _compressor(request: web.Request, response: web.StreamResponse):
    """gzip or deflate as Accept-Encoding asks (else identity), at level 1: for 200k URLs that is a
    fraction of level 6's time, and the loop compresses each batch itself instead of waiting on a
    thread for it (aiohttp's own compression)."""
    coding = accepted_coding(request.headers.get("Accept-Encoding", ""))
    if coding is None:
        return lambda data, last=False: data
    response.headers["Content-Encoding"] = coding.value
    engine = zlib.compressobj(1, zlib.DEFLATED, 31 if coding is ContentCoding.gzip else 15)

    def compress(data: bytes, last: bool = False) -> bytes:
        return engine.compress(data) + (engine.flush() if last else engine.flush(zlib.Z_SYNC_FLUSH))

    return compress


async def robots(request: web.Request) -> web.Response:
    base = request.app[PUBLIC_URL]
    lines = ["User-agent: *", "Disallow: /u/", "Disallow: /g/*/search"]
    if base:
        lines.append(f"Sitemap: {base}/sitemap.xml")
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain", charset="utf-8")
