"""The question page: /q/{id} redirects to /q/{id}/{slug}; the page itself, or 404, or 410."""

from __future__ import annotations

from aiohttp import web
from markupsafe import Markup

from bot.forum.acceptance import topic_tags
from bot.forum.models import QuestionStatus
from bot.forum.public_site import Gone, QuestionPage

from . import seo
from .keys import PUBLIC_URL, SITE
from .question_model import PostModel, PostModels, mentions
from .templating import render
from .urls import discord_thread_url, guild_path, question_path, tag_path

MAX_ID = 2**63 - 1  # SQLite's INTEGER: a larger id cannot name anything


def parse_id(text: str) -> int:
    if not (text.isascii() and text.isdecimal()) or len(text) > 19 or int(text) > MAX_ID:
        raise web.HTTPNotFound()
    return int(text)


async def _page(request: web.Request) -> QuestionPage:
    thread_id = parse_id(request.match_info["thread_id"])
    page = await request.app[SITE].question_page(thread_id, mentions=mentions)
    if page is None:
        raise web.HTTPNotFound()
    if isinstance(page, Gone):
        raise web.HTTPGone()
    return page


async def question_redirect(request: web.Request) -> web.StreamResponse:
    page = await _page(request)
    raise web.HTTPMovedPermanently(question_path(page.question.id, page.slug))


async def question_page(request: web.Request) -> web.StreamResponse:
    page = await _page(request)
    if request.match_info["slug"] != page.slug:
        raise web.HTTPMovedPermanently(question_path(page.question.id, page.slug))
    return render(request, "question.html", **_context(request, page))


def _context(request: web.Request, page: QuestionPage) -> dict:
    question, view, directory = page.question, page.view, page.directory
    base = request.app[PUBLIC_URL]
    models = PostModels(directory)
    if view.body is not None:
        body = models.post(view.body)
        body.score = question.score
    else:  # the starter message was never seen: the question is its title alone
        body = PostModel(question.starter_id or question.id, directory.display_name(question.author_id), None,
                         Markup(""), "", question.created_at, False, question.score, ())  # fmt: skip
    answers = []
    for answer_view in view.answers:
        answer = models.post(answer_view.answer)
        answer.accepted = answer_view.accepted
        answer.replies = [models.post(r) for r in answer_view.replies]
        answers.append(answer)
    comments = [models.post(c) for c in view.comments]
    path = question_path(question.id, page.slug)
    original = page.original
    original_path = question_path(original.id, directory.slug_of(original)) if original is not None else None
    canonical = base + (original_path or path)
    title = page.title
    return {
        "guild_id": question.guild_id,
        "guild_name": page.guild_name or "Quorum",
        "guild_path": guild_path(question.guild_id),
        "title": title,
        "description": models.description(view.body) or title,
        "canonical": canonical,
        "canonical_known": bool(base),
        "question": body,
        "answers": answers,
        "comments": comments,
        "tags": [(tag, tag_path(question.guild_id, tag)) for tag in topic_tags(question.tags)],
        "solved": question.accepted_answer_id is not None,
        "closed": question.status is QuestionStatus.CLOSED,
        "locked": question.status is QuestionStatus.LOCKED,
        "duplicate": question.status is QuestionStatus.DUPLICATE,
        "original": (directory.title_of(original), original_path) if original is not None else None,
        "discord_url": discord_thread_url(question.guild_id, question.id),
        "json_ld": seo.script(
            seo.question_data(
                title=title, question=body, answers=answers, comments=comments, url=base + path, base=base
            )  # fmt: skip
        ),
    }
