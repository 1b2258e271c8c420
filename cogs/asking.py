"""/ask: a question becomes a thread in the watched channel, its starter showing the asker."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.asking import MAX_BODY, MAX_TITLE, Draft
from bot.forum.search_service import SearchService
from bot.forum.service import ForumService
from bot.tree import report_error
from cogs.ask_actions import available_tags, create_question, questions_channel
from cogs.similar import DraftButton, choice_view, similar_embed
from cogs.visibility import readable

NO_PINGS = discord.AllowedMentions.none()


class Asking(commands.Cog):
    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.service = service
        self.search = SearchService(service.store, service.clock)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(DraftButton)

    @app_commands.command(name="ask", description="Ask a question: it becomes a thread others answer in")
    @app_commands.describe(
        title="One line that says what you want to know (5-100 characters)",
        body="The details: what you tried and what happened. Leave it out to write it in a form.",
        tags="Up to 5 of the forum's tags, separated by commas",
    )
    @app_commands.guild_only()
    async def ask(
        self,
        interaction: discord.Interaction,
        title: app_commands.Range[str, 1, 200],
        body: app_commands.Range[str, 1, MAX_BODY] | None = None,
        tags: str | None = None,
    ) -> None:
        channel = questions_channel(self.service, interaction)
        if body is None:
            # Check the tags now rather than after the member wrote a long body; the form checks the rest.
            self.service.check_tags(tags, available_tags(channel))
            await interaction.response.send_modal(AskModal(self, title=title[:MAX_TITLE], tags=tags))
            return
        draft = self.service.check_question(title, body, tags, available_tags(channel))
        await self.post(interaction, channel, draft)

    async def post(
        self,
        interaction: discord.Interaction,
        channel: discord.ForumChannel | discord.TextChannel,
        draft: Draft,
    ) -> None:
        # Looking for similar questions and creating the thread are round trips: defer so Discord's
        # 3 s deadline cannot bite.
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild is not None
        similar = await self.search.similar_questions(interaction.guild.id, draft, readable(interaction))
        if similar:
            pending = await self.search.hold_draft(interaction.guild.id, interaction.user.id, draft)
            await interaction.followup.send(
                embed=similar_embed(interaction.guild.id, similar),
                view=choice_view(pending.id, interaction.user.id),
                ephemeral=True,
                allowed_mentions=NO_PINGS,
            )
            return
        await create_question(self.service, interaction, channel, draft)


class AskModal(discord.ui.Modal, title="Ask a question"):
    def __init__(self, cog: Asking, *, title: str, tags: str | None) -> None:
        super().__init__()
        self.cog = cog
        self.question_title = discord.ui.TextInput(label="Title", default=title, min_length=1, max_length=MAX_TITLE)
        self.body = discord.ui.TextInput(
            label="Details",
            style=discord.TextStyle.paragraph,
            placeholder="What are you trying to do, what did you try, what happened?",
            max_length=MAX_BODY,
        )
        self.tags = discord.ui.TextInput(label="Tags (comma-separated)", default=tags, required=False, max_length=200)
        for item in (self.question_title, self.body, self.tags):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        channel = questions_channel(self.cog.service, interaction)
        draft = self.cog.service.check_question(
            self.question_title.value, self.body.value, self.tags.value, available_tags(channel)
        )
        await self.cog.post(interaction, channel, draft)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report_error(interaction, error)


async def setup(bot: QuorumBot) -> None:
    bot.add_dynamic_items(DraftButton)
    await bot.add_cog(Asking(bot, bot.service))
