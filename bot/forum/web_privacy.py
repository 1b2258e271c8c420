"""A member's choice for the web (`/privacy web show:on|off`), per server: shown by their name, or under a
stable anonymous name with their text withheld (bot/forum/public.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .public import HIDDEN_MENTION, HIDDEN_TEXT, anonymous_name


class PrivacyStore(Protocol):
    async def web_hidden(self, guild_id: int, user_id: int) -> bool: ...
    async def set_web_hidden(self, guild_id: int, user_id: int, hidden: bool, at: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class WebChoice:
    guild_id: int
    user_id: int
    hidden: bool

    @property
    def anonymous_name(self) -> str:
        return anonymous_name(self.guild_id, self.user_id)


class WebPrivacy:
    def __init__(self, store: PrivacyStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    async def choice(self, guild_id: int, user_id: int) -> WebChoice:
        return WebChoice(guild_id, user_id, await self.store.web_hidden(guild_id, user_id))

    async def choose(self, guild_id: int, user_id: int, *, hidden: bool) -> WebChoice:
        await self.store.set_web_hidden(guild_id, user_id, hidden, self.clock())
        return WebChoice(guild_id, user_id, hidden)


def describe_choice(choice: WebChoice, *, changed: bool) -> str:
    """What `/privacy` tells the member."""
    anonymous = f"**{choice.anonymous_name}**"
    if choice.hidden:
        first = "Done: on" if changed else "On"
        return (
            f"{first} this server's public web pages your posts appear under the name {anonymous}, without an "
            f'avatar, their text replaced by "{HIDDEN_TEXT}", and mentions of you read "@{HIDDEN_MENTION}". '
            "`/privacy web show:on` shows them under your name again."
        )
    first = "Done: on" if changed else "On"
    return (
        f"{first} this server's public web pages (for the channels its admins publish) your posts appear "
        f"under your name. `/privacy web show:off` hides you there: you would appear as {anonymous}, with the "
        "text of your posts withheld."
    )
