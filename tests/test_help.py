"""/help end to end: one private embed within Discord's limits, built from the command tree, showing
each member only the commands they can use there, and the guild's own vote emojis."""

from __future__ import annotations

from bot.forum.help import DESCRIPTION_MAX, CommandEntry, command_lines, may_see
from tests.test_first_slice import setup_forum

ADMIN_ONLY = ("/quorum setup", "/quorum web")
MODERATION = ("/close", "/reopen", "/duplicate", "/lock", "/unlock", "/modlog")
MENU = "Accept answer (a message's menu → Apps)"
EVERYONE = ("/ask", "/edit", "/search", "/question", "/history", "/vote", "/accept", "/unaccept", "/profile", "/top",
            "/privacy web", "/privacy export", "/privacy forget", "/help", MENU)  # fmt: skip


async def _help(emulator, who, channel=None):
    world = emulator.world
    inter = await emulator.invoke_slash(world.members[who].id, channel or world.text_channel_id, "help")
    response = await inter.wait_response()
    assert inter.ephemeral
    [embed] = response["data"]["embeds"]
    assert len(embed["description"]) <= 4096 and len(embed.get("fields", [])) <= 25
    return embed


def _listed(embed):
    return {line.split("**")[1].split(" [")[0] for line in embed["description"].splitlines() if line.startswith("**")}


def _names(listed):
    # "/ask title [body]" -> "/ask"; "/quorum setup ..." keeps the subcommand
    names = set()
    for usage in listed:
        words = usage.split()
        names.add(" ".join(words[:2]) if words[0] in ("/quorum", "/privacy") else words[0] if "(" not in usage
                  else usage)  # fmt: skip
    return names


async def test_a_member_sees_the_member_commands_only(emulator, quorum):
    await setup_forum(emulator, upvote="⬆️", downvote="⬇️")
    embed = await _help(emulator, "bob")
    names = _names(_listed(embed))
    assert set(EVERYONE) <= names, set(EVERYONE) - names
    assert not names & set(ADMIN_ONLY + MODERATION)
    assert "Quorum is this server's questions and answers forum" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "⬆️" in fields["Voting"] and "⬇️" in fields["Voting"] and "pins" in fields["Accepting"]
    assert "/ask title [body] [tags]" in embed["description"]


async def test_an_admin_sees_every_command_of_the_tree(emulator, quorum):
    await setup_forum(emulator)
    embed = await _help(emulator, "alice")
    names = _names(_listed(embed))
    assert set(EVERYONE + ADMIN_ONLY + MODERATION) <= names
    # Every command the bot registered with Discord is on the page: it is read from the tree.
    registered = {c["name"] for c in emulator.world.commands.values()}
    tops = {n.split()[0].lstrip("/") for n in names if n.startswith("/")} | {"Accept answer", "Suggest as solution"}
    assert registered == tops, registered ^ tops


async def test_moderators_see_moderation_but_not_setup(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator, moderator_role=world.moderator_role_id)
    names = _names(_listed(await _help(emulator, "mod")))
    assert set(MODERATION) <= names and not names & set(ADMIN_ONLY)
    # A moderator by role alone (no Manage Threads) is still a moderator for Quorum.
    await emulator.edit_role_permissions(world.moderator_role_id, 0)
    names = _names(_listed(await _help(emulator, "mod")))
    assert set(MODERATION) <= names and not names & set(ADMIN_ONLY)
    await quorum.restart()
    names = _names(_listed(await _help(emulator, "bob")))
    assert not names & set(MODERATION + ADMIN_ONLY)


def test_the_page_fits_one_embed_however_many_commands():
    entries = [CommandEntry(f"/command{i} option [other]", "x" * 150, 0) for i in range(200)]
    text = command_lines(entries, DESCRIPTION_MAX - 300)
    assert len(text) <= DESCRIPTION_MAX - 300 and text.endswith("to see every command.")
    admin = CommandEntry("/quorum setup", "setup", 1 << 5)
    moderation = CommandEntry("/close", "close", 1 << 34)
    assert not may_see(admin, 1 << 34, moderator=True, moderator_bits=1 << 34)
    assert may_see(moderation, 0, moderator=True, moderator_bits=1 << 34)
    assert not may_see(moderation, 0, moderator=False, moderator_bits=1 << 34)
