"""The first slice through every layer: setup, a native forum post mirrored, a restart."""

from __future__ import annotations

from bot.forum.models import PostKind
from tests.harness import BotHarness, eventually


async def setup_forum(emulator, **options):
    world = emulator.world
    inter = await emulator.invoke_slash(
        world.members["alice"].id,
        world.text_channel_id,
        "quorum setup",
        {"channel": world.forum_channel_id, **options},
    )
    return await inter.wait_response()


async def test_setup_is_persisted_per_guild(emulator, quorum):
    world = emulator.world
    response = await setup_forum(emulator, moderator_role=world.moderator_role_id)
    assert response["type"] == 4
    assert response["data"]["flags"] & 64, "setup answers privately"
    embed = response["data"]["embeds"][0]
    assert f"<#{world.forum_channel_id}>" in embed["fields"][0]["value"]

    await quorum.restart()
    settings = await quorum.store.get_settings(world.guild_id)
    assert settings.forum_channel_id == world.forum_channel_id
    assert settings.moderator_role_id == world.moderator_role_id
    assert quorum.service.is_watched(world.guild_id, world.forum_channel_id)
    audit = await quorum.store.audit_log(world.guild_id)
    assert [(e.action, e.actor_id) for e in audit] == [("setup", world.members["alice"].id)]


async def test_setup_refused_for_members_without_manage_server(emulator, quorum):
    world = emulator.world
    inter = await emulator.invoke_slash(
        world.members["bob"].id, world.text_channel_id, "quorum setup", {"channel": world.forum_channel_id}
    )
    response = await inter.wait_response()
    assert response["data"]["flags"] & 64
    assert "Manage Server" in response["data"]["content"]
    assert await quorum.store.get_settings(world.guild_id) is None


async def test_setup_is_registered_with_manage_server_as_default_permission(emulator, quorum):
    commands = {c["name"]: c for c in emulator.world.commands.values()}
    assert int(commands["quorum"]["default_member_permissions"]) == 1 << 5  # MANAGE_GUILD


async def test_commands_are_registered_again_only_when_they_change(emulator, quorum):
    def registrations():
        return [r for r in emulator.requests if r.method == "PUT" and r.path.endswith("/commands")]

    assert len(registrations()) == 1
    await quorum.restart()
    assert len(registrations()) == 1, "the same commands: their hash is in the store (command_syncs)"
    assert await quorum.bot.sync_commands_if_changed(force=True)
    assert len(registrations()) == 2


async def test_forum_post_becomes_a_question_and_survives_restart(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    bob = world.members["bob"].id
    thread = await emulator.create_forum_post(bob, "How do I keep state across restarts?", "My bot forgets everything.")
    thread_id = int(thread["id"])

    question = await eventually(lambda: quorum.store.get_question(thread_id))
    assert (question.title, question.author_id, question.guild_id) == (
        "How do I keep state across restarts?",
        bob,
        world.guild_id,
    )
    posts = await eventually(lambda: quorum.store.question_posts(thread_id))
    assert [(p.kind, p.author_id, p.body) for p in posts] == [(PostKind.QUESTION, bob, "My bot forgets everything.")]

    await quorum.restart()
    assert [q.id for q in await quorum.store.list_questions(world.guild_id)] == [thread_id]
    posts = await quorum.store.question_posts(thread_id)
    assert len(posts) == 1 and posts[0].body == "My bot forgets everything."
    quorum.assert_alive()


async def test_posts_outside_the_watched_channel_are_not_questions(emulator, quorum):
    world = emulator.world
    bob = world.members["bob"].id
    thread = await emulator.create_forum_post(bob, "Before setup", "Nobody watches this yet.")
    await setup_forum(emulator)
    # A message that the bot certainly processed after the first one shows the first was seen.
    marker = await emulator.create_forum_post(bob, "After setup", "Watched.")
    await eventually(lambda: quorum.store.get_question(int(marker["id"])))
    assert await quorum.store.get_question(int(thread["id"])) is None


async def test_the_token_never_reaches_the_log(emulator, quorum, caplog):
    caplog.set_level("DEBUG")
    await quorum.restart()  # login, gateway discovery, IDENTIFY: everything that handles the token
    await setup_forum(emulator)
    thread = await emulator.create_forum_post(emulator.world.members["bob"].id, "Title", "Body")
    await eventually(lambda: quorum.store.question_posts(int(thread["id"])))
    assert caplog.records, "the bot logged nothing at DEBUG: the check would prove nothing"
    assert emulator.token not in caplog.text


async def test_an_explicit_gateway_url_is_used_as_given(emulator, tmp_path):
    harness = BotHarness(emulator, tmp_path / "q.db", gateway_url=emulator.gateway_url)
    try:
        await harness.start()
        assert not emulator.requests_to("GET", "/gateway/bot")
        assert emulator.gateway_stats.identifies == 1
    finally:
        await harness.stop()
