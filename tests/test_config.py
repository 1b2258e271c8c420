from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

GOOD_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    base = {"DISCORD_TOKEN": GOOD_TOKEN, "DATABASE_URL": f"sqlite:///{tmp_path}/q.db"}
    base.update(values)
    return {k: v for k, v in base.items() if v is not None}


def test_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings({"DISCORD_TOKEN": GOOD_TOKEN})
    assert settings.database_path == Path("quorum.db")
    assert settings.api_base is None and settings.gateway_url is None
    assert settings.dev_guild_id is None and settings.log_level == "INFO"
    assert settings.deleted_retention_days == 30 and settings.guild_retention_days == 30
    assert settings.follow_digest_minutes == 60


def test_everything_set(tmp_path):
    settings = load_settings(
        env(
            tmp_path,
            DISCORD_API_BASE="http://127.0.0.1:8080/api/v10/",
            DISCORD_GATEWAY_URL="ws://127.0.0.1:8080/gateway",
            QUORUM_DEV_GUILD="123456789012345678",
            LOG_LEVEL="debug",
            QUORUM_DELETED_RETENTION_DAYS="7",
            QUORUM_GUILD_RETENTION_DAYS=" 90 ",
            QUORUM_FOLLOW_DIGEST_MINUTES="15",
        )
    )
    assert settings.follow_digest_minutes == 15
    assert (settings.deleted_retention_days, settings.guild_retention_days) == (7, 90)
    assert settings.api_base == "http://127.0.0.1:8080/api/v10"
    assert settings.gateway_url == "ws://127.0.0.1:8080/gateway"
    assert settings.dev_guild_id == 123456789012345678
    assert settings.log_level == "DEBUG"
    assert settings.database_path == tmp_path / "q.db"


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"DISCORD_TOKEN": ""}, "DISCORD_TOKEN is not set"),
        ({"DISCORD_TOKEN": "Bot " + GOOD_TOKEN}, "without the 'Bot ' prefix"),
        ({"DISCORD_TOKEN": "not-a-token"}, "malformed"),
        ({"DISCORD_TOKEN": GOOD_TOKEN[:30] + " " + GOOD_TOKEN[30:]}, "malformed"),
        ({"DATABASE_URL": "quorum.db"}, "not a URL"),
        ({"DATABASE_URL": "mysql://x/y"}, "not supported"),
        ({"DATABASE_URL": "postgresql://localhost/q"}, "PostgreSQL is not supported yet"),
        ({"DATABASE_URL": "sqlite:///no/such/dir/q.db"}, "does not exist"),
        ({"QUORUM_DEV_GUILD": "my-server"}, "numeric Discord id"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"DISCORD_API_BASE": "127.0.0.1:8080"}, "DISCORD_API_BASE"),
        ({"DISCORD_GATEWAY_URL": "http://127.0.0.1/gw"}, "DISCORD_GATEWAY_URL"),
        ({"QUORUM_DELETED_RETENTION_DAYS": "0"}, "QUORUM_DELETED_RETENTION_DAYS must be a whole number of days"),
        ({"QUORUM_DELETED_RETENTION_DAYS": "2.5"}, "QUORUM_DELETED_RETENTION_DAYS"),
        ({"QUORUM_GUILD_RETENTION_DAYS": "-1"}, "QUORUM_GUILD_RETENTION_DAYS"),
        ({"QUORUM_GUILD_RETENTION_DAYS": "forever"}, "QUORUM_GUILD_RETENTION_DAYS"),
        ({"QUORUM_FOLLOW_DIGEST_MINUTES": "0"}, "QUORUM_FOLLOW_DIGEST_MINUTES must be a whole number of minutes"),
        ({"QUORUM_FOLLOW_DIGEST_MINUTES": "10081"}, "QUORUM_FOLLOW_DIGEST_MINUTES"),
    ],
)
def test_bad_configuration_is_one_clear_error(tmp_path, values, fragment):
    with pytest.raises(ConfigError) as caught:
        load_settings(env(tmp_path, **values))
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message
    assert GOOD_TOKEN not in message


def test_a_custom_api_accepts_its_own_token_shape(tmp_path):
    settings = load_settings(
        env(tmp_path, DISCORD_TOKEN="emulator-token", DISCORD_API_BASE="http://127.0.0.1:1/api/v10")
    )
    assert settings.token == "emulator-token"


def test_settings_repr_hides_the_token(tmp_path):
    assert GOOD_TOKEN not in repr(load_settings(env(tmp_path)))


def test_web_settings(tmp_path):
    unset = load_settings(env(tmp_path))
    assert unset.public_url is None and unset.web_bind is None
    settings = load_settings(
        env(tmp_path, QUORUM_PUBLIC_URL="https://forum.example.org/", QUORUM_WEB_BIND="127.0.0.1:8080")
    )
    assert settings.public_url == "https://forum.example.org"
    assert settings.web_bind == ("127.0.0.1", 8080)
    assert load_settings(env(tmp_path, QUORUM_WEB_BIND="[::1]:0")).web_bind == ("::1", 0)
    assert load_settings(env(tmp_path, QUORUM_PUBLIC_URL="http://h/forum//")).public_url == "http://h/forum"


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"QUORUM_PUBLIC_URL": "forum.example.org"}, "QUORUM_PUBLIC_URL"),
        ({"QUORUM_PUBLIC_URL": "ftp://forum.example.org"}, "QUORUM_PUBLIC_URL"),
        ({"QUORUM_PUBLIC_URL": "https://forum.example.org/?a=1"}, "without a query"),
        ({"QUORUM_WEB_BIND": "8080"}, "HOST:PORT"),
        ({"QUORUM_WEB_BIND": ":8080"}, "HOST:PORT"),
        ({"QUORUM_WEB_BIND": "127.0.0.1:http"}, "port"),
        ({"QUORUM_WEB_BIND": "127.0.0.1:65536"}, "port"),
        ({"QUORUM_WEB_BIND": "127.0.0.1:-1"}, "port"),
    ],
)
def test_bad_web_settings_are_one_clear_error(tmp_path, values, fragment):
    with pytest.raises(ConfigError) as caught:
        load_settings(env(tmp_path, **values))
    assert fragment in str(caught.value) and "\n" not in str(caught.value)
