"""The checks `quorum import` runs on every value of an export, and the rows it makes of them.

The checks run on every value the file holds, so they are written out by hand: jsonschema takes about
4 ms for one question of the benchmark's forum, which would be 15 minutes for a million posts. These
checks are the schema's (exact key sets, types, id and time patterns, enums, minimums; a test holds
them to jsonschema's verdicts), plus what the schema cannot say: an id is a snowflake (1 to 2**63 - 1).
When one fails, jsonschema is asked about that value alone, for a message that names the place.

Scores and reputation are not read: the importer recounts them from the votes and acceptances, as
`quorum recount` would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from .exporting import export_schema
from .followups import DEFAULT_HOURS, MAX_HOURS
from .ids import MAX_SNOWFLAKE
from .import_rows import (
    AuditRow,
    ImportRefused,
    MemberRow,
    NameRow,
    PostRow,
    QuestionRow,
    RevisionRow,
    SettingsRow,
    Thread,
    VoteRow,
    WebChannelRow,
    WebGuildRow,
    WebPrivacyRow,
)
from .models import Attachment


def single_rows(key: str, value: Any, guild_id: int) -> Iterator[NamedTuple]:
    """The row of a guild's key that holds one object (`settings`, `web`; null: none)."""
    if key == "settings" and value is not None:
        yield checked(lambda v: _settings(v, guild_id), value, "settings", key)
    elif key == "web" and value is not None:
        yield checked(lambda v: _web(v, guild_id), value, "web", key)
    elif key not in ("settings", "web"):
        raise ImportRefused(f"guild {guild_id}: `{key}` must be a list")


def checked(convert, value: Any, definition: str, where: str):
    """convert(value), or ImportRefused naming the first problem (jsonschema's words when it sees one)."""
    try:
        return convert(value)
    except (_Invalid, TypeError, ValueError, KeyError, AttributeError) as exc:
        found = schema_error(value, definition)
        if found is None:  # what the schema cannot say (a snowflake's range), in the checks' own words
            found = ("", exc.message if isinstance(exc, _Invalid) else "does not match the export schema")
        place, message = found
        raise ImportRefused(f"{where}{place}: {message}"[:300]) from None


@cache
def _validator(definition: str):
    from jsonschema import Draft202012Validator  # only when a file is refused: the checks below run first

    return Draft202012Validator({"$defs": export_schema()["$defs"], "$ref": f"#/$defs/{definition}"})


def schema_error(value: Any, definition: str) -> tuple[str, str] | None:
    """(where inside the value, what is wrong) as jsonschema sees it, or None if it sees nothing."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator(definition).iter_errors(value))
    if error is None:
        return None
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path), error.message


# -- the schema's checks, written out


class _Invalid(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@cache
def _required(definition: str) -> frozenset[str]:
    return frozenset(export_schema()["$defs"][definition]["required"])


_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
_MAX_DIGITS = len(str(MAX_SNOWFLAKE))
_STATUSES = frozenset({"open", "closed", "locked", "duplicate"})
_KINDS = frozenset({"question", "answer", "reply"})
_VIAS = frozenset({"reaction", "command"})
_NAME_KINDS = frozenset({"user", "role", "channel"})


@cache
def _properties(definition: str) -> frozenset[str]:
    return frozenset(export_schema()["$defs"][definition].get("properties", ()))


def _object(value: Any, definition: str) -> dict:
    # Every required key, and no key the schema does not name (some are optional: added later).
    if type(value) is not dict or not _required(definition) <= value.keys() <= _properties(definition):
        raise _Invalid(f"not a {definition} object of the export schema")
    return value


def check_id(value: Any) -> int:
    if type(value) is not str or not (value.isascii() and value.isdigit()):
        raise _Invalid(f"{json.dumps(value)[:30]} is not an id (a string of digits)")
    if len(value.lstrip("0")) > _MAX_DIGITS or not 0 < int(value) <= MAX_SNOWFLAKE:
        raise _Invalid(f"{value[:25]} is not a snowflake (ids are numbers from 1 to {MAX_SNOWFLAKE})")
    return int(value)


def _opt_id(value: Any) -> int | None:
    return None if value is None else check_id(value)


def _time(value: Any) -> int:
    if type(value) is not str or not _TIME.fullmatch(value):
        raise _Invalid(f"{json.dumps(value)[:30]} is not a time (ISO-8601 UTC with milliseconds)")
    return round(datetime.fromisoformat(value).timestamp() * 1000)


def _opt_time(value: Any) -> int | None:
    return None if value is None else _time(value)


def _str(value: Any) -> str:
    if type(value) is not str:
        raise _Invalid(f"{json.dumps(value)[:30]} is not a string")
    return value


def _opt_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _int(value: Any, minimum: int | None = None) -> int:
    if type(value) is not int or (minimum is not None and value < minimum):
        raise _Invalid(f"{json.dumps(value)[:30]} is not an integer" + (f" >= {minimum}" if minimum else ""))
    return value


def _hours(value: Any) -> int:
    if type(value) is not int or not 0 <= value <= MAX_HOURS:
        raise _Invalid(f"{json.dumps(value)[:30]} is not a number of hours from 0 to {MAX_HOURS}")
    return value


def _bool(value: Any) -> bool:
    if type(value) is not bool:
        raise _Invalid(f"{json.dumps(value)[:30]} is not true or false")
    return value


def _list(value: Any) -> list:
    if type(value) is not list:
        raise _Invalid(f"{json.dumps(value)[:30]} is not a list")
    return value


def _one_of(value: Any, allowed: frozenset[str]) -> str:
    if value not in allowed or type(value) is not str:
        raise _Invalid(f"{json.dumps(value)[:30]} is not one of {', '.join(sorted(allowed))}")
    return value


# -- a question


def thread(value: Any, guild_id: int) -> Thread:
    q = _object(value, "question")
    qid = check_id(q["id"])
    tags = tuple(_str(t) for t in _list(q["tags"]))
    thread_type = q["thread_type"]
    if thread_type is not None:
        _int(thread_type)
    for key in ("body", "title"):
        _str(q[key])
    _int(q["score"]), _int(q["stored_score"])
    question = QuestionRow(
        qid, guild_id, check_id(q["channel_id"]), q["title"], check_id(q["author_id"]), _opt_id(q["starter_id"]),
        _one_of(q["status"], _STATUSES), _opt_id(q["accepted_answer_id"]), _opt_id(q["duplicate_of"]), tags,
        _time(q["created_at"]), _time(q["updated_at"]), _opt_time(q["deleted_at"]), _opt_id(q["accepted_by"]),
        _opt_time(q["accepted_at"]), thread_type,
    )  # fmt: skip
    record = Thread(question, [], [], [_revision(r, qid, "title") for r in _list(q["title_revisions"])])
    if q["starter"] is not None:
        _post(q["starter"], "post", record)
    for answer in _list(q["answers"]):
        _post(answer, "answer", record)
        _bool(answer["accepted"]), _bool(answer["deleted"])
        for reply in _list(answer["replies"]):
            _post(reply, "reply", record)
    for key in ("replies", "other_posts"):
        for p in _list(q[key]):
            _post(p, "post", record)
    return record


def _post(value: Any, definition: str, record: Thread) -> None:
    p = _object(value, definition)
    pid = check_id(p["id"])
    question = record.question
    _int(p["score"])
    attachments = tuple(_attachment(a) for a in _list(p["attachments"]))
    record.posts.append(PostRow(
        pid, question.id, question.guild_id, _one_of(p["kind"], _KINDS), _opt_id(p["parent_id"]),
        _opt_id(p["reply_to_id"]), check_id(p["author_id"]), _str(p["body"]), attachments, _time(p["created_at"]),
        _opt_time(p["edited_at"]), _opt_time(p["deleted_at"]),
    ))  # fmt: skip
    for v in _list(p["votes"]):
        v = _object(v, "vote")
        value = v["value"]
        if type(value) is not int or value not in (-1, 0, 1):
            raise _Invalid(f"vote value {json.dumps(value)[:30]} is not -1, 0 or 1")
        record.votes.append(VoteRow(pid, check_id(v["voter_id"]), question.guild_id, value, _time(v["at"]),
                                    _one_of(v["via"], _VIAS)))  # fmt: skip
    record.revisions.extend(_revision(r, pid, "body") for r in _list(p["revisions"]))


def _revision(value: Any, post_id: int, field: str) -> RevisionRow:
    r = _object(value, "revision")
    return RevisionRow(post_id, field, _int(r["number"], 1), _str(r["text"]), _opt_id(r["editor_id"]), _time(r["at"]))


def _attachment(value: Any) -> Attachment:
    a = _object(value, "attachment")
    return Attachment(check_id(a["id"]), _str(a["filename"]), _str(a["url"]), _opt_str(a["content_type"]),
                      _int(a["size"], 0))  # fmt: skip


# -- the guild's other rows


def _settings(value: Any, guild_id: int) -> SettingsRow:
    s = _object(value, "settings")
    return SettingsRow(guild_id, _opt_id(s["forum_channel_id"]), _opt_id(s["moderator_role_id"]),
                       _str(s["upvote_emoji"]), _str(s["downvote_emoji"]), _int(s["daily_vote_cap"], 0),
                       _time(s["updated_at"]),
                       # Files from before the follow-ups lack them: the defaults, as for a new server.
                       _hours(s.get("idle_nudge_hours", DEFAULT_HOURS)),
                       _hours(s.get("archive_after_accept_hours", DEFAULT_HOURS)))  # fmt: skip


def _web(value: Any, guild_id: int) -> WebGuildRow:
    w = _object(value, "web")
    return WebGuildRow(guild_id, _str(w["name"]), _time(w["updated_at"]))


def _web_channel(value: Any, guild_id: int) -> WebChannelRow:
    c = _object(value, "web_channel")
    readable = c["everyone_can_read"]
    return WebChannelRow(check_id(c["channel_id"]), guild_id, None if readable is None else _bool(readable),
                         _bool(c["published"]), _opt_id(c["published_by"]), _opt_time(c["published_at"]),
                         _time(c["updated_at"]))  # fmt: skip


def _user(value: Any, guild_id: int) -> MemberRow | None:
    u = _object(value, "user")
    _int(u["reputation"], 1)
    stored = u["stored_reputation"]
    if stored is not None:
        _int(stored)
    return MemberRow(guild_id, check_id(u["id"])) if stored is not None else None


def _name(value: Any, guild_id: int) -> NameRow:
    n = _object(value, "name")
    return NameRow(
        guild_id, _one_of(n["kind"], _NAME_KINDS), check_id(n["id"]), _str(n["name"]), _time(n["updated_at"])
    )


def _web_privacy(value: Any, guild_id: int) -> WebPrivacyRow:
    p = _object(value, "web_privacy")
    return WebPrivacyRow(guild_id, check_id(p["user_id"]), _bool(p["hidden"]), _time(p["at"]))


def _audit(value: Any, guild_id: int) -> AuditRow:
    e = _object(value, "audit_entry")
    return AuditRow(check_id(e["id"]), guild_id, check_id(e["actor_id"]), _str(e["action"]), _opt_id(e["target_id"]),
                    _opt_str(e["reason"]), _time(e["at"]))  # fmt: skip


LISTS = {
    "web_channels": ("web_channel", _web_channel),
    "questions": ("question", thread),
    "deleted_questions": ("question", thread),
    "users": ("user", _user),
    "names": ("name", _name),
    "web_privacy": ("web_privacy", _web_privacy),
    "audit_log": ("audit_entry", _audit),
}
GUILD_KEYS = ("format", "guild_id", "settings", "web", *LISTS)
