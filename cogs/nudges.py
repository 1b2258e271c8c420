"""The idle nudge's buttons: "Mark the answer that solved it" (the asker or a moderator of the
question's channel picks from its answers, and the pick is accepted as /accept accepts) and "Still
need help" (the asker; the question goes to the top of /unanswered). Persistent: the question's id is
in each custom_id and every rule is read from the store at the click, so a nudge posted before a
restart works after it. The nudges themselves are sent by the periodic job (cogs/followups.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import discord

from bot.client import QuorumBot
from bot.forum.errors import NotFound
from bot.forum.models import Post
from bot.tree import report_error
from cogs.accept_actions import accept_answer
from cogs.checks import member_is_moderator
from cogs.client import forum_service
from cogs.render import clip, post_text

NO_PINGS = discord.AllowedMentions.none()
OPTION_TEXT = 100  # Discord's limit for a select option's label and description


class MarkSolvedButton(discord.ui.DynamicItem[discord.ui.Button], template=r"quorum:nudge:mark:(?P<q>[0-9]{1,20})"):
    def __init__(self, question_id: int) -> None:
        super().__init__(discord.ui.Button(label="Mark the answer that solved it", style=discord.ButtonStyle.success,
                                           custom_id=f"quorum:nudge:mark:{question_id}"))  # fmt: skip
        self.question_id = question_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> MarkSolvedButton:  # fmt: skip
        return cls(int(match["q"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            # Store reads and maybe a channel fetch come first: Discord wants an answer within 3 s.
            await interaction.response.defer(ephemeral=True, thinking=True)
            service = forum_service(interaction)
            question = await service.question(self.question_id)
            if question is None or question.guild_id != interaction.guild_id:
                raise NotFound("This question no longer exists.")
            # The question's own channel decides who moderates it, not where the button is.
            moderator = await member_is_moderator(interaction, question.channel_id)
            _, answers = await service.followups.choices(self.question_id, interaction.user.id, moderator)
            view = discord.ui.View(timeout=None)
            view.add_item(AnswerSelect(self.question_id, answers, interaction.guild))
            await interaction.followup.send("Which answer solved it?", view=view, ephemeral=True,
                                            allowed_mentions=NO_PINGS)  # fmt: skip
        except Exception as error:
            await report_error(interaction, error)


class StillNeedHelpButton(discord.ui.DynamicItem[discord.ui.Button], template=r"quorum:nudge:help:(?P<q>[0-9]{1,20})"):
    def __init__(self, question_id: int) -> None:
        super().__init__(discord.ui.Button(label="Still need help", style=discord.ButtonStyle.secondary,
                                           custom_id=f"quorum:nudge:help:{question_id}"))  # fmt: skip
        self.question_id = question_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> StillNeedHelpButton:  # fmt: skip
        return cls(int(match["q"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)  # store reads and a write first
            question = await forum_service(interaction).question(self.question_id)
            if question is None or question.guild_id != interaction.guild_id:
                raise NotFound("This question no longer exists.")
            await forum_service(interaction).followups.still_need_help(self.question_id, interaction.user.id)
            await interaction.followup.send(
                "Noted: your question is now at the top of `/unanswered`, where helpers look first.",
                ephemeral=True, allowed_mentions=NO_PINGS,
            )  # fmt: skip
        except Exception as error:
            await report_error(interaction, error)


class AnswerSelect(discord.ui.DynamicItem[discord.ui.Select], template=r"quorum:nudge:pick:(?P<q>[0-9]{1,20})"):
    """The answers to pick from, at most 25 (the /question view's order). The pick is checked like any
    /accept: it must be a live answer of this question, and the member allowed to accept."""

    def __init__(self, question_id: int, answers: Sequence[Post] = (), guild: discord.Guild | None = None) -> None:
        options = [_option(answer, guild) for answer in answers]
        super().__init__(discord.ui.Select(placeholder="Choose the answer", options=options,
                                           custom_id=f"quorum:nudge:pick:{question_id}"))  # fmt: skip
        self.question_id = question_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> AnswerSelect:  # fmt: skip
        return cls(int(match["q"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            values = self.item.values
            if len(values) != 1 or not values[0].isdigit() or len(values[0]) > 20:
                raise NotFound("Choose one of the answers.")
            await interaction.response.defer(ephemeral=True, thinking=True)  # a read, then the accept's pins
            # A picker opened before the question got its accepted answer another way says so.
            await forum_service(interaction).followups.unsolved(self.question_id)
            await accept_answer(forum_service(interaction), interaction, self.question_id, int(values[0]))
        except Exception as error:
            await report_error(interaction, error)


def _option(answer: Post, guild: discord.Guild | None) -> discord.SelectOption:
    author = guild.get_member(answer.author_id) if guild is not None else None
    name = author.display_name if author is not None else "a member"
    label = clip(f"{answer.score:+d} · {name}", OPTION_TEXT)
    description = clip(" ".join(post_text(answer).split()), OPTION_TEXT)
    return discord.SelectOption(label=label, value=str(answer.id), description=description or None)


def nudge_view(question_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(MarkSolvedButton(question_id))
    view.add_item(StillNeedHelpButton(question_id))
    return view


async def setup(bot: QuorumBot) -> None:
    bot.add_dynamic_items(MarkSolvedButton, StillNeedHelpButton, AnswerSelect)


async def teardown(bot: QuorumBot) -> None:
    bot.remove_dynamic_items(MarkSolvedButton, StillNeedHelpButton, AnswerSelect)
