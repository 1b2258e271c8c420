"""The forum as JSON, version 2 ("quorum-export/2", docs/export.md): every version-1 key of DESIGN §1
with its meaning, and everything else the store knows that Discord cannot give back.

Pure shaping, one object at a time (bot/export.py streams them into the document): ids as strings,
times ISO-8601 UTC with milliseconds, keys in a fixed order, every list in a fixed order, so two
exports of the same store are identical byte for byte.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from .archive import LearntName, StoredSettings, StoredVote, StoredWebChannel, ThreadRecord, WebGuild, WebPrivacy
from .models import AnswerView, AuditEntry, Post, PostKind, Revision
from .rules import build_thread_view

FORMAT = "quorum-export/2"


@cache
def export_schema() -> dict[str, Any]:
    """The format's JSON Schema (draft 2020-12): package data beside this module, so that an installed
    Quorum has it too (`quorum import` checks files against it)."""
    return json.loads(resources.files(__package__).joinpath("export_schema.json").read_text(encoding="utf-8"))


def question_export(record: ThreadRecord) -> dict[str, Any]:
    """A question as version 1 shows it (answers in page order, deleted answers marked, their live
    replies under them), then what version 2 adds: the starter post with its votes and revisions, the
    replies to the question, and every post the lists leave out (deleted replies, replies whose
    parent is not stored), so each stored post appears exactly once."""
    question = record.question
    view = build_thread_view(question, record.posts, deleted_answers=True)
    votes = _by_post(record.votes)
    revisions: dict[int, list[Revision]] = {}
    titles: list[Revision] = []
    for revision in record.revisions:
        if revision.field == "title":
            titles.append(revision)
        else:
            revisions.setdefault(revision.post_id, []).append(revision)

    def post(p: Post, **v1: Any) -> dict[str, Any]:
        return _post(p, v1, votes.get(p.id, ()), revisions.get(p.id, ()))

    starter = _starter(record)
    placed = {starter.id} if starter else set()
    answers = []
    for item in view.answers:
        placed.add(item.answer.id)
        placed.update(reply.id for reply in item.replies)
        answers.append(_answer(item, post))
    placed.update(reply.id for reply in view.comments)
    return {
        "id": str(question.id),
        "title": question.title,
        "author_id": str(question.author_id),
        "body": view.body.body if view.body else "",
        "score": view.body.score if view.body else question.score,
        "status": question.status.value,
        "tags": list(question.tags),
        "accepted_answer_id": _id(question.accepted_answer_id),
        "created_at": iso(question.created_at),
        "answers": answers,
        "channel_id": str(question.channel_id),
        "thread_type": question.thread_type,
        "starter_id": _id(question.starter_id),
        "duplicate_of": _id(question.duplicate_of),
        "accepted_by": _id(question.accepted_by),
        "accepted_at": _iso(record.accepted_at),
        "updated_at": iso(record.updated_at),
        "deleted_at": _iso(question.deleted_at),
        "stored_score": question.score,
        "title_revisions": [_revision(r) for r in titles],
        "starter": post(starter) if starter else None,
        "replies": [post(reply) for reply in view.comments],
        "other_posts": [post(p) for p in record.posts if p.id not in placed],
    }


def _starter(record: ThreadRecord) -> Post | None:
    """The post holding the question's body, deleted or not (version 1's `body` is the live one's)."""
    starters = [p for p in record.posts if p.kind is PostKind.QUESTION]
    named = [p for p in starters if p.id == record.question.starter_id]
    return (named or starters or [None])[0]


def _answer(item: AnswerView, post) -> dict[str, Any]:
    answer = item.answer
    return post(
        answer,
        accepted=item.accepted,
        deleted=answer.deleted_at is not None,
        replies=[post(reply) for reply in item.replies],
    )


def _post(post: Post, v1: dict[str, Any], votes, revisions) -> dict[str, Any]:
    return {
        "id": str(post.id),
        "author_id": str(post.author_id),
        "body": post.body,
        "score": post.score,
        "created_at": iso(post.created_at),
        **v1,
        "kind": post.kind.value,
        "parent_id": _id(post.parent_id),
        "reply_to_id": _id(post.reply_to_id),
        "edited_at": _iso(post.edited_at),
        "deleted_at": _iso(post.deleted_at),
        "attachments": [
            {"id": str(a.id), "filename": a.filename, "url": a.url, "content_type": a.content_type, "size": a.size}
            for a in post.attachments
        ],
        "votes": [{"voter_id": str(v.voter_id), "value": v.value, "at": iso(v.at), "via": v.via.value} for v in votes],
        "revisions": [_revision(r) for r in revisions],
    }


def _revision(revision: Revision) -> dict[str, Any]:
    return {"number": revision.number, "text": revision.text, "editor_id": _id(revision.editor_id),
            "at": iso(revision.at)}  # fmt: skip


def _by_post(votes: list[StoredVote]) -> dict[int, list[StoredVote]]:
    grouped: dict[int, list[StoredVote]] = {}
    for vote in votes:
        grouped.setdefault(vote.post_id, []).append(vote)
    return grouped


def user_export(user_id: int, stored_reputation: int | None) -> dict[str, Any]:
    """Version 1's reputation is as shown, never below 1 (1 for a member the store has no counter for);
    `stored_reputation` is the counter exactly as stored (None: no counter)."""
    shown = 1 if stored_reputation is None else max(1, stored_reputation)
    return {"id": str(user_id), "reputation": shown, "stored_reputation": stored_reputation}


def settings_export(stored: StoredSettings | None) -> dict[str, Any] | None:
    if stored is None:
        return None
    s = stored.settings
    return {
        "forum_channel_id": _id(s.forum_channel_id),
        "moderator_role_id": _id(s.moderator_role_id),
        "upvote_emoji": s.upvote_emoji,
        "downvote_emoji": s.downvote_emoji,
        "daily_vote_cap": s.daily_vote_cap,
        "idle_nudge_hours": s.idle_nudge_hours,
        "archive_after_accept_hours": s.archive_after_accept_hours,
        "updated_at": iso(stored.updated_at),
    }


def web_guild_export(web: WebGuild | None) -> dict[str, Any] | None:
    return None if web is None else {"name": web.name, "updated_at": iso(web.updated_at)}


def web_channel_export(c: StoredWebChannel) -> dict[str, Any]:
    return {
        "channel_id": str(c.channel_id),
        "everyone_can_read": c.everyone_can_read,
        "published": c.published,
        "published_by": _id(c.published_by),
        "published_at": _iso(c.published_at),
        "updated_at": iso(c.updated_at),
    }


def name_export(n: LearntName) -> dict[str, Any]:
    return {"kind": n.kind, "id": str(n.id), "name": n.name, "updated_at": iso(n.updated_at)}


def web_privacy_export(p: WebPrivacy) -> dict[str, Any]:
    return {"user_id": str(p.user_id), "hidden": p.hidden, "at": iso(p.at)}


def audit_export(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": str(e.id),
        "actor_id": str(e.actor_id),
        "action": e.action,
        "target_id": _id(e.target_id),
        "reason": e.reason,
        "at": iso(e.at),
    }


def iso(moment: datetime) -> str:
    # Discord's ids carry milliseconds; so does the store.
    # Arguments by position: parsing the keyword took a sixth of the call, once per vote.
    return moment.isoformat("T", "milliseconds").replace("+00:00", "Z")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)
