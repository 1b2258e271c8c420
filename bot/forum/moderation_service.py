"""Moderation use cases: /close, /reopen, /duplicate, /lock, /unlock, hand locks seen in Discord, and
the audit log as moderators read it.

Same shape as acceptance: check the rules, let Discord show the change (`in_discord`, which raises if
Discord refuses), and only then record the status with its audit entry in one transaction. The
thread's lock is held throughout, so the THREAD_UPDATE events the bot's own edits cause are handled
after the status is recorded and read as agreeing with it (see moderation.mirrored_status).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime

from .accept_service import UNKNOWN_ACTOR
from .errors import BadInput, NotFound, StoreUnavailable
from .models import AuditEntry, Question, QuestionStatus
from .moderation import THREAD_STATE, Action, ThreadState, check_original, may_moderate, mirrored_status, transition
from .ports import ForumStore

AUDIT_PAGE_SIZE = 10
MAX_REASON = 300
NOT_RECORDED = ("Done in Discord, but Quorum could not record it right now (storage unavailable): run the "
                "command again in a minute so the forum shows it too.")  # fmt: skip
# Audit actions whose target is a message (an answer) rather than a thread or a channel.
MESSAGE_ACTIONS = frozenset({"accept", "unaccept", "unpin"})
THREAD_ACTIONS = frozenset(str(a) for a in Action)


@dataclass(frozen=True, slots=True)
class Change:
    """What a moderator's action does; `in_discord` makes the thread look like `state`."""

    question: Question
    action: Action
    status: QuestionStatus
    state: ThreadState
    actor_id: int
    reason: str | None
    original: Question | None = None  # what a duplicate duplicates


@dataclass(frozen=True, slots=True)
class AuditLine:
    entry: AuditEntry
    thread_id: int | None = None  # the thread the target is, or is in, when known
    message_id: int | None = None  # the target message, for actions on answers
    title: str | None = None  # the question's title, when known


@dataclass(frozen=True, slots=True)
class AuditPage:
    lines: list[AuditLine]
    page: int  # 0-based, clamped into range
    pages: int
    total: int


InDiscord = Callable[[Change], Awaitable[None]]


class ModerationService:
    def __init__(self, store: ForumStore, clock: Callable[[], datetime],
                 in_order: Callable[[int], AbstractAsyncContextManager]) -> None:  # fmt: skip
        self.store = store
        self.clock = clock
        self.in_order = in_order  # the per-thread lock that keeps a thread's events in order

    async def moderate(self, thread_id: int, action: Action, actor_id: int, moderator: bool, in_discord: InDiscord,
                       *, reason: str | None = None, original_id: int | None = None) -> Change:  # fmt: skip
        """Apply `action` to the question in `thread_id`; for a duplicate, `original_id` names the
        original (None: what the moderator gave is no question)."""
        may_moderate(moderator)
        reason = _reason(reason)
        async with self.in_order(thread_id):
            question = await self.store.get_question(thread_id)
            if question is None or question.deleted_at is not None:
                raise NotFound("This is not a question thread.")
            status = transition(action, question.status)
            original = None
            if action is Action.DUPLICATE:
                original = await self.store.get_question(original_id) if original_id is not None else None
                check_original(question.id, question.guild_id, original)
                assert original is not None
                reason = f"of question {original.id} ({original.title})"
            change = Change(question, action, status, THREAD_STATE[status], actor_id, reason, original)
            await in_discord(change)
            at = self.clock()
            audit = AuditEntry(question.guild_id, actor_id, str(action), thread_id, reason, at)
            try:
                await self.store.set_status(thread_id, status, original.id if original else None, at, audit)
            except StoreUnavailable as exc:  # Discord shows it; only the moderator's command can say which status
                raise StoreUnavailable(exc.reason, NOT_RECORDED) from exc
            return change

    async def lock_seen(self, thread_id: int, locked: bool) -> QuestionStatus | None:
        """Discord reports a thread's lock flag (THREAD_UPDATE): mirror a moderator's hand lock or
        unlock of an open question. Returns the new status, or None when nothing changed."""
        async with self.in_order(thread_id):
            question = await self.store.get_question(thread_id)
            if question is None or question.deleted_at is not None:
                return None
            status = mirrored_status(question.status, locked)
            if status is None:
                return None
            # Discord's event names nobody; its own audit log does, but reading it needs another
            # permission, so the entry says "someone" (as an unpin in Discord does).
            action = Action.LOCK if locked else Action.UNLOCK
            at = self.clock()
            audit = AuditEntry(question.guild_id, UNKNOWN_ACTOR, str(action), thread_id, "in Discord", at)
            await self.store.set_status(thread_id, status, None, at, audit)
            return status

    async def audit_page(self, guild_id: int, page: int, *, actor_id: int | None = None) -> AuditPage:
        """Page `page` (0-based, clamped) of the guild's audit log, newest first, each entry with
        where its target lives so it can be linked."""
        total = await self.store.audit_count(guild_id, actor_id=actor_id)
        pages = max(1, -(-total // AUDIT_PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        entries = await self.store.audit_log(guild_id, actor_id=actor_id, limit=AUDIT_PAGE_SIZE,
                                             offset=page * AUDIT_PAGE_SIZE)  # fmt: skip
        return AuditPage([await self._line(e) for e in entries], page, pages, total)

    async def _line(self, entry: AuditEntry) -> AuditLine:
        if entry.target_id is None:
            return AuditLine(entry)
        if entry.action in MESSAGE_ACTIONS:
            post = await self.store.get_post(entry.target_id)
            if post is None:
                return AuditLine(entry)
            question = await self.store.get_question(post.question_id)
            return AuditLine(entry, post.question_id, post.id, question.title if question else None)
        if entry.action in THREAD_ACTIONS:
            question = await self.store.get_question(entry.target_id)
            return AuditLine(entry, entry.target_id, None, question.title if question else None)
        return AuditLine(entry)


def _reason(reason: str | None) -> str | None:
    reason = " ".join(reason.split()) if reason else None
    if reason and len(reason) > MAX_REASON:
        raise BadInput(f"Keep the reason under {MAX_REASON} characters.")
    return reason or None
