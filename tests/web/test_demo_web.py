"""`quorum demo --web` as a newcomer runs it: the demo, then its thread's page served until Ctrl-C."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from bot.demo import QUESTION_TITLE, SCRIPT
from tests.web.helpers import json_ld

ROOT = Path(__file__).resolve().parents[2]
URL_LINE = re.compile(r"^The thread on the web: (http://127\.0\.0\.1:\d+/q/\d+/[a-z0-9-]+)$")


def start_quorum(*args: str, cwd: Path) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_URL", "QUORUM_WEB"))}
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def lines_of(process: subprocess.Popen) -> queue.Queue[str | None]:
    """Its standard output line by line (None at the end), so the test can wait with a timeout."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def wait_for_url(lines: queue.Queue[str | None], seen: list[str]) -> str:
    while (line := lines.get(timeout=60)) is not None:
        seen.append(line)
        if match := URL_LINE.match(line):
            return match.group(1)
    raise AssertionError("the demo ended without printing its page's URL:\n" + "\n".join(seen))


def test_demo_web_serves_the_thread_until_ctrl_c(tmp_path):
    process = start_quorum("demo", "--web", "--bind", "127.0.0.1:0", cwd=tmp_path)
    seen: list[str] = []
    try:
        url = wait_for_url(lines_of(process), seen)
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
            html = response.read().decode()
        assert "Q: How do I keep my bot's data when it restarts?" in "\n".join(seen), "the demo as before"
        assert "<title>How do I keep my bot&#39;s data when it restarts? - Quorum Test Server</title>" in html
        data = json_ld(html)
        assert data["@type"] == "QAPage" and data["mainEntity"]["name"] == QUESTION_TITLE
        assert data["mainEntity"]["answerCount"] == 2
        assert data["mainEntity"]["acceptedAnswer"]["author"]["name"] == "Carol"
        for _author, _reply_to, text in SCRIPT:
            assert text.replace("'", "&#39;") in html, text
        home = url.split("/q/")[0] + "/"
        with urllib.request.urlopen(home, timeout=10) as response:
            assert QUESTION_TITLE.replace("'", "&#39;") in response.read().decode()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0, process.stderr.read() if process.stderr else ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in (process.stderr.read() if process.stderr else "")
    assert list(tmp_path.iterdir()) == [], "the demo leaves no files behind"


def test_bind_without_web_is_refused(tmp_path):
    process = start_quorum("demo", "--bind", "127.0.0.1:0", cwd=tmp_path)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2 and "--bind goes with --web" in err
