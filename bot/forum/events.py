"""What the Discord adapters tell the forum about: plain descriptions of threads and messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .models import Attachment

# Discord's channel types of threads. A private thread is seen only by its members (and those who
# manage threads): it is never a question.
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12


@dataclass(frozen=True, slots=True)
class ThreadInfo:
    id: int
    guild_id: int
    parent_id: int  # the forum or text channel the thread lives in
    name: str
    owner_id: int | None
    created_at: datetime
    tags: tuple[str, ...] = ()
    thread_type: int = PUBLIC_THREAD

    @property
    def private(self) -> bool:
        return self.thread_type == PRIVATE_THREAD


@dataclass(frozen=True, slots=True)
class MessageInfo:
    id: int
    guild_id: int
    channel_id: int
    author_id: int
    content: str
    created_at: datetime
    author_is_bot: bool = False
    is_system: bool = False  # joins, pins, renames: Discord's own notices, never posts
    reply_to_id: int | None = None
    attachments: tuple[Attachment, ...] = ()
