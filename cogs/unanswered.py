"""/unanswered [tag] [sort]: the open questions that still wait for help, for helpers: those whose
asker said "Still need help" first, then those without an answer, then those answered without an
accepted answer; only questions the member can read. Ten a page, with the shared page buttons
(cogs/paging.py), which carry the sort; the tag is read back from the page's title, as /search does."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.errors import BadInput, NotFound
from bot.forum.followups import PAGE_SIZE, UnansweredPage, UnansweredRow, UnansweredSort
from bot.forum.service import ForumService
from cogs import paging
from cogs.render import Rendered, jump_url, when
from cogs.visibility import readable

UNANSWERED_VIEW = "u"  # the custom_id letter of its pages (cogs/paging.py); the target is the sort
SORTS = (UnansweredSort.OLDEST, UnansweredSort.VOTES)  # the target's number -> the sort
TITLE = "Unanswered questions"
TAGGED = f"{TITLE} tagged "
TAG_MAX = 20  # as stored (bot/forum/asking.py)
TITLE_IN_LIST = 150
MAX_CHOICES = 25


class Unanswered(commands.Cog):
    page_commands = {UNANSWERED_VIEW: "unanswered"}  # cogs/paging.py

    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.service = service

    async def cog_unload(self) -> None:
        paging.stop_listening(self.bot, self)

    @app_commands.command(name="unanswered", description="Questions still waiting for help: unanswered first")
    @app_commands.describe(
        tag="Only questions with this tag",
        sort="oldest: the longest waiting first (default); votes: the best scored first",
    )
    @app_commands.guild_only()
    async def unanswered(
        self,
        interaction: discord.Interaction,
        tag: app_commands.Range[str, 1, TAG_MAX] | None = None,
        sort: Literal["oldest", "votes"] = "oldest",
    ) -> None:
        order = UnansweredSort(sort)
        page = await self._page(interaction, order, tag, 0)
        await paging.send_page(interaction, UNANSWERED_VIEW, SORTS.index(order), _rendered(interaction, page),
                               public=False)  # fmt: skip

    async def render_page(self, interaction: discord.Interaction, kind: str, target: int, page: int) -> Rendered:
        """A page button: the list read again (it changes), at that page."""
        if target >= len(SORTS):
            raise NotFound("These pages are out of date: run `/unanswered` again.")
        embeds = interaction.message.embeds if interaction.message else []
        title = (embeds[0].title if embeds else None) or ""
        if not title.startswith(TITLE):
            raise NotFound("I cannot read these pages any more: run `/unanswered` again.")
        tag = title[len(TAGGED) :] if title.startswith(TAGGED) else None
        return _rendered(interaction, await self._page(interaction, SORTS[target], tag, page))

    @unanswered.autocomplete("tag")
    async def complete_tag(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        try:
            names = await self.service.store.tag_names(interaction.guild_id)
        except Exception:  # noqa: BLE001 - autocomplete must answer within 3 s, even with nothing
            return []
        typed = current.casefold()
        matching = sorted((n for n in names if typed in n.casefold()),
                          key=lambda n: (not n.casefold().startswith(typed), n))  # fmt: skip
        return [app_commands.Choice(name=n, value=n) for n in matching[:MAX_CHOICES]]

    async def _page(self, interaction: discord.Interaction, sort: UnansweredSort, tag: str | None,
                    page: int) -> UnansweredPage:  # fmt: skip
        if interaction.guild_id is None:
            raise BadInput("This works in a server, not in direct messages.")
        return await self.service.followups.unanswered(interaction.guild_id, readable(interaction), sort, tag, page)


# ----- rendering ------------------------------------------------------------------------------------


def _rendered(interaction: discord.Interaction, page: UnansweredPage) -> Rendered:
    return Rendered(page_embed(interaction.guild_id or 0, page), page.page, page.page + (2 if page.has_next else 1))


def page_embed(guild_id: int, page: UnansweredPage) -> discord.Embed:
    lines = [_line(guild_id, page.page * PAGE_SIZE + i + 1, row) for i, row in enumerate(page.rows)]
    if not lines:
        lines = ["Nothing waiting: every question you can see has an accepted answer. 🎉"]
    title = TAGGED + page.tag if page.tag else TITLE
    embed = discord.Embed(title=title, description="\n\n".join(lines), colour=discord.Colour.orange())
    embed.set_footer(text=f"page {page.page + 1} · {page.sort.value} first · still needs help, then unanswered first")
    return embed


def _line(guild_id: int, number: int, row: UnansweredRow) -> str:
    title = discord.utils.escape_markdown(" ".join(row.title.split())).replace("[", "(").replace("]", ")")
    if len(title) > TITLE_IN_LIST:
        title = title[: TITLE_IN_LIST - 1] + "…"
    if row.help_wanted_at is not None:
        state = "🆘 still needs help"
    elif not row.answered:
        state = "no answers yet"
    else:
        state = f"{row.answers} answer{'s' if row.answers != 1 else ''}, none accepted"
    return (f"**{number}. [{title}]({jump_url(guild_id, row.id)})**\n"
            f"{state} · score {row.score:+d} · asked {when(row.created_at)}")  # fmt: skip


async def setup(bot: QuorumBot) -> None:
    paging.listen(bot)
    await bot.add_cog(Unanswered(bot, bot.service))
