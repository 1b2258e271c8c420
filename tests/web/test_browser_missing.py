"""Without Chromium the browser tests say in one line that they did not run and how to run them;
where they must run (QUORUM_REQUIRE_BROWSER=1, as in CI) they fail instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_browser_tests(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "QUORUM_REQUIRE_BROWSER"}
    clean["QUORUM_CHROMIUM"] = str(tmp_path / "no-chromium-here")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-ra", "tests/web/test_browser.py"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_chromium_the_browser_tests_are_skipped_in_one_line(tmp_path):
    result = run_browser_tests(tmp_path)
    assert result.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, result.stdout + result.stderr  # alone: 5
    skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 1, result.stdout
    assert "browser tests did not run" in skipped[0] and "apt-get install chromium" in skipped[0]


def test_without_chromium_the_browser_tests_fail_where_they_must_run(tmp_path):
    result = run_browser_tests(tmp_path, QUORUM_REQUIRE_BROWSER="1")
    assert result.returncode == pytest.ExitCode.INTERRUPTED, result.stdout + result.stderr  # a collection error
    assert "the browser tests must run here (QUORUM_REQUIRE_BROWSER=1)" in result.stdout, result.stdout
    assert "apt-get install chromium" in result.stdout
