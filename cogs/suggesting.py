"""The message menu "Suggest as solution": a member points the asker at an answer in a question's
thread (bot/forum/suggestions.py). The bot posts the suggestion there, pinging only the asker, with
Accept and Not this one buttons that carry the answer in their custom_id (DynamicItem: they still
work after a restart). Accept is /accept (cogs/accepting.py: the same rights and reputation); Not this
one closes the suggestion. The asker or a moderator using the menu accepts at once, as "Accept
answer" does. The suggester earns nothing."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.errors import ForumError, NotFound
from bot.forum.notifications import jump
from bot.tree import report_error
from cogs.accept_actions import accept_answer
from cogs.checks import member_is_moderator
from cogs.client import forum_service

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
ACCEPT, DISMISS = "accept", "dismiss"


class SuggestionButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"quorum:suggest:(?P<action>accept|dismiss):(?P<answer>[0-9]{1,20})",
):
    def __init__(self, action: str, answer_id: int) -> None:
        label, style = ("Accept", discord.ButtonStyle.success) if action == ACCEPT else \
            ("Not this one", discord.ButtonStyle.secondary)  # fmt: skip
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"quorum:suggest:{action}:{answer_id}"))
        self.action, self.answer_id = action, answer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SuggestionButton:
        return cls(match["action"], int(match["answer"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            service = forum_service(interaction)
            suggestion = await service.suggestions.open_one(self.answer_id)
            if interaction.channel_id != suggestion.question_id or interaction.guild_id != suggestion.guild_id:
                raise NotFound("This suggestion belongs to another thread.")
            link = jump(suggestion.guild_id, suggestion.question_id, suggestion.answer_id)
            who = interaction.user.mention
            if self.action == ACCEPT:
                # its rights, its reply
                await accept_answer(service, interaction, suggestion.question_id, self.answer_id)
                await service.suggestions.accepted(self.answer_id)
                if interaction.message is not None:
                    try:
                        await interaction.message.edit(content=f"✅ {who} accepted the suggested answer: {link}",
                                                       view=None, allowed_mentions=NO_PINGS)  # fmt: skip
                    except discord.HTTPException as exc:  # accepted all the same; the buttons say so if pressed
                        log.info("Could not close suggestion %s in thread %s: %s", self.answer_id,
                                 suggestion.question_id, exc)  # fmt: skip
                return
            moderator = await member_is_moderator(interaction, _parent_id(interaction))
            await service.suggestions.dismiss(self.answer_id, interaction.user.id, moderator)
            await interaction.response.edit_message(content=f"{who}: not this one ({link}).", view=None,
                                                    allowed_mentions=NO_PINGS)  # fmt: skip
        except Exception as error:
            # A component callback's exception would only be logged: answer through the one error path.
            await report_error(interaction, error)


def _parent_id(interaction: discord.Interaction) -> int | None:
    channel = interaction.channel
    return channel.parent_id if isinstance(channel, discord.Thread) else None


def suggestion_view(answer_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(SuggestionButton(ACCEPT, answer_id))
    view.add_item(SuggestionButton(DISMISS, answer_id))
    return view


class Suggesting(commands.Cog):
    def __init__(self, bot: QuorumBot) -> None:
        self.bot = bot
        self.service = bot.service
        self.menu = app_commands.ContextMenu(name="Suggest as solution", callback=self.suggest_from_menu)
        self.menu.guild_only = True
        # Context menus have no description on Discord; /help shows this one (cogs/help.py).
        self.menu.extras["help"] = "point the asker at this answer as the one that solved it"

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SuggestionButton)
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(SuggestionButton)
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def suggest_from_menu(self, interaction: discord.Interaction, message: discord.Message) -> None:
        guild = interaction.guild
        thread = guild.get_thread(message.channel.id) if guild is not None else None
        if thread is None and isinstance(interaction.channel, discord.Thread) and \
                interaction.channel.id == message.channel.id:  # fmt: skip
            thread = interaction.channel  # archived (discord.py caches no archived thread): as Discord sent it
        if thread is None or thread.is_private():  # private threads are never questions
            raise NotFound("That message is not an answer in a question thread.")
        question, post = await self.service.suggestions.target(thread.id, message.id)
        if interaction.user.id == question.author_id or await member_is_moderator(interaction, thread.parent_id):
            await accept_answer(self.service, interaction, thread.id, message.id)  # they decide: accepted at once
            return
        suggestion = await self.service.suggestions.suggest(question, post, interaction.user.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        link = jump(question.guild_id, question.id, post.id)
        name = discord.utils.escape_mentions(discord.utils.escape_markdown(interaction.user.display_name))[:80]
        text = (f"<@{question.author_id}>, {name} suggests this answer solves your question: {link}\n"
                "Accept it, or tell them it is not the one.")  # fmt: skip
        only_asker = discord.AllowedMentions(users=[discord.Object(question.author_id)])
        try:
            posted = await thread.send(text, view=suggestion_view(post.id), allowed_mentions=only_asker)
        except discord.HTTPException as exc:
            await self.service.suggestions.withdraw(suggestion)
            raise ForumError("I could not post the suggestion in this thread (archived, or missing a permission).") \
                from exc  # fmt: skip
        await self.service.suggestions.posted(suggestion, posted.id)  # an acceptance elsewhere closes it
        await interaction.followup.send(f"Suggested to the asker: {link}", ephemeral=True, allowed_mentions=NO_PINGS)


async def setup(bot: QuorumBot) -> None:
    await bot.add_cog(Suggesting(bot))
