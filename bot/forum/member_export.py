"""`/privacy export`: a member's own data in one server, as a JSON document for them alone.

Their posts (with every revision of the body), the questions they asked (with their title's
revisions) and the votes they cast, nothing of another member: ids as strings, times in ISO-8601 UTC
(as `quorum export`, bot/forum/exporting.py), each list in a fixed order. Discord caps what a bot may
attach; a document above the cap is not cut short (a truncated export would mislead), the member is
pointed to an operator's `quorum export` instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from .archive import StoredVote
from .exporting import iso
from .models import Post, Question, Revision

FORMAT = "quorum-member-export/1"


@dataclass(frozen=True, slots=True)
class MemberPost:
    post: Post
    question_title: str
    revisions: tuple[Revision, ...]  # of the body, oldest first


@dataclass(frozen=True, slots=True)
class MemberQuestion:
    question: Question
    title_revisions: tuple[Revision, ...]


@dataclass(frozen=True, slots=True)
class MemberData:
    reputation: int | None  # as stored; None: the store keeps no counter for them
    posts: list[MemberPost]
    questions: list[MemberQuestion]
    votes: list[StoredVote]


class MemberExportStore(Protocol):
    async def member_data(self, guild_id: int, member_id: int) -> MemberData: ...


@dataclass(frozen=True, slots=True)
class ExportFile:
    filename: str
    content: bytes


class MemberExport:
    def __init__(self, store: MemberExportStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    async def export(self, guild_id: int, member_id: int) -> ExportFile:
        data = await self.store.member_data(guild_id, member_id)
        document = member_document(data, guild_id, member_id, self.clock())
        content = json.dumps(document, ensure_ascii=False, indent=1).encode()
        return ExportFile(f"quorum-{guild_id}-{member_id}.json", content)


def too_large(size: int, limit: int) -> str:
    return (f"Your data here comes to {size / 2**20:.1f} MiB, more than the {limit / 2**20:.0f} MiB Discord lets "
            "the bot attach: ask a server operator for a `quorum export`.")  # fmt: skip


def member_document(data: MemberData, guild_id: int, member_id: int, at: datetime) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "guild_id": str(guild_id),
        "member_id": str(member_id),
        "exported_at": iso(at),
        # As shown: never below 1 (1 for a member without a counter), as `quorum export`'s users.
        "reputation": 1 if data.reputation is None else max(1, data.reputation),
        "posts": [_post(p) for p in data.posts],
        "questions": [_question(q) for q in data.questions],
        "votes": [{"post_id": str(v.post_id), "value": v.value, "at": iso(v.at), "via": v.via.value}
                  for v in data.votes],  # fmt: skip
    }


def _post(item: MemberPost) -> dict[str, Any]:
    post = item.post
    return {
        "id": str(post.id),
        "kind": post.kind.value,
        "question_id": str(post.question_id),
        "question_title": item.question_title,
        "body": post.body,
        "created_at": iso(post.created_at),
        "edited_at": _iso(post.edited_at),
        "deleted_at": _iso(post.deleted_at),
        "score": post.score,
        "attachments": [{"filename": a.filename, "url": a.url, "content_type": a.content_type, "size": a.size}
                        for a in post.attachments],  # fmt: skip
        "revisions": [_revision(r) for r in item.revisions],
    }


def _question(item: MemberQuestion) -> dict[str, Any]:
    q = item.question
    return {
        "id": str(q.id),
        "title": q.title,
        "title_revisions": [_revision(r) for r in item.title_revisions],
        "status": q.status.value,
        "accepted_answer_id": None if q.accepted_answer_id is None else str(q.accepted_answer_id),
        "created_at": iso(q.created_at),
        "deleted_at": _iso(q.deleted_at),
    }


def _revision(r: Revision) -> dict[str, Any]:
    return {"number": r.number, "text": r.text, "at": iso(r.at)}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)
