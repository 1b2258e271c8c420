"""/ask: a question becomes a thread in the watched channel, its starter showing the asker."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.forum.asking import MAX_BODY, MAX_TITLE, Draft
from bot.forum.errors import ForumError, StoreUnavailable
from bot.forum.search_service import SearchService
from bot.forum.service import ForumService
from bot.tree import report_error
from cogs.convert import ASKER_URL, TAGS_FIELD, asked_starter_info, thread_info
from cogs.similar import DraftButton, choice_view, similar_embed
from cogs.visibility import readable

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()
ASKED_LATER = ("Your question is up: {url}. Quorum could not record it right now (storage unavailable); it will "
               "be recorded from the thread once storage is back, so there is no need to ask again.")  # fmt: skip


class Asking(commands.Cog):
    def __init__(self, bot: commands.Bot, service: ForumService) -> None:
        self.bot = bot
        self.service = service
        self.search = SearchService(service.store, service.clock)
        self._warned_forbidden: set[int] = set()  # channels whose missing permission was logged

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
        await self.create(interaction, channel, draft)

    async def decide(self, interaction: discord.Interaction, draft_id: int, *, post: bool) -> None:
        """The asker chose "Post anyway" (post) or "Cancel" on the similar-questions step."""
        pending = await self.search.take_draft(draft_id, interaction.user.id)
        if not post:
            await interaction.response.edit_message(content="Cancelled: your question was not posted.",
                                                    embed=None, view=None)  # fmt: skip
            return
        # Take the buttons away at once (a second click finds no draft anyway), then post.
        await interaction.response.edit_message(content="Posting your question…", embed=None, view=None)
        try:
            channel = self.questions_channel(interaction)
            await self.create(interaction, channel, Draft(pending.title, pending.body, pending.tags))
        except Exception:
            await self.search.restore_draft(pending)  # keep the member's text: they can try again
            await interaction.followup.send("Your draft is kept:", view=choice_view(pending.id, pending.user_id),
                                            ephemeral=True, allowed_mentions=NO_PINGS)  # fmt: skip
            raise

    async def create(
        self,
        interaction: discord.Interaction,
        channel: discord.ForumChannel | discord.TextChannel,
        draft: Draft,
    ) -> None:
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
            # Named as Discord's settings name it; logged once per channel (every /ask would repeat
            # it), while each member is told every time (tests/reliability/test_discord_errors.py).
            forum = isinstance(channel, discord.ForumChannel)
            needed = "Create Posts" if forum else "Send Messages and Create Public Threads"
            if channel.id not in self._warned_forbidden:
                self._warned_forbidden.add(channel.id)
                log.warning("Cannot create a question thread in channel %s: Quorum needs the %s permission there (%s)",
                            channel.id, needed, exc.text)  # fmt: skip
            raise ForumError(
                f"I am not allowed to create threads in {channel.mention}: I need the {needed} permission there. "
                "An administrator can check my permissions with `/quorum setup`."
            ) from exc
        except discord.NotFound as exc:
            # The channel was deleted and the bot has not heard yet: the same answer as when it knows.
            raise ForumError(
                "The questions channel no longer exists: an administrator can pick another with `/quorum setup`."
            ) from exc
        # The gateway delivers the same starter; recording it here too means the question exists as
        # soon as the asker is told, and both paths are idempotent.
        info = asked_starter_info(starter, thread_id=thread.id)
        assert info is not None, "the starter embed always names the asker"
        try:
            await self.service.message_created(info, thread_info(thread, starter))
        except StoreUnavailable as exc:  # posted in Discord: the repair records it from the thread
            raise StoreUnavailable(exc.reason, ASKED_LATER.format(url=thread.jump_url), thread_id=thread.id) from exc
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
    bot.add_dynamic_items(DraftButton)
    await bot.add_cog(Asking(bot, bot.service))  # type: ignore[attr-defined]
