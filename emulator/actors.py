"""Members acting in the world: the in-process API tests (and `quorum demo`) use.

Every action goes through ops.py, so members get the same checks and events the bot would; each
returns after its gateway events were queued to the connected session (if any).
"""

from __future__ import annotations

import copy

from . import ops
from . import permissions as P
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionRecord,
    find_command,
    interaction_payload,
    modal_components,
    slash_data,
)
from .world import emoji_key


def _attachment(world, a) -> dict:
    if isinstance(a, dict):
        att = dict(a)
    else:
        att = {"filename": str(a)}
    att.setdefault("id", str(world.ids.next()))
    att.setdefault("size", 1)
    att.setdefault("url", f"https://cdn.invalid/{att['filename']}")
    att.setdefault("proxy_url", att["url"])
    att.setdefault("content_type", "application/octet-stream")
    return att


class ActorsMixin:
    # ----- posting --------------------------------------------------------------------------
    async def create_forum_post(self, author_id: int, title: str, content: str, channel_id: int | None = None,
                                applied_tags=(), attachments=(), enforce_limits: bool = True) -> dict:
        """THREAD_CREATE (newly_created) then MESSAGE_CREATE; thread["message"] is the starter.
        enforce_limits=False: a hostile gateway's events, with a name and content Discord refuses."""
        w = self.world
        return await ops.create_thread(
            self, author_id, channel_id or w.forum_channel_id, title, applied_tags=applied_tags,
            starter={"content": content, "attachments": [_attachment(w, a) for a in attachments],
                     "enforce_limits": enforce_limits}, enforce_limits=enforce_limits)

    async def create_thread(self, author_id: int, channel_id: int, name: str, message_id: int | None = None) -> dict:
        return await ops.create_thread(self, author_id, channel_id, name, message_id=message_id)

    async def create_private_thread(self, owner_id: int, channel_id: int, name: str, members=()) -> dict:
        """A private thread (type 12) in a text channel; `members` are added to it (THREAD_MEMBERS_UPDATE)."""
        thread = await ops.create_thread(self, owner_id, channel_id, name, thread_type=12)
        for user_id in members:
            await ops.join_thread(self, int(thread["id"]), user_id, True)
        return thread

    async def post_message(self, author_id: int, channel_id: int, content: str, reply_to: int | None = None,
                           attachments=(), enforce_limits: bool = True) -> dict:
        """enforce_limits=False: a MESSAGE_CREATE Discord would never send (content over 2000), as a
        hostile or broken gateway might."""
        return await ops.send_message(self, author_id, channel_id, content, reply_to=reply_to,
                                      attachments=[_attachment(self.world, a) for a in attachments],
                                      enforce_limits=enforce_limits)

    async def edit_message(self, channel_id: int, message_id: int, content: str) -> dict:
        return await ops.edit_message(self, channel_id, message_id, content=content)

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        await ops.delete_message(self, channel_id, message_id)

    async def bulk_delete(self, channel_id: int, message_ids) -> None:
        await ops.bulk_delete(self, channel_id, message_ids)

    # ----- reactions and pins ---------------------------------------------------------------
    async def add_reaction(self, user_id: int, channel_id: int, message_id: int, emoji: str) -> None:
        await ops.add_reaction(self, user_id, channel_id, message_id, emoji_key(emoji))

    async def remove_reaction(self, user_id: int, channel_id: int, message_id: int, emoji: str) -> None:
        await ops.remove_reaction(self, user_id, channel_id, message_id, emoji_key(emoji))

    async def pin(self, user_id: int, channel_id: int, message_id: int) -> None:
        await ops.pin(self, user_id, channel_id, message_id)

    async def unpin(self, user_id: int, channel_id: int, message_id: int) -> None:
        await ops.unpin(self, user_id, channel_id, message_id)

    # ----- server settings: what an admin changes while the bot runs -------------------------
    def close_dms(self, user_id: int, closed: bool = True) -> None:
        """The member's privacy settings refuse (or again allow) direct messages from the bot."""
        if closed:
            self.world.dms_closed.add(user_id)
        else:
            self.world.dms_closed.discard(user_id)

    async def edit_role_permissions(self, role_id: int, permissions: int) -> None:
        """Change a role's guild-wide permissions; Discord tells the bot with GUILD_ROLE_UPDATE."""
        w = self.world
        w.set_role_permissions(role_id, permissions)
        g = w.guild_of_role(role_id)
        role = copy.deepcopy(g.roles[int(role_id)])
        await self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(g.id), "role": role})

    async def edit_channel_overwrite(self, channel_id: int, target_id: int, allow: int = 0, deny: int = 0,
                                     type: int = 0) -> None:
        """Set a channel's overwrite for a role (type 0) or a member (1); Discord sends CHANNEL_UPDATE."""
        self.world.set_channel_overwrite(channel_id, target_id, allow, deny, type)
        await self.dispatch("CHANNEL_UPDATE", copy.deepcopy(self.world.channels[int(channel_id)]))

    async def delete_channel_overwrite(self, channel_id: int, target_id: int) -> None:
        """Remove a channel's overwrite for a role or a member; Discord sends CHANNEL_UPDATE."""
        self.world.remove_channel_overwrite(channel_id, target_id)
        await self.dispatch("CHANNEL_UPDATE", copy.deepcopy(self.world.channels[int(channel_id)]))

    async def delete_channel(self, channel_id: int) -> None:
        """Delete a guild channel (threads: delete_thread); Discord sends CHANNEL_DELETE."""
        await ops.delete_channel(self, channel_id)

    async def rename_channel(self, channel_id: int, name: str) -> None:
        """Rename a guild channel (not a thread: see rename_thread); Discord sends CHANNEL_UPDATE."""
        self.world.channels[int(channel_id)]["name"] = name
        await self.dispatch("CHANNEL_UPDATE", copy.deepcopy(self.world.channels[int(channel_id)]))

    async def rename_role(self, role_id: int, name: str) -> None:
        """Discord sends GUILD_ROLE_UPDATE, as for a change of its permissions."""
        w = self.world
        g = w.guild_of_role(role_id)
        g.roles[int(role_id)]["name"] = name
        role = copy.deepcopy(g.roles[int(role_id)])
        await self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(g.id), "role": role})

    async def rename_guild(self, name: str, guild_id: int | None = None) -> None:
        """Discord sends GUILD_UPDATE with the guild object (no members or channels)."""
        g = self.world.guild_for(guild_id)
        g.name = name
        await self.dispatch("GUILD_UPDATE", self.world.guild_payload(g.id))

    async def set_nick(self, user_id: int, nick: str | None, guild_id: int | None = None) -> None:
        """A member's server nickname (in one guild); Discord sends GUILD_MEMBER_UPDATE (the member
        with its user)."""
        g = self.world.guild_for(guild_id)
        g.members_by_id[int(user_id)].nick = nick
        await self._member_updated(user_id, [g])

    async def set_global_name(self, user_id: int, global_name: str | None) -> None:
        """A user's display name across Discord. A bot is not sent the user's own USER_UPDATE: it learns
        the new user object from GUILD_MEMBER_UPDATE in each server they share."""
        self.world.users[int(user_id)]["global_name"] = global_name
        await self._member_updated(user_id, [g for g in self.world.guilds.values() if int(user_id) in g.members_by_id])

    async def _member_updated(self, user_id: int, guilds) -> None:
        for g in guilds:
            data = self.world.member_payload(user_id, guild_id=g.id)
            data["guild_id"] = str(g.id)
            await self.dispatch("GUILD_MEMBER_UPDATE", data)

    # ----- threads ----------------------------------------------------------------------------
    async def archive_thread(self, thread_id: int, archived: bool = True, locked: bool = False) -> dict:
        return await ops.update_thread(self, thread_id, archived=archived, locked=locked)

    async def rename_thread(self, thread_id: int, name: str) -> dict:
        return await ops.update_thread(self, thread_id, name=name)

    async def set_thread_tags(self, thread_id: int, tag_ids) -> dict:
        return await ops.update_thread(self, thread_id, applied_tags=list(tag_ids))

    async def delete_thread(self, thread_id: int) -> None:
        await ops.delete_channel(self, thread_id)

    async def join_thread(self, user_id: int, thread_id: int) -> None:
        await ops.join_thread(self, thread_id, user_id, True)

    def tag_id(self, name: str, channel_id: int | None = None) -> int:
        ch = self.world.channel(channel_id or self.world.forum_channel_id)
        for t in ch.get("available_tags", []):
            if t["name"] == name:
                return int(t["id"])
        raise KeyError(f"no forum tag {name!r}")

    # ----- interactions -----------------------------------------------------------------------
    def _check_use(self, user_id: int, channel_id: int) -> None:
        ch = ops.get_channel(self, channel_id)
        ops.require(self, user_id, ch, P.USE_APPLICATION_COMMANDS)

    async def _fire(self, itype, user_id, channel_id, data, message=None) -> InteractionRecord:
        payload, rec = interaction_payload(self, itype, user_id, channel_id, data, message)
        await self.dispatch("INTERACTION_CREATE", payload)
        return rec

    async def invoke_slash(self, user_id: int, channel_id: int, name: str, options: dict | None = None
                           ) -> InteractionRecord:
        self._check_use(user_id, channel_id)
        return await self._fire(APPLICATION_COMMAND, user_id, channel_id,
                                slash_data(self.world, name, options or {}, user_id, channel_id=channel_id))

    async def autocomplete(self, user_id: int, channel_id: int, name: str, options: dict | None = None,
                           focused: str | None = None) -> InteractionRecord:
        options = dict(options or {})
        if focused is None:
            raise ValueError("autocomplete needs the name of the focused option")
        options.setdefault(focused, "")
        return await self._fire(AUTOCOMPLETE, user_id, channel_id,
                                slash_data(self.world, name, options, user_id, focused=focused,
                                           channel_id=channel_id))

    async def invoke_message_command(self, user_id: int, channel_id: int, name: str, target_message_id: int
                                     ) -> InteractionRecord:
        self._check_use(user_id, channel_id)
        w = self.world
        cmd = find_command(w, name, 3, channel_id)
        target = ops.get_message(self, channel_id, target_message_id)
        data = {"id": cmd["id"], "name": cmd["name"], "type": 3, "target_id": str(target_message_id),
                "resolved": {"messages": {str(target_message_id): ops.public_message(self, target)}}}
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        return await self._fire(APPLICATION_COMMAND, user_id, channel_id, data)

    async def invoke_user_command(self, user_id: int, channel_id: int, name: str, target_user_id: int
                                  ) -> InteractionRecord:
        self._check_use(user_id, channel_id)
        w = self.world
        cmd = find_command(w, name, 2, channel_id)
        resolved = {"users": {str(target_user_id): w.user(target_user_id)}}
        g = w.guild_of_channel(channel_id) or w.guild
        if int(target_user_id) in g.members_by_id:
            m = w.member_payload(target_user_id, with_user=False, guild_id=g.id)
            m["permissions"] = str(w.permissions_in(target_user_id, channel_id))
            resolved["members"] = {str(target_user_id): m}
        data = {"id": cmd["id"], "name": cmd["name"], "type": 2, "target_id": str(target_user_id),
                "resolved": resolved}
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        return await self._fire(APPLICATION_COMMAND, user_id, channel_id, data)

    def _find_modal(self, custom_id: str) -> dict | None:
        for rec in reversed(list(self.interactions.values())):
            modal = rec.modal
            if modal is not None and modal.get("custom_id") == custom_id:
                return modal
        return None

    async def submit_modal(self, user_id: int, channel_id: int, custom_id: str, values: dict) -> InteractionRecord:
        modal = self._find_modal(custom_id)
        data = {"custom_id": custom_id, "components": modal_components(modal, dict(values))}
        return await self._fire(MODAL_SUBMIT, user_id, channel_id, data)

    def _component_message(self, channel_id: int, message_id: int) -> dict:
        msg = self.world.message(channel_id, message_id)
        if msg is not None:
            return ops.public_message(self, msg)
        for rec in self.interactions.values():  # ephemeral messages live only in their interaction
            for m in rec.messages:
                if m and m["id"] == str(message_id):
                    return m
        raise LookupError(f"no message {message_id} in channel {channel_id}")

    def _find_component(self, msg: dict, custom_id: str) -> dict | None:
        stack = list(msg.get("components", []))
        while stack:
            c = stack.pop()
            if c.get("custom_id") == custom_id:
                return c
            stack.extend(c.get("components", []))
            if isinstance(c.get("accessory"), dict):
                stack.append(c["accessory"])
        return None

    async def click_button(self, user_id: int, channel_id: int, message_id: int, custom_id: str
                           ) -> InteractionRecord:
        msg = self._component_message(channel_id, message_id)
        comp = self._find_component(msg, custom_id)
        if comp is None:
            raise LookupError(f"message {message_id} has no component {custom_id!r}")
        if comp.get("disabled"):
            raise ValueError(f"button {custom_id!r} is disabled")
        return await self._fire(MESSAGE_COMPONENT, user_id, channel_id,
                                {"custom_id": custom_id, "component_type": 2}, message=msg)

    async def select(self, user_id: int, channel_id: int, message_id: int, custom_id: str, values
                     ) -> InteractionRecord:
        msg = self._component_message(channel_id, message_id)
        comp = self._find_component(msg, custom_id)
        if comp is None:
            raise LookupError(f"message {message_id} has no component {custom_id!r}")
        return await self._fire(MESSAGE_COMPONENT, user_id, channel_id,
                                {"custom_id": custom_id, "component_type": comp.get("type", 3),
                                 "values": [str(v) for v in values]}, message=msg)
