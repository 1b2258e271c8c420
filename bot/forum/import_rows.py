"""The rows `quorum import` reads from an export (bot/forum/importing.py) and writes to the store
(db/import_writes.py): NamedTuples, so they are named and usable as SQL parameters as they are. Rows
carry the store's units: ids as ints, times as unix milliseconds."""

from __future__ import annotations

from typing import NamedTuple

from .models import Attachment


class ImportRefused(Exception):
    """The file cannot be imported; the message (one line) says why. Nothing of it is written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class QuestionRow(NamedTuple):
    id: int
    guild_id: int
    channel_id: int
    title: str
    author_id: int
    starter_id: int | None
    status: str
    accepted_answer_id: int | None
    duplicate_of: int | None
    tags: tuple[str, ...]
    created_at: int
    updated_at: int
    deleted_at: int | None
    accepted_by: int | None
    accepted_at: int | None
    thread_type: int | None


class PostRow(NamedTuple):
    id: int
    question_id: int
    guild_id: int
    kind: str
    parent_id: int | None
    reply_to_id: int | None
    author_id: int
    body: str
    attachments: tuple[Attachment, ...]
    created_at: int
    edited_at: int | None
    deleted_at: int | None


class VoteRow(NamedTuple):
    post_id: int
    voter_id: int
    guild_id: int
    value: int
    at: int
    via: str


class RevisionRow(NamedTuple):
    post_id: int  # the thread id for a title revision
    field: str
    number: int
    text: str
    editor_id: int | None
    at: int


class Thread(NamedTuple):
    question: QuestionRow
    posts: list[PostRow]
    votes: list[VoteRow]
    revisions: list[RevisionRow]


class SettingsRow(NamedTuple):
    guild_id: int
    forum_channel_id: int | None
    moderator_role_id: int | None
    upvote_emoji: str
    downvote_emoji: str
    daily_vote_cap: int
    updated_at: int
    idle_nudge_hours: int
    archive_after_accept_hours: int


class WebGuildRow(NamedTuple):
    guild_id: int
    name: str
    updated_at: int


class WebChannelRow(NamedTuple):
    channel_id: int
    guild_id: int
    everyone_can_read: bool | None
    published: bool
    published_by: int | None
    published_at: int | None
    updated_at: int


class MemberRow(NamedTuple):
    """A member the store kept a reputation counter for (its value is recounted, not read)."""

    guild_id: int
    user_id: int


class NameRow(NamedTuple):
    guild_id: int
    kind: str
    id: int
    name: str
    updated_at: int


class WebPrivacyRow(NamedTuple):
    guild_id: int
    user_id: int
    hidden: bool
    at: int


class AuditRow(NamedTuple):
    id: int
    guild_id: int
    actor_id: int
    action: str
    target_id: int | None
    reason: str | None
    at: int


class GuildBegins(NamedTuple):
    guild_id: int


class GuildEnds(NamedTuple):
    guild_id: int
