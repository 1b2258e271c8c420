"""Logging for the bot: one format, and a filter that keeps the token out of every line."""

from __future__ import annotations

import logging


class RedactSecrets(logging.Filter):
    """Replaces each secret with a mask wherever it shows up in a record, arguments and traceback included.

    discord.py never logs the token on purpose; this guards against the accident (an exception
    message quoting a header, a debug dump of a request).
    """

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        text = record.exc_text
        for secret in self.secrets:
            message = message.replace(secret, "[token]")
            if text:
                text = text.replace(secret, "[token]")
        record.msg, record.args, record.exc_text = message, None, text
        return True


def _not_about_voice(record: logging.LogRecord) -> bool:
    # discord.py warns at every start that voice libraries are missing; Quorum never uses voice.
    return not (record.name == "discord.client" and "voice will NOT be supported" in str(record.msg))


def setup_logging(level: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(_not_about_voice)
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # discord.py's gateway chatter at DEBUG is too much even when debugging Quorum.
    logging.getLogger("discord.gateway").setLevel(max(logging.INFO, root.level))
