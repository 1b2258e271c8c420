"""Messages, reactions and pins."""

from __future__ import annotations

import datetime as dt
import urllib.parse

from aiohttp import web

from . import ops
from . import permissions as P
from .httputil import DiscordError, body, cannot_message_user, field_error, ok, snowflake
from .rest_channels import message_kwargs
from .snowflakes import snowflake_time
from .world import emoji_key


def routes(emu):
    w = emu.world
    bot = w.bot_user_id

    def channel_of(request) -> dict:
        return ops.bot_channel(emu, snowflake(request.match_info["channel_id"], "channel_id"))

    def message_of(request) -> tuple[dict, dict]:
        ch = channel_of(request)
        msg = ops.get_message(emu, ch["id"], snowflake(request.match_info["message_id"], "message_id"))
        return ch, msg

    def out(msg: dict) -> dict:
        # REST reads follow the application's MESSAGE_CONTENT flag (IDENTIFY intents don't matter).
        return emu.redact(ops.public_message(emu, msg), allowed=emu.message_content)

    def emoji_of(request) -> str:
        key = emoji_key(urllib.parse.unquote(request.match_info["emoji_name"]))
        if not key:
            raise DiscordError(400, 10014, "Unknown Emoji")
        return key

    def limit_of(request, default: int, top: int) -> int:
        try:
            limit = int(request.query.get("limit", default))
        except ValueError:
            raise field_error("limit", "NUMBER_TYPE_COERCE", "Value is not int.") from None
        if not 1 <= limit <= top:
            raise field_error("limit", "NUMBER_TYPE_MAX", f"int value should be between 1 and {top}")
        return limit

    # ----- messages ---------------------------------------------------------------------------
    async def history(request):
        ch = channel_of(request)
        ops.require(emu, bot, ch, P.READ_MESSAGE_HISTORY)
        limit = limit_of(request, 50, 100)
        ids = sorted(w.messages.get(int(ch["id"]), {}))  # oldest first
        q = request.query
        if "around" in q:
            around = int(q["around"])
            if limit > 1:
                older = [i for i in ids if i <= around][-((limit + 1) // 2):]
            else:
                older = [i for i in ids if i == around]
            newer = [i for i in ids if i > around][: limit - len(older)]
            page = older + newer
        elif "after" in q:
            page = [i for i in ids if i > int(q["after"])][:limit]
        else:
            before = int(q["before"]) if "before" in q else None
            page = [i for i in ids if before is None or i < before][-limit:]
        page.sort(reverse=True)  # Discord returns newest first
        return ok([out(w.messages[int(ch["id"])][i]) for i in page])

    async def get_message(request):
        ch, msg = message_of(request)
        ops.require(emu, bot, ch, P.READ_MESSAGE_HISTORY)
        return ok(out(msg))

    async def create_message(request):
        ch = channel_of(request)
        if ch["type"] == 1 and any(int(u["id"]) in w.dms_closed for u in ch.get("recipients", [])):
            raise cannot_message_user()
        data = await body(request)
        kw = message_kwargs(data)
        if not (kw["content"] or kw["embeds"] or kw["components"] or kw["attachments"] or data.get("sticker_ids")
                or data.get("poll")):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        if len(kw["embeds"]) > 10:
            raise field_error("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
        for i, e in enumerate(kw["embeds"]):
            if len(e.get("description") or "") > 4096 or len(e.get("fields") or []) > 25:
                raise field_error(f"embeds.{i}", "BASE_TYPE_MAX_LENGTH", "Embed size exceeds maximum size")
        reply_to = None
        ref = data.get("message_reference")
        if ref and ref.get("message_id") and int(ref.get("type", 0)) == 0:
            ref_ch = int(ref.get("channel_id") or ch["id"])
            if ref_ch == int(ch["id"]):
                if w.message(ref_ch, int(ref["message_id"])) is None:
                    if ref.get("fail_if_not_exists", True):
                        raise field_error("message_reference", "REPLIES_UNKNOWN_MESSAGE", "Unknown message")
                else:
                    reply_to = int(ref["message_id"])
        msg = await ops.send_message(emu, bot, int(ch["id"]), reply_to=reply_to, **kw)
        return ok(ops.public_message(emu, msg))

    async def edit_message(request):
        ch, msg = message_of(request)
        data = await body(request)
        if msg["author"]["id"] != str(bot):
            # Others' messages: only flags (suppress embeds) with MANAGE_MESSAGES.
            if set(data) - {"flags"}:
                raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
            ops.require(emu, bot, ch, P.MANAGE_MESSAGES)
        ops.require_unarchived(ch)
        kw = {k: data[k] for k in ("content", "embeds", "components", "flags") if k in data}
        return ok(await ops.edit_message(emu, int(ch["id"]), int(msg["id"]), **kw))

    async def delete_message(request):
        ch, msg = message_of(request)
        if msg["author"]["id"] != str(bot):
            ops.require(emu, bot, ch, P.MANAGE_MESSAGES)
        await ops.delete_message(emu, int(ch["id"]), int(msg["id"]))
        return web.Response(status=204)

    async def bulk_delete(request):
        ch = channel_of(request)
        ops.require(emu, bot, ch, P.MANAGE_MESSAGES)
        data = await body(request)
        ids = [int(i) for i in data.get("messages", [])]
        if not 2 <= len(ids) <= 100:
            raise field_error("messages", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length.")
        two_weeks = dt.datetime.now(dt.UTC) - dt.timedelta(days=14)
        if any(snowflake_time(i) < two_weeks for i in ids):
            raise DiscordError(400, 50034, "You can only bulk delete messages that are under 14 days old.")
        await ops.bulk_delete(emu, int(ch["id"]), [i for i in ids if w.message(int(ch["id"]), i)])
        return web.Response(status=204)

    # ----- reactions --------------------------------------------------------------------------
    async def react(request):
        ch, msg = message_of(request)
        await ops.add_reaction(emu, bot, int(ch["id"]), int(msg["id"]), emoji_of(request))
        return web.Response(status=204)

    async def unreact_me(request):
        ch, msg = message_of(request)
        await ops.remove_reaction(emu, bot, int(ch["id"]), int(msg["id"]), emoji_of(request))
        return web.Response(status=204)

    async def unreact_user(request):
        ch, msg = message_of(request)
        uid = snowflake(request.match_info["user_id"], "user_id")
        if uid != bot:
            ops.require(emu, bot, ch, P.MANAGE_MESSAGES)
        await ops.remove_reaction(emu, uid, int(ch["id"]), int(msg["id"]), emoji_of(request))
        return web.Response(status=204)

    async def reactors(request):
        ch, msg = message_of(request)
        key = emoji_of(request)
        limit = limit_of(request, 25, 100)
        if int(request.query.get("type", 0)) == 1:
            return ok([])  # no burst (super) reactions in the emulator
        users = w.reactions.get(int(msg["id"]), {}).get(key)
        if users is None:
            return ok([])
        after = int(request.query.get("after", 0))
        ids = sorted(u for u in users if u > after)[:limit]  # Discord pages by user id
        return ok([w.user(u) for u in ids])

    async def clear_emoji(request):
        ch, msg = message_of(request)
        ops.require(emu, bot, ch, P.MANAGE_MESSAGES)
        await ops.clear_reactions(emu, int(ch["id"]), int(msg["id"]), emoji_of(request))
        return web.Response(status=204)

    async def clear_all(request):
        ch, msg = message_of(request)
        ops.require(emu, bot, ch, P.MANAGE_MESSAGES)
        await ops.clear_reactions(emu, int(ch["id"]), int(msg["id"]))
        return web.Response(status=204)

    # ----- pins -------------------------------------------------------------------------------
    async def pin(request):
        ch, msg = message_of(request)
        await ops.pin(emu, bot, int(ch["id"]), int(msg["id"]))
        return web.Response(status=204)

    async def unpin(request):
        ch, msg = message_of(request)
        await ops.unpin(emu, bot, int(ch["id"]), int(msg["id"]))
        return web.Response(status=204)

    async def pins(request):
        ch = channel_of(request)
        ops.require(emu, bot, ch, P.READ_MESSAGE_HISTORY)
        limit = limit_of(request, 50, 50)
        entries = list(reversed(w.pins.get(int(ch["id"]), [])))  # newest pin first
        if "before" in request.query:
            cut = dt.datetime.fromisoformat(request.query["before"].replace("Z", "+00:00"))
            entries = [e for e in entries if dt.datetime.fromisoformat(e[1]) < cut]
        page = entries[:limit]
        return ok({"items": [{"pinned_at": at, "message": out(w.messages[int(ch["id"])][mid])} for mid, at in page],
                   "has_more": len(entries) > limit})

    async def legacy_pins(request):
        ch = channel_of(request)
        ops.require(emu, bot, ch, P.READ_MESSAGE_HISTORY)
        return ok([out(w.messages[int(ch["id"])][mid]) for mid, _ in reversed(w.pins.get(int(ch["id"]), []))])

    m = "/channels/{channel_id}/messages/{message_id}"
    r = m + "/reactions/{emoji_name}"
    return [
        ("GET", "/channels/{channel_id}/messages", history),
        ("POST", "/channels/{channel_id}/messages", create_message),
        ("POST", "/channels/{channel_id}/messages/bulk-delete", bulk_delete),
        ("GET", "/channels/{channel_id}/messages/pins", pins),
        ("PUT", "/channels/{channel_id}/messages/pins/{message_id}", pin),
        ("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", unpin),
        ("GET", "/channels/{channel_id}/pins", legacy_pins),
        ("PUT", "/channels/{channel_id}/pins/{message_id}", pin),
        ("DELETE", "/channels/{channel_id}/pins/{message_id}", unpin),
        ("GET", m, get_message), ("PATCH", m, edit_message), ("DELETE", m, delete_message),
        ("DELETE", m + "/reactions", clear_all),
        ("GET", r, reactors), ("DELETE", r, clear_emoji),
        ("PUT", r + "/@me", react), ("DELETE", r + "/@me", unreact_me),
        ("DELETE", r + "/{user_id}", unreact_user),
    ]
