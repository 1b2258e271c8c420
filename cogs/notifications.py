"""/notify answers:on|off, /follow, /unfollow, /following: what a member asks to be told (stored per
member per server; bot/forum/notifications.py). The messages themselves are sent by the
application's periodic run (bot/notifier.py)."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.errors import NotFound
from bot.forum.notifications import MAX_FOLLOWS, Followed, Via

NO_PINGS = discord.AllowedMentions.none()
MAX_CHOICES = 25
PAUSED = ("Your digests are paused: Discord refused a DM from Quorum (your privacy settings). To resume, allow "
          "direct messages from this server's members, then use `/follow` with a tag (one you follow counts): "
          "it tries DMs again.")  # fmt: skip


class Notifications(commands.Cog):
    def __init__(self, bot: QuorumBot) -> None:
        self.bot = bot
        self.service = bot.service
        self.notices = bot.service.notices

    @app_commands.command(name="notify", description="Be told by DM when your questions get answers or one is accepted")
    @app_commands.describe(answers="on: a DM at your question's first answer, later answers and acceptance; off: none")
    @app_commands.guild_only()
    async def notify(self, interaction: discord.Interaction, answers: Literal["on", "off"] | None = None) -> None:
        assert interaction.guild_id is not None
        if answers is not None:
            # The interaction's id is Discord's "now": answers after it are news.
            await self.notices.set_answers(interaction.guild_id, interaction.user.id, answers == "on", interaction.id)
        on, via = await self.notices.answers(interaction.guild_id, interaction.user.id)
        if not on:
            text = "You are not told of answers to your questions here. `/notify answers:on` turns it on."
        elif via is Via.THREAD:
            text = ("You are told of answers to your questions here by a mention in the question's thread (your "
                    "DMs refused the bot). `/notify answers:on` tries DMs again.")  # fmt: skip
        else:
            text = ("You get a DM when your questions here get answers (several within 10 minutes in one message) "
                    "or one is accepted. `/notify answers:off` stops it.")  # fmt: skip
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="follow", description="Get a DM digest of new questions with this tag")
    @app_commands.describe(tag="One of this server's question tags")
    @app_commands.guild_only()
    async def follow(self, interaction: discord.Interaction, tag: app_commands.Range[str, 1, 20]) -> None:
        assert interaction.guild is not None
        known = await self._known_tags(interaction.guild)
        name, followed, retried = await self.notices.follow(interaction.guild.id, interaction.user.id, tag, known,
                                                            interaction.id)  # fmt: skip
        minutes = self.bot.settings.follow_digest_minutes
        if followed is Followed.FULL:
            text = f"You follow {MAX_FOLLOWS} tags already: `/unfollow` one first."
        elif followed is Followed.ALREADY:
            text = f"You follow **{name}** already."
        else:
            text = (f"You follow **{name}**: new questions with it come in one DM at most every {minutes} "
                    "minutes (not your own, and only where you can read them).")  # fmt: skip
        if retried:
            text += (" Discord had refused a DM from Quorum, which paused your digests: they try DMs again now "
                     "(allow direct messages from this server's members to get them).")  # fmt: skip
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="unfollow", description="Stop the digest of new questions with this tag")
    @app_commands.describe(tag="A tag you follow")
    @app_commands.guild_only()
    async def unfollow(self, interaction: discord.Interaction, tag: app_commands.Range[str, 1, 20]) -> None:
        assert interaction.guild_id is not None
        name, removed = await self.notices.unfollow(interaction.guild_id, interaction.user.id, tag)
        if not removed:
            raise NotFound(f"You do not follow `{name}`.")
        await interaction.response.send_message(f"You no longer follow **{name}**.", ephemeral=True,
                                                allowed_mentions=NO_PINGS)  # fmt: skip

    @app_commands.command(name="following", description="The tags whose new questions you get in a digest")
    @app_commands.guild_only()
    async def following(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        tags = await self.notices.following(interaction.guild_id, interaction.user.id)
        if tags:
            text = f"You follow ({len(tags)}/{MAX_FOLLOWS}): " + ", ".join(f"**{t}**" for t in tags)
            if await self.notices.digests_paused(interaction.guild_id, interaction.user.id):
                text = f"{PAUSED}\n{text}"  # first: the list may be long
        else:
            text = "You follow no tags here. `/follow tag:…` starts a digest of new questions with it."
        await interaction.response.send_message(text[:2000], ephemeral=True, allowed_mentions=NO_PINGS)

    @follow.autocomplete("tag")
    async def complete_follow(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild is None:
            return []
        return _choices(await self._known_tags(interaction.guild), current)

    @unfollow.autocomplete("tag")
    async def complete_unfollow(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        return _choices(await self.notices.following(interaction.guild_id, interaction.user.id), current)

    async def _known_tags(self, guild: discord.Guild) -> list[str]:
        channel = guild.get_channel(self.service.settings(guild.id).forum_channel_id or 0)
        forum = [t.name for t in channel.available_tags] if isinstance(channel, discord.ForumChannel) else []
        return await self.notices.known_tags(guild.id, forum)


def _choices(names: list[str], current: str) -> list[app_commands.Choice[str]]:
    typed = current.casefold()
    found = sorted({n for n in names if typed in n.casefold()}, key=lambda n: (not n.casefold().startswith(typed), n))
    return [app_commands.Choice(name=n, value=n) for n in found[:MAX_CHOICES]]


async def setup(bot: QuorumBot) -> None:
    await bot.add_cog(Notifications(bot))
