"""Discord markdown as a member sees it, written as safe HTML for the web pages, or as plain text.

No HTML from a message reaches the page as HTML: the text is parsed into a tree (md_blocks,
md_inline), every piece of text is escaped as it is written, and the result goes through nh3 with
an allow-list of exactly what this module writes. Only http(s) URLs become links. Mentions show
names (the caller supplies them, already anonymised), never ids.

The page's stylesheet gives the classes written here their looks: `.spoiler` hidden until
`:hover`/`:focus` (no script needed), `.mention`, `img.emoji`, `p.subtext`, `code[class^=language-]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from html import escape

import markupsafe
import nh3

from web.md_blocks import parse_blocks
from web.md_inline import parse_inline

__all__ = ["MentionNames", "mention_ids", "render", "render_inline", "plain_text"]


class FrozenMap(Mapping[int, str]):
    """A read-only mapping that can be hashed, so MentionNames can key a cache."""

    __slots__ = ("_items", "_hash")

    def __init__(self, items: Mapping[int, str] | None = None):
        self._items = dict(items or {})
        self._hash: int | None = None

    def __getitem__(self, key: int) -> str:
        return self._items[key]

    def __iter__(self) -> Iterator[int]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._items.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"


@dataclass(frozen=True, slots=True)
class MentionNames:
    """The names mentions show: the caller has already mapped hidden members to "someone"."""

    users: Mapping[int, str] = field(default_factory=FrozenMap)
    roles: Mapping[int, str] = field(default_factory=FrozenMap)
    channels: Mapping[int, str] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        for name in ("users", "roles", "channels"):
            value = getattr(self, name)
            if not isinstance(value, FrozenMap):
                object.__setattr__(self, name, FrozenMap(value))


_UNKNOWN = {"user": "@unknown member", "role": "@unknown role", "channel": "#unknown channel"}
_SIGIL = {"user": "@", "role": "@", "channel": "#"}
_TAGS = {"strong": "strong", "em": "em", "u": "u", "s": "s"}
# A post's headings come below the page's own h1 and h2, and never skip a level (an outline with a gap
# misleads screen readers): the levels a post uses, largest first, become h3, h4, h5, and a heading is
# at most one level below the one before it.
_HEADING_LEVELS = (3, 4, 5)
_CONTROLS = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# The second fence: exactly the tags, attributes and classes written below.
_CLASSES = {"span": {"spoiler", "mention"}, "img": {"emoji"}, "p": {"subtext"}}
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+\-.#]{1,32}")
_DATETIME = re.compile(r"-?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _allow_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        if tag == "code":
            return value if _LANGUAGE_CLASS.fullmatch(value) else None
        return value if value in _CLASSES.get(tag, ()) else None
    if attribute == "tabindex":
        return value if value == "0" else None
    if attribute in ("start", "width", "height"):
        return value if value.isdigit() and len(value) <= 9 else None
    if attribute == "datetime":
        return value if _DATETIME.fullmatch(value) else None
    return value


_LINK_REL = "nofollow ugc noopener noreferrer"
_REL = f'rel="{_LINK_REL}"'  # written here too, so nh3 has nothing to change in what is written
_CLEANER = nh3.Cleaner(
    tags=set("p br strong em u s span code pre blockquote h3 h4 h5 small ul ol li a img time".split()),
    clean_content_tags=set(),
    attributes={
        "a": {"href", "title"},
        "img": {"src", "alt", "title", "class", "width", "height", "loading"},
        "span": {"class", "tabindex"},
        "code": {"class"},
        "p": {"class"},
        "ol": {"start"},
        "time": {"datetime", "title"},
    },
    attribute_filter=_allow_attribute,
    link_rel=_LINK_REL,
    url_schemes={"http", "https"},
    url_relative="deny",
    strip_comments=True,
)


def _attr(value: str) -> str:
    return escape(value, quote=True)


@lru_cache(maxsize=8192)
def _tree(text: str) -> tuple[tuple, tuple[frozenset[int], frozenset[int], frozenset[int]]]:
    """The parsed blocks of a message and the ids it mentions (the parse does not depend on names)."""
    blocks = parse_blocks(_clean_input(text))
    found: dict[str, set[int]] = {"user": set(), "role": set(), "channel": set()}
    _collect_mentions(blocks, found)
    return blocks, (frozenset(found["user"]), frozenset(found["role"]), frozenset(found["channel"]))


@lru_cache(maxsize=4096)
def _inline_tree(text: str) -> tuple[tuple, tuple[frozenset[int], frozenset[int], frozenset[int]]]:
    nodes = parse_inline(_clean_input(text), blocks=False)
    found: dict[str, set[int]] = {"user": set(), "role": set(), "channel": set()}
    _collect_mentions(nodes, found)
    return nodes, (frozenset(found["user"]), frozenset(found["role"]), frozenset(found["channel"]))


def _clean_input(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROLS)


def _collect_mentions(nodes: tuple, found: dict[str, set[int]]) -> None:
    for node in nodes:
        kind = node[0]
        if kind == "mention":
            found[node[1]].add(node[2])
        elif kind in ("p", "h", "sub", "quote"):
            _collect_mentions(node[-1], found)
        elif kind in ("style", "link"):
            _collect_mentions(node[2], found)
        elif kind == "list":
            for inline, sublists in node[3]:
                _collect_mentions(inline, found)
                _collect_mentions(sublists, found)


def mention_ids(text: str) -> tuple[set[int], set[int], set[int]]:
    """(user ids, role ids, channel ids) mentioned in the text, so the caller can load their names."""
    users, roles, channels = _tree(text)[1]
    return set(users), set(roles), set(channels)


def _relevant(ids: tuple[frozenset[int], frozenset[int], frozenset[int]], names: MentionNames) -> tuple:
    """The names this text needs, as a hashable key: caching on them (not on every name the page
    knows) lets the same post hit the cache from any page."""
    users, roles, channels = ids
    return (
        tuple((i, names.users.get(i)) for i in sorted(users)),
        tuple((i, names.roles.get(i)) for i in sorted(roles)),
        tuple((i, names.channels.get(i)) for i in sorted(channels)),
    )


def render(text: str, names: MentionNames) -> markupsafe.Markup:
    """Discord markdown as a member sees it, as safe HTML (block-level: paragraphs, lists, ...)."""
    return _render_cached(text, _relevant(_tree(text)[1], names))


@lru_cache(maxsize=8192)
def _render_cached(text: str, relevant: tuple) -> markupsafe.Markup:
    out: list[str] = []
    _Writer(relevant).blocks(_tree(text)[0], out)
    return markupsafe.Markup(_CLEANER.clean("".join(out)))


def _heading_levels(blocks: tuple) -> set[int]:
    levels: set[int] = set()
    for block in blocks:
        if block[0] == "h":
            levels.add(block[1])
        elif block[0] == "quote":
            levels |= _heading_levels(block[1])
    return levels


def render_inline(text: str, names: MentionNames) -> markupsafe.Markup:
    """Inline markup only (for titles/snippets): no blocks."""
    return _render_inline_cached(text, _relevant(_inline_tree(text)[1], names))


@lru_cache(maxsize=4096)
def _render_inline_cached(text: str, relevant: tuple) -> markupsafe.Markup:
    out: list[str] = []
    _Writer(relevant).inline(_inline_tree(text)[0], out)
    return markupsafe.Markup(_CLEANER.clean("".join(out)))


def plain_text(text: str, names: MentionNames, limit: int | None = None) -> str:
    """The text a reader sees with markdown removed (mentions as names, emoji as :name:, spoilers
    kept), whitespace collapsed, cut at `limit` characters on a word boundary with an ellipsis:
    for meta descriptions and JSON-LD."""
    blocks, ids = _tree(text)
    out: list[str] = []
    _PlainWriter(_relevant(ids, names)).blocks(blocks, out)
    flat = " ".join("".join(out).split())
    if limit is None or len(flat) <= limit:
        return flat
    if limit <= 1:
        return "…"[:limit]
    cut = flat[: limit - 1]
    if flat[limit - 1] != " " and " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" .,;:!?-") + "…"


def _when(seconds: int) -> datetime | None:
    try:
        return _EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        return None


def _readable(moment: datetime, style: str) -> str:
    hm, hms = f"{moment:%H:%M}", f"{moment:%H:%M:%S}"
    date = f"{_MONTHS[moment.month - 1]} {moment.day}, {moment.year}"
    if style == "t":
        return f"{hm} UTC"
    if style == "T":
        return f"{hms} UTC"
    if style == "d":
        return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    if style == "D":
        return date
    if style == "F":
        return f"{_DAYS[moment.weekday()]}, {date} {hm} UTC"
    return f"{date} {hm} UTC"  # "f", and "R": a relative time would be stale in a cached page


class _Writer:
    """Writes the tree as HTML; every piece of member text goes through escape()."""

    __slots__ = ("names", "headings", "last_heading")

    def __init__(self, relevant: tuple):
        users, roles, channels = relevant
        self.names = {"user": dict(users), "role": dict(roles), "channel": dict(channels)}
        self.headings: dict[int, int] | None = None  # learnt from the whole post, at its first block
        self.last_heading = 2  # the page's own h2 comes before every post

    def name(self, kind: str, ident: int) -> str:
        name = self.names[kind].get(ident)
        return _UNKNOWN[kind] if name is None else _SIGIL[kind] + name

    def blocks(self, blocks: tuple, out: list[str]) -> None:
        if self.headings is None:
            self.headings = dict(zip(sorted(_heading_levels(blocks)), _HEADING_LEVELS, strict=False))
        for block in blocks:
            kind = block[0]
            if kind == "p":
                out.append("<p>")
                self.inline(block[1], out)
                out.append("</p>")
            elif kind == "pre":
                language = f' class="language-{_attr(block[1])}"' if block[1] else ""
                out.append(f"<pre><code{language}>{escape(block[2], quote=False)}</code></pre>")
            elif kind == "quote":
                out.append("<blockquote>")
                self.blocks(block[1], out)
                out.append("</blockquote>")
            elif kind == "h":
                self.last_heading = min(self.headings[block[1]], self.last_heading + 1)
                tag = f"h{self.last_heading}"
                out.append(f"<{tag}>")
                self.inline(block[2], out)
                out.append(f"</{tag}>")
            elif kind == "sub":
                out.append('<p class="subtext"><small>')
                self.inline(block[1], out)
                out.append("</small></p>")
            elif kind == "list":
                self.list(block, out)

    def list(self, block: tuple, out: list[str]) -> None:
        _, ordered, start, items = block
        out.append(("<ol>" if start == 1 else f'<ol start="{start}">') if ordered else "<ul>")
        for inline, sublists in items:
            out.append("<li>")
            self.inline(inline, out)
            for sub in sublists:
                self.list(sub, out)
            out.append("</li>")
        out.append("</ol>" if ordered else "</ul>")

    def inline(self, nodes: tuple, out: list[str]) -> None:
        for node in nodes:
            kind = node[0]
            if kind == "text":
                out.append(escape(node[1], quote=False))
            elif kind == "br":
                out.append("<br>")
            elif kind == "style":
                tag = _TAGS.get(node[1])
                out.append(f"<{tag}>" if tag else '<span class="spoiler" tabindex="0">')
                self.inline(node[2], out)
                out.append(f"</{tag}>" if tag else "</span>")
            elif kind == "code":
                out.append(f"<code>{escape(node[1], quote=False)}</code>")
            elif kind == "link":
                out.append(f'<a href="{_attr(node[1])}" title="{_attr(node[1])}" {_REL}>')
                self.inline(node[2], out)
                out.append("</a>")
            elif kind == "url":
                out.append(f'<a href="{_attr(node[1])}" {_REL}>{escape(node[1], quote=False)}</a>')
            elif kind == "mention":
                out.append(f'<span class="mention">{escape(self.name(node[1], node[2]), quote=False)}</span>')
            elif kind == "command":
                out.append(f'<span class="mention">/{escape(node[1], quote=False)}</span>')
            elif kind == "emoji":
                _, name, ident, animated = node
                src = f"https://cdn.discordapp.com/emojis/{ident}.{'gif' if animated else 'webp'}?size=44"
                alt = _attr(f":{name}:")
                out.append(f'<img class="emoji" src="{src}" alt="{alt}" title="{alt}" width="22" height="22" '
                           'loading="lazy">')  # fmt: skip
            elif kind == "time":
                moment = _when(node[1])
                if moment is None:
                    out.append(escape(f"<t:{node[1]}:{node[2]}>", quote=False))
                else:
                    iso = f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}Z"
                    out.append(f'<time datetime="{iso}" title="{_readable(moment, "F")}">'
                               f"{_readable(moment, node[2])}</time>")  # fmt: skip


class _PlainWriter(_Writer):
    """Writes the tree as the words a reader sees."""

    __slots__ = ()

    def blocks(self, blocks: tuple, out: list[str]) -> None:
        if self.headings is None:
            self.headings = dict(zip(sorted(_heading_levels(blocks)), _HEADING_LEVELS, strict=False))
        for block in blocks:
            kind = block[0]
            if kind == "pre":
                out.append(f" {block[2]} ")
            elif kind == "quote":
                self.blocks(block[1], out)
            elif kind == "list":
                self.list(block, out)
            else:
                self.inline(block[-1], out)
                out.append(" ")

    def list(self, block: tuple, out: list[str]) -> None:
        for inline, sublists in block[3]:
            self.inline(inline, out)
            out.append(" ")
            for sub in sublists:
                self.list(sub, out)

    def inline(self, nodes: tuple, out: list[str]) -> None:
        for node in nodes:
            kind = node[0]
            if kind in ("text", "code", "url"):
                out.append(node[1])
            elif kind == "br":
                out.append(" ")
            elif kind in ("style", "link"):
                self.inline(node[2], out)
            elif kind == "mention":
                out.append(self.name(node[1], node[2]))
            elif kind == "command":
                out.append(f"/{node[1]}")
            elif kind == "emoji":
                out.append(f":{node[1]}:")
            elif kind == "time":
                moment = _when(node[1])
                out.append(f"<t:{node[1]}>" if moment is None else _readable(moment, node[2]))
