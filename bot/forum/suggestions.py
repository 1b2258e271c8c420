"""Suggest as solution (issue 17): any member points the asker at an answer; the asker (or a
moderator of the question's channel) accepts it, as /accept does, or dismisses it. The suggester
earns nothing. One suggestion per answer, ever (a dismissed answer is not put to the asker again),
and a few per member per question."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from .acceptance import acceptable, check_unsolved
from .errors import BadInput, NotAllowed, NotFound
from .models import Post, Question, QuestionStatus

MAX_PER_QUESTION = 3  # suggestions one member may make on one question


class SuggestionState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"


class Added(StrEnum):
    ADDED = "added"
    EXISTS = "exists"  # that answer was suggested already
    CAPPED = "capped"  # the member made MAX_PER_QUESTION suggestions on this question


@dataclass(frozen=True, slots=True)
class Suggestion:
    answer_id: int
    question_id: int
    guild_id: int
    suggester_id: int
    created_at: datetime
    state: SuggestionState = SuggestionState.OPEN
    message_id: int | None = None  # its message in the thread, once posted


class SuggestionStore(Protocol):
    async def get_question(self, thread_id: int) -> Question | None: ...
    async def get_post(self, post_id: int) -> Post | None: ...
    async def add_suggestion(self, suggestion: Suggestion, cap: int) -> Added: ...
    async def get_suggestion(self, answer_id: int) -> Suggestion | None: ...
    async def close_suggestion(self, answer_id: int, state: SuggestionState) -> bool: ...
    async def remove_suggestion(self, answer_id: int) -> None: ...
    async def open_suggestions(self, question_id: int) -> list[Suggestion]: ...
    async def suggestion_posted(self, answer_id: int, message_id: int) -> None: ...


class Suggestions:
    def __init__(self, store: SuggestionStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    async def target(self, thread_id: int, message_id: int) -> tuple[Question, Post]:
        """The question and the answer a member points at; NotFound when it is no answer (the
        starter, a reply, a deleted post, a message outside a question thread: private threads are
        never questions)."""
        question = await self.store.get_question(thread_id)
        if question is None or question.deleted_at is not None:
            raise NotFound("That message is not an answer in a question thread.")
        post = await self.store.get_post(message_id)
        if (why := acceptable(question, post)) is not None:
            raise NotFound(why)
        assert post is not None
        if question.accepted_answer_id == post.id:
            raise BadInput("That answer is already the accepted one.")
        return question, post

    async def suggest(self, question: Question, post: Post, member_id: int) -> Suggestion:
        """Record a member's suggestion (the asker and moderators accept directly instead)."""
        if question.status is not QuestionStatus.OPEN:
            # Closed, locked or a duplicate: posting there would reopen what a moderator closed.
            raise BadInput(f"This question is {question.status.value}.")
        if post.author_id == member_id:
            raise NotAllowed("You cannot suggest your own answer: the asker or a moderator decides.")
        suggestion = Suggestion(post.id, question.id, question.guild_id, member_id, self.clock())
        added = await self.store.add_suggestion(suggestion, MAX_PER_QUESTION)
        if added is Added.EXISTS:
            raise BadInput("That answer was already suggested to the asker.")
        if added is Added.CAPPED:
            raise BadInput(f"You have made {MAX_PER_QUESTION} suggestions on this question already.")
        return suggestion

    async def withdraw(self, suggestion: Suggestion) -> None:
        """Its message could not be posted: as if it had never been made."""
        await self.store.remove_suggestion(suggestion.answer_id)

    async def posted(self, suggestion: Suggestion, message_id: int) -> None:
        """Its message: edited when an answer is accepted another way (`close_all`)."""
        await self.store.suggestion_posted(suggestion.answer_id, message_id)

    async def open_one(self, answer_id: int) -> Suggestion:
        suggestion = await self.store.get_suggestion(answer_id)
        if suggestion is None or suggestion.state is not SuggestionState.OPEN:
            question = await self.store.get_question(suggestion.question_id) if suggestion is not None else None
            if question is not None:
                check_unsolved(question)  # closed by an acceptance: say where the accepted answer is
            raise NotFound("This suggestion was already answered.")
        return suggestion

    async def close_all(self, question_id: int, accepted_id: int) -> list[Suggestion]:
        """An answer of the question was accepted, whichever way: its open suggestions are done (the
        accepted answer's as accepted, the others as dismissed: not put to the asker again). Those
        this call closed are returned: their messages lose their buttons."""
        closed = []
        for suggestion in await self.store.open_suggestions(question_id):
            state = SuggestionState.ACCEPTED if suggestion.answer_id == accepted_id else SuggestionState.DISMISSED
            if await self.store.close_suggestion(suggestion.answer_id, state):
                closed.append(suggestion)
        return closed

    async def dismiss(self, answer_id: int, member_id: int, moderator: bool) -> Suggestion:
        suggestion = await self.open_one(answer_id)
        question = await self.store.get_question(suggestion.question_id)
        if question is None or not (moderator or member_id == question.author_id):
            raise NotAllowed("Only the asker or a moderator can answer this suggestion.")
        if not await self.store.close_suggestion(answer_id, SuggestionState.DISMISSED):
            raise NotFound("This suggestion was already answered.")
        return suggestion

    async def accepted(self, answer_id: int) -> None:
        await self.store.close_suggestion(answer_id, SuggestionState.ACCEPTED)
