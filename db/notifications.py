"""Notifications and suggestions in the store (bot/forum/notifications.py, bot/forum/suggestions.py),
mixed into SqliteStore. Tables of migration 0016."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from functools import partial

from bot.forum.notifications import (
    DigestItem,
    DigestMark,
    DigestQuery,
    DueDigest,
    Followed,
    FollowRequest,
    NoticeMarks,
    NoticeState,
    NotifySetting,
    Via,
)
from bot.forum.suggestions import Added, Suggestion, SuggestionState

from . import convert as cv
from .writer import Writer

# Turning answers on starts the count afresh (older answers are no news) and tries DMs again.
SET_ANSWERS_ON = """
INSERT INTO notify_members (guild_id, user_id, answers, answers_since, answers_after, via)
VALUES (?1, ?2, 1, ?3, ?4, 'dm')
ON CONFLICT (guild_id, user_id) DO UPDATE SET answers = 1, via = 'dm',
    answers_since = CASE WHEN notify_members.answers = 1 THEN notify_members.answers_since ELSE ?3 END,
    answers_after = CASE WHEN notify_members.answers = 1 THEN notify_members.answers_after ELSE ?4 END
"""
SET_ANSWERS_OFF = "UPDATE notify_members SET answers = 0 WHERE guild_id = ?1 AND user_id = ?2"
ANSWERS_NOTIFY = "SELECT answers, via FROM notify_members WHERE guild_id = ? AND user_id = ?"
SET_VIA = "UPDATE notify_members SET via = ?3 WHERE guild_id = ?1 AND user_id = ?2"

FOLLOWS_COUNT = "SELECT count(*) FROM tag_follows WHERE guild_id = ?1 AND user_id = ?2"
FOLLOWS_ONE = "SELECT 1 FROM tag_follows WHERE guild_id = ?1 AND user_id = ?2 AND tag = ?3"
INSERT_FOLLOW = "INSERT INTO tag_follows (guild_id, user_id, tag) VALUES (?1, ?2, ?3)"
# The first follow starts the member's digests: questions from then on.
START_DIGEST = """
INSERT INTO notify_members (guild_id, user_id, digest_after, digest_at) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (guild_id, user_id) DO UPDATE SET digest_after = coalesce(notify_members.digest_after, ?3),
    digest_at = coalesce(notify_members.digest_at, ?4)
"""
DELETE_FOLLOW = "DELETE FROM tag_follows WHERE guild_id = ?1 AND user_id = ?2 AND tag = ?3"
FOLLOWED_TAGS = "SELECT tag FROM tag_follows WHERE guild_id = ? AND user_id = ? ORDER BY tag LIMIT 100"

# The questions of opted-in askers with an untold answer by someone else (since they opted in), or an
# untold acceptance, whose last message is older than the fold window. Through questions_by_author and
# posts_by_question. A snowflake's time: its top bits plus Discord's epoch (1420070400000 ms).
UNTOLD_QUESTIONS = """
SELECT * FROM (
    SELECT q.id, q.guild_id, q.title, q.author_id, m.via, m.answers_since,
           q.accepted_answer_id, q.accepted_by, q.accepted_at,
           coalesce(n.told_through, 0) AS told_through, n.told_accept, n.sent_at,
           (SELECT count(*) FROM posts p WHERE p.question_id = q.id AND p.kind = 'answer' AND p.deleted_at IS NULL
                AND p.author_id != q.author_id AND p.id > max(coalesce(n.told_through, 0), m.answers_after))
                AS new_answers,
           (SELECT max(p.id) FROM posts p WHERE p.question_id = q.id AND p.kind = 'answer' AND p.deleted_at IS NULL
                AND p.author_id != q.author_id AND p.id > max(coalesce(n.told_through, 0), m.answers_after))
                AS newest
    FROM notify_members m
    JOIN questions q ON q.guild_id = m.guild_id AND q.author_id = m.user_id AND q.deleted_at IS NULL
    LEFT JOIN answer_notices n ON n.question_id = q.id
    WHERE m.answers = 1 AND (n.sent_at IS NULL OR n.sent_at <= ?1)
      -- Only questions changed since the last answer told (or the opt-in): a new answer or an
      -- acceptance moves changed_at (migration 0010), so a member's quiet old questions cost nothing.
      AND q.changed_at >= (max(coalesce(n.told_through, 0), m.answers_after) >> 22) + 1420070400000
)
WHERE new_answers > 0 OR (accepted_answer_id IS NOT NULL AND accepted_answer_id IS NOT told_accept)
ORDER BY id LIMIT ?2
"""
SAVE_MARKS = """
INSERT INTO answer_notices (question_id, guild_id, told_through, told_accept, sent_at) VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (question_id) DO UPDATE SET told_through = excluded.told_through, told_accept = excluded.told_accept,
    sent_at = excluded.sent_at
"""

DUE_DIGESTS = """
SELECT m.guild_id, m.user_id, m.digest_after, m.digest_at FROM notify_members m
WHERE m.digest_at IS NOT NULL AND m.digest_at <= ?1
  AND EXISTS (SELECT 1 FROM tag_follows f WHERE f.guild_id = m.guild_id AND f.user_id = m.user_id)
ORDER BY m.digest_at, m.guild_id, m.user_id LIMIT ?2
"""
# New questions in the member's tags, not theirs, in channels they may read (private threads are
# never stored). ?1 guild, ?2 member, ?3 after (a snowflake), ?4 its time in unix ms (so the range
# runs on questions_by_guild), ?5 readable channels (JSON), ?6 limit.
DIGEST_QUESTIONS = """
SELECT q.id, q.title, q.created_at FROM questions q
WHERE q.guild_id = ?1 AND q.created_at >= ?4 AND q.id > ?3 AND q.deleted_at IS NULL AND q.author_id != ?2
  AND q.channel_id IN (SELECT value FROM json_each(?5))
  AND EXISTS (SELECT 1 FROM question_tags t JOIN tag_follows f ON f.guild_id = t.guild_id AND f.tag = t.tag
              WHERE t.question_id = q.id AND f.guild_id = ?1 AND f.user_id = ?2)
ORDER BY q.id LIMIT ?6
"""
DIGEST_COUNT = """
SELECT count(*) FROM (SELECT 1 FROM questions q
WHERE q.guild_id = ?1 AND q.created_at >= ?4 AND q.id > ?3 AND q.deleted_at IS NULL AND q.author_id != ?2
  AND q.channel_id IN (SELECT value FROM json_each(?5))
  AND EXISTS (SELECT 1 FROM question_tags t JOIN tag_follows f ON f.guild_id = t.guild_id AND f.tag = t.tag
              WHERE t.question_id = q.id AND f.guild_id = ?1 AND f.user_id = ?2)
LIMIT 10000)
"""
NEWEST_QUESTION = "SELECT id FROM questions WHERE guild_id = ? ORDER BY created_at DESC, id DESC LIMIT 1"
SET_DIGEST_MARK = "UPDATE notify_members SET digest_after = ?3, digest_at = ?4 WHERE guild_id = ?1 AND user_id = ?2"
DISCORD_EPOCH_MS = 1420070400000  # a snowflake's time is its top bits plus this

SUGGESTION_EXISTS = "SELECT 1 FROM suggestions WHERE answer_id = ?"
SUGGESTIONS_BY = "SELECT count(*) FROM suggestions WHERE question_id = ?1 AND suggester_id = ?2"
INSERT_SUGGESTION = """
INSERT INTO suggestions (answer_id, question_id, guild_id, suggester_id, state, created_at)
VALUES (?1, ?2, ?3, ?4, 'open', ?5)
"""
GET_SUGGESTION = """
SELECT answer_id, question_id, guild_id, suggester_id, state, created_at, message_id FROM suggestions
WHERE answer_id = ?
"""
# A question's open suggestions (a few per member: bounded), through suggestions_by_suggester.
OPEN_SUGGESTIONS = """
SELECT answer_id, question_id, guild_id, suggester_id, state, created_at, message_id FROM suggestions
WHERE question_id = ? AND state = 'open' ORDER BY answer_id LIMIT 100
"""
SUGGESTION_POSTED = "UPDATE suggestions SET message_id = ?2 WHERE answer_id = ?1"
CLOSE_SUGGESTION = "UPDATE suggestions SET state = ?2 WHERE answer_id = ?1 AND state = 'open'"
REMOVE_SUGGESTION = "DELETE FROM suggestions WHERE answer_id = ?"


class NotificationStore:
    """Needs the SqliteStore's `writer`, `_fetchall` and `_fetchone`."""

    writer: Writer
    _fetchall: Callable[[str, tuple], Awaitable[list[sqlite3.Row]]]
    _fetchone: Callable[[str, tuple], Awaitable[sqlite3.Row | None]]

    async def set_answers_notify(self, setting: NotifySetting) -> None:
        if setting.answers:
            sql, params = SET_ANSWERS_ON, (setting.guild_id, setting.user_id, cv.to_ms(setting.at), setting.after)
        else:
            sql, params = SET_ANSWERS_OFF, (setting.guild_id, setting.user_id)
        await self.writer.run_sync(partial(_execute, sql, params))

    async def answers_notify(self, guild_id: int, user_id: int) -> tuple[bool, Via]:
        row = await self._fetchone(ANSWERS_NOTIFY, (guild_id, user_id))
        return (False, Via.DM) if row is None else (bool(row["answers"]), Via(row["via"]))

    async def set_via(self, guild_id: int, user_id: int, via: Via) -> None:
        await self.writer.run_sync(partial(_execute, SET_VIA, (guild_id, user_id, via.value)))

    async def follow_tag(self, request: FollowRequest) -> Followed:
        return await self.writer.run_sync(partial(_follow, request))

    async def unfollow_tag(self, guild_id: int, user_id: int, tag: str) -> bool:
        return bool(await self.writer.run_sync(partial(_execute, DELETE_FOLLOW, (guild_id, user_id, tag))))

    async def followed_tags(self, guild_id: int, user_id: int) -> list[str]:
        return [r["tag"] for r in await self._fetchall(FOLLOWED_TAGS, (guild_id, user_id))]

    async def untold_questions(self, quiet_before, limit: int) -> list[NoticeState]:
        rows = await self._fetchall(UNTOLD_QUESTIONS, (cv.to_ms(quiet_before), limit))
        return [_notice_state(r) for r in rows]

    async def save_notice_marks(self, marks: NoticeMarks) -> None:
        sent = cv.to_ms(marks.sent_at) if marks.sent_at is not None else None
        params = (marks.question_id, marks.guild_id, marks.told_through, marks.told_accept, sent)
        await self.writer.run_sync(partial(_execute, SAVE_MARKS, params))

    async def due_digests(self, due_before, limit: int) -> list[DueDigest]:
        rows = await self._fetchall(DUE_DIGESTS, (cv.to_ms(due_before), limit))
        return [DueDigest(r["guild_id"], r["user_id"], DigestMark(r["digest_after"], cv.from_ms(r["digest_at"])))
                for r in rows]  # fmt: skip

    async def digest_questions(self, query: DigestQuery) -> tuple[list[DigestItem], int]:
        since_ms = (query.after >> 22) + DISCORD_EPOCH_MS
        params = (query.guild_id, query.user_id, query.after, since_ms, query.readable.as_json())
        rows = await self._fetchall(DIGEST_QUESTIONS, (*params, query.limit))
        items = [DigestItem(r["id"], r["title"], cv.from_ms(r["created_at"])) for r in rows]
        total = len(items)
        if total == query.limit:
            row = await self._fetchone(DIGEST_COUNT, params)
            total = row[0] if row is not None else total
        return items, total

    async def newest_question(self, guild_id: int) -> int | None:
        row = await self._fetchone(NEWEST_QUESTION, (guild_id,))
        return row["id"] if row is not None else None

    async def set_digest_mark(self, guild_id: int, user_id: int, mark: DigestMark) -> None:
        params = (guild_id, user_id, mark.after, cv.to_ms(mark.at))
        await self.writer.run_sync(partial(_execute, SET_DIGEST_MARK, params))

    # -- suggestions

    async def add_suggestion(self, suggestion: Suggestion, cap: int) -> Added:
        return await self.writer.run_sync(partial(_add_suggestion, suggestion, cap))

    async def get_suggestion(self, answer_id: int) -> Suggestion | None:
        row = await self._fetchone(GET_SUGGESTION, (answer_id,))
        return None if row is None else _suggestion(row)

    async def open_suggestions(self, question_id: int) -> list[Suggestion]:
        return [_suggestion(row) for row in await self._fetchall(OPEN_SUGGESTIONS, (question_id,))]

    async def suggestion_posted(self, answer_id: int, message_id: int) -> None:
        await self.writer.run_sync(partial(_execute, SUGGESTION_POSTED, (answer_id, message_id)))

    async def close_suggestion(self, answer_id: int, state: SuggestionState) -> bool:
        return bool(await self.writer.run_sync(partial(_execute, CLOSE_SUGGESTION, (answer_id, state.value))))

    async def remove_suggestion(self, answer_id: int) -> None:
        await self.writer.run_sync(partial(_execute, REMOVE_SUGGESTION, (answer_id,)))


def _execute(sql: str, params: tuple, conn: sqlite3.Connection) -> int:
    return conn.execute(sql, params).rowcount


def _follow(request: FollowRequest, conn: sqlite3.Connection) -> Followed:
    key = (request.guild_id, request.user_id)
    if conn.execute(FOLLOWS_ONE, (*key, request.tag)).fetchone() is not None:
        return Followed.ALREADY
    if conn.execute(FOLLOWS_COUNT, key).fetchone()[0] >= request.cap:
        return Followed.FULL
    conn.execute(INSERT_FOLLOW, (*key, request.tag))
    conn.execute(START_DIGEST, (*key, request.after, cv.to_ms(request.at)))
    return Followed.ADDED


def _add_suggestion(suggestion: Suggestion, cap: int, conn: sqlite3.Connection) -> Added:
    if conn.execute(SUGGESTION_EXISTS, (suggestion.answer_id,)).fetchone() is not None:
        return Added.EXISTS
    if conn.execute(SUGGESTIONS_BY, (suggestion.question_id, suggestion.suggester_id)).fetchone()[0] >= cap:
        return Added.CAPPED
    conn.execute(INSERT_SUGGESTION, (suggestion.answer_id, suggestion.question_id, suggestion.guild_id,
                                     suggestion.suggester_id, cv.to_ms(suggestion.created_at)))  # fmt: skip
    return Added.ADDED


def _suggestion(row: sqlite3.Row) -> Suggestion:
    return Suggestion(row["answer_id"], row["question_id"], row["guild_id"], row["suggester_id"],
                      cv.from_ms(row["created_at"]), SuggestionState(row["state"]), row["message_id"])  # fmt: skip


def _notice_state(row: sqlite3.Row) -> NoticeState:
    marks = NoticeMarks(row["id"], row["guild_id"], row["told_through"], row["told_accept"], cv.opt_dt(row["sent_at"]))
    return NoticeState(
        question_id=row["id"], guild_id=row["guild_id"], title=row["title"], asker_id=row["author_id"],
        via=Via(row["via"]), new_answers=row["new_answers"], newest_answer=row["newest"],
        accepted_answer_id=row["accepted_answer_id"], accepted_by=row["accepted_by"],
        accepted_at=cv.opt_dt(row["accepted_at"]), answers_since=cv.from_ms(row["answers_since"]), marks=marks,
    )  # fmt: skip
