"""`quorum import FILE [--guild ID]`: load an export ("quorum-export/2", docs/export.md) into the store
named by DATABASE_URL, an empty one or one that already holds the guild. No Discord connection.

The whole file is imported in one transaction of the store's writer (db/import_writes.py), so a bot
running on the same database only waits for it, and a file refused halfway leaves nothing behind: one
line on stderr and exit 2. A database created for the import is removed again when the file is
refused. The bot's search indexer picks the imported posts up from the store's journal when it runs.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.forum.import_rows import ImportRefused
from bot.progress import with_progress
from db.import_writes import ImportProgress, ImportSummary
from db.store import open_store

SHOW_AFTER = 1.0  # seconds before a progress display appears: a small file imports at once


def progress_line(progress: ImportProgress, elapsed: float) -> str:
    read, total = progress.bytes_read, progress.total_bytes
    percent = 100 * read // total if total else 100
    line = (f"import: {read / 1e6:,.0f} / {total / 1e6:,.0f} MB ({percent}%, {elapsed:.0f} s), "
            f"{progress.questions:,} questions, {progress.posts:,} posts")  # fmt: skip
    return line if progress.phase == "reading" else f"{line}, {progress.phase}…"


async def run_import(settings: Settings, source: Path, guild_id: int | None, size: int,
                     stream: TextIO | None = None) -> ImportSummary | ImportRefused:  # fmt: skip
    progress = ImportProgress(total_bytes=size)
    store = await open_store(settings.database_path, readers=1, follow_search_index=False)
    try:
        return await with_progress(store.import_file(source, guild_id, progress),
                                   lambda elapsed: progress_line(progress, elapsed), stream or sys.stderr,
                                   show_after=SHOW_AFTER)  # fmt: skip
    finally:
        await store.close()


def report(summary: ImportSummary) -> str:
    guilds = ", ".join(str(g) for g in summary.guilds) or "none"
    s = summary
    return (f"Imported guild {guilds}: {s.questions_added:,} question(s) and {s.posts_added:,} post(s) added, "
            f"{s.questions_updated:,} question(s) and {s.posts_updated:,} post(s) updated, "
            f"{s.votes_written:,} vote(s) and {s.other_rows:,} other row(s) written; {s.rows_kept:,} row(s) "
            f"left as stored (the store's were as new or newer).")  # fmt: skip


def import_command(settings: Settings, *, file: str, guild_id: int | None) -> int:
    source = Path(file).resolve()
    try:
        with source.open("rb"):
            size = source.stat().st_size
    except OSError as exc:
        print(f"quorum: cannot read {file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    database = settings.database_path
    created = not database.exists()
    result = asyncio.run(run_import(settings, source, guild_id, size))
    if isinstance(result, ImportRefused):
        if created:  # the database was made for this import: nothing of it stays either
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
        print(f"quorum: {file} cannot be imported: {result.message}", file=sys.stderr)
        return 2
    print(report(result))
    return 0
