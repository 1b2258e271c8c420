"""One guild of the world: its roles, its members (per-guild state of a user) and its two channels.

Users, channels, messages and reactions are global in the World (ids are unique snowflakes); what
differs per guild (roles, membership, nickname, owner) lives here, as on Discord.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Member:
    id: int
    name: str
    roles: list[int] = field(default_factory=list)  # role ids, @everyone excluded (as on Discord)
    bot: bool = False
    joined_at: str = ""
    nick: str | None = None


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int = 0
    bot_in_guild: bool = True  # False once the bot was removed (kicked), until it is added back
    roles: dict[int, dict] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)  # by username
    members_by_id: dict[int, Member] = field(default_factory=dict)
    admin_role_id: int = 0
    moderator_role_id: int = 0
    bot_role_id: int = 0
    text_channel_id: int = 0
    forum_channel_id: int = 0

    @property
    def everyone_role_id(self) -> int:
        return self.id  # Discord: @everyone's id is the guild id

    def shard(self, num_shards: int) -> int:
        """Discord's rule: a guild's events go to shard (guild_id >> 22) % num_shards."""
        return shard_of(self.id, num_shards)


def shard_of(guild_id: int | None, num_shards: int) -> int:
    """The shard of a guild; events outside any guild (DMs) go to shard 0, as on Discord."""
    return 0 if guild_id is None else (int(guild_id) >> 22) % max(1, num_shards)
