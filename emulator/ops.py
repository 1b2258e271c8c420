"""World mutations that Discord announces on the gateway, shared by REST (the bot) and actors (members).

Each function checks what Discord checks for the acting user (permissions, archived threads), changes
the world, dispatches the events in Discord's order and returns the payload Discord would return.
"""

from __future__ import annotations

import copy

from . import permissions as P
from .httputil import (
    DiscordError,
    field_error,
    missing_access,
    missing_permissions,
    thread_archived,
    unknown_channel,
    unknown_message,
)
from .snowflakes import iso
from .world import emoji_payload

THREAD_TYPES = (10, 11, 12)


def is_thread(ch: dict) -> bool:
    return ch["type"] in THREAD_TYPES


def get_channel(emu, channel_id) -> dict:
    ch = emu.world.channel(int(channel_id))
    if ch is None:
        raise unknown_channel()
    return ch


def get_message(emu, channel_id, message_id) -> dict:
    get_channel(emu, channel_id)
    msg = emu.world.message(int(channel_id), int(message_id))
    if msg is None:
        raise unknown_message()
    return msg


def require(emu, user_id: int, ch: dict, *bits: int) -> None:
    """403 50001 if the user can't see the channel, 403 50013 if a needed bit is missing."""
    if ch["type"] in (1, 3):
        return
    perms = emu.world.permissions_in(user_id, int(ch["id"]))
    if not perms & P.VIEW_CHANNEL:
        raise missing_access()
    for bit in bits:
        if not perms & bit:
            raise missing_permissions()


def bot_channel(emu, channel_id) -> dict:
    """The channel a bot request names, checked the way Discord does (exists, the bot can see it)."""
    ch = get_channel(emu, channel_id)
    require(emu, emu.world.bot_user_id, ch)
    return ch


def require_unarchived(ch: dict) -> None:
    md = ch.get("thread_metadata")
    if md and (md["archived"] or md.get("locked")):
        raise thread_archived()


def require_sendable(emu, user_id: int, ch: dict) -> None:
    if ch["type"] in (4, 13, 15, 16):
        raise DiscordError(400, 50008, "Cannot send messages in a non-text channel")
    require(emu, user_id, ch, P.SEND_MESSAGES_IN_THREADS if is_thread(ch) else P.SEND_MESSAGES)
    require_unarchived(ch)


# ----- messages -----------------------------------------------------------------------------------
async def send_message(emu, author_id: int, channel_id: int, content: str = "", *, check: bool = True,
                       reply_to: int | None = None, enforce_limits: bool = True, **kw) -> dict:
    w = emu.world
    ch = get_channel(emu, channel_id)
    if check:
        md = ch.get("thread_metadata")
        if md and md["archived"] and not md.get("locked") and ch["type"] not in (4, 13, 15, 16):
            # "Sending a message will automatically unarchive the thread, unless the thread has been
            # locked by a moderator" (Discord, topics/threads): THREAD_UPDATE, then the message.
            require(emu, author_id, ch, P.SEND_MESSAGES_IN_THREADS)
            await update_thread(emu, int(channel_id), archived=False)
        require_sendable(emu, author_id, ch)
    if enforce_limits and content and len(content) > 2000:
        raise field_error("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    extra = kw.pop("extra", None) or {}
    reference = kw.pop("reference", None)
    mtype = kw.pop("mtype", 0)
    if reply_to is not None:
        ref_msg = w.message(int(channel_id), int(reply_to))
        if ref_msg is None:
            raise field_error("message_reference", "REPLIES_UNKNOWN_MESSAGE", "Unknown message")
        reference = {"type": 0, "message_id": str(reply_to), "channel_id": str(channel_id),
                     **_guild_part(emu, w.channels[int(channel_id)]), "fail_if_not_exists": True}
        extra["referenced_message"] = public_message(emu, ref_msg)
        mtype = 19
    msg = w.new_message(int(channel_id), author_id, content, mtype=mtype, reference=reference, extra=extra, **kw)
    await emu.dispatch("MESSAGE_CREATE", copy.deepcopy(msg))
    return copy.deepcopy(msg)


def public_message(emu, msg: dict) -> dict:
    """The stored message with the reaction summary folded in (as REST returns it)."""
    out = copy.deepcopy(msg)
    reactions = emu.world.reaction_summary(int(msg["id"]))
    if reactions:
        out["reactions"] = reactions
    out.pop("member", None)  # REST messages carry no member object
    return out


async def edit_message(emu, channel_id: int, message_id: int, **changes) -> dict:
    msg = get_message(emu, channel_id, message_id)
    if "content" in changes and changes["content"] is not None:
        msg["content"] = changes["content"]
        msg["mentions"], msg["mention_roles"] = emu.world.mentions_in(changes["content"], msg.get("guild_id"))
    for key in ("embeds", "components", "flags", "attachments"):
        if changes.get(key) is not None:
            msg[key] = changes[key]
    msg["edited_timestamp"] = iso()
    full = public_message(emu, msg)
    full["guild_id"] = msg.get("guild_id")
    if full["guild_id"] is None:
        full.pop("guild_id")
    elif "member" in msg:
        full["member"] = copy.deepcopy(msg["member"])
    await emu.dispatch("MESSAGE_UPDATE", full)  # full message, as discord.py 2.7 expects
    return public_message(emu, msg)


def _guild_part(emu, ch: dict) -> dict:
    return {} if ch["type"] in (1, 3) or not ch.get("guild_id") else {"guild_id": ch["guild_id"]}


def _forget(emu, channel_id: int, message_id: int) -> None:
    w = emu.world
    w.messages[channel_id].pop(message_id, None)
    w.reactions.pop(message_id, None)
    if message_id in w.pinned_ids(channel_id):
        w.pins[channel_id] = [p for p in w.pins[channel_id] if p[0] != message_id]


async def delete_message(emu, channel_id: int, message_id: int) -> None:
    ch = get_channel(emu, channel_id)
    get_message(emu, channel_id, message_id)
    _forget(emu, int(channel_id), int(message_id))
    await emu.dispatch("MESSAGE_DELETE", {"id": str(message_id), "channel_id": str(channel_id),
                                          **_guild_part(emu, ch)})


async def bulk_delete(emu, channel_id: int, message_ids) -> None:
    ch = get_channel(emu, channel_id)
    ids = [int(m) for m in message_ids]
    for mid in ids:
        _forget(emu, int(channel_id), mid)
    await emu.dispatch("MESSAGE_DELETE_BULK", {"ids": [str(m) for m in ids], "channel_id": str(channel_id),
                                               **_guild_part(emu, ch)})


# ----- reactions ----------------------------------------------------------------------------------
async def add_reaction(emu, user_id: int, channel_id: int, message_id: int, key: str) -> None:
    w = emu.world
    ch = get_channel(emu, channel_id)
    msg = get_message(emu, channel_id, message_id)
    require(emu, user_id, ch, P.READ_MESSAGE_HISTORY)
    require_unarchived(ch)
    users = w.reactions.setdefault(int(message_id), {}).setdefault(key, [])
    if int(user_id) in users:
        return  # Discord: idempotent, no event
    if not users:
        require(emu, user_id, ch, P.ADD_REACTIONS)  # adding a new emoji needs ADD_REACTIONS
    if len(w.reactions[int(message_id)]) > 20 and len(users) == 0:
        raise DiscordError(400, 30010, "Maximum number of reactions reached (20)")
    users.append(int(user_id))
    data = {"user_id": str(user_id), "channel_id": str(channel_id), "message_id": str(message_id),
            "emoji": emoji_payload(key), "burst": False, "burst_colors": [], "type": 0,
            "message_author_id": msg["author"]["id"], **_guild_part(emu, ch)}
    if "guild_id" in data and int(user_id) in w.guild_for(data["guild_id"]).members_by_id:
        data["member"] = w.member_payload(user_id, guild_id=data["guild_id"])
    await emu.dispatch("MESSAGE_REACTION_ADD", data)


async def remove_reaction(emu, user_id: int, channel_id: int, message_id: int, key: str) -> None:
    w = emu.world
    ch = get_channel(emu, channel_id)
    get_message(emu, channel_id, message_id)
    require_unarchived(ch)
    users = w.reactions.get(int(message_id), {}).get(key, [])
    if int(user_id) not in users:
        return
    users.remove(int(user_id))
    if not users:
        w.reactions[int(message_id)].pop(key, None)
    await emu.dispatch("MESSAGE_REACTION_REMOVE", {
        "user_id": str(user_id), "channel_id": str(channel_id), "message_id": str(message_id),
        "emoji": emoji_payload(key), "burst": False, "type": 0, **_guild_part(emu, ch)})


async def clear_reactions(emu, channel_id: int, message_id: int, key: str | None = None) -> None:
    w = emu.world
    ch = get_channel(emu, channel_id)
    get_message(emu, channel_id, message_id)
    require_unarchived(ch)
    base = {"channel_id": str(channel_id), "message_id": str(message_id), **_guild_part(emu, ch)}
    if key is None:
        w.reactions.pop(int(message_id), None)
        await emu.dispatch("MESSAGE_REACTION_REMOVE_ALL", base)
    else:
        w.reactions.get(int(message_id), {}).pop(key, None)
        await emu.dispatch("MESSAGE_REACTION_REMOVE_EMOJI", {**base, "emoji": emoji_payload(key)})


# ----- pins ---------------------------------------------------------------------------------------
async def pin(emu, user_id: int, channel_id: int, message_id: int) -> None:
    w = emu.world
    ch = get_channel(emu, channel_id)
    msg = get_message(emu, channel_id, message_id)
    require(emu, user_id, ch, P.PIN_MESSAGES)
    require_unarchived(ch)
    if int(message_id) in w.pinned_ids(int(channel_id)):
        return
    if len(w.pins.get(int(channel_id), [])) >= 250:
        raise DiscordError(400, 30003, "Maximum number of pins reached (250)")
    if msg["type"] not in (0, 19, 20, 21, 23):
        raise DiscordError(400, 50021, "Cannot execute action on a system message")
    now = iso()
    w.pins.setdefault(int(channel_id), []).append((int(message_id), now))
    msg["pinned"] = True
    await emu.dispatch("CHANNEL_PINS_UPDATE", {"channel_id": str(channel_id), "last_pin_timestamp": now,
                                               **_guild_part(emu, ch)})
    # The "X pinned a message" system message, authored by the pinner, referencing the pinned one.
    ref = {"type": 0, "message_id": str(message_id), "channel_id": str(channel_id), **_guild_part(emu, ch)}
    await send_message(emu, user_id, channel_id, "", check=False, mtype=6, reference=ref)


async def unpin(emu, user_id: int, channel_id: int, message_id: int) -> None:
    w = emu.world
    ch = get_channel(emu, channel_id)
    msg = get_message(emu, channel_id, message_id)
    require(emu, user_id, ch, P.PIN_MESSAGES)
    require_unarchived(ch)
    if int(message_id) not in w.pinned_ids(int(channel_id)):
        return
    w.pins[int(channel_id)] = [p for p in w.pins[int(channel_id)] if p[0] != int(message_id)]
    msg["pinned"] = False
    remaining = w.pins[int(channel_id)]
    await emu.dispatch("CHANNEL_PINS_UPDATE", {
        "channel_id": str(channel_id), "last_pin_timestamp": remaining[-1][1] if remaining else None,
        **_guild_part(emu, ch)})


# ----- threads ------------------------------------------------------------------------------------
def _validate_tags(emu, parent: dict, tag_ids) -> list[str]:
    tags = [str(int(t)) for t in tag_ids or ()]
    known = {t["id"] for t in parent.get("available_tags", [])}
    if len(tags) > 5:
        raise field_error("applied_tags", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    for t in tags:
        if t not in known:
            raise field_error("applied_tags", "INVALID_TAG", f"Unknown tag {t}")
    return tags


async def create_thread(emu, owner_id: int, parent_id: int, name: str, *, message_id: int | None = None,
                        thread_type: int = 11, auto_archive_duration: int | None = None,
                        applied_tags=(), starter: dict | None = None, check: bool = True,
                        enforce_limits: bool = True) -> dict:
    """Public thread (text channel, optionally from a message) or forum post (starter = message kwargs)."""
    w = emu.world
    parent = get_channel(emu, parent_id)
    if not name or (enforce_limits and len(name) > 100):
        raise field_error("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    if check:
        if parent["type"] == 15:
            require(emu, owner_id, parent, P.SEND_MESSAGES)
        else:
            require(emu, owner_id, parent, P.CREATE_PUBLIC_THREADS if thread_type == 11 else P.CREATE_PRIVATE_THREADS)
    if parent["type"] == 15 and starter is None:
        raise field_error("message", "BASE_TYPE_REQUIRED", "This field is required")
    if parent["type"] not in (0, 5, 15) or (thread_type == 12 and (parent["type"] != 0 or message_id is not None)):
        # Private threads live in text channels only, and never start from a message.
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    if message_id is not None:
        get_message(emu, parent_id, message_id)
        if any(int(c["id"]) == int(message_id) for c in w.threads.values()):
            raise DiscordError(400, 160004, "A thread has already been created for this message")
    tid = int(message_id) if message_id is not None else w.ids.next()
    now = iso()
    thread = {"id": str(tid), "type": thread_type, "guild_id": parent["guild_id"], "parent_id": str(parent_id),
              "owner_id": str(owner_id), "name": name, "last_message_id": None, "message_count": 0,
              "total_message_sent": 0, "member_count": 1, "rate_limit_per_user": 0, "flags": 0,
              "applied_tags": _validate_tags(emu, parent, applied_tags) if parent["type"] == 15 else [],
              "thread_metadata": {"archived": False, "locked": False, "archive_timestamp": now,
                                  "auto_archive_duration": auto_archive_duration
                                  or parent.get("default_auto_archive_duration", 4320),
                                  "create_timestamp": now}}
    if thread_type == 12:
        thread["thread_metadata"]["invitable"] = True  # only private threads carry it
    w.channels[tid] = thread
    w.messages[tid] = {}
    w.thread_members[tid] = {int(owner_id)}
    event = copy.deepcopy(thread)
    event["newly_created"] = True
    if int(owner_id) == w.bot_user_id:
        event["member"] = w.thread_member_payload(tid, owner_id)
    await emu.dispatch("THREAD_CREATE", event)
    out = copy.deepcopy(thread)
    if message_id is not None:
        src = w.message(parent_id, message_id)
        src["thread"] = copy.deepcopy(thread)
    elif parent["type"] != 15 and thread_type != 12:
        # Discord posts a "started a thread" system message (type 18) in the parent channel (not for
        # a private thread, which the channel's readers may not know about).
        await send_message(emu, owner_id, parent_id, name, check=False, mtype=18,
                           reference={"type": 0, "channel_id": str(tid), "guild_id": parent["guild_id"]})
    if starter is not None:
        # A forum post's starter message has the thread's id (Discord's invariant).
        msg = await send_message(emu, owner_id, tid, check=False, message_id=tid, **starter)
        out = copy.deepcopy(w.channels[tid])
        out["message"] = msg
    return out


async def update_thread(emu, thread_id: int, **changes) -> dict:
    w = emu.world
    ch = get_channel(emu, thread_id)
    md = ch.get("thread_metadata")
    if md is None:
        for key in ("name", "topic", "nsfw", "rate_limit_per_user"):
            if key in changes:
                ch[key] = changes[key]
        await emu.dispatch("CHANNEL_UPDATE", copy.deepcopy(ch))
        return copy.deepcopy(ch)
    if "name" in changes:
        if not changes["name"] or len(changes["name"]) > 100:
            raise field_error("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        ch["name"] = changes["name"]
    if "applied_tags" in changes:
        ch["applied_tags"] = _validate_tags(emu, w.channels[int(ch["parent_id"])], changes["applied_tags"])
    for key in ("archived", "locked", "auto_archive_duration", "invitable"):
        if key in changes and changes[key] is not None:
            if key == "archived" and md["archived"] != bool(changes[key]):
                md["archive_timestamp"] = iso()
            md[key] = changes[key]
    if "rate_limit_per_user" in changes:
        ch["rate_limit_per_user"] = changes["rate_limit_per_user"]
    await emu.dispatch("THREAD_UPDATE", copy.deepcopy(ch))
    return copy.deepcopy(ch)


async def delete_channel(emu, channel_id: int) -> dict:
    w = emu.world
    ch = get_channel(emu, channel_id)
    w.channels.pop(int(channel_id))
    for mid in list(w.messages.pop(int(channel_id), {})):
        w.reactions.pop(mid, None)
    w.pins.pop(int(channel_id), None)
    if is_thread(ch):
        await emu.dispatch("THREAD_DELETE", {"id": ch["id"], "guild_id": ch["guild_id"],
                                             "parent_id": ch["parent_id"], "type": ch["type"]})
    else:
        await emu.dispatch("CHANNEL_DELETE", copy.deepcopy(ch))
    return ch


async def join_thread(emu, thread_id: int, user_id: int, join: bool = True) -> None:
    w = emu.world
    ch = get_channel(emu, thread_id)
    if not is_thread(ch):
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    members = w.thread_members.setdefault(int(thread_id), set())
    if join:
        require_unarchived(ch)
        if int(user_id) in members:
            return
        members.add(int(user_id))
    else:
        if int(user_id) not in members:
            return
        members.discard(int(user_id))
    ch["member_count"] = len(members)
    if int(user_id) == w.bot_user_id and join:
        await emu.dispatch("THREAD_MEMBER_UPDATE", {**w.thread_member_payload(thread_id, user_id),
                                                    "guild_id": ch["guild_id"]})
    data = {"id": str(thread_id), "guild_id": ch["guild_id"], "member_count": len(members)}
    if join:
        data["added_members"] = [w.thread_member_payload(thread_id, user_id)]
    else:
        data["removed_member_ids"] = [str(user_id)]
    await emu.dispatch("THREAD_MEMBERS_UPDATE", data)

