"""The README's picture of a question page: `quorum demo --web` on a free port, its thread's page
photographed whole by Debian's Chromium (light, 1100 px wide), saved as docs/question-page.png.

    python docs/screenshot.py [--out PATH] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
URL_LINE = re.compile(r"^The thread on the web: (http://\S+)$")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "question-page.png")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    if not Path(args.chromium).is_file():
        print(f"no Chromium at {args.chromium} (apt-get install chromium)", file=sys.stderr)
        return 2
    demo = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--web", "--bind", "127.0.0.1:0"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = _page_url(demo)
        _photograph(url, args.out, args.chromium)
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=20)
    print(f"saved {args.out}")
    return 0


def _page_url(demo: subprocess.Popen) -> str:
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert demo.stdout is not None
        for line in demo.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    while (line := lines.get(timeout=60)) is not None:
        if match := URL_LINE.match(line):
            return match.group(1)
    raise SystemExit("the demo ended without printing its page's URL")


def _photograph(url: str, out: Path, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1100, "height": 800}, color_scheme="light")
            page = context.new_page()
            page.goto(url)
            page.screenshot(path=str(out), full_page=True)
        finally:
            browser.close()


if __name__ == "__main__":
    sys.exit(main())
