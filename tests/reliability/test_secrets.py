"""Secrets: the bot runs as its own process with a recognisable token at DEBUG, works (setup,
questions, answers, votes, a pin, a failing Discord call with a traceback, a clean stop), then
`quorum export` and `quorum catchup` run too; the token appears nowhere anything was written: their
output, the database, its WAL and shared memory, the export, any file in the working directory."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from urllib.parse import quote

from emulator import Emulator
from emulator.spec_check import default_spec_path
from tests.harness import eventually

from .support import UP, BotProcess, read_db

SECRET = "s3cr3t-HMAC-part-do-not-log-7f3a9c2e1d5b"
TOKEN = f"MTQ0NDQ0NDQ0NDQ0NDQ0NA.QuOrUm.{SECRET}"


def forms(token: str) -> list[bytes]:
    """The token as it could leak: whole, its secret part, URL-quoted, in UTF-16 (SQLite can store that)."""
    texts = [token, SECRET, quote(token, safe="")]
    return [t.encode() for t in texts] + [t.encode("utf-16-le") for t in texts]


async def run_cli(proc_env: dict, cwd: Path, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=proc_env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode, out.decode(errors="replace")


async def test_the_token_is_nowhere_the_bot_wrote(tmp_path):
    emulator = Emulator(token=TOKEN, spec_path=default_spec_path())
    await emulator.start()
    database = tmp_path / "q.db"
    bot = BotProcess(emulator, database, tmp_path, log_level="DEBUG")
    w = emulator.world
    ids = {n: w.members[n].id for n in ("alice", "mod", "bob", "carol", "dave")}
    try:
        await bot.start()
        await emulator.wait_for(lambda: w.commands)
        setup = await emulator.invoke_slash(ids["alice"], w.text_channel_id, "quorum setup",
                                            {"channel": w.forum_channel_id})  # fmt: skip
        await setup.wait_response()
        options = {"title": "Where is my token used?", "body": "Asking for a friend."}
        asked = await emulator.invoke_slash(ids["bob"], w.text_channel_id, "ask", options)
        await emulator.wait_for(lambda: asked.followups)
        [tid] = [t for t, c in w.threads.items() if c["name"] == "Where is my token used?"]
        answer = await emulator.post_message(ids["carol"], tid, "Only in the Authorization header.")
        await eventually(lambda: _count(database, "SELECT count(*) FROM posts WHERE id = ?", int(answer["id"])))
        await emulator.add_reaction(ids["dave"], tid, int(answer["id"]), UP)
        await emulator.pin(ids["mod"], tid, int(answer["id"]))
        # A Discord call that fails unexpectedly: the bot logs a traceback (with discord.py's request
        # details) and tells the member a reference.
        emulator.faults.fail("POST", rf"^/channels/{w.forum_channel_id}/threads$", 400, 0, "Injected failure")
        broken = await emulator.invoke_slash(ids["bob"], w.text_channel_id, "ask",
                                             {"title": "This one breaks", "body": "On purpose."})  # fmt: skip
        await emulator.wait_for(lambda: broken.followups)
        assert "reference" in broken.followups[-1]["content"]

        await eventually(lambda: _count(database, "SELECT count(*) FROM votes WHERE value = ?", 1))
        assert await bot.stop() == 0
        env = bot.env()
        code, catchup_out = await run_cli(env, tmp_path, "catchup")
        assert code == 0, catchup_out
        code, export_out = await run_cli(env, tmp_path, "export")
        assert code == 0 and "Where is my token used?" in export_out
        code, _ = await run_cli(env, tmp_path, "export", "--out", str(tmp_path / "export.json"))
        assert code == 0
    finally:
        await bot.stop()
        await emulator.stop()

    written = {"bot output": "\n".join(bot.output).encode(), "catchup output": catchup_out.encode(),
               "export output": export_out.encode()}  # fmt: skip
    for path in tmp_path.rglob("*"):
        if path.is_file():
            written[str(path.relative_to(tmp_path))] = path.read_bytes()
    assert {"q.db", "export.json"} <= written.keys()
    assert any("DEBUG" in line for line in bot.output) and any("Traceback" in line for line in bot.output)
    leaks = [name for name, data in written.items() for form in forms(TOKEN) if form in data]
    assert leaks == [], f"the token was written to {leaks}"
    # The check itself works: the emulator's own request log, for one, would have shown it.
    assert forms(TOKEN)[0] in f"Authorization: Bot {TOKEN}".encode()


async def _count(database: Path, sql: str, *params) -> int:
    conn = read_db(database)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()
