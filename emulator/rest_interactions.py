"""Interaction callbacks and the interaction webhook (followups, @original)."""

from __future__ import annotations

import copy
import time

from aiohttp import web

from . import ops
from .httputil import DiscordError, body, ok, unknown_message, unknown_webhook
from .rest_channels import message_kwargs
from .snowflakes import iso

EPHEMERAL, LOADING = 64, 128


def routes(emu):
    w = emu.world

    def record_of(token: str, interaction_id: str | None = None):
        rec = emu.interactions.get(token)
        if rec is None or (interaction_id is not None and str(rec.id) != interaction_id):
            return None
        return rec

    def metadata(rec) -> dict:
        cmd = rec.payload.get("data", {})
        meta = {"id": str(rec.id), "type": rec.type, "user": copy.deepcopy(w.users[rec.user_id]),
                "authorizing_integration_owners": rec.payload.get("authorizing_integration_owners", {})}
        if rec.type == 2:
            meta["name"] = cmd.get("name")
            if cmd.get("target_id"):
                meta["target_message_id" if cmd.get("type") == 3 else "target_user"] = (
                    cmd["target_id"] if cmd.get("type") == 3 else copy.deepcopy(w.users.get(int(cmd["target_id"]))))
        if rec.type == 3 and rec.payload.get("message"):
            meta["interacted_message_id"] = rec.payload["message"]["id"]
        return meta

    async def make_message(rec, data: dict, *, flags: int = 0, original: bool) -> dict:
        kw = message_kwargs(data)
        kw["flags"] = (int(data.get("flags") or 0) & (EPHEMERAL | 4 | 4096)) | flags
        extra = {"webhook_id": str(w.application_id), "application_id": str(w.application_id),
                 "interaction_metadata": metadata(rec)}
        if rec.type == 2:
            extra["interaction"] = {"id": str(rec.id), "type": rec.type, "name": rec.payload["data"].get("name"),
                                    "user": copy.deepcopy(w.users[rec.user_id])}
        mtype = 20 if rec.type == 2 and original else 0
        if kw["flags"] & EPHEMERAL:
            # Ephemeral messages exist only for the invoking member: never stored in the channel,
            # never dispatched to the bot.
            mid = w.ids.next()
            msg = {"id": str(mid), "channel_id": str(rec.channel_id), "author": copy.deepcopy(w.bot_user),
                   "content": kw["content"], "embeds": kw["embeds"], "components": kw["components"],
                   "attachments": kw["attachments"], "flags": kw["flags"], "type": mtype, "timestamp": iso(),
                   "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
                   "mention_roles": [], "pinned": False, **extra}
            return msg
        return await ops.send_message(emu, w.bot_user_id, rec.channel_id, check=False, mtype=mtype, extra=extra,
                                      **kw)

    def keep_uploads(rec, msg: dict, data: dict) -> None:
        for f in data.get("_files", []):
            rec.uploads[(msg["id"], f["filename"])] = f["content"]

    async def callback(request):
        iid, token = request.match_info["interaction_id"], request.match_info["interaction_token"]
        rec = record_of(token, iid)
        if rec is None:
            raise DiscordError(404, 10062, "Unknown interaction")
        if rec.responded:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - rec.created > emu.interaction_ack_timeout:
            raise DiscordError(404, 10062, "Unknown interaction")
        data = await body(request)
        rec._record({k: v for k, v in data.items() if k != "_files"})
        ctype = int(data.get("type", 0))
        inner = data.get("data") or {}
        resource: dict = {"type": ctype}
        info = {"id": str(rec.id), "type": rec.type}
        if ctype in (4, 5):
            flags = LOADING if ctype == 5 else 0
            msg = await make_message(rec, inner if ctype == 4 else {"flags": inner.get("flags", 0)}, flags=flags,
                                     original=True)
            rec.original_message = msg
            keep_uploads(rec, msg, inner)
            resource["message"] = copy.deepcopy(msg)
            info.update(response_message_id=msg["id"], response_message_loading=ctype == 5,
                        response_message_ephemeral=bool(msg["flags"] & EPHEMERAL))
        elif ctype == 7:
            target = rec.payload.get("message")
            if target is None:
                raise DiscordError(400, 50035, "Invalid Form Body")
            msg = await edit_any(rec, target, inner)
            keep_uploads(rec, msg, inner)
            resource["message"] = msg
            info["response_message_id"] = msg["id"]
        elif ctype not in (1, 6, 8, 9, 10, 12):
            raise DiscordError(400, 50035, "Invalid Form Body", {"type": {"_errors": [
                {"code": "BASE_TYPE_CHOICES", "message": f"Value must be one of valid choices: {ctype}"}]}})
        if request.query.get("with_response") in ("true", "1", "True"):
            return ok({"interaction": info, "resource": resource})
        return web.Response(status=204)

    async def edit_any(rec, target: dict, data: dict) -> dict:
        """Edit a message the interaction owns (stored in the channel, or ephemeral in a record)."""
        kw = {k: data[k] for k in ("content", "embeds", "components") if k in data}
        if "attachments" in data or data.get("_files"):
            kw["attachments"] = message_kwargs(data)["attachments"]
        if w.message(int(target["channel_id"]), int(target["id"])) is not None:
            flags = int(w.message(int(target["channel_id"]), int(target["id"]))["flags"]) & ~LOADING
            return await ops.edit_message(emu, int(target["channel_id"]), int(target["id"]), flags=flags, **kw)
        # An ephemeral message lives only in the interaction that made it: edit that copy, so a later
        # click (which carries the message as Discord shows it) sees the edit.
        target = ephemeral_original(target["id"]) or target
        for key, value in kw.items():
            target[key] = value
        target["flags"] = int(target.get("flags", 0)) & ~LOADING
        target["edited_timestamp"] = iso()
        return copy.deepcopy(target)

    def ephemeral_original(message_id: str) -> dict | None:
        for other in emu.interactions.values():
            for msg in (other.original_message, *other.followups):
                if msg is not None and msg["id"] == message_id:
                    return msg
        return None

    def webhook_record(request):
        rec = record_of(request.match_info["webhook_token"])
        if rec is None or request.match_info["webhook_id"] != str(w.application_id):
            raise unknown_webhook()
        if time.monotonic() - rec.created > 15 * 60:
            raise unknown_webhook()  # interaction tokens are valid for 15 minutes
        return rec

    def owned(rec, message_id: str) -> dict:
        if message_id == "@original":
            if rec.original_message is None:
                raise unknown_message()
            return rec.original_message
        for m in rec.followups:
            if m["id"] == message_id:
                return m
        raise unknown_message()

    def current(msg: dict) -> dict:
        stored = w.message(int(msg["channel_id"]), int(msg["id"]))
        return ops.public_message(emu, stored) if stored is not None else copy.deepcopy(msg)

    async def followup(request):
        rec = webhook_record(request)
        if not rec.responded:
            raise unknown_webhook()
        data = await body(request)
        msg = await make_message(rec, data, original=False)
        rec.followups.append(msg)
        keep_uploads(rec, msg, data)
        if request.query.get("wait") in ("true", "1", "True"):
            return ok(copy.deepcopy(msg))
        return web.Response(status=204)

    async def get_msg(request):
        rec = webhook_record(request)
        return ok(current(owned(rec, request.match_info["message_id"])))

    async def patch_msg(request):
        rec = webhook_record(request)
        target = owned(rec, request.match_info["message_id"])
        data = await body(request)
        msg = await edit_any(rec, target, data)
        keep_uploads(rec, msg, data)
        if target is rec.original_message:
            rec.original_message = msg
        else:
            rec.followups[rec.followups.index(target)] = msg
        return ok(msg)

    async def delete_msg(request):
        rec = webhook_record(request)
        target = owned(rec, request.match_info["message_id"])
        if w.message(int(target["channel_id"]), int(target["id"])) is not None:
            await ops.delete_message(emu, int(target["channel_id"]), int(target["id"]))
        target["deleted"] = True
        return web.Response(status=204)

    hook = "/webhooks/{webhook_id}/{webhook_token}"
    return [
        ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", callback),
        ("POST", hook, followup),
        ("GET", hook + "/messages/{message_id}", get_msg),
        ("PATCH", hook + "/messages/{message_id}", patch_msg),
        ("DELETE", hook + "/messages/{message_id}", delete_msg),
    ]
