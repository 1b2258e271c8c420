"""python -m bench.export [--db FILE] [--scale S]: how long `quorum export` takes and how much memory
it holds (DESIGN §5: 1M posts in < 60 s with flat memory, < 200 MB RSS).

Generates a forum with bench/generate.py first unless --db names one (`--scale 0.1`: 100k posts,
500k votes, 10k members). Then runs the real command, `python -m bot export --out FILE`, in a child
process, and reports its wall time, the child's peak RSS (resource.getrusage of the children: the
export process and its store's write process, whichever peaked higher) and the file's size.
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
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot", "export", "--out", str(out)], env=env, check=True,
                   stderr=subprocess.DEVNULL)  # fmt: skip
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(peak_kib / 1024, 1),
            "bytes": out.stat().st_size}  # fmt: skip


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
    generated_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = export_once(db, args.out)
    if generated_kib >= resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss:
        result["peak_rss_mb"] = "unknown: the generator's peak was higher (run again on the same --db)"
    print(json.dumps({"db": str(db), **result}))


if __name__ == "__main__":
    main()
