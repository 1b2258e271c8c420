"""What the store holds beyond the forum's views, as `quorum export` reads it (bot/forum/exporting.py
shapes it into JSON). Plain data, read in pages from one snapshot of the store (db/export_reader.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .models import GuildSettings, Post, Question, Revision
from .voting import VoteVia


# Not frozen, like Post (models.py): an export builds one per vote, millions, and a frozen dataclass's
# __init__ costs about 4x more. Treat it as a value all the same.
@dataclass(slots=True)
class StoredVote:
    post_id: int
    voter_id: int
    value: int  # 1 up, -1 down, 0: withdrawn (the row keeps the time of the member's latest vote event)
    at: datetime
    via: VoteVia


@dataclass(frozen=True, slots=True)
class ThreadRecord:
    """A question with every post of its thread (deleted ones too), their votes and revisions."""

    question: Question
    accepted_at: datetime | None
    updated_at: datetime
    posts: list[Post]  # oldest first
    votes: list[StoredVote]  # by post, then voter
    revisions: list[Revision]  # body revisions of the posts, title revisions under the thread id


@dataclass(frozen=True, slots=True)
class StoredSettings:
    settings: GuildSettings
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class WebGuild:
    name: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StoredWebChannel:
    channel_id: int
    everyone_can_read: bool | None  # None until the bot has looked
    published: bool
    published_by: int | None  # None: an operator's CLI
    published_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StoredMember:
    user_id: int
    reputation: int  # the maintained counter, exactly as stored


@dataclass(frozen=True, slots=True)
class LearntName:
    kind: str  # "user", "role" or "channel"
    id: int
    name: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class WebPrivacy:
    user_id: int
    hidden: bool
    at: datetime
