"""The forum's rules as pure functions: no I/O, easy to test on their own."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from operator import attrgetter

from .events import MessageInfo
from .models import AnswerView, Post, PostKind, Question, ThreadView


def is_starter(message: MessageInfo) -> bool:
    """In a forum post (and a thread started from a message) the starter message shares the thread's id."""
    return message.id == message.channel_id


def counts_as_post(message: MessageInfo) -> bool:
    """System notices and bots' messages are not part of the discussion."""
    return not message.is_system and not message.author_is_bot


def place_in_thread(message: MessageInfo, replied_to: Post | None) -> tuple[PostKind, int | None]:
    """Where a message sits in the thread: an answer, or a reply nested under an answer.

    A Discord reply to a post of the same thread is a reply. A reply to a reply hangs under the same
    answer, so the page shows one level of nesting however deep the chain; a reply to the question
    hangs under the question. A reply to anything else (a bot message, an unknown or deleted
    message) is an answer in its own right.
    """
    if replied_to is None or replied_to.question_id != message.channel_id or replied_to.deleted_at:
        return PostKind.ANSWER, None
    if replied_to.kind is PostKind.REPLY:
        return PostKind.REPLY, replied_to.parent_id
    return PostKind.REPLY, replied_to.id


def answer_order(answer: Post, accepted_id: int | None) -> tuple[bool, int, datetime, int]:
    """The page's order: the accepted answer first, then by score, then oldest first."""
    return (answer.id != accepted_id, -answer.score, answer.created_at, answer.id)


def build_thread_view(question: Question, posts: list[Post], *, deleted_answers: bool = False) -> ThreadView:
    """Arrange a thread's live posts as the forum page shows them; deleted posts are left out.

    With `deleted_answers` (the export, an archive for administrators), deleted answers stay in, marked
    by their deleted_at, in the place their score and age give them."""
    # One pass over the posts: this runs on every /question view, with hundreds of posts at a time.
    body = None
    answers: list[Post] = []
    replies: dict[int | None, list[Post]] = {}
    for post in posts:
        kind = post.kind
        if post.deleted_at is not None:
            if deleted_answers and kind is _ANSWER:
                answers.append(post)
        elif kind is _ANSWER:
            answers.append(post)
        elif kind is _REPLY:
            group = replies.get(post.parent_id)
            if group is None:
                replies[post.parent_id] = [post]
            else:
                group.append(post)
        elif body is None and kind is _QUESTION:
            body = post
    accepted = question.accepted_answer_id
    answers.sort(key=lambda a: (a.id != accepted, -a.score, a.created_at, a.id))  # answer_order, inlined
    for group in replies.values():
        if len(group) > 1:
            group.sort(key=_by_age)
    return ThreadView(
        question,
        body,
        [AnswerView(a, a.id == accepted, replies.get(a.id) or []) for a in answers],
        replies.get(body.id, []) if body else [],
    )


_ANSWER, _REPLY, _QUESTION = PostKind.ANSWER, PostKind.REPLY, PostKind.QUESTION
_by_age = attrgetter("created_at", "id")


def is_moderator(role_ids: Iterable[int], moderator_role_id: int | None, *, manage_threads: bool) -> bool:
    """A moderator holds the guild's configured moderator role, or Discord's Manage Threads permission
    (which administrators have implicitly), so a guild that never configured a role still has some."""
    return manage_threads or (moderator_role_id is not None and moderator_role_id in set(role_ids))


def can_see_deleted(post: Post, *, moderator: bool) -> bool:
    """What a deleted post said stays in its history, but only moderators may read it."""
    return post.deleted_at is None or moderator
