"""The thread page's read (mixed into SqliteStore): the question and its live posts, in one hop.

`/question` is the forum's most frequent read, and at 200 answers its cost is mostly Python: every
aiosqlite call is a round trip to the reader's thread, and every row becomes a Post. So both
statements run in one function on the reader's own thread, rows come back as plain tuples, and
Posts are built positionally (keyword arguments cost about twice as much: bench/RESULTS.md).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

import aiosqlite

from bot.forum.models import Attachment, Post, Question

from . import convert as cv
from . import queries as q
from .connection import run_on_connection_thread


class ThreadPageStore:
    """Needs the SqliteStore's `_next_reader` (a cycle over its reader connections)."""

    _next_reader: Iterator[aiosqlite.Connection]

    async def thread_page(self, thread_id: int) -> tuple[Question, list[Post]] | None:
        """The question and its live posts (starter, answers, replies), oldest first; None if unknown."""
        return await run_on_connection_thread(next(self._next_reader), lambda conn: read_thread_page(conn, thread_id))


def read_thread_page(conn: sqlite3.Connection, thread_id: int) -> tuple[Question, list[Post]] | None:
    cursor = conn.cursor()  # a reader's cursor makes sqlite3.Rows: only the one question row needs names
    row = cursor.execute(q.GET_QUESTION, (thread_id,)).fetchone()
    if row is None:
        return None
    question = cv.question_from_row(row)
    cursor.row_factory = None  # plain tuples for the posts
    rows = cursor.execute(q.THREAD_PAGE_POSTS, (thread_id,)).fetchall()
    return question, _posts(rows, thread_id)


def _posts(rows: list[tuple], thread_id: int) -> list[Post]:
    epoch, ms, kinds = cv.EPOCH, cv.MS, cv.KINDS
    posts = []
    for row in rows:
        (post_id, guild_id, kind, parent_id, reply_to_id, author_id, body, attachments, score, created_at,
         edited_at) = row  # fmt: skip
        posts.append(Post(
            post_id, thread_id, guild_id, kinds[kind], author_id, body, epoch + created_at * ms, parent_id,
            reply_to_id, score, None if edited_at is None else epoch + edited_at * ms, None,
            () if attachments == "[]" else tuple(Attachment(**a) for a in json.loads(attachments)),
        ))  # fmt: skip
    return posts
