"""QuorumBot: the discord.py client, with its store and service passed in."""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from typing import Any, Protocol

import discord
from discord.ext import commands

from bot.config import Settings
from bot.endpoints import discover_gateway, use_gateway
from bot.forum.catchup import Progress
from bot.forum.errors import StoreUnavailable
from bot.forum.models import CommandSync
from bot.forum.ports import ForumStore
from bot.forum.service import ForumService
from bot.tree import QuorumTree

log = logging.getLogger(__name__)

COGS = (
    "cogs.setup",
    "cogs.questions",
    "cogs.asking",
    "cogs.editing",  # /edit of an /ask question by its asker
    "cogs.help",  # /help reads the command tree when used, so every cog's commands are in it
    "cogs.reading",
    "cogs.profile",
    "cogs.search",
    "cogs.solved_similar",  # solved similar questions offered once in a member's own forum post
    "cogs.voting",
    "cogs.accepting",
    "cogs.moderation",
    "cogs.catchup",
    "cogs.summary",
    # The public web's side in Discord: publishing, what @everyone may read, names, members' choices.
    "cogs.publishing",
    "cogs.web_access",
    "cogs.names",
    "cogs.privacy",
    "cogs.guild_presence",  # a departed guild's data is deleted after QUORUM_GUILD_RETENTION_DAYS
    # The help forum's follow-ups: the idle nudge's buttons (the nudges come from bot/app.py's job)
    # and /unanswered.
    "cogs.nudges",
    "cogs.unanswered",
    "cogs.notifications",  # /notify, /follow: what members are told (sent by bot/notifier.py)
    "cogs.suggesting",  # "Suggest as solution"
)

# What Quorum listens to: message content (answers are messages), reactions (votes), guilds
# (threads, channels, roles) and members (roles of voters and moderators).
INTENTS = discord.Intents(guilds=True, guild_messages=True, guild_reactions=True, message_content=True, members=True)


def grantable_intents(flags: discord.ApplicationFlags) -> tuple[discord.Intents, list[str]]:
    """The intents to ask for, given what the application is allowed: asking Discord for a
    privileged intent the application lacks closes the connection (4014), so leave it out, run
    without it and say so. Returns the intents and the names of those left out."""
    intents = discord.Intents(INTENTS.value)
    missing = []
    if not (flags.gateway_message_content or flags.gateway_message_content_limited):
        intents.message_content = False
        missing.append("Message Content")
    if not (flags.gateway_guild_members or flags.gateway_guild_members_limited):
        intents.members = False
        missing.append("Server Members")
    return intents, missing


class CatchUpRun(Protocol):
    """What others use of the catch-up cog (cogs/catchup.py), which puts itself in `QuorumBot.catchup`
    when loaded: discord.py runs an extension's module anew, so its class cannot be imported and
    matched, and a lookup by the cog's name would not be checked."""

    automatic: bool  # catch up by itself on READY; `quorum catchup` turns it off and runs it
    progress: Progress | None  # the current run, or the last one
    completed: int  # runs finished

    async def run(self, *, days: float | None = None) -> Progress: ...


class QuorumBot(commands.Bot):
    def __init__(
        self, *, settings: Settings, store: ForumStore, service: ForumService, intents: discord.Intents = INTENTS
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=QuorumTree,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            # Guild data arrives in one GUILD_CREATE each; waiting for stragglers only delays READY.
            guild_ready_timeout=0.5,
        )
        self.settings = settings
        self.store = store
        self.service = service
        self.catchup: CatchUpRun | None = None  # set by cogs/catchup.py when loaded

    async def setup_hook(self) -> None:
        if self.settings.api_base and not self.settings.gateway_url:
            use_gateway(await discover_gateway(self.http))
        await self.service.load()
        for extension in COGS:
            await self.load_extension(extension)
        await self.sync_commands_if_changed()

    async def on_ready(self) -> None:
        assert self.user is not None
        log.info("Connected as %s (%s) to %d guild(s)", self.user, self.user.id, len(self.guilds))

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """An event handler failed. A write lost to an unavailable store is no bug: the event's thread
        is caught up once writes work again (bot/forum/repair.py), and the failure is counted, not
        logged with a traceback each time. Anything else is logged as discord.py does."""
        error = sys.exc_info()[1]
        if isinstance(error, StoreUnavailable):
            self.service.repair.failed(error.thread_id or _event_thread(args), error)
            return
        await super().on_error(event_method, *args, **kwargs)

    @property
    def message_content_granted(self) -> bool:
        return self.intents.message_content

    async def sync_commands_if_changed(self, *, force: bool = False) -> bool:
        """Register the slash commands with Discord only when they differ from the last sync.

        Syncing on every start spends a rate-limited call and can briefly hide commands from
        users; the hash of what was last registered is kept in the store.
        """
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        application_id = self.application_id or 0  # known once logged in, which setup_hook runs after
        guild_id = guild.id if guild else None
        if not force and await self.store.commands_digest(application_id, guild_id) == digest:
            return False
        await self.tree.sync(guild=guild)
        await self.store.set_commands_digest(CommandSync(application_id, guild_id, digest))
        log.info("Synced %d command(s) %s", len(payload), f"to guild {guild.id}" if guild else "globally")
        return True


def _event_thread(args: tuple[Any, ...]) -> int | None:
    """The channel (a question's thread, if it was one) an event was about; the repair ignores the
    ids of channels that are not watched threads."""
    for arg in args:
        for name in ("thread_id", "channel_id"):  # raw events: thread updates and deletes name the thread
            value = getattr(arg, name, None)
            if isinstance(value, int):
                return value
        if isinstance(arg, discord.abc.GuildChannel | discord.Thread):
            return arg.id
        channel = getattr(arg, "channel", None)  # a message
        if channel is not None:
            return channel.id
    return None
