"""Taking members' reactions off a message, for the live vote path (cogs/voting.py), catch-up
(cogs/catchup.py) and an erasure (cogs/privacy.py): one function, so a missing permission is
reported once, the same way, whoever asked."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import discord

THREAD_ARCHIVED = 50083

log = logging.getLogger(__name__)

_warned_forbidden: set[int] = set()  # channels whose missing Manage Messages was logged


async def take_off(client: discord.Client, channel_id: int, message_id: int,
                   remove: Iterable[tuple[str, int]]) -> set[tuple[str, int]]:  # fmt: skip
    """Take each (emoji, member id) reaction off the message. Returns those that are off now (taken
    off, or gone already); the others stay in Discord, and whoever owes their removal keeps owing it."""
    message = client.get_partial_messageable(channel_id).get_partial_message(message_id)
    off = set()
    for emoji, user_id in remove:
        try:
            await message.remove_reaction(emoji, discord.Object(user_id))
        except discord.Forbidden:
            if channel_id not in _warned_forbidden:
                _warned_forbidden.add(channel_id)
                log.warning(
                    "Cannot remove reactions in channel %s: Quorum needs the Manage Messages permission "
                    "there so Discord shows each member's single vote.",
                    channel_id,
                )
            continue
        except discord.NotFound:
            pass  # the message or the reaction is already gone
        except discord.HTTPException as exc:
            # An archived thread (50083) or Discord failing (5xx after discord.py's retries): the
            # vote is stored either way, and the next catch-up settles the reactions. Escaping
            # here would only log a traceback (tests/reliability/test_discord_errors.py).
            level = logging.DEBUG if exc.code == THREAD_ARCHIVED else logging.WARNING
            log.log(level, "Could not take %s's %s off message %s: %s %s", user_id, emoji, message_id,
                    exc.status, exc.text)  # fmt: skip
            continue
        off.add((emoji, user_id))
    return off


def can_take_off(thread: discord.Thread) -> bool:
    """Whether the bot can take reactions off in the thread: archived threads accept no reaction
    changes, and other members' reactions need Manage Messages."""
    if thread.archived:
        return False
    me = thread.guild.me
    try:
        return me is not None and thread.permissions_for(me).manage_messages
    except discord.ClientException:  # the parent channel is not cached: try, and let Discord decide
        return True
