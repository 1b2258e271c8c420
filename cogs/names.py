"""Learns the display names the web shows (bot/forum/names.py): the author of every mirrored message
and the users, roles and channels it mentions, as the server shows them; the guild's name and its
channels' at start and when they change; and a rename of a member already known.

`message_names` is a plain function so catch-up (cogs/catchup.py) learns from the messages it reads
as the live path does. Reactions never come here: the vote path stays as fast as it was."""

from __future__ import annotations

from itertools import islice

import discord
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.public import NameEntry
from bot.forum.rules import counts_as_post
from bot.forum.service import ForumService
from cogs.convert import message_info

MAX_NAME = 100  # Discord's longest (a role's or a channel's name); a hostile gateway gets no more
MAX_MENTIONS = 50  # of each kind, per message


def _entry(guild_id: int, kind: str, target_id: int, name: str) -> NameEntry:
    return NameEntry(guild_id, kind, target_id, name[:MAX_NAME])


def person(guild_id: int, user: discord.abc.User) -> NameEntry:
    """As the server shows them: the member's nickname, else their global display name, else the
    username (discord.py's display_name, for a Member and a User alike)."""
    return _entry(guild_id, "user", user.id, user.display_name)


def message_names(message: discord.Message, author_id: int | None = None) -> list[NameEntry]:
    """The names a message shows: its author (`author_id` when it is not the message's author: the
    asker of an /ask starter the bot posted), and the users, roles and channels it mentions, among
    them `<#id>` channels and threads the guild's cache knows."""
    guild = message.guild
    if guild is None:
        return []
    author: discord.abc.User | None = message.author
    if author_id is not None and author_id != message.author.id:
        author = guild.get_member(author_id)
    entries = [person(guild.id, author)] if author is not None else []
    entries += [person(guild.id, u) for u in islice(message.mentions, MAX_MENTIONS)]
    entries += [_entry(guild.id, "role", r.id, r.name) for r in islice(message.role_mentions, MAX_MENTIONS)]
    entries += [_entry(guild.id, "channel", c.id, c.name) for c in islice(message.channel_mentions, MAX_MENTIONS)]
    return entries


class Names(commands.Cog):
    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.service = service

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        thread = message.channel
        if not isinstance(thread, discord.Thread) or not self.service.is_watched(thread.guild.id, thread.parent_id):
            return
        if thread.is_private():  # never mirrored, never named on the web
            return
        info = message_info(message)
        if counts_as_post(info):  # the bot's own notices and summaries, and system messages, are no posts
            await self.service.names.learn(message_names(message, info.author_id))

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self._learn_guild(guild)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._learn_guild(guild)

    async def _learn_guild(self, guild: discord.Guild) -> None:
        await self.service.names.guild(guild.id, guild.name)
        await self.service.names.learn(_entry(guild.id, "channel", c.id, c.name) for c in guild.channels)

    @commands.Cog.listener()
    async def on_guild_update(self, before: discord.Guild, after: discord.Guild) -> None:
        await self.service.names.guild(after.id, after.name)

    @commands.Cog.listener()
    async def on_guild_channel_create(self, channel: discord.abc.GuildChannel) -> None:
        await self.service.names.learn([_entry(channel.guild.id, "channel", channel.id, channel.name)])

    @commands.Cog.listener()
    async def on_guild_channel_update(self, before: discord.abc.GuildChannel, after: discord.abc.GuildChannel) -> None:
        if before.name != after.name:
            await self.service.names.learn([_entry(after.guild.id, "channel", after.id, after.name)])

    @commands.Cog.listener()
    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        if before.name != after.name:
            await self.service.names.renamed([_entry(after.guild.id, "role", after.id, after.name)])

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        if before.display_name != after.display_name:
            await self.service.names.renamed([person(after.guild.id, after)])

    @commands.Cog.listener()
    async def on_user_update(self, before: discord.User, after: discord.User) -> None:
        """A new username or global name, seen in one server's member update, shows in every server
        where the member has no nickname."""
        if before.display_name == after.display_name:
            return
        members = (g.get_member(after.id) for g in after.mutual_guilds)
        await self.service.names.renamed([person(m.guild.id, m) for m in members if m is not None])


async def setup(bot: QuorumBot) -> None:
    await bot.add_cog(Names(bot, bot.service))
