"""Reconnects, resumes, invalidation, 429s, the OpenAPI check and the MESSAGE_CONTENT intent."""

import asyncio

import aiohttp
import discord
import pytest

from emulator import Emulator

from .conftest import Harness


async def test_drop_connection_resumes_and_replays_once(emu, harness):
    w = emu.world
    bob = w.members["bob"].id
    await emu.drop_connection()
    # dispatched while the socket is down: buffered, replayed on RESUME
    await emu.post_message(bob, w.text_channel_id, "while down")
    await emu.wait_for(lambda: emu.gateway_stats.resumes == 1, timeout=5)
    await harness.wait_event("resumed")
    await emu.post_message(bob, w.text_channel_id, "after")
    msgs = await harness.wait_event("message", 2)
    await asyncio.sleep(0.1)
    contents = [m.content for (m,) in harness.named("message")]
    assert contents == ["while down", "after"]
    assert emu.gateway_stats.identifies == 1
    harness.assert_alive()
    del msgs


async def test_reconnect_op7_resumes(emu, harness):
    await emu.send_reconnect()
    await emu.wait_for(lambda: emu.gateway_stats.resumes == 1, timeout=5)
    harness.assert_alive()


async def test_invalidate_session_reidentifies_and_loses_events(emu, harness):
    w = emu.world
    await emu.invalidate_session(resumable=False)
    await emu.post_message(w.members["bob"].id, w.text_channel_id, "lost")
    await emu.wait_for(lambda: emu.gateway_stats.identifies == 2, timeout=5)
    await harness.wait_event("ready", 2)
    await emu.post_message(w.members["bob"].id, w.text_channel_id, "seen")
    await harness.wait_event("message")
    await asyncio.sleep(0.1)
    assert [m.content for (m,) in harness.named("message")] == ["seen"]
    harness.assert_alive()


async def test_dispatch_raw_twice(emu, harness):
    w = emu.world
    msg = await emu.post_message(w.members["bob"].id, w.text_channel_id, "dup")
    await emu.dispatch_raw("MESSAGE_CREATE", msg)
    await harness.wait_event("message", 2)
    harness.assert_alive()


async def test_429_is_retried(emu, harness):
    emu.faults.rate_limit("POST", r"/channels/\d+/messages$", retry_after=0.2, count=1)
    ch = harness.client.get_channel(emu.world.text_channel_id)
    sent = await ch.send("after a 429")
    assert emu.world.message(emu.world.text_channel_id, sent.id) is not None
    statuses = [r.status for r in emu.requests if r.method == "POST" and r.route == "/channels/{channel_id}/messages"]
    assert statuses == [429, 200]
    harness.assert_alive()


async def test_injected_failure(emu, harness):
    emu.faults.fail("GET", r"/channels/\d+/messages/\d+$", 403, 50001, "Missing Access")
    msg = await emu.post_message(emu.world.members["bob"].id, emu.world.text_channel_id, "x")
    ch = harness.client.get_channel(emu.world.text_channel_id)
    with pytest.raises(discord.Forbidden):
        await ch.fetch_message(int(msg["id"]))
    assert (await ch.fetch_message(int(msg["id"]))).content == "x"


async def test_bad_token_is_401(emu):
    async with aiohttp.ClientSession() as s:
        async with s.get(emu.api_base + "/users/@me", headers={"Authorization": "Bot nope"}) as r:
            assert r.status == 401 and r.headers["Content-Type"] == "application/json"
            assert await r.json() == {"message": "401: Unauthorized", "code": 0}
        async with s.get(emu.api_base + "/gateway/bot", headers={"Authorization": f"Bot {emu.token}"}) as r:
            data = await r.json()
            assert data["url"] == emu.gateway_url and data["shards"] == 1
        async with s.get(emu.api_base + "/nowhere", headers={"Authorization": f"Bot {emu.token}"}) as r:
            assert r.status == 404
    assert [u.path for u in emu.unhandled] == ["/nowhere"]


async def test_openapi_rejects_malformed_and_accepts_normal(emu, harness):
    if not emu.spec_checked:
        pytest.skip("no OpenAPI description")
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=emu.world.text_channel_id)
    with pytest.raises(discord.HTTPException) as e:
        await harness.client.http.request(route, json={"content": 5, "tts": "yes"})
    assert e.value.code == 50035
    assert len(emu.spec_violations) == 1 and emu.spec_violations[0].route == "/channels/{channel_id}/messages"
    await harness.client.get_channel(emu.world.text_channel_id).send("fine")
    assert len(emu.spec_violations) == 1
    checked = [r.elapsed_spec_ms for r in emu.requests if r.elapsed_spec_ms]
    print(f"OpenAPI validation: {len(checked)} requests, mean {sum(checked) / len(checked):.2f} ms")
    harness.assert_alive()


async def test_message_content_intent_off():
    emu = Emulator(message_content=False)
    await emu.start()
    try:
        intents = discord.Intents.default()
        intents.members = True
        h = Harness(emu, intents=intents)
        await h.start()
        w = emu.world
        await emu.post_message(w.members["bob"].id, w.text_channel_id, "secret")
        await emu.post_message(w.members["bob"].id, w.text_channel_id, f"hey <@{w.bot_user_id}>")
        msgs = await h.wait_event("message", 2)
        assert [m.content for (m,) in msgs] == ["", f"hey <@{w.bot_user_id}>"]
        fetched = [m async for m in h.client.get_channel(w.text_channel_id).history(limit=5)]
        assert [m.content for m in fetched] == [f"hey <@{w.bot_user_id}>", ""]
        h.assert_alive()
        await h.close()
        # asking for the privileged intent the app lacks: closed with 4014
        h2 = Harness(emu)
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await h2.start()
        await h2.close()
    finally:
        await emu.stop()


async def test_restart_new_client_identifies_again(emu, harness):
    await harness.close()
    h2 = Harness(emu)
    await h2.start()
    assert emu.gateway_stats.identifies == 2
    assert h2.client.get_guild(emu.world.guild_id).me is not None
    await h2.close()
