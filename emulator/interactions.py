"""Building INTERACTION_CREATE payloads as Discord's client would, and recording the bot's answers.

Slash options are typed from the *registered* command's schema (like Discord, which only lets a member
invoke what the bot synced), and user/channel/role options come with `data.resolved`.
"""

from __future__ import annotations

import asyncio
import copy
import secrets
import time
from dataclasses import dataclass, field

# Interaction types
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11


class CommandNotRegistered(LookupError):
    """The bot never synced a command with that name (Discord's client would not offer it)."""


@dataclass
class InteractionRecord:
    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    payload: dict
    created: float = field(default_factory=time.monotonic)
    responses: list[dict] = field(default_factory=list)
    followups: list[dict] = field(default_factory=list)
    original_message: dict | None = None
    # The files the bot attached to its messages here, by (message id, filename), as Discord got them.
    uploads: dict[tuple[str, str], bytes] = field(default_factory=dict)
    _first: asyncio.Future | None = None

    def __post_init__(self) -> None:
        self._first = asyncio.get_event_loop().create_future()

    def _record(self, body: dict) -> None:
        self.responses.append(body)
        if not self._first.done():
            self._first.set_result(body)

    async def wait_response(self, timeout: float = 5.0) -> dict:
        try:
            return await asyncio.wait_for(asyncio.shield(self._first), timeout)
        except TimeoutError:
            data = self.payload.get("data", {})
            what = data.get("name") or data.get("custom_id")
            raise TimeoutError(f"the bot did not answer interaction {self.id} ({what}) within {timeout}s") from None

    @property
    def responded(self) -> bool:
        return bool(self.responses)

    @property
    def response_type(self) -> int | None:
        return self.responses[0]["type"] if self.responses else None

    @property
    def ephemeral(self) -> bool:
        if self.original_message is not None:
            return bool(int(self.original_message.get("flags", 0)) & 64)
        for r in self.responses:
            if int((r.get("data") or {}).get("flags", 0) or 0) & 64:
                return True
        return False

    @property
    def modal(self) -> dict | None:
        for r in self.responses:
            if r.get("type") == 9:
                return r.get("data")
        return None

    @property
    def choices(self) -> list[dict] | None:
        for r in self.responses:
            if r.get("type") == 8:
                return (r.get("data") or {}).get("choices", [])
        return None

    @property
    def content(self) -> str | None:
        """Content of the original message (after edits), convenient for assertions."""
        return None if self.original_message is None else self.original_message.get("content")

    @property
    def messages(self) -> list[dict]:
        return ([self.original_message] if self.original_message else []) + list(self.followups)


def new_token() -> str:
    return "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)


def find_command(world, name: str, ctype: int, channel_id: int | None = None) -> dict:
    """A global command, or one registered for the guild of the channel it is used in."""
    guild = world.guild_of_channel(channel_id) if channel_id is not None else world.guild
    gid = str(guild.id) if guild is not None else None
    guild_first = sorted(world.commands.values(), key=lambda c: c.get("guild_id") is None)
    for cmd in guild_first:
        if cmd["name"] == name and int(cmd.get("type", 1)) == ctype and cmd.get("guild_id") in (None, gid):
            return cmd
    registered = sorted(f"{c['name']} (type {c.get('type', 1)})" for c in world.commands.values())
    raise CommandNotRegistered(f"no application command {name!r} of type {ctype} is registered "
                               f"(registered: {registered or 'none — did the bot sync its tree?'})")


def channel_partial(world, channel_id: int, user_id: int) -> dict:
    ch = copy.deepcopy(world.channels[int(channel_id)])
    ch["permissions"] = str(world.permissions_in(user_id, channel_id))
    return ch


def resolve_value(world, opt_type: int, value, resolved: dict, user_id: int, channel_id: int | None = None):
    """Coerce one option value; fill `resolved` for entity options given as ids. A resolved member's
    `permissions` are Discord's total in the invoking channel, overwrites included."""
    if opt_type == STRING:
        return str(value)
    if opt_type == INTEGER:
        return int(value)
    if opt_type == NUMBER:
        return float(value)
    if opt_type == BOOLEAN:
        return bool(value)
    if opt_type == ATTACHMENT:
        att = dict(value) if isinstance(value, dict) else {"filename": str(value), "size": 1}
        att.setdefault("id", str(world.ids.next()))
        att.setdefault("url", f"https://cdn.invalid/{att['filename']}")
        att.setdefault("proxy_url", att["url"])
        att.setdefault("size", 1)
        att.setdefault("content_type", "application/octet-stream")
        resolved.setdefault("attachments", {})[att["id"]] = att
        return att["id"]
    sid = int(value)
    if opt_type in (USER, MENTIONABLE) and sid in world.users:
        resolved.setdefault("users", {})[str(sid)] = copy.deepcopy(world.users[sid])
        guild = world.guild_of_channel(channel_id) or world.guild
        if sid in guild.members_by_id:
            m = world.member_payload(sid, with_user=False, guild_id=guild.id)
            m["permissions"] = str(world.permissions_in(sid, channel_id))
            resolved.setdefault("members", {})[str(sid)] = m
        return str(sid)
    if opt_type in (ROLE, MENTIONABLE) and world.role(sid) is not None:
        resolved.setdefault("roles", {})[str(sid)] = copy.deepcopy(world.role(sid))
        return str(sid)
    if opt_type == CHANNEL and sid in world.channels:
        ch = world.channels[sid]
        part = {k: ch[k] for k in ("id", "name", "type", "parent_id", "thread_metadata", "guild_id", "flags")
                if k in ch}
        part["permissions"] = str(world.permissions_in(user_id, sid))
        resolved.setdefault("channels", {})[str(sid)] = part
        return str(sid)
    raise ValueError(f"option value {value!r} does not name a known entity for option type {opt_type}")


def build_options(world, schema: list[dict], given: dict, user_id: int, resolved: dict,
                  focused: str | None = None, channel_id: int | None = None) -> list[dict]:
    by_name = {o["name"]: o for o in schema or []}
    unknown = set(given) - set(by_name)
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)}; the command declares {sorted(by_name)}")
    out = []
    for name, value in given.items():
        opt = by_name[name]
        otype = int(opt["type"])
        if name == focused:
            # Autocomplete sends what the member has typed so far, as a string for string options.
            out.append({"name": name, "type": otype, "value": value, "focused": True})
            continue
        if opt.get("choices") and value not in [c["value"] for c in opt["choices"]]:
            raise ValueError(f"{value!r} is not one of the choices of option {name!r}")
        out.append({"name": name, "type": otype, "value": resolve_value(world, otype, value, resolved, user_id,
                                                                                  channel_id)})
    if focused is None:
        missing = [o["name"] for o in schema or [] if o.get("required") and o["name"] not in given
                   and int(o["type"]) not in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if missing:
            raise ValueError(f"missing required option(s) {missing}")
    return out


def slash_data(world, path: str, options: dict, user_id: int, focused: str | None = None,
               channel_id: int | None = None) -> dict:
    """data for a CHAT_INPUT command; `path` may be "group sub" nested as Discord nests it."""
    parts = path.split()
    cmd = find_command(world, parts[0], 1, channel_id)
    resolved: dict = {}
    schema = cmd.get("options") or []
    chain = []
    for sub in parts[1:]:
        node = next((o for o in schema if o["name"] == sub and int(o["type"]) in (SUB_COMMAND, SUB_COMMAND_GROUP)),
                    None)
        if node is None:
            raise CommandNotRegistered(f"{parts[0]!r} has no subcommand {sub!r} on path {path!r}")
        chain.append(node)
        schema = node.get("options") or []
    if any(int(o["type"]) in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in schema):
        raise ValueError(f"{path!r} is a group; name a subcommand")
    leaf = build_options(world, schema, dict(options or {}), user_id, resolved, focused, channel_id)
    for node in reversed(chain):
        leaf = [{"name": node["name"], "type": int(node["type"]), "options": leaf}]
    data = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": leaf}
    if cmd.get("guild_id"):
        data["guild_id"] = cmd["guild_id"]
    if resolved:
        data["resolved"] = resolved
    return data


def interaction_payload(emu, itype: int, user_id: int, channel_id: int, data: dict,
                        message: dict | None = None) -> tuple[dict, InteractionRecord]:
    w = emu.world
    iid = w.ids.next()
    token = new_token()
    ch = w.channels[int(channel_id)]
    payload = {"id": str(iid), "application_id": str(w.application_id), "type": itype, "data": data,
               "channel_id": str(channel_id), "channel": channel_partial(w, channel_id, user_id),
               "token": token, "version": 1, "locale": "en-US", "entitlements": [],
               "attachment_size_limit": 10 * 1024 * 1024, "app_permissions": str(w.permissions_in(w.bot_user_id,
                                                                                                 channel_id))}
    guild = w.guild_of_channel(channel_id)
    if ch["type"] in (1, 3) or guild is None:
        payload.update(user=copy.deepcopy(w.users[int(user_id)]), context=1,
                       authorizing_integration_owners={"0": str(w.guild_id)})
    else:
        member = w.member_payload(user_id, guild_id=guild.id)
        member["permissions"] = str(w.permissions_in(user_id, channel_id))
        payload.update(guild_id=str(guild.id), guild_locale="en-US", member=member, context=0,
                       guild={"id": str(guild.id), "locale": "en-US", "features": ["COMMUNITY"]},
                       authorizing_integration_owners={"0": str(guild.id)})
    if message is not None:
        payload["message"] = copy.deepcopy(message)
    rec = InteractionRecord(iid, token, itype, int(user_id), int(channel_id), payload)
    emu.interactions[token] = rec
    return payload, rec


def modal_components(modal: dict | None, values: dict) -> list[dict]:
    """Mirror the modal the bot sent (action rows or label components) with the member's values."""
    if modal is None:
        return [{"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in values.items()]
    seen = set()

    def leaf(comp: dict) -> dict:
        cid = comp.get("custom_id")
        out = {"type": comp["type"], "id": comp.get("id", 0), "custom_id": cid}
        value = values.get(cid)
        if comp["type"] == 4:
            if value is None:
                if comp.get("required", True):
                    raise ValueError(f"modal text input {cid!r} is required")
                value = ""
            if len(str(value)) > int(comp.get("max_length", 4000)):
                raise ValueError(f"value for {cid!r} is longer than max_length")
            out["value"] = str(value)
        else:
            out["values"] = list(value or [])
        seen.add(cid)
        return out

    rows = []
    for comp in modal.get("components", []):
        if comp["type"] == 1:
            rows.append({"type": 1, "id": comp.get("id", 0), "components": [leaf(c) for c in comp["components"]]})
        elif comp["type"] == 18:
            rows.append({"type": 18, "id": comp.get("id", 0), "component": leaf(comp["component"])})
        # Text displays (type 10) and the like carry no submitted value.
    unknown = set(values) - seen
    if unknown:
        raise ValueError(f"the modal has no input(s) {sorted(unknown)}")
    return rows
