"""What every response gets: error pages in the site's look (never a traceback), security headers,
a strong ETag with 304 for a matching If-None-Match, `no-cache` (revalidate every time, so a vote or
an edit shows at once), and compression of larger text bodies.

The ETag is a hash of the rendered body: a page is always rendered, but an unchanged one costs the
reader no transfer, and a changed one can never be served stale.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import zlib
from collections import OrderedDict

from aiohttp import web
from aiohttp.web import ContentCoding

from .templating import render

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' https://cdn.discordapp.com "
        "https://media.discordapp.net data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
COMPRESS_ABOVE = 1024  # bytes: below this, compression costs more than it saves
COMPRESSION_LEVEL = 5
# Compressed bodies by (ETag digest, coding): a page of 200 answers takes milliseconds to compress
# and is read far more often than it changes. The key is the hash of the body, so never stale.
COMPRESSED_CACHE_BYTES = 32 * 1024 * 1024
_WBITS = {ContentCoding.gzip: 31, ContentCoding.deflate: 15}
_TEXT_TYPES = ("text/", "application/xml", "application/json", "application/ld+json", "application/rss+xml")
_ERROR_PAGES = {404: "Page not found", 405: "Method not allowed", 410: "This question was deleted"}


@web.middleware
async def site_middleware(request: web.Request, handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status in _ERROR_PAGES:
            response = error_page(request, exc.status)
        else:  # redirects and the like: a plain response with the exception's headers
            response = web.Response(status=exc.status, headers=exc.headers, text=exc.text)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("The page %s failed", request.path)
        response = error_page(request, 500)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if isinstance(response, web.Response) and _is_text(response):
        return _revalidated(request, response)
    return response


def error_page(request: web.Request, status: int) -> web.Response:
    title = _ERROR_PAGES.get(status, "Something went wrong")
    try:
        return render(request, "error.html", status=status, status_code=status, title=title)
    except Exception:  # the error page itself failed: say so plainly, still without a traceback
        log.exception("The error page failed")
        return web.Response(status=status, text=f"{status}: {title}", content_type="text/plain")


def _is_text(response: web.Response) -> bool:
    return isinstance(response.body, bytes) and response.content_type.startswith(_TEXT_TYPES)


def _revalidated(request: web.Request, response: web.Response) -> web.Response:
    body = response.body
    assert isinstance(body, bytes)
    response.headers.setdefault("Cache-Control", "no-cache")
    compress = len(body) > COMPRESS_ABOVE
    coding = _coding(request.headers.get("Accept-Encoding", "")) if compress else None
    if compress:
        response.headers["Vary"] = "Accept-Encoding"
    digest = hashlib.blake2b(body, digest_size=16).hexdigest()
    if response.status != 200:
        if coding is not None:
            _compress(response, body, digest, coding)
        return response
    # A compressed body is another representation: its strong ETag differs, its page is the same.
    etag = f'"{digest}-{coding.value}"' if coding is not None else f'"{digest}"'
    if _matches(request.headers.get("If-None-Match"), digest):
        headers = {"ETag": etag, "Cache-Control": response.headers["Cache-Control"]}
        if compress:
            headers["Vary"] = "Accept-Encoding"
        not_modified = web.Response(status=304, headers=headers)
        for name, value in SECURITY_HEADERS.items():
            not_modified.headers[name] = value
        return not_modified
    response.headers["ETag"] = etag
    if coding is not None:
        _compress(response, body, digest, coding)
    return response


class _CompressedCache:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.size = 0
        self.entries: OrderedDict[tuple[str, ContentCoding], bytes] = OrderedDict()

    def get(self, key: tuple[str, ContentCoding]) -> bytes | None:
        found = self.entries.get(key)
        if found is not None:
            self.entries.move_to_end(key)
        return found

    def put(self, key: tuple[str, ContentCoding], data: bytes) -> None:
        if key in self.entries or len(data) > self.capacity // 8:
            return
        self.entries[key] = data
        self.size += len(data)
        while self.size > self.capacity:
            _, dropped = self.entries.popitem(last=False)
            self.size -= len(dropped)


_compressed = _CompressedCache(COMPRESSED_CACHE_BYTES)


def _compress(response: web.Response, body: bytes, digest: str, coding: ContentCoding) -> None:
    key = (digest, coding)
    data = _compressed.get(key)
    if data is None:
        compressor = zlib.compressobj(COMPRESSION_LEVEL, zlib.DEFLATED, _WBITS[coding])
        data = compressor.compress(body) + compressor.flush()
        _compressed.put(key, data)
    response.body = data
    response.headers["Content-Encoding"] = coding.value


def _matches(if_none_match: str | None, digest: str) -> bool:
    if not if_none_match:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*":
            return True
        tag = tag.removeprefix("W/").strip('"')  # If-None-Match compares weakly (RFC 9110 13.1.2)
        if tag.split("-", 1)[0] == digest:
            return True
    return False


def _coding(accept_encoding: str) -> ContentCoding | None:
    """gzip if the client takes it, else deflate, else none (q=0 refuses a coding)."""
    accepted = set()
    for item in accept_encoding.lower().split(","):
        name, _, params = item.strip().partition(";")
        q = params.strip().removeprefix("q=")
        try:
            if params and float(q) <= 0:
                continue
        except ValueError:
            continue
        accepted.add(name.strip())
    if "gzip" in accepted:
        return ContentCoding.gzip
    if "deflate" in accepted:
        return ContentCoding.deflate
    return None
