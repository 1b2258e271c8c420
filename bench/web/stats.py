"""Percentiles and load average, shared by the phases."""

from __future__ import annotations

import math
import os


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (p in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summary_ms(seconds: list[float]) -> dict:
    """p50, p99 and max in milliseconds, with the sample count."""
    values = sorted(seconds)
    return {"n": len(values), "p50_ms": round(percentile(values, 50) * 1000, 2),
            "p99_ms": round(percentile(values, 99) * 1000, 2), "max_ms": round(values[-1] * 1000, 2)}  # fmt: skip


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def profile(pid: int, label: str):
    """BENCH_PYSPY=prefix[:seconds]: py-spy samples `pid` (all threads, raw stacks) into
    prefix-label.txt for that many seconds (default 8), without stopping it; None when unset."""
    import subprocess
    import sys
    import time

    spec = os.environ.get("BENCH_PYSPY")
    if not spec:
        return None
    prefix, _, seconds = spec.partition(":")
    py_spy = os.path.join(os.path.dirname(sys.executable), "py-spy")
    cmd = [py_spy, "record", "--pid", str(pid), "-r", "200", "-f", "raw", "-o", f"{prefix}-{label}.txt",
           "-d", seconds or "8", "--nonblocking"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # let it attach
    return proc
