"""WAL checkpoints off the commit path: a thread of the write process (db/write_server.py).

Why: with SQLite's automatic checkpoint, the commit that takes the WAL past 1000 pages also copies
them into the database file and syncs it, and every write queued behind that commit waits. At 1k
votes/s that happened several times a second and set the commit latency's p99 at 32-48 ms
(bench/RESULTS.md, "Commit latency"). Here the writer connection's automatic checkpoint is off and:

- every TICK this thread runs a PASSIVE checkpoint on a connection of its own: it copies the WAL's
  new pages into the database file while the writer goes on committing. When the writer was idle
  meanwhile (the common case for a forum), the checkpoint reaches the end of the WAL, SQLite syncs
  the database file, and the WAL starts over at the next commit: nothing else is needed.
- under a steady stream of commits the checkpoint never reaches the end, so SQLite leaves the copied
  pages unsynced in the page cache. Syncing them in one go stalls the writer's own WAL syncs for
  tens of milliseconds on a virtual disk, so this thread writes them back a chunk at a time with a
  pause between chunks (sync_file_range, Linux), leaving the disk free for the WAL in between.
- once the WAL holds more than `wal_limit` pages, this thread catches up (checkpoint and write-back
  without pauses, until a round copies only a few hundred pages), then sets `restart_wanted`; the
  writer, between two batches, runs `finish`: a checkpoint of what is left, which reaches the end
  (nothing else writes then) and lets the WAL start over. So the WAL stays bounded, and under a
  sustained 1k votes/s the writer stops for 10-20 ms every ~5 s instead of 30-100 ms several times
  a second (measured: bench/RESULTS.md).
- this thread runs at the CPU's idle priority (SCHED_IDLE, Linux), which also gives its writes the
  disk's idle class: whenever a thread of the bot or the writer wakes up, it takes the CPU from this
  one at once. A checkpoint's copying is several milliseconds of CPU every few tenths of a second,
  and at normal priority it delayed the writer on a 2-core machine: at idle priority the votes
  over 5 ms about halved (bench/RESULTS.md, "the checkpointing thread at idle priority"). Such a
  thread gets no CPU while every core is busy, so when it has made no progress for `stalled_after`
  seconds the writer runs `finish` by itself after a batch: the WAL stays bounded under any load.
Durability is SQLite's own: nothing here skips a sync that SQLite would do; the write-back only
does earlier, in small pieces, what the final sync would have done at once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

from .connection import connect_writer

log = logging.getLogger(__name__)

TICK = 0.1  # seconds between checkpoints
REPORT_EVERY = 60.0  # seconds between log lines while checkpoints keep failing
# ~128 MiB of WAL at 4 KiB pages: about 5 s of votes at 1k/s, and the most disk the WAL then takes.
WAL_LIMIT_PAGES = 32768
PAGE = 4096
# Write-back chunks: large enough that a whole database is covered in a few hundred calls, small
# enough that each holds only a few dirty pages (a chunk is sized for about 4 of the pages copied).
MIN_CHUNK, MAX_CHUNK = 256 * 1024, 64 * 1024 * 1024
PAUSE = 0.002  # after a chunk that had pages to write: the disk's turn for the WAL
# Catch-up rounds before the finish: at most CATCH_UP_ROUNDS, until one copies FINISH_PAGES or fewer,
# so that the writer's finish has few pages to copy and sync. The writer stops for the finish, so
# its pages cost more than the rounds' (which it does not wait for): at idle priority 3 rounds and 300
# pages left finishes of 8-16 ms; 6 and 150 cut the slow votes around the finishes to a third.
CATCH_UP_ROUNDS = 6
FINISH_PAGES = 150
_SLOW_CALL = 0.0002  # a call that took longer than this wrote something
STALLED_AFTER = 2.0  # seconds without a checkpoint or write of this thread: then the writer finishes

_SYNC_FILE_RANGE_ALL = 1 | 2 | 4  # WAIT_BEFORE | WRITE | WAIT_AFTER


def _find_sync_file_range():
    """libc's sync_file_range where there is one (Linux), else None: then the final sync does all."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fn = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_sync_file_range = _find_sync_file_range()


def _lower_priority() -> None:
    """The calling thread to the idle CPU priority (and so the idle I/O class), where there is one."""
    idle = getattr(os, "SCHED_IDLE", None)
    if idle is None:
        return
    try:
        os.sched_setscheduler(0, idle, os.sched_param(0))  # 0: this thread, not the whole process
    except OSError as exc:
        log.warning("The checkpointing thread keeps its normal priority: %s", exc)


def checkpoint(conn: sqlite3.Connection) -> tuple[bool, int, int]:
    """A PASSIVE checkpoint: (busy, pages in the WAL, pages of it now in the database file)."""
    busy, wal_pages, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return bool(busy), wal_pages, copied


class Checkpointer:
    def __init__(
        self, path: Path, *, tick: float = TICK, wal_limit: int = WAL_LIMIT_PAGES, stalled_after: float = STALLED_AFTER
    ) -> None:
        self._tick = tick
        self._wal_limit = wal_limit
        self._stalled_after = stalled_after
        self._progress_at = time.monotonic()  # this thread's last checkpoint or write, or a finish
        # The write connection's settings: a checkpoint syncs as the writer's commits do.
        self._conn = connect_writer(path)
        self._fd = os.open(path, os.O_RDONLY)
        self._copied = 0  # WAL pages in the database file as of the last checkpoint
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="quorum-db-checkpoint", daemon=True)
        self.restart_wanted = threading.Event()  # the writer should run `finish` between batches
        self.restarts = 0  # finishes that let the WAL start over (for tests and benchmarks)
        self._said_at: float | None = None  # when a failure was last logged

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._conn.close()
        os.close(self._fd)

    def finish_due(self) -> bool:
        """Whether the writer should run `finish` after its batch: this thread asked for it, or it
        has made no progress for `stalled_after` seconds (no CPU for it, or its checkpoints failing)."""
        return self.restart_wanted.is_set() or time.monotonic() - self._progress_at > self._stalled_after

    def finish(self, writer: sqlite3.Connection) -> None:
        """On the writer's connection, between batches: copy the pages left and let the WAL start
        over at the next commit. Busy (this thread is checkpointing) or held back by a reader's
        snapshot: `restart_wanted` stays set and the next batch's end tries again."""
        self._progress_at = time.monotonic()  # a stalled thread: one finish per `stalled_after`
        try:
            busy, wal_pages, copied = checkpoint(writer)
        except sqlite3.Error as exc:  # the batches are committed either way; the WAL just grows meanwhile
            self._failed("WAL checkpoint on the write connection failed; trying again after the next batch", exc)
            return
        if not busy and copied == wal_pages:
            self.restart_wanted.clear()
            self.restarts += 1

    def _run(self) -> None:
        _lower_priority()
        while not self._stop.wait(self._tick):
            try:
                self.step()
            except Exception as exc:  # never let the thread die: the WAL would then grow without bound
                self._failed(f"WAL checkpoint failed; trying again every {self._tick:.1f} s", exc)

    def _failed(self, what: str, exc: Exception) -> None:
        """Said once a minute, not at every tick: a full disk fails every checkpoint (a traceback
        only at DEBUG). The bot's side reports the writes it could not make (bot/forum/repair.py)."""
        now = time.monotonic()
        if self._said_at is None or now - self._said_at >= REPORT_EVERY:
            self._said_at = now
            log.warning("%s: %s", what, exc)
        log.debug("%s", what, exc_info=exc)

    def step(self) -> None:
        """One checkpoint and the write-back of what it copied. Once the WAL is over its limit,
        catch up before asking the writer to finish, so that the finish has little left to do."""
        new, wal_pages = self._checkpoint_and_write_back(PAUSE)
        if wal_pages <= self._wal_limit or self.restart_wanted.is_set():
            return
        # Each round copies and writes back what was committed during the previous one; without
        # the pauses a round is short, so the rounds shrink fast.
        for _ in range(CATCH_UP_ROUNDS):
            if new <= FINISH_PAGES:
                break
            new, _ = self._checkpoint_and_write_back(0.0)
        self.restart_wanted.set()

    def _checkpoint_and_write_back(self, pause: float) -> tuple[int, int]:
        """(WAL pages this checkpoint copied, pages in the WAL)."""
        busy, wal_pages, copied = checkpoint(self._conn)
        self._progress_at = time.monotonic()
        if busy or wal_pages < 0:
            return 0, 0
        # A WAL that started over counts from 0 again.
        new = copied - self._copied if copied >= self._copied else copied
        self._copied = copied
        if new:
            self._write_back(new, pause)
        return new, wal_pages

    def _write_back(self, pages: int, pause: float) -> None:
        if _sync_file_range is None:
            return
        size = os.fstat(self._fd).st_size
        chunk = min(MAX_CHUNK, max(MIN_CHUNK, size * 4 // pages // PAGE * PAGE))
        for offset in range(0, size, chunk):
            if self._stop.is_set():
                return
            started = time.perf_counter()
            _sync_file_range(self._fd, offset, chunk, _SYNC_FILE_RANGE_ALL)
            self._progress_at = time.monotonic()  # a long write-back is progress, not a stall
            if pause and time.perf_counter() - started > _SLOW_CALL:
                time.sleep(pause)
