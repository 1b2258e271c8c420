"""The rules for a new question: what a title, body and tags may be. Pure functions."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import BadInput

MAX_TITLE = 100  # Discord's thread name limit
MIN_TITLE = 5
MAX_BODY = 4000  # a modal's text input limit; the starter shows it in an embed (4096)
MAX_TAGS = 5  # Discord's limit of tags on one forum post
MAX_FREE_TAG = 20  # text channels have no tag list; keep free tags short


@dataclass(frozen=True, slots=True)
class Draft:
    title: str
    body: str
    tags: tuple[str, ...]


def check_draft(title: str, body: str, tags_text: str | None, available: Sequence[str] | None) -> Draft:
    """Validate a question; `available` is the forum's tag list, or None where tags are free-form."""
    title = " ".join(title.split())  # newlines and runs of spaces make no sense in a thread name
    if len(title) < MIN_TITLE:
        raise BadInput(f"Give your question a title of at least {MIN_TITLE} characters.")
    if len(title) > MAX_TITLE:
        raise BadInput(f"Titles are at most {MAX_TITLE} characters; yours has {len(title)}.")
    body = body.strip()
    if not body:
        raise BadInput("Your question needs a body: what did you try, and what happened?")
    if len(body) > MAX_BODY:
        raise BadInput(f"The body is at most {MAX_BODY} characters; yours has {len(body)}.")
    return Draft(title=title, body=body, tags=check_tags(tags_text, available))


def check_tags(tags_text: str | None, available: Sequence[str] | None) -> tuple[str, ...]:
    wanted = [t.strip() for t in (tags_text or "").split(",") if t.strip()]
    tags: list[str] = []
    for tag in wanted:
        name = _match(tag, available) if available is not None else _free_tag(tag)
        if name.casefold() not in (t.casefold() for t in tags):
            tags.append(name)
    if len(tags) > MAX_TAGS:
        raise BadInput(f"At most {MAX_TAGS} tags per question; you gave {len(tags)}.")
    return tuple(tags)


def _match(tag: str, available: Sequence[str]) -> str:
    by_fold = {a.casefold(): a for a in available}
    if tag.casefold() in by_fold:
        return by_fold[tag.casefold()]
    if not available:
        raise BadInput("This forum has no tags; ask without `tags`.")
    close = difflib.get_close_matches(tag.casefold(), list(by_fold), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(repr(by_fold[c]) for c in close)}?" if close else ""
    listed = ", ".join(sorted(available, key=str.casefold))
    raise BadInput(f"There is no tag {tag[:40]!r} here.{hint} Tags: {listed}.")


def _free_tag(tag: str) -> str:
    if len(tag) > MAX_FREE_TAG:
        raise BadInput(f"Tags are at most {MAX_FREE_TAG} characters; {tag[:40]!r} is longer.")
    return tag.lower()
