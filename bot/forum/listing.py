"""What the web's list pages are made of: the rows the store reads for them, and the pages' shapes.
Plain data, no rules (those are in public_lists.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from .models import QuestionStatus

PER_PAGE = 30
# Pages are numbered from 1 in URLs. Past this one nothing is read: an offset the database would
# walk in vain (a page past the end is a 404 anyway).
MAX_PAGE = 100_000


class ListSort(StrEnum):
    NEWEST = "newest"
    TOP = "top"
    UNANSWERED = "unanswered"


@dataclass(frozen=True, slots=True)
class ListedRow:
    """A question as a list shows it, as stored (names and consent not applied yet)."""

    id: int
    guild_id: int
    channel_id: int
    title: str
    author_id: int
    score: int
    answers: int  # live answers
    solved: bool  # has an accepted answer
    status: QuestionStatus
    tags: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TagCount:
    tag: str
    questions: int


@dataclass(frozen=True, slots=True)
class PublicCounts:
    """A member's live posts in listed questions."""

    questions: int
    answers: int
    replies: int

    @property
    def any(self) -> bool:
        return bool(self.questions or self.answers or self.replies)


@dataclass(frozen=True, slots=True)
class SitemapChunk:
    """One sitemap file of the index: its number (from 0), how many URLs, and the newest change."""

    number: int
    urls: int
    lastmod: str | None  # W3C datetime (UTC, to the second), as sitemaps take it


class SitemapEntry(NamedTuple):  # a tuple: a sitemap makes one per question, and they cost less
    question_id: int
    title: str
    lastmod: str | None  # W3C datetime of questions.changed_at
    asker_hidden: bool  # the asker hides from the web (web_privacy): their title stays out of the URL
