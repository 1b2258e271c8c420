"""A member's erasure (bot/forum/erasure.py), mixed into SqliteStore.

The rows change in one transaction of the writer. Then the old text must leave the files too: the
write connection runs with secure_delete (db/connection.py), so SQLite zeroes what it frees; the
store's full-text index is merged into one segment ('optimize'), since FTS5 keeps a deleted
document's tokens in its old segments until they are merged; the WAL, which still holds the old
pages, is checkpointed and truncated; and the search index beside the database is rebuilt from the
posts (a new directory; the old one is deleted).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bot.forum.erasure import PLACEHOLDER, Erased, ErasurePlan, ErasureRequest, OwedReaction

from . import convert as cv
from .connection import connect_writer
from .reputation import replay_member
from .writer import Writer

log = logging.getLogger(__name__)

CHECKPOINT_TRIES = 20
CHECKPOINT_PAUSE = 0.25  # seconds between tries while a reader or the checkpointing thread holds the WAL

PLAN_POSTS = "SELECT count(*) FROM posts WHERE guild_id = ? AND author_id = ?"
PLAN_VOTES = "SELECT count(*) FROM votes WHERE guild_id = ? AND voter_id = ? AND value != 0"

# A fresh pseudonym per erasure: below every negative voter or actor of the guild (Discord ids are
# positive, and 0 is the audit log's "nobody"), so it collides with no one, and the member's votes
# keep one row per (post, voter).
NEXT_PSEUDONYM = """
SELECT min(-1, (SELECT coalesce(min(voter_id), 0) FROM votes WHERE guild_id = ?1) - 1,
               (SELECT coalesce(min(actor_id), 0) FROM audit_log WHERE guild_id = ?1) - 1)
"""

# Revisions first: they are found through the posts' and questions' author.
ERASE_BODY_REVISIONS = """
UPDATE revisions SET text = ?3
WHERE field = 'body' AND text IS NOT ?3 AND post_id IN (SELECT id FROM posts WHERE guild_id = ?1 AND author_id = ?2)
"""
ERASE_TITLE_REVISIONS = """
UPDATE revisions SET text = ?3
WHERE field = 'title' AND text IS NOT ?3
  AND post_id IN (SELECT id FROM questions WHERE guild_id = ?1 AND author_id = ?2)
"""
# Revisions the member made of other members' posts (a moderator renaming a thread) keep their text
# but no longer name the member.
UNNAME_EDITOR = """
UPDATE revisions SET editor_id = NULL
WHERE editor_id = ?2 AND (post_id IN (SELECT id FROM posts WHERE guild_id = ?1)
                          OR post_id IN (SELECT id FROM questions WHERE guild_id = ?1))
"""
# The erasure's time as the latest edit and title revision: a catch-up that reads the old text back
# from Discord (an edit or a thread name seen earlier) is older than it and is refused.
ERASE_BODIES = """
UPDATE posts SET body = ?3, attachments = '[]', edited_at = max(coalesce(edited_at, created_at), ?4)
WHERE guild_id = ?1 AND author_id = ?2 AND (body IS NOT ?3 OR attachments != '[]')
"""
ERASE_TITLES = """
UPDATE questions SET title = ?3, updated_at = max(updated_at, ?4)
WHERE guild_id = ?1 AND author_id = ?2 AND title IS NOT ?3
"""
MARK_TITLE_ERASED = """
INSERT INTO revisions (post_id, field, number, text, editor_id, at)
SELECT q.id, 'title', (SELECT coalesce(max(number), 0) + 1 FROM revisions WHERE post_id = q.id AND field = 'title'),
       ?3, NULL, ?4
FROM questions q WHERE q.guild_id = ?1 AND q.author_id = ?2
"""
FORGET_ROWS = (
    "DELETE FROM names WHERE guild_id = ?1 AND kind = 'user' AND id = ?2",
    "DELETE FROM web_privacy WHERE guild_id = ?1 AND user_id = ?2",
    "DELETE FROM pending_asks WHERE guild_id = ?1 AND user_id = ?2",
    # What they asked to be told (/notify, /follow) and the suggestions they made (an open one's
    # buttons then say it was answered).
    "DELETE FROM notify_members WHERE guild_id = ?1 AND user_id = ?2",
    "DELETE FROM tag_follows WHERE guild_id = ?1 AND user_id = ?2",
    "DELETE FROM suggestions WHERE guild_id = ?1 AND suggester_id = ?2",
)
# The member still holds the reaction behind each vote cast by reaction, and Discord shows who holds
# it. Its removal is owed (migration 0006; under the member's own id, since that is who holds it in
# Discord), so catch-up takes it off and never counts it as a new vote of theirs (bot/forum/
# vote_catchup.py); the row goes once the reaction is off. Removals owed already (a /vote that
# replaced a reaction) stay owed. Live posts only: catch-up never reads a deleted one.
OWE_REACTIONS = """
INSERT OR REPLACE INTO owed_unreactions (post_id, voter_id, value)
SELECT v.post_id, v.voter_id, v.value
FROM votes v JOIN posts p ON p.id = v.post_id JOIN questions q ON q.id = p.question_id
WHERE v.guild_id = ?1 AND v.voter_id = ?2 AND v.value != 0 AND v.via = 'reaction'
  AND p.deleted_at IS NULL AND q.deleted_at IS NULL
"""
OWED_REACTIONS = """
SELECT p.question_id, o.post_id, o.value
FROM owed_unreactions o JOIN posts p ON p.id = o.post_id
WHERE p.guild_id = ?1 AND o.voter_id = ?2 AND p.deleted_at IS NULL
ORDER BY o.post_id
"""
# The votes keep counting under the pseudonym. They have no reaction behind them any more that
# catch-up could compare (it reconciles only reaction votes), so they are recorded as cast by command.
MOVE_VOTES = "UPDATE votes SET voter_id = ?3, via = 'command' WHERE guild_id = ?1 AND voter_id = ?2"
MOVE_ACTOR = "UPDATE audit_log SET actor_id = ?3 WHERE guild_id = ?1 AND actor_id = ?2"
# Who accepted another member's answer (the member as a moderator): an acceptance pays the asker only
# when the asker accepts, so the pseudonym changes nobody's reputation. The member's own questions
# keep them as accepter, as they keep them as author.
MOVE_ACCEPTER = "UPDATE questions SET accepted_by = ?3 WHERE guild_id = ?1 AND accepted_by = ?2 AND author_id != ?2"
MOVE_PUBLISHER = "UPDATE web_channels SET published_by = ?3 WHERE guild_id = ?1 AND published_by = ?2"

# Merges the full-text index's segments into one, dropping the tokens of replaced text.
OPTIMIZE_FTS = "INSERT INTO post_fts (post_fts) VALUES ('optimize')"


@dataclass(frozen=True, slots=True)
class _Params:
    guild_id: int
    member_id: int
    at: int  # unix ms


class ErasureStore:
    """Needs the SqliteStore's `path`, `writer`, `_fetchone` and `rebuild_search_index`."""

    path: Path
    writer: Writer
    _fetchone: Callable[[str, tuple], Awaitable[sqlite3.Row | None]]
    rebuild_search_index: Callable[[], Awaitable[int]]

    async def erasure_plan(self, guild_id: int, member_id: int) -> ErasurePlan:
        posts = await self._fetchone(PLAN_POSTS, (guild_id, member_id))
        votes = await self._fetchone(PLAN_VOTES, (guild_id, member_id))
        return ErasurePlan(posts=posts[0] if posts else 0, votes=votes[0] if votes else 0)

    async def erase_member(self, request: ErasureRequest) -> Erased:
        """Erase the member's text and names in the guild (one transaction), then from the files."""
        params = _Params(request.guild_id, request.member_id, cv.to_ms(request.at))
        erased = await self.writer.run_sync(partial(erase_member, params))
        await asyncio.to_thread(truncate_wal, self.path)
        await self.rebuild_search_index()
        return erased


def erase_member(p: _Params, conn: sqlite3.Connection) -> Erased:
    """The write operation (run by the writer, inside its transaction)."""
    g, m, text, at = p.guild_id, p.member_id, PLACEHOLDER, p.at
    revisions = conn.execute(ERASE_BODY_REVISIONS, (g, m, text)).rowcount
    revisions += conn.execute(ERASE_TITLE_REVISIONS, (g, m, text)).rowcount
    conn.execute(UNNAME_EDITOR, (g, m))
    posts = conn.execute(ERASE_BODIES, (g, m, text, at)).rowcount
    titles = conn.execute(ERASE_TITLES, (g, m, text, at)).rowcount
    if titles:
        conn.execute(MARK_TITLE_ERASED, (g, m, text, at))
    for sql in FORGET_ROWS:
        conn.execute(sql, (g, m))
    conn.execute(OWE_REACTIONS, (g, m))
    reactions = tuple(OwedReaction(*row) for row in conn.execute(OWED_REACTIONS, (g, m)))
    pseudonym = conn.execute(NEXT_PSEUDONYM, (g,)).fetchone()[0]
    votes = conn.execute(MOVE_VOTES, (g, m, pseudonym)).rowcount
    audit = conn.execute(MOVE_ACTOR, (g, m, pseudonym)).rowcount
    conn.execute(MOVE_ACCEPTER, (g, m, pseudonym))
    conn.execute(MOVE_PUBLISHER, (g, m, pseudonym))
    if votes:
        # The member's downvotes on answers cost them 1 each; they are the pseudonym's now.
        replay_member(conn, g, m)
    conn.execute(OPTIMIZE_FTS)
    return Erased(posts=posts, revisions=revisions, titles=titles, votes=votes, audit_entries=audit,
                  reactions=reactions)  # fmt: skip


def truncate_wal(path: Path) -> None:
    """Copy the WAL into the database file and empty it, so that the old pages it holds are gone.
    Waits for readers and the write process's checkpointing thread to let go; new commits may
    follow at once (they hold no erased text)."""
    conn = connect_writer(path)
    try:
        for _ in range(CHECKPOINT_TRIES):
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return
            time.sleep(CHECKPOINT_PAUSE)
        log.warning("The WAL of %s could not be truncated after an erasure; the next checkpoint will", path)
    finally:
        conn.close()
