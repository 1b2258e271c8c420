"""The Emulator: aiohttp app on 127.0.0.1, REST under /api/v10, gateway at /gateway.

The middleware does what Discord's edge does for every REST call, in this order: log the request,
authenticate, apply injected faults, check the request against the OpenAPI description, run the
handler, translate Discord errors to their JSON shape and add rate-limit headers.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from . import gateway as G
from . import ops, rest_channels, rest_interactions, rest_messages, rest_misc
from . import permissions as P
from .actors import ActorsMixin
from .faults import Faults
from .httputil import DiscordError, dumps, parse_multipart
from .spec_check import SpecChecker
from .world import World

PREFIX = "/api/v10"


@dataclass
class RequestRecord:
    method: str
    path: str  # without /api/v10
    route: str | None  # the spec's template, e.g. /channels/{channel_id}/messages
    query: dict
    json: object
    status: int = 0
    spec_error: str | None = None
    elapsed_spec_ms: float = 0.0
    headers: dict = field(default_factory=dict)


@dataclass
class SpecViolation:
    method: str
    path: str
    route: str | None
    message: str
    json: object = None


class Emulator(ActorsMixin):
    def __init__(self, token: str = "emulator-token", spec_path: str | Path | None = None,
                 message_content: bool = True, *, members_intent: bool = True, presences_intent: bool = True,
                 heartbeat_interval: int = 41250) -> None:
        self.token = token
        self.message_content = message_content
        self.members_intent = members_intent
        self.presences_intent = presences_intent
        self.heartbeat_interval = heartbeat_interval
        self.world = World()
        self.world._on_member_add = self._member_added
        self.faults = Faults()
        self.requests: list[RequestRecord] = []
        self.unhandled: list[RequestRecord] = []
        self.spec_violations: list[SpecViolation] = []
        self.spec = SpecChecker(Path(spec_path)) if spec_path else None
        self.gateway = G.Gateway(self)
        self.interactions: dict[str, object] = {}  # token -> InteractionRecord
        self.interaction_ack_timeout = 3.0  # Discord: answer within 3 s or the token is dead
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._bg: set[asyncio.Task] = set()

    # ----- lifecycle -----------------------------------------------------------------------------
    @property
    def spec_checked(self) -> bool:
        return self.spec is not None

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def gateway_stats(self) -> G.GatewayStats:
        return self.gateway.stats

    async def start(self) -> Emulator:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        for module in (rest_misc, rest_channels, rest_messages, rest_interactions):
            for method, path, handler in module.routes(self):
                app.router.add_route(method, PREFIX + path, handler)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        await self.gateway.close_all()
        for t in list(self._bg):
            t.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    # ----- intents / content ------------------------------------------------------------------
    def privileged_intents(self) -> int:
        return ((G.MESSAGE_CONTENT if self.message_content else 0) | (G.GUILD_MEMBERS if self.members_intent else 0)
                | (G.GUILD_PRESENCES if self.presences_intent else 0))

    def application_flags(self) -> int:
        # GATEWAY_MESSAGE_CONTENT_LIMITED (1<<19), GATEWAY_GUILD_MEMBERS_LIMITED (1<<15), PRESENCE (1<<13)
        return ((1 << 19 if self.message_content else 0) | (1 << 15 if self.members_intent else 0)
                | (1 << 13 if self.presences_intent else 0))

    def redact(self, msg: dict, allowed: bool) -> dict:
        """Discord's MESSAGE_CONTENT rule: without the intent, content, embeds, attachments,
        components and polls are empty, except in the bot's own messages, messages that mention
        it, and DMs."""
        if allowed or not isinstance(msg, dict) or "author" not in msg:
            return msg
        bot = str(self.world.bot_user_id)
        out = copy.copy(msg)
        if "referenced_message" in msg and msg["referenced_message"]:
            out["referenced_message"] = self.redact(msg["referenced_message"], allowed)
        if msg["author"]["id"] == bot or any(u["id"] == bot for u in msg.get("mentions", ())):
            return out
        if "guild_id" not in msg and self.world.channels.get(int(msg["channel_id"]), {}).get("type") == 1:
            return out
        out.update(content="", embeds=[], attachments=[], components=[])
        out.pop("poll", None)
        return out

    # ----- events -------------------------------------------------------------------------------
    async def dispatch(self, event: str, data: dict) -> None:
        if not self._bot_sees(event, data):
            return
        await self.gateway.dispatch(event, data)

    def _bot_sees(self, event: str, data: dict) -> bool:
        """Discord sends what happens in a private thread only to those who can see it: its members
        and those with Manage Threads (the bot holds it by default, so it usually sees them all)."""
        if event.startswith("THREAD_") and event not in ("THREAD_MEMBER_UPDATE", "THREAD_LIST_SYNC"):
            channel_id = data.get("id")
        else:
            channel_id = data.get("channel_id")
        channel = self.world.channels.get(int(channel_id)) if channel_id else None
        if channel is None or channel["type"] != 12:
            return True
        return bool(self.world.permissions_in(self.world.bot_user_id, int(channel_id)) & P.VIEW_CHANNEL)

    async def dispatch_raw(self, event_name: str, data: dict) -> None:
        """Send an arbitrary dispatch (e.g. the same event twice) without touching the world."""
        await self.gateway.dispatch(event_name, copy.deepcopy(data))

    def _member_added(self, user_id: int, guild_id: int | None = None) -> None:
        g = self.world.guild_for(guild_id)
        data = self.world.member_payload(user_id, guild_id=g.id)
        data["guild_id"] = str(g.id)
        task = asyncio.get_event_loop().create_task(self.dispatch("GUILD_MEMBER_ADD", data))
        self._bg.add(task)
        task.add_done_callback(self._bg.discard)

    async def add_guild(self, name: str, *, members=("alice", "mod", "bob", "carol", "dave"),
                        shard: int | None = None, num_shards: int = 1):
        """Another guild the bot is in (World.add_guild); while the bot is connected, it is told as
        on a join (GUILD_CREATE to the guild's shard). Returns the Guild."""
        g = self.world.add_guild(name, members=members, shard=shard, num_shards=num_shards)
        payload = self.world.guild_create_payload(g.id)
        payload.pop("unavailable", None)
        await self.dispatch("GUILD_CREATE", payload)
        return g

    async def remove_bot_from_guild(self, guild_id: int | None = None) -> None:
        """The bot is kicked (or the guild deleted): GUILD_DELETE without `unavailable`, which Discord
        sets only for an outage; the guild is no longer in READY until the bot is added back."""
        g = self.world.guild_for(guild_id)
        g.bot_in_guild = False
        await self.dispatch("GUILD_DELETE", {"id": str(g.id)})

    async def add_bot_to_guild(self, guild_id: int | None = None) -> None:
        """The bot is added (back) to the guild: a GUILD_CREATE without `unavailable`, as on a join
        (`unavailable: false` marks a guild coming back from an outage)."""
        g = self.world.guild_for(guild_id)
        g.bot_in_guild = True
        payload = self.world.guild_create_payload(g.id)
        payload.pop("unavailable", None)
        await self.dispatch("GUILD_CREATE", payload)

    async def guild_outage(self, guild_id: int | None = None) -> None:
        """The guild becomes unavailable (an outage): GUILD_DELETE with `unavailable: true`."""
        await self.dispatch("GUILD_DELETE", {"id": str(self.world.guild_for(guild_id).id), "unavailable": True})

    async def end_guild_outage(self, guild_id: int | None = None) -> None:
        await self.dispatch("GUILD_CREATE", self.world.guild_create_payload(guild_id))

    # Gateway faults: on the session of `shard_id`, or the most recently identified one.
    async def drop_connection(self, shard_id: int | None = None) -> None:
        await self.gateway.drop_connection(shard_id)

    async def send_reconnect(self, shard_id: int | None = None) -> None:
        await self.gateway.send_reconnect(shard_id)

    async def invalidate_session(self, resumable: bool = False, shard_id: int | None = None) -> None:
        await self.gateway.invalidate_session(resumable, shard_id)

    async def wait_for(self, predicate, timeout: float = 5.0, interval: float = 0.01, message: str = ""):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                recent = [f"{r.method} {r.path} -> {r.status}" for r in self.requests[-8:]]
                raise TimeoutError(f"condition {getattr(predicate, '__name__', predicate)!s} not met within "
                                   f"{timeout}s. {message} Last requests: {recent}; unhandled: "
                                   f"{[f'{r.method} {r.path}' for r in self.unhandled]}; spec violations: "
                                   f"{[v.message for v in self.spec_violations][-3:]}")
            await asyncio.sleep(interval)

    def requests_to(self, method: str, route: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.method == method and r.route == route]

    # ----- middleware -------------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler):
        if not request.path.startswith(PREFIX):
            return await handler(request)
        path = request.path[len(PREFIX):]
        raw = await request.read() if request.body_exists else b""
        parsed: object = None
        if raw and request.content_type == "application/json":
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw.decode(errors="replace")
        rec = RequestRecord(request.method, path, None, dict(request.query), parsed,
                            headers={k: v for k, v in request.headers.items() if k.lower() != "authorization"})
        self.requests.append(rec)
        resp = await self._process(request, handler, rec, path, raw)
        await self.faults.hold(request.method, path)
        rec.status = resp.status
        self._ratelimit_headers(resp, path)
        return resp

    def _needs_auth(self, path: str) -> bool:
        # Interaction callbacks and webhook-token routes are authenticated by the token in the URL.
        return not (path.startswith("/interactions/") or path.startswith("/webhooks/"))

    async def _process(self, request, handler, rec: RequestRecord, path: str, raw: bytes) -> web.StreamResponse:
        if self._needs_auth(path) and path not in ("/gateway",):
            if request.headers.get("Authorization") != f"Bot {self.token}":
                return web.Response(body=dumps({"message": "401: Unauthorized", "code": 0}), status=401,
                                    headers={"Content-Type": "application/json"})
        resource = request.match_info.route.resource
        if resource is not None:  # our templates use the description's parameter names
            rec.route = resource.canonical[len(PREFIX):]
        fault = self.faults.take(request.method, path)
        if fault is not None:
            return fault
        if self.spec is not None:
            body, ctype = raw or None, request.content_type if raw else None
            if ctype == "multipart/form-data":
                data = await _payload_json(request, raw)
                body, ctype = (dumps(data) if data is not None else None), "application/json"
            started = time.perf_counter()
            result = self.spec.check(request.method, path, request.query, body, ctype, dict(request.headers))
            rec.elapsed_spec_ms = (time.perf_counter() - started) * 1000
            rec.route = result.route or rec.route
            if not result.ok and result.route is not None:
                rec.spec_error = result.message
                self.spec_violations.append(SpecViolation(request.method, path, result.route, result.message,
                                                          rec.json))
                return DiscordError(400, 50035, "Invalid Form Body", result.errors or {}).response()
        try:
            return await handler(request)
        except DiscordError as e:
            return e.response()
        except web.HTTPNotFound:
            self.unhandled.append(rec)
            return web.Response(body=dumps({"message": "404: Not Found", "code": 0}), status=404,
                                headers={"Content-Type": "application/json"})
        except web.HTTPMethodNotAllowed:
            self.unhandled.append(rec)
            return web.Response(body=dumps({"message": "405: Method Not Allowed", "code": 0}), status=405,
                                headers={"Content-Type": "application/json"})

    @staticmethod
    def _ratelimit_headers(resp: web.StreamResponse, path: str) -> None:
        if resp.status == 429 or "X-RateLimit-Limit" in resp.headers:
            return
        now = time.time()
        resp.headers["X-RateLimit-Limit"] = "50"
        resp.headers["X-RateLimit-Remaining"] = "49"
        resp.headers["X-RateLimit-Reset"] = f"{now + 1:.3f}"
        resp.headers["X-RateLimit-Reset-After"] = "1.000"
        resp.headers["X-RateLimit-Bucket"] = "emu-" + "-".join(s for s in path.split("/")[1:3] if not s.isdigit())


async def _payload_json(request: web.Request, raw: bytes):
    data = parse_multipart(request.headers.get("Content-Type", ""), raw)
    data.pop("_files", None)
    return data


__all__ = ["Emulator", "RequestRecord", "SpecViolation", "ops"]
