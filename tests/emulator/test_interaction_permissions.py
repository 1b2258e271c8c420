"""The permissions an interaction carries are Discord's totals in the channel it was invoked from
(developers/resources/guild.mdx, guild member `permissions`: "total permissions of the member in the
channel, including overwrites, returned when in the interaction object"; `app_permissions`: the app's
in that channel), computed as developers/topics/permissions.mdx's pseudocode does: threads take
their parent's overwrites, and overwrites apply bit for bit.

An overwrite may carry a bit that means nothing in a channel (Manage Server applies to no channel
type): Discord accepts it and reports it in the channel's total (discord-api-docs#640) though it grants
nothing, so whatever manages the server must read the member's guild-wide permissions."""

from __future__ import annotations

from emulator import permissions as P

USER_OPTION = 6


def _register(emu) -> None:
    w = emu.world
    cid = w.ids.next()
    w.commands[cid] = {
        "id": str(cid),
        "application_id": str(w.application_id),
        "type": 1,
        "name": "who",
        "description": "who",
        "guild_id": None,
        "version": str(cid),
        "options": [{"type": USER_OPTION, "name": "member", "description": "m"}],
    }


async def _permissions(emu, user_id: int, channel_id: int, member_option: int | None = None) -> dict:
    options = {"member": member_option} if member_option else {}
    rec = await emu.invoke_slash(user_id, channel_id, "who", options)
    payload = rec.payload
    out = {
        "member": int(payload["member"]["permissions"]),
        "app": int(payload["app_permissions"]),
        "channel": int(payload["channel"]["permissions"]),
    }
    if member_option:
        out["resolved"] = int(payload["data"]["resolved"]["members"][str(member_option)]["permissions"])
    return out


async def test_permissions_are_those_of_the_invoking_channel(emu):
    w = emu.world
    _register(emu)
    dave, carol = w.members["dave"].id, w.members["carol"].id
    w.set_channel_overwrite(w.text_channel_id, dave, allow=P.MANAGE_THREADS | P.MANAGE_GUILD, type=1)
    w.set_channel_overwrite(w.forum_channel_id, w.bot_role_id, deny=P.PIN_MESSAGES)
    thread = int((await emu.create_forum_post(carol, "Where?", "Here."))["id"])

    general = await _permissions(emu, dave, w.text_channel_id, member_option=dave)
    assert general["member"] & P.MANAGE_THREADS and general["channel"] & P.MANAGE_THREADS
    assert general["resolved"] & P.MANAGE_THREADS  # a resolved member: the same channel's totals
    assert general["member"] & P.MANAGE_GUILD  # reported as Discord does, though it grants nothing
    assert not w.base_permissions(dave) & (P.MANAGE_GUILD | P.MANAGE_THREADS)
    assert general["app"] & P.PIN_MESSAGES

    for channel_id in (w.forum_channel_id, thread):  # the thread takes its parent's overwrites
        there = await _permissions(emu, dave, channel_id, member_option=dave)
        assert not there["member"] & (P.MANAGE_THREADS | P.MANAGE_GUILD)
        assert not there["resolved"] & P.MANAGE_THREADS
        assert not there["app"] & P.PIN_MESSAGES and there["app"] & P.MANAGE_THREADS

    # Guild-wide Administrator bypasses every overwrite.
    w.set_channel_overwrite(w.forum_channel_id, w.owner_id, deny=P.VIEW_CHANNEL | P.MANAGE_THREADS, type=1)
    assert (await _permissions(emu, w.owner_id, thread))["member"] == P.ALL
