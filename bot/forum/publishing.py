"""Publishing questions channels on the web, and keeping what Discord lets @everyone read.

Who may publish is decided by the adapter from Discord (Manage Server, from the member's roles);
this module takes the answer as data, writes the choice with its audit entry, and says what
happened in words. A published channel is public only while @everyone may view it and read its
history (bot/forum/public.py), which the adapter reports whenever Discord changes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .errors import BadInput, NotAllowed
from .models import AuditEntry
from .public import WebChannel

PUBLISH_ACTION = "web publish"
UNPUBLISH_ACTION = "web unpublish"
WEB_ACTIONS = (PUBLISH_ACTION, UNPUBLISH_ACTION)
OPERATOR = 0  # the audit log's actor for `quorum publish`, which no member runs


class PublishingStore(Protocol):
    async def web_channel(self, channel_id: int) -> WebChannel | None: ...
    async def web_channels(self, guild_id: int) -> list[WebChannel]: ...
    async def unchecked_web_channels(self) -> list[WebChannel]: ...
    async def set_channel_published(
        self, guild_id: int, channel_id: int, published: bool, actor_id: int | None, at: datetime,
        audit: AuditEntry | None = None,
    ) -> None: ...  # fmt: skip
    async def set_channel_readable(
        self, guild_id: int, channel_id: int, everyone_can_read: bool, at: datetime
    ) -> bool: ...


@dataclass(frozen=True, slots=True)
class Published:
    """What a publish or unpublish did. `readable` is None when nobody has looked yet (the CLI)."""

    guild_id: int
    channel_id: int
    published: bool
    was_published: bool
    readable: bool | None

    @property
    def public(self) -> bool:
        return self.published and self.readable is True


class Publishing:
    def __init__(self, store: PublishingStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    async def publish(
        self, guild_id: int, channel_id: int, publish: bool, *, actor_id: int | None, manages_server: bool,
        readable: bool | None,
    ) -> Published:  # fmt: skip
        """Publish (or not) a channel, as `actor_id` (None: an operator's `quorum publish`), recording
        what @everyone may read there when the caller knows it (the bot does; the CLI does not)."""
        if actor_id is not None and not manages_server:
            raise NotAllowed("Only members with the Manage Server permission can publish channels on the web.")
        before = await self.store.web_channel(channel_id)
        if before is not None and before.guild_id != guild_id:
            raise BadInput(f"Channel {channel_id} belongs to server {before.guild_id}, not {guild_id}.")
        at = self.clock()
        action = PUBLISH_ACTION if publish else UNPUBLISH_ACTION
        audit = AuditEntry(guild_id, OPERATOR if actor_id is None else actor_id, action, channel_id, None, at)
        if readable is not None:  # first, so a channel is never public on a stale readability
            await self.store.set_channel_readable(guild_id, channel_id, readable, at)
        await self.store.set_channel_published(guild_id, channel_id, publish, actor_id, at, audit)
        known = readable if readable is not None else (before.everyone_can_read if before else None)
        return Published(guild_id, channel_id, publish, bool(before and before.published), known)

    async def record_readable(self, guild_id: int, channel_id: int, readable: bool) -> bool:
        """What Discord lets @everyone do in the channel now; True when that changed what was stored."""
        return await self.store.set_channel_readable(guild_id, channel_id, readable, self.clock())

    async def tracked(self, guild_id: int, questions_channel_id: int | None) -> set[int]:
        """The channels whose readability the web needs: every channel ever published or looked at, and
        the questions channel."""
        channels = {c.channel_id for c in await self.store.web_channels(guild_id)}
        if questions_channel_id is not None:
            channels.add(questions_channel_id)
        return channels

    async def is_tracked(self, guild_id: int, channel_id: int, questions_channel_id: int | None) -> bool:
        if channel_id == questions_channel_id:
            return True
        known = await self.store.web_channel(channel_id)
        return known is not None and known.guild_id == guild_id

    async def unchecked(self) -> list[WebChannel]:
        """Channels published where the bot was not looking (`quorum publish`): to look at now."""
        return await self.store.unchecked_web_channels()


def publish_reply(outcome: Published, channel: str, public_url: str | None) -> str:
    """What the member who ran `/quorum web` reads; `channel` is how to name the channel."""
    if not outcome.published:
        if not outcome.was_published:
            return f"{channel} was not published on the web, and still is not."
        return f"{channel} is no longer published: its pages are gone from the web."
    again = " (it already was)" if outcome.was_published else ""
    lines = [f"{channel} is published on the web{again}: its questions get a public page each."]
    if outcome.readable is not True:
        lines.append(
            f"@everyone cannot view {channel} or read its history, so its pages stay hidden until they can "
            "(Discord's channel permissions: View Channel and Read Message History)."
        )
    if public_url:
        lines.append(f"This server's questions: {public_url}/g/{outcome.guild_id}")
    return "\n".join(lines)


def operator_line(outcome: Published) -> str:
    """The one line `quorum publish` prints."""
    where = f"channel {outcome.channel_id} of guild {outcome.guild_id}"
    if not outcome.published:
        return f"Unpublished {where}: its pages are gone from the web."
    if outcome.readable is True:
        return f"Published {where}: the bot has seen that @everyone can read it, so its pages are on the web."
    if outcome.readable is False:
        return (f"Published {where}, but the bot has seen that @everyone cannot view it or read its history: "
                "its pages stay hidden until they can.")  # fmt: skip
    return (
        f"Published {where}. Its pages show once the bot has confirmed that @everyone can view the channel "
        "and read its history, which it does at its next start, or at once if it is running."
    )
