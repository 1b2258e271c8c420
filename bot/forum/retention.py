"""How long the store keeps what it no longer needs (issue 16).

Deleted text: a deleted post keeps its text, and a deleted question its title, for the moderators'
`/history` for `deleted_days` (QUORUM_DELETED_RETENTION_DAYS); then that text and every revision of
it become PURGED, a fixed marker rather than an empty string, so `/history` says what happened. The
fact of the deletion stays: the post, its author, score and deletion time.

Departed guilds: when the bot is removed from a guild (kicked, or the guild deleted; an outage is no
departure), the time is recorded (a guild missing from the bot's guilds at start was left while it
was away: its time is then); when it is back (added again, or the guild is there at start) the
record goes. `guild_days` (QUORUM_GUILD_RETENTION_DAYS) after the departure, everything of that guild
is deleted from the store. Until then `quorum export --guild` still has it all.

One periodic run (`Retention.run`) does both, in one write of the store, which then makes the text
leave the database files as an erasure does (db/retention.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

PURGED = "text purged after the retention period"


@dataclass(frozen=True, slots=True)
class RetentionPeriods:
    deleted_days: int = 30
    guild_days: int = 30


DEFAULT_PERIODS = RetentionPeriods()


@dataclass(frozen=True, slots=True)
class PurgeRequest:
    at: datetime  # now
    deleted_before: datetime  # deleted text older than this goes
    left_before: datetime  # guilds left before this go
    # Every guild the bot is in (one process runs all shards): never purged, whatever their record
    # says; with `infer_absent`, a stored guild not among them was left while the bot was away, and
    # its period starts.
    present: frozenset[int]
    infer_absent: bool = True


@dataclass(frozen=True, slots=True)
class Purged:
    posts: int = 0  # deleted posts whose text became PURGED
    revisions: int = 0  # revisions (of bodies and titles) whose text became PURGED
    titles: int = 0  # deleted questions whose title became PURGED
    guilds: tuple[int, ...] = ()  # guilds whose every row was deleted
    absent: tuple[int, ...] = ()  # stored guilds the bot is not in, recorded as departed by this run

    @property
    def anything(self) -> bool:
        return bool(self.posts or self.revisions or self.titles or self.guilds)


class RetentionStore(Protocol):
    async def record_departure(self, guild_id: int, at: datetime) -> None: ...
    async def clear_departures(self, guild_ids: Iterable[int]) -> int: ...
    async def departures(self) -> dict[int, datetime]: ...
    async def purge_expired(self, request: PurgeRequest) -> Purged: ...
    async def get_meta(self, key: str) -> str | None: ...
    async def set_meta(self, key: str, value: str) -> None: ...


OWNER_KEY = "retention:application"  # the bot application whose guild list says which guilds were left


class Retention:
    def __init__(self, store: RetentionStore, clock: Callable[[], datetime], periods: RetentionPeriods) -> None:
        self.store = store
        self.clock = clock
        self.periods = periods

    async def guild_left(self, guild_id: int) -> None:
        """The bot was removed from the guild (not an outage)."""
        await self.store.record_departure(guild_id, self.clock())

    async def guilds_present(self, guild_ids: Iterable[int]) -> int:
        """The bot is in these guilds (joined again, or there at start): their data is kept."""
        return await self.store.clear_departures(guild_ids)

    async def run(self, present: Iterable[int], application_id: int | None = None) -> Purged:
        """Purge what is past its period. `present`: every guild the bot is in now (an unavailable
        one too), each one's departure record cleared rather than acted on; any other guild the
        store knows counts as left (now, unless its departure is recorded already) — but only when
        the bot is the application that stored the data (the first one to run this): a database
        opened by another bot (a new token, a test bot) would otherwise see every guild as left."""
        infer = True
        if application_id is not None:
            owner = await self.store.get_meta(OWNER_KEY)
            if owner is None:
                await self.store.set_meta(OWNER_KEY, str(application_id))
            infer = owner in (None, str(application_id))
        now = self.clock()
        return await self.store.purge_expired(PurgeRequest(
            at=now,
            deleted_before=now - timedelta(days=self.periods.deleted_days),
            left_before=now - timedelta(days=self.periods.guild_days),
            present=frozenset(present),
            infer_absent=infer,
        ))  # fmt: skip


def describe_purged(purged: Purged) -> str:
    guilds = f", {len(purged.guilds)} departed server(s): {', '.join(map(str, purged.guilds))}" if purged.guilds else ""
    return (f"purged the text of {purged.posts} deleted post(s), {purged.revisions} revision(s) and "
            f"{purged.titles} deleted question title(s){guilds}")  # fmt: skip
