"""Settings from the environment (and `.env`), built once in main, never at import time.

Every problem is reported as one ConfigError line; the CLI turns it into exit code 2. The token
is never part of any message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.forum.ids import is_snowflake
from db import connection as db_connection

DEFAULT_DATABASE_URL = "sqlite:///quorum.db"
DEFAULT_SUMMARY_DELAY = 3.0
DEFAULT_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 3650
DEFAULT_DIGEST_MINUTES = 60
MAX_DIGEST_MINUTES = 10080  # a week
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# Discord bot tokens are three base64url parts: the bot id, a timestamp and an HMAC.
DISCORD_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")


class ConfigError(Exception):
    """Bad configuration; the message is one line meant for the person starting the bot."""


@dataclass(frozen=True)
class Settings:
    token: str = field(repr=False)
    database_url: str = DEFAULT_DATABASE_URL
    api_base: str | None = None
    gateway_url: str | None = None
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    summary_delay: float = DEFAULT_SUMMARY_DELAY  # seconds votes are folded into one summary edit
    public_url: str | None = None  # the web site's public base, no trailing slash (QUORUM_PUBLIC_URL)
    web_bind: tuple[str, int] | None = None  # where `quorum run` also serves the web pages (QUORUM_WEB_BIND)
    deleted_retention_days: int = DEFAULT_RETENTION_DAYS  # deleted text kept for moderators' /history
    guild_retention_days: int = DEFAULT_RETENTION_DAYS  # a guild's data kept after the bot was removed
    follow_digest_minutes: int = DEFAULT_DIGEST_MINUTES  # at most one /follow digest per member this often

    @property
    def database_path(self) -> Path:
        return parse_database_url(self.database_url)


def load_settings(env: Mapping[str, str], *, require_token: bool = True) -> Settings:
    """Build Settings from an environment mapping (os.environ after load_dotenv)."""
    api_base = _optional_url(env, "DISCORD_API_BASE", ("http", "https"))
    gateway_url = _optional_url(env, "DISCORD_GATEWAY_URL", ("ws", "wss"))
    token = env.get("DISCORD_TOKEN", "").strip()
    if require_token:
        check_token(token, custom_api=api_base is not None)
    database_url = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    path = parse_database_url(database_url)
    check_writable(path)
    return Settings(
        token=token,
        database_url=database_url,
        api_base=api_base.rstrip("/") if api_base else None,
        gateway_url=gateway_url,
        dev_guild_id=_optional_snowflake(env, "QUORUM_DEV_GUILD"),
        log_level=_log_level(env),
        summary_delay=_summary_delay(env),
        public_url=_public_url(env),
        web_bind=_web_bind(env),
        deleted_retention_days=_days(env, "QUORUM_DELETED_RETENTION_DAYS"),
        guild_retention_days=_days(env, "QUORUM_GUILD_RETENTION_DAYS"),
        follow_digest_minutes=_digest_minutes(env),
    )


def check_token(token: str, *, custom_api: bool) -> None:
    if not token:
        raise ConfigError(
            "DISCORD_TOKEN is not set: put the bot token from the Discord developer portal in .env "
            "(see .env.example), or try `quorum demo`, which needs none."
        )
    if token.lower().startswith("bot "):
        raise ConfigError("DISCORD_TOKEN must be the bare token, without the 'Bot ' prefix.")
    if any(ch.isspace() for ch in token) or token[0] in "'\"":
        raise ConfigError("DISCORD_TOKEN is malformed: it contains spaces or quotes.")
    # A Discord-compatible server of one's own may issue tokens of another shape; only Discord's
    # own API gets the strict check.
    if not custom_api and not DISCORD_TOKEN_SHAPE.match(token):
        raise ConfigError(
            "DISCORD_TOKEN is malformed: a Discord bot token has three parts separated by dots; "
            "copy it again from the developer portal (Bot -> Reset Token)."
        )


def parse_database_url(url: str) -> Path:
    try:
        return db_connection.parse_database_url(url)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def check_writable(path: Path) -> None:
    try:
        db_connection.check_writable(path)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _optional_url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        raise ConfigError(f"{name} {value!r} is not a {'/'.join(schemes)} URL.")
    return value


def _optional_snowflake(env: Mapping[str, str], name: str) -> int | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdecimal()) or len(value) > 25 or not is_snowflake(int(value)):
        raise ConfigError(f"{name} must be a numeric Discord id (right-click the server -> Copy Server ID).")
    return int(value)


def _log_level(env: Mapping[str, str]) -> str:
    value = env.get("LOG_LEVEL", "").strip().upper() or "INFO"
    if value not in LOG_LEVELS or not isinstance(logging.getLevelName(value), int):
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}.")
    return value


def _summary_delay(env: Mapping[str, str]) -> float:
    value = env.get("QUORUM_SUMMARY_DELAY", "").strip()
    if not value:
        return DEFAULT_SUMMARY_DELAY
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    # Below a second a vote storm would edit faster than Discord's per-message rate limit allows.
    if not 1.0 <= seconds <= 300.0:
        raise ConfigError("QUORUM_SUMMARY_DELAY must be a number of seconds between 1 and 300.")
    return seconds


def _days(env: Mapping[str, str], name: str) -> int:
    value = env.get(name, "").strip()
    if not value:
        return DEFAULT_RETENTION_DAYS
    if not value.isdecimal() or not 1 <= int(value) <= MAX_RETENTION_DAYS:
        raise ConfigError(f"{name} must be a whole number of days between 1 and {MAX_RETENTION_DAYS}.")
    return int(value)


def _digest_minutes(env: Mapping[str, str]) -> int:
    value = env.get("QUORUM_FOLLOW_DIGEST_MINUTES", "").strip()
    if not value:
        return DEFAULT_DIGEST_MINUTES
    if not value.isdecimal() or not 1 <= int(value) <= MAX_DIGEST_MINUTES:
        raise ConfigError(
            f"QUORUM_FOLLOW_DIGEST_MINUTES must be a whole number of minutes between 1 and {MAX_DIGEST_MINUTES}."
        )
    return int(value)


def _public_url(env: Mapping[str, str]) -> str | None:
    value = _optional_url(env, "QUORUM_PUBLIC_URL", ("http", "https"))
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.query or parts.fragment:
        raise ConfigError(f"QUORUM_PUBLIC_URL {value!r} must be a base URL, without a query or a fragment.")
    return value.rstrip("/")


def _web_bind(env: Mapping[str, str]) -> tuple[str, int] | None:
    value = env.get("QUORUM_WEB_BIND", "").strip()
    if not value:
        return None
    try:
        return parse_bind(value)
    except ValueError as exc:
        raise ConfigError(f"QUORUM_WEB_BIND {exc}") from None


def parse_bind(value: str) -> tuple[str, int]:
    """Parse "HOST:PORT" (an IPv6 host in brackets: "[::1]:8080"); port 0 takes a free one.
    ValueError says what is wrong, for `quorum web --bind` as for QUORUM_WEB_BIND."""
    host, sep, port = value.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or any(ch.isspace() or ch in "/[]" for ch in host):
        raise ValueError(f"{value!r} is not HOST:PORT (for example 127.0.0.1:8080).")
    if not (port.isascii() and port.isdecimal()) or not 0 <= int(port) <= 65535:
        raise ValueError(f"{value!r}: the port must be a number from 0 to 65535.")
    return host, int(port)
