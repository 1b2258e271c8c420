"""The web server's store: reader connections only, on a database the bot keeps.

The web never writes and never migrates: the bot owns the schema. A database that is missing, or
older or newer than this code's schema, is refused in one line (DatabaseUnusable), so a web server
started before its bot says what to do instead of serving errors.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import aiosqlite

from bot.forum.models import Question
from bot.forum.public_site import Directory

from . import convert as cv
from . import queries as q
from .connection import DatabaseUnusable, open_reader, run_on_connection_thread
from .member_stats import MemberStatsStore
from .migrate import load_migrations
from .readers import Readers
from .search import SearchStore
from .search_budget import lower_priority
from .search_index import IndexFiles, IndexReader, index_root
from .search_index_queries import STORE_ID
from .thread_page import ThreadPageStore
from .web_directory import GUILD_NAME, HIDDEN_AMONG, NAMES_OF_KIND, WebDirectoryStore
from .web_lists import WebListsStore


class WebStore(Readers, SearchStore, MemberStatsStore, ThreadPageStore, WebDirectoryStore, WebListsStore):
    """The read mixins over reader connections; build it with `await open_web_store(path)`."""

    writer = None  # type: ignore[assignment]  # the web never writes: a write method fails at once

    async def close(self) -> None:
        await self.close_readers()

    async def get_question(self, thread_id: int) -> Question | None:
        row = await self._fetchone(q.GET_QUESTION, (thread_id,))
        return cv.question_from_row(row) if row else None

    async def directory(
        self, guild_id: int, *, users: Iterable[int], roles: Iterable[int] = (), channels: Iterable[int] = ()
    ) -> Directory:
        """Display names of the given members, roles and channels, which of the members hide from
        the web, and the guild's name, in one hop to a reader's thread (a page's names cost one round
        trip)."""
        ids = {"user": _json(users), "role": _json(roles), "channel": _json(channels)}

        def read(conn: sqlite3.Connection) -> Directory:
            cursor = conn.cursor()
            cursor.row_factory = None
            found: dict[str, dict[int, str]] = {}
            for kind, as_json in ids.items():
                rows = cursor.execute(NAMES_OF_KIND, (guild_id, kind, as_json)).fetchall() if as_json != "[]" else []
                found[kind] = dict(rows)
            hidden = {r[0] for r in cursor.execute(HIDDEN_AMONG, (guild_id, ids["user"])).fetchall()}
            guild = cursor.execute(GUILD_NAME, (guild_id,)).fetchone()
            return Directory(guild_id, found["user"], hidden, found["role"], found["channel"], guild and guild[0])

        return await run_on_connection_thread(next(self._next_reader), read)


def _json(ids: Iterable[int]) -> str:
    return json.dumps(sorted(set(ids)))


async def open_web_store(path: Path, readers: int = 2, *, search_readers: int = 1) -> WebStore:
    """Open reader connections on an existing database at this code's schema version."""
    if not path.is_file():  # noqa: ASYNC240 (one stat at start-up)
        raise DatabaseUnusable(f"no database at {path}: run the bot once to create it (or check DATABASE_URL)")
    latest = load_migrations()[-1].version
    opened: list[aiosqlite.Connection] = []
    try:
        for _ in range(max(1, readers) + max(0, search_readers)):
            opened.append(await open_reader(path))
        version = (await opened[0].execute_fetchall("PRAGMA user_version"))[0][0]
        if version < latest:
            raise DatabaseUnusable(
                f"the database {path} is at schema version {version}, older than this Quorum's {latest}: "
                "run the bot once to upgrade it"
            )
        if version > latest:
            raise DatabaseUnusable(
                f"the database {path} is at schema version {version}, newer than this Quorum knows ({latest}): "
                "upgrade Quorum"
            )
        for conn in opened[max(1, readers) :]:
            await run_on_connection_thread(conn, lower_priority)
    except BaseException:
        for conn in opened:
            await conn.close()
        raise
    general = max(1, readers)
    store = WebStore(path, opened[:general], opened[general:])
    store_id = (await opened[0].execute_fetchall(STORE_ID))[0][0]
    store.search_index = IndexReader(IndexFiles(index_root(path)), store_id)  # the bot keeps it
    return store
