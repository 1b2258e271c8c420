"""`quorum import`'s reading of an export ("quorum-export/2", docs/export.md), a question at a time:
memory holds one question (with its posts, votes and revisions), never the document. Every value is
checked against the format's schema and turned into the rows the store keeps
(bot/forum/import_checks.py, bot/forum/import_rows.py).

Two readers of the document give the same guild members to the same checks:
- the lines reader, for the layout `quorum export` writes (bot/export.py: the guild's keys and every
  list item each on a line of their own): each line is decoded whole by orjson. At the benchmark's
  forum this reads a question in a third of the event reader's time.
- the events reader, for any other layout of the same JSON (indented, on one line, edited by hand):
  ijson's events, each value of the guild's lists built whole from them.
The lines reader stops with NotFramed at the first line the exporter would not have written, rows
already given or not; the caller then undoes what it wrote and reads the file again with
`framed=False` (db/import_writes.py). A file that is not JSON at all is refused by the events reader,
whose messages say where.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from functools import partial
from typing import Any, BinaryIO, NamedTuple

import ijson
import orjson

from .exporting import FORMAT
from .import_checks import GUILD_KEYS, LISTS, check_id, checked, single_rows
from .import_rows import GuildBegins, GuildEnds, ImportRefused

try:  # yajl's C parser, in ijson's wheels for the common platforms
    _IJSON = ijson.get_backend("yajl2_c")
except ImportError:  # elsewhere ijson's best other backend: slower, the same events
    _IJSON = ijson
_BUFFER = 1 << 16  # bytes ijson reads at a time
_LONGEST_LINE = 1 << 26  # a longer line (a document on one line) is left to the events reader


class NotFramed(Exception):
    """The file is not laid out as `quorum export` writes it: read it again with framed=False."""


class _Streamed(NamedTuple):
    """A guild's list whose items are read one at a time (the caller takes them all before the next key)."""

    items: Iterator[Any]


Members = Iterator[tuple[str, Any]]  # a guild's keys with their values, or _Streamed for its lists


def read_export(file: BinaryIO, only_guild: int | None = None, *, framed: bool = False) -> Iterator[NamedTuple]:
    """The rows of every guild of the document (of `only_guild` alone when given), in document order,
    each guild between GuildBegins and GuildEnds. Raises ImportRefused at the first thing that is
    wrong (`only_guild` not in the file: at the end), and with `framed` NotFramed as said above."""
    found = False
    try:
        for members in _framed_guilds(file) if framed else _event_guilds(file):
            found = (yield from _guild(members, only_guild)) or found
    except ijson.JSONError as exc:  # raised wherever the events are read, in the guild's values too
        raise ImportRefused(f"not JSON: {_json_error(exc, file)}") from None
    if only_guild is not None and not found:
        raise ImportRefused(f"guild {only_guild} is not in the file")


def _guild(members: Members, only_guild: int | None) -> Iterator[NamedTuple]:
    """One guild's object; returns whether it was imported."""
    key, version = next(members, (None, None))
    if key != "format":
        raise ImportRefused(
            "no format version: this is not a quorum-export/2 file (version 1 has no `format` and no "
            "votes, so it cannot be imported losslessly; export again with this Quorum)"
        )
    if version != FORMAT:
        shown = json.dumps(version)[:40]
        raise ImportRefused(f"format {shown} cannot be imported: only {FORMAT} can (version 1 lacks the votes)")
    key, value = next(members, (None, None))
    if key != "guild_id":
        raise ImportRefused("`guild_id` must follow `format` (as `quorum export` writes it)")
    guild_id = checked(check_id, value, "id", "guild_id")
    wanted = only_guild is None or only_guild == guild_id
    if wanted:
        yield GuildBegins(guild_id)
    seen = {"format", "guild_id"}
    for key, value in members:
        if key in seen or key not in GUILD_KEYS:
            raise ImportRefused(f"guild {guild_id}: {'repeated' if key in seen else 'unknown'} key `{key}`")
        seen.add(key)
        if not isinstance(value, _Streamed):
            if wanted:
                yield from single_rows(key, value, guild_id)
            continue
        definition, convert = LISTS[key]
        convert = partial(convert, guild_id=guild_id)
        for n, item in enumerate(value.items):
            row = checked(convert, item, definition, f"{key}[{n}]") if wanted else None
            if row is not None:  # a user without a counter has no row
                yield row
    if missing := [k for k in GUILD_KEYS if k not in seen]:
        raise ImportRefused(f"guild {guild_id}: missing `{missing[0]}`")
    if wanted:
        yield GuildEnds(guild_id)
    return wanted


# -- the lines reader


_KEY = re.compile(rb'"([a-z_]{1,40})":')


def _framed_guilds(file: BinaryIO) -> Iterator[Members]:
    first = _line(file)
    if first == b"[]\n":
        guilds_follow = False
    elif first == b"[\n":
        guilds_follow = True
    else:
        guilds_follow = None  # one guild's object, begun on this line
    line = first
    while guilds_follow is not False:
        if guilds_follow is not None:
            line = _line(file)
        ends = _GuildEnd()
        yield _framed_members(file, line, ends)  # (read to its end by the caller before it asks for more)
        if guilds_follow is None:
            if ends.more_guilds:
                raise NotFramed
            break
        if not ends.more_guilds:
            if _line(file) != b"]\n":
                raise NotFramed
            break
    if file.read(1):
        raise NotFramed


class _GuildEnd:
    more_guilds: bool | None = None  # after the guild's closing brace: a comma (another guild follows)


def _framed_members(file: BinaryIO, header: bytes, ends: _GuildEnd) -> Members:
    """`{"format":…,"guild_id":…,` on the first line, then one key per line: its value on the same
    line, or `[` and its items each on a line, closed by `]` on a line of its own."""
    if not (header.startswith(b'{"format":') and header.endswith(b",\n")):
        raise NotFramed
    opening = _decoded(header[:-2] + b"}")
    if not isinstance(opening, dict) or list(opening) != ["format", "guild_id"]:
        raise NotFramed
    yield "format", opening["format"]
    yield "guild_id", opening["guild_id"]
    while True:
        line = _line(file)
        key_match = _KEY.match(line)
        if key_match is None:
            raise NotFramed
        key, rest = key_match[1].decode(), line[key_match.end() :]
        if rest == b"[\n" and key in LISTS:
            closing: list[bytes] = []
            yield key, _Streamed(_framed_items(file, closing))
            after = closing[0] if closing else None
        else:
            value, after = _value_and_after(rest)
            yield key, _Streamed(iter(value)) if key in LISTS and isinstance(value, list) else value
        if after == b",\n":
            continue
        if after in (b"}\n", b"},\n"):
            ends.more_guilds = after == b"},\n"
            return
        raise NotFramed


def _framed_items(file: BinaryIO, closing: list[bytes]) -> Iterator[Any]:
    """A list's items, one per line (a comma ending every line but the last), then its `]` line,
    whose rest (`,`, `}` or `},`) is put in `closing`."""
    while True:
        line = _line(file)
        if line.startswith(b"]"):
            closing.append(line[1:])
            return
        more = line.endswith(b",\n")
        yield _decoded(line[:-2] if more else line[:-1])
        if not more:
            line = _line(file)
            if not line.startswith(b"]"):
                raise NotFramed
            closing.append(line[1:])
            return


def _value_and_after(rest: bytes) -> tuple[Any, bytes]:
    """A value on the line of its key, and what follows it: `,` (another key), `}` or `},` (the
    guild's end). JSON being unambiguous, at most one way of cutting the line decodes."""
    for after in (b",\n", b"},\n", b"}\n"):
        if rest.endswith(after):
            try:
                return orjson.loads(rest[: -len(after)]), after
            except orjson.JSONDecodeError:
                continue
    raise NotFramed


def _decoded(text: bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        raise NotFramed from None


def _line(file: BinaryIO) -> bytes:
    line = file.readline(_LONGEST_LINE)
    if not line.endswith(b"\n"):
        raise NotFramed  # the end of the file, or a line too long to hold
    return line


# -- the events reader


def _event_guilds(file: BinaryIO) -> Iterator[Members]:
    events = _IJSON.basic_parse(file, use_float=True, buf_size=_BUFFER)
    first, _ = next(events)
    if first == "start_array":
        for event, _ in events:
            if event == "end_array":
                break
            if event != "start_map":
                raise ImportRefused("not a Quorum export: a list item is not a guild's object")
            yield _event_members(events)
    elif first == "start_map":
        yield _event_members(events)
    else:
        raise ImportRefused("not a Quorum export: the file does not hold a JSON object or list")
    next(events, None)  # the end of the file (ijson refuses anything after the document)


def _event_members(events: Iterator[tuple[str, Any]]) -> Members:
    """An object's keys with their values, its start already taken; a list of LISTS is streamed."""
    for event, key in events:
        if event == "end_map":
            return
        event, value = next(events)  # ijson's events in an object alternate: map_key, then the value's
        if key in LISTS and event == "start_array":
            yield key, _Streamed(_event_items(events))
        else:
            yield key, _built(events, event, value)


def _event_items(events: Iterator[tuple[str, Any]]) -> Iterator[Any]:
    for event, value in events:
        if event == "end_array":
            return
        yield _built(events, event, value)


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
