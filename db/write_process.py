"""The bot's side of the write process (db/write_server.py): start it, send it batches, read its
answers, stop it. Used from the Writer's feeding thread; answers are read by a thread of its own.

The process answers batches in the order they were sent, so answers are matched to batches first in,
first out, and more than one batch may be in flight: the next one travels while the process commits
the current one.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.forum.errors import StoreUnavailable

from .batch import Op
from .connection import DatabaseUnusable
from .write_server import encode_frame, read_frame

# The project root, so `-m db.write_server` finds this package however the bot was started.
_ROOT = str(Path(__file__).resolve().parent.parent)
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0

# answered(token, kind, detail): kind "done" with [(ok, value or exception), ...], or "lost" with the
# exception that sank the whole batch. Called on the reading thread, once per batch, in order.
Answered = Callable[[object, str, Any], None]


class WriteProcessGone(StoreUnavailable):
    """The write process ended while a batch was in its hands: whether it committed is unknown.
    Callers see the storage as unavailable; catch-up repairs what the batch would have written."""


class WriteProcess:
    def __init__(self, path: Path, answered: Answered) -> None:
        self.path = path
        self._answered = answered
        self._proc: subprocess.Popen | None = None
        self._reading: threading.Thread | None = None
        self._in_flight: deque[tuple[object, object | None]] = deque()  # (token, progress)
        self._lock = threading.Lock()  # between sending a batch and the reader finding the process gone
        self._gone = True

    def start(self) -> None:
        """Start the process and wait until its connection is open: DatabaseUnusable if it cannot
        open the database, WriteProcessGone if it does not start. A process that ended is replaced."""
        if self._proc is not None:
            self.close()
        env = dict(os.environ)
        env.pop("DISCORD_TOKEN", None)  # the write process has no use for it
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
        proc = self._proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", "db.write_server", str(self.path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert proc.stdout is not None
        try:
            ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT)
            if not ready:
                raise EOFError
            kind, detail = read_frame(proc.stdout)
        except EOFError:
            self._kill()
            raise WriteProcessGone(f"the database write process did not start ({self._exit_status()})") from None
        if kind != "ready":
            self._kill()
            raise DatabaseUnusable(detail)
        self._gone = False
        self._reading = threading.Thread(target=self._read_answers, args=(proc,), name="quorum-db-write-read",
                                         daemon=True)  # fmt: skip
        self._reading.start()

    def send(self, token: object, ops: Sequence[Op], progress: object | None = None) -> None:
        """Hand a batch to the process; its answer comes to `answered(token, ...)`. Raises
        WriteProcessGone (and nothing is sent) when the process has already ended, and what pickle
        raises when the batch cannot travel (nothing is sent then either)."""
        frame = encode_frame((list(ops), progress))
        with self._lock:
            if self._gone:
                raise WriteProcessGone(f"the database write process is not running ({self._exit_status()})")
            self._in_flight.append((token, progress))
        try:
            self._proc.stdin.write(frame)
            self._proc.stdin.flush()
        except (BrokenPipeError, ValueError):  # ValueError: its stdin was closed by a stop
            pass  # the reader sees the process end and reports every batch in flight as lost

    def _read_answers(self, proc: subprocess.Popen) -> None:
        """The reading thread: one answer per batch, in the order the batches were sent."""
        try:
            while True:
                kind, detail = read_frame(proc.stdout)
                if kind == "progress":
                    progress = self._in_flight[0][1]
                    if progress is not None:
                        vars(progress).update(detail)  # read by a progress display; plain attributes
                    continue
                token, _ = self._in_flight.popleft()
                self._answered(token, kind, detail)
        except (EOFError, OSError, ValueError):
            pass
        with self._lock:
            self._gone = True
            lost = list(self._in_flight)
            self._in_flight.clear()
        if lost:
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
            error = WriteProcessGone(f"the database write process ended ({self._exit_status()})")
            for token, _ in lost:
                self._answered(token, "lost", error)

    def close(self) -> None:
        """Let the process finish the batches in hand and end (it ends when its stdin closes)."""
        proc = self._proc
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if self._reading is not None and self._reading is not threading.current_thread():
            self._reading.join(STOP_TIMEOUT)
        if proc.stdout is not None:
            proc.stdout.close()

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        self.close()

    def _exit_status(self) -> str:
        if self._proc is None:
            return "not started"
        code = self._proc.poll()
        return "still running" if code is None else f"exit code {code}"
