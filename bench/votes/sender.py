"""The sender: a minimal Discord-compatible server on 127.0.0.1 (REST for login and command sync, a
gateway) that streams pre-serialised MESSAGE_REACTION_ADD frames, in a process of its own.

It must outrun the client it feeds, or a benchmark of the client measures the sender. So:
- it runs in its own process (its CPU is not the client's event loop, nor under its GIL);
- every gateway frame (HELLO, READY, GUILD_CREATE and the reaction dispatches) is serialised and
  framed as a WebSocket text message once, when the process starts, long before any clock starts;
- the frames are plain JSON text, not zlib-stream: discord.py asks for `compress=zlib-stream` but
  reads a text frame as JSON whatever it asked for, so the bytes are the same for every connection
  and no per-connection compression is left to do;
- the whole stream is one `transport.write`: what the socket cannot take at once, asyncio keeps and
  writes as fast as the client reads it.
Its own rate is measured by the `sink` phase (a raw WebSocket reader that only drains the socket).
The session's shapes (READY, GUILD_CREATE, member and user objects) come from the emulator's World,
with the bench's fixed ids.

Protocol with the parent (a multiprocessing pipe): -> ("port", port, sizes) where sizes gives the
frames and bytes a client receives before and in the stream; on each IDENTIFY it sends the session
and ("armed", frames); it waits for ("go",), writes the stream, and sends ("sent", t0), a
time.monotonic() stamp (CLOCK_MONOTONIC: comparable across processes). ("stop",) ends it.
BENCH_SENDER_CPU=n pins the process to CPU n.
"""

from __future__ import annotations

import asyncio
import json
import struct
import threading
from collections import Counter

from aiohttp import WSMsgType, web

from emulator.world import World

from . import cpu
from .fixture import BOT_ID, GUILD_ID, Vote

UP, DOWN = "\N{THUMBS UP SIGN}", "\N{THUMBS DOWN SIGN}"
# No heartbeat during a run (discord.py's first one, sent on HELLO, is answered before the stream).
HEARTBEAT_MS = 3_600_000
FLAGS = (1 << 19) | (1 << 15) | (1 << 13)  # message content, members, presences (limited)


def ws_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One unmasked, final WebSocket frame (server to client)."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return head + payload


def _dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class Shapes:
    """Payload shapes taken from the emulator's World, rewritten to the bench's ids."""

    def __init__(self) -> None:
        w = World()
        self.world = w
        self._ids = {str(w.guild_id): str(GUILD_ID), str(w.bot_user_id): str(BOT_ID)}
        self.bot_user = self._rewrite(w.bot_user)
        self.guild_create = self._rewrite(w.guild_create_payload())
        self.joined_at = w.members_by_id[w.owner_id].joined_at

    def _rewrite(self, obj):
        text = _dumps(obj)
        for old, new in self._ids.items():
            text = text.replace(old, new)
        return json.loads(text)

    def member(self, user_id: int) -> dict:
        user = World._user_payload(user_id, f"member{user_id % 1_000_000}")
        return {"user": user, "roles": [], "nick": None, "avatar": None, "banner": None,
                "joined_at": self.joined_at, "premium_since": None, "deaf": False, "mute": False, "flags": 0,
                "pending": False, "communication_disabled_until": None}  # fmt: skip


def text_frame(obj) -> bytes:
    return ws_frame(_dumps(obj).encode(), 0x1)


def reaction_frames(shapes: Shapes, votes: list[Vote], first_seq: int) -> list[bytes]:
    """MESSAGE_REACTION_ADD dispatches as Discord sends them, serialised (UTF-8 JSON)."""
    out = []
    members: dict[int, dict] = {}
    for i, v in enumerate(votes):
        member = members.get(v.voter_id)
        if member is None:
            member = members[v.voter_id] = shapes.member(v.voter_id)
        d = {"user_id": str(v.voter_id), "type": 0, "message_id": str(v.post_id),
             "message_author_id": str(v.author_id), "member": member,
             "emoji": {"name": UP if v.value > 0 else DOWN, "id": None}, "channel_id": str(v.question_id),
             "burst": False, "guild_id": str(GUILD_ID)}  # fmt: skip
        out.append(_dumps({"t": "MESSAGE_REACTION_ADD", "s": first_seq + i, "op": 0, "d": d}).encode())
    return out


class Server:
    def __init__(self, pipe, votes: list[Vote]) -> None:
        self.pipe = pipe
        self.shapes = Shapes()
        # Every byte a client receives, framed now: the measured window only moves bytes.
        self.hello = text_frame({"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": HEARTBEAT_MS}})
        self.session = self._session_frames()
        self.stream = b"".join(ws_frame(f) for f in reaction_frames(self.shapes, votes, first_seq=3))
        self.frames = len(votes)
        self.unexpected: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.go: asyncio.Queue = asyncio.Queue()

    def sizes(self) -> dict:
        """What a client receives: `before` bytes (HELLO, READY, GUILD_CREATE; not counting heartbeat
        ACKs), then the stream of `frames` reaction frames in `stream` bytes."""
        return {"frames": self.frames, "before": len(self.hello) + len(self.session), "stream": len(self.stream)}

    # ----- REST: just enough for discord.py's login and Quorum's start-up
    async def rest(self, request: web.Request) -> web.Response:
        path = request.match_info["tail"]
        key = f"{request.method} /{path}"
        self.requests[key] += 1
        if request.method == "GET" and path == "users/@me":
            return _json(dict(self.shapes.bot_user, verified=True, mfa_enabled=False, locale="en-US", email=None))
        if request.method == "GET" and path == "oauth2/applications/@me":
            return _json({"id": str(BOT_ID), "name": "Quorum", "icon": None, "description": "", "bot_public": True,
                          "bot_require_code_grant": False, "verify_key": "0" * 64, "flags": FLAGS,
                          "owner": self.shapes.bot_user, "team": None, "summary": "", "bot": self.shapes.bot_user,
                          "rpc_origins": [], "tags": [], "approximate_guild_count": 1, "redirect_uris": [],
                          "interactions_endpoint_url": None})  # fmt: skip
        if request.method == "GET" and path == "gateway/bot":
            url = f"ws://127.0.0.1:{request.url.port}/gateway"
            return _json({"url": url, "shards": 1, "session_start_limit": {"total": 1000, "remaining": 999,
                                                                          "reset_after": 0, "max_concurrency": 1}})
        if request.method == "PUT" and path == f"applications/{BOT_ID}/commands":
            body = await request.json()
            return _json([_command(c, BOT_ID + 100 + i) for i, c in enumerate(body)])
        if request.method in ("DELETE", "PUT") and "/reactions/" in path:
            return web.Response(status=204)
        self.unexpected[key] += 1
        return web.Response(body=b'{"message": "404: Not Found", "code": 0}', status=404,
                            headers={"Content-Type": "application/json"})  # fmt: skip

    # ----- gateway
    async def gateway(self, request: web.Request) -> web.StreamResponse:
        # No permessage-deflate (Discord offers none), and no zlib-stream either (see the docstring).
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
                t0 = asyncio.get_running_loop().time()  # time.monotonic()
                transport.write(self.stream)
                self.pipe.send(("sent", t0))
        return ws

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

    async def serve(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self.gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self.rest)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.pipe.send(("port", port, self.sizes()))
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue = asyncio.Queue()
        # One thread reads the pipe; "go" belongs to the session waiting to stream.
        threading.Thread(target=self._read_pipe, args=(loop, inbox), daemon=True).start()
        while True:
            message = await inbox.get()
            if message == ("go",):
                self.go.put_nowait(message)
            elif message == ("stop",):
                break
            if message == ("stats",):
                self.pipe.send(("stats", dict(self.requests), dict(self.unexpected)))
        await runner.cleanup()

    def _read_pipe(self, loop, inbox) -> None:
        while True:
            try:
                message = self.pipe.recv()
            except EOFError:
                message = ("stop",)
            loop.call_soon_threadsafe(inbox.put_nowait, message)
            if message == ("stop",):
                return


def _command(data: dict, cid: int) -> dict:
    # The emulator's shape of a registered command (emulator/rest_misc.py).
    return {"id": str(cid), "application_id": str(BOT_ID), "version": "1", "type": data.get("type", 1),
            "name": data["name"], "description": data.get("description", ""), "options": data.get("options", []),
            "default_member_permissions": data.get("default_member_permissions"),
            "dm_permission": data.get("dm_permission", True), "nsfw": data.get("nsfw", False),
            "contexts": data.get("contexts"), "integration_types": data.get("integration_types", [0]),
            "name_localizations": data.get("name_localizations"),
            "description_localizations": data.get("description_localizations")}  # fmt: skip


def _json(obj) -> web.Response:
    # Exactly application/json: discord.py refuses a charset parameter at login.
    return web.Response(body=_dumps(obj).encode(), headers={"Content-Type": "application/json"})


def main(pipe, votes: list[Vote]) -> None:
    """Process entry point."""
    cpu.pin(cpu.env_cpu("BENCH_SENDER_CPU"))
    asyncio.run(Server(pipe, votes).serve())
