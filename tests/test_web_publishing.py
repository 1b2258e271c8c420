"""Publishing on the web: `/quorum web` for Manage Server members only (from their roles, never from a
channel overwrite), `quorum publish` for operators beside the running bot, and the rows both leave,
after a restart too. On main neither command exists (the slash command is not registered, the CLI
exits 2 on an unknown subcommand)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from tests.harness import eventually
from tests.test_first_slice import setup_forum

ROOT = Path(__file__).resolve().parents[1]
EPHEMERAL = 64
VIEW_CHANNEL = 1 << 10
MANAGE_GUILD = 1 << 5
PUBLIC_URL = "https://forum.example.org"


def member(emulator, name: str) -> int:
    return emulator.world.members[name].id


async def web(emulator, who: str, channel_id: int, publish: bool) -> str:
    inter = await emulator.invoke_slash(
        member(emulator, who), emulator.world.text_channel_id, "quorum web", {"channel": channel_id, "publish": publish}
    )
    response = await inter.wait_response()
    assert response["data"]["flags"] & EPHEMERAL
    return response["data"]["content"]


def quorum_cli(*args: str, database: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "QUORUM_", "DATABASE_URL"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite:///{database}")
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=database.parent, env=env, capture_output=True, text=True, timeout=60
    )


async def test_a_manage_server_member_publishes_and_unpublishes_and_it_survives_a_restart(emulator, quorum):
    world = emulator.world
    forum, alice = world.forum_channel_id, member(emulator, "alice")
    await setup_forum(emulator)

    reply = await web(emulator, "alice", forum, True)
    assert f"<#{forum}> is published on the web" in reply and "stay hidden" not in reply
    row = await quorum.store.web_channel(forum)
    assert (row.published, row.everyone_can_read, row.published_by, row.public) == (True, True, alice, True)

    reply = await web(emulator, "alice", forum, False)
    assert "no longer published" in reply
    await quorum.restart()
    row = await quorum.store.web_channel(forum)
    assert (row.published, row.everyone_can_read, row.published_by, row.public) == (False, True, alice, False)
    assert row.published_at is not None
    audit = await quorum.store.audit_log(world.guild_id)
    assert [(e.action, e.actor_id, e.target_id) for e in audit[:2]] == [
        ("web unpublish", alice, forum),
        ("web publish", alice, forum),
    ]
    # The moderation log shows both, naming the channel.
    inter = await emulator.invoke_slash(alice, world.text_channel_id, "modlog", {})
    log = (await inter.wait_response())["data"]["embeds"][0]["description"]
    assert f"**web unpublish** <#{forum}>" in log and f"**web publish** <#{forum}>" in log


async def test_publishing_is_refused_without_manage_server_even_when_a_channel_overwrite_grants_it(emulator, quorum):
    world = emulator.world
    forum, bob = world.forum_channel_id, member(emulator, "bob")
    # Manage Server granted on the channel the command is typed in means nothing (it is a server right).
    await emulator.edit_channel_overwrite(world.text_channel_id, bob, allow=MANAGE_GUILD, type=1)
    for who in ("bob", "carol"):
        reply = await web(emulator, who, forum, True)
        assert "Manage Server" in reply, (who, reply)
    assert await quorum.store.web_channel(forum) is None
    assert await quorum.store.audit_log(world.guild_id) == []


async def test_the_reply_says_the_pages_stay_hidden_while_everyone_cannot_read_and_gives_the_address(
    emulator, tmp_path
):
    from tests.harness import BotHarness

    harness = BotHarness(emulator, tmp_path / "q.db", public_url=PUBLIC_URL)
    await harness.start()
    try:
        world = emulator.world
        forum = world.forum_channel_id
        await emulator.edit_channel_overwrite(forum, world.everyone_role_id, deny=VIEW_CHANNEL)
        await eventually(lambda: _everyone_denied(harness, forum))
        reply = await web(emulator, "alice", forum, True)
        assert "@everyone cannot view" in reply and "stay hidden until they can" in reply
        assert f"{PUBLIC_URL}/g/{world.guild_id}" in reply
        row = await harness.store.web_channel(forum)
        assert (row.published, row.everyone_can_read, row.public) == (True, False, False)
    finally:
        await harness.stop()


async def _everyone_denied(harness, channel_id: int) -> bool:
    channel = harness.bot.get_channel(channel_id)
    return not channel.permissions_for(channel.guild.default_role).view_channel


async def test_quorum_publish_beside_the_running_bot(emulator, quorum):
    world = emulator.world
    forum, guild = world.forum_channel_id, world.guild_id
    database = quorum.database

    args = ("publish", "--guild", str(guild), "--channel", str(forum))
    done = await asyncio.to_thread(quorum_cli, *args, database=database)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 1
    assert "at its next start, or at once if it is running" in done.stdout
    row = await quorum.store.web_channel(forum)
    assert (row.published, row.published_by) == (True, None)
    # The running bot looks at the channel by itself: @everyone reads it, so the pages show.
    row = await eventually(lambda: _public(quorum, forum), timeout=5)
    audit = await quorum.store.audit_log(guild)
    assert [(e.action, e.actor_id, e.target_id) for e in audit] == [("web publish", 0, forum)]

    off = await asyncio.to_thread(quorum_cli, *args, "--off", database=database)
    assert off.returncode == 0 and "Unpublished" in off.stdout
    await quorum.restart()
    row = await quorum.store.web_channel(forum)
    assert (row.published, row.everyone_can_read, row.published_by) == (False, True, None)

    for bad in (("--guild", "abc", "--channel", str(forum)), ("--guild", str(guild)),
                ("--guild", str(guild + 1), "--channel", str(forum))):  # fmt: skip
        refused = await asyncio.to_thread(quorum_cli, "publish", *bad, database=database)
        assert refused.returncode == 2, (bad, refused.stdout, refused.stderr)
        assert len(refused.stderr.strip().splitlines()) <= 2 and "Traceback" not in refused.stderr
    assert (await quorum.store.web_channel(forum)).guild_id == guild


async def _public(quorum, channel_id: int):
    row = await quorum.store.web_channel(channel_id)
    return row if row is not None and row.public else None
