"""The in-memory world: one guild, its roles, members, channels, threads, messages, reactions, pins.

Objects are stored as Discord payload dicts (string ids, as on the wire) so REST and gateway can hand
them out directly; the Python side uses int ids. Mutations that Discord would announce live in
ops.py, which dispatches the gateway events; this module only holds state and builds payloads.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from . import permissions as P
from .snowflakes import SnowflakeGenerator, iso

MENTION_RE = re.compile(r"<@!?(\d+)>")
ROLE_MENTION_RE = re.compile(r"<@&(\d+)>")

FORUM_TAGS = ("python", "discord.py", "sql", "help", "Solved")


@dataclass
class Member:
    id: int
    name: str
    roles: list[int] = field(default_factory=list)  # role ids, @everyone excluded (as on Discord)
    bot: bool = False
    joined_at: str = ""
    nick: str | None = None


class World:
    def __init__(self) -> None:
        self.ids = SnowflakeGenerator()
        self.users: dict[int, dict] = {}
        self.members: dict[str, Member] = {}
        self.members_by_id: dict[int, Member] = {}
        self.roles: dict[int, dict] = {}
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

        self.guild_id = self.ids.next()
        self.guild_name = "Quorum Test Server"
        self.bot_in_guild = True  # False once the bot was removed (kicked), until it is added back
        self.bot_user_id = self.ids.next()
        self.application_id = self.bot_user_id
        self.everyone_role_id = self.guild_id  # Discord: @everyone's id is the guild id
        self.admin_role_id = self._add_role("Admin", P.ADMINISTRATOR, position=3, color=0xE74C3C)
        self.moderator_role_id = self._add_role("Moderator", P.MODERATOR_DEFAULT, position=2, color=0x3498DB)
        self.bot_role_id = self._add_role("Quorum", P.BOT_ROLE_DEFAULT, position=1, managed=True)
        self.roles[self.everyone_role_id] = self._role_payload(self.everyone_role_id, "@everyone",
                                                              P.EVERYONE_DEFAULT, 0)
        self.roles[self.bot_role_id]["tags"] = {"bot_id": str(self.bot_user_id)}

        self.bot_user = self._user_payload(self.bot_user_id, "Quorum", bot=True)
        self.users[self.bot_user_id] = self.bot_user
        bot_member = Member(self.bot_user_id, "Quorum", [self.bot_role_id], bot=True, joined_at=iso())
        self.members["Quorum"] = bot_member
        self.members_by_id[self.bot_user_id] = bot_member

        self.owner_id = self.add_member("alice", [self.admin_role_id], _quiet=True)
        self.add_member("mod", [self.moderator_role_id], _quiet=True)
        for name in ("bob", "carol", "dave"):
            self.add_member(name, (), _quiet=True)

        self.text_channel_id = self._add_channel("general", 0, position=0)
        self.forum_channel_id = self._add_channel("questions", 15, position=1)
        self.channels[self.forum_channel_id]["available_tags"] = [
            {"id": str(self.ids.next()), "name": n, "moderated": False, "emoji_id": None, "emoji_name": None}
            for n in FORUM_TAGS
        ]
        # Hook set by the Emulator so add_member can announce GUILD_MEMBER_ADD.
        self._on_member_add = None

    # ----- construction helpers -------------------------------------------------------------
    def _role_payload(self, rid: int, name: str, perms: int, position: int, color: int = 0,
                      managed: bool = False) -> dict:
        return {"id": str(rid), "name": name, "color": color,
                "colors": {"primary_color": color, "secondary_color": None, "tertiary_color": None},
                "hoist": False, "icon": None, "unicode_emoji": None, "position": position,
                "permissions": str(perms), "managed": managed, "mentionable": False, "flags": 0}

    def _add_role(self, name: str, perms: int, position: int, color: int = 0, managed: bool = False) -> int:
        rid = self.ids.next()
        self.roles[rid] = self._role_payload(rid, name, perms, position, color, managed)
        return rid

    @staticmethod
    def _user_payload(uid: int, name: str, bot: bool = False) -> dict:
        return {"id": str(uid), "username": name, "discriminator": "0", "global_name": None if bot else name.title(),
                "avatar": None, "bot": bot, "public_flags": 0, "flags": 0, "banner": None, "accent_color": None,
                "avatar_decoration_data": None, "primary_guild": None}

    def _add_channel(self, name: str, ctype: int, position: int, parent_id: int | None = None) -> int:
        cid = self.ids.next()
        self.channels[cid] = {
            "id": str(cid), "type": ctype, "guild_id": str(self.guild_id), "name": name, "position": position,
            "permission_overwrites": [], "parent_id": str(parent_id) if parent_id else None, "nsfw": False,
            "topic": None, "last_message_id": None, "rate_limit_per_user": 0, "flags": 0,
            "default_auto_archive_duration": 4320, "default_thread_rate_limit_per_user": 0,
        }
        if ctype == 15:
            self.channels[cid].update({"available_tags": [], "default_reaction_emoji": None,
                                       "default_sort_order": None, "default_forum_layout": 0})
        self.messages[cid] = {}
        return cid

    def add_member(self, name: str, roles=(), *, _quiet: bool = False) -> int:
        """Add a human member. Announces GUILD_MEMBER_ADD once the emulator is wired up."""
        uid = self.ids.next()
        self.users[uid] = self._user_payload(uid, name)
        m = Member(uid, name, [int(r) for r in roles], joined_at=iso())
        self.members[name] = m
        self.members_by_id[uid] = m
        if not _quiet and self._on_member_add is not None:
            self._on_member_add(uid)
        return uid

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

    def member(self, user_id: int) -> Member | None:
        return self.members_by_id.get(int(user_id))

    def user(self, user_id: int) -> dict | None:
        return self.users.get(int(user_id))

    def pinned_ids(self, channel_id: int) -> list[int]:
        return [mid for mid, _ in self.pins.get(int(channel_id), [])]

    # ----- payloads ---------------------------------------------------------------------------
    def member_payload(self, user_id: int, with_user: bool = True) -> dict:
        m = self.members_by_id[int(user_id)]
        p = {"roles": [str(r) for r in m.roles], "nick": m.nick, "avatar": None, "banner": None,
             "joined_at": m.joined_at, "premium_since": None, "deaf": False, "mute": False, "flags": 0,
             "pending": False, "communication_disabled_until": None}
        if with_user:
            p["user"] = copy.deepcopy(self.users[m.id])
        return p

    def guild_payload(self) -> dict:
        return {"id": str(self.guild_id), "name": self.guild_name, "icon": None, "splash": None,
                "discovery_splash": None, "banner": None, "description": None, "owner_id": str(self.owner_id),
                "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
                "default_message_notifications": 0, "explicit_content_filter": 0, "features": ["COMMUNITY"],
                "mfa_level": 0, "application_id": None, "system_channel_id": None, "system_channel_flags": 0,
                "rules_channel_id": None, "public_updates_channel_id": None, "safety_alerts_channel_id": None,
                "max_members": 500000, "max_presences": None, "vanity_url_code": None, "premium_tier": 0,
                "premium_subscription_count": 0, "preferred_locale": "en-US", "nsfw_level": 0, "nsfw": False,
                "premium_progress_bar_enabled": False, "widget_enabled": False,
                "roles": [copy.deepcopy(r) for r in self.roles.values()], "emojis": [], "stickers": []}

    def guild_channels(self) -> list[dict]:
        return [copy.deepcopy(c) for c in self.channels.values() if c["type"] in (0, 2, 4, 5, 13, 15, 16)]

    def active_threads(self, viewer_id: int | None = None) -> list[dict]:
        """Unarchived threads; with `viewer_id`, only those that user can see (a private thread only
        to its members and to those with Manage Threads)."""
        return [copy.deepcopy(c) for cid, c in self.threads.items() if not c["thread_metadata"]["archived"]
                and (viewer_id is None or self.permissions_in(viewer_id, cid) & P.VIEW_CHANNEL)]

    def guild_create_payload(self) -> dict:
        g = self.guild_payload()
        g.update({"joined_at": self.members_by_id[self.bot_user_id].joined_at, "large": False,
                  "unavailable": False, "member_count": len(self.members), "voice_states": [],
                  "members": [self.member_payload(m.id) for m in self.members.values()],
                  "channels": self.guild_channels(), "threads": self.active_threads(self.bot_user_id),
                  "presences": [],
                  "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
                  "embedded_activities": [], "lazy": True, "application_command_counts": {}})
        return g

    def thread_member_payload(self, thread_id: int, user_id: int) -> dict:
        return {"id": str(thread_id), "user_id": str(user_id), "join_timestamp": iso(), "flags": 1}

    # ----- permissions ------------------------------------------------------------------------
    def set_role_permissions(self, role_id: int, perms: int) -> None:
        self.roles[int(role_id)]["permissions"] = str(int(perms))

    def set_channel_overwrite(self, channel_id: int, target_id: int, allow: int = 0, deny: int = 0,
                              type: int = 0) -> None:
        ch = self.channels[int(channel_id)]
        ows = [o for o in ch["permission_overwrites"] if int(o["id"]) != int(target_id)]
        ows.append({"id": str(target_id), "type": type, "allow": str(allow), "deny": str(deny)})
        ch["permission_overwrites"] = ows

    def remove_channel_overwrite(self, channel_id: int, target_id: int) -> None:
        ch = self.channels[int(channel_id)]
        ch["permission_overwrites"] = [o for o in ch["permission_overwrites"] if int(o["id"]) != int(target_id)]

    def base_permissions(self, user_id: int) -> int:
        if int(user_id) == self.owner_id:
            return P.ALL
        m = self.members_by_id.get(int(user_id))
        if m is None:
            return 0
        perms = int(self.roles[self.everyone_role_id]["permissions"])
        for rid in m.roles:
            if rid in self.roles:
                perms |= int(self.roles[rid]["permissions"])
        return P.ALL if perms & P.ADMINISTRATOR else perms

    def permissions_in(self, user_id: int, channel_id: int | None) -> int:
        base = self.base_permissions(user_id)
        if base & P.ADMINISTRATOR or base == P.ALL or channel_id is None:
            return base
        ch = self.channels.get(int(channel_id))
        if ch is None or ch["type"] in (1, 3):
            return base
        thread = ch if ch["type"] in (10, 11, 12) else None
        if thread is not None and ch.get("parent_id"):  # threads inherit the parent's overwrites
            ch = self.channels.get(int(ch["parent_id"]), ch)
        m = self.members_by_id[int(user_id)]
        perms = P.apply_overwrites(base, ch.get("permission_overwrites", []), self.everyone_role_id, m.roles, m.id)
        if not perms & P.VIEW_CHANNEL:
            return 0
        if thread is not None and thread["type"] == 12 and not perms & P.MANAGE_THREADS \
                and int(user_id) not in self.thread_members.get(int(thread["id"]), ()):
            return 0  # a private thread: only its members and those who manage threads see it
        return perms

    # ----- message helpers --------------------------------------------------------------------
    def mentions_in(self, content: str) -> tuple[list[dict], list[str]]:
        users = []
        for uid in dict.fromkeys(int(x) for x in MENTION_RE.findall(content or "")):
            if uid in self.users:
                u = copy.deepcopy(self.users[uid])
                if uid in self.members_by_id:
                    u["member"] = self.member_payload(uid, with_user=False)
                users.append(u)
        roles = [r for r in dict.fromkeys(ROLE_MENTION_RE.findall(content or "")) if int(r) in self.roles]
        return users, roles

    def new_message(self, channel_id: int, author_id: int, content: str = "", *, mtype: int = 0,
                    embeds=(), components=(), attachments=(), flags: int = 0, message_id: int | None = None,
                    reference: dict | None = None, extra: dict | None = None) -> dict:
        mid = message_id or self.ids.next()
        ch = self.channels[int(channel_id)]
        mentions, mention_roles = self.mentions_in(content)
        msg = {"id": str(mid), "channel_id": str(channel_id), "author": copy.deepcopy(self.users[int(author_id)]),
               "content": content or "", "timestamp": iso(), "edited_timestamp": None, "tts": False,
               "mention_everyone": False, "mentions": mentions, "mention_roles": mention_roles,
               "mention_channels": [], "attachments": list(attachments), "embeds": list(embeds),
               "components": list(components), "pinned": False, "type": mtype, "flags": flags}
        if ch["type"] not in (1, 3):
            msg["guild_id"] = str(self.guild_id)
            if int(author_id) in self.members_by_id:
                msg["member"] = self.member_payload(author_id, with_user=False)
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
