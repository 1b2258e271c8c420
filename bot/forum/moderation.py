"""Moderation rules: which status changes are allowed, what each status looks like in Discord, and how
a lock made by hand in Discord is mirrored. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .errors import NotAllowed
from .models import Question, QuestionStatus

OPEN, CLOSED, LOCKED, DUPLICATE = (QuestionStatus.OPEN, QuestionStatus.CLOSED, QuestionStatus.LOCKED,
                                   QuestionStatus.DUPLICATE)  # fmt: skip


class Action(StrEnum):
    """A moderator's action; the value is also the audit log's action name."""

    CLOSE = "close"
    REOPEN = "reopen"
    DUPLICATE = "duplicate"
    LOCK = "lock"
    UNLOCK = "unlock"


@dataclass(frozen=True, slots=True)
class ThreadState:
    """The thread flags a status stands for in Discord."""

    locked: bool
    archived: bool


# Closed: nobody can post and the thread leaves the active list. A duplicate stays listed (members
# searching land on it and follow the link) but takes no new answers. Locked: visible, read-only.
THREAD_STATE = {
    OPEN: ThreadState(locked=False, archived=False),
    CLOSED: ThreadState(locked=True, archived=True),
    LOCKED: ThreadState(locked=True, archived=False),
    DUPLICATE: ThreadState(locked=True, archived=False),
}

# action -> (statuses it applies to, the status it leads to). Reopen undoes any of the others, so a
# moderator needs one command to bring a question back whatever happened to it. Closing or marking a
# question that is already closed or a duplicate is refused rather than silently re-labelled: the
# first decision (and its notice in the thread) would otherwise contradict the second.
TRANSITIONS: dict[Action, tuple[frozenset[QuestionStatus], QuestionStatus]] = {
    Action.CLOSE: (frozenset({OPEN, LOCKED}), CLOSED),
    Action.REOPEN: (frozenset({CLOSED, LOCKED, DUPLICATE}), OPEN),
    Action.DUPLICATE: (frozenset({OPEN, LOCKED}), DUPLICATE),
    Action.LOCK: (frozenset({OPEN}), LOCKED),
    Action.UNLOCK: (frozenset({LOCKED}), OPEN),
}

_ALREADY = {
    OPEN: "This question is already open.",
    CLOSED: "This question is already closed.",
    LOCKED: "This question is already locked.",
    DUPLICATE: "This question is already marked as a duplicate.",
}


def transition(action: Action, status: QuestionStatus) -> QuestionStatus:
    """The status `action` leads to from `status`, or NotAllowed saying why not."""
    sources, target = TRANSITIONS[action]
    if status in sources:
        return target
    if action is Action.UNLOCK and status is OPEN:
        raise NotAllowed("This question is not locked.")
    if status is target:
        raise NotAllowed(_ALREADY[status])
    # What is left: acting on a closed question or a duplicate, which only /reopen undoes.
    what = "closed" if status is CLOSED else "marked as a duplicate"
    raise NotAllowed(f"This question is {what}: `/reopen` it first.")


def may_moderate(moderator: bool) -> None:
    """Closing, locking and marking duplicates are for moderators only, not for the asker: the asker
    accepts an answer instead."""
    if not moderator:
        raise NotAllowed("Only moderators can close, reopen, lock or mark questions as duplicates.")


def check_original(question_id: int, guild_id: int, original: Question | None) -> None:
    """Why `original` cannot be what the question duplicates: unknown, itself, elsewhere, gone, or a
    duplicate itself (pointing at the original directly keeps chains, and loops, out)."""
    if original is None or original.guild_id != guild_id:
        raise NotAllowed("That is not a question I know in this server: give the original question's link.")
    if original.id == question_id:
        raise NotAllowed("A question cannot be a duplicate of itself.")
    if original.deleted_at is not None:
        raise NotAllowed("That question was deleted: give a question that still exists.")
    if original.status is DUPLICATE:
        raise NotAllowed("That question is itself a duplicate: give the question it duplicates instead.")


def mirrored_status(status: QuestionStatus, locked: bool) -> QuestionStatus | None:
    """The status a lock flag seen in Discord implies, or None to leave it.

    Only a hand lock or unlock of an open or locked question is mirrored. The archived flag never is:
    Discord archives idle threads by itself, which says nothing about a question. A closed question
    or a duplicate stays so until /reopen: their thread flags change on the way (the bot unlocks to
    post a notice), and one flag alone cannot tell a moderator's reopening from that."""
    if locked and status is OPEN:
        return LOCKED
    if not locked and status is LOCKED:
        return OPEN
    return None
