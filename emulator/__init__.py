"""A Discord-compatible emulator (REST v10 + gateway) for testing Quorum with the real discord.py.

Never imports the bot: it is a stand-in for Discord, nothing more.
"""

from .guilds import Guild, shard_of
from .interactions import CommandNotRegistered, InteractionRecord
from .server import Emulator, RequestRecord, SpecViolation
from .spec_check import default_spec_path
from .world import Member, World

__all__ = [
    "Emulator",
    "World",
    "Member",
    "Guild",
    "shard_of",
    "InteractionRecord",
    "CommandNotRegistered",
    "RequestRecord",
    "SpecViolation",
    "default_spec_path",
]
