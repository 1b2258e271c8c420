"""/help: a private page saying what Quorum is, every command the member can use where they ask
(read from the bot's own command tree, so it never drifts) and how voting and accepting work."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.help import DESCRIPTION_MAX, CommandEntry, command_lines, may_see
from bot.forum.service import ForumService
from cogs.checks import current_thread, member_is_moderator
from cogs.render import PAGE_TOTAL, dlen, embed_size

MODERATOR_BITS = discord.Permissions(manage_threads=True).value  # what checks.moderator_only asks Discord for
MANAGE_GUILD = discord.Permissions(manage_guild=True).value
INTRO = (
    "Quorum is this server's questions and answers forum: every question is a thread{where}, every message in "
    "it an answer, and a reply to an answer is nested under it. Votes give reputation, the best answer gets "
    "accepted, and everything is kept and searchable."
)
MENU_KINDS = {
    discord.AppCommandType.message: "a message's menu → Apps",
    discord.AppCommandType.user: "a member's menu → Apps",
}


class Help(commands.Cog):
    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.service = service

    @app_commands.command(name="help", description="What Quorum is, and the commands you can use here")
    @app_commands.guild_only()
    async def help(self, interaction: discord.Interaction) -> None:
        entries = [e for e in command_entries(self.bot.tree) if await self._may_see(interaction, e)]
        await interaction.response.send_message(embed=self.page(interaction, entries), ephemeral=True,
                                                allowed_mentions=discord.AllowedMentions.none())  # fmt: skip

    async def _may_see(self, interaction: discord.Interaction, entry: CommandEntry) -> bool:
        member = interaction.user
        if not entry.required:
            return True
        # Permissions where the command is typed, as Discord decides what it shows; Manage Server
        # only from the member's roles, as /quorum checks it (an overwrite grants nothing there).
        held = interaction.permissions.value & ~MANAGE_GUILD
        if isinstance(member, discord.Member) and member.guild_permissions.manage_guild:
            held |= MANAGE_GUILD
        moderator = bool(entry.required & MODERATOR_BITS) and await member_is_moderator(
            interaction, current_thread(interaction)
        )
        return may_see(entry, held, moderator=moderator, moderator_bits=MODERATOR_BITS)

    def page(self, interaction: discord.Interaction, entries: list[CommandEntry]) -> discord.Embed:
        assert interaction.guild is not None
        settings = self.service.settings(interaction.guild.id)
        where = f" in <#{settings.forum_channel_id}>" if settings.forum_channel_id else ""
        embed = discord.Embed(title="Quorum: help", colour=discord.Colour.blurple())
        embed.add_field(
            name="Voting",
            value=f"React {settings.upvote_emoji} to vote a question or answer up, {settings.downvote_emoji} to "
            "vote it down; one vote per post, the latest counts, removing it takes the vote back. No votes on "
            f"your own posts, at most {settings.daily_vote_cap} a day.",
            inline=False,
        )
        embed.add_field(
            name="Accepting",
            value="A moderator pins the best answer to accept it (unpinning takes it back); the asker can use "
            "`/accept` or **Accept answer** in the answer's menu (Apps).",
            inline=False,
        )
        if not settings.forum_channel_id:
            embed.add_field(name="Not set up yet", value="An administrator can run `/quorum setup`.", inline=False)
        embed.set_footer(text="Only you can see this · commands you cannot use here are left out")
        # The commands get what the rest leaves of the description's 4096 and the embed's 6000.
        intro = INTRO.format(where=where)
        budget = min(DESCRIPTION_MAX, PAGE_TOTAL - embed_size(embed)) - dlen(intro) - 2
        embed.description = intro + "\n\n" + command_lines(entries, budget, dlen)
        return embed


def command_entries(tree: app_commands.CommandTree) -> list[CommandEntry]:
    """Every global command, subcommand and context menu of the tree: those anyone may use first, in
    the order they were added. A subcommand takes its top-level command's default permissions: Discord
    reads them only there."""
    entries = []
    for command in tree.get_commands():
        required = command.default_permissions.value if command.default_permissions else 0
        if isinstance(command, app_commands.ContextMenu):
            where = MENU_KINDS.get(command.type, "a menu → Apps")
            entries.append(CommandEntry(f"{command.name} ({where})", command.extras.get("help", ""), required))
        elif isinstance(command, app_commands.Group):
            entries += [CommandEntry(_usage(c), c.description, required) for c in command.walk_commands()
                        if isinstance(c, app_commands.Command)]  # fmt: skip
        else:
            entries.append(CommandEntry(_usage(command), command.description, required))
    return sorted(entries, key=lambda e: e.required != 0)


def _usage(command: app_commands.Command) -> str:
    options = " ".join(p.display_name if p.required else f"[{p.display_name}]" for p in command.parameters)
    return f"/{command.qualified_name}" + (f" {options}" if options else "")


async def setup(bot: QuorumBot) -> None:
    await bot.add_cog(Help(bot, bot.service))
