"""/privacy: a member's own data on this server.

/privacy web [show:on|off]: how they appear on the public web pages (bot/forum/web_privacy.py).
/privacy forget: erase their text, names and choices here (bot/forum/erasure.py), after they confirm
with a button, then take their vote reactions off where the bot can.
/privacy export: a copy of their posts, questions and votes here, as a JSON file only they see
(bot/forum/member_export.py). The buttons carry their member's
id (DynamicItem), so they still work after a restart.
"""

from __future__ import annotations

import io
import re
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.erasure import OwedReaction, describe_erased, describe_plan
from bot.forum.errors import NotAllowed
from bot.forum.member_export import too_large
from bot.forum.service import ForumService
from bot.forum.web_privacy import describe_choice
from bot.tree import report_error
from cogs.client import forum_service
from cogs.reactions import can_take_off, take_off

NO_PINGS = discord.AllowedMentions.none()
FORGET, CANCEL = "forget", "cancel"


class ForgetButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"quorum:forget:(?P<action>forget|cancel):(?P<guild>[0-9]{1,20}):(?P<owner>[0-9]{1,20})",
):
    def __init__(self, action: str, guild_id: int, owner: int) -> None:
        label, style = ("Forget me", discord.ButtonStyle.danger) if action == FORGET else \
            ("Cancel", discord.ButtonStyle.secondary)  # fmt: skip
        custom_id = f"quorum:forget:{action}:{guild_id}:{owner}"
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id))
        self.action, self.guild_id, self.owner = action, guild_id, owner

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ForgetButton:
        return cls(match["action"], int(match["guild"]), int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            # The guild too: the custom_id is the member's word for which server they meant.
            if interaction.user.id != self.owner or interaction.guild_id != self.guild_id:
                raise NotAllowed("Only the member who asked can confirm this.")
            if self.action == CANCEL:
                await interaction.response.edit_message(
                    content="Nothing was erased.", view=None, allowed_mentions=NO_PINGS
                )
                return
            await interaction.response.edit_message(
                content="Erasing your data on this server…", view=None, allowed_mentions=NO_PINGS
            )
            service = forum_service(interaction)
            erased = await service.erasure.forget(self.guild_id, self.owner)
            await interaction.followup.send(
                f"Done: {describe_erased(erased)}.", ephemeral=True, allowed_mentions=NO_PINGS
            )
            if interaction.guild is not None:
                await take_reactions_off(interaction.client, service, interaction.guild, self.owner, erased.reactions)
        except Exception as error:
            # A component callback's exception would only be logged: answer through the one error path.
            await report_error(interaction, error)


async def take_reactions_off(client: discord.Client, service: ForumService, guild: discord.Guild, member_id: int,
                             reactions: tuple[OwedReaction, ...]) -> None:  # fmt: skip
    """The erased member's vote reactions still name them in Discord: off with them now wherever the
    bot can, each settled once off. The rest stay owed, and catch-up takes them off once it can."""
    settings = service.settings(guild.id)
    for reaction in reactions:
        thread = guild.get_thread(reaction.thread_id)
        if thread is None or not can_take_off(thread):  # archived (discord.py drops those) or not allowed
            continue
        emoji = settings.upvote_emoji if reaction.value > 0 else settings.downvote_emoji
        if await take_off(client, thread.id, reaction.post_id, [(emoji, member_id)]):
            await service.votes.unreaction_done(reaction.post_id, member_id)


def confirm_view(guild_id: int, owner: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ForgetButton(FORGET, guild_id, owner))
    view.add_item(ForgetButton(CANCEL, guild_id, owner))
    return view


class Privacy(commands.Cog):
    privacy = app_commands.Group(
        name="privacy", description="Your data on this server: how you appear on the web, a copy of it, or forget it",
        guild_only=True,
    )  # fmt: skip

    def __init__(self, bot: QuorumBot) -> None:
        self.bot = bot
        self.service = bot.service

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ForgetButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ForgetButton)

    @privacy.command(
        name="web", description="How you appear on this server's public web pages; show:off hides your name and text"
    )
    @app_commands.describe(
        show="on: your posts show under your name on the web; off: under an anonymous name, their text hidden"
    )
    async def web(self, interaction: discord.Interaction, show: Literal["on", "off"] | None = None) -> None:
        assert interaction.guild_id is not None
        privacy = self.service.web_privacy
        if show is None:
            choice = await privacy.choice(interaction.guild_id, interaction.user.id)
        else:
            choice = await privacy.choose(interaction.guild_id, interaction.user.id, hidden=show == "off")
        await interaction.response.send_message(
            describe_choice(choice, changed=show is not None), ephemeral=True, allowed_mentions=NO_PINGS
        )

    @privacy.command(
        name="forget", description="Erase the text of your posts, your name and your choices on this server"
    )
    async def forget(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        plan = await self.service.erasure.plan(interaction.guild_id, interaction.user.id)
        await interaction.response.send_message(
            describe_plan(plan), view=confirm_view(interaction.guild_id, interaction.user.id), ephemeral=True,
            allowed_mentions=NO_PINGS,
        )  # fmt: skip

    @privacy.command(name="export", description="A copy of your posts, questions and votes on this server, as a file")
    async def export(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        exported = await self.service.member_export.export(interaction.guild_id, interaction.user.id)
        # The interaction carries the upload limit Discord applies to this bot here.
        limit = interaction.filesize_limit
        if len(exported.content) > limit:
            await interaction.followup.send(
                too_large(len(exported.content), limit), ephemeral=True, allowed_mentions=NO_PINGS
            )
            return
        await interaction.followup.send(
            "Your data on this server:", file=discord.File(io.BytesIO(exported.content), exported.filename),
            ephemeral=True, allowed_mentions=NO_PINGS,
        )  # fmt: skip


async def setup(bot: QuorumBot) -> None:
    await bot.add_cog(Privacy(bot))
