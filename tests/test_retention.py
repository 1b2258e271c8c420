"""Retention end to end, the real bot against the emulator with a clock the test moves: a deleted
answer's text is purged once its period is over (the bot's run at start), /history shows the purge to
moderators and the files hold none of it; a guild the bot was removed from (not an outage) is deleted
from the store after its period, unless the bot was added back."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import partial

from bot.forum.retention import PURGED
from tests.db.test_erasure import _database_files
from tests.harness import BotHarness, eventually
from tests.test_first_slice import setup_forum
from tests.test_reading import ask, member, run
from tests.test_web_publishing import quorum_cli

DAY = timedelta(days=1)
WORDS = "zyxquorpelt flibbergrumph"



async def restart_and_purge(quorum: BotHarness) -> None:
    """Restart; the bot purges what is past its period once it is ready: wait for that run."""
    await quorum.restart()
    app = quorum.app
    await eventually(lambda: _done(app))


async def _done(app) -> bool:
    return app.purging is not None and app.purging.done()


async def test_deleted_text_is_purged_after_its_period(emulator, timed):
    quorum, clock = timed
    world = emulator.world
    tid = await ask(emulator, quorum)
    aid = int((await emulator.post_message(member(emulator, "carol"), tid, f"Keep it in {WORDS} files"))["id"])
    await eventually(lambda: quorum.store.get_post(aid))
    await emulator.edit_message(tid, aid, f"Keep it in {WORDS} files, or quaxolith")
    await eventually(partial(_revisions, quorum, aid, 2))
    await emulator.delete_message(tid, aid)
    await eventually(partial(_deleted, quorum, aid))

    clock.now += 29 * DAY
    await restart_and_purge(quorum)
    assert (await quorum.store.get_post(aid)).body.startswith("Keep it in"), "29 days: moderators still see it"

    clock.now += 2 * DAY
    await restart_and_purge(quorum)
    post = await quorum.store.get_post(aid)
    assert post.body == PURGED and post.deleted_at is not None and post.author_id == member(emulator, "carol")

    await setup_forum(emulator, moderator_role=world.moderator_role_id)
    link = f"https://discord.com/channels/{world.guild_id}/{tid}/{aid}"
    shown = await run(emulator, "mod", world.text_channel_id, "history", message=link)
    assert shown["data"]["allowed_mentions"] == {"parse": []}
    embed = shown["data"]["embeds"][0]
    assert "Deleted" in embed["description"]
    assert [f["value"].split("\n", 1)[1] for f in embed["fields"]] == [PURGED, PURGED]
    assert (await quorum.store.get_post(tid)).body == "My bot forgets everything.", "live posts are untouched"

    files = _database_files(quorum.database)
    found = {(p.name, w) for p in files for w in ("zyxquorpelt", "flibbergrumph", "quaxolith") if w.encode()
             in p.read_bytes()}  # fmt: skip
    assert not found, f"purged text still in the files: {sorted(found)}"
    await quorum.restart()
    assert (await quorum.store.get_post(aid)).body == PURGED


async def test_a_departed_guild_is_deleted_after_its_period(emulator, timed):
    quorum, clock = timed
    guild_id = emulator.world.guild_id
    tid = await ask(emulator, quorum)

    # An outage is no departure.
    await emulator.guild_outage()
    await eventually(lambda: _unavailable(quorum, guild_id))
    await emulator.end_guild_outage()
    await eventually(lambda: _available(quorum, guild_id))
    assert await quorum.store.departures() == {}

    left = clock.now
    await emulator.remove_bot_from_guild()
    await eventually(lambda: _departures_are(quorum, {guild_id: left}))
    clock.now += DAY
    await restart_and_purge(quorum)  # the guild is in no READY now
    assert await quorum.store.departures() == {guild_id: left}, "the departure survives a restart"

    await emulator.add_bot_to_guild()  # added back: its data is kept
    await eventually(lambda: _departures_are(quorum, {}))
    clock.now += 40 * DAY
    await restart_and_purge(quorum)
    assert await quorum.store.get_question(tid) is not None

    left = clock.now
    await emulator.remove_bot_from_guild()
    await eventually(lambda: _departures_are(quorum, {guild_id: left}))
    clock.now += 29 * DAY
    await restart_and_purge(quorum)
    assert await quorum.store.get_question(tid) is not None
    exported = quorum_cli("export", "--guild", str(guild_id), database=quorum.database)
    assert exported.returncode == 0, exported.stderr
    assert [q["id"] for q in json.loads(exported.stdout)["questions"]] == [str(tid)], "exportable until the purge"

    clock.now += 2 * DAY
    await restart_and_purge(quorum)
    assert await quorum.store.get_question(tid) is None
    assert await quorum.store.guild_ids() == [] and await quorum.store.get_settings(guild_id) is None
    assert await quorum.store.departures() == {}
    await quorum.restart()
    assert await quorum.store.guild_ids() == []


async def _revisions(quorum, post_id: int, count: int) -> bool:
    return len(await quorum.store.revisions(post_id)) == count


async def _deleted(quorum, post_id: int) -> bool:
    return (await quorum.store.get_post(post_id)).deleted_at is not None


async def _unavailable(quorum, guild_id: int) -> bool:
    guild = quorum.bot.get_guild(guild_id)
    return guild is not None and guild.unavailable


async def _available(quorum, guild_id: int) -> bool:
    guild = quorum.bot.get_guild(guild_id)
    return guild is not None and not guild.unavailable


async def _departures_are(quorum, expected: dict) -> bool:
    return await quorum.store.departures() == expected


async def test_a_guild_left_while_the_bot_was_offline(emulator, timed):
    quorum, clock = timed
    guild_id = emulator.world.guild_id
    tid = await ask(emulator, quorum)
    await quorum.stop()
    await emulator.remove_bot_from_guild()  # no connection: the event never reaches the bot
    clock.now += DAY
    await quorum.start()
    await eventually(lambda: _done(quorum.app))
    assert await quorum.store.departures() == {guild_id: clock.now}, "missing from READY: left, from now"
    clock.now += 31 * DAY
    await restart_and_purge(quorum)
    assert await quorum.store.get_question(tid) is None
