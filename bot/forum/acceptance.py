"""Acceptance rules: a moderator's pin (or /accept) marks the accepted answer. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from .errors import BadInput
from .models import Post, PostKind, Question

# The forum tag Quorum applies to a thread whose question has an accepted answer, if the forum has one.
SOLVED_TAG = "solved"


def topic_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """The tags that say what a question is about: not the Solved tag, which views show as a status."""
    return tuple(tag for tag in tags if tag.casefold() != SOLVED_TAG)


class AlreadyAccepted(BadInput):
    """A button of a question that got its accepted answer another way (a nudge's, a suggestion's):
    its message loses its buttons, but one pressed before that edit landed (a restart, a failure in
    Discord) is answered with where the accepted answer is, not with an error."""

    def __init__(self, question: Question) -> None:
        link = f"https://discord.com/channels/{question.guild_id}/{question.id}/{question.accepted_answer_id}"
        super().__init__(f"This question already has an accepted answer: {link}")


def check_unsolved(question: Question) -> None:
    if question.accepted_answer_id is not None:
        raise AlreadyAccepted(question)


@dataclass(frozen=True, slots=True)
class PinPlan:
    accepted_id: int | None  # the answer that is accepted now, or None
    unpin: tuple[int, ...]  # answers still pinned that are no longer accepted: the bot unpins them


def plan_from_pins(pins: Iterable[tuple[int, datetime | None]], posts: Mapping[int, Post]) -> PinPlan:
    """The most recently pinned live answer of the thread is the accepted one; other pinned answers
    are unpinned so Discord shows one accepted answer. Pinning the question, a reply, a bot message
    or anything else accepts nothing (and is left pinned: pins are the server's to use too)."""
    answers = [
        (pinned_at, message_id)
        for message_id, pinned_at in pins
        if (post := posts.get(message_id)) is not None and post.kind is PostKind.ANSWER and post.deleted_at is None
    ]
    if not answers:
        return PinPlan(None, ())
    # Unknown pin times sort oldest: Discord always sends them, this only guards odd payloads.
    answers.sort(key=lambda pair: (pair[0] is not None, pair[0] or datetime.min, pair[1]), reverse=True)
    return PinPlan(answers[0][1], tuple(message_id for _, message_id in answers[1:]))


def acceptable(question: Question, post: Post | None) -> str | None:
    """Why this post cannot be the accepted answer of this question, or None if it can."""
    if post is None or post.question_id != question.id:
        return "That message is not an answer in this question's thread."
    if post.deleted_at is not None:
        return "That answer was deleted."
    if post.kind is not PostKind.ANSWER:
        return "Only an answer can be accepted, not the question or a reply."
    return None


def may_accept(question: Question, member_id: int, moderator: bool) -> bool:
    """The asker or a moderator decides which answer is accepted."""
    return moderator or member_id == question.author_id
