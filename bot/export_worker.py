"""What `quorum export`'s worker processes run (bot/export_pages.py): a page of questions as read,
decoded into models (db/export_pages.py), shaped (bot/forum/exporting.py) and encoded. A worker
imports this module alone: neither asyncio nor the store, which would double its memory.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

import orjson

from bot.forum.exporting import question_export
from bot.forum.models import PostKind
from db.export_pages import ThreadPage, decode_thread_page


@dataclass(frozen=True, slots=True)
class ShapedPage:
    lines: bytes  # the page's questions, one line of compact JSON each, joined by ",\n"
    questions: int
    posts: int
    authors: set[int]  # who asked, answered or replied: version 1's users (bot/export.py)


def shape_page(page: ThreadPage) -> ShapedPage:
    records = decode_thread_page(page)
    authors: set[int] = set()
    posts = 0
    for record in records:
        authors.add(record.question.author_id)
        # A starter post's author may be the bot, which /ask posts for the asker.
        authors.update(p.author_id for p in record.posts if p.kind is not PostKind.QUESTION)
        posts += len(record.posts)
    lines = b",\n".join([orjson.dumps(question_export(record)) for record in records])
    return ShapedPage(lines, len(records), posts, authors)


def ignore_sigint() -> None:
    """A worker's start: Ctrl-C stops the export, which stops its workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
