"""Keeps the search index caught up with the store, on a thread of its own.

The store journals every post whose searchable text or place changes (migration 0012). The indexer
reads the journal past the last change the index holds, writes those posts' current state to the
index and commits, with a marker document naming that change (search_engine.Marker) in the same
commit: after a crash of either, the index says exactly where to resume, and replaying a change
twice only writes the same document again. An index that is missing, unreadable, of another store
or version, or further behind than the journal keeps, is rebuilt from the posts in a new directory
while searches use the store's own full-text index; nothing here ever stops the bot.
"""

from __future__ import annotations

import fcntl
import json
import logging
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import tantivy

from . import search_engine as engine
from . import search_index_queries as iq
from .search_index import IndexFiles, IndexReader

log = logging.getLogger(__name__)

POLL = 0.1  # seconds between looks at the journal when it is quiet
BATCH = 2000  # changes per commit at most
RETRY = 1.0  # seconds before trying again after a failure (another process writes the index, disk full)
FOLLOW_HEAP = 50_000_000
BUILD_HEAP = 256_000_000
LOCK = "rebuild.lock"

Progress = Callable[[int, int], None]  # (posts indexed, posts in all)


class Stopped(Exception):
    pass


class Indexer:
    def __init__(self, database: Path, reader: IndexReader, *, poll: float = POLL) -> None:
        self.database = database
        self.reader = reader
        self.files = reader.files
        self.poll = poll
        self.seq = 0  # the last journal change the index holds
        self._name: str | None = None  # the index directory being written
        self._writer: tantivy.IndexWriter | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._progress = threading.Condition()  # notified whenever seq moves
        reader.follower = self

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="search-indexer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_for(self, seq: int, timeout: float) -> None:
        """Until the index holds journal change `seq`, or `timeout` seconds (from a search's thread).
        Not while there is no index to follow (it is being built: searches use the store's own)."""
        if self.seq >= seq or self._writer is None or self._thread is None or not self._thread.is_alive():
            return
        self._wake.set()
        with self._progress:
            self._progress.wait_for(lambda: self.seq >= seq, timeout)

    def _run(self) -> None:
        conn = _connect(self.database)
        try:
            while not self._stop.is_set():
                try:
                    if not self._step(conn):
                        self._wake.wait(self.poll)
                        self._wake.clear()
                except Stopped:
                    return
                except Exception as exc:  # the bot goes on; searches use the store's own index meanwhile
                    log.warning("search index: %s; trying again in %.0f s", _describe(exc), RETRY)
                    self._close_writer()
                    self._stop.wait(RETRY)
            self._drain(conn)
        finally:
            self._close_writer()
            conn.close()

    def _drain(self, conn: sqlite3.Connection) -> None:
        """On a clean stop, take in what the store committed last, so a web server left running
        alone has an index that is up to date."""
        if self._writer is None:
            return
        try:
            while self._step(conn):
                pass
        except Stopped:
            pass  # the index changed under it and would be rebuilt: the next start does that
        except Exception as exc:
            log.warning("search index: not caught up at stop (%s); the next start replays the rest", _describe(exc))

    def _step(self, conn: sqlite3.Connection) -> bool:
        """Index the next changes; False when there were none."""
        if self._writer is None or self.files.current_name() != self._name or self.reader.suspect == self._name:
            self._attach(conn)
        changes = conn.execute(iq.CHANGES_AFTER, (self.seq, BATCH)).fetchall()
        if not changes:
            return False
        assert self._writer is not None
        apply_changes(conn, self._writer, changes, self.reader.store_id)
        self._moved(changes[-1][0])
        return True

    def _attach(self, conn: sqlite3.Connection) -> None:
        """Open the current index for writing, rebuilding it first if it cannot be trusted."""
        self._close_writer()
        name, store_id = self.files.current_name(), self.reader.store_id
        found = None if self.reader.suspect == name else usable_index(conn, self.files, store_id, name)
        if found is None:
            self.reader.suspect = None
            found = build_index(conn, self.files, store_id, stopped=self._stop.is_set, reuse_other_than=(name,))
        self._name, index, marker = found
        self._writer = index.writer(FOLLOW_HEAP, 1)  # ValueError while another process writes it
        self._moved(marker.seq)

    def _moved(self, seq: int) -> None:
        with self._progress:
            self.seq = seq
            self._progress.notify_all()

    def _close_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            try:
                writer.wait_merging_threads()  # and lets go of the index's lock
            except Exception as exc:
                log.debug("search index: closing the writer: %s", exc)


def rebuild(database: Path, reader: IndexReader, progress: Progress | None = None) -> int:
    """Build a new index of every live post and make it current (`quorum reindex`); the number of
    posts indexed. An indexer running elsewhere on the same store moves to it by itself."""
    conn = _connect(database)
    try:
        _, index, _ = build_index(conn, reader.files, reader.store_id, progress=progress)
        return index.searcher().num_docs - 1  # the marker is a document too
    finally:
        conn.close()


Found = tuple[str, tantivy.Index, engine.Marker]  # an index directory's name, the index, its marker


def usable_index(conn: sqlite3.Connection, files: IndexFiles, store_id: str, name: str | None) -> Found | None:
    """The index `name` with its marker, if it belongs to this store and version and the journal
    still holds every change since its marker."""
    if name is None:
        return None
    path = files.root / name
    try:
        index = engine.open_index(path)
        marker = engine.read_marker(index.searcher())
    except (OSError, ValueError) as exc:
        log.warning("search index %s cannot be read (%s): rebuilding it", path.name, exc)
        return None
    newest, oldest = conn.execute(iq.JOURNAL_ENDS).fetchone()
    if marker is None or marker.store_id != store_id or marker.version != engine.VERSION:
        log.info("search index %s is of another store or version: rebuilding it", path.name)
        return None
    if marker.seq > newest or marker.seq < oldest - 1:
        log.info("search index %s is ahead of the store or too far behind it: rebuilding it", path.name)
        return None
    return name, index, marker


def build_index(
    conn: sqlite3.Connection, files: IndexFiles, store_id: str, *, progress: Progress | None = None,
    stopped: Callable[[], bool] = lambda: False, reuse_other_than: tuple[str | None] | None = None,
) -> Found:
    """Index every live post into a new directory and make it the current one. One build at a time
    over a store (a lock file). The indexer names the index it found wanting (`reuse_other_than`): if
    another process made a usable one current meanwhile, that one is used instead. Raises Stopped
    when `stopped()` turns true."""
    files.root.mkdir(parents=True, exist_ok=True)
    with open(files.root / LOCK, "w") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if stopped():
                    raise Stopped from None
                time.sleep(0.2)
        now = files.current_name()
        if reuse_other_than and now not in reuse_other_than and (found := usable_index(conn, files, store_id, now)):
            return found
        files.retire()  # searches use the store's own index until the new one is in
        return _build(conn, files, store_id, progress, stopped)


def _build(
    conn: sqlite3.Connection, files: IndexFiles, store_id: str, progress: Progress | None, stopped: Callable[[], bool]
) -> Found:
    started = time.monotonic()
    path = files.new_directory()
    index = engine.open_index(path, create=True)
    writer = index.writer(BUILD_HEAP, 2)
    conn.execute("BEGIN")  # one snapshot: the posts as of the journal's newest change
    try:
        newest, _ = conn.execute(iq.JOURNAL_ENDS).fetchone()
        total = conn.execute(iq.LIVE_POSTS).fetchone()[0]
        log.info("search index: building %s from %d posts", path.name, total)
        done = 0
        for row in conn.execute(iq.ALL_DOCS):
            writer.add_document(engine.document(_doc(row)))
            done += 1
            if done % 10_000 == 0:
                if stopped():
                    writer.rollback()
                    shutil.rmtree(path, ignore_errors=True)
                    raise Stopped
                if progress is not None:
                    progress(done, total)
    finally:
        conn.execute("COMMIT")
    marker = engine.Marker(newest, store_id)
    engine.mark(writer, marker)
    writer.commit()
    writer.wait_merging_threads()
    if progress is not None:
        progress(done, total)
    files.switch(path)
    log.info("search index: %s built from %d posts in %.1f s", path.name, done, time.monotonic() - started)
    index.reload()
    return path.name, index, marker


def apply_changes(conn: sqlite3.Connection, writer: tantivy.IndexWriter, changes: list, store_id: str) -> None:
    """Write the changed posts' current state (or their absence) and the marker, in one commit."""
    ids = list(dict.fromkeys(post_id for _, post_id in changes))
    docs = conn.execute(iq.DOCS_OF, (json.dumps(ids),)).fetchall()
    for post_id in ids:
        engine.forget(writer, post_id)
    for row in docs:
        writer.add_document(engine.document(_doc(row)))
    engine.mark(writer, engine.Marker(changes[-1][0], store_id))
    writer.commit()


def _doc(row) -> engine.PostDoc:
    return engine.PostDoc(*row[:5], bool(row[5]), row[6], row[7], tuple(json.loads(row[8])), *map(bool, row[9:12]))


def _connect(database: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
