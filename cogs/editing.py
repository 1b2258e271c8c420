"""/edit: the asker of an /ask question changes its title, body and tags in a form prefilled with the
current version. The bot's starter shows the new body (as /ask renders it), the thread takes the new
name and tags, and the store records the change as revisions by the asker (bot/forum/editing.py)."""

from __future__ import annotations

import copy

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.acceptance import topic_tags
from bot.forum.asking import MAX_BODY, MAX_TITLE, MIN_TITLE, Draft
from bot.forum.editing import NOT_A_QUESTION, QuestionEdit, check_edit, check_editable
from bot.forum.errors import ForumError, NotFound, StoreUnavailable
from bot.forum.models import Question
from bot.forum.service import ForumService
from bot.forum.summary import summarise
from bot.tree import report_error
from cogs.ask_actions import available_tags
from cogs.convert import TAGS_FIELD, tag_names
from cogs.summary import starter_with_summary

NO_PINGS = discord.AllowedMentions.none()
MAX_TAGS_TEXT = 200  # five tags of twenty characters and their commas, with room for spaces
# A form closed without sending stays in discord.py's memory until this runs out (bounded memory);
# an hour is ample to write a question. A form opened before a restart is not known after it.
FORM_TIMEOUT = 3600.0
EDITED_LATER = ("Your question is edited in Discord: {url}. Quorum could not record the change right now "
                "(storage unavailable); it will be recorded from the thread once storage is back.")  # fmt: skip


class Editing(commands.Cog):
    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.service = service

    @app_commands.command(name="edit", description="Edit the title, details and tags of the question you asked here")
    @app_commands.guild_only()
    async def edit(self, interaction: discord.Interaction) -> None:
        thread, question = await self.editable(interaction)
        body = await self._current_body(question)
        await interaction.response.send_modal(EditModal(self, thread.id, question, body))

    async def editable(self, interaction: discord.Interaction) -> tuple[discord.Thread, Question]:
        """The /ask question of the thread the command runs in, if this member may edit it."""
        thread = interaction.channel
        if not isinstance(thread, discord.Thread) or interaction.guild is None:
            raise NotFound(NOT_A_QUESTION)
        question = await self.service.question(thread.id)
        if question is not None and (question.guild_id != interaction.guild.id or thread.is_private()):
            question = None
        asked = thread.owner_id == self.bot.user.id  # type: ignore[union-attr]  # /ask makes its threads
        return thread, check_editable(question, interaction.user.id, asked_with_command=asked)

    async def _current_body(self, question: Question) -> str:
        starter = await self.service.post(question.starter_id) if question.starter_id else None
        return starter.body[:MAX_BODY] if starter is not None else ""

    async def apply(self, interaction: discord.Interaction, thread_id: int, modal: EditModal) -> None:
        """The form was sent: check it again (the question may have changed meanwhile), then change
        Discord, then record what Discord accepted."""
        thread, question = await self.editable(interaction)
        if thread.id != thread_id:
            raise NotFound(NOT_A_QUESTION)
        forum = thread.parent if isinstance(thread.parent, discord.ForumChannel) else None
        # Moderated tags are for Manage Threads in the forum (Discord's rule): the asker keeps them as they are.
        member = interaction.user
        moderates = forum is not None and isinstance(member, discord.Member) and \
            forum.permissions_for(member).manage_threads  # fmt: skip
        fixed = {t.name for t in forum.available_tags if t.moderated} if forum and not moderates else set()
        draft = check_edit(modal.question_title.value, modal.body.value, modal.tags.value,
                           available_tags(forum) if forum else None, solved=question.accepted_answer_id is not None,
                           current=tag_names(thread.applied_tags), fixed=fixed)  # fmt: skip
        # Fetching the starter and editing twice are round trips: Discord's 3 s deadline must not bite.
        await interaction.response.defer(ephemeral=True, thinking=True)
        at = self.service.clock()
        self.service.renaming(thread.id, draft.title, interaction.user.id)
        try:
            # Read and rewritten whole under the lock the live summary takes too, so a vote's edit
            # of the Score field cannot put the old text back.
            async with self.service.bot_edits(thread.id):
                starter = await self._starter(thread, question)
                embed = await self._starter_embed(starter, question, draft)
                thread = await self._edit_thread(thread, forum, draft)
                edited = await starter.edit(embed=embed, allowed_mentions=NO_PINGS)
        except discord.Forbidden as exc:
            raise ForumError("Discord did not let me edit this question: I need the Manage Threads and Send "
                             "Messages in Threads permissions in its channel.") from exc  # fmt: skip
        finally:
            self.service.renaming(thread.id, draft.title, None)
        tags = tag_names(thread.applied_tags) if forum else draft.tags
        edit = QuestionEdit(thread.id, question.starter_id, draft.title, draft.body, tags, interaction.user.id,
                            at=at, body_at=edited.edited_at or at)  # fmt: skip
        try:
            await self.service.question_edited(edit)
        except StoreUnavailable as exc:  # Discord shows it: the repair records it from the thread
            raise StoreUnavailable(exc.reason, EDITED_LATER.format(url=thread.jump_url), thread_id=thread.id) from exc
        await interaction.followup.send(f"Your question is updated: {thread.jump_url}", ephemeral=True,
                                        allowed_mentions=NO_PINGS)  # fmt: skip

    async def _starter(self, thread: discord.Thread, question: Question) -> discord.Message:
        # A forum post's starter is in the thread; a thread /ask started in a text channel keeps its
        # starter in that channel.
        channel_id = thread.id if isinstance(thread.parent, discord.ForumChannel) else thread.parent_id
        try:
            return await self.bot.get_partial_messageable(channel_id).fetch_message(question.starter_id or thread.id)
        except discord.NotFound as exc:
            raise NotFound("This question's first message is gone, so there is nothing left to edit.") from exc

    async def _edit_thread(self, thread: discord.Thread, forum: discord.ForumChannel | None,
                           draft: Draft) -> discord.Thread:  # fmt: skip
        changes: dict = {}
        if thread.name != draft.title:
            changes["name"] = draft.title
        if forum is not None:
            wanted = [t for name in draft.tags for t in forum.available_tags if t.name == name]
            if [t.id for t in thread.applied_tags] != [t.id for t in wanted]:
                changes["applied_tags"] = wanted
        if thread.archived:  # idle for a while: Discord edits nothing in an archived thread, the starter neither
            changes["archived"] = False
        if not changes:
            return thread
        return await thread.edit(**changes, reason="The asker edited the question with /edit")

    async def _starter_embed(self, starter: discord.Message, question: Question, draft: Draft) -> discord.Embed:
        """The starter as /ask renders it (cogs/ask_actions.starter_embed), with the new title, body and
        tags; its Score and Best answers fields brought up to date within Discord's embed limits."""
        if not starter.embeds:
            raise NotFound("This question's first message has lost its text, so there is nothing left to edit.")
        embed = discord.Embed.from_dict(copy.deepcopy(starter.embeds[0].to_dict()))
        embed.title, embed.description = draft.title, draft.body
        fields = [(f.name, f.value, f.inline) for f in starter.embeds[0].fields if f.name != TAGS_FIELD]
        embed.clear_fields()
        shown = topic_tags(draft.tags) if isinstance(starter.channel, discord.Thread) else draft.tags
        if shown:
            embed.add_field(name=TAGS_FIELD, value=", ".join(shown), inline=True)
        for name, value, inline in fields:
            embed.add_field(name=name, value=value, inline=inline)
        view = await self.service.thread_view(question.id)
        return starter_with_summary(embed, summarise(view)) if view is not None else embed


class EditModal(discord.ui.Modal, title="Edit your question"):
    def __init__(self, cog: Editing, thread_id: int, question: Question, body: str) -> None:
        super().__init__(timeout=FORM_TIMEOUT)
        self.cog, self.thread_id = cog, thread_id
        self.question_title = discord.ui.TextInput(label="Title", default=question.title[:MAX_TITLE],
                                                   min_length=MIN_TITLE, max_length=MAX_TITLE)  # fmt: skip
        self.body = discord.ui.TextInput(label="Details", style=discord.TextStyle.paragraph, default=body or None,
                                         max_length=MAX_BODY)  # fmt: skip
        tags = ", ".join(topic_tags(question.tags))
        self.tags = discord.ui.TextInput(label="Tags (comma-separated)", default=tags or None, required=False,
                                         max_length=MAX_TAGS_TEXT)  # fmt: skip
        for item in (self.question_title, self.body, self.tags):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.cog.apply(interaction, self.thread_id, self)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report_error(interaction, error)


async def setup(bot: QuorumBot) -> None:
    await bot.add_cog(Editing(bot, bot.service))
