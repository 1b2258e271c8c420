"""The name book writes a name only when it differs from what it last wrote, remembers a bounded
number of names, and a rename touches only names already stored."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.forum.names import NameBook
from bot.forum.public import NameEntry

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class Store:
    def __init__(self) -> None:
        self.remembered: list[list[NameEntry]] = []
        self.renamed: list[list[NameEntry]] = []
        self.guilds: list[tuple[int, str]] = []

    async def remember_names(self, entries, at):
        self.remembered.append(list(entries))
        return len(self.remembered[-1])

    async def rename_known(self, entries, at):
        self.renamed.append(list(entries))
        return 0

    async def set_guild_name(self, guild_id, name, at):
        self.guilds.append((guild_id, name))
        return True


def user(uid: int, name: str) -> NameEntry:
    return NameEntry(1, "user", uid, name)


async def test_unchanged_names_cost_no_write():
    store = Store()
    book = NameBook(store, lambda: NOW)
    assert await book.learn([user(1, "Ann"), user(2, "Bo"), user(1, "Ann")]) == 2
    assert await book.learn([user(1, "Ann"), user(2, "Bo")]) == 0
    assert await book.learn([user(2, "Bob"), NameEntry(1, "role", 2, "Bo")]) == 2
    assert [len(batch) for batch in store.remembered] == [2, 2]
    assert await book.guild(1, "Server") and not await book.guild(1, "Server") and await book.guild(1, "New")
    assert store.guilds == [(1, "Server"), (1, "New")]


async def test_the_memory_is_bounded_and_renames_only_update():
    store = Store()
    book = NameBook(store, lambda: NOW, remembered=2)
    await book.learn([user(1, "A"), user(2, "B"), user(3, "C")])
    assert await book.learn([user(3, "C")]) == 0
    assert await book.learn([user(1, "A")]) == 1, "forgotten, so written again (idempotently)"
    assert await book.renamed([user(1, "Al")]) == 1 and store.renamed == [[user(1, "Al")]]
    assert await book.renamed([user(1, "Al")]) == 0
    assert store.remembered[-1] == [user(1, "A")], "a rename learns nobody new"
