"""A member's own data in one server (`/privacy export`, bot/forum/member_export.py), mixed into
SqliteStore. Every statement is bounded by what the member wrote or cast there (indexed by author or
voter), and each list comes in a fixed order, so two exports of one store read alike."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable

from bot.forum.archive import StoredVote
from bot.forum.member_export import MemberData, MemberPost, MemberQuestion
from bot.forum.voting import VoteVia

from .convert import from_ms, post_from_row, question_from_row, revision_from_row

REPUTATION = "SELECT reputation FROM members WHERE guild_id = ? AND user_id = ?"
POSTS = """
SELECT p.id, p.question_id, p.guild_id, p.kind, p.parent_id, p.reply_to_id, p.author_id, p.body, p.attachments,
       p.score, p.created_at, p.edited_at, p.deleted_at, q.title
FROM posts p JOIN questions q ON q.id = p.question_id
WHERE p.guild_id = ? AND p.author_id = ? ORDER BY p.created_at, p.id
"""
BODY_REVISIONS = """
SELECT r.post_id, r.number, r.field, r.text, r.editor_id, r.at
FROM revisions r JOIN posts p ON p.id = r.post_id
WHERE p.guild_id = ? AND p.author_id = ? AND r.field = 'body' ORDER BY r.post_id, r.number
"""
QUESTIONS = "SELECT * FROM questions WHERE guild_id = ? AND author_id = ? ORDER BY created_at, id"
TITLE_REVISIONS = """
SELECT r.post_id, r.number, r.field, r.text, r.editor_id, r.at
FROM revisions r JOIN questions q ON q.id = r.post_id
WHERE q.guild_id = ? AND q.author_id = ? AND r.field = 'title' ORDER BY r.post_id, r.number
"""
# Withdrawn votes (value 0) are rows too: the member's latest vote event on that post.
VOTES = "SELECT post_id, voter_id, value, at, via FROM votes WHERE guild_id = ? AND voter_id = ? ORDER BY post_id"


class MemberExportStore:
    """Needs the SqliteStore's `_fetchall`."""

    _fetchall: Callable[[str, tuple], Awaitable[list[sqlite3.Row]]]

    async def member_data(self, guild_id: int, member_id: int) -> MemberData:
        key = (guild_id, member_id)
        reputation = await self._fetchall(REPUTATION, key)
        body_revisions = _grouped(await self._fetchall(BODY_REVISIONS, key))
        title_revisions = _grouped(await self._fetchall(TITLE_REVISIONS, key))
        posts = [MemberPost(post_from_row(row[:13]), row[13], body_revisions.get(row[0], ()))
                 for row in await self._fetchall(POSTS, key)]  # fmt: skip
        questions = [MemberQuestion(question_from_row(row), title_revisions.get(row["id"], ()))
                     for row in await self._fetchall(QUESTIONS, key)]  # fmt: skip
        votes = [StoredVote(r["post_id"], r["voter_id"], r["value"], from_ms(r["at"]), VoteVia(r["via"]))
                 for r in await self._fetchall(VOTES, key)]  # fmt: skip
        return MemberData(reputation[0][0] if reputation else None, posts, questions, votes)


def _grouped(rows: list[sqlite3.Row]) -> dict[int, tuple]:
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row["post_id"], []).append(revision_from_row(row))
    return {post_id: tuple(revisions) for post_id, revisions in grouped.items()}
