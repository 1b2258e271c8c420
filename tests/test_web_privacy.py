"""`/privacy web [show:on|off]`: a member's choice for the web, per server, shown and changed ephemerally,
kept across a restart. On main the command is not registered."""

from __future__ import annotations

from bot.forum.public import anonymous_name

EPHEMERAL = 64


async def privacy(emulator, who: int, **options) -> str:
    inter = await emulator.invoke_slash(who, emulator.world.text_channel_id, "privacy web", options)
    response = await inter.wait_response()
    assert response["data"]["flags"] & EPHEMERAL
    return response["data"]["content"]


async def test_privacy_shows_sets_and_keeps_the_choice(emulator, quorum):
    world = emulator.world
    bob, carol = world.members["bob"].id, world.members["carol"].id
    anonymous = anonymous_name(world.guild_id, bob)

    shown = await privacy(emulator, bob)
    assert "under your name" in shown and f"**{anonymous}**" in shown and "`/privacy web show:off`" in shown
    assert not await quorum.store.web_hidden(world.guild_id, bob)

    hidden = await privacy(emulator, bob, show="off")
    assert hidden.startswith("Done") and f"**{anonymous}**" in hidden and "hidden at the author's request" in hidden
    assert await quorum.store.web_hidden(world.guild_id, bob)

    await quorum.restart()
    after = await privacy(emulator, bob)
    assert not after.startswith("Done") and f"appear under the name **{anonymous}**" in after
    assert not await quorum.store.web_hidden(world.guild_id, carol), "the choice is bob's alone"
    assert "under your name" in await privacy(emulator, carol)

    again = await privacy(emulator, bob, show="on")
    assert again.startswith("Done") and "under your name" in again
    await quorum.restart()
    assert not await quorum.store.web_hidden(world.guild_id, bob)


async def test_privacy_has_help_text(emulator, quorum):
    command = next(c for c in emulator.world.commands.values() if c["name"] == "privacy")
    assert command["description"]
    subcommands = {sub["name"]: sub for sub in command["options"]}
    assert set(subcommands) == {"web", "forget", "export"} and all(sub["description"] for sub in subcommands.values())
    assert not subcommands["forget"].get("options")
    (option,) = subcommands["web"]["options"]
    assert option["name"] == "show" and option["description"] and not option.get("required", False)
    assert sorted(choice["value"] for choice in option["choices"]) == ["off", "on"]
