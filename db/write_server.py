"""The write process: owns the database's only write connection and commits the batches the bot's
Writer sends it (`python -m db.write_server PATH`, started by db/write_process.py).

Why a process of its own: Python's sqlite3 releases the GIL while SQLite works and must take it back
after every statement. In the bot's process the event loop holds the GIL while discord.py parses a
burst of gateway events, so each of a vote's statements waited for it, and the writer ran at a
fraction of SQLite's speed (bench/RESULTS.md, "Vote ingestion"). Here nothing competes for the GIL.

Protocol on stdin/stdout: frames of a 4-byte big-endian length and a pickle.
  <- ("ready", None) once the connection is open, or ("error", message) and exit 1
  -> (ops, progress): a batch; `progress` is None or an object whose attributes a long operation
     updates (see RecountProgress in db/votes.py)
  <- ("progress", attributes) every PROGRESS_EVERY seconds while such a batch runs
  <- ("done", [(ok, value or exception), ...]) once committed, or ("lost", exception) when the
     batch as a whole did not commit; a storage failure travels as StoreUnavailable (db/unavailable.py)
End of stdin (the bot closed the store, or died) ends the process once the batch in hand is done.
"""

from __future__ import annotations

import pickle
import signal
import sqlite3
import struct
import sys
import threading
from pathlib import Path
from typing import Any, BinaryIO

from .batch import run_batch
from .checkpointer import Checkpointer
from .connection import connect_writer
from .unavailable import classified

HEADER = struct.Struct(">I")
PROGRESS_EVERY = 0.2


def encode_frame(message: Any) -> bytes:
    """Raises what pickle raises (TypeError, AttributeError, PicklingError) for what cannot travel."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def write_frame(stream: BinaryIO, message: Any) -> None:
    stream.write(encode_frame(message))
    stream.flush()


def read_frame(stream: BinaryIO) -> Any:
    """The next message, or EOFError when the other side has gone."""
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        raise EOFError
    size = HEADER.unpack(head)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def portable(exc: BaseException) -> BaseException:
    """The exception itself if it survives pickling, else a RuntimeError that says what it was."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


class _Reply:
    """Frames to the bot, from the batch and from the progress thread, never interleaved."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, message: Any) -> None:
        with self._lock:
            write_frame(self._stream, message)


def _report_progress(reply: _Reply, progress: object, stop: threading.Event) -> None:
    while not stop.wait(PROGRESS_EVERY):
        reply.send(("progress", dict(vars(progress))))


def _serve_batch(raw: sqlite3.Connection, reply: _Reply, ops: list, progress: object | None) -> None:
    if progress is not None:
        # A long operation (a recount) was given the progress object: bind the copy it will update.
        ops = [_with_progress(op, progress) for op in ops]
        stop = threading.Event()
        reporter = threading.Thread(target=_report_progress, args=(reply, progress, stop), daemon=True)
        reporter.start()
    try:
        results = run_batch(raw, ops)
    except Exception as exc:
        reply.send(("lost", portable(classified(exc))))
        return
    finally:
        if progress is not None:
            stop.set()
            reporter.join()
            reply.send(("progress", dict(vars(progress))))  # where it ended
    results = [(ok, v if ok else classified(v)) for ok, v in results]
    try:
        reply.send(("done", results))
    except Exception:  # a value or an exception that does not pickle: say so for that operation only
        reply.send(("done", [_sendable(ok, v) for ok, v in results]))


def _with_progress(op, progress: object):
    return lambda conn: op(conn, progress=progress)


def _sendable(ok: bool, value: Any) -> tuple[bool, Any]:
    if isinstance(value, BaseException):
        return ok, portable(value)
    try:
        pickle.dumps(value)
    except Exception:
        return False, RuntimeError(f"the write operation's result cannot be sent back: {value!r}")
    return ok, value


def serve(path: Path, stdin: BinaryIO, stdout: BinaryIO) -> int:
    reply = _Reply(stdout)
    try:
        raw = connect_writer(path)
    except (ValueError, sqlite3.Error) as exc:
        reply.send(("error", str(exc)))
        return 1
    try:
        checkpointer = Checkpointer(path)
    except (ValueError, sqlite3.Error, OSError) as exc:
        raw.close()
        reply.send(("error", f"{path}: the checkpointing connection could not be opened: {exc}"))
        return 1
    # Checkpoints are the checkpointer's (db/checkpointer.py says why), not the commits'.
    raw.execute("PRAGMA wal_autocheckpoint = 0")
    checkpointer.start()
    reply.send(("ready", None))
    try:
        while True:
            try:
                ops, progress = read_frame(stdin)
            except EOFError:
                return 0
            _serve_batch(raw, reply, ops, progress)
            if checkpointer.finish_due():  # after the answer: its callers are not kept waiting
                checkpointer.finish(raw)
    except BrokenPipeError:
        return 0  # the bot is gone; whatever it was told is already durable
    finally:
        checkpointer.close()
        raw.close()


def main() -> int:
    # The bot decides when this process ends (by closing its stdin). A Ctrl-C or a service manager's
    # SIGTERM reaches the whole process group: the bot handles it and closes the store, which lets
    # the batch in hand commit and the process end cleanly instead of dying mid-batch.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return serve(Path(sys.argv[1]), sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    sys.exit(main())
