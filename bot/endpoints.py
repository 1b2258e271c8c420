"""Pointing discord.py at a Discord-compatible API (a self-hosted server, the emulator).

discord.py keeps its REST base and default gateway as class attributes (Route.BASE and
DiscordWebSocket.DEFAULT_GATEWAY); setting them is its supported way to talk to another host.
"""

from __future__ import annotations

import logging

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

log = logging.getLogger(__name__)

DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY = "wss://gateway.discord.gg/"


def use_api_base(api_base: str | None) -> None:
    Route.BASE = api_base or DISCORD_API_BASE


def use_gateway(url: str | None) -> None:
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url or DISCORD_GATEWAY)


async def discover_gateway(http: discord.http.HTTPClient) -> str:
    """Ask the API which gateway to use (`GET /gateway/bot`), as Discord serves it."""
    _shards, url, _limits = await http.get_bot_gateway()
    log.info("Gateway from %s/gateway/bot: %s", Route.BASE, url)
    return url
