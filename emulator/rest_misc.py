"""Users, application, gateway discovery, guild reads, application commands and DMs."""

from __future__ import annotations

import copy

from aiohttp import web

from .httputil import (
    DiscordError,
    body,
    field_error,
    missing_access,
    ok,
    snowflake,
    unknown_member,
    unknown_user,
)


def routes(emu):
    w = emu.world

    def check_guild(request):
        """The guild the route names; Discord: a guild the bot is not in -> 403 50001."""
        g = w.guilds.get(snowflake(request.match_info["guild_id"], "guild_id"))
        if g is None:
            raise missing_access()
        return g

    def check_app(request):
        if request.match_info["application_id"] != str(w.application_id):
            raise DiscordError(403, 50001, "Missing Access")

    async def me(request):
        return ok(dict(w.bot_user, verified=True, mfa_enabled=False, locale="en-US", email=None))

    async def get_user(request):
        u = w.user(snowflake(request.match_info["user_id"], "user_id"))
        if u is None:
            raise unknown_user()
        return ok(u)

    async def application(request):
        return ok({"id": str(w.application_id), "name": "Quorum", "icon": None, "description": "",
                   "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64,
                   "flags": emu.application_flags(), "owner": w.user(w.owner_id), "team": None,
                   "summary": "", "bot": w.bot_user, "rpc_origins": [], "tags": [],
                   "approximate_guild_count": len(w.guilds), "redirect_uris": [], "interactions_endpoint_url": None,
                   "integration_types_config": {"0": {}}})

    async def gateway(request):
        return ok({"url": emu.gateway_url})

    async def gateway_bot(request):
        # Discord recommends one shard per 1,000 guilds (at least one).
        shards = max(1, -(-sum(g.bot_in_guild for g in w.guilds.values()) // 1000))
        return ok({"url": emu.gateway_url, "shards": shards,
                   "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14400000,
                                           "max_concurrency": 1}})

    async def guild(request):
        guild = check_guild(request)
        g = w.guild_payload(guild.id)
        if request.query.get("with_counts") in ("true", "1", "True"):
            g.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return ok(g)

    async def guild_channels(request):
        return ok(w.guild_channels(check_guild(request).id))

    async def guild_roles(request):
        return ok([copy.deepcopy(r) for r in check_guild(request).roles.values()])

    async def guild_member(request):
        guild = check_guild(request)
        uid = snowflake(request.match_info["user_id"], "user_id")
        if uid not in guild.members_by_id:
            raise unknown_member()
        return ok(w.member_payload(uid, guild_id=guild.id))

    async def guild_members(request):
        guild = check_guild(request)
        limit = int(request.query.get("limit", 1))
        if not 1 <= limit <= 1000:
            raise field_error("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 1000")
        after = int(request.query.get("after", 0))
        ids = sorted(uid for uid in guild.members_by_id if uid > after)[:limit]
        return ok([w.member_payload(uid, guild_id=guild.id) for uid in ids])

    async def active_threads(request):
        guild = check_guild(request)
        threads = w.active_threads(w.bot_user_id, guild.id)  # private threads only if the bot may see them
        members = [w.thread_member_payload(int(t["id"]), w.bot_user_id) for t in threads
                   if w.bot_user_id in w.thread_members.get(int(t["id"]), ())]
        return ok({"threads": threads, "members": members})

    # ----- application commands -------------------------------------------------------------
    def command_payload(data: dict, guild_id: int | None, existing: dict | None = None) -> dict:
        if not data.get("name"):
            raise field_error("name", "BASE_TYPE_REQUIRED", "This field is required")
        cid = int(existing["id"]) if existing else w.ids.next()
        out = {"id": str(cid), "application_id": str(w.application_id), "version": str(w.ids.next()),
               "type": data.get("type", 1), "name": data["name"], "description": data.get("description", ""),
               "options": data.get("options", []), "default_member_permissions": data.get("default_member_permissions"),
               "dm_permission": data.get("dm_permission", True), "nsfw": data.get("nsfw", False),
               "contexts": data.get("contexts"), "integration_types": data.get("integration_types", [0]),
               "name_localizations": data.get("name_localizations"),
               "description_localizations": data.get("description_localizations")}
        if guild_id is not None:
            out["guild_id"] = str(guild_id)
        return out

    def scoped(guild_id):
        return {cid: c for cid, c in w.commands.items()
                if (c.get("guild_id") == (str(guild_id) if guild_id else None))}

    def scope_of(request):
        check_app(request)
        if "guild_id" in request.match_info:
            return check_guild(request).id
        return None

    async def list_commands(request):
        return ok(list(scoped(scope_of(request)).values()))

    async def put_commands(request):
        gid = scope_of(request)
        data = await body(request)
        items = data.get("_list", [])
        if len(items) > 100:
            raise field_error("_root", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
        old = {(c["name"], c["type"]): c for c in scoped(gid).values()}
        for cid in list(scoped(gid)):
            del w.commands[cid]
        out = []
        for item in items:
            cmd = command_payload(item, gid, old.get((item.get("name"), item.get("type", 1))))
            w.commands[int(cmd["id"])] = cmd
            out.append(cmd)
        return ok(out)

    async def post_command(request):
        gid = scope_of(request)
        item = await body(request)
        existing = next((c for c in scoped(gid).values()
                         if (c["name"], c["type"]) == (item.get("name"), item.get("type", 1))), None)
        cmd = command_payload(item, gid, existing)
        w.commands[int(cmd["id"])] = cmd
        return ok(cmd, 200 if existing else 201)

    def one_command(request):
        gid = scope_of(request)
        cmd = scoped(gid).get(snowflake(request.match_info["command_id"], "command_id"))
        if cmd is None:
            raise DiscordError(404, 10063, "Unknown application command")
        return cmd

    async def get_command(request):
        return ok(one_command(request))

    async def patch_command(request):
        cmd = one_command(request)
        changes = await body(request)
        cmd.update({k: v for k, v in changes.items() if k in ("name", "description", "options",
                                                              "default_member_permissions", "nsfw", "contexts")})
        return ok(cmd)

    async def delete_command(request):
        cmd = one_command(request)
        del w.commands[int(cmd["id"])]
        return web.Response(status=204)

    # ----- DMs --------------------------------------------------------------------------------
    async def create_dm(request):
        data = await body(request)
        uid = snowflake(data.get("recipient_id"), "recipient_id")
        if uid not in w.users:
            raise unknown_user()
        cid = w.dm_channels.get(uid)
        if cid is None:
            cid = w.ids.next()
            w.dm_channels[uid] = cid
            w.channels[cid] = {"id": str(cid), "type": 1, "last_message_id": None, "flags": 0,
                               "recipients": [copy.deepcopy(w.users[uid])]}
            w.messages[cid] = {}
        return ok(copy.deepcopy(w.channels[cid]))

    cmds = "/applications/{application_id}/commands"
    gcmds = "/applications/{application_id}/guilds/{guild_id}/commands"
    return [
        ("GET", "/users/@me", me),
        ("GET", "/users/{user_id}", get_user),
        ("GET", "/applications/@me", application),
        ("GET", "/oauth2/applications/@me", application),
        ("GET", "/gateway", gateway),
        ("GET", "/gateway/bot", gateway_bot),
        ("GET", "/guilds/{guild_id}", guild),
        ("GET", "/guilds/{guild_id}/channels", guild_channels),
        ("GET", "/guilds/{guild_id}/roles", guild_roles),
        ("GET", "/guilds/{guild_id}/members", guild_members),
        ("GET", "/guilds/{guild_id}/members/{user_id}", guild_member),
        ("GET", "/guilds/{guild_id}/threads/active", active_threads),
        ("GET", cmds, list_commands), ("PUT", cmds, put_commands), ("POST", cmds, post_command),
        ("GET", cmds + "/{command_id}", get_command), ("PATCH", cmds + "/{command_id}", patch_command),
        ("DELETE", cmds + "/{command_id}", delete_command),
        ("GET", gcmds, list_commands), ("PUT", gcmds, put_commands), ("POST", gcmds, post_command),
        ("GET", gcmds + "/{command_id}", get_command), ("PATCH", gcmds + "/{command_id}", patch_command),
        ("DELETE", gcmds + "/{command_id}", delete_command),
        ("POST", "/users/@me/channels", create_dm),
    ]
