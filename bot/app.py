"""The running application: store, service and bot wired together, started and stopped as one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

import discord

from bot.client import QuorumBot, grantable_intents
from bot.config import Settings
from bot.endpoints import use_api_base, use_gateway
from bot.forum.retention import RetentionPeriods, describe_purged
from bot.forum.service import ForumService, utcnow
from bot.notifier import Notifier
from cogs.followups import caught_up, run_pass
from db.connection import check_writable
from db.integrity import check_integrity
from db.lock import DatabaseLock, lock_database
from db.store import SqliteStore, open_store

log = logging.getLogger(__name__)

RETENTION_EVERY = 3600.0  # seconds between purges of what is past its retention period
FOLLOWUPS_EVERY = 300.0  # seconds between passes over the follow-ups due (idle nudges, archives)
CATCHUP_WAIT = 120.0  # at most this long the first pass waits for the start's catch-up
NOTIFY_EVERY = 60.0  # seconds between looks for due notifications (sooner when an answer or accept wakes it)
FINISH_WAIT = 10.0  # seconds a stop waits for a follow-ups pass or a notifications run in progress
NOTIFY_SETTLE = 0.5  # seconds a wake-up waits for the writes behind it (an accept is recorded after its pin)


class QuorumApp:
    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.clock = clock
        self.store: SqliteStore | None = None
        self.bot: QuorumBot | None = None
        self.task: asyncio.Task[None] | None = None
        self.retention_task: asyncio.Task[None] | None = None
        self.purging: asyncio.Task[None] | None = None  # the purge under way, which close() lets finish
        self.notifier: Notifier | None = None
        self.notify_task: asyncio.Task[None] | None = None
        self.notifying: asyncio.Task[None] | None = None  # the notification run under way, let finish too
        self.lock: DatabaseLock | None = None
        self.followups_task: asyncio.Task[None] | None = None
        self.following: asyncio.Task[None] | None = None  # the follow-up pass under way, let finish on close
        self._one_pass = asyncio.Lock()  # the job and a test's call never run two passes at once
        self.followup_passes = 0  # passes finished since start (tests wait for one)

    async def start(self) -> QuorumBot:
        """Take the database (one bot per database), check it, open the store, log in and start the
        gateway connection in the background."""
        use_api_base(self.settings.api_base)
        use_gateway(self.settings.gateway_url)
        path = self.settings.database_path
        try:
            check_writable(path)
            self.lock = lock_database(path)
            checked = await asyncio.to_thread(check_integrity, path)
            if not checked.complete:
                log.info("Integrity check: the first %.1f s of the database found no damage "
                         "(`quorum check` checks it whole)", checked.seconds)  # fmt: skip
            self.store = await open_store(path)
        except BaseException:
            await self.close()
            raise
        periods = RetentionPeriods(self.settings.deleted_retention_days, self.settings.guild_retention_days)
        service = ForumService(self.store, clock=self.clock, retention=periods,
                               digest_minutes=self.settings.follow_digest_minutes)  # fmt: skip
        try:
            self.bot = QuorumBot(settings=self.settings, store=self.store, service=service)
            await self.bot.login(self.settings.token)
            # Logging in told us which privileged intents the application has; the gateway would
            # refuse the connection over any other, so start again without them (rare: a portal
            # misconfiguration, said loudly once here and again in /quorum setup).
            intents, missing = grantable_intents(self.bot.application_flags)
            if missing:
                consequence = ", and answers are not mirrored (their text would be empty)"
                consequence = "" if intents.message_content else consequence
                log.warning(
                    "The application lacks the %s intent: enable it under Bot -> Privileged Gateway Intents in "
                    "the developer portal and restart. Until then Quorum runs without it%s.",
                    " and ".join(missing),
                    consequence,
                )
                await self.bot.close()
                self.bot = QuorumBot(settings=self.settings, store=self.store, service=service, intents=intents)
                await self.bot.login(self.settings.token)
        except BaseException:
            await self.close()
            raise
        self.task = asyncio.create_task(self.bot.connect(reconnect=True), name="quorum-gateway")
        self.retention_task = asyncio.create_task(self._keep_retention(self.bot), name="quorum-retention")
        self.followups_task = asyncio.create_task(self._keep_followups(self.bot), name="quorum-followups")
        self.notifier = Notifier(self.bot, service.notices)
        self.notify_task = asyncio.create_task(self._keep_notifying(self.bot), name="quorum-notify")
        return self.bot

    async def _keep_followups(self, bot: QuorumBot) -> None:
        """Send the follow-ups that came due (by the app's clock, from the store) once the start's
        catch-up is done, then every FOLLOWUPS_EVERY seconds."""
        await bot.wait_until_ready()
        await caught_up(bot, CATCHUP_WAIT)
        while True:
            self.following = asyncio.create_task(self.run_followups(), name="quorum-followup-pass")
            await asyncio.shield(self.following)  # a pass is not cut between a claim and its message
            await asyncio.sleep(FOLLOWUPS_EVERY)

    async def run_followups(self) -> None:
        """One pass over the follow-ups due now (bot/forum/followups.py, cogs/followups.py)."""
        bot = self.bot
        if bot is None or not bot.is_ready() or bot.is_closed():
            return
        async with self._one_pass:
            try:
                done = await run_pass(bot)
            except Exception:
                log.exception("The follow-ups pass failed; it is tried again in %d s", FOLLOWUPS_EVERY)
            else:
                if done.nudged or done.archived:
                    log.info("Follow-ups: %d idle nudge(s) sent, %d solved thread(s) archived",
                             done.nudged, done.archived)  # fmt: skip
            self.followup_passes += 1

    async def _keep_notifying(self, bot: QuorumBot) -> None:
        """Send the notifications and digests due (computed from the store with the app's clock) once
        the bot knows its guilds, then every NOTIFY_EVERY seconds or when an answer or an acceptance
        wakes it. What fell due while the bot was down goes out at the first run."""
        await bot.wait_until_ready()
        assert self.notifier is not None
        while True:
            self.notifier.woken.clear()
            self.notifying = asyncio.create_task(self.notify_due(bot), name="quorum-notify-run")
            await asyncio.shield(self.notifying)
            try:
                await asyncio.wait_for(self.notifier.woken.wait(), NOTIFY_EVERY)
                await asyncio.sleep(NOTIFY_SETTLE)
            except TimeoutError:
                pass

    async def notify_due(self, bot: QuorumBot | None = None) -> None:
        """One run of the notifications (tests call it after moving the clock)."""
        bot = bot or self.bot
        if bot is None or self.notifier is None or not bot.is_ready() or bot.is_closed():
            return
        try:
            await self.notifier.run_once()
        except Exception:
            log.exception("Sending notifications failed; tried again at the next run")

    async def _keep_retention(self, bot: QuorumBot) -> None:
        """Purge what is past its retention period once the bot knows its guilds, then every hour."""
        await bot.wait_until_ready()
        while True:
            self.purging = asyncio.create_task(self.purge_expired(bot), name="quorum-purge")
            await asyncio.shield(self.purging)
            await asyncio.sleep(RETENTION_EVERY)

    async def purge_expired(self, bot: QuorumBot) -> None:
        if not bot.is_ready() or bot.is_closed():
            return  # between connections the guild list is not known: a guild the bot is in could look gone
        try:
            assert bot.user is not None
            purged = await bot.service.retention.run([guild.id for guild in bot.guilds], bot.user.id)
        except Exception:
            log.exception("The retention purge failed; it is tried again in an hour")
            return
        for guild_id in purged.absent:
            log.warning("Quorum is not in guild %s, whose data it stores: it is deleted after %d day(s) unless "
                        "Quorum is added back", guild_id, self.settings.guild_retention_days)  # fmt: skip
        if purged.anything:
            log.info("Retention: %s", describe_purged(purged))

    async def wait_until_ready(self, timeout: float = 30.0) -> None:
        """Wait for READY, failing fast if the connection task died on the way."""
        assert self.bot is not None and self.task is not None
        ready = asyncio.create_task(self.bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, self.task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if self.task in done:
                self.task.result()  # raises what ended the connection
                raise RuntimeError("The gateway connection ended before the bot was ready.")
            raise TimeoutError(f"The bot was not ready after {timeout:.0f} s.")

    async def run(self) -> None:
        """Start and keep running until the connection ends or the task is cancelled."""
        await self.start()
        assert self.task is not None
        try:
            await self.task
        finally:
            await self.close()

    async def close(self) -> None:
        if self.followups_task is not None:
            self.followups_task.cancel()
            try:
                await self.followups_task
            except asyncio.CancelledError:
                pass
            self.followups_task = None
        if self.following is not None:
            await _let_finish(self.following, "the follow-ups pass")  # a claimed nudge is sent first
            self.following = None
        if self.notify_task is not None:
            self.notify_task.cancel()
            try:
                await self.notify_task
            except asyncio.CancelledError:
                pass
            self.notify_task = None
        if self.notifying is not None:
            await _let_finish(self.notifying, "the notifications run")  # its marks and messages go together
            self.notifying = None
        if self.retention_task is not None:
            self.retention_task.cancel()
            try:
                await self.retention_task
            except asyncio.CancelledError:
                pass
            self.retention_task = None
        if self.purging is not None:
            # Its file steps run in threads that cannot be stopped: the store closes after them.
            await self.purging
            self.purging = None
        if self.bot is not None and not self.bot.is_closed():
            await self.bot.close()
        if self.task is not None:
            try:
                await asyncio.wait_for(self.task, timeout=5)
            except (asyncio.CancelledError, TimeoutError, discord.DiscordException, OSError):
                pass
            except Exception:
                log.exception("The gateway connection ended with an error")
        try:
            if self.store is not None:
                await self.store.close()
                self.store = None
        finally:
            if self.lock is not None:  # last: once the store is closed, another bot may take it
                self.lock.release()
                self.lock = None


async def _let_finish(task: asyncio.Task[None], what: str) -> None:
    """Wait for a run in progress, at most FINISH_WAIT seconds: a stop must end even when Discord
    stalls the run's requests (what it had claimed and not sent is lost, as in a crash)."""
    try:
        await asyncio.wait_for(asyncio.shield(task), FINISH_WAIT)
    except TimeoutError:
        log.warning("Stopping: %s was still running after %d s and is cut short", what, FINISH_WAIT)
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, Exception):
            pass

