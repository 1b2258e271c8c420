"""Accepted answers: pins in Discord and /accept end in the same state, recorded with who did it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from .acceptance import PinPlan, acceptable, may_accept, plan_from_pins
from .errors import NotAllowed, NotFound, StoreUnavailable
from .models import AuditEntry, Post, Question
from .ports import ForumStore

UNKNOWN_ACTOR = 0  # an unpin in Discord names nobody; the audit log says "someone"
# Discord has the pin (or its removal) already; the repair reads the thread's pins once writes work.
ACCEPT_LATER = ("The answer is pinned, but Quorum could not record the acceptance right now (storage "
                "unavailable); it will be recorded from the pin once storage is back.")  # fmt: skip
UNACCEPT_LATER = ("The answer is unpinned, but Quorum could not record it right now (storage unavailable); "
                  "it will be recorded from the pins once storage is back.")  # fmt: skip


class AcceptService:
    def __init__(self, store: ForumStore, clock: Callable[[], datetime],
                 in_order: Callable[[int], AbstractAsyncContextManager]) -> None:  # fmt: skip
        self.store = store
        self.clock = clock
        self.in_order = in_order  # the per-thread lock that keeps a thread's events in order
        # (thread, message) -> who pinned it, from Discord's "pinned a message" notices, which can
        # arrive before or after the pins update they belong to.
        self._pinners: dict[tuple[int, int], int] = {}

    async def pins_changed(self, thread_id: int, pins: Iterable[tuple[int, datetime | None]],
                           away_notices: Mapping[int, int | None] | None = None) -> PinPlan | None:  # fmt: skip
        """Reconcile acceptance with the thread's pins list (Discord's pins event names no message).
        Returns the plan (which answers the bot should unpin), or None for a thread that is no question.

        `away_notices` (catch-up): the thread's "pinned a message" notices, latest per message, as
        message -> pinner (None: the bot pinned it). A pin made while Quorum was away is attributed
        from them, and audited then even when no notice names anyone: none will arrive later."""
        async with self.in_order(thread_id):
            question = await self.store.get_question(thread_id)
            if question is None or question.deleted_at is not None:
                return None
            posts = {p.id: p for p in await self.store.question_posts(thread_id)}
            plan = plan_from_pins(pins, posts)
            noticed = (away_notices or {}).get(plan.accepted_id or 0)
            if plan.accepted_id == question.accepted_answer_id:
                if question.accepted_by is not None or noticed is None:
                    accepter = question.accepted_by or self._pinners.get((thread_id, plan.accepted_id or 0))
                else:  # recorded earlier without its pinner (the notice was missed): name them now
                    accepter = noticed
            else:
                accepter = (noticed or self._pinners.get((thread_id, plan.accepted_id))) if plan.accepted_id else None
            if away_notices is not None:
                audit = self._audit(question, plan.accepted_id, accepter, reason="pin while Quorum was away")
            else:
                audit = self._audit(question, plan.accepted_id, accepter, reason="pin")
                if accepter is None and plan.accepted_id is not None:
                    audit = None  # written when the "pinned a message" notice names the member
            await self.store.set_acceptance(thread_id, plan.accepted_id, accepter, self.clock(), audit)
            return plan

    async def pinned_by(self, thread_id: int, message_id: int, member_id: int) -> None:
        """Discord's notice says who pinned a message; if it is the accepted answer, they accepted it."""
        self._pinners[(thread_id, message_id)] = member_id
        async with self.in_order(thread_id):
            question = await self.store.get_question(thread_id)
            if question is None or question.accepted_answer_id != message_id or question.accepted_by == member_id:
                return
            audit = self._audit(question, message_id, member_id, reason="pin")
            await self.store.set_acceptance(thread_id, message_id, member_id, self.clock(), audit)

    async def accept(self, thread_id: int, answer_id: int, member_id: int, moderator: bool,
                     in_discord: Callable[[Question, Post], Awaitable[None]]) -> Question:  # fmt: skip
        """/accept and "Accept answer": check, let Discord show it (the bot pins), then record. If
        Discord refuses, `in_discord` raises and nothing is recorded."""
        async with self.in_order(thread_id):
            question = await self._question(thread_id)
            if not may_accept(question, member_id, moderator):
                raise NotAllowed("Only the asker or a moderator can accept an answer.")
            post = await self.store.get_post(answer_id)
            if (why := acceptable(question, post)) is not None:
                raise NotFound(why)
            assert post is not None
            self._pinners[(thread_id, answer_id)] = member_id
            await in_discord(question, post)
            audit = self._audit(question, answer_id, member_id, reason="command")
            try:
                await self.store.set_acceptance(thread_id, answer_id, member_id, self.clock(), audit)
            except StoreUnavailable as exc:
                raise StoreUnavailable(exc.reason, ACCEPT_LATER, thread_id=thread_id) from exc
            return question

    async def unaccept(self, thread_id: int, member_id: int, moderator: bool,
                       in_discord: Callable[[Question], Awaitable[None]]) -> Question:  # fmt: skip
        async with self.in_order(thread_id):
            question = await self._question(thread_id)
            if not may_accept(question, member_id, moderator):
                raise NotAllowed("Only the asker or a moderator can unaccept an answer.")
            if question.accepted_answer_id is None:
                raise NotFound("This question has no accepted answer.")
            await in_discord(question)
            audit = self._audit(question, None, member_id, reason="command")
            try:
                await self.store.set_acceptance(thread_id, None, None, self.clock(), audit)
            except StoreUnavailable as exc:
                raise StoreUnavailable(exc.reason, UNACCEPT_LATER, thread_id=thread_id) from exc
            return question

    async def unpinned_by_bot(self, thread_id: int, message_id: int, bot_id: int) -> None:
        """The bot took down an answer that is no longer accepted (Discord shows one accepted answer):
        audited like a member's action, so the log explains a pin that disappeared."""
        question = await self.store.get_question(thread_id)
        if question is None:
            return
        reason = f"another answer accepted in question {thread_id}"
        await self.store.add_audit(AuditEntry(question.guild_id, bot_id, "unpin", message_id, reason, self.clock()))

    async def _question(self, thread_id: int) -> Question:
        question = await self.store.get_question(thread_id)
        if question is None or question.deleted_at is not None:
            raise NotFound("This is not a question thread.")
        return question

    def _audit(self, question: Question, answer_id: int | None, actor: int | None, reason: str) -> AuditEntry:
        if answer_id is None:
            action, target = "unaccept", question.accepted_answer_id
        else:
            action, target = "accept", answer_id
        return AuditEntry(question.guild_id, actor or UNKNOWN_ACTOR, action, target,
                          f"{reason} in question {question.id}", self.clock())  # fmt: skip
