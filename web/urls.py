"""The site's paths, in one place (routes and templates build links with these)."""

from __future__ import annotations

from urllib.parse import quote


def question_path(thread_id: int, slug: str) -> str:
    return f"/q/{thread_id}/{slug}"


def guild_path(guild_id: int) -> str:
    return f"/g/{guild_id}"


def tag_path(guild_id: int, tag: str) -> str:
    return f"/g/{guild_id}/tags/{quote(tag, safe='')}"


def search_path(guild_id: int) -> str:
    return f"/g/{guild_id}/search"


def profile_path(guild_id: int, user_id: int) -> str:
    return f"/u/{guild_id}/{user_id}"


def discord_thread_url(guild_id: int, thread_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{thread_id}"
