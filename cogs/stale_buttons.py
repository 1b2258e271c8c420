"""When a question gets its accepted answer, whichever way (/accept, the "Accept answer" menu, a pin,
a suggestion's Accept, the nudge's picker, a pin met by catch-up), the buttons that ask for one go:
the idle nudge's message loses its buttons, and the question's open suggestions are closed, their
messages saying so. Called by cogs/accept_actions.py (every accept the bot makes) and
cogs/accepting.py (every acceptance read from the pins). Best effort: a failure in Discord is
logged and never fails the acceptance; a button pressed before its edit landed answers plainly
(bot/forum/acceptance.py AlreadyAccepted)."""

from __future__ import annotations

import logging

import discord

from bot.forum.notifications import jump
from bot.forum.service import ForumService

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()


async def retire_buttons(service: ForumService, thread: discord.Thread, accepted_id: int,
                         pressed: int | None = None) -> None:  # fmt: skip
    """`pressed`: the message whose button made the acceptance (a suggestion's Accept): its own
    callback says who accepted it there."""
    try:
        await _close_nudge(service, thread)
        link = jump(thread.guild.id, thread.id, accepted_id)
        for suggestion in await service.suggestions.close_all(thread.id, accepted_id):
            if suggestion.message_id is not None and suggestion.message_id != pressed:
                await _edit(thread, suggestion.message_id, content=f"An answer was accepted: {link}")
    except Exception:  # the acceptance is recorded; stale buttons answer plainly if pressed
        log.exception("Could not retire the buttons of question %s after its acceptance", thread.id)


async def _close_nudge(service: ForumService, thread: discord.Thread) -> None:
    message_id = await service.followups.nudge_to_close(thread.id)
    if message_id is not None and await _edit(thread, message_id):
        await service.followups.nudge_closed(thread.id, message_id)


async def _edit(thread: discord.Thread, message_id: int, content: str | None = None) -> bool:
    """Drop the message's buttons (and say why); True when done or the message is gone."""
    message = thread.get_partial_message(message_id)
    try:
        if content is None:
            await message.edit(view=None)
        else:
            await message.edit(content=content, view=None, allowed_mentions=NO_PINGS)
    except discord.NotFound:
        return True  # deleted: no buttons left
    except discord.HTTPException as exc:
        log.warning("Could not remove the buttons of message %s in thread %s: %s", message_id, thread.id, exc)
        return False
    return True
