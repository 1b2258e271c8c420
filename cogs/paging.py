"""◀ ▶ page buttons shared by every paged view (/question, /history, /top), persistent across restarts.

Everything a click needs is in the custom_id: which view (one letter), of what (an id: a thread, a
post, a guild), which page the button leads to, and who may turn the pages. A click finds the loaded
cog that declares the view's letter in `page_commands` and asks it for the page, so the buttons of a
message sent before a restart work as soon as that cog is loaded again, and no global registry is
needed. The custom_id format predates this module (/question's buttons) and must not change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import discord
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.errors import NotAllowed, NotFound
from bot.tree import report_error
from cogs.client import quorum_bot
from cogs.render import Rendered

NO_PINGS = discord.AllowedMentions.none()


@runtime_checkable
class Paged(Protocol):
    """A cog with paged views."""

    # view letter -> the command that opens it (named when somebody else's pages are clicked)
    page_commands: Mapping[str, str]

    async def render_page(self, interaction: discord.Interaction, kind: str, target: int, page: int) -> Rendered:
        """Page `page` (0-based; clamped) of the view, checked again at every click: what it shows
        may have been deleted, or the member's roles changed, since the message was sent."""
        ...


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"quorum:page:(?P<kind>[a-z]):(?P<target>[0-9]{1,20}):(?P<page>[0-9]{1,5}):(?P<owner>[0-9]{1,20})",
):
    def __init__(self, kind: str, target: int, page: int, owner: int, *, label: str = "▶", disabled: bool = False):
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=f"quorum:page:{kind}:{target}:{page}:{owner}",
            )
        )
        self.kind, self.target, self.page, self.owner = kind, target, page, owner

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PageButton:
        return cls(match["kind"], int(match["target"]), int(match["page"]), int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            cog = paged_cog(interaction.client, self.kind)
            if interaction.user.id != self.owner:
                # A public page is shared: turning it would turn it for everyone reading along.
                command = cog.page_commands[self.kind] if cog else "the command"
                raise NotAllowed(f"These pages belong to <@{self.owner}>. Run `/{command}` to get your own.")
            if cog is None:
                raise NotFound("These pages are switched off right now.")
            rendered = await cog.render_page(interaction, self.kind, self.target, self.page)
            await interaction.response.edit_message(
                embed=rendered.embed,
                view=navigation(self.kind, self.target, rendered, self.owner),
                allowed_mentions=NO_PINGS,
            )
        except Exception as error:
            # discord.py only logs what a component callback raises, and the member would see "This
            # interaction failed": send it through the one error path instead.
            await report_error(interaction, error)


def paged_cog(client: discord.Client, kind: str) -> Paged | None:
    cogs = quorum_bot(client).cogs.values()
    return next((c for c in cogs if isinstance(c, Paged) and kind in c.page_commands), None)


def navigation(kind: str, target: int, rendered: Rendered, owner: int) -> discord.ui.View | None:
    """◀ ▶ for a paged view; None when everything fits on one page. Each button carries the page it
    leads to, so the two never share a custom_id."""
    if rendered.pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    first, last = rendered.page == 0, rendered.page == rendered.pages - 1
    view.add_item(PageButton(kind, target, max(rendered.page - 1, 0), owner, label="◀", disabled=first))
    view.add_item(PageButton(kind, target, min(rendered.page + 1, rendered.pages - 1), owner, disabled=last))
    return view


async def send_page(
    interaction: discord.Interaction, kind: str, target: int, rendered: Rendered, *, public: bool
) -> None:
    """The first page as the answer to a command, with its buttons (owned by whoever ran it)."""
    view = navigation(kind, target, rendered, interaction.user.id)
    extra = {"view": view} if view is not None else {}
    if interaction.response.is_done():  # deferred: the command took a while
        await interaction.followup.send(embed=rendered.embed, ephemeral=not public, allowed_mentions=NO_PINGS, **extra)
        return
    await interaction.response.send_message(
        embed=rendered.embed, ephemeral=not public, allowed_mentions=NO_PINGS, **extra
    )


def listen(bot: QuorumBot) -> None:
    """Called by each paged cog's setup: registering the same DynamicItem again changes nothing."""
    bot.add_dynamic_items(PageButton)


def stop_listening(bot: QuorumBot, leaving: commands.Cog) -> None:
    """Called by each paged cog's cog_unload: the buttons stay live while another paged cog is loaded."""
    if not any(isinstance(c, Paged) and c is not leaving for c in bot.cogs.values()):
        bot.remove_dynamic_items(PageButton)
