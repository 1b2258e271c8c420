from __future__ import annotations

import inspect
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.forum.models import (
    Attachment,
    AuditEntry,
    GuildSettings,
    Post,
    PostKind,
    Question,
    QuestionStatus,
)
from bot.forum.ports import ForumStore
from db.store import SqliteStore, open_store

from .conftest import T0

GUILD = 100
THREAD = 2000
STARTER = 2000  # a forum post's starter message has the thread's id
ASKER, ANSWERER, MOD = 11, 12, 13


def question(thread_id: int = THREAD, *, at: datetime = T0, **kw) -> Question:
    fields = dict(id=thread_id, guild_id=GUILD, channel_id=300, title="How do I X?", author_id=ASKER, created_at=at)
    return Question(**(fields | kw))


def post(post_id: int, kind: PostKind = PostKind.ANSWER, *, at: datetime = T0, thread_id: int = THREAD, **kw) -> Post:
    fields = dict(
        id=post_id, question_id=thread_id, guild_id=GUILD, kind=kind, author_id=ANSWERER, body=f"body {post_id}",
        created_at=at,
    )  # fmt: skip
    return Post(**(fields | kw))


def _count(path: Path, sql: str, params: tuple = ()) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchone()[0]


def test_store_matches_the_port_exactly() -> None:
    port = {name: fn for name, fn in vars(ForumStore).items() if not name.startswith("_") and callable(fn)}
    assert port
    for name, fn in port.items():
        assert inspect.signature(getattr(SqliteStore, name)) == inspect.signature(fn), name


async def test_add_question_is_idempotent(store: SqliteStore, db_path: Path) -> None:
    starter = post(STARTER, PostKind.QUESTION, author_id=ASKER, body="the details")
    q = question(tags=("python", "sqlite"))
    assert await store.add_question(q, starter) is True
    assert await store.add_question(q, starter) is False
    assert _count(db_path, "SELECT count(*) FROM questions") == 1
    assert _count(db_path, "SELECT count(*) FROM posts") == 1
    revisions = await store.revisions(THREAD)
    assert [(r.field, r.number, r.text) for r in revisions] == [("body", 1, "the details"), ("title", 1, "How do I X?")]
    got = await store.get_question(THREAD)
    assert got == replace(q, starter_id=STARTER)
    assert got.tags == ("python", "sqlite") and got.status is QuestionStatus.OPEN


async def test_question_without_starter_learns_it_from_add_post(store: SqliteStore) -> None:
    assert await store.add_question(question(), None)
    assert (await store.get_question(THREAD)).starter_id is None
    assert await store.add_post(post(STARTER, PostKind.QUESTION, author_id=ASKER))
    assert (await store.get_question(THREAD)).starter_id == STARTER
    # A known starter is never replaced.
    assert await store.add_post(post(STARTER + 1, PostKind.QUESTION))
    assert (await store.get_question(THREAD)).starter_id == STARTER


async def test_add_post_is_idempotent_with_one_revision(store: SqliteStore, db_path: Path) -> None:
    await store.add_question(question(), None)
    attachments = (Attachment(id=9, filename="a.png", url="https://cdn/a.png", content_type="image/png", size=3),)
    p = post(3000, attachments=attachments)
    assert await store.add_post(p) is True
    assert await store.add_post(p) is False
    assert await store.get_post(3000) == p
    assert [(r.number, r.text, r.editor_id) for r in await store.revisions(3000)] == [(1, "body 3000", ANSWERER)]
    assert _count(db_path, "SELECT count(*) FROM revisions WHERE post_id = 3000") == 1


async def test_add_post_needs_its_question(store: SqliteStore) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await store.add_post(post(3000, thread_id=999))
    assert await store.get_post(3000) is None


async def test_question_posts_order_and_soft_delete(store: SqliteStore) -> None:
    await store.add_question(question(), post(STARTER, PostKind.QUESTION, author_id=ASKER))
    await store.add_post(post(3002, at=T0 + timedelta(minutes=2)))
    await store.add_post(post(3001, at=T0 + timedelta(minutes=1)))
    reply = post(3003, PostKind.REPLY, at=T0 + timedelta(minutes=3), parent_id=3001, reply_to_id=3001)
    await store.add_post(reply)
    assert [p.id for p in await store.question_posts(THREAD)] == [STARTER, 3001, 3002, 3003]
    assert (await store.get_post(3003)).parent_id == 3001

    gone = T0 + timedelta(hours=1)
    assert await store.delete_post(3002, gone) is True
    assert await store.delete_post(3002, gone + timedelta(seconds=1)) is False  # already deleted
    assert await store.delete_post(9999, gone) is False  # unknown
    assert [p.id for p in await store.question_posts(THREAD)] == [STARTER, 3001, 3003]
    with_deleted = await store.question_posts(THREAD, include_deleted=True)
    assert [p.id for p in with_deleted] == [STARTER, 3001, 3002, 3003]
    deleted = await store.get_post(3002)
    assert deleted.deleted_at == gone and deleted.body == "body 3002"
    assert len(await store.revisions(3002)) == 1  # history kept


async def test_thread_page_is_the_question_and_its_live_posts(store: SqliteStore) -> None:
    """The thread page's one-hop read builds the same models as get_question and question_posts."""
    assert await store.thread_page(THREAD) is None
    await store.add_question(question(tags=("python",)), post(STARTER, PostKind.QUESTION, author_id=ASKER))
    attachments = (Attachment(id=9, filename="a.png", url="https://cdn/a.png", content_type="image/png", size=3),)
    await store.add_post(post(3001, at=T0 + timedelta(minutes=1), attachments=attachments, score=0))
    await store.add_post(post(3002, at=T0 + timedelta(minutes=2)))
    reply = post(3003, PostKind.REPLY, at=T0 + timedelta(minutes=3), parent_id=3001, reply_to_id=3001)
    await store.add_post(reply)
    await store.add_post(post(3004, at=T0 + timedelta(minutes=4)))
    await store.edit_post(3002, "edited", ANSWERER, T0 + timedelta(minutes=5, milliseconds=7))
    await store.delete_post(3004, T0 + timedelta(hours=1))
    await store.add_question(question(THREAD + 1), post(THREAD + 1, PostKind.QUESTION, thread_id=THREAD + 1))
    page = await store.thread_page(THREAD)
    assert page is not None
    got_question, posts = page
    assert got_question == await store.get_question(THREAD)
    assert posts == await store.question_posts(THREAD)
    assert [p.id for p in posts] == [STARTER, 3001, 3002, 3003]
    assert posts[1].attachments == attachments and posts[2].body == "edited"
    assert posts[2].edited_at == T0 + timedelta(minutes=5, milliseconds=7)
    assert posts[3] == reply  # every field in its place (the rows are converted positionally)


async def test_edit_ordering_rule(store: SqliteStore) -> None:
    await store.add_question(question(), None)
    await store.add_post(post(3000))
    t1, t2, t3 = (T0 + timedelta(minutes=m) for m in (1, 2, 3))
    assert await store.edit_post(3000, "second", ANSWERER, t2) is True
    assert await store.edit_post(3000, "late older view", ANSWERER, t1) is False  # older than latest edit
    assert await store.edit_post(3000, "second", ANSWERER, t2) is False  # the same edit replayed
    assert await store.edit_post(3000, "second", ANSWERER, t3) is False  # unchanged text
    assert await store.edit_post(3000, "before creation", ANSWERER, T0 - timedelta(1)) is False
    assert await store.edit_post(9999, "unknown", ANSWERER, t3) is False
    assert await store.edit_post(3000, "third", MOD, t3) is True
    p = await store.get_post(3000)
    assert (p.body, p.edited_at) == ("third", t3)
    assert [(r.number, r.text, r.editor_id, r.at) for r in await store.revisions(3000)] == [
        (1, "body 3000", ANSWERER, T0),
        (2, "second", ANSWERER, t2),
        (3, "third", MOD, t3),
    ]


async def test_rename_revisions(store: SqliteStore) -> None:
    await store.add_question(question(), post(STARTER, PostKind.QUESTION, author_id=ASKER, body="details"))
    t1, t2 = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
    assert await store.rename_question(THREAD, "How do I do X in Y?", ASKER, t2) is True
    assert await store.rename_question(THREAD, "Older name", ASKER, t1) is False
    assert await store.rename_question(THREAD, "How do I do X in Y?", MOD, t2 + timedelta(1)) is False
    assert await store.rename_question(9999, "unknown", MOD, t2) is False
    assert (await store.get_question(THREAD)).title == "How do I do X in Y?"
    # The body's history is untouched; both live under the thread id, oldest first.
    assert [(r.field, r.number, r.text) for r in await store.revisions(THREAD)] == [
        ("body", 1, "details"),
        ("title", 1, "How do I X?"),
        ("title", 2, "How do I do X in Y?"),
    ]
    # An edit of the body is not blocked by the newer rename: each field has its own history.
    assert await store.edit_post(STARTER, "more details", ASKER, t1) is True


async def test_list_questions_oldest_first_per_guild(store: SqliteStore) -> None:
    await store.add_question(question(2002, at=T0 + timedelta(minutes=5)), None)
    await store.add_question(question(2001, at=T0), None)
    await store.add_question(question(2003, guild_id=GUILD + 1), None)
    assert [q.id for q in await store.list_questions(GUILD)] == [2001, 2002]
    assert [q.id for q in await store.list_questions(GUILD + 1)] == [2003]


async def test_settings_round_trip_and_audit(store: SqliteStore) -> None:
    assert await store.get_settings(GUILD) is None
    first = GuildSettings(GUILD, forum_channel_id=300, moderator_role_id=400)
    await store.save_settings(first, MOD, T0)
    assert await store.get_settings(GUILD) == first
    second = GuildSettings(GUILD, forum_channel_id=301, upvote_emoji="<:up:1>", downvote_emoji="⬇️", daily_vote_cap=5)
    await store.save_settings(second, ASKER, T0 + timedelta(minutes=1))
    other = GuildSettings(GUILD + 1)
    await store.save_settings(other, MOD, T0)
    assert await store.get_settings(GUILD) == second
    assert await store.all_settings() == [second, other]
    log = await store.audit_log(GUILD)
    assert [(e.action, e.actor_id, e.at) for e in log] == [
        ("setup", ASKER, T0 + timedelta(minutes=1)),
        ("setup", MOD, T0),
    ]
    assert "301" in log[0].reason


async def test_audit_log_filter_and_paging(store: SqliteStore) -> None:
    for i in range(5):
        actor = MOD if i % 2 == 0 else ASKER
        await store.add_audit(AuditEntry(GUILD, actor, "accept", 3000 + i, f"r{i}", T0 + timedelta(seconds=i)))
    await store.add_audit(AuditEntry(GUILD + 1, MOD, "accept", None, None, T0))
    log = await store.audit_log(GUILD)
    assert [e.target_id for e in log] == [3004, 3003, 3002, 3001, 3000]  # newest first
    assert all(e.id is not None for e in log)
    assert [e.target_id for e in await store.audit_log(GUILD, actor_id=MOD)] == [3004, 3002, 3000]
    assert [e.target_id for e in await store.audit_log(GUILD, limit=2, offset=1)] == [3003, 3002]


async def test_meta(store: SqliteStore) -> None:
    assert await store.get_meta("retention:application") is None
    await store.set_meta("retention:application", "abc")
    await store.set_meta("retention:application", "def")
    assert await store.get_meta("retention:application") == "def"


async def test_naive_datetimes_are_refused(store: SqliteStore) -> None:
    with pytest.raises(ValueError, match="naive"):
        await store.add_question(question(at=datetime(2025, 1, 1)), None)


async def test_times_keep_millisecond_precision(store: SqliteStore) -> None:
    at = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    await store.add_question(question(at=at), None)
    assert (await store.get_question(THREAD)).created_at == at.replace(microsecond=123000)


async def test_data_survives_close_and_reopen(db_path: Path) -> None:
    store = await open_store(db_path)
    await store.add_question(question(), post(STARTER, PostKind.QUESTION, author_id=ASKER))
    await store.add_post(post(3000))
    await store.edit_post(3000, "edited", ANSWERER, T0 + timedelta(minutes=1))
    await store.save_settings(GuildSettings(GUILD, forum_channel_id=300), MOD, T0)
    await store.set_meta("k", "v")
    await store.close()

    store = await open_store(db_path)
    try:
        assert (await store.get_question(THREAD)).starter_id == STARTER
        assert (await store.get_post(3000)).body == "edited"
        assert len(await store.revisions(3000)) == 2
        assert (await store.get_settings(GUILD)).forum_channel_id == 300
        assert len(await store.audit_log(GUILD)) == 1
        assert await store.get_meta("k") == "v"
        # Replays after a restart change nothing.
        assert await store.add_post(post(3000)) is False
    finally:
        await store.close()


async def test_concurrent_writes_are_all_acknowledged(store: SqliteStore) -> None:
    import asyncio

    await store.add_question(question(), None)
    results = await asyncio.gather(*(store.add_post(post(5000 + i)) for i in range(100)))
    assert all(results)
    assert len(await store.question_posts(THREAD)) == 100
    assert store.writer.commits < 100


async def test_guild_ids_and_reputations(store: SqliteStore, db_path: Path) -> None:
    assert await store.guild_ids() == []
    await store.save_settings(GuildSettings(GUILD + 5), MOD, T0)
    await store.add_question(question(), None)
    await store.add_question(question(2001, guild_id=GUILD + 9), None)
    assert await store.guild_ids() == [GUILD, GUILD + 5, GUILD + 9]
    assert await store.reputations(GUILD) == {}
    # Reputation is maintained by the voting code (a later migration/issue); seed rows directly here.
    with sqlite3.connect(db_path) as conn:
        conn.executemany(
            "INSERT INTO members (guild_id, user_id, reputation) VALUES (?, ?, ?)",
            [(GUILD, ASKER, 7), (GUILD, ANSWERER, 1), (GUILD + 5, ASKER, 3)],
        )
    assert await store.reputations(GUILD) == {ASKER: 7, ANSWERER: 1}
