"""The follow-ups in the store (migration 0015): the newest answer by someone other than the asker is
kept by triggers whatever writes posts, a nudge is claimed once per newest answer, the asker writing
takes it off, archives are due once per acceptance, and existing questions start without a burst."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.forum.followups import DueArchive, DueQuery, NudgeClaim, NudgeSent, UnansweredQuery, UnansweredSort
from bot.forum.models import PostKind, QuestionStatus
from bot.forum.visibility import Readable
from db.connection import open_writer
from db.migrate import load_migrations, migrate
from db.store import SqliteStore, open_store

from .conftest import T0
from .test_store import ANSWERER, ASKER, GUILD, THREAD, post, question

DAY = timedelta(days=1)
EVERYTHING = DueQuery(GUILD, T0 - 30 * DAY, T0 + 30 * DAY, 50)


async def _due(store: SqliteStore) -> list[int]:
    return [n.answer_id for n in await store.nudges_due(EVERYTHING)]


async def test_newest_answer_claim_once_and_the_asker_writing(store):
    await store.add_question(question(), post(THREAD, PostKind.QUESTION, author_id=ASKER))
    assert await _due(store) == []
    await store.add_post(post(2001, at=T0))
    await store.add_post(post(2002, at=T0 + DAY, author_id=ASKER))  # the asker's own answer is no answer to them
    assert await _due(store) == []  # ... and they wrote after 2001
    await store.add_post(post(2003, at=T0 + 2 * DAY))
    await store.add_post(post(2004, PostKind.REPLY, at=T0 + 3 * DAY, parent_id=2003, author_id=ANSWERER + 1))
    assert await _due(store) == [2003], "a reply is not an answer"
    assert await store.nudges_due(DueQuery(GUILD, T0, T0 + DAY, 50)) == [], "not due before its time"

    claim = NudgeClaim(THREAD, T0 + 10 * DAY)
    assert await store.claim_nudge(NudgeClaim(THREAD, T0)) is None, "not due yet at that cutoff"
    assert await store.claim_nudge(claim) == 2003
    assert await store.claim_nudge(claim) is None, "one claim per answer"
    await store.nudge_sent(NudgeSent(THREAD, 2003, 9999))
    assert await _due(store) == []

    await store.delete_post(2003, T0 + 4 * DAY)  # the newest answer deleted: 2001 is, but the asker wrote after it
    assert await _due(store) == []
    await store.add_post(post(2005, at=T0 + 5 * DAY))
    assert await _due(store) == [2005], "a new answer after the nudge: due again"
    await store.add_post(post(2006, PostKind.REPLY, at=T0 + 6 * DAY, parent_id=2005, author_id=ASKER))
    assert await _due(store) == [], "the asker replied"


async def test_archives_are_due_once_per_acceptance(store):
    await store.add_question(question(), post(THREAD, PostKind.QUESTION, author_id=ASKER))
    await store.add_post(post(2001))
    await store.add_post(post(2002, author_id=ANSWERER + 1))
    await store.set_acceptance(THREAD, 2001, ASKER, T0)
    (due,) = await store.archives_due(EVERYTHING)
    assert due == DueArchive(THREAD, GUILD, 300, T0)
    await store.archive_done(due)
    assert await store.archives_due(EVERYTHING) == []
    await store.set_acceptance(THREAD, 2002, ASKER, T0 + DAY)  # moved: a new acceptance
    assert [d.accepted_at for d in await store.archives_due(EVERYTHING)] == [T0 + DAY]
    await store.set_acceptance(THREAD, None, None, T0 + 2 * DAY)  # cleared before its time: nothing due
    assert await store.archives_due(EVERYTHING) == []
    assert await _due(store) == [2002], "no longer accepted: the nudge may come"


async def test_unanswered_lists_public_open_unaccepted_questions_only(store):
    for offset, kw in enumerate(({}, {"thread_type": None}, {"status": QuestionStatus.LOCKED},
                                 {"status": QuestionStatus.DUPLICATE}, {"channel_id": 301})):  # fmt: skip
        thread = THREAD + 10 * offset
        fields = {"thread_type": 11} | kw
        await store.add_question(question(thread, **fields), post(thread, PostKind.QUESTION, thread_id=thread))
    query = UnansweredQuery(GUILD, Readable(frozenset({300})), UnansweredSort.OLDEST, None, 10, 0)
    assert [r.id for r in await store.unanswered(query)] == [THREAD], "unknown thread types (maybe private) too"


async def test_the_migration_starts_without_a_burst(db_path: Path, tmp_path: Path):
    # A database of the version before the follow-ups (0014) holding an answered question, as an
    # upgrading server has it: migrations 0001-0014 only, the rows written by hand.
    before = tmp_path / "migrations-0014"
    before.mkdir()
    for migration in load_migrations():
        if migration.version <= 14:
            (before / migration.name).write_text(migration.sql, encoding="utf-8")
    conn = await open_writer(db_path)
    assert await migrate(conn, before) == 14
    await conn.close()
    ms = int(T0.timestamp() * 1000)
    with sqlite3.connect(db_path) as raw:
        raw.execute("INSERT INTO questions (id, guild_id, channel_id, title, author_id, tags, created_at, updated_at) "
                    "VALUES (?, ?, 300, 'How do I X?', ?, '[]', ?, ?)", (THREAD, GUILD, ASKER, ms, ms))  # fmt: skip
        for post_id, kind, author in ((THREAD, "question", ASKER), (2001, "answer", ANSWERER)):
            raw.execute("INSERT INTO posts (id, question_id, guild_id, kind, author_id, body, created_at) "
                        "VALUES (?, ?, ?, ?, ?, 'body', ?)", (post_id, THREAD, GUILD, kind, author, ms))  # fmt: skip
    store = await open_store(db_path)
    try:
        row = await store._fetchone("SELECT last_answer_id, nudged_answer_id FROM questions WHERE id = ?", (THREAD,))
        assert tuple(row) == (2001, 2001), "known, and counted as nudged"
        assert await _due(store) == []
        await store.add_post(post(2002, at=T0 + DAY))
        assert await _due(store) == [2002]
    finally:
        await store.close()
