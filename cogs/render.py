"""Embeds for the reading commands, built from the forum's read models alone (no store, no I/O), so
every limit can be checked with generated data.

Discord rejects a whole message when any embed limit is exceeded, and it counts lengths in UTF-16
code units, not Python characters (an emoji can be two), so lengths here are measured that way.
Every piece is clipped to a budget of its own, and pages are packed so the sum stays under the total.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import discord

from bot.forum.models import AnswerView, Post, PostKind, Question, QuestionStatus, Revision, ThreadView

T = TypeVar("T")

# Discord's limits.
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000

# Our budgets, well inside them. A page holds the title, a description, up to PER_PAGE fields and a
# footer; PAGE_TOTAL leaves a margin under 6000 for anything Discord might count that we do not.
BODY_EXCERPT = 1500  # the question's text on page 1
COMMENTS_BUDGET = 600  # replies to the question itself, on page 1
DESCRIPTION_BUDGET = 2600  # at most 60 + 300 (summary) + 1500 + 600 + headings
ANSWER_BODY = 560  # an answer's text when it has replies (without replies it may fill the field)
REPLY_EXCERPT = 140
FOOTER_BUDGET = 100
PER_PAGE = 5  # more answers than this on one screen is hard to read even when they are short
PAGE_TOTAL = 5900

ELLIPSIS = "…"
FENCE = "```"


def dlen(text: str) -> int:
    """Length as Discord counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int, more: str = ELLIPSIS) -> str:
    """`text` cut to at most `limit` UTF-16 units, ending with `more` when cut."""
    if dlen(text) <= limit:
        return text
    room = max(limit - dlen(more), 0)
    # Cut in UTF-16 itself; a pair of surrogates split by the cut is dropped whole by "ignore".
    cut = text.encode("utf-16-le")[: 2 * room].decode("utf-16-le", errors="ignore")
    cut = cut.rstrip()
    # An odd run of backslashes at the cut ends in one that escapes nothing it was meant to.
    if (len(cut) - len(cut.rstrip("\\"))) % 2:
        cut = cut[:-1]
    return cut + more


def excerpt(text: str, limit: int, link: str | None = None) -> str:
    """Markdown kept as written, but never able to break what follows it: a code fence the cut (or
    the author) left open is closed, and a `>>>` block quote (which would swallow the rest of the
    embed) becomes a one-line quote. Cut text ends with an ellipsis and, if given, a jump link."""
    # Beyond `limit` characters nothing can show (a character is at least one unit): cut first.
    # Line by line as Python splits them (\r, \x85, \u2028... too): stricter than Discord's "\n" costs nothing.
    lines = text.strip()[: limit + 1].splitlines(keepends=True)
    text = "".join(_MULTI_LINE_QUOTE.sub(r"\1> ", line) for line in lines)
    if dlen(_close_fences(text)) <= limit:
        return _close_fences(text)
    tail = f" [(read all)]({link})" if link else ""
    cut = clip(text, max(limit - dlen(tail) - dlen("\n" + FENCE), 1))
    return _close_fences(cut) + tail


_MULTI_LINE_QUOTE = re.compile(r"^(\s*)>>> ?")


def _close_fences(text: str) -> str:
    return text + "\n" + FENCE if text.count(FENCE) % 2 else text


def flat(text: str, limit: int) -> str:
    """One line, markdown escaped: for replies nested under a post, where formatting would break
    the list (a code fence or heading inside a one-line excerpt)."""
    # Only the start can show: cut before escaping (which only lengthens), so a page of 200 answers
    # with 20 long replies each stays cheap to render.
    return clip(discord.utils.escape_markdown(" ".join(text.split())[: limit + 1]), limit)


def jump_url(guild_id: int, channel_id: int, message_id: int | None = None) -> str:
    tail = f"/{message_id}" if message_id is not None else ""
    return f"https://discord.com/channels/{guild_id}/{channel_id}{tail}"


def when(at: datetime) -> str:
    return f"<t:{int(at.timestamp())}:R>"


def post_text(post: Post) -> str:
    if post.body.strip():
        return post.body
    if post.attachments:
        return "📎 " + ", ".join(a.filename for a in post.attachments)
    return "*(no text)*"


def post_url(post: Post) -> str:
    return jump_url(post.guild_id, post.question_id, post.id)


def embed_size(embed: discord.Embed) -> int:
    """What Discord counts towards the 6000 total, in its units."""
    parts = [embed.title or "", embed.description or "", embed.footer.text or "", embed.author.name or ""]
    for f in embed.fields:
        parts += [f.name or "", f.value or ""]
    return sum(dlen(p) for p in parts)


def pack(items: Sequence[T], size: Callable[[T], int], budget: int, per_page: int = PER_PAGE) -> list[list[T]]:
    """Greedy pages: as many items as fit the budget and the count, never fewer than one per page
    (each item alone fits by construction, since a field is at most 256 + 1024)."""
    pages: list[list[T]] = []
    current: list[T] = []
    used = 0
    for item in items:
        cost = size(item)
        if current and (used + cost > budget or len(current) >= per_page):
            pages.append(current)
            current, used = [], 0
        current.append(item)
        used += cost
    if current or not pages:
        pages.append(current)
    return pages


# ----- /question ---------------------------------------------------------------------------------

_COLOURS = {
    QuestionStatus.OPEN: discord.Colour.blurple(),
    QuestionStatus.CLOSED: discord.Colour.dark_grey(),
    QuestionStatus.LOCKED: discord.Colour.dark_grey(),
    QuestionStatus.DUPLICATE: discord.Colour.dark_grey(),
}


@dataclass(frozen=True, slots=True)
class Rendered:
    embed: discord.Embed
    page: int  # 0-based, clamped into range
    pages: int


def thread_page(view: ThreadView, page: int) -> Rendered:
    """Page `page` (0-based; clamped) of the classic thread page."""
    q = view.question
    first = _thread_description(view, full=True)
    rest = _thread_description(view, full=False)
    fields = [_answer_field(q, item, number) for number, item in enumerate(view.answers, 1)]

    def budget(description: str) -> int:
        return PAGE_TOTAL - dlen(clip(q.title, TITLE_MAX)) - dlen(description) - FOOTER_BUDGET

    # Page 1 carries the question's text, later pages only its summary: pack the first page on its
    # own budget, then the rest on theirs.
    head = pack(fields, _field_size, budget(first))[0] if fields else []
    pages = [head, *(pack(fields[len(head) :], _field_size, budget(rest)) if len(head) < len(fields) else [])]
    index = min(max(page, 0), len(pages) - 1)
    embed = discord.Embed(
        title=clip(q.title, TITLE_MAX),
        url=jump_url(q.guild_id, q.id),
        description=first if index == 0 else rest,
        colour=discord.Colour.green() if q.accepted_answer_id and _has_accepted(view) else _COLOURS[q.status],
    )
    for name, value in pages[index]:
        embed.add_field(name=name, value=value, inline=False)
    count = len(view.answers)
    embed.set_footer(text=clip(f"page {index + 1}/{len(pages)} · {count} answer{'s' * (count != 1)}", FOOTER_BUDGET))
    return Rendered(embed, index, len(pages))


def _has_accepted(view: ThreadView) -> bool:
    return any(a.accepted for a in view.answers)


def _status(q: Question) -> str:
    if q.status is QuestionStatus.DUPLICATE and q.duplicate_of is not None:
        return f"duplicate of <#{q.duplicate_of}>"  # a thread mention: a link to the original
    return q.status.value


def _thread_description(view: ThreadView, *, full: bool) -> str:
    q = view.question
    score = view.body.score if view.body else q.score
    tags = f" · **Tags** {', '.join(q.tags)}" if q.tags else ""
    meta = [
        f"Asked by <@{q.author_id}> {when(q.created_at)}",
        clip(f"**Score** {score:+d} · **Status** {_status(q)}{tags}", 300),
    ]
    if not full:
        return "\n".join([*meta, "", "**Answers and Replies** (continued)"])
    body = view.body
    if body is None or body.deleted_at is not None:
        text = "*The question's text is not available.*"
    else:
        text = excerpt(post_text(body), BODY_EXCERPT, post_url(body))
    parts = [*meta, "", text]
    comments = [c for c in view.comments if c.deleted_at is None]
    if comments:
        parts += ["", _replies(comments, COMMENTS_BUDGET)]
    answers = len(view.answers)
    parts += ["", f"**Answers and Replies** ({answers})" if answers else "*No answers yet.*"]
    return clip("\n".join(parts), DESCRIPTION_BUDGET)


def _replies(replies: list[Post], budget: int) -> str:
    """Replies nested under a post, one line each, as many as the budget holds; then a count of the rest."""
    lines: list[str] = []
    used = 0
    for shown, reply in enumerate(replies):
        line = f"↳ <@{reply.author_id}>: {flat(post_text(reply), REPLY_EXCERPT)}"
        left = len(replies) - shown - 1
        reserve = dlen(f"\n↳ … {left} more replies") if left else 0
        if used + dlen(line) + 1 + reserve > budget:
            lines.append(f"↳ … {len(replies) - shown} more repl{'ies' if len(replies) - shown != 1 else 'y'}")
            break
        lines.append(line)
        used += dlen(line) + 1
    return "\n".join(lines)


def _answer_field(q: Question, item: AnswerView, number: int) -> tuple[str, str]:
    post = item.answer
    mark = "✔ Accepted · " if item.accepted else ""
    name = f"{mark}Answer {number} · score {post.score:+d}"
    header = f"by <@{post.author_id}> {when(post.created_at)} · [jump]({post_url(post)})"
    replies = [r for r in item.replies if r.deleted_at is None]
    room = FIELD_VALUE_MAX - dlen(header) - 1
    body = excerpt(post_text(post), min(ANSWER_BODY, room) if replies else room)
    value = f"{header}\n{body}"
    if replies:
        value += "\n" + _replies(replies, FIELD_VALUE_MAX - dlen(value) - 1)
    return clip(name, FIELD_NAME_MAX), clip(value, FIELD_VALUE_MAX)


def _field_size(field: tuple[str, str]) -> int:
    return dlen(field[0]) + dlen(field[1])


# ----- /history ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subject:
    """Whose history it is: enough to head the page without the store."""

    guild_id: int
    question_id: int
    post_id: int  # the message id, or the thread id for a question whose starter is unknown
    kind: PostKind
    author_id: int
    title: str  # the question's title, for context
    deleted_at: datetime | None = None


def history_page(subject: Subject, revisions: Sequence[Revision], page: int) -> Rendered:
    """Revisions oldest first (newest last), packed into pages; page is 0-based and clamped."""
    fields = [_revision_field(r) for r in revisions]
    link = jump_url(subject.guild_id, subject.question_id, subject.post_id)
    lines = [
        f"[This {subject.kind.value}]({link}) by <@{subject.author_id}> in **{flat(subject.title, 120)}**",
        f"{len(revisions)} revision{'s' * (len(revisions) != 1)}, oldest first.",
    ]
    if subject.deleted_at is not None:
        lines.append(f"⚠ Deleted {when(subject.deleted_at)}: only moderators can see this.")
    description = "\n".join(lines)
    title = "Revision history"
    budget = PAGE_TOTAL - dlen(title) - dlen(description) - FOOTER_BUDGET
    pages = pack(fields, _field_size, budget)
    index = min(max(page, 0), len(pages) - 1)
    colour = discord.Colour.red() if subject.deleted_at else discord.Colour.blurple()
    embed = discord.Embed(title=title, description=description, colour=colour)
    for name, value in pages[index]:
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=f"page {index + 1}/{len(pages)}")
    return Rendered(embed, index, len(pages))


def _revision_field(revision: Revision) -> tuple[str, str]:
    label = "original" if revision.number == 1 else f"edit {revision.number - 1}"
    name = f"{revision.field.capitalize()} · revision {revision.number} ({label})"
    editor = f"<@{revision.editor_id}>" if revision.editor_id else "someone unknown"
    header = f"{when(revision.at)} by {editor}"
    text = revision.text if revision.text.strip() else "*(empty)*"
    return clip(name, FIELD_NAME_MAX), f"{header}\n{excerpt(text, FIELD_VALUE_MAX - dlen(header) - 1)}"
