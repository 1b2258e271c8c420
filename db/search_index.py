"""Where the search index lives, and the side that searches it.

Beside the database `forum.db` lies `forum.db-search/`: numbered index directories and a file
CURRENT naming the one in use. A rebuild fills a new directory and then replaces CURRENT (a rename,
so a reader sees the old name or the new one, never half of it); a reader in any process notices
the change at its next search and opens the new one. No CURRENT means no usable index: searches
then go to the store's own full-text index (db/search.py) until the indexer has built one.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Protocol

import tantivy

from . import search_engine as engine

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
PREFIX = "index-"
FRESH_WAIT = 0.25  # seconds a search waits for this process's indexer to take in the latest writes
STALE_AFTER = 2.0  # seconds an index may stay behind the store without moving before it is passed over


def index_root(database: Path) -> Path:
    return database.with_name(database.name + "-search")


class IndexFiles:
    def __init__(self, root: Path) -> None:
        self.root = root

    def current_name(self) -> str | None:
        try:
            return (self.root / CURRENT).read_text().strip() or None
        except FileNotFoundError:
            return None

    def current(self) -> Path | None:
        name = self.current_name()
        return self.root / name if name else None

    def new_directory(self) -> Path:
        """An empty directory, numbered after every one there."""
        self.root.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name[len(PREFIX) :]) for p in self.root.glob(PREFIX + "*") if p.name[len(PREFIX) :].isdigit()]
        path = self.root / f"{PREFIX}{max(numbers, default=0) + 1:06d}"
        path.mkdir()
        return path

    def switch(self, path: Path) -> None:
        """Make `path` the index in use (durably), then remove every other index directory: readers
        that still have one open keep its files until they let go (they are only unlinked)."""
        temporary = self.root / (CURRENT + ".new")
        with open(temporary, "w") as f:
            f.write(path.name + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.root / CURRENT)
        _fsync_directory(self.root)
        for other in self.root.glob(PREFIX + "*"):
            if other != path:
                shutil.rmtree(other, ignore_errors=True)

    def retire(self) -> None:
        """No index is usable (searches use the store's own) until the next switch."""
        (self.root / CURRENT).unlink(missing_ok=True)


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Follower(Protocol):
    def wait_for(self, seq: int, timeout: float) -> None: ...


class IndexReader:
    """The current index of one store, for searches (any thread, any process). `searcher()` is None
    while there is no usable one: none built yet, one of another store or version, or one left
    behind the store with nobody catching it up (the bot is down: then the store's own index is
    exact, if slower)."""

    def __init__(self, files: IndexFiles, store_id: str) -> None:
        self.files = files
        self.store_id = store_id
        self.follower: Follower | None = None  # this process's indexer, if it runs one
        self._lock = threading.Lock()
        self._name: str | None = None
        self._index: tantivy.Index | None = None
        self._failed: str | None = None  # the name that would not open (logged once)
        self._behind: tuple[int, float] | None = None  # (marker seq, since when) while behind the store
        self.suspect: str | None = None  # the index a search failed on: the indexer rebuilds it

    def searcher(self, newest: int) -> tantivy.Searcher | None:
        """A searcher over the current index, `newest` being the store's latest journal change: this
        process's indexer is given a moment to take it in, so a member finds what they just wrote."""
        if self.follower is not None:
            self.follower.wait_for(newest, FRESH_WAIT)
        name = self.files.current_name()
        with self._lock:
            if name != self._name:
                self._name, self._index, self._behind = name, self._open(name), None
            index = self._index
        if index is None:
            return None
        try:
            index.reload()  # tens of microseconds when nothing changed; picks up the indexer's commits
            searcher = index.searcher()
            marker = engine.read_marker(searcher)
        except (OSError, ValueError) as exc:  # its files went away or broke under it
            self.damaged(exc)
            return None
        return searcher if marker is not None and self._fresh(marker.seq, newest) else None

    def _fresh(self, seq: int, newest: int) -> bool:
        """Caught up, or behind but moving (an indexer is at work)."""
        with self._lock:
            if seq >= newest:
                self._behind = None
                return True
            now = time.monotonic()
            if self._behind is None or self._behind[0] != seq:
                self._behind = (seq, now)
            return now - self._behind[1] < STALE_AFTER

    def damaged(self, exc: Exception) -> None:
        """A search on the index failed: stop using it until CURRENT changes (the indexer rebuilds)."""
        log.warning("search index %s failed (%s): searching the store's own index until it is rebuilt", self._name, exc)
        with self._lock:
            self._index = None
            self.suspect = self._name

    def _open(self, name: str | None) -> tantivy.Index | None:
        if name is None:
            return None
        try:
            index = engine.open_index(self.files.root / name)
            marker = engine.read_marker(index.searcher())
        except (OSError, ValueError) as exc:
            if self._failed != name:
                log.warning("search index %s cannot be read (%s)", name, exc)
                self._failed = name
            self.suspect = name  # the indexer, if this process runs it, rebuilds it
            return None
        if marker is None or marker.store_id != self.store_id or marker.version != engine.VERSION:
            return None  # the indexer replaces it
        return index
