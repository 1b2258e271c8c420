"""`quorum import` writes new threads with the insert triggers dropped and their rows written by one
statement per batch (db/import_bulk.py): those rows must be exactly the triggers' own, and no insert
trigger may be added to posts or questions without the bulk path knowing it."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings

from db import import_bulk, import_writes
from db.connection import connect_writer, open_writer
from db.import_writes import ImportProgress, ImportSummary, import_file
from db.migrate import migrate
from db.store import open_store
from tests.test_import import document, forums, play

# Everything the insert triggers keep, read back in a fixed order. fts5vocab lists every token of the
# FTS index with its post, column and offset: the index itself, not its external content.
DERIVED = {
    "fts": "SELECT term, doc, col, offset FROM temp.fts_terms ORDER BY doc, col, offset",
    "tags": "SELECT guild_id, tag, question_id FROM question_tags ORDER BY question_id, tag",
    "changed": "SELECT id, changed_at FROM questions ORDER BY id",
    "followups": "SELECT id, last_answer_id, last_answer_at, asker_post_id FROM questions ORDER BY id",
    "channel_counts": "SELECT channel_id, questions FROM channel_question_counts ORDER BY channel_id",
    "tag_counts": "SELECT channel_id, tag, questions FROM channel_tag_counts ORDER BY channel_id, tag",
    "journal": "SELECT DISTINCT post_id FROM search_changes ORDER BY post_id",
}


def migrated(path: Path) -> sqlite3.Connection:
    async def make() -> None:
        conn = await open_writer(path)
        await migrate(conn)
        await conn.close()

    asyncio.run(make())
    return connect_writer(path)


def imported(path: Path, export: Path) -> sqlite3.Connection:
    conn = migrated(path)
    conn.execute("BEGIN")
    summary = import_file(conn, str(export), None, ImportProgress())
    assert isinstance(summary, ImportSummary), summary
    conn.execute("COMMIT")
    return conn


def derived(conn: sqlite3.Connection) -> dict[str, list]:
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms USING fts5vocab(main, post_fts, 'instance')")
    conn.execute("INSERT INTO post_fts (post_fts) VALUES ('integrity-check')")
    return {name: conn.execute(sql).fetchall() for name, sql in DERIVED.items()}


@contextmanager
def triggers_only(monkeypatch):
    """The import as it was before the bulk path: every row through the triggers."""

    @contextmanager
    def keep(conn, texts):
        yield

    with monkeypatch.context() as patched:
        patched.setattr(import_writes, "without_insert_triggers", keep)
        patched.setattr(import_writes, "write_derived", lambda conn, ids: None)
        yield


def test_every_insert_trigger_on_posts_and_questions_is_one_the_bulk_path_knows(tmp_path):
    conn = migrated(tmp_path / "s.db")
    names = [row[0] for row in conn.execute(import_bulk.INSERT_TRIGGERS)]
    assert names == sorted(import_bulk.BULK_TRIGGERS), (
        "an insert trigger was added or removed: write its rows in db/import_bulk.py too"
    )
    assert len(import_bulk.trigger_texts(conn)) == len(import_bulk.BULK_TRIGGERS)


def test_a_refused_import_leaves_the_triggers_in_place(tmp_path):
    conn = migrated(tmp_path / "s.db")
    before = conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "quorum-export/2", "guild_id": "1", "questions": [{"id": "x"}]}')
    conn.execute("BEGIN")
    assert not isinstance(import_file(conn, str(bad), None, ImportProgress()), ImportSummary)
    conn.execute("COMMIT")
    assert conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall() == before


# Five questions with the same tags, two to a batch: later batches add to counts earlier ones made.
SAME_TAGS = [
    op
    for n in range(5)
    for op in (
        ("ask", 1000 + n * 100, 11, 2 * n, ("a", "b")),
        ("post", 1001 + n * 100, 1000 + n * 100, "answer", 12, 2 * n + 1, None),
    )
]
SAME_TAGS.append(("delete", 1201, 20))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=forums())
@example(ops=SAME_TAGS)
async def test_bulk_rows_are_the_triggers_rows(tmp_path_factory, monkeypatch, ops):
    tmp_path = tmp_path_factory.mktemp("forum")
    source = await open_store(tmp_path / "source.db", follow_search_index=False)
    try:
        await play(source, ops)
        export = tmp_path / "forum.json"
        export.write_text(await document(source, None), encoding="utf-8")
    finally:
        await source.close()
    with monkeypatch.context() as patched:
        patched.setattr(import_writes, "BUFFERED_QUESTIONS", 2)  # several batches: later ones add to counts
        bulk = await asyncio.to_thread(imported, tmp_path / "bulk.db", export)
    with triggers_only(monkeypatch):
        rows = await asyncio.to_thread(imported, tmp_path / "rows.db", export)
    assert derived(bulk) == derived(rows)
    bulk.close()
    rows.close()
