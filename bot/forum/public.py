"""What the public web may show: the consent rules, without Discord or SQL.

A question is public when its questions channel is published (by a member with Manage Server, or an
operator's `quorum publish`) and Discord lets @everyone view that channel and read its history. A
member who chose `/privacy web show:off` appears under a stable anonymous name, never with their text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

HIDDEN_TEXT = "hidden at the author's request"
HIDDEN_MENTION = "someone"

_ADJECTIVES = (
    "Amber", "Bold", "Brave", "Bright", "Calm", "Clever", "Cosmic", "Crimson", "Curious", "Daring", "Eager",
    "Gentle", "Golden", "Happy", "Honest", "Humble", "Jolly", "Keen", "Kind", "Lively", "Lucky", "Mellow",
    "Misty", "Modest", "Nimble", "Noble", "Patient", "Plucky", "Polite", "Proud", "Quick", "Quiet", "Rapid",
    "Rustic", "Sandy", "Silent", "Silver", "Sleepy", "Snowy", "Solar", "Steady", "Sunny", "Swift", "Tidy",
    "Tranquil", "Velvet", "Vivid", "Wandering", "Warm", "Wise", "Witty", "Zesty",
)  # fmt: skip
_ANIMALS = (
    "Albatross", "Badger", "Beaver", "Bison", "Crane", "Dolphin", "Falcon", "Ferret", "Finch", "Fox", "Gecko",
    "Heron", "Ibis", "Jaguar", "Koala", "Lemur", "Lynx", "Marten", "Meerkat", "Mole", "Moose", "Narwhal",
    "Newt", "Ocelot", "Otter", "Owl", "Panda", "Pelican", "Penguin", "Puffin", "Quokka", "Rabbit", "Raven",
    "Robin", "Salmon", "Seal", "Sparrow", "Stoat", "Swan", "Tapir", "Tern", "Tortoise", "Toucan", "Walrus",
    "Weasel", "Wombat", "Wren", "Yak", "Zebra",
)  # fmt: skip


def anonymous_name(guild_id: int, user_id: int) -> str:
    """An adjective and an animal, the same for a member within a guild, unrelated across guilds and
    not reversible to the member's id by anyone without a list of the guild's members."""
    digest = hashlib.blake2b(f"{guild_id}:{user_id}".encode(), digest_size=8, person=b"quorum-anon").digest()
    n = int.from_bytes(digest, "big")
    return f"{_ADJECTIVES[n % len(_ADJECTIVES)]} {_ANIMALS[(n // len(_ADJECTIVES)) % len(_ANIMALS)]}"


@dataclass(frozen=True, slots=True)
class WebChannel:
    """A questions channel as the web sees it."""

    guild_id: int
    channel_id: int
    published: bool
    everyone_can_read: bool | None  # None: the bot has not looked yet
    published_by: int | None = None
    published_at: datetime | None = None

    @property
    def public(self) -> bool:
        return self.published and self.everyone_can_read is True


@dataclass(frozen=True, slots=True)
class NameEntry:
    """A display name as Discord showed it: kind is 'user', 'role' or 'channel'."""

    guild_id: int
    kind: str
    id: int
    name: str
