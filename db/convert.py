"""Conversions at the store's boundary: aware datetimes <-> unix milliseconds, models <-> rows."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.forum.models import (
    Attachment,
    AuditEntry,
    GuildSettings,
    Post,
    PostKind,
    Question,
    QuestionStatus,
    Revision,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)


def to_ms(at: datetime) -> int:
    """Aware datetime -> integer unix milliseconds (exact, no float rounding)."""
    if at.tzinfo is None or at.utcoffset() is None:
        # A naive datetime would silently be read as local time; the forum's times are aware UTC.
        raise ValueError(f"naive datetime {at!r}: the store needs timezone-aware datetimes")
    return (at - EPOCH) // MS


def opt_ms(at: datetime | None) -> int | None:
    return None if at is None else to_ms(at)


def from_ms(ms: int) -> datetime:
    return EPOCH + ms * MS


def opt_dt(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)


# -- models -> parameters (in the column order of the INSERTs in queries.py)


def question_params(q: Question) -> tuple:
    created = to_ms(q.created_at)
    return (
        q.id, q.guild_id, q.channel_id, q.title, q.author_id, q.starter_id, str(q.status),
        q.accepted_answer_id, json.dumps(list(q.tags), ensure_ascii=False), q.score, created, created,
        q.thread_type,
    )  # fmt: skip


def attachments_json(attachments: Sequence[Attachment]) -> str:
    return json.dumps(
        [
            {"id": a.id, "filename": a.filename, "url": a.url, "content_type": a.content_type, "size": a.size}
            for a in attachments
        ],
        ensure_ascii=False,
    )


def post_params(p: Post) -> tuple:
    return (
        p.id, p.question_id, p.guild_id, str(p.kind), p.parent_id, p.reply_to_id, p.author_id, p.body,
        attachments_json(p.attachments), p.score, to_ms(p.created_at), opt_ms(p.edited_at),
        opt_ms(p.deleted_at),
    )  # fmt: skip


def settings_params(s: GuildSettings, at: datetime) -> tuple:
    return (
        s.guild_id, s.forum_channel_id, s.moderator_role_id, s.upvote_emoji, s.downvote_emoji,
        s.daily_vote_cap, to_ms(at), s.idle_nudge_hours, s.archive_after_accept_hours,
    )  # fmt: skip


def audit_params(e: AuditEntry) -> tuple:
    return (e.guild_id, e.actor_id, e.action, e.target_id, e.reason, to_ms(e.at))


# -- rows -> models (readers use sqlite3.Row, so columns are read by name)


def settings_from_row(r: sqlite3.Row) -> GuildSettings:
    return GuildSettings(
        guild_id=r["guild_id"],
        forum_channel_id=r["forum_channel_id"],
        moderator_role_id=r["moderator_role_id"],
        upvote_emoji=r["upvote_emoji"],
        downvote_emoji=r["downvote_emoji"],
        daily_vote_cap=r["daily_vote_cap"],
        idle_nudge_hours=r["idle_nudge_hours"],
        archive_after_accept_hours=r["archive_after_accept_hours"],
    )


def question_from_row(r: sqlite3.Row) -> Question:
    return Question(
        id=r["id"],
        guild_id=r["guild_id"],
        channel_id=r["channel_id"],
        title=r["title"],
        author_id=r["author_id"],
        created_at=from_ms(r["created_at"]),
        starter_id=r["starter_id"],
        status=QuestionStatus(r["status"]),
        accepted_answer_id=r["accepted_answer_id"],
        tags=tuple(json.loads(r["tags"])),
        score=r["score"],
        deleted_at=opt_dt(r["deleted_at"]),
        accepted_by=r["accepted_by"],
        duplicate_of=r["duplicate_of"],
        thread_type=r["thread_type"],
    )


KINDS = {kind.value: kind for kind in PostKind}


def post_from_row(r: sqlite3.Row) -> Post:
    # A hot read (hundreds of rows per thread): positional unpacking and arguments (keywords cost
    # about twice as much), a dict for the kind and a fast path for the usual empty attachment list.
    (post_id, question_id, guild_id, kind, parent_id, reply_to_id, author_id, body, attachments, score,
     created_at, edited_at, deleted_at) = r  # fmt: skip
    return Post(
        post_id, question_id, guild_id, KINDS[kind], author_id, body, EPOCH + created_at * MS, parent_id,
        reply_to_id, score, None if edited_at is None else EPOCH + edited_at * MS,
        None if deleted_at is None else EPOCH + deleted_at * MS,
        () if attachments == "[]" else tuple(Attachment(**a) for a in json.loads(attachments)),
    )  # fmt: skip


def revision_from_row(r: sqlite3.Row) -> Revision:
    return Revision(
        post_id=r["post_id"],
        number=r["number"],
        field=r["field"],
        text=r["text"],
        editor_id=r["editor_id"],
        at=from_ms(r["at"]),
    )


def audit_from_row(r: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        guild_id=r["guild_id"],
        actor_id=r["actor_id"],
        action=r["action"],
        target_id=r["target_id"],
        reason=r["reason"],
        at=from_ms(r["at"]),
        id=r["id"],
    )
