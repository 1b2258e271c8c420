"""What the Discord adapters tell the forum about: plain descriptions of threads and messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .models import Attachment


@dataclass(frozen=True, slots=True)
class ThreadInfo:
    id: int
    guild_id: int
    parent_id: int  # the forum or text channel the thread lives in
    name: str
    owner_id: int | None
    created_at: datetime
    tags: tuple[str, ...] = ()


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
