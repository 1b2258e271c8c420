"""/modlog [member]: the audit log for moderators, newest first, ten entries a page, with the shared
page buttons of cogs/paging.py (they work after a restart). Loaded by cogs/moderation.py."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.accept_service import UNKNOWN_ACTOR
from bot.forum.moderation_service import AuditLine, AuditPage
from bot.forum.publishing import OPERATOR, WEB_ACTIONS
from bot.forum.service import ForumService
from cogs import paging
from cogs.checks import NotPermitted, member_is_moderator, moderator_only, questions_channel
from cogs.render import DESCRIPTION_MAX, Rendered, clip, flat, jump_url, when

MODLOG_VIEW = "m"  # the custom_id letter of /modlog's pages; the target is the member shown (0: all)
TITLE_EXCERPT = 60
REASON_EXCERPT = 120


class ModLog(commands.Cog):
    page_commands = {MODLOG_VIEW: "modlog"}  # cogs/paging.py

    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.service = service

    async def cog_unload(self) -> None:
        paging.stop_listening(self.bot, self)

    @app_commands.command(name="modlog", description="The moderation log: who did what, newest first")
    @app_commands.describe(member="Only what this member did")
    @app_commands.guild_only()
    @moderator_only(questions_channel)
    async def modlog(self, interaction: discord.Interaction, member: discord.User | None = None) -> None:
        actor = member.id if member else 0
        rendered = await self.render_page(interaction, MODLOG_VIEW, actor, 0)
        await paging.send_page(interaction, MODLOG_VIEW, actor, rendered, public=False)

    async def render_page(self, interaction: discord.Interaction, kind: str, target: int, page: int) -> Rendered:
        """Checked again at every click: a member who lost the moderator role reads no further. The
        moderators are those of the questions channel, wherever the log is read."""
        if interaction.guild_id is None or not await member_is_moderator(interaction, questions_channel(interaction)):
            raise NotPermitted("Only moderators (the moderator role or Manage Threads) can read the moderation log.")
        result = await self.service.moderation.audit_page(interaction.guild_id, page, actor_id=target or None)
        return Rendered(_embed(result, interaction.guild_id, target or None), result.page, result.pages)


def _embed(result: AuditPage, guild_id: int, actor_id: int | None) -> discord.Embed:
    lines = [_line(line, guild_id) for line in result.lines] or ["Nothing recorded yet."]
    if actor_id is not None:
        lines.insert(0, f"Actions by <@{actor_id}>\n")
    embed = discord.Embed(title="Moderation log", description=clip("\n".join(lines), DESCRIPTION_MAX))
    embed.set_footer(text=f"page {result.page + 1}/{result.pages} · {result.total} entries")
    return embed


def _line(line: AuditLine, guild_id: int) -> str:
    entry = line.entry
    actor = f"<@{entry.actor_id}>"
    if entry.action in WEB_ACTIONS and entry.actor_id == OPERATOR:
        actor = "an operator (`quorum publish`)"
    elif entry.actor_id < 0:  # a member erased since (bot/forum/erasure.py)
        actor = "an erased member"
    elif entry.actor_id == UNKNOWN_ACTOR:
        actor = "someone"
    reason = f" — {flat(entry.reason, REASON_EXCERPT)}" if entry.reason else ""
    return f"{when(entry.at)} {actor} **{entry.action}** {_target(line, guild_id)}{reason}"


def _target(line: AuditLine, guild_id: int) -> str:
    """A jump link where the target is a thread or a message in one; a channel mention for setup."""
    entry = line.entry
    if line.thread_id is not None:
        # Square brackets would end the link's text early.
        title = flat((line.title or str(line.thread_id)).replace("[", "(").replace("]", ")"), TITLE_EXCERPT)
        label = f"answer in {title}" if line.message_id is not None else title
        return f"[{label}]({jump_url(guild_id, line.thread_id, line.message_id)})"
    if entry.target_id is None:
        return ""
    if entry.action == "setup" or entry.action in WEB_ACTIONS:
        return f"<#{entry.target_id}>"
    return f"`{entry.target_id}`"
