"""The reader connections a store reads on, shared by the bot's store and the web's read-only one.

Reads take the general readers in turn; searches have connections of their own (db/search.py), so a
slow search never gets ahead of a handler's read.
"""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import aiosqlite


class Readers:
    def __init__(
        self, path: Path, readers: list[aiosqlite.Connection], search_readers: list[aiosqlite.Connection] | None = None
    ) -> None:
        self.path = path
        self._readers = readers + (search_readers or [])
        self._next_reader = itertools.cycle(readers)
        self._next_search_reader = itertools.cycle(search_readers or readers)

    async def close_readers(self) -> None:
        for conn in self._readers:
            await conn.close()

    async def _fetchall(self, sql: str, params: tuple) -> list[sqlite3.Row]:
        return list(await next(self._next_reader).execute_fetchall(sql, params))

    async def _fetchone(self, sql: str, params: tuple) -> sqlite3.Row | None:
        rows = await self._fetchall(sql, params)
        return rows[0] if rows else None
