"""/ask: a question becomes a thread in the watched channel, its starter showing the asker."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.forum.asking import MAX_BODY, MAX_TITLE, Draft
from bot.forum.errors import ForumError
from bot.forum.service import ForumService
from bot.tree import report_error
from cogs.convert import ASKER_URL, TAGS_FIELD, asked_starter_info, thread_info

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()


class Asking(commands.Cog):
    def __init__(self, bot: commands.Bot, service: ForumService) -> None:
        self.bot = bot
        self.service = service

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
        channel = self.questions_channel(interaction)
        if body is None:
            # Check the tags now rather than after the member wrote a long body; the form checks the rest.
            self.service.check_tags(tags, available_tags(channel))
            await interaction.response.send_modal(AskModal(self, title=title[:MAX_TITLE], tags=tags))
            return
        draft = self.service.check_question(title, body, tags, available_tags(channel))
        await self.post(interaction, channel, draft)

    def questions_channel(self, interaction: discord.Interaction) -> discord.ForumChannel | discord.TextChannel:
        assert interaction.guild is not None
        channel = interaction.guild.get_channel(self.service.questions_channel_id(interaction.guild.id))
        if not isinstance(channel, discord.ForumChannel | discord.TextChannel):
            raise ForumError(
                "The questions channel no longer exists: an administrator can pick another with `/quorum setup`."
            )
        return channel

    async def post(
        self,
        interaction: discord.Interaction,
        channel: discord.ForumChannel | discord.TextChannel,
        draft: Draft,
    ) -> None:
        # Creating the thread is a round trip or two: defer so Discord's 3 s deadline cannot bite.
        await interaction.response.defer(ephemeral=True, thinking=True)
        embed = starter_embed(interaction.user, draft)
        try:
            if isinstance(channel, discord.ForumChannel):
                tags = [t for t in channel.available_tags if t.name in draft.tags]
                created = await channel.create_thread(
                    name=draft.title, embed=embed, applied_tags=tags, allowed_mentions=NO_PINGS
                )
                thread, starter = created.thread, created.message
            else:
                starter = await channel.send(embed=embed, allowed_mentions=NO_PINGS)
                thread = await starter.create_thread(name=draft.title)
        except discord.Forbidden as exc:
            log.warning("Cannot create a question thread in %s: %s", channel.id, exc.text)
            raise ForumError(
                f"I am not allowed to create threads in {channel.mention}: an administrator can check my "
                "permissions with `/quorum setup`."
            ) from exc
        # The gateway delivers the same starter; recording it here too means the question exists as
        # soon as the asker is told, and both paths are idempotent.
        info = asked_starter_info(starter, thread_id=thread.id)
        assert info is not None, "the starter embed always names the asker"
        await self.service.message_created(info, thread_info(thread, starter))
        await interaction.followup.send(f"Your question is up: {thread.jump_url}", ephemeral=True)


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
        channel = self.cog.questions_channel(interaction)
        draft = self.cog.service.check_question(
            self.question_title.value, self.body.value, self.tags.value, available_tags(channel)
        )
        await self.cog.post(interaction, channel, draft)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report_error(interaction, error)


def available_tags(channel: discord.ForumChannel | discord.TextChannel) -> list[str] | None:
    return [t.name for t in channel.available_tags] if isinstance(channel, discord.ForumChannel) else None


def starter_embed(asker: discord.abc.User, draft: Draft) -> discord.Embed:
    embed = discord.Embed(title=draft.title, description=draft.body, colour=discord.Colour.blurple())
    embed.set_author(name=asker.display_name, url=ASKER_URL.format(asker.id), icon_url=asker.display_avatar.url)
    if draft.tags:
        embed.add_field(name=TAGS_FIELD, value=", ".join(draft.tags), inline=True)
    embed.add_field(name="Score", value="0", inline=True)
    embed.set_footer(text="Answer in this thread · reply to an answer to comment on it")
    return embed


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Asking(bot, bot.service))  # type: ignore[attr-defined]
