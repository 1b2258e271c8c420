"""Moderation: /close, /reopen, /duplicate, /lock and /unlock inside a question's thread, and hand locks
made in Discord mirrored as the "locked" status. /modlog lives in cogs/modlog.py, loaded with this.

The bot changes the thread first (PATCH locked/archived, notices posted while the thread still takes
messages) and the service records the status only once Discord agreed: a refusal records nothing, and
whatever the bot had already done on the way is undone."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuorumBot
from bot.forum.errors import BadInput, ForumError, NotFound
from bot.forum.moderation import Action
from bot.forum.moderation_service import MAX_REASON, Change
from bot.forum.service import ForumService
from cogs import paging
from cogs.checks import member_is_moderator, moderator_only
from cogs.links import parse_ref
from cogs.modlog import ModLog
from cogs.render import jump_url

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()
Reason = app_commands.Range[str, 1, MAX_REASON]

NEED_MANAGE_THREADS = (
    "I need the Manage Threads permission in this channel to lock, archive and reopen question threads: "
    "a server admin can grant it."
)
NEED_SEND_IN_THREADS = (
    "I need the Send Messages in Threads permission in this channel to post the notice in the thread: "
    "a server admin can grant it."
)
THREAD_GONE = "This thread no longer exists in Discord."
THREAD_ARCHIVED = 50083
ARCHIVED_MEANWHILE = "Discord archived this thread meanwhile, so nothing changed: run the command again."


class MissingPermission(ForumError):
    """Discord refused for lack of one of the bot's permissions: the member hears it every time, the
    log once per channel, naming the permission (tests/reliability/test_discord_errors.py)."""

    def __init__(self, message: str, permission: str) -> None:
        super().__init__(message)
        self.permission = permission


class Moderation(commands.Cog):
    def __init__(self, bot: QuorumBot, service: ForumService) -> None:
        self.bot = bot
        self.service = service
        self._warned_forbidden: set[tuple[int, str]] = set()  # (channel, permission) already logged

    # ----- commands ----------------------------------------------------------------------------
    @app_commands.command(name="close", description="Close this question: no new answers, thread locked and archived")
    @app_commands.describe(reason="Why: posted in the thread and kept in the moderation log")
    @app_commands.guild_only()
    @moderator_only()
    async def close(self, interaction: discord.Interaction, reason: Reason) -> None:
        await self._moderate(interaction, Action.CLOSE, reason=reason)

    @app_commands.command(name="reopen", description="Reopen this question (closed, locked or a duplicate)")
    @app_commands.describe(reason="Why, for the moderation log")
    @app_commands.guild_only()
    @moderator_only()
    async def reopen(self, interaction: discord.Interaction, reason: Reason | None = None) -> None:
        await self._moderate(interaction, Action.REOPEN, reason=reason)

    @app_commands.command(name="duplicate", description="Mark this question as a duplicate of another and lock it")
    @app_commands.describe(of="A link to the original question (or one of its posts), or its id")
    @app_commands.guild_only()
    @moderator_only()
    async def duplicate(self, interaction: discord.Interaction, of: str) -> None:
        ref = parse_ref(of)
        if ref.guild_id is not None and ref.guild_id != interaction.guild_id:
            raise NotFound("That link points to another server: give a question of this server.")
        question = await self.service.question(ref.channel_id or ref.id)
        if question is None and ref.channel_id is None:
            post = await self.service.post(ref.id)  # a bare id may name any post of the original
            question = await self.service.question(post.question_id) if post else None
        await self._moderate(interaction, Action.DUPLICATE, original_id=question.id if question else None)

    @app_commands.command(name="lock", description="Lock this question: it stays visible, only moderators can post")
    @app_commands.describe(reason="Why, for the moderation log")
    @app_commands.guild_only()
    @moderator_only()
    async def lock(self, interaction: discord.Interaction, reason: Reason | None = None) -> None:
        await self._moderate(interaction, Action.LOCK, reason=reason)

    @app_commands.command(name="unlock", description="Unlock this question so members can answer again")
    @app_commands.describe(reason="Why, for the moderation log")
    @app_commands.guild_only()
    @moderator_only()
    async def unlock(self, interaction: discord.Interaction, reason: Reason | None = None) -> None:
        await self._moderate(interaction, Action.UNLOCK, reason=reason)

    async def _moderate(self, interaction: discord.Interaction, action: Action, *, reason: str | None = None,
                        original_id: int | None = None) -> None:  # fmt: skip
        thread = interaction.channel
        if not isinstance(thread, discord.Thread):
            raise BadInput(f"Use `/{action}` inside the question's thread.")
        # Up to four round trips to Discord: Discord's 3 s deadline must not bite.
        await interaction.response.defer(ephemeral=True, thinking=True)

        async def in_discord(change: Change) -> None:
            await self._show(thread, change)

        moderator = await member_is_moderator(interaction, thread.parent_id)
        try:
            change = await self.service.moderation.moderate(
                thread.id, action, interaction.user.id, moderator, in_discord, reason=reason, original_id=original_id
            )
        except MissingPermission as exc:
            channel_id = thread.parent_id or thread.id
            if (channel_id, exc.permission) not in self._warned_forbidden:
                self._warned_forbidden.add((channel_id, exc.permission))
                log.warning("Cannot moderate thread %s (channel %s): Quorum needs the %s permission there",
                            thread.id, channel_id, exc.permission)  # fmt: skip
            raise
        await interaction.followup.send(_done(change), ephemeral=True, allowed_mentions=NO_PINGS)

    # ----- making Discord show it -------------------------------------------------------------
    async def _show(self, thread: discord.Thread, change: Change) -> None:
        """Make the thread look like `change.state`, posting the notice first while it still takes
        messages. On any failure, undo what was done so Discord and the store keep agreeing."""
        before = (thread.locked, thread.archived)
        current, posted = thread, None
        try:
            notice = _notice(change)
            if notice is not None:
                if current.archived or current.locked:
                    current = await _edit(current, archived=False, locked=False)
                posted = await _post(current, notice)
            state = change.state
            if current.archived:
                # Discord takes nothing but unarchiving from an archived thread (an idle thread may
                # have been archived by Discord itself): unarchive first, archive again after.
                current = await _edit(current, archived=False, locked=state.locked)
            if (current.locked, current.archived) != (state.locked, state.archived):
                current = await _edit(current, locked=state.locked, archived=state.archived)
        except Exception:
            await _undo(current, before, posted)
            raise

    # ----- hand locks in Discord --------------------------------------------------------------
    @commands.Cog.listener()
    async def on_raw_thread_update(self, payload: discord.RawThreadUpdateEvent) -> None:
        """A moderator locking or unlocking a question thread by hand is mirrored as the "locked"
        status (see bot.forum.moderation.mirrored_status); the bot's own edits read as agreeing."""
        metadata = payload.data.get("thread_metadata") or {}
        if "locked" in metadata:
            await self.service.moderation.lock_seen(payload.thread_id, bool(metadata["locked"]))


def _notice(change: Change) -> str | None:
    """What members see in the thread: why it closed, or where the answers are."""
    by = f"<@{change.actor_id}>"
    if change.action is Action.CLOSE:
        return f"🔒 Closed by {by}: {change.reason}"
    if change.action is Action.DUPLICATE and change.original is not None:
        original = change.original
        title = discord.utils.escape_markdown(original.title)
        link = jump_url(original.guild_id, original.id)
        return f"🔁 This question is a duplicate of **{title}**: {link}\nMarked by {by}; answers go to the original."
    return None


def _done(change: Change) -> str:
    if change.action is Action.DUPLICATE and change.original is not None:
        link = jump_url(change.original.guild_id, change.original.id)
        return f"Marked as a duplicate of {link}; the thread is locked."
    return {
        Action.CLOSE: "Closed: the thread is locked and archived.",
        Action.REOPEN: "Reopened: members can answer again.",
        Action.LOCK: "Locked: members can read it, only moderators can post.",
        Action.UNLOCK: "Unlocked: members can answer again.",
    }[change.action]


async def _edit(thread: discord.Thread, **flags: bool) -> discord.Thread:
    try:
        return await thread.edit(**flags, reason="Quorum moderation")
    except discord.Forbidden as exc:
        raise MissingPermission(NEED_MANAGE_THREADS, "Manage Threads") from exc
    except discord.NotFound as exc:
        raise ForumError(THREAD_GONE) from exc


async def _post(thread: discord.Thread, text: str) -> discord.Message:
    try:
        return await thread.send(text[:2000], allowed_mentions=NO_PINGS)
    except discord.Forbidden as exc:
        raise MissingPermission(NEED_SEND_IN_THREADS, "Send Messages in Threads") from exc
    except discord.NotFound as exc:
        raise ForumError(THREAD_GONE) from exc
    except discord.HTTPException as exc:
        if exc.code == THREAD_ARCHIVED:  # archived by Discord after the bot last heard of the thread
            raise ForumError(ARCHIVED_MEANWHILE) from exc
        raise


async def _undo(thread: discord.Thread, before: tuple[bool, bool], posted: discord.Message | None) -> None:
    """Best effort: a notice for a change that did not happen would mislead, as would a thread left
    unlocked for it. A failure here is logged; the member already hears about the first one."""
    try:
        if posted is not None:
            await posted.delete()
        locked, archived = before
        if (thread.locked, thread.archived) != before:
            if thread.archived:
                thread = await thread.edit(archived=False)
            await thread.edit(locked=locked, archived=archived, reason="Quorum moderation undone")
    except discord.HTTPException as exc:
        log.warning("Could not undo a refused moderation change in thread %s: %s", thread.id, exc)


async def setup(bot: QuorumBot) -> None:
    service: ForumService = bot.service
    paging.listen(bot)
    await bot.add_cog(Moderation(bot, service))
    await bot.add_cog(ModLog(bot, service))
