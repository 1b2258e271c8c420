"""The follow-ups' Discord side, one pass of the periodic job QuorumApp runs (bot/app.py): the nudges
that came due are posted in their threads, and solved questions' threads whose time came are archived.
What is due comes from the store (bot/forum/followups.py), so a pass after a restart finds what came
due while the bot was away, and only that."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import discord

from bot.client import QuorumBot
from bot.forum.followups import DueArchive, DueNudge
from bot.forum.service import ForumService
from cogs.nudges import nudge_view

log = logging.getLogger(__name__)

POLL = 0.1

NUDGE_TEXT = (
    "{asker}, your question has answers, but none is marked as the one that solved it. If one did, "
    "mark it, so the next person with this problem finds it; if none did, say so and helpers will see "
    "your question first in `/unanswered`."
)


@dataclass(frozen=True, slots=True)
class Pass:
    nudged: int = 0
    archived: int = 0


async def run_pass(bot: QuorumBot) -> Pass:
    service = bot.service
    guild_ids = [guild.id for guild in bot.guilds if not guild.unavailable]
    nudged = archived = 0
    for nudge in await service.followups.nudges_due(guild_ids):
        nudged += await send_nudge(bot, service, nudge)
    for archive in await service.followups.archives_due(guild_ids):
        archived += await archive_thread(bot, service, archive)
    return Pass(nudged, archived)


async def send_nudge(bot: QuorumBot, service: ForumService, nudge: DueNudge) -> bool:
    # Marked BEFORE sending: the claim is a conditional write that only one pass can win, so a crash
    # (or a second pass) between the mark and the send can at worst lose this nudge, never send it
    # twice. Marking after would resend it after a crash between the send and the mark: pinging a
    # member twice is worse than once too few (the question still shows in /unanswered).
    if not await service.followups.claim_nudge(nudge):
        return False
    thread = bot.get_partial_messageable(nudge.question_id, guild_id=nudge.guild_id,
                                         type=discord.ChannelType.public_thread)  # fmt: skip
    # Only the asker is pinged. Discord unarchives an idle thread for the message (not a locked one).
    only_asker = discord.AllowedMentions(everyone=False, roles=False, replied_user=False,
                                         users=[discord.Object(nudge.asker_id)])  # fmt: skip
    try:
        message = await thread.send(NUDGE_TEXT.format(asker=f"<@{nudge.asker_id}>"), view=nudge_view(nudge.question_id),
                                    allowed_mentions=only_asker)  # fmt: skip
    except discord.HTTPException as exc:
        log.warning("Cannot post the idle nudge in thread %s (it is not tried again): %s", nudge.question_id, exc)
        return False
    await service.followups.nudge_sent(nudge, message.id)
    return True


async def archive_thread(bot: QuorumBot, service: ForumService, archive: DueArchive) -> bool:
    # Marked AFTER archiving: archiving is idempotent, so a crash in between only archives again.
    if not await service.followups.still_due(archive):
        return False
    try:
        thread = await bot.fetch_channel(archive.question_id)
        if isinstance(thread, discord.Thread) and not thread.archived:
            await thread.edit(archived=True, reason="Its answer was accepted")
    except (discord.NotFound, discord.Forbidden) as exc:
        # Gone, or Quorum may not archive there (Manage Threads): nothing to retry every pass.
        log.warning("Cannot archive the solved question's thread %s: %s", archive.question_id, exc)
    except discord.HTTPException as exc:
        log.warning("Archiving thread %s failed; tried again at the next pass: %s", archive.question_id, exc)
        return False
    await service.followups.archive_done(archive)
    return True


async def caught_up(bot: QuorumBot, timeout: float) -> None:
    """Wait (at most `timeout` s) for the start's catch-up, so a pass knows what the asker wrote while
    Quorum was away before it decides on a nudge."""
    catchup = bot.catchup
    if catchup is None or not catchup.automatic:
        return
    for _ in range(int(timeout / POLL)):  # the catch-up cog counts its runs; it signals nothing
        if catchup.completed:
            return
        await asyncio.sleep(POLL)
