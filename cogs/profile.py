"""/profile and /top: a member's reputation and posts, and the guild's reputation leaderboard.

The numbers come from the forum service (bot/forum/profiles.py), which reads maintained counters;
this cog resolves who was named, renders, and pages /top with the shared persistent buttons.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.errors import BadInput, NotFound
from bot.forum.models import Leaderboard, PostKind, Profile, TopPost
from bot.forum.service import ForumService
from cogs import paging
from cogs.render import FIELD_VALUE_MAX, TITLE_MAX, Rendered, clip, dlen, flat, jump_url
from cogs.visibility import readable, readable_here

TOP_VIEW = "t"  # the custom_id letter of /top's pages (cogs/paging.py); its target is the guild
TITLE_IN_LIST = 80


class Profiles(commands.Cog):
    page_commands = {TOP_VIEW: "top"}  # cogs/paging.py

    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.service = service

    async def cog_unload(self) -> None:
        paging.stop_listening(self.bot, self)

    @app_commands.command(name="profile", description="Show a member's reputation, questions, answers and best posts")
    @app_commands.describe(
        member="Whose profile to show (default: yours)",
        public="Post the profile in the channel for everyone instead of only for you",
    )
    @app_commands.guild_only()
    async def profile(
        self, interaction: discord.Interaction, member: discord.User | None = None, public: bool = False
    ) -> None:
        guild_id = _guild_id(interaction)
        who = member or interaction.user
        name = discord.utils.escape_markdown(who.display_name)
        if who.bot:
            raise BadInput(f"{name} is a bot: bots don't ask or answer here, so they have no profile.")
        # Posted for everyone, the best posts are only those everyone here may read.
        shown = readable_here(interaction) if public else readable(interaction)
        profile = await self.service.profiles.profile(guild_id, who.id, name, shown)
        embed = profile_embed(profile, who.display_name, profile.best)
        embed.set_thumbnail(url=who.display_avatar.url)
        await interaction.response.send_message(embed=embed, ephemeral=not public, allowed_mentions=paging.NO_PINGS)

    @app_commands.command(name="top", description="Show the members with the most reputation, and your own rank")
    @app_commands.describe(public="Post the leaderboard in the channel for everyone instead of only for you")
    @app_commands.guild_only()
    async def top(self, interaction: discord.Interaction, public: bool = False) -> None:
        guild_id = _guild_id(interaction)
        rendered = await self.render_page(interaction, TOP_VIEW, guild_id, 0)
        await paging.send_page(interaction, TOP_VIEW, guild_id, rendered, public=public)

    async def render_page(self, interaction: discord.Interaction, kind: str, target: int, page: int) -> Rendered:
        """A page of /top for whoever clicks (their own rank in the footer), read afresh each time."""
        if target != _guild_id(interaction):
            raise NotFound("That leaderboard belongs to another server.")
        board = await self.service.profiles.leaderboard(target, page, interaction.user.id)
        return leaderboard_page(board)


# ----- rendering: pure functions of the read models ------------------------------------------------


def profile_embed(profile: Profile, name: str, best: Sequence[TopPost]) -> discord.Embed:
    rank = f" · rank **#{profile.rank:,}**" if profile.rank is not None else ""
    embed = discord.Embed(
        title=clip(name, TITLE_MAX),
        description=f"<@{profile.user_id}> · **{profile.reputation:,}** reputation{rank}",
        colour=discord.Colour.blurple(),
    )
    embed.add_field(name="Questions", value=f"{profile.questions:,}")
    embed.add_field(name="Answers", value=f"{profile.answers:,}")
    embed.add_field(name="Accepted answers", value=f"{profile.accepted:,}")
    embed.add_field(name="Best posts", value=best_posts_text(best), inline=False)
    return embed


def best_posts_text(best: Sequence[TopPost]) -> str:
    """One line per post: score, question or answer, and the question's title linking to the post."""
    if not best:
        return "*Nothing to show here.*"
    lines: list[str] = []
    used = 0
    for post in best:
        what = "Q" if post.kind is PostKind.QUESTION else "A"
        url = jump_url(post.guild_id, post.question_id, post.post_id)
        line = f"`{post.score:+d}` {what} · [{link_text(post.title)}]({url})"
        if used + dlen(line) + 1 > FIELD_VALUE_MAX:
            break  # five lines of at most ~190 units never get here; kept so no title can break the embed
        lines.append(line)
        used += dlen(line) + 1
    return "\n".join(lines)


def link_text(title: str) -> str:
    """A title as the text of a masked link: one line, markdown escaped, and no brackets, which
    would end the link's text early."""
    return flat(title.replace("[", "(").replace("]", ")"), TITLE_IN_LIST)


def leaderboard_page(board: Leaderboard) -> Rendered:
    lines = []
    for entry in board.entries:
        you = " ← you" if board.caller is not None and entry.user_id == board.caller.user_id else ""
        lines.append(f"**#{entry.rank:,}** <@{entry.user_id}> · {entry.reputation:,}{you}")
    embed = discord.Embed(title="Reputation leaderboard", description="\n".join(lines), colour=discord.Colour.gold())
    if board.caller is not None:
        mine = f"Your rank: #{board.caller.rank:,} with {board.caller.reputation:,} reputation"
    else:
        mine = "You're not on the board yet: ask or answer a question to get there"
    embed.set_footer(text=f"page {board.page + 1} · {mine}")
    # The board's length is not counted (that walks every member): a next page exists or not.
    return Rendered(embed, board.page, board.page + (2 if board.has_next else 1))


def _guild_id(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise BadInput("This works in a server, not in direct messages.")
    return interaction.guild_id


async def setup(bot: QuorumBot) -> None:
    paging.listen(bot)
    await bot.add_cog(Profiles(bot, bot.service))
