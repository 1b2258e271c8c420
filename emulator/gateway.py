"""The gateway: HELLO/IDENTIFY/READY, heartbeats, RESUME with replay, intents, zlib-stream.

One *session* per IDENTIFY. Dispatches go to the current session only; while its socket is down the
events are buffered and a RESUME replays those after the client's last seq. After an
invalidation (op 9 false) there is no session until the next IDENTIFY, and events dispatched in
between are lost to the client, as on Discord.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import secrets
import zlib
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from .guilds import shard_of

log = logging.getLogger("emulator.gateway")

# Intent bits (Discord's).
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
MESSAGE_CONTENT = 1 << 15
PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

# Which intent an event needs: (guild intent, DM intent). None = always sent.
EVENT_INTENTS = {
    "GUILD_CREATE": (GUILDS, GUILDS), "GUILD_UPDATE": (GUILDS, GUILDS), "GUILD_DELETE": (GUILDS, GUILDS),
    "CHANNEL_CREATE": (GUILDS, GUILDS), "CHANNEL_UPDATE": (GUILDS, GUILDS), "CHANNEL_DELETE": (GUILDS, GUILDS),
    "CHANNEL_PINS_UPDATE": (GUILDS, DIRECT_MESSAGES),
    "THREAD_CREATE": (GUILDS, GUILDS), "THREAD_UPDATE": (GUILDS, GUILDS), "THREAD_DELETE": (GUILDS, GUILDS),
    "THREAD_LIST_SYNC": (GUILDS, GUILDS), "THREAD_MEMBER_UPDATE": (GUILDS, GUILDS),
    "THREAD_MEMBERS_UPDATE": (GUILD_MEMBERS, GUILD_MEMBERS),
    "GUILD_ROLE_CREATE": (GUILDS, GUILDS), "GUILD_ROLE_UPDATE": (GUILDS, GUILDS),
    "GUILD_ROLE_DELETE": (GUILDS, GUILDS),
    "GUILD_MEMBER_ADD": (GUILD_MEMBERS, GUILD_MEMBERS), "GUILD_MEMBER_UPDATE": (GUILD_MEMBERS, GUILD_MEMBERS),
    "GUILD_MEMBER_REMOVE": (GUILD_MEMBERS, GUILD_MEMBERS),
    "MESSAGE_CREATE": (GUILD_MESSAGES, DIRECT_MESSAGES), "MESSAGE_UPDATE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_DELETE": (GUILD_MESSAGES, DIRECT_MESSAGES), "MESSAGE_DELETE_BULK": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_REACTION_ADD": (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_REACTION_REMOVE": (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_REACTION_REMOVE_ALL": (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_REACTION_REMOVE_EMOJI": (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS),
}
MESSAGE_EVENTS = ("MESSAGE_CREATE", "MESSAGE_UPDATE")


@dataclass
class GatewayStats:
    connections: int = 0
    identifies: int = 0
    resumes: int = 0
    events_sent: int = 0  # dispatches written to a socket (replays included)
    heartbeats: int = 0
    invalid_sessions: int = 0
    closes: list[int] = field(default_factory=list)


class Connection:
    def __init__(self, ws: web.WebSocketResponse, compress: bool) -> None:
        self.ws = ws
        self.zlib = zlib.compressobj() if compress else None
        self.lock = asyncio.Lock()

    async def send(self, payload: dict) -> None:
        data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        async with self.lock:
            if self.ws.closed:
                raise ConnectionResetError("socket closed")
            if self.zlib is not None:
                # zlib-stream: one shared compression context per connection, each payload ends
                # with a Z_SYNC_FLUSH so the client sees the 00 00 ff ff suffix.
                await self.ws.send_bytes(self.zlib.compress(data.encode()) + self.zlib.flush(zlib.Z_SYNC_FLUSH))
            else:
                await self.ws.send_str(data)


class Session:
    def __init__(self, session_id: str, intents: int, shard: tuple[int, int] = (0, 1)) -> None:
        self.id = session_id
        self.intents = intents
        self.shard = shard  # (shard_id, num_shards) from IDENTIFY; [0, 1] when none was sent
        self.seq = 0
        self.buffer: list[dict] = []  # every dispatch sent in this session, for RESUME
        self.conn: Connection | None = None
        self.lock = asyncio.Lock()  # orders live sends against a RESUME replay


class Gateway:
    def __init__(self, emu) -> None:
        self.emu = emu
        self.stats = GatewayStats()
        self.sessions: dict[str, Session] = {}  # resumable sessions, one per shard at most
        self.current: Session | None = None  # the most recently identified session
        self.connections: set[Connection] = set()
        self.heartbeat_interval = emu.heartbeat_interval

    # ----- dispatch ------------------------------------------------------------------------
    def wants(self, session: Session, event: str, data: dict) -> bool:
        need = EVENT_INTENTS.get(event)
        if need is None:
            return True
        in_dm = "guild_id" not in data and event not in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE")
        return bool(session.intents & (need[1] if in_dm else need[0]))

    def content_allowed(self, session: Session) -> bool:
        return bool(self.emu.message_content and session.intents & MESSAGE_CONTENT)

    @staticmethod
    def guild_of_event(event: str, data: dict) -> int | None:
        """The guild an event belongs to (its shard is Discord's (guild_id >> 22) % num_shards);
        None for events outside any guild (DMs), which Discord sends to shard 0."""
        gid = data.get("id") if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE") else data.get("guild_id")
        return int(gid) if gid else None

    def sessions_for(self, event: str, data: dict) -> list[Session]:
        gid = self.guild_of_event(event, data)
        return [s for s in self.sessions.values() if shard_of(gid, s.shard[1]) == s.shard[0]]

    async def dispatch(self, event: str, data: dict) -> None:
        """Send an event to the session of each shard it belongs to. No session: the event is lost
        to the client, as on Discord."""
        for s in self.sessions_for(event, data):
            await self.send_event(s, event, data)

    async def send_event(self, s: Session, event: str, data: dict) -> None:
        if not self.wants(s, event, data):
            return
        if event in MESSAGE_EVENTS:
            data = self.emu.redact(data, allowed=self.content_allowed(s))
        async with s.lock:
            s.seq += 1
            payload = {"op": 0, "t": event, "s": s.seq, "d": data}
            s.buffer.append(payload)
            if s.conn is not None:
                try:
                    await s.conn.send(payload)
                    self.stats.events_sent += 1
                except (ConnectionResetError, RuntimeError):
                    s.conn = None  # buffered; a RESUME will replay it

    # ----- websocket handler ---------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        compress = request.query.get("compress")
        # Only zlib-stream is implemented; a client asking for zstd-stream (discord.py with the
        # zstandard package) would fail to decode, so tell it rather than send garbage.
        if compress not in (None, "zlib-stream"):
            await ws.close(code=4000, message=b"Unsupported compression")
            return ws
        conn = Connection(ws, compress == "zlib-stream")
        self.connections.add(conn)
        self.stats.connections += 1
        session: Session | None = None
        try:
            await conn.send({"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": self.heartbeat_interval,
                                                                     "_trace": ["emulator"]}})
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    if msg.type == WSMsgType.BINARY:
                        await ws.close(code=4002, message=b"Decode error")
                    break
                try:
                    frame = json.loads(msg.data)
                except ValueError:
                    await ws.close(code=4002, message=b"Decode error")
                    break
                op, d = frame.get("op"), frame.get("d")
                if op == 1:
                    self.stats.heartbeats += 1
                    await conn.send({"op": 11, "s": None, "t": None, "d": None})
                elif op == 2:
                    if session is not None:  # Discord: 4005, a second IDENTIFY on one connection
                        await ws.close(code=4005, message=b"Already authenticated.")
                        break
                    session = await self._identify(conn, d or {})
                elif op == 6:
                    session = await self._resume(conn, d or {})
                elif op in (3, 4, 8, 31):
                    pass  # presence/voice/request members: accepted and ignored
                else:
                    await ws.close(code=4001, message=b"Unknown opcode")
                    break
        finally:
            self.connections.discard(conn)
            if session is not None and session.conn is conn:
                session.conn = None
            if ws.close_code is not None:
                self.stats.closes.append(ws.close_code)
        return ws

    async def _identify(self, conn: Connection, d: dict) -> Session | None:
        if d.get("token", "").removeprefix("Bot ") != self.emu.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = int(d.get("intents", 0))
        if intents & PRIVILEGED & ~self.emu.privileged_intents():
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        shard = d.get("shard") or [0, 1]
        if not (isinstance(shard, list) and len(shard) == 2 and all(isinstance(x, int) for x in shard)
                and 0 <= shard[0] < shard[1]):
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return None
        shard = (shard[0], shard[1])
        if self.shard_held(shard):
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return None
        self.stats.identifies += 1
        session = Session(secrets.token_hex(16), intents, shard)
        # A new IDENTIFY supersedes the sessions it overlaps that have no connection (a client that
        # restarted): they are no longer resumable and no longer buffer events.
        self.sessions = {sid: s for sid, s in self.sessions.items() if not self._overlaps(s, shard)}
        self.sessions[session.id] = session
        self.current = session
        w = self.emu.world
        guilds = [g for g in w.guilds.values() if g.bot_in_guild and g.shard(shard[1]) == shard[0]]
        async with session.lock:
            session.conn = conn
        await self.send_event(session, "READY", {
            "v": 10, "user": dict(w.bot_user, verified=True, mfa_enabled=False, email=None),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal", "resume_gateway_url": self.emu.gateway_url,
            "application": {"id": str(w.application_id), "flags": self.emu.application_flags()},
            "shard": list(shard), "private_channels": [], "relationships": [], "presences": [],
            "guild_join_requests": [], "geo_ordered_rtc_regions": [], "user_settings": {},
            "_trace": ["emulator"],
        })
        for g in guilds:
            await self.send_event(session, "GUILD_CREATE", w.guild_create_payload(g.id))
        return session

    def shard_held(self, shard: tuple[int, int]) -> bool:
        """Another session with a live connection receives (some of) this shard's guilds: the same
        shard, or the same guilds under another shard count (for count n, shard i holds the guilds
        whose id>>22 is i mod n: they overlap unless both counts agree and the ids differ)."""
        return any(s.conn is not None and not s.conn.ws.closed and self._overlaps(s, shard)
                   for s in self.sessions.values())

    @staticmethod
    def _overlaps(s: Session, shard: tuple[int, int]) -> bool:
        (i, n), (j, m) = s.shard, shard
        return (i - j) % math.gcd(n, m) == 0  # some x with x % n == i and x % m == j

    async def _resume(self, conn: Connection, d: dict) -> Session | None:
        session = self.sessions.get(d.get("session_id", ""))
        if session is None or d.get("token", "").removeprefix("Bot ") != self.emu.token:
            self.stats.invalid_sessions += 1
            await conn.send({"op": 9, "s": None, "t": None, "d": False})
            return None
        self.stats.resumes += 1
        last = int(d.get("seq") or 0)
        async with session.lock:
            for payload in session.buffer:
                if payload["s"] > last:
                    await conn.send(payload)
                    self.stats.events_sent += 1
            session.conn = conn
        await self.send_event(session, "RESUMED", {"_trace": ["emulator"]})
        return session

    # ----- faults ---------------------------------------------------------------------------
    def session_of(self, shard_id: int | None) -> Session | None:
        """The session of shard `shard_id` (None: the most recently identified one)."""
        if shard_id is None:
            return self.current
        return next((s for s in self.sessions.values() if s.shard[0] == shard_id), None)

    async def drop_connection(self, shard_id: int | None = None) -> None:
        """Close abnormally (code 1006-like); the session stays resumable."""
        s = self.session_of(shard_id)
        if s is None or s.conn is None:
            return
        async with s.lock:
            conn, s.conn = s.conn, None
        await conn.ws.close(code=4000, message=b"Unknown error")  # 4000: client must reconnect and resume

    async def send_reconnect(self, shard_id: int | None = None) -> None:
        s = self.session_of(shard_id)
        if s and s.conn:
            await s.conn.send({"op": 7, "s": None, "t": None, "d": None})

    async def invalidate_session(self, resumable: bool = False, shard_id: int | None = None) -> None:
        s = self.session_of(shard_id)
        if s is None:
            return
        conn = s.conn
        if not resumable:
            async with s.lock:
                s.conn = None
            self.sessions.pop(s.id, None)
            if self.current is s:
                self.current = None
        self.stats.invalid_sessions += 1
        if conn is not None:
            await conn.send({"op": 9, "s": None, "t": None, "d": resumable})

    async def close_all(self) -> None:
        for conn in list(self.connections):
            await conn.ws.close(code=1001, message=b"Going away")
