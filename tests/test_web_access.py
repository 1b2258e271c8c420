"""What @everyone may read, kept from Discord's events: a published channel made private (an overwrite
denying @everyone View Channel) stops being public within a second and comes back when the overwrite
goes; the @everyone role losing Read Message History does the same; a deleted channel is unreadable;
the questions channel is watched without being published; all of it holds after a restart. On main
nothing records readability, so the rows never appear."""

from __future__ import annotations

from tests.harness import eventually
from tests.test_first_slice import setup_forum
from tests.test_web_publishing import web

VIEW_CHANNEL = 1 << 10
READ_MESSAGE_HISTORY = 1 << 16


async def readable(quorum, channel_id: int) -> bool | None:
    row = await quorum.store.web_channel(channel_id)
    return None if row is None else row.everyone_can_read


def is_(value):
    async def check(quorum, channel_id):
        return await readable(quorum, channel_id) is value

    return check


async def wait(quorum, channel_id: int, value: bool, timeout: float = 1.0) -> None:
    await eventually(lambda: is_(value)(quorum, channel_id), timeout=timeout)


async def test_a_published_channel_made_private_stops_being_public_and_comes_back(emulator, quorum):
    world = emulator.world
    forum, everyone = world.forum_channel_id, world.everyone_role_id
    await setup_forum(emulator)
    await web(emulator, "alice", forum, True)
    assert (await quorum.store.web_channel(forum)).public

    await emulator.edit_channel_overwrite(forum, everyone, deny=VIEW_CHANNEL)
    await wait(quorum, forum, False)  # within a second
    assert not (await quorum.store.web_channel(forum)).public
    await quorum.restart()
    assert await readable(quorum, forum) is False

    await emulator.delete_channel_overwrite(forum, everyone)
    await wait(quorum, forum, True)
    assert (await quorum.store.web_channel(forum)).public

    # @everyone's own permissions: without Read Message History the pages go too.
    permissions = int(world.roles[everyone]["permissions"])
    await emulator.edit_role_permissions(everyone, permissions & ~READ_MESSAGE_HISTORY)
    await wait(quorum, forum, False)
    await emulator.edit_role_permissions(everyone, permissions)
    await wait(quorum, forum, True)


async def test_a_change_while_the_bot_was_away_is_seen_at_start(emulator, quorum):
    world = emulator.world
    forum = world.forum_channel_id
    await web(emulator, "alice", forum, True)
    await quorum.stop()
    world.set_channel_overwrite(forum, world.everyone_role_id, deny=VIEW_CHANNEL)  # no event: nobody listens
    await quorum.start()
    await wait(quorum, forum, False, timeout=5)


async def test_the_questions_channel_is_watched_unpublished_and_a_deleted_channel_is_unreadable(emulator, quorum):
    world = emulator.world
    forum, general = world.forum_channel_id, world.text_channel_id
    await setup_forum(emulator)
    await quorum.restart()  # the questions channel is looked at when the guild becomes available
    assert await readable(quorum, forum) is True
    assert not (await quorum.store.web_channel(forum)).published
    await emulator.edit_channel_overwrite(forum, world.everyone_role_id, deny=READ_MESSAGE_HISTORY)
    await wait(quorum, forum, False)

    await web(emulator, "alice", general, True)
    assert await readable(quorum, general) is True
    await emulator.delete_channel(general)
    await wait(quorum, general, False)
    await quorum.restart()
    assert await readable(quorum, general) is False
    assert await readable(quorum, forum) is False
