"""Reading what a member typed to name a post or a thread: a message link, a thread link, a channel
mention or a bare id. Parsing only; which of those is a question is the reading cog's business."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.forum.errors import BadInput
from bot.forum.ids import parse_snowflake as _snowflake

# Discord writes links on discord.com, its ptb./canary. clients, and the legacy discordapp.com.
# "@me" stands for direct messages, which hold no questions.
_LINK = re.compile(
    r"<?https?://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/channels/(\d+|@me)/(\d+)(?:/(\d+))?/?(?:[?#]\S*)?>?",
    re.IGNORECASE,
)
_MENTION = re.compile(r"<#(\d+)>")
_ID = re.compile(r"\d+")

DM_GUILD = 0  # Ref.guild_id of an "@me" link


@dataclass(frozen=True, slots=True)
class Ref:
    """What the text pointed at. `id` is the message for a message link, the channel (thread) for a
    thread link or mention, and whatever the member meant for a bare id."""

    id: int
    channel_id: int | None = None  # known from a link or a mention
    guild_id: int | None = None  # known from a link; DM_GUILD for a direct-message link

    @property
    def is_message_link(self) -> bool:
        return self.channel_id is not None and self.channel_id != self.id


def parse_ref(text: str) -> Ref:
    text = text.strip()
    if match := _LINK.fullmatch(text):
        guild, channel, message = match.groups()
        guild_id = DM_GUILD if guild == "@me" else _snowflake(guild)
        channel_id = _snowflake(channel)
        return Ref(id=_snowflake(message) if message else channel_id, channel_id=channel_id, guild_id=guild_id)
    if match := _MENTION.fullmatch(text):
        channel_id = _snowflake(match.group(1))
        return Ref(id=channel_id, channel_id=channel_id)
    if _ID.fullmatch(text):
        return Ref(id=_snowflake(text))
    raise BadInput("Give a message link (right-click a message -> Copy Message Link), a thread link, or an id.")
