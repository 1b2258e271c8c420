"""Several guilds and sharding: IDENTIFY's `shard`, each guild's events on its shard only (Discord's
rule (guild_id >> 22) % num_shards; DMs on shard 0), a shard held by a live session refused, the
shard recommendation of GET /gateway/bot, and per-guild REST reads and permissions."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import discord
import pytest

from emulator import Emulator, shard_of
from emulator import permissions as P

from .conftest import point_discord_at

INTENTS = (1 << 0) | (1 << 1) | (1 << 9) | (1 << 12) | (1 << 15)  # guilds, members, messages, DMs, content


class RawShard:
    """One gateway connection driven by hand: IDENTIFY with a shard, then the frames it receives."""

    def __init__(self, http: aiohttp.ClientSession, emu: Emulator) -> None:
        self.http, self.emu = http, emu
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.ready: dict | None = None
        self.guild_creates: list[dict] = []

    async def connect(self) -> RawShard:
        self.ws = await self.http.ws_connect(self.emu.gateway_url)
        hello = await self.ws.receive_json()
        assert hello["op"] == 10
        return self

    async def identify(self, shard: list[int] | None) -> RawShard:
        d = {"token": self.emu.token, "intents": INTENTS, "properties": {}}
        if shard is not None:
            d["shard"] = shard
        await self.ws.send_json({"op": 2, "d": d})
        return self

    async def ready_and_guilds(self) -> RawShard:
        self.ready = (await self.next_dispatch())["d"]
        for _ in self.ready["guilds"]:
            frame = await self.next_dispatch()
            assert frame["t"] == "GUILD_CREATE"
            self.guild_creates.append(frame["d"])
        return self

    async def next_dispatch(self, timeout: float = 3.0) -> dict:
        while True:
            msg = await asyncio.wait_for(self.ws.receive(), timeout)
            assert msg.type == aiohttp.WSMsgType.TEXT, f"connection ended: {msg.type} {self.ws.close_code}"
            frame = json.loads(msg.data)
            if frame["op"] == 0:
                return frame

    async def drain(self, quiet: float = 0.2) -> list[dict]:
        """Every dispatch received until the socket stays quiet for `quiet` seconds."""
        out = []
        while True:
            try:
                out.append(await self.next_dispatch(timeout=quiet))
            except TimeoutError:
                return out

    async def closed_with(self) -> int | None:
        msg = await asyncio.wait_for(self.ws.receive(), 3)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
        return self.ws.close_code


async def open_shard(http, emu, shard) -> RawShard:
    s = await (await RawShard(http, emu).connect()).identify(shard)
    return await s.ready_and_guilds()


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


def test_guild_ids_land_on_the_chosen_shard(emu):
    before = emu.world.ids.next()
    for num_shards in (2, 3, 4, 7):
        for shard in range(num_shards):
            g = emu.world.add_guild(f"g{shard}/{num_shards}", shard=shard, num_shards=num_shards)
            assert (g.id >> 22) % num_shards == shard == g.shard(num_shards)
    assert all(gid > before for gid in emu.world.guilds if gid != emu.world.guild_id)
    assert emu.world.ids.next() > max(emu.world.guilds)  # later ids stay larger (ordering by time)


async def test_each_shard_gets_its_guilds_at_ready(emu, http):
    w = emu.world
    a = w.add_guild("A", shard=0, num_shards=2)
    b = w.add_guild("B", shard=1, num_shards=2)
    first = shard_of(w.guild_id, 2)
    s0, s1 = await open_shard(http, emu, [0, 2]), await open_shard(http, emu, [1, 2])
    expected = {
        0: {a.id} | ({w.guild_id} if first == 0 else set()),
        1: {b.id} | ({w.guild_id} if first == 1 else set()),
    }
    for n, s in ((0, s0), (1, s1)):
        assert s.ready["shard"] == [n, 2]
        assert {int(g["id"]) for g in s.ready["guilds"]} == expected[n]
        assert {int(g["id"]) for g in s.guild_creates} == expected[n]
        for g in s.guild_creates:  # each GUILD_CREATE carries that guild's own channels and members
            assert {c["guild_id"] for c in g["channels"]} == {g["id"]}
            assert {"Quorum", "alice", "bob"} <= {m["user"]["username"] for m in g["members"]}
    # No shard in IDENTIFY (once those two are gone): [0, 1], every guild
    await s0.ws.close()
    await s1.ws.close()
    await emu.wait_for(lambda: all(s.conn is None for s in emu.gateway.sessions.values()))
    everything = await open_shard(http, emu, None)
    assert everything.ready["shard"] == [0, 1]
    assert {int(g["id"]) for g in everything.guild_creates} == set(w.guilds)


async def test_guild_events_go_to_the_guilds_shard_and_dms_to_shard_0(emu, http):
    w = emu.world
    a = w.add_guild("A", shard=0, num_shards=2)
    b = w.add_guild("B", shard=1, num_shards=2)
    s0, s1 = await open_shard(http, emu, [0, 2]), await open_shard(http, emu, [1, 2])
    bob = w.members["bob"].id
    assert b.members_by_id[bob] is not w.members_by_id[bob]  # one user, a member of each guild
    await emu.post_message(bob, a.text_channel_id, "in A")
    await emu.post_message(bob, b.text_channel_id, "in B")
    await emu.create_forum_post(bob, "Question in B", "body", channel_id=b.forum_channel_id)
    await emu.dispatch_raw("MESSAGE_CREATE", {"id": "1", "channel_id": "2", "content": "a DM"})  # no guild_id
    got0, got1 = await s0.drain(), await s1.drain()
    assert [(f["t"], f["d"].get("content")) for f in got0] == [("MESSAGE_CREATE", "in A"), ("MESSAGE_CREATE", "a DM")]
    assert [f["t"] for f in got1] == ["MESSAGE_CREATE", "THREAD_CREATE", "MESSAGE_CREATE"]
    assert {f["d"].get("guild_id") for f in got1} == {str(b.id)}
    assert got1[0]["d"]["member"]["roles"] == []  # bob's membership in B, not in A


async def test_a_shard_held_by_a_live_session_is_refused(emu, http):
    holder = await open_shard(http, emu, [0, 2])
    # Same shard, and a count whose shard shares guilds with it ([0, 1] receives everything).
    for claim in ([0, 2], [0, 1], [2, 4]):
        dup = await (await RawShard(http, emu).connect()).identify(claim)
        assert await dup.closed_with() == 4010, claim
    # A disjoint shard of the same count is fine, and the holder keeps its session and events.
    other = await open_shard(http, emu, [1, 2])
    assert other.ready["shard"] == [1, 2]
    assert len(emu.gateway.sessions) == 2
    # Once the holder's connection is gone (the process stopped), the shard can be claimed again.
    await holder.ws.close()
    await emu.wait_for(lambda: all(s.conn is None for s in emu.gateway.sessions.values() if s.shard == (0, 2)))
    again = await open_shard(http, emu, [0, 2])
    assert again.ready["shard"] == [0, 2]
    assert sorted(s.shard for s in emu.gateway.sessions.values()) == [(0, 2), (1, 2)]  # the old one superseded


async def test_invalid_shard_and_second_identify_on_one_connection(emu, http):
    for claim in ([2, 2], [0, 0], [-1, 2], [0]):
        bad = await (await RawShard(http, emu).connect()).identify(claim)
        assert await bad.closed_with() == 4010, claim
    s = await open_shard(http, emu, [0, 1])
    await s.identify([0, 1])
    assert await s.closed_with() == 4005  # Discord: "You sent more than one identify payload"


async def test_gateway_bot_recommends_one_shard_per_thousand_guilds(emu, http):
    async def recommended() -> int:
        async with http.get(emu.api_base + "/gateway/bot", headers={"Authorization": f"Bot {emu.token}"}) as r:
            return (await r.json())["shards"]

    assert await recommended() == 1
    for i in range(999):
        emu.world.add_guild(f"g{i}", members=())
    assert len(emu.world.guilds) == 1000 and await recommended() == 1
    emu.world.add_guild("one more", members=())
    assert await recommended() == 2


async def test_rest_and_permissions_resolve_the_guild(emu, http):
    w = emu.world
    b = w.add_guild("B", members=("bob", "alice"))  # bob owns B; in the first guild he is a plain member
    alice, bob = w.members["alice"].id, w.members["bob"].id
    assert b.owner_id == bob and b.members["alice"].id == alice
    assert w.permissions_in(bob, b.forum_channel_id) & P.MANAGE_THREADS
    assert not w.permissions_in(bob, w.forum_channel_id) & P.MANAGE_THREADS
    assert w.permissions_in(alice, w.forum_channel_id) == P.ALL
    assert not w.permissions_in(alice, b.forum_channel_id) & P.MANAGE_THREADS
    w.set_role_permissions(b.everyone_role_id, 0)  # B's @everyone only: the first guild is untouched
    assert not w.permissions_in(alice, b.text_channel_id) & P.VIEW_CHANNEL
    assert w.permissions_in(w.members["carol"].id, w.text_channel_id) & P.VIEW_CHANNEL

    headers = {"Authorization": f"Bot {emu.token}"}

    async def get(path):
        async with http.get(emu.api_base + path, headers=headers) as r:
            return r.status, await r.json()

    status, channels = await get(f"/guilds/{b.id}/channels")
    assert status == 200 and {int(c["id"]) for c in channels} == {b.text_channel_id, b.forum_channel_id}
    status, roles = await get(f"/guilds/{b.id}/roles")
    assert {int(r["id"]) for r in roles} == set(b.roles)
    status, member = await get(f"/guilds/{b.id}/members/{alice}")
    assert member["roles"] == []
    assert (await get(f"/guilds/{b.id}/members/{w.members['carol'].id}"))[1]["code"] == 10007  # not in B
    assert (await get(f"/guilds/{w.ids.next()}"))[0] == 403  # a guild the bot is not in


async def test_discord_py_auto_sharded_client_sees_each_guild_on_its_shard(emu):
    w = emu.world
    for shard in (0, 1, 1):
        w.add_guild(f"on {shard}", shard=shard, num_shards=2)
    point_discord_at(emu)
    client = discord.AutoShardedClient(intents=discord.Intents.default(), shard_count=2)

    async def no_identify_wait(shard_id, *, initial=False):
        return None  # discord.py waits 5 s between IDENTIFYs (Discord's rate limit); the emulator has none

    client.before_identify_hook = no_identify_wait
    task = asyncio.create_task(client.start(emu.token))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 10)
        assert {g.id for g in client.guilds} == set(w.guilds)
        assert all(g.shard_id == shard_of(g.id, 2) for g in client.guilds)
        assert sorted(s.shard for s in emu.gateway.sessions.values()) == [(0, 2), (1, 2)]
        # A fault on one shard: only that shard resumes; the events meanwhile are replayed to it.
        on_1 = next(g for g in w.guilds.values() if g.shard(2) == 1)
        await emu.drop_connection(shard_id=1)
        await emu.rename_guild("renamed while down", guild_id=on_1.id)
        await emu.wait_for(lambda: emu.gateway_stats.resumes == 1, timeout=5)
        await emu.wait_for(lambda: client.get_guild(on_1.id).name == "renamed while down", timeout=5)
        assert emu.gateway_stats.identifies == 2
    finally:
        await client.close()
        task.cancel()


def _sharded(shard_ids: list[int], shard_count: int) -> discord.AutoShardedClient:
    client = discord.AutoShardedClient(intents=discord.Intents.default(), shard_ids=shard_ids, shard_count=shard_count)

    async def no_identify_wait(shard_id, *, initial=False):
        return None

    client.before_identify_hook = no_identify_wait
    return client


async def test_two_processes_split_the_shards_and_a_third_claiming_one_is_refused(emu):
    """As with `--shards 0 --shard-count 2` and `--shards 1 --shard-count 2` in two processes: each
    client has the guilds of its shard only; a third claiming shard 0 while it is held fails (4010)."""
    w = emu.world
    for shard in (0, 1, 1, 0):
        w.add_guild(f"on {shard}", shard=shard, num_shards=2)
    point_discord_at(emu)
    first, second = _sharded([0], 2), _sharded([1], 2)
    tasks = [asyncio.create_task(first.start(emu.token)), asyncio.create_task(second.start(emu.token))]
    try:
        await asyncio.wait_for(asyncio.gather(first.wait_until_ready(), second.wait_until_ready()), 10)
        assert {g.id for g in first.guilds} == {gid for gid in w.guilds if shard_of(gid, 2) == 0}
        assert {g.id for g in second.guilds} == {gid for gid in w.guilds if shard_of(gid, 2) == 1}
        intruder = _sharded([0], 2)
        with pytest.raises(discord.ConnectionClosed) as refused:
            await asyncio.wait_for(intruder.start(emu.token), 10)
        assert refused.value.code == 4010
        await intruder.close()
        assert not tasks[0].done() and not tasks[1].done()  # the holders keep running
        assert emu.gateway_stats.identifies == 2  # the refused IDENTIFY never made a session
    finally:
        for client in (first, second):
            await client.close()
        for task in tasks:
            task.cancel()


async def test_a_guild_added_while_connected_is_joined(emu, harness):
    g = await emu.add_guild("Late Server", members=("zoe", "bob"))
    (joined,) = (await harness.wait_event("guild_join"))[0]
    assert joined.id == g.id and joined.name == "Late Server"
    assert {c.id for c in joined.channels} == {g.text_channel_id, g.forum_channel_id}
    assert joined.get_member(emu.world.members["bob"].id) is not None
    assert len(harness.client.guilds) == 2
