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
import time
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.forum.importing import ImportRefused
from db.import_writes import ImportProgress, ImportSummary
from db.store import open_store

SHOW_AFTER = 1.0  # seconds before a progress display appears: a small file imports at once
TTY_EVERY = 0.2
PLAIN_EVERY = 5.0


class ProgressDisplay:
    """One line rewritten in place on a terminal, a plain line every few seconds otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.shown = False

    def show(self, progress: ImportProgress, elapsed: float) -> None:
        read, total = progress.bytes_read, progress.total_bytes
        percent = 100 * read // total if total else 100
        line = (f"import: {read / 1e6:,.0f} / {total / 1e6:,.0f} MB ({percent}%, {elapsed:.0f} s), "
                f"{progress.questions:,} questions, {progress.posts:,} posts")  # fmt: skip
        if progress.phase != "reading":
            line += f", {progress.phase}…"
        self.stream.write(f"\r{line}\x1b[K" if self.tty else line + "\n")
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown and self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


async def run_import(settings: Settings, source: Path, guild_id: int | None, size: int,
                     stream: TextIO | None = None) -> ImportSummary | ImportRefused:  # fmt: skip
    display = ProgressDisplay(stream or sys.stderr)
    progress = ImportProgress(total_bytes=size)
    store = await open_store(settings.database_path, readers=1, follow_search_index=False)
    try:
        task = asyncio.ensure_future(store.import_file(source, guild_id, progress))
        started = time.monotonic()
        every = TTY_EVERY if display.tty else PLAIN_EVERY
        # Quiet while it is quick; then a line at each interval until it is done.
        done, _ = await asyncio.wait({task}, timeout=SHOW_AFTER)
        while not done:
            display.show(progress, time.monotonic() - started)
            done, _ = await asyncio.wait({task}, timeout=every)
        display.done()
        return task.result()
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
