"""A question page's content as the template and the JSON-LD read it: names resolved, hidden
members' text withheld, markdown rendered (cached: most of a page is unchanged between views)."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from markupsafe import Markup, escape

from bot.forum.models import Attachment, Post
from bot.forum.public_site import Directory

from . import markdown
from .urls import profile_path


@dataclass(slots=True)
class PostModel:
    id: int
    author: str
    author_path: str | None  # the member's profile; None for a hidden member
    html: Markup
    text: str  # plain text, for search engines
    created_at: datetime
    edited: bool
    score: int
    attachments: tuple[Attachment, ...]
    accepted: bool = False
    replies: list[PostModel] = field(default_factory=list)


_NO_MENTIONS: tuple[frozenset[int], frozenset[int], frozenset[int]] = (frozenset(), frozenset(), frozenset())


@lru_cache(maxsize=65536)
def mentions(text: str) -> tuple[AbstractSet[int], AbstractSet[int], AbstractSet[int]]:
    # Most posts mention nothing: they all share one value, so a full cache holds no objects per
    # post for the garbage collector to walk (three sets and a tuple each made a full collection
    # of the web server take tens of milliseconds; bench/web).
    users, roles, channels = markdown.mention_ids(text)
    return (users, roles, channels) if users or roles or channels else _NO_MENTIONS


@lru_cache(maxsize=16384)
def _rendered(text: str, users: tuple, roles: tuple, channels: tuple) -> tuple[Markup, str]:
    names = markdown.MentionNames(dict(users), dict(roles), dict(channels))
    return markdown.render(text, names), markdown.plain_text(text, names)


def _names_in(ids: AbstractSet[int], names: dict[int, str]) -> tuple:
    # Only the names this text mentions are part of its cache key, so a rename elsewhere keeps it.
    return tuple(sorted((i, names[i]) for i in ids if i in names)) if ids else ()


def _linkable(attachments: tuple[Attachment, ...]) -> tuple[Attachment, ...]:
    # Discord serves attachments over https; anything else (a hostile gateway's payload) is no link.
    return tuple(a for a in attachments if a.url.startswith(("https://", "http://")))


class PostModels:
    """Builds PostModels for one page from its Directory."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.users = directory.mention_users()

    def post(self, post: Post) -> PostModel:
        d = self.directory
        hidden = d.is_hidden(post.author_id)
        if hidden:
            html, text = _rendered(d.text_of(post), (), (), ())
        else:
            u, r, c = mentions(post.body)
            html, text = _rendered(post.body, _names_in(u, self.users), _names_in(r, d.roles), _names_in(c, d.channels))
        return PostModel(
            post.id, d.display_name(post.author_id), None if hidden else profile_path(d.guild_id, post.author_id),
            html, text, post.created_at, post.edited_at is not None, post.score,
            () if hidden or not post.attachments else _linkable(post.attachments),
        )  # fmt: skip

    def description(self, post: Post | None, limit: int = 155) -> str:
        if post is None:
            return ""
        d = self.directory
        if d.is_hidden(post.author_id):
            return d.text_of(post)
        u, r, c = mentions(post.body)
        names = markdown.MentionNames(dict(_names_in(u, self.users)), dict(_names_in(r, d.roles)),
                                      dict(_names_in(c, d.channels)))  # fmt: skip
        return markdown.plain_text(post.body, names, limit=limit)


def byline(post: PostModel) -> Markup:
    """Author, date, edited mark and score of a post. Built here rather than in a Jinja macro: a
    macro call costs ~20 us, and a page of 200 answers with replies makes hundreds of them."""
    name = escape(post.author)
    if post.author_path is not None:
        author = f'<a class="author" href="{escape(post.author_path)}">{name}</a>'
    else:
        author = f'<span class="author">{name}</span>'
    at = post.created_at
    edited = ' <span class="edited">(edited)</span>' if post.edited else ""
    score = f"{post.score:+d}" if post.score else "0"
    return Markup(
        f'<p class="byline">{author} <time datetime="{at.isoformat(timespec="seconds")}">'
        f"{at:%Y-%m-%d %H:%M} UTC</time>{edited} "
        f'<span class="score"><span class="visually-hidden">Score: </span>{score}</span></p>'
    )
