"""The in-memory world: guilds (roles, members), users, channels, threads, messages, reactions, pins.

Objects are stored as Discord payload dicts (string ids, as on the wire) so REST and gateway can hand
them out directly; the Python side uses int ids. Mutations that Discord would announce live in
ops.py, which dispatches the gateway events; this module only holds state and builds payloads.
"""

from __future__ import annotations

import copy
import re

from . import permissions as P
from .guilds import Guild, Member
from .snowflakes import SnowflakeGenerator, iso

MENTION_RE = re.compile(r"<@!?(\d+)>")
ROLE_MENTION_RE = re.compile(r"<@&(\d+)>")

FORUM_TAGS = ("python", "discord.py", "sql", "help", "Solved")


class World:
    def __init__(self) -> None:
        self.ids = SnowflakeGenerator()
        self.users: dict[int, dict] = {}
        self.guilds: dict[int, Guild] = {}  # in creation order: the first is "the" guild of older tests
        self.channels: dict[int, dict] = {}  # guild channels, threads and DM channels
        self.messages: dict[int, dict[int, dict]] = {}  # channel id -> message id -> payload (chronological)
        self.reactions: dict[int, dict[str, list[int]]] = {}  # message id -> emoji key -> user ids in order
        self.pins: dict[int, list[tuple[int, str]]] = {}  # channel id -> [(message id, pinned_at)] newest last
        self.thread_members: dict[int, set[int]] = {}
        self.commands: dict[int, dict] = {}  # application command id -> payload
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id
        # Users whose privacy settings refuse the bot's DMs: Discord opens the DM channel, then
        # refuses every message in it with 403 and JSON code 50007.
        self.dms_closed: set[int] = set()
        # Hook set by the Emulator so add_member can announce GUILD_MEMBER_ADD.
        self._on_member_add = None
        self._user_ids: dict[str, int] = {}  # username -> id, humans only

        first_id = self.ids.next()
        self.bot_user_id = self.ids.next()
        self.application_id = self.bot_user_id
        self.bot_user = self._user_payload(self.bot_user_id, "Quorum", bot=True)
        self.users[self.bot_user_id] = self.bot_user
        self.add_guild("Quorum Test Server", members=("alice", "mod", "bob", "carol", "dave"), guild_id=first_id)

    def add_guild(self, name: str, *, members=("alice", "mod", "bob", "carol", "dave"), shard: int | None = None,
                  num_shards: int = 1, guild_id: int | None = None) -> Guild:
        """A guild with Admin, Moderator and the bot's role, a text channel "general", a forum
        "questions" (with tags), the bot, and `members` by username: the first is the owner (Admin),
        "mod" gets Moderator; a name already known is the same user (one account, several guilds).
        `shard`/`num_shards` choose an id on that shard ((id >> 22) % num_shards == shard)."""
        if guild_id is None:
            guild_id = self.ids.next() if shard is None else self.ids.next_on_shard(shard, num_shards)
        g = Guild(guild_id, name)
        self.guilds[guild_id] = g
        g.admin_role_id = self._add_role("Admin", P.ADMINISTRATOR, position=3, color=0xE74C3C, guild=g)
        g.moderator_role_id = self._add_role("Moderator", P.MODERATOR_DEFAULT, position=2, color=0x3498DB, guild=g)
        g.bot_role_id = self._add_role("Quorum", P.BOT_ROLE_DEFAULT, position=1, managed=True, guild=g)
        g.roles[g.everyone_role_id] = self._role_payload(g.everyone_role_id, "@everyone", P.EVERYONE_DEFAULT, 0)
        g.roles[g.bot_role_id]["tags"] = {"bot_id": str(self.bot_user_id)}
        bot_member = Member(self.bot_user_id, "Quorum", [g.bot_role_id], bot=True, joined_at=iso())
        g.members["Quorum"] = bot_member
        g.members_by_id[self.bot_user_id] = bot_member
        for i, member in enumerate(members):
            roles = [g.admin_role_id] if i == 0 else [g.moderator_role_id] if member == "mod" else []
            uid = self.add_member(member, roles, _quiet=True, guild_id=guild_id)
            if i == 0:
                g.owner_id = uid
        g.text_channel_id = self._add_channel("general", 0, position=0, guild_id=guild_id)
        g.forum_channel_id = self._add_channel("questions", 15, position=1, guild_id=guild_id)
        self.channels[g.forum_channel_id]["available_tags"] = [
            {"id": str(self.ids.next()), "name": n, "moderated": False, "emoji_id": None, "emoji_name": None}
            for n in FORUM_TAGS
        ]
        return g

    # ----- the first guild (the API of the one-guild world, kept for its tests) ------------------
    @property
    def guild(self) -> Guild:
        return next(iter(self.guilds.values()))

    @property
    def guild_id(self) -> int:
        return self.guild.id

    @property
    def guild_name(self) -> str:
        return self.guild.name

    @guild_name.setter
    def guild_name(self, name: str) -> None:
        self.guild.name = name

    @property
    def bot_in_guild(self) -> bool:
        return self.guild.bot_in_guild

    @bot_in_guild.setter
    def bot_in_guild(self, value: bool) -> None:
        self.guild.bot_in_guild = value

    owner_id = property(lambda self: self.guild.owner_id)
    everyone_role_id = property(lambda self: self.guild.everyone_role_id)
    admin_role_id = property(lambda self: self.guild.admin_role_id)
    moderator_role_id = property(lambda self: self.guild.moderator_role_id)
    bot_role_id = property(lambda self: self.guild.bot_role_id)
    text_channel_id = property(lambda self: self.guild.text_channel_id)
    forum_channel_id = property(lambda self: self.guild.forum_channel_id)
    roles = property(lambda self: self.guild.roles)
    members = property(lambda self: self.guild.members)
    members_by_id = property(lambda self: self.guild.members_by_id)

    # ----- which guild -----------------------------------------------------------------------
    def guild_for(self, guild_id: int | None = None) -> Guild:
        """The guild with that id (the first guild when None); KeyError for an unknown id."""
        return self.guild if guild_id is None else self.guilds[int(guild_id)]

    def guild_of_channel(self, channel_id: int | None) -> Guild | None:
        """The guild a channel or thread belongs to; None for a DM (or an unknown channel)."""
        ch = self.channels.get(int(channel_id)) if channel_id is not None else None
        if ch is None or not ch.get("guild_id"):
            return None
        return self.guilds.get(int(ch["guild_id"]))

    def guild_of_role(self, role_id: int) -> Guild:
        return next((g for g in self.guilds.values() if int(role_id) in g.roles), self.guild)

    def role(self, role_id: int) -> dict | None:
        """A role of any guild (role ids are unique snowflakes)."""
        return self.guild_of_role(role_id).roles.get(int(role_id))

    # ----- construction helpers -------------------------------------------------------------
    def _role_payload(self, rid: int, name: str, perms: int, position: int, color: int = 0,
                      managed: bool = False) -> dict:
        return {"id": str(rid), "name": name, "color": color,
                "colors": {"primary_color": color, "secondary_color": None, "tertiary_color": None},
                "hoist": False, "icon": None, "unicode_emoji": None, "position": position,
                "permissions": str(perms), "managed": managed, "mentionable": False, "flags": 0}

    def _add_role(self, name: str, perms: int, position: int, color: int = 0, managed: bool = False,
                  guild: Guild | None = None) -> int:
        rid = self.ids.next()
        (guild or self.guild).roles[rid] = self._role_payload(rid, name, perms, position, color, managed)
        return rid

    @staticmethod
    def _user_payload(uid: int, name: str, bot: bool = False) -> dict:
        return {"id": str(uid), "username": name, "discriminator": "0", "global_name": None if bot else name.title(),
                "avatar": None, "bot": bot, "public_flags": 0, "flags": 0, "banner": None, "accent_color": None,
                "avatar_decoration_data": None, "primary_guild": None}

    def _add_channel(self, name: str, ctype: int, position: int, parent_id: int | None = None,
                     guild_id: int | None = None) -> int:
        cid = self.ids.next()
        self.channels[cid] = {
            "id": str(cid), "type": ctype, "guild_id": str(self.guild_for(guild_id).id), "name": name,
            "position": position,
            "permission_overwrites": [], "parent_id": str(parent_id) if parent_id else None, "nsfw": False,
            "topic": None, "last_message_id": None, "rate_limit_per_user": 0, "flags": 0,
            "default_auto_archive_duration": 4320, "default_thread_rate_limit_per_user": 0,
        }
        if ctype == 15:
            self.channels[cid].update({"available_tags": [], "default_reaction_emoji": None,
                                       "default_sort_order": None, "default_forum_layout": 0})
        self.messages[cid] = {}
        return cid

    def add_member(self, name: str, roles=(), *, _quiet: bool = False, guild_id: int | None = None) -> int:
        """Add a human member (to the first guild unless `guild_id`). A username already known is
        that same user joining one more guild. Announces GUILD_MEMBER_ADD once the emulator is wired up."""
        g = self.guild_for(guild_id)
        uid = self.user_id_by_name(name)
        if uid is None:
            uid = self.ids.next()
            self.users[uid] = self._user_payload(uid, name)
            self._user_ids[name] = uid
        m = Member(uid, name, [int(r) for r in roles], joined_at=iso())
        g.members[name] = m
        g.members_by_id[uid] = m
        if not _quiet and self._on_member_add is not None:
            self._on_member_add(uid, g.id)
        return uid

    def user_id_by_name(self, name: str) -> int | None:
        return self._user_ids.get(name)

    # ----- reads ------------------------------------------------------------------------------
    @property
    def threads(self) -> dict[int, dict]:
        return {cid: c for cid, c in self.channels.items() if c["type"] in (10, 11, 12)}

    def channel(self, channel_id: int) -> dict | None:
        return self.channels.get(int(channel_id))

    def message(self, channel_id: int, message_id: int) -> dict | None:
        return self.messages.get(int(channel_id), {}).get(int(message_id))

    def find_message(self, message_id: int) -> dict | None:
        for msgs in self.messages.values():
            if int(message_id) in msgs:
                return msgs[int(message_id)]
        return None

    def member(self, user_id: int, guild_id: int | None = None) -> Member | None:
        return self.guild_for(guild_id).members_by_id.get(int(user_id))

    def user(self, user_id: int) -> dict | None:
        return self.users.get(int(user_id))

    def pinned_ids(self, channel_id: int) -> list[int]:
        return [mid for mid, _ in self.pins.get(int(channel_id), [])]

    # ----- payloads ---------------------------------------------------------------------------
    def member_payload(self, user_id: int, with_user: bool = True, guild_id: int | None = None) -> dict:
        m = self.guild_for(guild_id).members_by_id[int(user_id)]
        p = {"roles": [str(r) for r in m.roles], "nick": m.nick, "avatar": None, "banner": None,
             "joined_at": m.joined_at, "premium_since": None, "deaf": False, "mute": False, "flags": 0,
             "pending": False, "communication_disabled_until": None}
        if with_user:
            p["user"] = copy.deepcopy(self.users[m.id])
        return p

    def guild_payload(self, guild_id: int | None = None) -> dict:
        g = self.guild_for(guild_id)
        return {"id": str(g.id), "name": g.name, "icon": None, "splash": None,
                "discovery_splash": None, "banner": None, "description": None, "owner_id": str(g.owner_id),
                "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
                "default_message_notifications": 0, "explicit_content_filter": 0, "features": ["COMMUNITY"],
                "mfa_level": 0, "application_id": None, "system_channel_id": None, "system_channel_flags": 0,
                "rules_channel_id": None, "public_updates_channel_id": None, "safety_alerts_channel_id": None,
                "max_members": 500000, "max_presences": None, "vanity_url_code": None, "premium_tier": 0,
                "premium_subscription_count": 0, "preferred_locale": "en-US", "nsfw_level": 0, "nsfw": False,
                "premium_progress_bar_enabled": False, "widget_enabled": False,
                "roles": [copy.deepcopy(r) for r in g.roles.values()], "emojis": [], "stickers": []}

    def guild_channels(self, guild_id: int | None = None) -> list[dict]:
        gid = str(self.guild_for(guild_id).id)
        return [copy.deepcopy(c) for c in self.channels.values()
                if c["type"] in (0, 2, 4, 5, 13, 15, 16) and c.get("guild_id") == gid]

    def active_threads(self, viewer_id: int | None = None, guild_id: int | None = None) -> list[dict]:
        """The guild's unarchived threads; with `viewer_id`, only those that user can see (a private
        thread only to its members and to those with Manage Threads)."""
        gid = str(self.guild_for(guild_id).id)
        return [copy.deepcopy(c) for cid, c in self.threads.items()
                if c.get("guild_id") == gid and not c["thread_metadata"]["archived"]
                and (viewer_id is None or self.permissions_in(viewer_id, cid) & P.VIEW_CHANNEL)]

    def guild_create_payload(self, guild_id: int | None = None) -> dict:
        guild = self.guild_for(guild_id)
        g = self.guild_payload(guild.id)
        g.update({"joined_at": guild.members_by_id[self.bot_user_id].joined_at, "large": False,
                  "unavailable": False, "member_count": len(guild.members), "voice_states": [],
                  "members": [self.member_payload(m.id, guild_id=guild.id) for m in guild.members.values()],
                  "channels": self.guild_channels(guild.id), "threads": self.active_threads(self.bot_user_id, guild.id),
                  "presences": [],
                  "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
                  "embedded_activities": [], "lazy": True, "application_command_counts": {}})
        return g

    def thread_member_payload(self, thread_id: int, user_id: int) -> dict:
        return {"id": str(thread_id), "user_id": str(user_id), "join_timestamp": iso(), "flags": 1}

    # ----- permissions ------------------------------------------------------------------------
    def set_role_permissions(self, role_id: int, perms: int) -> None:
        self.guild_of_role(role_id).roles[int(role_id)]["permissions"] = str(int(perms))

    def set_channel_overwrite(self, channel_id: int, target_id: int, allow: int = 0, deny: int = 0,
                              type: int = 0) -> None:
        ch = self.channels[int(channel_id)]
        ows = [o for o in ch["permission_overwrites"] if int(o["id"]) != int(target_id)]
        ows.append({"id": str(target_id), "type": type, "allow": str(allow), "deny": str(deny)})
        ch["permission_overwrites"] = ows

    def remove_channel_overwrite(self, channel_id: int, target_id: int) -> None:
        ch = self.channels[int(channel_id)]
        ch["permission_overwrites"] = [o for o in ch["permission_overwrites"] if int(o["id"]) != int(target_id)]

    def base_permissions(self, user_id: int, guild_id: int | None = None) -> int:
        g = self.guild_for(guild_id)
        if int(user_id) == g.owner_id:
            return P.ALL
        m = g.members_by_id.get(int(user_id))
        if m is None:
            return 0
        perms = int(g.roles[g.everyone_role_id]["permissions"])
        for rid in m.roles:
            if rid in g.roles:
                perms |= int(g.roles[rid]["permissions"])
        return P.ALL if perms & P.ADMINISTRATOR else perms

    def permissions_in(self, user_id: int, channel_id: int | None, guild_id: int | None = None) -> int:
        """In a channel (of the channel's own guild), or the guild-wide base with no channel."""
        g = self.guild_of_channel(channel_id) or self.guild_for(guild_id)
        base = self.base_permissions(user_id, g.id)
        if base & P.ADMINISTRATOR or base == P.ALL or channel_id is None:
            return base
        ch = self.channels.get(int(channel_id))
        if ch is None or ch["type"] in (1, 3):
            return base
        thread = ch if ch["type"] in (10, 11, 12) else None
        if thread is not None and ch.get("parent_id"):  # threads inherit the parent's overwrites
            ch = self.channels.get(int(ch["parent_id"]), ch)
        m = g.members_by_id[int(user_id)]
        perms = P.apply_overwrites(base, ch.get("permission_overwrites", []), g.everyone_role_id, m.roles, m.id)
        if not perms & P.VIEW_CHANNEL:
            return 0
        if thread is not None and thread["type"] == 12 and not perms & P.MANAGE_THREADS \
                and int(user_id) not in self.thread_members.get(int(thread["id"]), ()):
            return 0  # a private thread: only its members and those who manage threads see it
        return perms

    # ----- message helpers --------------------------------------------------------------------
    def mentions_in(self, content: str, guild_id: int | None = None) -> tuple[list[dict], list[str]]:
        g = self.guild_for(guild_id)
        users = []
        for uid in dict.fromkeys(int(x) for x in MENTION_RE.findall(content or "")):
            if uid in self.users:
                u = copy.deepcopy(self.users[uid])
                if uid in g.members_by_id:
                    u["member"] = self.member_payload(uid, with_user=False, guild_id=g.id)
                users.append(u)
        roles = [r for r in dict.fromkeys(ROLE_MENTION_RE.findall(content or "")) if int(r) in g.roles]
        return users, roles

    def new_message(self, channel_id: int, author_id: int, content: str = "", *, mtype: int = 0,
                    embeds=(), components=(), attachments=(), flags: int = 0, message_id: int | None = None,
                    reference: dict | None = None, extra: dict | None = None) -> dict:
        mid = message_id or self.ids.next()
        ch = self.channels[int(channel_id)]
        g = self.guild_of_channel(channel_id)
        mentions, mention_roles = self.mentions_in(content, g.id if g else None)
        msg = {"id": str(mid), "channel_id": str(channel_id), "author": copy.deepcopy(self.users[int(author_id)]),
               "content": content or "", "timestamp": iso(), "edited_timestamp": None, "tts": False,
               "mention_everyone": False, "mentions": mentions, "mention_roles": mention_roles,
               "mention_channels": [], "attachments": list(attachments), "embeds": list(embeds),
               "components": list(components), "pinned": False, "type": mtype, "flags": flags}
        if ch["type"] not in (1, 3) and g is not None:
            msg["guild_id"] = str(g.id)
            if int(author_id) in g.members_by_id:
                msg["member"] = self.member_payload(author_id, with_user=False, guild_id=g.id)
        if reference is not None:
            # Leave the key out when there is none: discord.py crashes on "message_reference": null.
            msg["message_reference"] = reference
        if extra:
            msg.update(extra)
        self.messages.setdefault(int(channel_id), {})[mid] = msg
        ch["last_message_id"] = str(mid)
        if ch["type"] in (10, 11, 12) and mtype not in (21,):
            ch["message_count"] = ch.get("message_count", 0) + 1
            ch["total_message_sent"] = ch.get("total_message_sent", 0) + 1
        return msg

    def reaction_summary(self, message_id: int) -> list[dict]:
        out = []
        for key, users in self.reactions.get(int(message_id), {}).items():
            if not users:
                continue
            out.append({"emoji": emoji_payload(key), "count": len(users),
                        "count_details": {"burst": 0, "normal": len(users)},
                        "me": self.bot_user_id in users, "me_burst": False, "burst_colors": []})
        return out


def emoji_key(raw: str) -> str:
    """Normalise the URL form of an emoji ("name:id", "<:name:id>", or unicode) to a storage key."""
    raw = raw.strip()
    if raw.startswith("<") and raw.endswith(">"):
        raw = raw.strip("<>").lstrip("a").lstrip(":")
    return raw


def emoji_payload(key: str) -> dict:
    if ":" in key:
        name, _, eid = key.rpartition(":")
        return {"id": eid, "name": name or None, "animated": False}
    return {"id": None, "name": key}
