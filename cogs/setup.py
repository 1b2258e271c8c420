"""/quorum setup: where questions live, who moderates, which emojis vote, when follow-ups come."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.followups import MAX_HOURS
from bot.forum.models import GuildSettings
from bot.forum.service import ForumService
from cogs import quorum_group
from cogs.checks import server_manager_only

# What the bot needs in the questions channel, by the name Discord's settings show.
NEEDED_PERMISSIONS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "create_public_threads": "Create Public Threads",
    "manage_threads": "Manage Threads",
    "read_message_history": "Read Message History",
    "add_reactions": "Add Reactions",
    "pin_messages": "Pin Messages",
    "embed_links": "Embed Links",
}


class Setup(commands.Cog):
    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.service = service
        self.command = app_commands.Command(
            name="setup",
            description="Choose the questions channel, the moderator role and the vote emojis",
            callback=self.setup,
        )

    async def cog_load(self) -> None:
        quorum_group.attach(self.bot.tree, self.command)  # /quorum setup

    async def cog_unload(self) -> None:
        quorum_group.detach(self.bot.tree, self.command)

    @app_commands.describe(
        channel="The forum channel (or text channel) where questions are asked",
        moderator_role="Members with this role can accept answers and moderate questions",
        upvote="Emoji that counts as an upvote (default 👍)",
        downvote="Emoji that counts as a downvote (default 👎)",
        daily_vote_cap="How many votes a member may cast per day, UTC (default 40)",
        idle_nudge_hours="Hours after the newest answer, none accepted, to remind the asker once (default 24, 0: off)",
        archive_after_accept_hours="Hours after an answer is accepted to archive the thread (default 24, 0: off)",
    )
    @server_manager_only()
    async def setup(
        self,
        interaction: discord.Interaction,
        channel: discord.ForumChannel | discord.TextChannel | None = None,
        moderator_role: discord.Role | None = None,
        upvote: str | None = None,
        downvote: str | None = None,
        daily_vote_cap: app_commands.Range[int, 1, 1000] | None = None,
        idle_nudge_hours: app_commands.Range[int, 0, MAX_HOURS] | None = None,
        archive_after_accept_hours: app_commands.Range[int, 0, MAX_HOURS] | None = None,
    ) -> None:
        assert interaction.guild is not None
        settings = self.service.settings(interaction.guild.id)
        hours = (idle_nudge_hours, archive_after_accept_hours)
        given = (channel, moderator_role, upvote, downvote, daily_vote_cap, *hours)
        if any(value is not None for value in given):
            settings = await self.service.configure(
                interaction.guild.id,
                interaction.user.id,
                forum_channel_id=channel.id if channel else None,
                moderator_role_id=moderator_role.id if moderator_role else None,
                upvote_emoji=upvote,
                downvote_emoji=downvote,
                daily_vote_cap=daily_vote_cap,
                idle_nudge_hours=idle_nudge_hours,
                archive_after_accept_hours=archive_after_accept_hours,
            )
        await interaction.response.send_message(
            embed=self.describe(interaction.guild, settings),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    def describe(self, guild: discord.Guild, settings: GuildSettings) -> discord.Embed:
        embed = discord.Embed(title="Quorum setup", colour=discord.Colour.blurple())
        channel = guild.get_channel(settings.forum_channel_id) if settings.forum_channel_id else None
        role = guild.get_role(settings.moderator_role_id) if settings.moderator_role_id else None
        embed.add_field(
            name="Questions channel",
            value=channel.mention if channel else "not set: run `/quorum setup channel:#your-forum`",
            inline=False,
        )
        embed.add_field(
            name="Moderators",
            value=(role.mention if role else "no role set") + " (and anyone with Manage Threads)",
            inline=False,
        )
        votes = f"{settings.upvote_emoji} up, {settings.downvote_emoji} down, at most {settings.daily_vote_cap} a day"
        embed.add_field(name="Votes", value=votes, inline=False)
        embed.add_field(name="Follow-ups", value=_followups(settings), inline=False)
        problems = []
        if isinstance(channel, discord.ForumChannel | discord.TextChannel):
            granted = channel.permissions_for(guild.me)
            missing = [label for attr, label in NEEDED_PERMISSIONS.items() if not getattr(granted, attr)]
            if missing:
                problems.append(f"In {channel.mention} I am missing: {', '.join(missing)}.")
        if not getattr(self.bot, "message_content_granted", True):
            problems.append(
                "The Message Content intent is off, so I cannot read answers. Enable it in the developer "
                "portal (Bot -> Privileged Gateway Intents) and restart me."
            )
        if problems:
            embed.add_field(name="Needs attention", value="\n".join(problems), inline=False)
            embed.colour = discord.Colour.orange()
        return embed


def _followups(settings: GuildSettings) -> str:
    nudge = settings.idle_nudge_hours
    archive = settings.archive_after_accept_hours
    nudge_text = f"the asker is reminded {nudge} h after the newest answer, none accepted" if nudge else "no idle nudge"
    archive_text = f"a thread is archived {archive} h after its answer is accepted" if archive else "no archiving"
    return f"{nudge_text}; {archive_text}"


async def setup(bot: QuorumBot) -> None:
    await bot.add_cog(Setup(bot, bot.service))
