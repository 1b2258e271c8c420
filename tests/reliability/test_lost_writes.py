"""Lost writes: when the database cannot be written (its write process killed with batches in hand,
a full disk), the events in flight are lost, but Discord still shows what happened. Quorum remembers
the threads they touched and catches them up once writes work again, without a restart; it logs the
failures once a minute with a count, not a traceback per event; and a member whose /vote could not be
saved is told so plainly (the bot runs as its own process, `python -m bot run`, with everything it
writes to its output kept)."""

from __future__ import annotations

import asyncio
import errno
import os
import random
import re
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from emulator import Emulator
from emulator.spec_check import default_spec_path
from tests.harness import eventually

from .members import Members
from .support import DOWN, UP, BotProcess, read_db
from .test_crash import agree, setup_forum

KILLS = 12
REPAIRED_WITHIN_S = 20.0
INFO = re.compile(r"^\S+ \S+ (INFO|DEBUG) ")  # a log line below WARNING
FS_BYTES = 8 * 1024 * 1024  # the test's own file system for the database: small enough to fill fast


def write_process_pid(bot: BotProcess) -> int:
    """The bot's write process (db/write_server.py), a child of the bot's process."""
    assert bot.proc is not None
    children = []
    for task in Path(f"/proc/{bot.proc.pid}/task").iterdir():
        children += (task / "children").read_text().split()
    for pid in children:
        if b"db.write_server" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return int(pid)
    raise AssertionError(f"no write process among the bot's children {children}")


async def wait_for_new_write_process(bot: BotProcess, old: int, timeout: float = 10.0) -> int:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            pid = write_process_pid(bot)
            if pid != old:
                return pid
        except (AssertionError, FileNotFoundError, ProcessLookupError):
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the write process was not started again:\n" + "\n".join(bot.output[-20:]))
        await asyncio.sleep(0.05)


async def said(bot: BotProcess, text: str, timeout: float = 5.0) -> None:
    """The bot logged `text` (its output is read as it comes)."""
    try:
        await eventually(lambda: _has(bot, text), timeout=timeout)
    except AssertionError:
        raise AssertionError(f"never logged {text!r}:\n" + "\n".join(bot.output[-30:])) from None


async def _has(bot: BotProcess, text: str) -> bool:
    return any(text in line for line in bot.output)


def tracebacks(lines: list[str]) -> list[str]:
    return [line for line in lines if "Traceback" in line]


async def test_killed_write_process_lost_events_are_repaired_without_a_restart(tmp_path):
    rng = random.Random(20261203)
    database = tmp_path / "q.db"
    emulator = Emulator(spec_path=default_spec_path())
    await emulator.start()
    bot = BotProcess(emulator, database, tmp_path)
    members = Members(emulator, rng)
    try:
        await bot.start()
        await emulator.wait_for(lambda: emulator.world.commands, message="commands never registered")
        await setup_forum(emulator)
        members.start()
        await asyncio.sleep(1.0)  # a few questions and answers to act on
        mine = members.ids[0]
        pid = write_process_pid(bot)
        for _ in range(KILLS):
            # Stop the write process, so the burst's first batches are certainly in its hands when
            # it is killed (a batch it had not answered yet is lost: it may or may not have committed).
            os.kill(pid, signal.SIGSTOP)
            threads = members.threads()
            tid = rng.choice(threads)
            answer = await emulator.post_message(mine, tid, "an answer whose event is lost")
            posts = [m for m in members.posts(tid) if m != tid and m != int(answer["id"])]
            await emulator.add_reaction(members.ids[1], tid, int(answer["id"]), UP)
            if posts:
                await emulator.delete_message(tid, rng.choice(posts))
            await asyncio.sleep(0.2)  # members go on acting: their events queue behind the stopped process
            os.kill(pid, signal.SIGKILL)
            pid = await wait_for_new_write_process(bot, pid)
            await asyncio.sleep(rng.uniform(0.1, 0.3))
        await members.stop()
        bot.assert_running()

        await agree(emulator, database, timeout=REPAIRED_WITHIN_S)  # no restart: the repair did it
        await said(bot, "The database takes writes again")
        assert tracebacks(bot.output) == [], "\n".join(bot.output[-60:])

        await bot.stop()
        await bot.start()  # and a restart with its catch-up keeps it so
        await agree(emulator, database)
    finally:
        await members.stop()
        await bot.stop()
        await emulator.stop()
    assert members.done["delete"] >= KILLS and members.done["vote"] > 20
    assert emulator.spec_violations == [] and emulator.unhandled == []


# ----- a full disk ---------------------------------------------------------------------------------


@pytest.fixture
def small_fs(tmp_path):
    """A tmpfs of FS_BYTES: a real file system that fills up (ENOSPC), as a full disk does."""
    where = tmp_path / "fs"
    where.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={FS_BYTES}", "tmpfs", str(where)],  # noqa: S603, S607
                            capture_output=True, text=True)  # fmt: skip
    if result.returncode != 0:
        pytest.skip(f"this test needs to mount a small tmpfs (root): {result.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)  # noqa: S603, S607


def fill(fs: Path, name: str) -> Path:
    """Take every free byte of the file system."""
    path = fs / name
    with open(path, "ab", buffering=0) as f:
        for size in (1 << 20, 1 << 16, 1 << 12, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
    return path


def status(database: Path, thread_id: int) -> str:
    conn = read_db(database)
    try:
        return conn.execute("SELECT status FROM questions WHERE id = ?", (thread_id,)).fetchone()[0]
    finally:
        conn.close()


async def slash(emulator, user_id: int, name: str, options: dict, channel_id: int | None = None) -> str:
    """A command run from the server's text channel (or `channel_id`); the bot's final (private) answer."""
    inter = await emulator.invoke_slash(user_id, channel_id or emulator.world.text_channel_id, name, options)
    await inter.wait_response()
    await emulator.wait_for(lambda: inter.followups or inter.response_type == 4, message="no answer")
    answer = inter.followups[-1] if inter.followups else inter.responses[0]["data"]
    assert answer["flags"] & 64, "answered privately"
    return answer["content"]


async def test_full_disk_is_said_once_told_plainly_and_repaired_when_space_returns(tmp_path, small_fs):
    fs = small_fs
    database = fs / "q.db"
    emulator = Emulator(spec_path=default_spec_path())
    await emulator.start()
    bot = BotProcess(emulator, database, tmp_path)
    w = emulator.world
    ids = [w.add_member(f"member{i}", _quiet=True) for i in range(4)]
    try:
        await bot.start()
        await emulator.wait_for(lambda: emulator.world.commands, message="commands never registered")
        await setup_forum(emulator)
        thread = await emulator.create_forum_post(ids[0], "How do I keep my disk from filling?", "it fills")
        tid = int(thread["id"])
        answers = [int((await emulator.post_message(ids[1 + i % 3], tid, f"answer {i}"))["id"]) for i in range(4)]
        await agree(emulator, database)

        # Full for every write: the WAL's own space (which SQLite reuses) is given back before filling.
        conn = sqlite3.connect(database, timeout=5)
        try:
            assert conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0, "checkpoint busy"
        finally:
            conn.close()
        filler = fill(fs, "filler")
        before = len(bot.output)

        # A burst while nothing can be written: new questions and answers, votes, a deletion, /vote.
        for i in range(10):
            await emulator.create_forum_post(ids[i % 4], f"Question while full {i}", f"body {i}")
        for i in range(20):
            await emulator.post_message(ids[i % 4], tid, f"answer while full {i}")
        for voter in ids[1:]:
            await emulator.add_reaction(voter, tid, answers[0], UP)
            await emulator.add_reaction(voter, tid, answers[1], DOWN)
        await emulator.delete_message(tid, answers[3])
        text = await slash(emulator, ids[0], "vote", {"message": str(answers[2]), "direction": "up"})
        assert text.startswith("Quorum could not save your vote right now (storage unavailable)"), text
        assert "does not count" in text and "try again in a minute" in text  # no reaction to find later
        # /accept pins first (Discord has it), then records: the pin is what the repair reads later.
        link = f"https://discord.com/channels/{w.guild_id}/{tid}/{answers[2]}"
        text = await slash(emulator, ids[0], "accept", {"message": link})
        assert "could not record the acceptance right now (storage unavailable)" in text, text
        assert "will be recorded from the pin once storage is back" in text and w.pinned_ids(tid) == [answers[2]]
        # /ask posts in Discord first: the member is told it is up and need not ask again.
        text = await slash(emulator, ids[2], "ask", {"title": "Asked while full", "body": "is it kept?"})
        assert text.startswith("Your question is up") and "no need to ask again" in text, text
        # A moderator's /lock: Discord has it, and Quorum mirrors a locked thread once writes work.
        text = await slash(emulator, w.members["mod"].id, "lock", {"reason": "cooling off"}, channel_id=tid)
        assert text.startswith("Done in Discord, but Quorum could not record it right now (storage unavailable)")
        await asyncio.sleep(2.0)  # the bot has tried every one of them

        during = bot.output[before:]
        assert tracebacks(during) == [], "\n".join(during[-40:])
        loud = [line for line in during if not INFO.search(line)]
        assert len(loud) <= 2, "a line per minute, not one per event:\n" + "\n".join(during)
        full = "The database cannot be written (database or disk is full)"
        assert any(full in line for line in loud), "\n".join(during)

        filler.unlink()  # space returns: without a restart, the store catches up with Discord
        await agree(emulator, database, timeout=REPAIRED_WITHIN_S)
        await said(bot, "The database takes writes again")
        assert status(database, tid) == "locked"

        await bot.stop()
        await bot.start()
        await agree(emulator, database)
        assert status(database, tid) == "locked"
    finally:
        await bot.stop()
        await emulator.stop()
    assert emulator.spec_violations == [] and emulator.unhandled == []
