"""/search with operators, paged with buttons that outlive a restart, tag autocomplete, and tags a
member changes on a post in Discord mirrored into the store."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.errors import BadInput, NotFound
from bot.forum.search import HIGHLIGHT, MAX_QUERY, SearchPage, SearchResult, clean_query
from bot.forum.search_service import PER_PAGE, SearchService
from bot.forum.service import ForumService
from cogs import paging
from cogs.convert import tag_names
from cogs.render import Rendered, clip, dlen
from cogs.visibility import readable

NO_PINGS = discord.AllowedMentions.none()
SEARCH_VIEW = "s"
# The query can be longer than a custom_id has room for: the embed's title holds it, and a page
# button reads it back from the message it is on (cogs/paging.py carries only the page and owner).
TITLE_PREFIX = "Search: "
SNIPPET_MAX = 300
MAX_CHOICES = 25
# Discord wants an answer within 3 s: a search still running after this long is deferred first (a
# search has a time budget, but it may wait behind others for a search connection).
DEFER_AFTER = 1.0

T = TypeVar("T")


class Search(commands.Cog):
    page_commands = {SEARCH_VIEW: "search"}  # cogs/paging.py

    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.forum = service
        self.search = SearchService(service.store, service.clock)
        self.defer_after = DEFER_AFTER

    async def cog_unload(self) -> None:
        paging.stop_listening(self.bot, self)

    @app_commands.command(name="search", description="Search questions and answers")
    @app_commands.describe(
        query='Words, "a phrase", -word, tag:name, user:@member, is:accepted|unanswered|open, score:>=N'
    )
    @app_commands.guild_only()
    async def search_command(self, interaction: discord.Interaction, query: app_commands.Range[str, 1, MAX_QUERY]):
        query = clean_query(query)  # no NUL or bidi controls in what is searched, nor in the title shown
        page = await deferred_if_slow(interaction, self.run(interaction, query, 0), self.defer_after)
        await paging.send_page(interaction, SEARCH_VIEW, 0, _rendered(interaction, query, page), public=False)

    async def render_page(self, interaction: discord.Interaction, kind: str, target: int, page: int) -> Rendered:
        """A page button was clicked: the search again (results change), at that page."""
        embeds = interaction.message.embeds if interaction.message else []
        title = embeds[0].title if embeds else None
        if not title or not title.startswith(TITLE_PREFIX):
            raise NotFound("I cannot read this search any more: run `/search` again.")
        query = title[len(TITLE_PREFIX) :]
        return _rendered(interaction, query, await self.run(interaction, query, page))

    @search_command.autocomplete("query")
    async def complete_query(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Completes the tag in a `tag:` being typed (or offers tag: operators on an empty query)."""
        head, _, last = current.rpartition(" ")
        if not last.casefold().startswith("tag:") and last:
            return []
        typed = last[4:].strip('"').casefold() if last.casefold().startswith("tag:") else ""
        try:
            tags = await self._tag_names(interaction)
        except Exception:  # noqa: BLE001 - autocomplete must answer within 3 s, even with nothing
            return []
        choices = []
        for name in sorted(tags, key=lambda t: (not t.casefold().startswith(typed), t.casefold())):
            if typed not in name.casefold():
                continue
            operand = f'"{name}"' if " " in name else name
            value = f"{head} tag:{operand}".strip()
            if len(value) <= 100:  # Discord's limit for a choice
                choices.append(app_commands.Choice(name=value, value=value))
        return choices[:MAX_CHOICES]

    async def run(self, interaction: discord.Interaction, query: str, page: int) -> SearchPage:
        if interaction.guild is None:
            raise BadInput("Search works in a server, not in direct messages.")
        return await self.search.search(interaction.guild.id, query, page=page,
                                        available_tags=self._forum_tags(interaction.guild),
                                        readable=readable(interaction))  # fmt: skip

    def _forum_tags(self, guild: discord.Guild) -> list[str] | None:
        channel = guild.get_channel(self.forum.settings(guild.id).forum_channel_id or 0)
        return [t.name for t in channel.available_tags] if isinstance(channel, discord.ForumChannel) else None

    async def _tag_names(self, interaction: discord.Interaction) -> list[str]:
        if interaction.guild is None:
            return []
        forum_tags = self._forum_tags(interaction.guild)
        return forum_tags if forum_tags is not None else await self.search.tag_names(interaction.guild.id)

    # ----- a member changed a post's tags in Discord ----------------------------------------------
    @commands.Cog.listener()
    async def on_raw_thread_update(self, payload: discord.RawThreadUpdateEvent) -> None:
        applied = payload.data.get("applied_tags")
        guild = self.bot.get_guild(payload.guild_id)
        forum = guild.get_channel(payload.parent_id) if guild else None
        # Only forum posts have tags of their own; a text channel's questions keep the tags /ask
        # gave them, which an update without applied_tags must not wipe.
        if applied is None or not isinstance(forum, discord.ForumChannel):
            return
        if not self.forum.is_watched(payload.guild_id, payload.parent_id):
            return
        tags = [forum.get_tag(int(tag_id)) for tag_id in applied]
        await self.search.tags_changed(payload.thread_id, tag_names([t for t in tags if t is not None]))


async def deferred_if_slow(interaction: discord.Interaction, work: Awaitable[T], after: float) -> T:
    """The work's result; the interaction is deferred (privately) if it is not done `after` seconds on,
    so the answer comes as a follow-up. Quick work (most searches, every refusal) costs no extra call."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=after)
    if not done and not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
    return await task


# ----- rendering ------------------------------------------------------------------------------------


def _rendered(interaction: discord.Interaction, query: str, page: SearchPage) -> Rendered:
    return Rendered(page_embed(interaction, query, page), page.page, page.pages)


def page_embed(interaction: discord.Interaction, query: str, page: SearchPage) -> discord.Embed:
    guild_id = interaction.guild_id or 0
    lines = [_result(guild_id, page.page * PER_PAGE + i + 1, r) for i, r in enumerate(page.results)]
    if not lines:
        lines = ["Nothing found. Try fewer words, or other ones."]
    lines += [f"-# {note}" for note in page.notes]
    embed = discord.Embed(title=clip(TITLE_PREFIX + query, 256), description="\n\n".join(lines),
                          colour=discord.Colour.blurple())  # fmt: skip
    found = f"{page.total}{'+' if page.capped else ''} question{'s' if page.total != 1 else ''}"
    footer = f"page {page.page + 1}/{page.pages} · {found}"
    if page.newest_only:
        footer += " · ranked among the newest matches"
    embed.set_footer(text=footer)
    return embed


def _result(guild_id: int, number: int, r: SearchResult) -> str:
    title = discord.utils.escape_markdown(r.title).replace("[", "(").replace("]", ")")
    link = f"https://discord.com/channels/{guild_id}/{r.question_id}"
    if r.post_id != r.question_id:
        link += f"/{r.post_id}"
    accepted = "✔ accepted · " if r.accepted else ""
    answers = f"{r.answers} answer{'s' if r.answers != 1 else ''}"
    head = f"**{number}. [{clip(title, 200)}]({link})**\n{accepted}score {r.score:+d} · {answers} · " \
        f"<t:{int(r.created_at.timestamp())}:R>"  # fmt: skip
    snippet = highlight(r.snippet)
    return f"{head}\n> {snippet}" if snippet else head


def highlight(snippet: str) -> str:
    """The FTS snippet on one line, the member's markdown escaped, matches in bold."""
    text = " ".join(snippet.split())
    start, end = HIGHLIGHT
    text = text.replace(end + " " + start, " ").replace(end + start, "")  # neighbouring matches: one bold run
    text = discord.utils.escape_markdown(text).replace(start, "**").replace(end, "**")
    if dlen(text) > SNIPPET_MAX:
        text = clip(text.replace("**", ""), SNIPPET_MAX)  # a cut could leave bold open: drop it
    return text


async def setup(bot: QuorumBot) -> None:
    paging.listen(bot)
    await bot.add_cog(Search(bot, bot.service))
