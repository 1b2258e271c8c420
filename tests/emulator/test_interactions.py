"""Slash commands, context menus, modals, buttons and autocomplete through a real CommandTree."""

import discord
import pytest
from discord import app_commands

from emulator import CommandNotRegistered

from .conftest import Harness


class AskModal(discord.ui.Modal, title="Ask"):
    body = discord.ui.TextInput(label="Body", style=discord.TextStyle.paragraph, custom_id="body")

    async def on_submit(self, interaction: discord.Interaction):
        await interaction.response.send_message(f"got {self.body.value}", ephemeral=True)


class Voting(discord.ui.View):
    def __init__(self):
        super().__init__(timeout=None)

    @discord.ui.button(label="Up", custom_id="vote:up")
    async def up(self, interaction: discord.Interaction, button: discord.ui.Button):
        await interaction.response.edit_message(content="voted")


@pytest.fixture
async def bot(emu):
    h = Harness(emu, tree=True)
    tree = h.tree
    guild = discord.Object(emu.world.guild_id)

    @tree.command(name="ask", description="Ask a question", guild=guild)
    async def ask(interaction: discord.Interaction, title: str, body: str | None = None, count: int = 1):
        if body is None:
            await interaction.response.send_modal(AskModal(custom_id="ask:modal"))
            return
        await interaction.response.send_message(f"{title}|{body}|{count + 1}", view=Voting())

    @tree.command(name="slow", description="Deferred", guild=guild)
    async def slow(interaction: discord.Interaction, who: discord.Member):
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.edit_original_response(content=f"hi {who.display_name}")
        await interaction.followup.send("later", ephemeral=True)

    group = app_commands.Group(name="quorum", description="admin", guild_ids=[emu.world.guild_id])

    @group.command(name="setup", description="setup")
    async def setup(interaction: discord.Interaction, forum: discord.ForumChannel, role: discord.Role):
        await interaction.response.send_message(f"{forum.id}:{role.id}", ephemeral=True)

    tree.add_command(group)

    @tree.command(name="search", description="search", guild=guild)
    async def search(interaction: discord.Interaction, tag: str):
        await interaction.response.send_message(tag)

    @search.autocomplete("tag")
    async def tag_ac(interaction: discord.Interaction, current: str):
        return [app_commands.Choice(name=t, value=t) for t in ("python", "sql") if t.startswith(current)]

    @tree.context_menu(name="Accept answer", guild=guild)
    async def accept(interaction: discord.Interaction, message: discord.Message):
        await interaction.response.send_message(f"accepted {message.id}", ephemeral=True)

    h.client.add_view(Voting())
    await h.start()
    await tree.sync(guild=guild)
    yield h
    await h.close()


async def test_slash_command_answer_and_button(emu, bot):
    w = emu.world
    bob = w.members["bob"].id
    inter = await emu.invoke_slash(bob, w.text_channel_id, "ask", {"title": "T", "body": "B", "count": 2})
    resp = await inter.wait_response(timeout=3)
    assert resp["type"] == 4 and resp["data"]["content"] == "T|B|3"
    msg = inter.original_message
    assert msg is not None and not inter.ephemeral
    assert w.message(w.text_channel_id, int(msg["id"]))["interaction_metadata"]["user"]["id"] == str(bob)
    click = await emu.click_button(bob, w.text_channel_id, int(msg["id"]), "vote:up")
    resp = await click.wait_response(timeout=3)
    assert resp["type"] == 7
    assert w.message(w.text_channel_id, int(msg["id"]))["content"] == "voted"
    assert emu.spec_violations == [] and emu.unhandled == []
    bot.assert_alive()


async def test_modal_flow(emu, bot):
    w = emu.world
    bob = w.members["bob"].id
    inter = await emu.invoke_slash(bob, w.text_channel_id, "ask", {"title": "T"})
    resp = await inter.wait_response(timeout=3)
    assert resp["type"] == 9 and inter.modal["custom_id"] == "ask:modal"
    sub = await emu.submit_modal(bob, w.text_channel_id, "ask:modal", {"body": "long text"})
    resp = await sub.wait_response(timeout=3)
    assert resp["data"]["content"] == "got long text" and sub.ephemeral
    bot.assert_alive()


async def test_deferred_then_edit_and_followup(emu, bot):
    w = emu.world
    inter = await emu.invoke_slash(w.members["bob"].id, w.text_channel_id, "slow", {"who": w.members["carol"].id})
    assert (await inter.wait_response())["type"] == 5
    await emu.wait_for(lambda: inter.followups, timeout=3)
    assert inter.original_message["content"] == "hi Carol" and inter.ephemeral
    assert inter.followups[0]["content"] == "later"
    assert emu.spec_violations == [] and emu.unhandled == []
    bot.assert_alive()


async def test_subcommand_with_channel_and_role(emu, bot):
    w = emu.world
    inter = await emu.invoke_slash(w.members["alice"].id, w.text_channel_id, "quorum setup",
                                   {"forum": w.forum_channel_id, "role": w.moderator_role_id})
    resp = await inter.wait_response()
    assert resp["data"]["content"] == f"{w.forum_channel_id}:{w.moderator_role_id}"
    bot.assert_alive()


async def test_autocomplete_and_context_menu(emu, bot):
    w = emu.world
    ac = await emu.autocomplete(w.members["bob"].id, w.text_channel_id, "search", {"tag": "py"}, focused="tag")
    await ac.wait_response()
    assert ac.choices == [{"name": "python", "value": "python"}]
    post = await emu.post_message(w.members["carol"].id, w.text_channel_id, "an answer")
    inter = await emu.invoke_message_command(w.members["bob"].id, w.text_channel_id, "Accept answer", int(post["id"]))
    resp = await inter.wait_response()
    assert resp["data"]["content"] == f"accepted {post['id']}"
    bot.assert_alive()


async def test_unregistered_command_raises(emu, bot):
    with pytest.raises(CommandNotRegistered):
        await emu.invoke_slash(emu.world.members["bob"].id, emu.world.text_channel_id, "nope")
