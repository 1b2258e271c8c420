"""TEMP stand-in for the Discord markdown renderer (web-md brings the real one): the same interface,
escaping only, so the pages can be built and tested before it lands."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from markupsafe import Markup, escape

_USER = re.compile(r"<@!?(\d{1,20})>")
_ROLE = re.compile(r"<@&(\d{1,20})>")
_CHANNEL = re.compile(r"<#(\d{1,20})>")


@dataclass(frozen=True, slots=True)
class MentionNames:
    users: Mapping[int, str] = field(default_factory=dict)
    roles: Mapping[int, str] = field(default_factory=dict)
    channels: Mapping[int, str] = field(default_factory=dict)


def mention_ids(text: str) -> tuple[set[int], set[int], set[int]]:
    return (
        {int(m) for m in _USER.findall(text)},
        {int(m) for m in _ROLE.findall(text)},
        {int(m) for m in _CHANNEL.findall(text)},
    )


def _names(text: str, names: MentionNames) -> str:
    text = _USER.sub(lambda m: "@" + names.users.get(int(m.group(1)), "unknown member"), text)
    text = _ROLE.sub(lambda m: "@" + names.roles.get(int(m.group(1)), "unknown role"), text)
    return _CHANNEL.sub(lambda m: "#" + names.channels.get(int(m.group(1)), "unknown channel"), text)


def render(text: str, names: MentionNames) -> Markup:
    paragraphs = [p for p in _names(text, names).split("\n\n") if p.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(map(escape, p.split("\n")))) for p in paragraphs
    )


def render_inline(text: str, names: MentionNames) -> Markup:
    return escape(_names(text, names))


def plain_text(text: str, names: MentionNames, limit: int | None = None) -> str:
    plain = " ".join(_names(text, names).split())
    if limit is not None and len(plain) > limit:
        plain = plain[: max(0, limit - 1)].rstrip() + "…"
    return plain
