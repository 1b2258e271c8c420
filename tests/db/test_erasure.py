"""A member's erasure in the store: their text leaves every table and the database's files, their
votes keep counting under a pseudonym, and other members and other guilds are untouched."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.forum.erasure import PLACEHOLDER, ErasureRequest
from bot.forum.models import AuditEntry, Post, PostKind, Question
from bot.forum.public import NameEntry
from db.store import SqliteStore, open_store

from .conftest import T0

GUILD, OTHER_GUILD = 100, 101
MEMBER, OTHER = 21, 22
# Words no other text has, so finding any of them in a file means the erased text is still there.
MARKER_WORDS = ("zyxquorpelt", "flibbergrumph", "quaxolith", "vorpenskidd", "snarfulgate")
BODY = "My zyxquorpelt keeps failing with flibbergrumph errors"
EDITED = "My zyxquorpelt keeps failing with quaxolith errors, since the vorpenskidd update"
TITLE = "Why does snarfulgate break?"
KEPT = "Use the keepable answer text"  # the other member's words, which stay


def _question(thread_id: int, author: int, title: str, guild: int = GUILD) -> Question:
    return Question(id=thread_id, guild_id=guild, channel_id=300, title=title, author_id=author, created_at=T0)


def _post(post_id: int, thread_id: int, author: int, body: str, kind=PostKind.ANSWER, guild: int = GUILD) -> Post:
    return Post(id=post_id, question_id=thread_id, guild_id=guild, kind=kind, author_id=author, body=body,
                created_at=T0 + timedelta(seconds=post_id % 1000))  # fmt: skip


async def _forum(store: SqliteStore) -> None:
    """The member asks (and edits) one question, answers another; both members vote."""
    await store.add_question(_question(1000, MEMBER, TITLE), _post(1000, 1000, MEMBER, BODY, PostKind.QUESTION))
    await store.edit_post(1000, EDITED, MEMBER, T0 + timedelta(minutes=5))
    await store.rename_question(1000, TITLE + " (snarfulgate again)", MEMBER, T0 + timedelta(minutes=6))
    await store.add_post(_post(1001, 1000, OTHER, KEPT))
    await store.add_question(_question(2000, OTHER, "A question that stays"),
                             _post(2000, 2000, OTHER, "Stays as written", PostKind.QUESTION))  # fmt: skip
    await store.add_post(_post(2001, 2000, MEMBER, "An answer about quaxolith"))
    await store.add_post(_post(2002, 2000, OTHER, "Another answer that stays"))
    later = T0 + timedelta(hours=1)
    await store.apply_vote(1001, MEMBER, 1, later)
    await store.apply_vote(2002, MEMBER, -1, later + timedelta(seconds=1))  # costs the voter 1
    await store.apply_vote(2001, OTHER, 1, later + timedelta(seconds=2))
    await store.apply_vote(2000, MEMBER, 1, later + timedelta(seconds=3))
    await store.remember_names([NameEntry(GUILD, "user", MEMBER, "Vorpenskidd Fan"),
                                NameEntry(GUILD, "user", OTHER, "Other")], T0)  # fmt: skip
    await store.set_web_hidden(GUILD, MEMBER, True, T0)
    await store.add_audit(AuditEntry(GUILD, MEMBER, "close", 2000, "closed by the member", T0))
    # The same member in another guild: not part of this erasure.
    await store.add_question(_question(3000, MEMBER, "Elsewhere", OTHER_GUILD),
                             _post(3000, 3000, MEMBER, "Text in the other guild", PostKind.QUESTION, OTHER_GUILD))


def _rows(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()


async def test_erasure_replaces_text_and_unnames_votes(store: SqliteStore, db_path: Path) -> None:
    await _forum(store)
    scores = dict(_rows(db_path, "SELECT id, score FROM posts"))
    other_rep = (await store.reputations(GUILD))[OTHER]

    erased = await store.erase_member(ErasureRequest(GUILD, MEMBER, T0 + timedelta(days=1)))

    assert (erased.posts, erased.titles, erased.votes, erased.audit_entries) == (2, 1, 3, 1)
    assert erased.revisions == 5  # two bodies of the question, one of the answer, two titles
    assert dict(_rows(db_path, "SELECT id, body FROM posts WHERE author_id = ?", (MEMBER,))) == {
        1000: PLACEHOLDER, 2001: PLACEHOLDER, 3000: "Text in the other guild"}  # fmt: skip
    assert {text for (text,) in _rows(db_path, "SELECT text FROM revisions WHERE post_id IN (1000, 2001)")} == {
        PLACEHOLDER}  # fmt: skip
    assert (await store.get_question(1000)).title == PLACEHOLDER
    assert (await store.get_post(1001)).body == KEPT
    assert (await store.get_post(2002)).body == "Another answer that stays"
    assert (await store.get_question(2000)).title == "A question that stays"
    assert dict(_rows(db_path, "SELECT id, score FROM posts")) == scores, "threads keep their shape and scores"
    assert await store.names(GUILD, "user", [MEMBER, OTHER]) == {OTHER: "Other"}
    assert not _rows(db_path, "SELECT 1 FROM web_privacy WHERE user_id = ?", (MEMBER,))
    assert not _rows(db_path, "SELECT 1 FROM votes WHERE voter_id = ?", (MEMBER,))
    pseudonyms = {v for (v,) in _rows(db_path, "SELECT voter_id FROM votes WHERE post_id IN (1001, 2002, 2000)")}
    assert len(pseudonyms) == 1 and pseudonyms.pop() < 0
    (entry,) = await store.audit_log(GUILD)
    assert entry.action == "close" and entry.actor_id < 0
    assert (await store.reputations(GUILD))[OTHER] == other_rep
    assert (await store.recount()).differences == 0, "a recount agrees with the counters"
    # The member's 👍/👎 are still on the messages in Discord: their removal is owed, under the
    # member's id (who holds them there), and the bot is told where they are.
    assert sorted(_rows(db_path, "SELECT post_id, voter_id, value FROM owed_unreactions")) == [
        (1001, MEMBER, 1), (2000, MEMBER, 1), (2002, MEMBER, -1)]  # fmt: skip
    assert [(r.thread_id, r.post_id, r.value) for r in erased.reactions] == [
        (1000, 1001, 1), (2000, 2000, 1), (2000, 2002, -1)]  # fmt: skip

    # A second member erased later gets a pseudonym of their own.
    await store.erase_member(ErasureRequest(GUILD, OTHER, T0 + timedelta(days=2)))
    voters = {v for (v,) in _rows(db_path, "SELECT DISTINCT voter_id FROM votes")}
    assert len(voters) == 2 and all(v < 0 for v in voters)
    assert (await store.recount()).differences == 0


def _database_files(db_path: Path) -> list[Path]:
    """The database, its -wal and -shm if present, and every file of the search index beside it."""
    files = [p for p in db_path.parent.iterdir() if p.is_file() and p.name.startswith(db_path.name)]
    return files + [p for p in (db_path.parent / f"{db_path.name}-search").rglob("*") if p.is_file()]


def _erased_text_in(files: list[Path]) -> set[tuple[str, str]]:
    return {(p.name, word) for p in files for word in (*MARKER_WORDS, BODY, EDITED) if word.encode() in p.read_bytes()}


async def test_erased_text_is_gone_from_the_files(db_path: Path) -> None:
    search_dir = db_path.parent / f"{db_path.name}-search"
    store = await open_store(db_path)
    try:
        await _forum(store)
        old_indexes = {p for p in search_dir.iterdir() if p.is_dir()}
        assert old_indexes, "the search index was built"
        await store.erase_member(ErasureRequest(GUILD, MEMBER, T0 + timedelta(days=1)))
        # While the store is open (a running bot): the WAL is there, and must hold none of it either.
        files = _database_files(db_path)
        assert any(p.name == f"{db_path.name}-wal" for p in files)
        assert not (found := _erased_text_in(files)), f"erased text still in the files: {sorted(found)}"
        # The search index compresses what it stores, so a grep cannot see into it: the index that
        # held the words is deleted, and the new one is built from the placeholders.
        assert not any(p.exists() for p in old_indexes)
    finally:
        await store.close()
    files = _database_files(db_path)
    assert any(p.name == db_path.name for p in files)
    assert not (found := _erased_text_in(files)), f"erased text still in the files: {sorted(found)}"
    # The other guild's text is still there (the grep would see it).
    assert any(b"Text in the other guild" in p.read_bytes() for p in files)
