"""New threads written in bulk by `quorum import` (db/import_writes.py).

Inserting a post fires four triggers and inserting a question three (the FTS index, question_tags,
the web's channel counts, changed_at, the search journal): per row, they were two thirds of an
import's writes. For a batch of questions the store did not have, the insert triggers are dropped
inside the import's transaction, the rows inserted, the same derived rows written by one statement
each for the whole batch, and the triggers created again from their own text in sqlite_master before
anything else runs. A rolled back import rolls the DDL back too; nobody else sees the store without
them (the transaction is the writer's own).

BULK_TRIGGERS names every insert trigger on posts and questions: tests/db/test_import_bulk.py fails
when one is added without its statement here, and holds the derived rows to the triggers' own.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

BULK_TRIGGERS = (
    "posts_fts_insert",
    "questions_changed_by_post_insert",
    "search_post_added",
    "search_first_answer",
    "questions_tags_insert",
    "questions_changed_at_insert",
    "questions_counts_insert",
    "followups_answer_added",
    "followups_asker_wrote",
)

_DROP = (
    "DROP TRIGGER posts_fts_insert",
    "DROP TRIGGER questions_changed_by_post_insert",
    "DROP TRIGGER search_post_added",
    "DROP TRIGGER search_first_answer",
    "DROP TRIGGER questions_tags_insert",
    "DROP TRIGGER questions_changed_at_insert",
    "DROP TRIGGER questions_counts_insert",
    "DROP TRIGGER followups_answer_added",
    "DROP TRIGGER followups_asker_wrote",
)

TRIGGER_TEXTS = """
SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN (SELECT value FROM json_each(?))
"""

INSERT_TRIGGERS = """
SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('posts', 'questions')
    AND sql LIKE '%AFTER INSERT ON%' ORDER BY name
"""

# What the triggers write, for a batch of new questions (ids bound as a JSON array): every post of
# them is new too (the importer sends a question here only when the store had none of it). The FTS
# document of a post: its question's title for the starter, its body; deleted posts are not indexed.
_DERIVED = (
    """
    INSERT INTO post_fts (rowid, title, body)
    SELECT p.id, CASE WHEN p.kind = 'question' THEN q.title ELSE '' END, p.body
    FROM posts p JOIN questions q ON q.id = p.question_id
    WHERE p.question_id IN (SELECT value FROM json_each(?1)) AND p.deleted_at IS NULL
    """,
    """
    INSERT OR IGNORE INTO question_tags (guild_id, tag, question_id)
    SELECT q.guild_id, t.value, q.id FROM questions q, json_each(q.tags) AS t
    WHERE q.id IN (SELECT value FROM json_each(?1))
    """,
    # A new question's changed_at: its own update or its newest post, whichever is later.
    """
    UPDATE questions SET changed_at = max(coalesce(changed_at, 0), updated_at,
        coalesce((SELECT max(p.created_at) FROM posts p WHERE p.question_id = questions.id), 0))
    WHERE id IN (SELECT value FROM json_each(?1))
    """,
    """
    INSERT INTO channel_question_counts (channel_id, questions)
    SELECT channel_id, count(*) FROM questions
    WHERE id IN (SELECT value FROM json_each(?1)) AND deleted_at IS NULL AND thread_type IN (10, 11)
    GROUP BY channel_id
    ON CONFLICT (channel_id) DO UPDATE SET questions = questions + excluded.questions
    """,
    """
    INSERT INTO channel_tag_counts (channel_id, tag, questions)
    SELECT q.channel_id, t.value, count(DISTINCT q.id)
    FROM questions q, json_each(q.tags) AS t
    WHERE q.id IN (SELECT value FROM json_each(?1)) AND q.deleted_at IS NULL AND q.thread_type IN (10, 11)
    GROUP BY q.channel_id, t.value
    ON CONFLICT (channel_id, tag) DO UPDATE SET questions = questions + excluded.questions
    """,
    # The follow-ups' marks (migration 0015): the newest live answer by someone other than the asker,
    # and the asker's newest post.
    """
    UPDATE questions SET
        last_answer_id = (SELECT p.id FROM posts p WHERE p.question_id = questions.id AND p.kind = 'answer'
                          AND p.deleted_at IS NULL AND p.author_id != questions.author_id
                          ORDER BY p.id DESC LIMIT 1),
        last_answer_at = (SELECT p.created_at FROM posts p WHERE p.question_id = questions.id AND p.kind = 'answer'
                          AND p.deleted_at IS NULL AND p.author_id != questions.author_id
                          ORDER BY p.id DESC LIMIT 1),
        asker_post_id = (SELECT max(p.id) FROM posts p WHERE p.question_id = questions.id
                         AND p.author_id = questions.author_id)
    WHERE id IN (SELECT value FROM json_each(?1))
    """,
    # Each post once: the search index writes a post's whole current state, whatever changed.
    """
    INSERT INTO search_changes (post_id)
    SELECT id FROM posts WHERE question_id IN (SELECT value FROM json_each(?1)) ORDER BY id
    """,
)


def trigger_texts(conn: sqlite3.Connection) -> list[str]:
    """The CREATE statements of the bulk triggers, as the store holds them (read once per import)."""
    texts = dict(conn.execute(TRIGGER_TEXTS, (json.dumps(BULK_TRIGGERS),)).fetchall())
    missing = [name for name in BULK_TRIGGERS if name not in texts]
    if missing:
        raise RuntimeError(f"the store lacks the trigger(s) {missing}: is it migrated?")
    return [texts[name] for name in BULK_TRIGGERS]


@contextmanager
def without_insert_triggers(conn: sqlite3.Connection, texts: list[str]) -> Iterator[None]:
    """The insert triggers dropped for the block, created again after it (also when it fails, so
    that a savepoint rolled back to by the caller finds the schema whole either way)."""
    for statement in _DROP:
        conn.execute(statement)
    try:
        yield
    finally:
        for text in texts:
            conn.execute(text)


def write_derived(conn: sqlite3.Connection, question_ids: list[int]) -> None:
    """The triggers' rows for new questions just inserted with all their posts (triggers dropped)."""
    batch = json.dumps(question_ids)
    for statement in _DERIVED:
        conn.execute(statement, (batch,))
