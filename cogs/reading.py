"""/question and /history: reading the forum. Resolves what the member named, asks the service for the
read model, renders it (cogs/render.py) and pages it with buttons that outlive a restart."""

from __future__ import annotations

from dataclasses import dataclass

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.errors import BadInput, NotAllowed, NotFound
from bot.forum.models import Post, PostKind, Question, Revision
from bot.forum.service import ForumService
from cogs import paging, render
from cogs.checks import member_is_moderator
from cogs.links import Ref, parse_ref
from cogs.render import Rendered, Subject
from cogs.visibility import may_read_question, readable_here

QUESTION_VIEW, HISTORY_VIEW = "q", "h"


@dataclass(frozen=True, slots=True)
class History:
    subject: Subject
    revisions: list[Revision]
    channel_id: int  # the question's channel: whose moderators may read a deleted post


class Reading(commands.Cog):
    page_commands = {QUESTION_VIEW: "question", HISTORY_VIEW: "history"}  # cogs/paging.py

    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.service = service

    async def cog_unload(self) -> None:
        paging.stop_listening(self.bot, self)

    @app_commands.command(name="question", description="Show a question with its answers and replies")
    @app_commands.describe(
        question="A link to the question or one of its posts, or an id (default: the thread you are in)",
        public="Post the page in the channel for everyone instead of only for you",
    )
    @app_commands.guild_only()
    async def question(self, interaction: discord.Interaction, question: str | None = None, public: bool = False):
        if question is None:
            ref = Ref(id=interaction.channel_id or 0, channel_id=interaction.channel_id)
            thread = await self._question(interaction, ref, here=True)
        else:
            thread = await self._question(interaction, parse_ref(question))
        if public and not readable_here(interaction).allows(thread.channel_id):
            raise NotAllowed(
                "That question lives in a channel not everyone here can read, so I can show it only to you: "
                "run `/question` without `public`."
            )
        rendered = await self.render_page(interaction, QUESTION_VIEW, thread.id, 0)
        await paging.send_page(interaction, QUESTION_VIEW, thread.id, rendered, public=public)

    @app_commands.command(name="history", description="Show every revision of a post, oldest first")
    @app_commands.describe(message="A link to the message, or its id (a thread's id shows the question's history)")
    @app_commands.guild_only()
    async def history(self, interaction: discord.Interaction, message: str) -> None:
        history = await self._history(interaction, parse_ref(message))
        await self._check_may_read(interaction, history)
        rendered = render.history_page(history.subject, history.revisions, 0)
        await paging.send_page(interaction, HISTORY_VIEW, history.subject.post_id, rendered, public=False)

    async def render_page(self, interaction: discord.Interaction, kind: str, target: int, page: int) -> Rendered:
        """Page `page` of a view, checked again at every click: the post may have been deleted or
        the member's roles changed since the message was sent."""
        if kind == QUESTION_VIEW:
            view = await self.service.thread_view(target)
            if view is None or view.question.deleted_at is not None or not may_read_question(
                interaction, view.question
            ):
                raise NotFound("That question no longer exists.")
            return render.thread_page(view, page)
        history = await self._history(interaction, Ref(id=target))
        await self._check_may_read(interaction, history)
        return render.history_page(history.subject, history.revisions, page)

    # ----- resolving what the member named ---------------------------------------------------

    async def _question(self, interaction: discord.Interaction, ref: Ref, *, here: bool = False) -> Question:
        guild_id = _guild_id(interaction)
        _same_guild(ref, guild_id)
        question = await self.service.question(ref.channel_id or ref.id)
        if question is None and ref.channel_id is None:
            # A bare id may name any post of the thread, not only the thread itself.
            post = await self._post(ref.id)
            question = await self.service.question(post.question_id) if post else None
        if question is not None and not may_read_question(interaction, question):
            question = None  # said exactly as for an unknown id, so nothing leaks about hidden channels
        if question is not None and question.deleted_at is not None:
            raise NotFound("That question was deleted.")
        if question is None:
            if here:
                raise BadInput(
                    "This channel is not a question thread. Run `/question` inside one, or give a link or an id."
                )
            if ref.is_message_link:
                raise NotFound("That message is not in a question thread.")
            raise NotFound("That is not a question I know in this server: give a question's link or id.")
        return question

    async def _history(self, interaction: discord.Interaction, ref: Ref) -> History:
        guild_id = _guild_id(interaction)
        _same_guild(ref, guild_id)
        post = await self._post(ref.id)
        question = await self.service.question(post.question_id if post else ref.id)
        if question is None or not may_read_question(interaction, question):
            raise NotFound("I know no post with that id in this server.")
        if post is None and question.starter_id is not None:
            post = await self._post(question.starter_id)  # a thread id stands for its question
        revisions = await self._revisions(post.id) if post else []
        if post is None or (post.kind is PostKind.QUESTION and post.id != question.id):
            # The title's revisions live under the thread id; an /ask question's starter has its own.
            revisions += [r for r in await self._revisions(question.id) if r.field == "title"]
        revisions.sort(key=lambda r: (r.at, r.field, r.number))
        if not revisions:
            raise NotFound("That post has no recorded history.")
        subject = Subject(
            guild_id=guild_id,
            question_id=question.id,
            post_id=post.id if post else question.id,
            kind=post.kind if post else PostKind.QUESTION,
            author_id=post.author_id if post else question.author_id,
            title=question.title,
            # Deleting a thread deletes everything in it, starter included.
            deleted_at=(post.deleted_at if post else None) or question.deleted_at,
        )
        return History(subject, revisions, question.channel_id)

    async def _check_may_read(self, interaction: discord.Interaction, history: History) -> None:
        """A deleted post's text is for the moderators of its question's channel, wherever they ask."""
        if history.subject.deleted_at is not None and not await member_is_moderator(interaction, history.channel_id):
            raise NotAllowed("That post was deleted.")

    async def _post(self, post_id: int) -> Post | None:
        return await self.service.post(post_id)

    async def _revisions(self, post_id: int) -> list[Revision]:
        return await self.service.revisions(post_id)


def _guild_id(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise BadInput("This works in a server, not in direct messages.")
    return interaction.guild_id


def _same_guild(ref: Ref, guild_id: int) -> None:
    if ref.guild_id is not None and ref.guild_id != guild_id:
        raise NotFound("That link points to another server (or a direct message); I can only show this server's.")


async def setup(bot: QuorumBot) -> None:
    paging.listen(bot)
    await bot.add_cog(Reading(bot, bot.service))
