"""Migration 0008 and the removal of questions that were private threads.

A database written before 0008 has private-thread questions the schema cannot tell from public ones:
after the migration their thread type is unknown, their channel is listed for start-up catch-up to
ask Discord about, and removing them takes every row they left (posts, votes, revisions, search
rows, tags) with their effects on scores and reputation, so a recount finds nothing to fix."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.forum.search import parse_query
from bot.forum.summary import OWN, Place
from db.connection import open_writer
from db.migrate import default_migrations_dir, migrate
from db.store import open_store
from tests.db.conftest import T0

GUILD, TEXT, FORUM = 1, 20, 21
PRIVATE, PUBLIC, FORUM_POST = 100, 200, 300
ASKER, ANSWERER, VOTER, BYSTANDER = 7, 8, 9, 10


async def _migrate_to(path: Path, version: int, tmp_path: Path) -> None:
    directory = tmp_path / f"migrations-{version}"
    directory.mkdir()
    for entry in default_migrations_dir().iterdir():
        if entry.name.endswith(".sql") and int(entry.name[:4]) <= version:
            (directory / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    conn = await open_writer(path)
    try:
        assert await migrate(conn, directory) == version
    finally:
        await conn.close()


def _older_version_rows(conn: sqlite3.Connection) -> None:
    """What a version before 0008 stored: a private thread mirrored as a question, voted on and
    accepted, next to a public one, with members' reputation maintained as votes left it."""
    for qid, channel, title in ((PRIVATE, TEXT, "secret plans"), (PUBLIC, TEXT, "public plans"),
                                (FORUM_POST, FORUM, "forum plans")):  # fmt: skip
        conn.execute("INSERT INTO questions (id, guild_id, channel_id, title, author_id, tags, created_at, updated_at)"
                     " VALUES (?, ?, ?, ?, ?, '[\"plans\"]', 0, 0)", (qid, GUILD, channel, title, ASKER))
        conn.execute("INSERT INTO revisions (post_id, field, number, text, at) VALUES (?, 'title', 1, ?, 0)",
                     (qid, title))
        replier = BYSTANDER if qid == PRIVATE else ANSWERER
        for offset, kind, author in ((1, "question", ASKER), (2, "answer", ANSWERER), (3, "reply", replier)):
            conn.execute("INSERT INTO posts (id, question_id, guild_id, kind, author_id, body, created_at)"
                         " VALUES (?, ?, ?, ?, ?, ?, 0)", (qid + offset, qid, GUILD, kind, author, f"{title} text"))
            conn.execute("INSERT INTO revisions (post_id, field, number, text, at) VALUES (?, 'body', 1, ?, 0)",
                         (qid + offset, f"{title} text"))
        conn.execute("UPDATE questions SET starter_id = ? WHERE id = ?", (qid + 1, qid))
    # In the private thread: the question upvoted, the answer downvoted by VOTER (-1 to them), then
    # accepted by the asker; an owed reaction removal. In the public one: the answer upvoted.
    for post_id, value in ((PRIVATE + 1, 1), (PRIVATE + 2, -1), (PUBLIC + 2, 1)):
        conn.execute("INSERT INTO votes (post_id, voter_id, guild_id, value, at) VALUES (?, ?, ?, ?, 0)",
                     (post_id, VOTER, GUILD, value))
        conn.execute("UPDATE posts SET score = ? WHERE id = ?", (value, post_id))
    conn.execute("UPDATE questions SET score = 1 WHERE id = ?", (PRIVATE,))
    conn.execute("UPDATE questions SET accepted_answer_id = ?, accepted_by = ? WHERE id = ?",
                 (PRIVATE + 2, ASKER, PRIVATE))
    conn.execute("INSERT INTO owed_unreactions (post_id, voter_id, value) VALUES (?, ?, 1)", (PRIVATE + 2, VOTER))
    conn.execute("INSERT INTO meta (key, value) VALUES ('summary:' || ?1, 'own:' || ?1 || ':')", (PRIVATE,))
    reputation = {ASKER: 1 + 10 + 2, ANSWERER: 1 - 2 + 15 + 10, VOTER: 1 - 1, BYSTANDER: 1}
    conn.executemany("INSERT INTO members (guild_id, user_id, reputation) VALUES (?, ?, ?)",
                     [(GUILD, user, rep) for user, rep in reputation.items()])


async def test_questions_of_an_older_version_wait_for_their_check_and_private_ones_go_whole(db_path, tmp_path):
    await _migrate_to(db_path, 7, tmp_path)
    with sqlite3.connect(db_path) as conn:
        _older_version_rows(conn)
    store = await open_store(db_path)  # migrates to the latest version
    try:
        assert (await store.recount()).differences == 0, "the older version's counters were consistent"
        assert (await store.get_question(PRIVATE)).thread_type is None
        assert await store.summary_place(PRIVATE) == Place(OWN, PRIVATE), "moved out of meta by 0018"
        assert await store.channels_of_unknown_thread_type(GUILD) == [TEXT, FORUM]

        # What start-up catch-up does once Discord listed the text channel's private threads.
        assert await store.remove_questions([PRIVATE, 999], T0) == 1
        assert await store.record_thread_type(GUILD, TEXT, 11) == 1
        assert await store.record_thread_type(GUILD, FORUM, 11) == 1
        assert await store.channels_of_unknown_thread_type(GUILD) == []
        assert (await store.get_question(PUBLIC)).thread_type == 11

        assert await store.get_question(PRIVATE) is None
        assert await store.question_posts(PRIVATE, include_deleted=True) == []
        for post_id in (PRIVATE, PRIVATE + 1, PRIVATE + 2, PRIVATE + 3):
            assert await store.revisions(post_id) == []
        assert await store.owed_unreactions(PRIVATE) == {}
        assert await store.summary_place(PRIVATE) is None
        hits = (await store.search_candidates(GUILD, parse_query("plans"), 50, readable=None)).found
        assert {c.question_id for c in hits} == {PUBLIC, FORUM_POST}
        assert (await store.recount()).differences == 0
        # What the private thread gave and took is taken back; the bystander, known only from it, goes.
        assert await store.reputations(GUILD) == {ASKER: 1, ANSWERER: 11, VOTER: 1}
    finally:
        await store.close()
    with sqlite3.connect(db_path) as conn:
        left = [
            "SELECT count(*) FROM posts WHERE question_id = ?1",
            "SELECT count(*) FROM question_tags WHERE question_id = ?1",
            "SELECT count(*) FROM questions WHERE id = ?1",
            "SELECT count(*) FROM votes WHERE post_id BETWEEN ?1 AND ?1 + 9",
        ]
        assert [conn.execute(sql, (PRIVATE,)).fetchone()[0] for sql in left] == [0, 0, 0, 0]
        conn.execute("INSERT INTO post_fts (post_fts) VALUES ('integrity-check')")  # raises if the index is off
