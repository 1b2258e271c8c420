"""Names for the web, learnt from what Quorum mirrors: an answer's author and the users, roles and
channels it mentions, the asker of an /ask question, names met in catch-up after a restart, and a
known member's new nickname; never from votes. On main no name is ever stored (the tables stay
empty), so every assertion on a row fails there."""

from __future__ import annotations

import sqlite3

from tests.harness import eventually
from tests.test_asking import ask
from tests.test_first_slice import setup_forum


def names(quorum) -> dict[tuple[str, int], str]:
    """Every stored name, read from the database file as the web server would."""
    with sqlite3.connect(quorum.database) as conn:
        return {(kind, i): name for kind, i, name in conn.execute("SELECT kind, id, name FROM names")}


def guild_name(quorum) -> str | None:
    with sqlite3.connect(quorum.database) as conn:
        row = conn.execute("SELECT name FROM web_guilds").fetchone()
    return row[0] if row else None


async def test_names_from_an_answer_its_mentions_catch_up_and_a_nick_change(emulator, quorum):
    world = emulator.world
    m = world.members
    await setup_forum(emulator, moderator_role=world.moderator_role_id)
    assert guild_name(quorum) == "Quorum Test Server"
    assert names(quorum)[("channel", world.text_channel_id)] == "general", "channel names are learnt at start"

    thread = int((await emulator.create_forum_post(m["bob"].id, "Sorting dicts", "How do I sort a dict?"))["id"])
    answer = await emulator.post_message(
        m["carol"].id, thread, f"Use sorted(). <@{m['dave'].id}> knows more; ask <@&{world.moderator_role_id}> "
        f"or in <#{world.text_channel_id}> and <#{thread}>.",
    )  # fmt: skip
    await eventually(lambda: quorum.store.get_post(int(answer["id"])))
    learnt = await eventually(lambda: _has(quorum, ("user", m["dave"].id)))
    assert learnt[("user", m["bob"].id)] == "Bob" and learnt[("user", m["carol"].id)] == "Carol"
    assert learnt[("user", m["dave"].id)] == "Dave"
    assert learnt[("role", world.moderator_role_id)] == "Moderator"
    assert learnt[("channel", thread)] == "Sorting dicts"

    # The asker of an /ask question, whose starter the bot posts.
    await ask(emulator, who="alice", title="Where do logs go?", body="I cannot find them.")
    assert (await eventually(lambda: _has(quorum, ("user", m["alice"].id))))[("user", m["alice"].id)] == "Alice"

    # A nickname shows as the member's name; one for a member nobody has seen post adds nobody.
    await emulator.set_nick(m["carol"].id, "Caz")
    await eventually(lambda: _named(quorum, ("user", m["carol"].id), "Caz"))
    await emulator.set_nick(m["mod"].id, "Modesty")
    await emulator.set_global_name(m["dave"].id, "David")
    await eventually(lambda: _named(quorum, ("user", m["dave"].id), "David"))
    assert ("user", m["mod"].id) not in names(quorum)

    # While the bot is away, a new member answers and mentions the moderator; catch-up learns both.
    await quorum.stop()
    erin = world.add_member("erin")
    late = await emulator.post_message(erin, thread, f"<@{m['mod'].id}> closed a similar one.")
    await quorum.start()
    await eventually(lambda: quorum.store.get_post(int(late["id"])), timeout=10)
    learnt = await eventually(lambda: _has(quorum, ("user", m["mod"].id)))
    assert learnt[("user", erin)] == "Erin" and learnt[("user", m["mod"].id)] == "Modesty"
    assert learnt[("user", m["carol"].id)] == "Caz", "kept across the restart"


async def test_votes_write_no_names(emulator, quorum):
    world = emulator.world
    m = world.members
    await setup_forum(emulator)
    thread = int((await emulator.create_forum_post(m["bob"].id, "Vote on this", "Question text"))["id"])
    answer = int((await emulator.post_message(m["carol"].id, thread, "An answer"))["id"])
    await eventually(lambda: _has(quorum, ("user", m["carol"].id)))
    before = names(quorum)

    await emulator.add_reaction(m["dave"].id, thread, answer, "👍")
    await emulator.add_reaction(m["alice"].id, thread, answer, "👎")
    await eventually(lambda: _voted(quorum, answer, m["alice"].id))
    assert names(quorum) == before, "a vote learnt a name"
    assert ("user", m["dave"].id) not in before and ("user", m["alice"].id) not in before


async def _has(quorum, key):
    found = names(quorum)
    return found if key in found else None


async def _named(quorum, key, name: str) -> bool:
    return names(quorum).get(key) == name


async def _voted(quorum, post_id: int, voter: int) -> bool:
    return await quorum.store.get_vote(post_id, voter) != 0
