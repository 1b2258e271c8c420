"""Structured data for search engines (schema.org JSON-LD), built from a page's models. Pure.

A question with answers is a QAPage whose mainEntity is the Question; one without is a
DiscussionForumPosting. Names and texts are the page's own, so consent holds here too.
"""

from __future__ import annotations

import json
from datetime import datetime

from markupsafe import Markup

from .question_model import PostModel


def script(data: dict) -> Markup:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # So the JSON can never close its <script> element or open markup inside it (str.replace: a
    # page's JSON-LD holds every answer's text, and translate() would cost a millisecond).
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup('<script type="application/ld+json">') + Markup(text) + Markup("</script>")


def _date(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def _author(post: PostModel, base: str) -> dict:
    author = {"@type": "Person", "name": post.author}
    if post.author_path is not None:
        author["url"] = base + post.author_path
    return author


def _comment(reply: PostModel, base: str) -> dict:
    return {"@type": "Comment", "text": reply.text, "dateCreated": _date(reply.created_at),
            "author": _author(reply, base)}  # fmt: skip


def _answer(answer: PostModel, url: str, base: str) -> dict:
    data = {
        "@type": "Answer", "text": answer.text, "upvoteCount": answer.score, "dateCreated": _date(answer.created_at),
        "url": f"{url}#answer-{answer.id}", "author": _author(answer, base),
    }  # fmt: skip
    if answer.replies:
        data["comment"] = [_comment(r, base) for r in answer.replies]
    return data


def question_data(
    *, title: str, question: PostModel, answers: list[PostModel], comments: list[PostModel], url: str, base: str
) -> dict:
    """`url`: the page's canonical URL; `base`: what makes a site path absolute ("" when unknown)."""
    if not answers:
        posting = {
            "@context": "https://schema.org", "@type": "DiscussionForumPosting", "headline": title,
            "text": question.text, "author": _author(question, base), "datePublished": _date(question.created_at),
            "url": url,
        }  # fmt: skip
        if comments:
            posting["comment"] = [_comment(c, base) for c in comments]
        return posting
    entity = {
        "@type": "Question", "name": title, "text": question.text, "answerCount": len(answers),
        "upvoteCount": question.score, "dateCreated": _date(question.created_at), "author": _author(question, base),
    }  # fmt: skip
    accepted = [a for a in answers if a.accepted]
    suggested = [a for a in answers if not a.accepted]
    if accepted:
        entity["acceptedAnswer"] = _answer(accepted[0], url, base)
    if suggested:
        entity["suggestedAnswer"] = [_answer(a, url, base) for a in suggested]
    if comments:
        entity["comment"] = [_comment(c, base) for c in comments]
    return {"@context": "https://schema.org", "@type": "QAPage", "mainEntity": entity}
