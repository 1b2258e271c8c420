"""The follow-ups in the store (bot/forum/followups.py), mixed into SqliteStore: nudges and archives
due, read in order from the partial indexes of migration 0015; the claim of a nudge and the marks of
what was done, as writer operations; the /unanswered pages."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial

from bot.forum.followups import (
    DueArchive,
    DueNudge,
    DueQuery,
    NudgeClaim,
    NudgeSent,
    UnansweredQuery,
    UnansweredRow,
    UnansweredSort,
)

from . import convert as cv
from . import followup_queries as fq
from .writer import Writer

_PAGES = {UnansweredSort.OLDEST: fq.UNANSWERED_OLDEST, UnansweredSort.VOTES: fq.UNANSWERED_VOTES}


class FollowupsStore:
    """Needs the store's `_fetchall` (reader connections) and `writer`."""

    _fetchall: Callable[[str, tuple | dict], Awaitable[list[sqlite3.Row]]]
    writer: Writer

    async def nudges_due(self, query: DueQuery) -> list[DueNudge]:
        rows = await self._fetchall(fq.NUDGES_DUE, _window(query))
        return [DueNudge(r["id"], r["guild_id"], r["channel_id"], r["author_id"], r["last_answer_id"]) for r in rows]

    async def claim_nudge(self, claim: NudgeClaim) -> int | None:
        return await self.writer.run_sync(partial(_claim_nudge, claim.question_id, cv.to_ms(claim.cutoff)))

    async def nudge_sent(self, sent: NudgeSent) -> None:
        params = {"id": sent.question_id, "answer": sent.answer_id, "message": sent.message_id}
        await self.writer.run_sync(partial(_execute, fq.NUDGE_SENT, params))

    async def nudge_message(self, question_id: int) -> int | None:
        rows = await self._fetchall(fq.NUDGE_MESSAGE, {"id": question_id})
        return rows[0]["nudge_message_id"] if rows else None

    async def nudge_closed(self, question_id: int, message_id: int) -> None:
        await self.writer.run_sync(partial(_execute, fq.NUDGE_CLOSED, {"id": question_id, "message": message_id}))

    async def archives_due(self, query: DueQuery) -> list[DueArchive]:
        rows = await self._fetchall(fq.ARCHIVES_DUE, _window(query))
        return [DueArchive(r["id"], r["guild_id"], r["channel_id"], cv.from_ms(r["accepted_at"])) for r in rows]

    async def archive_done(self, archive: DueArchive) -> None:
        params = {"id": archive.question_id, "accepted_at": cv.to_ms(archive.accepted_at)}
        await self.writer.run_sync(partial(_execute, fq.ARCHIVE_DONE, params))

    async def want_help(self, question_id: int, at: datetime) -> bool:
        return await self.writer.run_sync(partial(_execute, fq.HELP_WANTED, {"id": question_id, "at": cv.to_ms(at)}))

    async def unanswered(self, query: UnansweredQuery) -> list[UnansweredRow]:
        params = {"guild": query.guild_id, "channels": query.readable.as_json(), "tag": query.tag,
                  "limit": query.limit, "offset": query.offset}  # fmt: skip
        return [_row(r) for r in await self._fetchall(_PAGES[query.sort], params)]


def _window(query: DueQuery) -> dict:
    return {"guild": query.guild_id, "oldest": cv.to_ms(query.oldest), "cutoff": cv.to_ms(query.cutoff),
            "limit": query.limit}  # fmt: skip


def _row(r: sqlite3.Row) -> UnansweredRow:
    return UnansweredRow(
        r["id"], r["guild_id"], r["channel_id"], r["title"], r["author_id"], r["score"], tuple(json.loads(r["tags"])),
        cv.from_ms(r["created_at"]), cv.opt_dt(r["help_wanted_at"]), bool(r["answered"]), r["answers"],
    )  # fmt: skip


# -- write operations: run in the write process, inside a batch (db/batch.py)


def _claim_nudge(question_id: int, cutoff: int, conn: sqlite3.Connection) -> int | None:
    rows = conn.execute(fq.CLAIM_NUDGE, {"id": question_id, "cutoff": cutoff}).fetchall()  # the statement ends
    return rows[0][0] if rows else None


def _execute(sql: str, params: dict, conn: sqlite3.Connection) -> bool:
    return conn.execute(sql, params).rowcount > 0
