"""Channels and threads: GET/PATCH/DELETE channel, create threads and forum posts, archived threads,
joining/leaving threads."""

from __future__ import annotations

import copy
import datetime as dt

from aiohttp import web

from . import ops
from . import permissions as P
from .httputil import DiscordError, body, field_error, missing_permissions, ok, snowflake, thread_archived


def message_kwargs(data: dict) -> dict:
    """The parts of a message-create body the world stores."""
    files = data.get("_files", [])
    attachments = []
    for i, f in enumerate(files):
        attachments.append({"id": str(i), "filename": f["filename"], "size": f["size"],
                            "content_type": f["content_type"], "url": f"https://cdn.invalid/{f['filename']}",
                            "proxy_url": f"https://cdn.invalid/{f['filename']}"})
    return {"content": data.get("content") or "", "embeds": data.get("embeds") or [],
            "components": data.get("components") or [], "attachments": attachments,
            # Only SUPPRESS_EMBEDS (4) and SUPPRESS_NOTIFICATIONS (4096) may be set when creating.
            "flags": int(data.get("flags") or 0) & (4 | 4096)}


def routes(emu):
    w = emu.world
    bot = w.bot_user_id

    def channel_of(request) -> dict:
        return ops.bot_channel(emu, snowflake(request.match_info["channel_id"], "channel_id"))

    async def get_channel(request):
        return ok(copy.deepcopy(channel_of(request)))

    async def patch_channel(request):
        ch = channel_of(request)
        data = await body(request)
        if ops.is_thread(ch):
            md = ch["thread_metadata"]
            perms = w.permissions_in(bot, int(ch["id"]))
            is_owner = ch["owner_id"] == str(bot)
            manage = bool(perms & P.MANAGE_THREADS)
            if "locked" in data and data["locked"] != md["locked"] and not manage:
                raise missing_permissions()
            if not (manage or is_owner) and set(data) & {"name", "archived", "auto_archive_duration",
                                                         "applied_tags", "rate_limit_per_user"}:
                raise missing_permissions()
            if md["archived"] and data.get("archived") is not False:
                raise thread_archived()  # an archived thread only accepts being unarchived
            if md.get("locked") and not manage:
                raise thread_archived()
            changes = {k: data[k] for k in ("name", "archived", "locked", "auto_archive_duration", "invitable",
                                            "applied_tags", "rate_limit_per_user") if k in data}
            return ok(await ops.update_thread(emu, int(ch["id"]), **changes))
        ops.require(emu, bot, ch, P.MANAGE_CHANNELS)
        return ok(await ops.update_thread(emu, int(ch["id"]), **data))

    async def delete_channel(request):
        ch = channel_of(request)
        ops.require(emu, bot, ch, P.MANAGE_THREADS if ops.is_thread(ch) else P.MANAGE_CHANNELS)
        return ok(await ops.delete_channel(emu, int(ch["id"])))

    async def start_thread(request):
        ch = channel_of(request)
        data = await body(request)
        if ch["type"] == 15:
            message = data.get("message")
            if not isinstance(message, dict) or not (message.get("content") or message.get("embeds")
                                                     or data.get("_files")):
                raise field_error("message", "BASE_TYPE_REQUIRED", "This field is required")
            if data.get("_files"):
                message["_files"] = data["_files"]
            thread = await ops.create_thread(
                emu, bot, int(ch["id"]), data.get("name", ""), applied_tags=data.get("applied_tags", ()),
                auto_archive_duration=data.get("auto_archive_duration"), starter=message_kwargs(message))
            return ok(thread, 201)
        ttype = int(data.get("type", 12))
        thread = await ops.create_thread(emu, bot, int(ch["id"]), data.get("name", ""), thread_type=ttype,
                                         auto_archive_duration=data.get("auto_archive_duration"))
        return ok(thread, 201)

    async def thread_from_message(request):
        ch = channel_of(request)
        data = await body(request)
        mid = snowflake(request.match_info["message_id"], "message_id")
        thread = await ops.create_thread(emu, bot, int(ch["id"]), data.get("name", ""), message_id=mid,
                                         auto_archive_duration=data.get("auto_archive_duration"))
        return ok(thread, 201)

    async def archived_public(request):
        ch = channel_of(request)
        ops.require(emu, bot, ch, P.READ_MESSAGE_HISTORY)
        limit = int(request.query.get("limit", 50))
        before = request.query.get("before")
        threads = [t for t in w.threads.values()
                   if t["parent_id"] == ch["id"] and t["type"] in (10, 11) and t["thread_metadata"]["archived"]]
        threads.sort(key=lambda t: t["thread_metadata"]["archive_timestamp"], reverse=True)
        if before:
            cut = dt.datetime.fromisoformat(before)
            threads = [t for t in threads if dt.datetime.fromisoformat(t["thread_metadata"]["archive_timestamp"]) < cut]
        page = threads[:limit]
        members = [w.thread_member_payload(int(t["id"]), bot) for t in page
                   if bot in w.thread_members.get(int(t["id"]), ())]
        return ok({"threads": copy.deepcopy(page), "members": members, "has_more": len(threads) > limit})

    async def archived_private(request):
        # Every archived private thread of the channel: Manage Threads and Read Message History.
        ch = channel_of(request)
        ops.require(emu, bot, ch, P.READ_MESSAGE_HISTORY, P.MANAGE_THREADS)
        return ok(archived_page(request, ch, lambda t: True, by_time=True))

    async def archived_joined_private(request):
        # The archived private threads the bot is a member of, newest thread id first.
        ch = channel_of(request)
        ops.require(emu, bot, ch, P.READ_MESSAGE_HISTORY)
        return ok(archived_page(request, ch, lambda t: bot in w.thread_members.get(int(t["id"]), ()), by_time=False))

    def archived_page(request, ch: dict, keep, *, by_time: bool) -> dict:
        limit = int(request.query.get("limit", 50))
        before = request.query.get("before")
        threads = [t for t in w.threads.values() if t["parent_id"] == ch["id"] and t["type"] == 12
                   and t["thread_metadata"]["archived"] and keep(t)]
        if by_time:
            threads.sort(key=lambda t: t["thread_metadata"]["archive_timestamp"], reverse=True)
            if before:
                cut = dt.datetime.fromisoformat(before)
                threads = [t for t in threads
                           if dt.datetime.fromisoformat(t["thread_metadata"]["archive_timestamp"]) < cut]
        else:
            threads.sort(key=lambda t: int(t["id"]), reverse=True)
            if before:
                threads = [t for t in threads if int(t["id"]) < int(before)]
        page = threads[:limit]
        members = [w.thread_member_payload(int(t["id"]), bot) for t in page
                   if bot in w.thread_members.get(int(t["id"]), ())]
        return {"threads": copy.deepcopy(page), "members": members, "has_more": len(threads) > limit}

    async def join(request):
        ch = channel_of(request)
        await ops.join_thread(emu, int(ch["id"]), bot, True)
        return web.Response(status=204)

    async def leave(request):
        ch = channel_of(request)
        await ops.join_thread(emu, int(ch["id"]), bot, False)
        return web.Response(status=204)

    async def thread_members(request):
        ch = channel_of(request)
        if not ops.is_thread(ch):
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        tid = int(ch["id"])
        return ok([w.thread_member_payload(tid, uid) for uid in sorted(w.thread_members.get(tid, ()))])

    return [
        ("GET", "/channels/{channel_id}", get_channel),
        ("PATCH", "/channels/{channel_id}", patch_channel),
        ("DELETE", "/channels/{channel_id}", delete_channel),
        ("POST", "/channels/{channel_id}/threads", start_thread),
        ("POST", "/channels/{channel_id}/messages/{message_id}/threads", thread_from_message),
        ("GET", "/channels/{channel_id}/threads/archived/public", archived_public),
        ("GET", "/channels/{channel_id}/threads/archived/private", archived_private),
        ("GET", "/channels/{channel_id}/users/@me/threads/archived/private", archived_joined_private),
        ("PUT", "/channels/{channel_id}/thread-members/@me", join),
        ("DELETE", "/channels/{channel_id}/thread-members/@me", leave),
        ("GET", "/channels/{channel_id}/thread-members", thread_members),
    ]
