"""The `quorum` command as a person runs it: exit codes and one clear line for bad configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"


def quorum(*args: str, cwd: Path, env: dict[str, str] | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "QUORUM_", "DATABASE_URL"))}
    clean["PYTHONPATH"] = str(ROOT)
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_run_without_token_exits_2_with_one_line(tmp_path):
    result = quorum("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN is not set" in one_line_error(result)


def test_no_subcommand_means_run(tmp_path):
    result = quorum(cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in one_line_error(result)


def test_malformed_token_is_not_echoed(tmp_path):
    secret = "definitely not a token but secret"
    result = quorum("run", cwd=tmp_path, env={"DISCORD_TOKEN": secret})
    assert result.returncode == 2
    assert secret not in result.stderr + result.stdout


def test_token_from_dotenv_file(tmp_path):
    (tmp_path / ".env").write_text("DISCORD_TOKEN=Bot abc\n")
    result = quorum("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "'Bot ' prefix" in one_line_error(result)


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"DATABASE_URL": "sqlite:///missing/dir/q.db"}, "does not exist"),
        ({"DATABASE_URL": "nonsense"}, "not a URL"),
        ({"QUORUM_DEV_GUILD": "abc"}, "numeric Discord id"),
    ],
)
def test_bad_configuration_exits_2(tmp_path, env, fragment):
    result = quorum("run", cwd=tmp_path, env={"DISCORD_TOKEN": TOKEN, **env})
    assert result.returncode == 2
    assert fragment in one_line_error(result)
    assert TOKEN not in result.stderr


def test_unwritable_database_directory_exits_2(tmp_path):
    # /proc/self is a directory nobody, root included, can create files in.
    result = quorum("run", cwd=tmp_path, env={"DISCORD_TOKEN": TOKEN, "DATABASE_URL": "sqlite:////proc/self/q.db"})
    assert result.returncode == 2, result.stderr
    assert "not writable" in one_line_error(result)


def test_bad_arguments_exit_2(tmp_path):
    result = quorum("export", "--guild", "abc", cwd=tmp_path)
    assert result.returncode == 2
    assert "numeric Discord id" in result.stderr


def test_a_file_that_is_not_a_database_exits_2(tmp_path):
    junk = tmp_path / "notes.db"
    junk.write_text("these are my notes, not a database\n" * 200)
    url = {"DATABASE_URL": f"sqlite:///{junk}"}
    for args, env in ((("export",), url), (("recount",), url), (("run",), {"DISCORD_TOKEN": TOKEN, **url})):
        result = quorum(*args, cwd=tmp_path, env=env)
        assert result.returncode == 2, (args, result.stderr)
        assert "not a usable SQLite database" in one_line_error(result)
    assert junk.read_text().startswith("these are my notes"), "the file was left as it was"


def test_a_database_from_a_newer_quorum_exits_2(tmp_path):
    import sqlite3

    db = tmp_path / "future.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 999")
    result = quorum("export", cwd=tmp_path, env={"DATABASE_URL": f"sqlite:///{db}"})
    assert result.returncode == 2, result.stderr
    assert "newer than this version of Quorum" in one_line_error(result)
