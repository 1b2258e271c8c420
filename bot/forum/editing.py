"""/edit: who may edit an /ask question's title, body and tags, and what the new version may be.
Pure functions; the cog does the Discord part, the service records it.

Only the asker edits: moderators have no way to rewrite a member's question anywhere in Quorum (a
native post's text is its author's alone on Discord too), so /edit keeps to that. A native forum
post's starter is the member's own message: Discord itself edits it, and Quorum mirrors that."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from .acceptance import SOLVED_TAG
from .asking import MAX_TAGS, Draft, check_draft
from .errors import BadInput, NotAllowed, NotFound
from .models import Question, QuestionStatus

NOT_A_QUESTION = "Run `/edit` in the thread of a question you asked with `/ask`."
NATIVE_POST = (
    "This question is your own forum post: edit it in Discord (the post's message menu → Edit Message, and the "
    "post's title and tags from the thread's menu). Quorum records those edits as it does any other."
)


@dataclass(frozen=True, slots=True)
class QuestionEdit:
    """A question's new version, already shown in Discord, to record as revisions by `editor_id`."""

    thread_id: int
    starter_id: int | None
    title: str
    body: str
    tags: tuple[str, ...]
    editor_id: int
    at: datetime  # when the title and tags changed
    body_at: datetime  # when Discord says the starter was edited


def check_editable(question: Question | None, user_id: int, *, asked_with_command: bool) -> Question:
    """The question the member may edit here, or the refusal they see."""
    if question is None or question.deleted_at is not None:
        raise NotFound(NOT_A_QUESTION)
    if question.author_id != user_id:
        raise NotAllowed("Only the member who asked this question can edit it.")
    if not asked_with_command:
        raise BadInput(NATIVE_POST)
    if question.status is not QuestionStatus.OPEN:
        raise NotAllowed(f"This question is {question.status.value}: it can no longer be edited.")
    return question


def check_edit(
    title: str,
    body: str,
    tags_text: str | None,
    available: Sequence[str] | None,
    *,
    solved: bool,
    current: Sequence[str] = (),
    fixed: Collection[str] = (),
) -> Draft:
    """The new version under /ask's rules. Some tags are not the asker's to change, whatever they
    typed: a forum's "Solved" tag follows the accepted answer (see acceptance.py), and the forum's
    moderated tags (`fixed`, for an asker without Manage Threads there) stay as they are (`current`)."""
    draft = check_draft(title, body, tags_text, available)
    if available is None:
        return draft
    solved_name = next((t for t in available if t.casefold() == SOLVED_TAG), None)
    kept = [t for t in current if t in fixed and t != solved_name]
    tags = tuple(t for t in draft.tags if t != solved_name and t not in fixed) + tuple(kept)
    if solved and solved_name is not None:
        tags += (solved_name,)
    if len(tags) > MAX_TAGS:
        raise BadInput(
            f"At most {MAX_TAGS} tags per question, those you cannot change included; that makes {len(tags)}."
        )
    return Draft(draft.title, draft.body, tags)
