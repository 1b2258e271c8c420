"""The web's list pages, search, profiles and sitemap: which questions and members they may show, and
how (no aiohttp, no SQL). The consent rules are public_site.py's: a question is listed iff it is live,
in a public thread, in a channel that is published and that @everyone can read; a member who hides
appears under an anonymous name, without their text (a title is the asker's text), never with a
profile, and never found through search.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from .errors import BadInput
from .listing import MAX_PAGE, PER_PAGE, ListedRow, ListSort, PublicCounts, SitemapChunk, SitemapEntry, TagCount
from .models import PostKind, QuestionStatus, TopPost
from .public import HIDDEN_TEXT, WebChannel
from .public_site import DEFAULT_SLUG, Directory, slugify
from .search import MAX_QUERY, SearchPage, SearchResult, parse_query
from .search_service import SearchService
from .visibility import Readable

MAX_WEB_QUERY = 300  # characters of a search from the web (the parser's own limit is lower)
MAX_TAG = 100  # a tag name in a URL: Discord's tags are at most 20 characters
TAGS_SHOWN = 100
BEST_POSTS = 10
SITEMAP_BATCH = 5_000


class ListsStore(Protocol):
    async def web_channels(self, guild_id: int) -> list[WebChannel]: ...
    async def published_channels(self) -> list[WebChannel]: ...
    async def guild_name(self, guild_id: int) -> str | None: ...
    async def guild_names(self, guild_ids: Iterable[int]) -> dict[int, str]: ...
    async def directory(self, guild_id: int, *, users: Iterable[int]) -> Directory: ...
    async def listed_questions(
        self, guild_id: int, channels: Readable, sort: ListSort, *, limit: int, offset: int
    ) -> list[ListedRow]: ...
    async def tagged_questions(
        self, guild_id: int, tag: str, channels: Readable, *, limit: int, offset: int
    ) -> list[ListedRow]: ...
    async def channel_question_counts(self, channels: Readable) -> dict[int, int]: ...
    async def tag_counts(self, channels: Readable, *, limit: int) -> list[TagCount]: ...
    async def tag_count(self, channels: Readable, tag: str) -> int: ...
    async def listed_among(self, question_ids: Iterable[int], channels: Readable) -> dict[int, int]: ...
    async def post_authors(self, post_ids: Iterable[int]) -> dict[int, tuple[int, PostKind]]: ...
    async def member_public_counts(self, guild_id: int, user_id: int, channels: Readable) -> PublicCounts: ...
    async def member_reputation(self, guild_id: int, user_id: int) -> int | None: ...
    async def best_posts(
        self, guild_id: int, user_id: int, limit: int, *, readable: Readable | None
    ) -> list[TopPost]: ...
    async def hidden_among(self, guild_id: int, user_ids: Iterable[int]) -> set[int]: ...
    async def sitemap_chunks(self, channels: Readable, *, size: int) -> list[SitemapChunk]: ...
    async def sitemap_chunk_start(self, channels: Readable, *, number: int, size: int) -> int | None: ...
    async def sitemap_batch(self, channels: Readable, *, from_id: int, limit: int) -> list[SitemapEntry]: ...


# ----- what the pages show ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Author:
    name: str
    user_id: int | None  # None for a hidden member: no profile to link to


@dataclass(frozen=True, slots=True)
class ListedQuestion:
    id: int
    title: str
    slug: str
    score: int
    answers: int
    solved: bool
    status: QuestionStatus
    tags: tuple[str, ...]
    author: Author
    created_at: datetime


@dataclass(frozen=True, slots=True)
class GuildSummary:
    guild_id: int
    name: str | None
    questions: int


@dataclass(frozen=True, slots=True)
class Paged:
    """A page of a list: numbered from 1; `has_older` when another page follows."""

    page: int
    questions: list[ListedQuestion]
    has_older: bool


@dataclass(frozen=True, slots=True)
class GuildHome:
    guild: GuildSummary
    sort: ListSort
    listing: Paged
    tags: list[TagCount]


@dataclass(frozen=True, slots=True)
class TagPage:
    guild: GuildSummary
    tag: str
    questions: int
    listing: Paged


@dataclass(frozen=True, slots=True)
class FoundQuestion:
    result: SearchResult
    title: str
    slug: str
    kind: PostKind  # of the best-matching post


@dataclass(frozen=True, slots=True)
class WebSearch:
    guild: GuildSummary
    page: SearchPage
    found: list[FoundQuestion]  # the page's results the web may show (see search())


@dataclass(frozen=True, slots=True)
class BestPost:
    post: TopPost
    title: str
    slug: str


@dataclass(frozen=True, slots=True)
class MemberProfile:
    guild: GuildSummary
    user_id: int
    name: str
    reputation: int
    counts: PublicCounts
    best: list[BestPost]


class SitemapUrl(NamedTuple):  # one per question of a sitemap: a tuple costs less
    question_id: int
    slug: str
    lastmod: str | None


def clamp_page(raw: str | None) -> int:
    """A page number from a URL: anything that is not a positive number is page 1; huge ones stop at
    MAX_PAGE (past the end: the caller answers 404)."""
    if raw is None or not raw.isascii() or not raw.isdigit():
        return 1
    return min(max(int(raw[:7]), 1), MAX_PAGE)


class PublicLists:
    def __init__(self, store: ListsStore, search: SearchService) -> None:
        self.store = store
        self.searching = search

    # ----- which channels are public -----------------------------------------------------------
    async def public_channels(self, guild_id: int) -> Readable:
        return Readable(frozenset(c.channel_id for c in await self.store.web_channels(guild_id) if c.public))

    async def all_public_channels(self) -> Readable:
        return Readable(frozenset(c.channel_id for c in await self.store.published_channels() if c.public))

    async def guild(self, guild_id: int) -> tuple[GuildSummary, Readable] | None:
        """A guild that publishes (at least one public channel, even without questions yet), or None."""
        channels = await self.public_channels(guild_id)
        if not channels.channel_ids:
            return None
        counts = await self.store.channel_question_counts(channels)
        return GuildSummary(guild_id, await self.store.guild_name(guild_id), sum(counts.values())), channels

    async def publishing_guilds(self) -> list[GuildSummary]:
        """Every guild with a public channel, the one with most questions first."""
        public = [c for c in await self.store.published_channels() if c.public]
        counts = await self.store.channel_question_counts(Readable(frozenset(c.channel_id for c in public)))
        totals: dict[int, int] = {}
        for channel in public:
            totals[channel.guild_id] = totals.get(channel.guild_id, 0) + counts.get(channel.channel_id, 0)
        names = await self.store.guild_names(totals)
        guilds = [GuildSummary(g, names.get(g), n) for g, n in totals.items()]
        return sorted(guilds, key=lambda g: (-g.questions, (g.name or "").casefold(), g.guild_id))

    # ----- lists -------------------------------------------------------------------------------
    async def home(self, guild_id: int, sort: ListSort, page: int) -> GuildHome | None:
        """None: the guild publishes nothing, or the page is past the end."""
        found = await self.guild(guild_id)
        if found is None:
            return None
        guild, channels = found
        rows = await self.store.listed_questions(guild_id, channels, sort, limit=PER_PAGE + 1,
                                                 offset=(page - 1) * PER_PAGE)  # fmt: skip
        listing = await self._paged(guild_id, rows, page)
        if listing is None:
            return None
        return GuildHome(guild, sort, listing, await self.store.tag_counts(channels, limit=TAGS_SHOWN))

    async def tag(self, guild_id: int, tag: str, page: int) -> TagPage | None:
        """None: no public question has the tag, or the page is past the end."""
        if not tag or len(tag) > MAX_TAG:
            return None
        found = await self.guild(guild_id)
        if found is None:
            return None
        guild, channels = found
        count = await self.store.tag_count(channels, tag)
        if count == 0:
            return None
        rows = await self.store.tagged_questions(guild_id, tag, channels, limit=PER_PAGE + 1,
                                                 offset=(page - 1) * PER_PAGE)  # fmt: skip
        listing = await self._paged(guild_id, rows, page)
        return None if listing is None else TagPage(guild, tag, count, listing)

    async def _paged(self, guild_id: int, rows: list[ListedRow], page: int) -> Paged | None:
        if not rows and page > 1:
            return None
        shown = rows[:PER_PAGE]
        directory = await self.store.directory(guild_id, users={r.author_id for r in shown})
        return Paged(page, [_listed(r, directory) for r in shown], len(rows) > PER_PAGE)

    # ----- search ------------------------------------------------------------------------------
    async def search(self, guild_id: int, text: str, page: int) -> WebSearch | None:
        """Discord's /search over the public channels. Raises BadInput (TooBroad when the search ran
        out of time) with the sentence to show. A hidden member's posts are never found: a `user:`
        naming them finds nothing, and a result whose best match is their text is left out (their
        words must not be recoverable by searching for them). None: the guild publishes nothing."""
        found = await self.guild(guild_id)
        if found is None:
            return None
        guild, channels = found
        if len(text) > MAX_WEB_QUERY:  # refused before any work on it
            raise BadInput(f"Searches are at most {MAX_QUERY} characters.")
        query = parse_query(text)
        if query.user_id is not None and await self.store.hidden_among(guild_id, [query.user_id]):
            return WebSearch(guild, SearchPage(query, [], 0, 1, 0, False), [])
        result = await self.searching.search(guild_id, text, page=page - 1, available_tags=None, readable=channels)
        listed = await self.store.listed_among([r.question_id for r in result.results], channels)
        authors = await self.store.post_authors([r.post_id for r in result.results])
        directory = await self.store.directory(guild_id, users=set(listed.values()) | {a for a, _ in authors.values()})
        shown = []
        for r in result.results:
            asker = listed.get(r.question_id)
            author, kind = authors.get(r.post_id, (asker, PostKind.QUESTION))
            if asker is None or author is None or directory.is_hidden(author):
                continue
            shown.append(FoundQuestion(r, *_title_and_slug(r.title, asker, directory), kind))
        return WebSearch(guild, result, shown)

    # ----- profiles ----------------------------------------------------------------------------
    async def profile(self, guild_id: int, user_id: int) -> MemberProfile | None:
        """None: the member hides, or has nothing public here (a profile is reached from their posts)."""
        found = await self.guild(guild_id)
        if found is None:
            return None
        guild, channels = found
        directory = await self.store.directory(guild_id, users=[user_id])
        if directory.is_hidden(user_id):
            return None
        counts = await self.store.member_public_counts(guild_id, user_id, channels)
        if not counts.any:
            return None
        reputation = await self.store.member_reputation(guild_id, user_id) or 1
        posts = await self.store.best_posts(guild_id, user_id, BEST_POSTS, readable=channels)
        askers = await self.store.listed_among([p.question_id for p in posts], channels)
        askers_directory = await self.store.directory(guild_id, users=askers.values())
        best = [BestPost(p, *_title_and_slug(p.title, askers[p.question_id], askers_directory))
                for p in posts if p.question_id in askers]  # fmt: skip
        return MemberProfile(guild, user_id, directory.display_name(user_id), reputation, counts, best)

    # ----- sitemap -----------------------------------------------------------------------------
    async def sitemap_chunks(self, size: int) -> list[SitemapChunk]:
        return await self.store.sitemap_chunks(await self.all_public_channels(), size=size)

    async def sitemap_urls(self, number: int, size: int, batch: int = SITEMAP_BATCH) -> AsyncIterator[list[SitemapUrl]]:
        """Chunk `number`'s questions by id, a batch at a time (nothing when past the end). The next
        batch is read while the caller writes this one out."""
        channels = await self.all_public_channels()
        start = await self.store.sitemap_chunk_start(channels, number=number, size=size)
        if start is None:
            return
        left = size
        reading = asyncio.ensure_future(self.store.sitemap_batch(channels, from_id=start, limit=min(batch, left)))
        try:
            while reading is not None:
                entries = await reading
                want, left = min(batch, left), left - len(entries)
                reading = None
                if len(entries) == want and left > 0:
                    after = entries[-1].question_id + 1
                    reading = asyncio.ensure_future(
                        self.store.sitemap_batch(channels, from_id=after, limit=min(batch, left))
                    )
                if entries:
                    yield self._urls(entries)
        finally:
            if reading is not None:
                reading.cancel()

    @staticmethod
    def _urls(entries: list[SitemapEntry]) -> list[SitemapUrl]:
        return [SitemapUrl(question_id, DEFAULT_SLUG if asker_hidden else slugify(title), lastmod)
                for question_id, title, lastmod, asker_hidden in entries]  # fmt: skip


def _title_and_slug(title: str, asker: int, directory: Directory) -> tuple[str, str]:
    if directory.is_hidden(asker):
        return HIDDEN_TEXT, DEFAULT_SLUG
    return title, slugify(title)


def _listed(row: ListedRow, directory: Directory) -> ListedQuestion:
    hidden = directory.is_hidden(row.author_id)
    title, slug = _title_and_slug(row.title, row.author_id, directory)
    author = Author(directory.display_name(row.author_id), None if hidden else row.author_id)
    return ListedQuestion(row.id, title, slug, row.score, row.answers, row.solved, row.status, row.tags, author,
                          row.created_at)  # fmt: skip
