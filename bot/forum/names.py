"""Display names for the web, learnt as Discord shows them: the web shows names, never raw ids.

Names come with every mirrored message (its author and what it mentions), so most are unchanged
each time: what was last written is remembered here and an unchanged name costs no write. Votes
never come here (reactions carry no names worth a write on the hot path).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Protocol

from .public import NameEntry

REMEMBERED = 100_000  # names kept in memory; one forgotten costs one idempotent write when seen again
Key = tuple[int, str, int]


class NameStore(Protocol):
    async def remember_names(self, entries: Iterable[NameEntry], at: datetime) -> int: ...
    async def rename_known(self, entries: Iterable[NameEntry], at: datetime) -> int: ...
    async def set_guild_name(self, guild_id: int, name: str, at: datetime) -> bool: ...


class NameBook:
    def __init__(self, store: NameStore, clock: Callable[[], datetime], *, remembered: int = REMEMBERED) -> None:
        self.store = store
        self.clock = clock
        self.remembered = remembered
        self._written: OrderedDict[Key, str] = OrderedDict()  # least recently seen first
        self._guilds: dict[int, str] = {}

    def _new(self, entries: Iterable[NameEntry]) -> list[NameEntry]:
        fresh: dict[Key, NameEntry] = {}
        for entry in entries:
            if not entry.name:
                continue
            key = (entry.guild_id, entry.kind, entry.id)
            if self._written.get(key) == entry.name:
                self._written.move_to_end(key)
            else:
                fresh[key] = entry  # the last one seen wins within a message
        return list(fresh.values())

    def _wrote(self, entries: list[NameEntry]) -> None:
        for entry in entries:
            key = (entry.guild_id, entry.kind, entry.id)
            self._written[key] = entry.name
            self._written.move_to_end(key)
        while len(self._written) > self.remembered:
            self._written.popitem(last=False)

    async def learn(self, entries: Iterable[NameEntry]) -> int:
        """Store the names that differ from what was last written; returns how many were sent."""
        fresh = self._new(entries)
        if fresh:
            await self.store.remember_names(fresh, self.clock())
            self._wrote(fresh)
        return len(fresh)

    async def renamed(self, entries: Iterable[NameEntry]) -> int:
        """A member or role renamed: update the names already stored, learn no new ones (a member
        nobody has seen post or mentioned stays out of the web's directory)."""
        fresh = self._new(entries)
        if not fresh:
            return 0
        await self.store.rename_known(fresh, self.clock())
        for entry in fresh:  # known or not, the stored name (if any) is now this one
            key = (entry.guild_id, entry.kind, entry.id)
            if key in self._written:
                self._written[key] = entry.name
        return len(fresh)

    async def guild(self, guild_id: int, name: str) -> bool:
        if not name or self._guilds.get(guild_id) == name:
            return False
        await self.store.set_guild_name(guild_id, name, self.clock())
        self._guilds[guild_id] = name
        return True
