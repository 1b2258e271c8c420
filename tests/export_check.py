"""Every export a test makes is checked against the format's schema (bot/forum/export_schema.json)."""

from __future__ import annotations

from jsonschema import Draft202012Validator

from bot.export import export_forum
from bot.forum.exporting import export_schema

SCHEMA = export_schema()
Draft202012Validator.check_schema(SCHEMA)
VALIDATOR = Draft202012Validator(SCHEMA)

V1_GUILD = ("guild_id", "questions", "users")
V1_QUESTION = ("id", "title", "author_id", "body", "score", "status", "tags", "accepted_answer_id", "created_at",
               "answers")  # fmt: skip
V1_ANSWER = ("id", "author_id", "body", "score", "accepted", "deleted", "created_at", "replies")
V1_REPLY = ("id", "author_id", "body", "score", "created_at")


def validated(document):
    """The document (a guild's object or a list of them), once it is known to match the schema."""
    VALIDATOR.validate(document)
    return document


async def exported(store, guild_id: int | None = None) -> list[dict]:
    return validated(await export_forum(store, guild_id))


def v1(guild: dict) -> dict:
    """What a version-1 reader sees of a guild's object: its keys only."""

    def answer(a: dict) -> dict:
        return {**{k: a[k] for k in V1_ANSWER}, "replies": [{k: r[k] for k in V1_REPLY} for r in a["replies"]]}

    def question(q: dict) -> dict:
        return {**{k: q[k] for k in V1_QUESTION}, "answers": [answer(a) for a in q["answers"]]}

    return {
        "guild_id": guild["guild_id"],
        "questions": [question(q) for q in guild["questions"]],
        "users": [{"id": u["id"], "reputation": u["reputation"]} for u in guild["users"]],
    }
