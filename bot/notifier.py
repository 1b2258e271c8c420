"""Sends what bot/forum/notifications.py finds due: an asker's answers and acceptances (by DM, or a
mention in the question's thread when their DMs refuse the bot), and the digests of followed tags
(by DM). Run by the application's periodic job (bot/app.py), woken early by a new answer or an
acceptance; one run at a time.

Every mark is written before its message is sent (see bot/forum/notifications.py for why); a send
that fails for a passing reason gives the mark back for the next run. A DM Discord refuses with
50007 ("Cannot send messages to this user": the member's privacy settings) is not retried: the member
is switched to thread mentions, stored, and this notice goes to the thread at once.
"""

from __future__ import annotations

import asyncio
import logging
from enum import Enum

import discord

from bot.forum.notifications import AnswerNotice, DueDigest, Notices, Via, describe_digest
from cogs.visibility import readable_by

log = logging.getLogger(__name__)

DM_REFUSED = 50007  # Discord's JSON error code: "Cannot send messages to this user"
NO_PINGS = discord.AllowedMentions.none()


class Sent(Enum):
    SENT = "sent"
    REFUSED = "refused"  # 50007: never retried
    LOST = "lost"  # refused otherwise (the user is gone, another 403): not retried either
    RETRY = "retry"  # Discord or the network failed: the next run tries again


class Notifier:
    def __init__(self, bot: discord.Client, notices: Notices) -> None:
        self.bot = bot
        self.notices = notices
        self.woken = asyncio.Event()
        self._one_at_a_time = asyncio.Lock()
        self._refused: set[int] = set()  # members whose DMs were refused in this run (their next notice: thread)
        notices.on_change(self.woken.set)

    async def run_once(self) -> None:
        async with self._one_at_a_time:
            self._refused.clear()
            for notice in await self.notices.due_notices():
                await self._tell(notice)
            for due in await self.notices.due_digests():
                await self._digest(due)

    async def _tell(self, notice: AnswerNotice) -> None:
        await self.notices.claim(notice)  # before sending: a crash loses it rather than repeating it
        if notice.text is None:
            return
        if notice.via is Via.DM and notice.asker_id not in self._refused:
            sent = await self._dm(notice.asker_id, notice.text)
            if sent is Sent.RETRY:
                await self.notices.give_back(notice)
            if sent is not Sent.REFUSED:
                return
            self._refused.add(notice.asker_id)
            await self.notices.dms_refused(notice.guild_id, notice.asker_id)
        await self._mention_in_thread(notice)

    async def _dm(self, user_id: int, text: str) -> Sent:
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.send(text, allowed_mentions=NO_PINGS)  # opens the DM channel first (create_dm)
        except discord.Forbidden as exc:
            if exc.code == DM_REFUSED:
                return Sent.REFUSED
            log.warning("A DM to %s was refused (%s); not retried", user_id, exc)
            return Sent.LOST
        except discord.NotFound:
            return Sent.LOST  # the account is gone
        except (discord.HTTPException, OSError, TimeoutError) as exc:
            log.warning("A DM to %s failed (%s); it is tried again at the next run", user_id, exc)
            return Sent.RETRY
        return Sent.SENT

    async def _mention_in_thread(self, notice: AnswerNotice) -> None:
        """The member's DMs are closed: one message in the question's thread, pinging only them."""
        guild = self.bot.get_guild(notice.guild_id)
        if guild is None:
            return  # the bot is no longer in that guild
        try:
            thread = guild.get_thread(notice.question_id) or await guild.fetch_channel(notice.question_id)
            if not isinstance(thread, discord.Thread):
                return
            asker = discord.Object(notice.asker_id)
            await thread.send(f"<@{notice.asker_id}> {notice.text}"[:2000],
                              allowed_mentions=discord.AllowedMentions(users=[asker]))  # fmt: skip
        except discord.HTTPException as exc:
            # Archived and locked, deleted, no permission: the mark stays (no retry storm).
            log.info("Could not tell %s in thread %s: %s", notice.asker_id, notice.question_id, exc)

    async def _digest(self, due: DueDigest) -> None:
        guild = self.bot.get_guild(due.guild_id)
        member = guild.get_member(due.user_id) if guild is not None else None
        if guild is not None and member is None:
            try:
                member = await guild.fetch_member(due.user_id)
            except discord.HTTPException:
                member = None
        _, via = await self.notices.answers(due.guild_id, due.user_id)
        if guild is None or member is None or via is Via.THREAD or due.user_id in self._refused:
            await self.notices.skip_digest(due)  # gone, or DMs refused: a digest has no thread to go to
            return
        digest = await self.notices.digest(due, readable_by(guild, member))
        if digest is None:
            return
        await self.notices.claim_digest(digest)
        sent = await self._dm(due.user_id, describe_digest(digest, guild.name))
        if sent is Sent.RETRY:
            await self.notices.give_back_digest(digest)
        elif sent is Sent.REFUSED:
            self._refused.add(due.user_id)
            await self.notices.dms_refused(due.guild_id, due.user_id)
