"""python -m bench.import_bench [--db FILE] [--scale S]: `quorum export`, then `quorum import` of that
file into an empty store, then `quorum export` of the imported store: the time of each, the import's
peak memory, and whether the two exports are identical byte for byte (the round trip of issue 16).

Generates a forum with bench/generate.py first unless --db names one (`--scale 0.1`: 100k posts,
500k votes, 10k members). Each command runs as the real CLI in a child process. Run it under
`flock /tmp/quorum-bench.lock` so that no other benchmark shares the machine.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quorum(db: Path, *args: str) -> float:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot", *args], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)  # fmt: skip
    return round(time.perf_counter() - started, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="an existing forum (default: generate one)")
    parser.add_argument("--scale", type=float, default=0.1, help="for the generated forum: 1.0 = 1M posts")
    parser.add_argument("--dir", type=Path, default=Path("bench/out"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    db = args.db or args.dir / f"export-{args.scale:g}.db"
    if not db.exists():
        subprocess.run([sys.executable, "-m", "bench.generate", "--out", str(db), "--scale", str(args.scale)],
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)  # fmt: skip
    first, second = args.dir / "import-first.json", args.dir / "import-second.json"
    imported = args.dir / "imported.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{imported}{suffix}").unlink(missing_ok=True)
    export_seconds = quorum(db, "export", "--out", str(first))
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    import_seconds = quorum(imported, "import", str(first))
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak = round(peak_kib / 1024, 1) if peak_kib > before else "unknown (an earlier child peaked higher)"
    again_seconds = quorum(imported, "import", str(first))
    quorum(imported, "export", "--out", str(second))
    print(json.dumps({
        "db": str(db), "bytes": first.stat().st_size, "export_seconds": export_seconds,
        "import_seconds": import_seconds, "import_again_seconds": again_seconds,
        "import_peak_rss_mb": peak,
        "identical": filecmp.cmp(first, second, shallow=False),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
