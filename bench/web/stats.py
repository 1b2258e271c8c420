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
