"""`quorum export`: the stored forum as JSON ("quorum-export/2", docs/export.md), to standard output
or a file.

The document is written as it is read, a page of questions at a time and every other list a page
at a time, from one snapshot of the store (db/export_reader.py): memory stays flat whatever the
forum's size. A large forum's questions are shaped in worker processes while the next pages are read
(bot/export_pages.py). Each question (and each row of the other lists) is one line of compact JSON.
`--out` writes a temporary file beside the target and renames it at the end, so the file named is
never half written.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import orjson

from bot.config import Settings
from bot.export_pages import WorkerPool, default_workers, shaped_pages
from bot.forum import exporting as ex
from bot.forum.archive import StoredMember
from bot.progress import with_progress
from db.export_reader import ExportSnapshot
from db.store import SqliteStore, open_store

SHOW_AFTER = 1.0  # seconds before a progress display appears: a small forum exports at once
# From how many posts the questions are shaped in worker processes: starting them takes ~0.3 s.
WORKERS_FROM_POSTS = 20_000


@dataclass
class ExportProgress:
    """What the export has written so far; the display reads it while the export runs."""

    posts: int = 0
    total: int = 0  # posts in the guilds exported
    questions: int = 0


def _dumps(value: Any) -> bytes:
    # Compact, UTF-8 as it is (no \u escapes but the ones JSON requires). orjson, not json.dumps: a
    # question with its votes is encoded 18 times as fast, and encoding was a sixth of the export.
    return orjson.dumps(value)


def _byte_writer(out: BinaryIO | TextIO) -> Callable[[bytes], Any]:
    """The document is made as UTF-8 bytes; a text stream (a StringIO in tests) gets them decoded."""
    if isinstance(out, io.TextIOBase):
        return lambda piece: out.write(piece.decode())
    return out.write


async def write_export(store: SqliteStore, out: BinaryIO | TextIO, guild_id: int | None = None,
                       progress: ExportProgress | None = None, *,
                       workers: int | None = None) -> ExportProgress:  # fmt: skip
    """Write the export to `out`: one guild's object when `guild_id` is given, else a list of every
    guild's object. `workers`: how many processes shape the questions (0: this one; None: one a
    core when the forum is large enough to be worth starting them)."""
    progress = progress or ExportProgress()
    write = _byte_writer(out)
    snapshot = await store.export_snapshot()
    pool = None
    try:
        guild_ids = [guild_id] if guild_id is not None else await snapshot.guild_ids()
        for gid in guild_ids:
            progress.total += await snapshot.post_count(gid)
        if workers is None:
            workers = default_workers() if progress.total >= WORKERS_FROM_POSTS else 0
        pool = WorkerPool(workers) if workers > 0 else None
        if guild_id is not None:
            await _write_guild(snapshot, guild_id, write, progress, pool)
        else:
            write(b"[")
            for n, gid in enumerate(guild_ids):
                write(b",\n" if n else b"\n")
                await _write_guild(snapshot, gid, write, progress, pool)
            write(b"\n]" if guild_ids else b"]")
        write(b"\n")
    finally:
        if pool is not None:
            pool.close()
        await snapshot.close()
    return progress


async def _write_guild(snapshot: ExportSnapshot, guild_id: int, write: Callable[[bytes], Any],
                       progress: ExportProgress, pool: WorkerPool | None) -> None:  # fmt: skip
    write(b'{"format":%b,"guild_id":%b' % (_dumps(ex.FORMAT), _dumps(str(guild_id))))
    write(b',\n"settings":' + _dumps(ex.settings_export(await snapshot.settings(guild_id))))
    write(b',\n"web":' + _dumps(ex.web_guild_export(await snapshot.web_guild(guild_id))))
    write(b',\n"web_channels":' + _dumps([ex.web_channel_export(c) for c in await snapshot.web_channels(guild_id)]))
    # Version 1's users: every member with a reputation counter, and everyone who asked, answered or
    # replied (bot/export_worker.py gathers them page by page).
    authors: set[int] = set()
    for key, deleted in (("questions", False), ("deleted_questions", True)):
        write(b',\n"%b":[' % key.encode())
        first = True
        async for page in shaped_pages(snapshot.thread_pages(guild_id, deleted=deleted), pool):
            write((b"\n" if first else b",\n") + page.lines)  # a page holds a question at least
            first = False
            authors.update(page.authors)
            progress.posts += page.posts
            progress.questions += page.questions
        write(b"]" if first else b"\n]")
    await _write_list(write, "users", _users(snapshot.members(guild_id), authors))
    await _write_list(write, "names", _shaped(snapshot.names(guild_id), ex.name_export))
    await _write_list(write, "web_privacy", _shaped(snapshot.web_privacy(guild_id), ex.web_privacy_export))
    await _write_list(write, "audit_log", _shaped(snapshot.audit_log(guild_id), ex.audit_export))
    write(b"}")


async def _write_list(write: Callable[[bytes], Any], key: str, pages: AsyncIterator[list[dict]]) -> None:
    write(b',\n"%b":[' % key.encode())
    first = True
    async for page in pages:
        for item in page:
            write((b"\n" if first else b",\n") + _dumps(item))
            first = False
    write(b"]" if first else b"\n]")


async def _shaped(pages: AsyncIterator[list], shape: Callable[[Any], dict]) -> AsyncIterator[list[dict]]:
    async for page in pages:
        yield [shape(row) for row in page]


async def _users(members: AsyncIterator[list[StoredMember]], authors: set[int]) -> AsyncIterator[list[dict]]:
    """Members with a counter and authors without one, merged in id order."""
    others = sorted(authors)
    i = 0
    async for page in members:
        shaped = []
        for member in page:
            while i < len(others) and others[i] < member.user_id:
                shaped.append(ex.user_export(others[i], None))
                i += 1
            if i < len(others) and others[i] == member.user_id:
                i += 1
            shaped.append(ex.user_export(member.user_id, member.reputation))
        yield shaped
    yield [ex.user_export(uid, None) for uid in others[i:]]


async def export_forum(store: SqliteStore, guild_id: int | None = None) -> list[dict]:
    """The export as Python objects, one per guild (for tests and small forums: it is held whole)."""
    buffer = io.BytesIO()
    await write_export(store, buffer, guild_id)
    document = json.loads(buffer.getvalue())
    return [document] if guild_id is not None else document


def progress_line(progress: ExportProgress, elapsed: float) -> str:
    percent = 100 * progress.posts // progress.total if progress.total else 100
    return f"export: {progress.posts:,} / {progress.total:,} posts ({percent}%, {elapsed:.0f} s)"


async def run_export(settings: Settings, out: BinaryIO, guild_id: int | None,
                     stream: TextIO | None = None) -> ExportProgress:  # fmt: skip
    progress = ExportProgress()
    store = await open_store(settings.database_path, readers=1, follow_search_index=False)
    try:
        return await with_progress(write_export(store, out, guild_id, progress),
                                   lambda elapsed: progress_line(progress, elapsed), stream or sys.stderr,
                                   show_after=SHOW_AFTER)  # fmt: skip
    finally:
        await store.close()


def export_command(settings: Settings, *, guild_id: int | None, out: str | None) -> int:
    if not settings.database_path.exists():
        print(f"quorum: no database at {settings.database_path} (check DATABASE_URL)", file=sys.stderr)
        return 2
    if not out:
        sys.stdout.flush()
        asyncio.run(run_export(settings, sys.stdout.buffer, guild_id))
        sys.stdout.buffer.flush()
        return 0
    target = Path(out)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb", buffering=1 << 20) as file:
            done = asyncio.run(run_export(settings, file, guild_id))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    print(f"Exported {done.questions:,} question(s), {done.posts:,} post(s) to {out}", file=sys.stderr)
    return 0
