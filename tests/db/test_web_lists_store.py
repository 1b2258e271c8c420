"""The web lists' store (db/web_lists.py, migration 0012): what each list reads, the counts the
triggers keep (always what a count from scratch finds), and query plans that stay on indexes."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.forum.listing import ListSort, TagCount
from bot.forum.models import Post, PostKind, Question, QuestionStatus
from bot.forum.visibility import Readable
from db import web_lists_queries as wq
from db.connection import open_writer
from db.migrate import default_migrations_dir, migrate
from db.store import open_store
from db.web_store import open_web_store

G = 1
PUBLIC, OTHER = 10, 20
T0 = datetime(2026, 1, 1, tzinfo=UTC)
BOTH = Readable(frozenset({PUBLIC, OTHER}))
ONLY_PUBLIC = Readable(frozenset({PUBLIC}))


def q(qid: int, *, channel: int = PUBLIC, tags=(), thread_type: int | None = 11, author: int = 7) -> Question:
    return Question(qid, G, channel, f"Question {qid}", author, T0 + timedelta(minutes=qid), starter_id=qid,
                    tags=tuple(tags), thread_type=thread_type)  # fmt: skip


def starter(qid: int, author: int = 7) -> Post:
    return Post(qid, qid, G, PostKind.QUESTION, author, f"body of {qid}", T0 + timedelta(minutes=qid))


def answer(post_id: int, qid: int, author: int = 8) -> Post:
    return Post(post_id, qid, G, PostKind.ANSWER, author, f"answer {post_id}", T0 + timedelta(minutes=qid, seconds=1))


def maintained(path: Path) -> tuple[set, set]:
    with sqlite3.connect(path) as conn:
        channels = set(conn.execute("SELECT channel_id, questions FROM channel_question_counts WHERE questions > 0"))
        tags = set(conn.execute("SELECT channel_id, tag, questions FROM channel_tag_counts WHERE questions > 0"))
    return channels, tags


FROM_SCRATCH_CHANNELS = """
SELECT channel_id, count(*) FROM questions WHERE deleted_at IS NULL AND thread_type IN (10, 11) GROUP BY 1
"""
FROM_SCRATCH_TAGS = """
SELECT q.channel_id, t.value, count(DISTINCT q.id) FROM questions q, json_each(q.tags) t
WHERE q.deleted_at IS NULL AND q.thread_type IN (10, 11) GROUP BY 1, 2
"""


def from_scratch(path: Path) -> tuple[set, set]:
    with sqlite3.connect(path) as conn:
        return set(conn.execute(FROM_SCRATCH_CHANNELS)), set(conn.execute(FROM_SCRATCH_TAGS))


async def test_counts_follow_every_change_of_what_is_listed(tmp_path):
    path = tmp_path / "q.db"
    store = await open_store(path)
    try:
        await store.add_question(q(1, tags=("a", "b", "a")), starter(1))
        await store.add_question(q(2, tags=("a",), thread_type=None), starter(2))  # unknown type: not listed
        await store.add_question(q(3, channel=OTHER, tags=("b",)), starter(3))
        await store.add_question(q(4, tags=("c",)), starter(4))
        assert maintained(path) == from_scratch(path) == ({(PUBLIC, 2), (OTHER, 1)},
                                                          {(PUBLIC, "a", 1), (PUBLIC, "b", 1), (PUBLIC, "c", 1),
                                                           (OTHER, "b", 1)})  # fmt: skip
        await store.record_thread_type(G, PUBLIC, 11)  # question 2's type learnt: listed now
        assert maintained(path) == from_scratch(path)
        await store.set_question_tags(1, ("b", "d"), T0)
        assert maintained(path) == from_scratch(path)
        await store.delete_question(4, T0)
        assert maintained(path) == from_scratch(path)
        await store.remove_questions([3], T0)  # gone from the table altogether (a private thread found)
        assert maintained(path) == from_scratch(path)
        await store.add_post(answer(100, 1))
        await store.apply_vote(1, 9, 1, T0)  # votes move no count
        assert maintained(path) == from_scratch(path) == ({(PUBLIC, 2)}, {(PUBLIC, "a", 1), (PUBLIC, "b", 1),
                                                                          (PUBLIC, "d", 1)})  # fmt: skip
    finally:
        await store.close()


async def test_migration_0012_counts_what_was_there_before(tmp_path):
    """A database from before 0012 gets its counts when it is upgraded."""
    older = tmp_path / "migrations"
    older.mkdir()
    for entry in default_migrations_dir().iterdir():
        if entry.name.endswith(".sql") and int(entry.name[:4]) < 12:
            shutil.copyfile(str(entry), older / entry.name)
    path = tmp_path / "old.db"
    conn = await open_writer(path)
    assert await migrate(conn, older) == 11
    await conn.close()
    with sqlite3.connect(path) as raw:
        for qid, channel, tags, deleted, ttype in [
            (1, PUBLIC, '["a","b"]', None, 11),
            (2, PUBLIC, '["a"]', 5, 11),
            (3, OTHER, '["a","a"]', None, 10),
            (4, OTHER, "[]", None, None),
        ]:
            raw.execute("INSERT INTO questions (id, guild_id, channel_id, title, author_id, tags, created_at, "
                        "updated_at, deleted_at, thread_type) VALUES (?, 1, ?, 't', 7, ?, 0, 0, ?, ?)",
                        (qid, channel, tags, deleted, ttype))  # fmt: skip
    conn = await open_writer(path)
    assert await migrate(conn) >= 12
    await conn.close()
    expected = ({(PUBLIC, 1), (OTHER, 1)}, {(PUBLIC, "a", 1), (PUBLIC, "b", 1), (OTHER, "a", 1)})
    assert maintained(path) == from_scratch(path) == expected


@pytest.fixture
async def filled(tmp_path):
    path = tmp_path / "lists.db"
    store = await open_store(path)
    try:
        for qid in range(1, 8):
            await store.add_question(q(qid, tags=("odd",) if qid % 2 else ("even",)), starter(qid))
        await store.add_question(q(8, channel=OTHER), starter(8))
        await store.add_question(q(9, thread_type=None), starter(9))  # maybe a private thread: never listed
        await store.add_question(q(10), starter(10))
        await store.delete_question(10, T0)
        for qid in (2, 3, 5):
            await store.add_post(answer(100 + qid, qid))
        await store.delete_post(105, T0)  # question 5 is unanswered again
        await store.apply_vote(3, 50, 1, T0)
        await store.apply_vote(3, 51, 1, T0)
        await store.apply_vote(6, 50, 1, T0)
        await store.apply_vote(1, 50, -1, T0)
        await store.set_acceptance(2, 102, 7, T0)
        await store.set_status(7, QuestionStatus.DUPLICATE, 6, T0)
    finally:
        await store.close()
    web = await open_web_store(path)
    try:
        yield web
    finally:
        await web.close()


async def ids(web, sort, channels=ONLY_PUBLIC, limit=30, offset=0):
    return [r.id for r in await web.listed_questions(G, channels, sort, limit=limit, offset=offset)]


async def test_lists_read_what_is_listed_in_their_order(filled):
    assert await ids(filled, ListSort.NEWEST) == [7, 6, 5, 4, 3, 2, 1]
    assert await ids(filled, ListSort.NEWEST, BOTH) == [8, 7, 6, 5, 4, 3, 2, 1]
    assert await ids(filled, ListSort.NEWEST, limit=3, offset=2) == [5, 4, 3]
    assert await ids(filled, ListSort.TOP) == [3, 6, 7, 5, 4, 2, 1]  # score, then newest
    assert await ids(filled, ListSort.UNANSWERED) == [7, 6, 5, 4, 1]
    rows = {r.id: r for r in await filled.listed_questions(G, ONLY_PUBLIC, ListSort.NEWEST, limit=30, offset=0)}
    assert (rows[2].answers, rows[2].solved, rows[2].tags) == (1, True, ("even",))
    assert (rows[3].score, rows[5].answers, rows[7].status) == (2, 0, QuestionStatus.DUPLICATE)
    tagged = await filled.tagged_questions(G, "odd", ONLY_PUBLIC, limit=2, offset=1)
    assert [r.id for r in tagged] == [5, 3]
    assert await filled.tag_counts(ONLY_PUBLIC, limit=10) == [TagCount("odd", 4), TagCount("even", 3)]
    assert await filled.tag_count(ONLY_PUBLIC, "even") == 3 and await filled.tag_count(ONLY_PUBLIC, "nope") == 0
    assert await filled.channel_question_counts(BOTH) == {PUBLIC: 7, OTHER: 1}
    assert await filled.listed_among([1, 8, 9, 10, 99], ONLY_PUBLIC) == {1: 7}


async def test_sitemap_chunks_and_batches(filled):
    channels = BOTH
    chunks = await filled.sitemap_chunks(channels, size=3)  # 7 listed, the duplicate (7) left out
    assert [(c.number, c.urls) for c in chunks] == [(0, 3), (1, 3), (2, 1)]
    assert await filled.sitemap_chunk_start(channels, number=1, size=3) == 4
    assert await filled.sitemap_chunk_start(channels, number=3, size=3) is None
    batch = await filled.sitemap_batch(channels, from_id=4, limit=3)
    assert [e.question_id for e in batch] == [4, 5, 6]
    assert [e.question_id for e in await filled.sitemap_batch(channels, from_id=6, limit=10)] == [6, 8]


def plan(path: Path, sql: str, params) -> str:
    with sqlite3.connect(path) as conn:
        return "\n".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))


NAMED = {"guild": G, "channels": "[10]", "limit": 31, "offset": 0, "tag": "a", "from": 0}


@pytest.mark.parametrize(
    ("statement", "params", "expected"),
    [
        ("NEWEST", NAMED, "SEARCH questions USING COVERING INDEX questions_listed_newest (guild_id=?)"),
        ("TOP", NAMED, "SEARCH questions USING COVERING INDEX questions_listed_top (guild_id=?)"),
        ("UNANSWERED", NAMED, "SEARCH a USING COVERING INDEX posts_live_answers (question_id=? AND kind=?"),
        ("TAGGED", NAMED, "SEARCH t USING PRIMARY KEY (guild_id=? AND tag=?)"),
        ("TAG_COUNTS", ("[10]", 100), "SEARCH channel_tag_counts USING PRIMARY KEY (channel_id=?)"),
        ("CHANNEL_COUNTS", ("[10]",), "SEARCH channel_question_counts USING INTEGER PRIMARY KEY (rowid=?)"),
        ("MEMBER_PUBLIC_COUNTS", (G, 7, "[10]"), "SEARCH p USING COVERING INDEX posts_live_by_author"),
        ("SITEMAP_BATCH", NAMED, "SEARCH q USING INTEGER PRIMARY KEY (rowid>?)"),
    ],
)
async def test_list_statements_stay_on_indexes(tmp_path, statement, params, expected):
    path = tmp_path / "plan.db"
    await (await open_store(path)).close()  # the schema only
    sql = getattr(wq, statement)
    used = {k: v for k, v in params.items() if f":{k}" in sql} if isinstance(params, dict) else params
    found = plan(path, sql, used)
    assert expected in found, found
    if "MATERIALIZE page" in found:  # a page's ids are read in index order, never sorted
        assert "TEMP B-TREE" not in found.split("SCAN page")[0], found
