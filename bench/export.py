"""python -m bench.export [--db FILE] [--scale S]: how long `quorum export` takes and how much memory
it holds (DESIGN §5: 1M posts in < 60 s with flat memory, < 200 MB RSS).

Generates a forum with bench/generate.py first unless --db names one (`--scale 0.1`: 100k posts,
500k votes, 10k members). Then runs the real command, `python -m bot export --out FILE`, in a child
process, and reports its wall time, its CPU time (user + sys of it and every process it started),
its peak RSS summed over its processes (the export, its store's write process, its workers and
multiprocessing's resource tracker; read from /proc every 50 ms) with the export process's own
peak beside it, and the file's size.
Run it under `flock /tmp/quorum-bench.lock` so that no other benchmark shares the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def export_once(db: Path, out: Path) -> dict:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "bot", "export", "--out", str(out)], env=env,
                             stderr=subprocess.DEVNULL)  # fmt: skip
    peak_kib = peak_main_kib = 0
    while child.poll() is None:
        total, main = _tree_rss_kib(child.pid)
        peak_kib, peak_main_kib = max(peak_kib, total), max(peak_main_kib, main)
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if child.returncode:
        raise SystemExit(f"quorum export failed (exit code {child.returncode})")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(peak_kib / 1024, 1),
            "peak_rss_export_process_mb": round(peak_main_kib / 1024, 1), "bytes": out.stat().st_size}  # fmt: skip


def _tree_rss_kib(root: int) -> tuple[int, int]:
    """RSS of `root` and every process under it, and of `root` alone, in KiB (Linux's /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{name}/statm") as f:
                rss[int(name)] = int(f.read().split()[1]) * page_kib
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        children.setdefault(parent, []).append(int(name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total, rss.get(root, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="an existing forum (default: generate one)")
    parser.add_argument("--scale", type=float, default=0.1, help="for the generated forum: 1.0 = 1M posts")
    parser.add_argument("--out", type=Path, default=Path("bench/out/export.json"))
    args = parser.parse_args()
    db = args.db
    if db is None:
        db = Path(f"bench/out/export-{args.scale:g}.db")
        if not db.exists():
            # In a child too, so that the generator's memory is not counted as the export's.
            subprocess.run([sys.executable, "-m", "bench.generate", "--out", str(db), "--scale", str(args.scale)],
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = export_once(db, args.out)
    print(json.dumps({"db": str(db), **result}))


if __name__ == "__main__":
    main()
