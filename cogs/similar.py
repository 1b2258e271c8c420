"""The similar-questions step of /ask: the ephemeral list and its "Post anyway" / "Cancel" buttons.

The draft waits in the store (pending_asks); a button's custom_id names it and its asker, so the
buttons still work after a restart (DynamicItem). /ask itself is in cogs/asking.py, the posting both
share in cogs/ask_actions.py.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.forum.asking import Draft
from bot.forum.errors import NotAllowed
from bot.forum.search_service import SearchService
from bot.forum.service import ForumService
from bot.forum.similar import SimilarQuestion
from bot.tree import report_error
from cogs.ask_actions import create_question, questions_channel
from cogs.client import forum_service

NO_PINGS = discord.AllowedMentions.none()
POST, CANCEL = "post", "cancel"


class DraftButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"quorum:draft:(?P<action>post|cancel):(?P<draft>[0-9]{1,20}):(?P<owner>[0-9]{1,20})",
):
    def __init__(self, action: str, draft_id: int, owner: int) -> None:
        label, style = ("Post anyway", discord.ButtonStyle.primary) if action == POST else \
            ("Cancel", discord.ButtonStyle.secondary)  # fmt: skip
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=f"quorum:draft:{action}:{draft_id}:{owner}")
        )
        self.action, self.draft_id, self.owner = action, draft_id, owner

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> DraftButton:
        return cls(match["action"], int(match["draft"]), int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            if interaction.user.id != self.owner:
                raise NotAllowed("That is someone else's question.")
            await decide(forum_service(interaction), interaction, self.draft_id, post=self.action == POST)
        except Exception as error:
            # A component callback's exception would only be logged, and the member would see
            # "This interaction failed": answer through the one error path instead.
            await report_error(interaction, error)


async def decide(service: ForumService, interaction: discord.Interaction, draft_id: int, *, post: bool) -> None:
    """The asker chose "Post anyway" (post) or "Cancel" on the similar-questions step."""
    search = SearchService(service.store, service.clock)
    pending = await search.take_draft(draft_id, interaction.user.id)
    if not post:
        await interaction.response.edit_message(content="Cancelled: your question was not posted.",
                                                embed=None, view=None)  # fmt: skip
        return
    # Take the buttons away at once (a second click finds no draft anyway), then post.
    await interaction.response.edit_message(content="Posting your question…", embed=None, view=None)
    try:
        channel = questions_channel(service, interaction)
        await create_question(service, interaction, channel, Draft(pending.title, pending.body, pending.tags))
    except Exception:
        await search.restore_draft(pending)  # keep the member's text: they can try again
        await interaction.followup.send("Your draft is kept:", view=choice_view(pending.id, pending.user_id),
                                        ephemeral=True, allowed_mentions=NO_PINGS)  # fmt: skip
        raise


def choice_view(draft_id: int, owner: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(DraftButton(POST, draft_id, owner))
    view.add_item(DraftButton(CANCEL, draft_id, owner))
    return view


def similar_embed(guild_id: int, similar: list[SimilarQuestion]) -> discord.Embed:
    lines = []
    for item in similar:
        title = discord.utils.escape_markdown(item.title).replace("[", "(").replace("]", ")")
        mark = "✔ " if item.accepted else ""
        url = f"https://discord.com/channels/{guild_id}/{item.question_id}"
        lines.append(f"{mark}[{title}]({url}) · score {item.score:+d}")
    embed = discord.Embed(
        title="Has this been asked already?",
        description="\n".join(lines) + "\n\nIf one of these answers your question, no need to post it. "
        "Otherwise, post it anyway.",
        colour=discord.Colour.gold(),
    )
    embed.set_footer(text="✔ has an accepted answer · your draft is kept for an hour")
    return embed
