"""The thread page as plain text, for the terminal (`quorum demo`) and logs."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

from .models import Post, ThreadView


def thread_as_text(view: ThreadView, name_of: Callable[[int], str] = str, width: int = 88) -> str:
    q = view.question
    score = view.body.score if view.body else q.score
    tags = f"  [{', '.join(q.tags)}]" if q.tags else ""
    lines = [f"Q: {q.title}  ({q.status.value}, score {score:+d}){tags}", f"   asked by {name_of(q.author_id)}"]
    if view.body:
        lines += _wrap(view.body.body, "   ", width)
    for comment in view.comments:
        lines += _post_lines(comment, "     ↳ ", name_of, width)
    lines.append(f"   Answers and Replies ({len(view.answers)})")
    for item in view.answers:
        mark = "✔ accepted" if item.accepted else ""
        lines += _post_lines(item.answer, "   • ", name_of, width, mark)
        for reply in item.replies:
            lines += _post_lines(reply, "       ↳ ", name_of, width)
    return "\n".join(lines)


def _post_lines(post: Post, prefix: str, name_of: Callable[[int], str], width: int, mark: str = "") -> list[str]:
    head = f"{prefix}{name_of(post.author_id)} (score {post.score:+d}){' ' + mark if mark else ''}"
    text = post.body
    if not text and post.attachments:
        text = "[attachment: " + ", ".join(a.filename for a in post.attachments) + "]"
    return [head, *_wrap(text, " " * (len(prefix) + 2), width)]


def _wrap(text: str, indent: str, width: int) -> list[str]:
    out = []
    for paragraph in text.splitlines() or [""]:
        out += textwrap.wrap(paragraph, width=width, initial_indent=indent, subsequent_indent=indent) or [indent]
    return out
