"""The public web site's rules (no aiohttp, no SQL): which questions a page may show, and how members
appear there.

A question is public iff it is not deleted, its thread is a public or announcement thread (type 11 or
10; an unknown type may be a private thread stored by an old version, so it is never shown), and its
channel is public (published, and @everyone can read it). A deleted question of a public channel is
Gone (410); anything else that is not public does not exist (404), so a page never reveals that a
hidden question is there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Protocol

from .events import ANNOUNCEMENT_THREAD, PUBLIC_THREAD
from .models import Post, Question, ThreadView
from .public import HIDDEN_MENTION, HIDDEN_TEXT, WebChannel, anonymous_name
from .rules import build_thread_view

UNKNOWN_MEMBER = "unknown member"
SLUG_LENGTH = 60
DEFAULT_SLUG = "question"
PUBLIC_THREAD_TYPES = frozenset((ANNOUNCEMENT_THREAD, PUBLIC_THREAD))


@dataclass(frozen=True, slots=True)
class Directory:
    """Names for one page: display names of members, roles and channels, the members who hide, and
    the guild's name."""

    guild_id: int
    users: dict[int, str]
    hidden: set[int]
    roles: dict[int, str]
    channels: dict[int, str]
    guild_name: str | None = None

    def is_hidden(self, user_id: int) -> bool:
        return user_id in self.hidden

    def display_name(self, user_id: int) -> str:
        if user_id in self.hidden:
            return anonymous_name(self.guild_id, user_id)
        return self.users.get(user_id, UNKNOWN_MEMBER)

    def text_of(self, post: Post) -> str:
        return HIDDEN_TEXT if post.author_id in self.hidden else post.body

    def title_of(self, question: Question) -> str:
        """A title is the asker's text: withheld like their posts."""
        return HIDDEN_TEXT if question.author_id in self.hidden else question.title

    def slug_of(self, question: Question) -> str:
        # The slug must not give away a withheld title.
        return DEFAULT_SLUG if question.author_id in self.hidden else slugify(question.title)

    def mention_users(self) -> dict[int, str]:
        """Names a mention shows: a hidden member is "someone", never their name."""
        names = dict(self.users)
        for user_id in self.hidden:
            names[user_id] = HIDDEN_MENTION
        return names


class PublicStore(Protocol):
    async def thread_page(self, thread_id: int) -> tuple[Question, list[Post]] | None: ...
    async def get_question(self, thread_id: int) -> Question | None: ...
    async def web_channel(self, channel_id: int) -> WebChannel | None: ...
    async def guild_name(self, guild_id: int) -> str | None: ...
    async def directory(
        self, guild_id: int, *, users: Iterable[int], roles: Iterable[int] = (), channels: Iterable[int] = ()
    ) -> Directory: ...


@dataclass(frozen=True, slots=True)
class Gone:
    """A question of a public channel that was deleted: 410, not 404."""

    question_id: int


# text -> (user, role, channel) ids, read only
Mentions = Callable[[str], tuple[AbstractSet[int], AbstractSet[int], AbstractSet[int]]]


def no_mentions(_text: str) -> tuple[AbstractSet[int], AbstractSet[int], AbstractSet[int]]:
    return set(), set(), set()


@dataclass(frozen=True, slots=True)
class QuestionPage:
    view: ThreadView
    directory: Directory  # names of every author and everything mentioned on the page
    guild_name: str | None
    original: Question | None = None  # the public original of a duplicate

    @property
    def question(self) -> Question:
        return self.view.question

    @property
    def title(self) -> str:
        return self.directory.title_of(self.view.question)

    @property
    def slug(self) -> str:
        return self.directory.slug_of(self.view.question)


def slugify(title: str) -> str:
    """Lowercase ascii words joined by '-', cut at a word boundary to at most SLUG_LENGTH characters."""
    if title.isascii():  # the usual case, and a sitemap slugs every public question: one table pass
        words = title.translate(_ASCII_WORDS).split()
    else:
        words = _WORD.findall(unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower())
    slug = "-".join(words)
    if len(slug) <= SLUG_LENGTH:
        return slug or DEFAULT_SLUG
    length, count = -1, 0  # the most words that fit, with their dashes
    for word in words:
        if length + 1 + len(word) > SLUG_LENGTH:
            break
        length, count = length + 1 + len(word), count + 1
    return "-".join(words[:count]) if count else words[0][:SLUG_LENGTH]


_WORD = re.compile(r"[a-z0-9]+")
# Ascii letters lowercased, digits kept, everything else a space: the words _WORD finds, split().
_ASCII_WORDS = str.maketrans({chr(c): chr(c).lower() if chr(c).isalnum() else " " for c in range(128)})


def thread_is_public_type(question: Question) -> bool:
    return question.thread_type in PUBLIC_THREAD_TYPES


class PublicSite:
    """What the web may show, read through the store; every page goes through here."""

    def __init__(self, store: PublicStore) -> None:
        self.store = store

    async def channel_is_public(self, channel_id: int) -> bool:
        channel = await self.store.web_channel(channel_id)
        return channel is not None and channel.public

    async def is_public(self, question: Question) -> bool:
        return (
            question.deleted_at is None
            and thread_is_public_type(question)
            and await self.channel_is_public(question.channel_id)
        )

    async def question_page(self, thread_id: int, *, mentions: Mentions = no_mentions) -> QuestionPage | Gone | None:
        """The page of a public question; Gone for a deleted one of a public channel; None otherwise.
        `mentions` finds the ids a text mentions, so their names come in the same read as the authors'."""
        found = await self.store.thread_page(thread_id)
        if found is None:
            return None
        question, posts = found
        if not thread_is_public_type(question) or not await self.channel_is_public(question.channel_id):
            return None
        if question.deleted_at is not None:
            return Gone(question.id)
        original = None
        if question.duplicate_of is not None:
            candidate = await self.store.get_question(question.duplicate_of)
            if candidate is not None and await self.is_public(candidate):
                original = candidate
        view = build_thread_view(question, posts)
        users, roles, channels = {question.author_id}, set(), set()
        if original is not None:
            users.add(original.author_id)
        for post in posts:
            if post.deleted_at is None:
                users.add(post.author_id)
                mentioned_users, mentioned_roles, mentioned_channels = mentions(post.body)
                users |= mentioned_users
                roles |= mentioned_roles
                channels |= mentioned_channels
        directory = await self.store.directory(question.guild_id, users=users, roles=roles, channels=channels)
        return QuestionPage(view, directory, directory.guild_name, original)

    async def directory(
        self, guild_id: int, *, users: Iterable[int], roles: Iterable[int] = (), channels: Iterable[int] = ()
    ) -> Directory:
        return await self.store.directory(guild_id, users=users, roles=roles, channels=channels)

    async def guild_name(self, guild_id: int) -> str | None:
        return await self.store.guild_name(guild_id)
