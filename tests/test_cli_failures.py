"""Failures `quorum` states in one line, as a person running it sees them: exit 2 for what the
configuration must fix (a token Discord refuses, a database that cannot be opened, is damaged or
is already in use), exit 1 for the rest (no network), a traceback only at LOG_LEVEL=DEBUG.

The real command runs in a subprocess; where it needs Discord, the emulator serves it from this
test's event loop, so the subprocess is awaited, never waited for with the loop blocked.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from db.integrity import check_integrity
from tests.test_cli import ROOT, quorum

WRONG_TOKEN = "not-the-emulators-token"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "QUORUM_", "DATABASE_URL", "LOG_"))}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


async def start_quorum(*args: str, cwd: Path, **env: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=clean_env(**env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def finished(proc: asyncio.subprocess.Process, timeout: float = 30.0) -> tuple[int, str]:
    """The exit code and stderr; a process still running after `timeout` is killed and fails the test."""
    try:
        _, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        _, err = await proc.communicate()
        raise AssertionError(f"quorum was still running after {timeout} s: {err.decode()[-2000:]}") from None
    return proc.returncode, err.decode()


def failure_line(stderr: str) -> str:
    """The failure, said once in one line: the last line, the only one from `quorum:`, no traceback
    and no ERROR record repeating it (the log lines of a normal start may come before it)."""
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr, stderr
    assert not [line for line in lines if " ERROR " in line], stderr
    said = [line for line in lines if line.startswith("quorum:")]
    assert len(said) == 1 and lines[-1] == said[0], stderr
    return said[0]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens once it is closed


def test_version_prints_the_installed_version(tmp_path):
    result = quorum("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"quorum {version('quorum')}\n"


async def test_a_token_discord_refuses_is_one_line_and_exit_2(emulator, tmp_path):
    proc = await start_quorum("run", cwd=tmp_path, DISCORD_TOKEN=WRONG_TOKEN, DISCORD_API_BASE=emulator.api_base)
    code, err = await finished(proc)
    assert code == 2, err
    assert "Discord refused the token (401)" in failure_line(err)
    assert WRONG_TOKEN not in err
    assert [r for r in emulator.requests if r.path == "/users/@me" and r.status == 401], "the token was tried"


@pytest.mark.parametrize(
    ("base", "said"),
    [
        (f"http://127.0.0.1:{closed_port()}/api/v10", "connection refused"),
        ("http://quorum-nonexistent.invalid/api/v10", "quorum-nonexistent.invalid does not resolve"),
    ],
)
async def test_no_network_is_one_line_and_exit_1(tmp_path, base, said):
    proc = await start_quorum("run", cwd=tmp_path, DISCORD_TOKEN="token", DISCORD_API_BASE=base)
    code, err = await finished(proc)
    assert code == 1, err
    line = failure_line(err)
    assert "cannot reach Discord" in line and said in line, line
    # When debugging, the traceback is in the log as well.
    proc = await start_quorum("run", cwd=tmp_path, DISCORD_TOKEN="token", DISCORD_API_BASE=base, LOG_LEVEL="DEBUG")
    code, err = await finished(proc)
    assert code == 1 and "Traceback" in err and err.strip().splitlines()[-1] == line


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////proc/quorum.db",  # nobody, root included, can create a file in /proc
        "sqlite:////proc/self/quorum.db",
        "sqlite:///no/such/directory/quorum.db",
        "sqlite:////dev/null",
    ],
)
async def test_a_database_that_cannot_be_opened_is_one_line_and_exit_2(tmp_path, url):
    proc = await start_quorum("run", cwd=tmp_path, DISCORD_TOKEN="token", DISCORD_API_BASE="http://127.0.0.1:9/api",
                              DATABASE_URL=url)  # fmt: skip
    code, err = await finished(proc)
    assert code == 2, err
    assert "database" in failure_line(err).lower()


async def test_a_second_run_on_the_same_database_is_refused_naming_the_first(emulator, tmp_path):
    env = {"DISCORD_TOKEN": emulator.token, "DISCORD_API_BASE": emulator.api_base,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'quorum.db'}"}  # fmt: skip
    first = await start_quorum("run", cwd=tmp_path, **env)
    try:
        await emulator.wait_for(lambda: emulator.gateway_stats.identifies >= 1, timeout=30, message="not connected")
        # A second bot, and a catch-up (it connects too): both refused while the first runs.
        for args in (("run",), ("catchup",)):
            code, err = await finished(await start_quorum(*args, cwd=tmp_path, **env))
            assert code == 2, (args, err)
            line = failure_line(err)
            assert f"Another Quorum (pid {first.pid}) is already running on" in line, line
        assert emulator.gateway_stats.identifies == 1, "the refused ones never connected"
        # Read-only and store-only commands may run beside the bot.
        for args in (("export",), ("recount",), ("recount", "--fix"), ("check",)):
            code, err = await finished(await start_quorum(*args, cwd=tmp_path, **env))
            assert code == 0, (args, err)
        assert first.returncode is None, "the first bot still runs"
    finally:
        if first.returncode is None:
            first.send_signal(signal.SIGKILL)  # no clean stop: the OS alone releases the lock
        await first.communicate()
    # No stale lock after a kill -9: the next start connects.
    again = await start_quorum("run", cwd=tmp_path, **env)
    try:
        await emulator.wait_for(lambda: emulator.gateway_stats.identifies >= 2, timeout=30, message="not started")
    finally:
        again.send_signal(signal.SIGINT)
        code, err = await finished(again)
    assert code == 0, err


def generated_database(tmp_path: Path) -> Path:
    """A real Quorum database: 100 questions, 4k posts, 2k votes (8 MB)."""
    db = tmp_path / "forum.db"
    subprocess.run([sys.executable, "-m", "bench.generate", "--out", str(db), "--scale", "0.0005"], cwd=ROOT,
                   env=clean_env(), check=True, capture_output=True, timeout=60)  # fmt: skip
    return db


def damaged_database(tmp_path: Path) -> Path:
    """A real Quorum database with one page in the middle overwritten, as a failing disk would."""
    db = generated_database(tmp_path)
    with db.open("r+b") as f:
        f.seek(999 * 4096)
        f.write(b"\xaa" * 4096)
    return db


async def test_a_damaged_database_is_refused_at_start_with_what_to_do(tmp_path):
    db = damaged_database(tmp_path)
    before = db.read_bytes()
    env = {"DISCORD_TOKEN": "token", "DISCORD_API_BASE": f"http://127.0.0.1:{closed_port()}/api/v10",
           "DATABASE_URL": f"sqlite:///{db}"}  # fmt: skip
    for args in (("run",), ("check",)):
        code, err = await finished(await start_quorum(*args, cwd=tmp_path, **env))
        assert code == 2, (args, err)
        line = failure_line(err)
        assert f"The database {db} is damaged" in line and "restore it from a backup" in line, line
        assert "quorum export" in line, line
    assert db.read_bytes() == before, "nothing was written to it"


def test_the_start_up_check_is_bounded_in_time_and_quorum_check_is_not(tmp_path):
    db = generated_database(tmp_path)
    assert check_integrity(db).complete, "a small forum is checked whole at start-up"
    assert not check_integrity(db, budget=0.0).complete, "the budget stops it (then the start goes on)"
    result = quorum("check", cwd=tmp_path, env={"DATABASE_URL": f"sqlite:///{db}"})
    assert result.returncode == 0 and "is not damaged" in result.stdout, result.stderr


def test_an_id_beyond_64_bits_in_an_option_is_one_line_and_exit_2(tmp_path):
    db = tmp_path / "forum.db"
    db.touch()
    for guild in ("9" * 30, str(1 << 63), "1" * 5000):
        result = quorum("export", "--guild", guild, cwd=tmp_path, env={"DATABASE_URL": f"sqlite:///{db}"})
        assert result.returncode == 2, result.stderr
        assert "is not a numeric Discord id" in result.stderr and "Traceback" not in result.stderr
