"""A paced gateway for phase 2: bench.votes' sender (its REST answers and session frames), but with
the generated forum's guild and a steady rate instead of one burst.

Every MESSAGE_REACTION_ADD frame is serialised and framed when the process starts. After ("go",),
frame i is written at t0 + i / rate (frames due together go out together), and each write's
time.monotonic() is kept; ("sent", times) reports them when the stream ends. The bot makes no REST
call for these votes (new pairs, under the cap, on others' posts), so the REST side only serves
login and command sync; anything else is counted as unexpected and answered 404.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter

from aiohttp import WSMsgType, web

from bench.generate import CHANNEL_ID, GUILD_ID
from bench.votes.fixture import BOT_ID
from bench.votes.sender import FLAGS, HEARTBEAT_MS, Server, Shapes, text_frame, ws_frame
from emulator.world import World

from .prepare import Vote

UP, DOWN = "\N{THUMBS UP SIGN}", "\N{THUMBS DOWN SIGN}"


class ForumShapes(Shapes):
    """The emulator's session shapes with the generated forum's guild and questions channel ids: the bot
    records, from the guild Discord shows it, whether @everyone can read each published channel, and a
    channel missing from the guild reads as deleted (its pages 404)."""

    def __init__(self) -> None:  # Shapes' own, with another guild id
        w = World()
        self.world = w
        self._ids = {str(w.guild_id): str(GUILD_ID), str(w.bot_user_id): str(BOT_ID),
                     str(w.forum_channel_id): str(CHANNEL_ID)}  # fmt: skip
        self.bot_user = self._rewrite(w.bot_user)
        self.guild_create = self._rewrite(w.guild_create_payload())
        self.joined_at = w.members_by_id[w.owner_id].joined_at


def reaction_frames(shapes: Shapes, votes: list[Vote], first_seq: int) -> list[bytes]:
    out = []
    members: dict[int, dict] = {}
    for i, v in enumerate(votes):
        member = members.get(v.voter_id) or members.setdefault(v.voter_id, shapes.member(v.voter_id))
        d = {"user_id": str(v.voter_id), "type": 0, "message_id": str(v.post_id),
             "message_author_id": str(v.author_id), "member": member,
             "emoji": {"name": UP if v.value > 0 else DOWN, "id": None}, "channel_id": str(v.question_id),
             "burst": False, "guild_id": str(GUILD_ID)}  # fmt: skip
        payload = {"t": "MESSAGE_REACTION_ADD", "s": first_seq + i, "op": 0, "d": d}
        out.append(ws_frame(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()))
    return out


class PacedServer(Server):
    def __init__(self, pipe, votes: list[Vote], rate: float) -> None:  # not super().__init__: it frames a burst
        self.pipe = pipe
        self.rate = rate
        self.shapes = ForumShapes()
        self.hello = text_frame({"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": HEARTBEAT_MS}})
        self.session = self._session_frames()
        self.stream_frames = reaction_frames(self.shapes, votes, first_seq=3)
        self.frames = len(votes)
        self.unexpected = Counter()
        self.requests = Counter()
        self.go: asyncio.Queue = asyncio.Queue()

    def sizes(self) -> dict:
        return {"frames": self.frames}

    async def gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(compress=False, max_msg_size=0)
        await ws.prepare(request)
        transport = request.transport
        assert transport is not None
        transport.write(self.hello)
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            if frame.get("op") == 1:
                transport.write(text_frame({"op": 11, "s": None, "t": None, "d": None}))
            elif frame.get("op") == 2:
                transport.write(self.session)
                self.pipe.send(("armed", self.frames))
                message = await self.go.get()
                assert message == ("go",), message
                asyncio.create_task(self._stream(transport))
        return ws

    async def _stream(self, transport) -> None:
        loop = asyncio.get_running_loop()
        sent: list[float] = []
        t0 = loop.time()  # time.monotonic(): comparable across processes
        i, n = 0, len(self.stream_frames)
        while i < n:
            now = loop.time()
            due = min(n, int((now - t0) * self.rate) + 1)
            if due > i:
                transport.write(b"".join(self.stream_frames[i:due]))
                sent.extend([loop.time()] * (due - i))
                i = due
            await asyncio.sleep(max(0.0, t0 + i / self.rate - loop.time()))
        self.pipe.send(("sent", sent))

    def _session_frames(self) -> bytes:
        s = self.shapes
        ready = {"v": 10, "user": dict(s.bot_user, verified=True, mfa_enabled=False, email=None),
                 "guilds": [{"id": str(GUILD_ID), "unavailable": True}], "session_id": "bench",
                 "session_type": "normal", "resume_gateway_url": "ws://127.0.0.1/gateway",
                 "application": {"id": str(BOT_ID), "flags": FLAGS}, "shard": [0, 1], "private_channels": [],
                 "relationships": [], "presences": [], "guild_join_requests": [], "geo_ordered_rtc_regions": [],
                 "user_settings": {}}  # fmt: skip
        return (text_frame({"op": 0, "t": "READY", "s": 1, "d": ready})
                + text_frame({"op": 0, "t": "GUILD_CREATE", "s": 2, "d": s.guild_create}))  # fmt: skip


def main(pipe, votes: list[Vote], rate: float) -> None:
    """Process entry point."""
    asyncio.run(PacedServer(pipe, votes, rate).serve())
