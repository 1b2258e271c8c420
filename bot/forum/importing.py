"""`quorum import`'s reading of an export ("quorum-export/2", docs/export.md): the document streamed
(ijson's events: the guild's object and its lists walked an event at a time, each value in them built
whole, so memory holds one question, never the document), every value checked against the format's
schema (bot/forum/export_schema.json), and turned into the rows the store keeps, one question (with
its posts, votes and revisions) at a time.

The checks run on every value the file holds, so they are written out by hand: jsonschema takes about
4 ms for one question of the benchmark's forum, which would be 15 minutes for a million posts. These
checks are the schema's (exact key sets, types, id and time patterns, enums, minimums; a test holds
them to jsonschema's verdicts), plus what the schema cannot say: an id is a snowflake (1 to 2**63 - 1).
When one fails, jsonschema is asked about that value alone, for a message that names the place.

Rows carry the store's units: ids as ints, times as unix milliseconds. Scores and reputation are not
read: the importer recounts them from the votes and acceptances, as `quorum recount` would.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache, partial
from typing import Any, BinaryIO, NamedTuple

import ijson

from .exporting import FORMAT, export_schema
from .followups import DEFAULT_HOURS, MAX_HOURS
from .ids import MAX_SNOWFLAKE
from .models import Attachment

try:  # yajl's C parser, in ijson's wheels for the common platforms
    _IJSON = ijson.get_backend("yajl2_c")
except ImportError:  # elsewhere ijson's best other backend: slower, the same events
    _IJSON = ijson
_BUFFER = 1 << 16  # bytes ijson reads at a time


class ImportRefused(Exception):
    """The file cannot be imported; the message (one line) says why. Nothing of it is written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- rows (NamedTuples: named, and usable as SQL parameters as they are)


class QuestionRow(NamedTuple):
    id: int
    guild_id: int
    channel_id: int
    title: str
    author_id: int
    starter_id: int | None
    status: str
    accepted_answer_id: int | None
    duplicate_of: int | None
    tags: tuple[str, ...]
    created_at: int
    updated_at: int
    deleted_at: int | None
    accepted_by: int | None
    accepted_at: int | None
    thread_type: int | None


class PostRow(NamedTuple):
    id: int
    question_id: int
    guild_id: int
    kind: str
    parent_id: int | None
    reply_to_id: int | None
    author_id: int
    body: str
    attachments: tuple[Attachment, ...]
    created_at: int
    edited_at: int | None
    deleted_at: int | None


class VoteRow(NamedTuple):
    post_id: int
    voter_id: int
    guild_id: int
    value: int
    at: int
    via: str


class RevisionRow(NamedTuple):
    post_id: int  # the thread id for a title revision
    field: str
    number: int
    text: str
    editor_id: int | None
    at: int


class Thread(NamedTuple):
    question: QuestionRow
    posts: list[PostRow]
    votes: list[VoteRow]
    revisions: list[RevisionRow]


class SettingsRow(NamedTuple):
    guild_id: int
    forum_channel_id: int | None
    moderator_role_id: int | None
    upvote_emoji: str
    downvote_emoji: str
    daily_vote_cap: int
    updated_at: int
    idle_nudge_hours: int
    archive_after_accept_hours: int


class WebGuildRow(NamedTuple):
    guild_id: int
    name: str
    updated_at: int


class WebChannelRow(NamedTuple):
    channel_id: int
    guild_id: int
    everyone_can_read: bool | None
    published: bool
    published_by: int | None
    published_at: int | None
    updated_at: int


class MemberRow(NamedTuple):
    """A member the store kept a reputation counter for (its value is recounted, not read)."""

    guild_id: int
    user_id: int


class NameRow(NamedTuple):
    guild_id: int
    kind: str
    id: int
    name: str
    updated_at: int


class WebPrivacyRow(NamedTuple):
    guild_id: int
    user_id: int
    hidden: bool
    at: int


class AuditRow(NamedTuple):
    id: int
    guild_id: int
    actor_id: int
    action: str
    target_id: int | None
    reason: str | None
    at: int


class GuildBegins(NamedTuple):
    guild_id: int


class GuildEnds(NamedTuple):
    guild_id: int


# -- the document


def read_export(file: BinaryIO, only_guild: int | None = None) -> Iterator[NamedTuple]:
    """The rows of every guild of the document (of `only_guild` alone when given), in document order,
    each guild between GuildBegins and GuildEnds. Raises ImportRefused at the first thing that is
    wrong; `only_guild` not in the file is refused at the end."""
    events = _IJSON.basic_parse(file, use_float=True, buf_size=_BUFFER)
    try:
        first, _ = next(events)
        if first == "start_array":
            found = False
            for event, _ in events:
                if event == "end_array":
                    break
                found = (yield from _guild(events, event, only_guild)) or found
        elif first == "start_map":
            found = yield from _guild(events, first, only_guild)
        else:
            raise ImportRefused("not a Quorum export: the file does not hold a JSON object or list")
        next(events, None)  # the end of the file (ijson refuses anything after the document)
    except ijson.JSONError as exc:
        raise ImportRefused(f"not JSON: {_json_error(exc, file)}") from None
    if only_guild is not None and not found:
        raise ImportRefused(f"guild {only_guild} is not in the file")


def _guild(events: Iterator[tuple[str, Any]], first: str, only_guild: int | None) -> Iterator[NamedTuple]:
    """One guild's object, from its first event on; returns whether it was imported."""
    if first != "start_map":
        raise ImportRefused("not a Quorum export: a list item is not a guild's object")
    keys = _keys(events)
    if next(keys, None) != "format":
        raise ImportRefused(
            "no format version: this is not a quorum-export/2 file (version 1 has no `format` and no "
            "votes, so it cannot be imported losslessly; export again with this Quorum)"
        )
    version = _value(events)
    if version != FORMAT:
        shown = json.dumps(version)[:40]
        raise ImportRefused(f"format {shown} cannot be imported: only {FORMAT} can (version 1 lacks the votes)")
    if next(keys, None) != "guild_id":
        raise ImportRefused("`guild_id` must follow `format` (as `quorum export` writes it)")
    guild_id = _checked(_id, _value(events), "id", "guild_id")
    wanted = only_guild is None or only_guild == guild_id
    if wanted:
        yield GuildBegins(guild_id)
    seen = {"format", "guild_id"}
    for key in keys:
        if key in seen or key not in _GUILD_KEYS:
            raise ImportRefused(f"guild {guild_id}: {'repeated' if key in seen else 'unknown'} key `{key}`")
        seen.add(key)
        shape = _LISTS.get(key)
        event, value = next(events)
        if shape is None or event != "start_array":
            value = _built(events, event, value)
            if wanted:
                yield from _single(key, value, guild_id)
            continue
        definition, convert = shape
        n = 0
        for event, value in events:
            if event == "end_array":
                break
            value = _built(events, event, value)
            row = _checked(partial(convert, guild_id=guild_id), value, definition, f"{key}[{n}]") if wanted else None
            if row is not None:  # a user without a counter has no row
                yield row
            n += 1
    if missing := [k for k in _GUILD_KEYS if k not in seen]:
        raise ImportRefused(f"guild {guild_id}: missing `{missing[0]}`")
    if wanted:
        yield GuildEnds(guild_id)
    return wanted


def _keys(events: Iterator[tuple[str, Any]]) -> Iterator[str]:
    """An object's keys, its start already taken: the caller takes each key's value before the next."""
    for event, value in events:
        if event == "end_map":
            return
        yield value  # ijson's events inside an object alternate: map_key, then the value's events


def _value(events: Iterator[tuple[str, Any]]) -> Any:
    event, value = next(events)
    return _built(events, event, value)


def _built(events: Iterator[tuple[str, Any]], event: str, value: Any) -> Any:
    """The value that begins with this event, built from the events that follow it. (ijson's
    ObjectBuilder does the same with a method call per event: 2.3 times as long on a 151 MB export.)"""
    if event == "start_map":
        top: Any = {}
    elif event == "start_array":
        top = []
    else:
        return value
    stack, key = [top], None
    for event, value in events:
        if event == "map_key":
            key = value
            continue
        if event == "end_map" or event == "end_array":
            stack.pop()
            if not stack:
                return top
            continue
        if event == "start_map":
            value = {}
        elif event == "start_array":
            value = []
        parent = stack[-1]
        if type(parent) is dict:
            parent[key] = value
        else:
            parent.append(value)
        if event == "start_map" or event == "start_array":
            stack.append(value)
    raise ImportRefused("not JSON: the file ends inside a value")  # (ijson says so first)


def _json_error(exc: ijson.JSONError, file: BinaryIO) -> str:
    """ijson's message on one line: yajl's first line and the text it points at, and the stretch of the
    file it was reading (yajl gives no offset; ijson's pure-Python backend names one itself)."""
    text = str(exc)
    if text.startswith(("b'", 'b"')):  # yajl's message about bytes that are not UTF-8 comes as a bytes repr
        text = ast.literal_eval(text).decode("utf-8", "replace")
    message, _, rest = text.partition("\n")
    near = rest.partition("\n")[0].strip()
    read = file.tell()
    where = f"in bytes {max(0, read - _BUFFER):,} to {read:,}"
    return f"{message.strip().rstrip('.')}{f' near {near[:60]!r}' if near else ''} ({where})"


def _single(key: str, value: Any, guild_id: int) -> Iterator[NamedTuple]:
    if key == "settings" and value is not None:
        yield _checked(lambda v: _settings(v, guild_id), value, "settings", key)
    elif key == "web" and value is not None:
        yield _checked(lambda v: _web(v, guild_id), value, "web", key)
    elif key not in ("settings", "web"):
        raise ImportRefused(f"guild {guild_id}: `{key}` must be a list")


def _checked(convert, value: Any, definition: str, where: str):
    """convert(value), or ImportRefused naming the first problem (jsonschema's words when it sees one)."""
    try:
        return convert(value)
    except (_Invalid, TypeError, ValueError, KeyError, AttributeError) as exc:
        found = _schema_error(value, definition)
        if found is None:  # what the schema cannot say (a snowflake's range), in the checks' own words
            found = ("", exc.message if isinstance(exc, _Invalid) else "does not match the export schema")
        place, message = found
        raise ImportRefused(f"{where}{place}: {message}"[:300]) from None


@cache
def _validator(definition: str):
    from jsonschema import Draft202012Validator  # only when a file is refused: the checks below run first

    return Draft202012Validator({"$defs": export_schema()["$defs"], "$ref": f"#/$defs/{definition}"})


def _schema_error(value: Any, definition: str) -> tuple[str, str] | None:
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


def _id(value: Any) -> int:
    if type(value) is not str or not (value.isascii() and value.isdigit()):
        raise _Invalid(f"{json.dumps(value)[:30]} is not an id (a string of digits)")
    if len(value.lstrip("0")) > _MAX_DIGITS or not 0 < int(value) <= MAX_SNOWFLAKE:
        raise _Invalid(f"{value[:25]} is not a snowflake (ids are numbers from 1 to {MAX_SNOWFLAKE})")
    return int(value)


def _opt_id(value: Any) -> int | None:
    return None if value is None else _id(value)


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
    qid = _id(q["id"])
    tags = tuple(_str(t) for t in _list(q["tags"]))
    thread_type = q["thread_type"]
    if thread_type is not None:
        _int(thread_type)
    for key in ("body", "title"):
        _str(q[key])
    _int(q["score"]), _int(q["stored_score"])
    question = QuestionRow(
        qid, guild_id, _id(q["channel_id"]), q["title"], _id(q["author_id"]), _opt_id(q["starter_id"]),
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
    pid = _id(p["id"])
    question = record.question
    _int(p["score"])
    attachments = tuple(_attachment(a) for a in _list(p["attachments"]))
    record.posts.append(PostRow(
        pid, question.id, question.guild_id, _one_of(p["kind"], _KINDS), _opt_id(p["parent_id"]),
        _opt_id(p["reply_to_id"]), _id(p["author_id"]), _str(p["body"]), attachments, _time(p["created_at"]),
        _opt_time(p["edited_at"]), _opt_time(p["deleted_at"]),
    ))  # fmt: skip
    for v in _list(p["votes"]):
        v = _object(v, "vote")
        value = v["value"]
        if type(value) is not int or value not in (-1, 0, 1):
            raise _Invalid(f"vote value {json.dumps(value)[:30]} is not -1, 0 or 1")
        record.votes.append(VoteRow(pid, _id(v["voter_id"]), question.guild_id, value, _time(v["at"]),
                                    _one_of(v["via"], _VIAS)))  # fmt: skip
    record.revisions.extend(_revision(r, pid, "body") for r in _list(p["revisions"]))


def _revision(value: Any, post_id: int, field: str) -> RevisionRow:
    r = _object(value, "revision")
    return RevisionRow(post_id, field, _int(r["number"], 1), _str(r["text"]), _opt_id(r["editor_id"]), _time(r["at"]))


def _attachment(value: Any) -> Attachment:
    a = _object(value, "attachment")
    return Attachment(_id(a["id"]), _str(a["filename"]), _str(a["url"]), _opt_str(a["content_type"]),
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
    return WebChannelRow(_id(c["channel_id"]), guild_id, None if readable is None else _bool(readable),
                         _bool(c["published"]), _opt_id(c["published_by"]), _opt_time(c["published_at"]),
                         _time(c["updated_at"]))  # fmt: skip


def _user(value: Any, guild_id: int) -> MemberRow | None:
    u = _object(value, "user")
    _int(u["reputation"], 1)
    stored = u["stored_reputation"]
    if stored is not None:
        _int(stored)
    return MemberRow(guild_id, _id(u["id"])) if stored is not None else None


def _name(value: Any, guild_id: int) -> NameRow:
    n = _object(value, "name")
    return NameRow(guild_id, _one_of(n["kind"], _NAME_KINDS), _id(n["id"]), _str(n["name"]), _time(n["updated_at"]))


def _web_privacy(value: Any, guild_id: int) -> WebPrivacyRow:
    p = _object(value, "web_privacy")
    return WebPrivacyRow(guild_id, _id(p["user_id"]), _bool(p["hidden"]), _time(p["at"]))


def _audit(value: Any, guild_id: int) -> AuditRow:
    e = _object(value, "audit_entry")
    return AuditRow(_id(e["id"]), guild_id, _id(e["actor_id"]), _str(e["action"]), _opt_id(e["target_id"]),
                    _opt_str(e["reason"]), _time(e["at"]))  # fmt: skip


_LISTS = {
    "web_channels": ("web_channel", _web_channel),
    "questions": ("question", thread),
    "deleted_questions": ("question", thread),
    "users": ("user", _user),
    "names": ("name", _name),
    "web_privacy": ("web_privacy", _web_privacy),
    "audit_log": ("audit_entry", _audit),
}
_GUILD_KEYS = ("format", "guild_id", "settings", "web", *_LISTS)
