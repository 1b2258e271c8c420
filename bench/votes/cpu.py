"""Where a process's wall time went: on a CPU, waiting in the run queue for one, or neither (waiting
for input, a disk or a lock). On 2 shared cores this tells a client limited by its own work (on CPU
plus run queue close to the whole window) from one waiting for its sender.

Read from Linux's /proc/<pid>/task/<tid>/schedstat (nanoseconds on CPU, nanoseconds runnable but
waiting), summed over a process, its threads and its child processes (Quorum's write process).
Threads that ended inside the window are not counted; the ones that matter live as long as the phase.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Usage:
    cpu: float  # seconds on a CPU
    runq: float  # seconds runnable, waiting for a CPU

    def __sub__(self, other: Usage) -> Usage:
        return Usage(self.cpu - other.cpu, self.runq - other.runq)


class Window:
    """CPU use of the client (this process's tree) and of the sender between start and stop."""

    def __init__(self, sender_pid: int) -> None:
        self.pids = {"client": os.getpid(), "sender": sender_pid}
        self.start = {name: usage(pid) for name, pid in self.pids.items()}
        self.used: dict | None = None

    def stop(self) -> None:
        if self.used is None:
            now = {name: usage(pid) - self.start[name] for name, pid in self.pids.items()}
            self.used = {"cpu_s": now["client"].cpu, "runq_s": now["client"].runq, "sender_cpu_s": now["sender"].cpu}


def tree(pid: int) -> list[int]:
    """`pid` and its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in _tasks(p):
            try:
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                pass
    return out


def usage(pid: int) -> Usage:
    """CPU and run-queue time of `pid`'s whole tree so far (zero where /proc has no schedstat)."""
    cpu = runq = 0
    for p in tree(pid):
        for task in _tasks(p):
            try:
                on_cpu, waiting, _slices = (task / "schedstat").read_text().split()
            except (OSError, ValueError):
                continue
            cpu += int(on_cpu)
            runq += int(waiting)
    return Usage(cpu / 1e9, runq / 1e9)


def pin(cpu: int | None) -> None:
    """Pin the calling thread (and the threads and processes it starts afterwards) to one CPU."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


def env_cpu(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value else None


def _tasks(pid: int) -> list[Path]:
    try:
        return list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []
