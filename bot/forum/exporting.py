"""The forum as JSON (the contract in DESIGN §1): stable keys, ids as strings, answers in page order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .models import Post, ThreadView


def guild_export(guild_id: int, views: list[ThreadView], reputations: dict[int, int]) -> dict[str, Any]:
    users: set[int] = set(reputations)
    questions = []
    for view in views:
        question = view.question
        users.add(question.author_id)
        answers = []
        for item in view.answers:
            users.add(item.answer.author_id)
            users.update(reply.author_id for reply in item.replies)
            answers.append(
                {
                    **_post(item.answer),
                    "accepted": item.accepted,
                    "deleted": item.answer.deleted_at is not None,
                    "replies": [_post(reply) for reply in item.replies],
                }
            )
        questions.append(
            {
                "id": str(question.id),
                "title": question.title,
                "author_id": str(question.author_id),
                "body": view.body.body if view.body else "",
                "score": view.body.score if view.body else question.score,
                "status": question.status.value,
                "tags": list(question.tags),
                "accepted_answer_id": str(question.accepted_answer_id) if question.accepted_answer_id else None,
                "created_at": _iso(question.created_at),
                "answers": answers,
            }
        )
    return {
        "guild_id": str(guild_id),
        "questions": questions,
        # Reputation is shown never below 1 (it is stored as 1 plus what votes gave and took).
        "users": [{"id": str(uid), "reputation": max(1, reputations.get(uid, 1))} for uid in sorted(users)],
    }


def _post(post: Post) -> dict[str, Any]:
    return {
        "id": str(post.id),
        "author_id": str(post.author_id),
        "body": post.body,
        "score": post.score,
        "created_at": _iso(post.created_at),
    }


def _iso(moment: datetime) -> str:
    # Discord's ids carry milliseconds; so does the store.
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
