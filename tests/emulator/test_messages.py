"""Members' messages, reactions and pins arrive as discord.py events; the bot's REST writes work."""

import discord
import pytest

from emulator import permissions as P
from emulator.httputil import DiscordError


async def test_forum_post_arrives_as_thread_and_message(emu, harness):
    w = emu.world
    alice = w.members["alice"].id
    tag = emu.tag_id("python")
    thread = await emu.create_forum_post(alice, "How do I X?", "body text", applied_tags=[tag])
    assert thread["message"]["id"] == thread["id"]  # starter message id == thread id
    (t,), = await harness.wait_event("thread_create")
    (m,), = await harness.wait_event("message")
    assert t.id == int(thread["id"]) and t.parent_id == w.forum_channel_id
    assert [x.id for x in t.applied_tags] == [tag]
    assert m.id == t.id and m.content == "body text" and m.author.id == alice
    assert isinstance(m.channel, discord.Thread)
    order = [ev for ev, _ in harness.events if ev in ("thread_create", "message")]
    assert order[:2] == ["thread_create", "message"]
    harness.assert_alive()


async def test_reply_edit_delete_and_raw_events(emu, harness):
    w = emu.world
    bob, carol = w.members["bob"].id, w.members["carol"].id
    thread = await emu.create_forum_post(bob, "Q", "question")
    ans = await emu.post_message(carol, int(thread["id"]), "answer")
    reply = await emu.post_message(bob, int(thread["id"]), "thanks", reply_to=int(ans["id"]))
    assert reply["type"] == 19 and reply["message_reference"]["message_id"] == ans["id"]
    msgs = await harness.wait_event("message", 3)
    assert msgs[2][0].reference.message_id == int(ans["id"])
    await emu.edit_message(int(thread["id"]), int(ans["id"]), "better answer")
    (raw,), = await harness.wait_event("raw_message_edit")
    assert raw.message.content == "better answer" and raw.message.edited_at is not None
    await emu.delete_message(int(thread["id"]), int(reply["id"]))
    (rd,), = await harness.wait_event("raw_message_delete")
    assert rd.message_id == int(reply["id"])
    await emu.bulk_delete(int(thread["id"]), [int(ans["id"])])
    (rb,), = await harness.wait_event("raw_bulk_message_delete")
    assert rb.message_ids == {int(ans["id"])}
    harness.assert_alive()


async def test_reactions_raw_events(emu, harness):
    w = emu.world
    bob, carol = w.members["bob"].id, w.members["carol"].id
    thread = await emu.create_forum_post(bob, "Q", "question")
    await emu.add_reaction(carol, int(thread["id"]), int(thread["id"]), "👍")
    (p,), = await harness.wait_event("raw_reaction_add")
    assert p.user_id == carol and str(p.emoji) == "👍" and p.member.id == carol
    assert p.message_author_id == bob
    await emu.remove_reaction(carol, int(thread["id"]), int(thread["id"]), "👍")
    (r,), = await harness.wait_event("raw_reaction_remove")
    assert r.user_id == carol
    assert w.reactions[int(thread["id"])] == {}
    harness.assert_alive()


async def test_pin_by_member_gives_pins_update_and_system_message(emu, harness):
    w = emu.world
    mod, bob = w.members["mod"].id, w.members["bob"].id
    thread = await emu.create_forum_post(bob, "Q", "question")
    ans = await emu.post_message(w.members["carol"].id, int(thread["id"]), "answer")
    await emu.pin(mod, int(thread["id"]), int(ans["id"]))
    (ch, last), = await harness.wait_event("guild_channel_pins_update") or [(None, None)]
    msgs = await harness.wait_event("message", 3)
    system = msgs[2][0]
    assert system.type == discord.MessageType.pins_add and system.author.id == mod
    assert system.reference.message_id == int(ans["id"])
    assert w.pinned_ids(int(thread["id"])) == [int(ans["id"])]
    # the bot reads the pins list (discord.py 2.7 uses /messages/pins)
    pins = [m async for m in harness.client.get_channel(int(thread["id"])).pins()]
    assert [m.id for m in pins] == [int(ans["id"])]
    # plain members cannot pin
    from emulator.httputil import DiscordError
    with pytest.raises(DiscordError) as e:
        await emu.pin(bob, int(thread["id"]), int(thread["id"]))
    assert e.value.code == 50013
    harness.assert_alive()


async def test_bot_rest_writes(emu, harness):
    w = emu.world
    bob = w.members["bob"].id
    thread = await emu.create_forum_post(bob, "Q", "question")
    await harness.wait_event("thread_create")
    ch = harness.client.get_channel(int(thread["id"])) or await harness.client.fetch_channel(int(thread["id"]))
    sent = await ch.send("hello from bot", embed=discord.Embed(description="d"))
    assert w.message(int(thread["id"]), sent.id)["content"] == "hello from bot"
    fetched = await ch.fetch_message(int(thread["id"]))
    assert fetched.content == "question"
    await fetched.add_reaction("👍")
    assert w.reactions[int(thread["id"])]["👍"] == [w.bot_user_id]
    await fetched.pin()
    assert w.pinned_ids(int(thread["id"])) == [int(thread["id"])]
    history = [m async for m in ch.history(limit=10)]
    assert history[0].type == discord.MessageType.pins_add  # newest first
    assert {m.id for m in history} >= {sent.id, fetched.id}
    older = [m async for m in ch.history(limit=10, before=discord.Object(sent.id))]
    assert [m.id for m in older] == [fetched.id]
    await fetched.unpin()
    assert w.pinned_ids(int(thread["id"])) == []
    edited = await sent.edit(content="edited")
    assert edited.content == "edited"
    await sent.delete()
    assert w.message(int(thread["id"]), sent.id) is None
    await ch.edit(name="renamed", archived=True)
    assert w.channel(int(thread["id"]))["thread_metadata"]["archived"] is True
    with pytest.raises(discord.HTTPException) as e:
        await fetched.add_reaction("👎")
    assert e.value.code == 50083
    assert emu.spec_violations == [] and emu.unhandled == []
    harness.assert_alive()


async def test_missing_pin_permission_is_403(emu, harness):
    w = emu.world
    bob = w.members["bob"].id
    thread = await emu.create_forum_post(bob, "Q", "question")
    await harness.wait_event("thread_create")
    import emulator.permissions as P
    w.set_role_permissions(w.bot_role_id, P.BOT_ROLE_DEFAULT & ~P.PIN_MESSAGES)
    msg = await harness.client.get_channel(int(thread["id"])).fetch_message(int(thread["id"]))
    with pytest.raises(discord.Forbidden) as e:
        await msg.pin()
    assert e.value.code == 50013
    harness.assert_alive()


async def test_bot_creates_forum_post_and_text_thread(emu, harness):
    w = emu.world
    forum = harness.client.get_channel(w.forum_channel_id)
    tag = forum.available_tags[0]
    twm = await forum.create_thread(name="Asked via bot", content="body", applied_tags=[tag])
    assert twm.thread.id == twm.message.id
    assert w.channel(twm.thread.id)["applied_tags"] == [str(tag.id)]
    text = harness.client.get_channel(w.text_channel_id)
    t = await text.create_thread(name="side", type=discord.ChannelType.public_thread)
    assert w.channel(t.id)["type"] == 11
    archived = [x async for x in forum.archived_threads()]
    assert archived == []
    assert emu.spec_violations == [] and emu.unhandled == []
    harness.assert_alive()


async def test_private_threads_are_seen_by_their_members_and_listed_apart(emu, harness):
    w = emu.world
    bob, carol, dave = (w.members[n].id for n in ("bob", "carol", "dave"))
    private = await emu.create_private_thread(bob, w.text_channel_id, "Between us", members=[carol])
    tid = int(private["id"])
    (t,), = await harness.wait_event("thread_create")
    assert t.id == tid and t.is_private() and t.type is discord.ChannelType.private_thread
    # No "started a thread" notice in the channel: its readers need not know about the thread.
    assert not any(m["type"] == 18 for m in w.messages[w.text_channel_id].values())
    await emu.post_message(carol, tid, "members only")
    with pytest.raises(DiscordError) as refused:  # not a member, no Manage Threads: Missing Access
        await emu.post_message(dave, tid, "let me in")
    assert refused.value.code == 50001
    with pytest.raises(DiscordError) as refused:
        await emu.create_private_thread(bob, w.forum_channel_id, "Forums have none")
    assert refused.value.status == 400

    text = harness.client.get_channel(w.text_channel_id)
    await emu.archive_thread(tid)
    assert [x.id async for x in text.archived_threads()] == []  # the public listing leaves it out
    assert [x.id async for x in text.archived_threads(private=True)] == [tid]
    assert [x.id async for x in text.archived_threads(private=True, joined=True)] == []  # the bot is no member
    assert [x.id for x in await text.guild.active_threads()] == []
    assert emu.spec_violations == [] and emu.unhandled == []
    harness.assert_alive()



async def test_a_private_thread_is_not_shown_to_a_bot_that_cannot_see_it(emu, harness):
    w = emu.world
    bob = w.members["bob"].id
    w.set_role_permissions(w.bot_role_id, P.BOT_ROLE_DEFAULT & ~P.MANAGE_THREADS)
    private = await emu.create_private_thread(bob, w.text_channel_id, "Not for bots")
    await emu.post_message(bob, int(private["id"]), "quiet")
    await emu.post_message(bob, w.text_channel_id, "in the open")
    (m,), = await harness.wait_event("message")
    assert m.content == "in the open" and not [e for e, _ in harness.events if e == "thread_create"]
    await emu.join_thread(w.bot_user_id, int(private["id"]))  # added by a member: now it sees the thread
    await emu.post_message(bob, int(private["id"]), "hello bot")
    (m,), = (await harness.wait_event("message", 2))[1:]
    assert m.content == "hello bot"


async def test_a_member_with_dms_closed_refuses_the_bot_with_discords_50007(emu, harness):
    w = emu.world
    carol = w.members["carol"].id
    user = await harness.client.fetch_user(carol)
    await user.send("hello")  # open: the DM channel is created and the message delivered
    assert [m["content"] for m in w.messages[w.dm_channels[carol]].values()] == ["hello"]
    emu.close_dms(carol)
    with pytest.raises(discord.Forbidden) as refused:
        await user.send("again")
    assert refused.value.status == 403 and refused.value.code == 50007
    assert refused.value.text == "Cannot send messages to this user"
    record = emu.requests_to("POST", "/channels/{channel_id}/messages")[-1]
    assert record.status == 403
    assert [m["content"] for m in w.messages[w.dm_channels[carol]].values()] == ["hello"], "nothing delivered"
    emu.close_dms(carol, closed=False)
    await user.send("open again")
    harness.assert_alive()
