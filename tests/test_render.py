"""Rendering stays inside Discord's limits whatever members write (cogs/render.py; no network)."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.forum import rules
from bot.forum.models import Post, PostKind, Question, Revision
from cogs import render
from cogs.links import DM_GUILD, Ref, parse_ref
from cogs.render import FENCE, dlen

T0 = datetime(2026, 1, 1, tzinfo=UTC)
GUILD, THREAD = 900000000000000001, 900000000000000002
MAX_ID = (1 << 63) - 1  # the longest ids make the longest mentions and links

# Texts that break naive rendering: limits reached in UTF-16 (astral emoji count twice), an open code
# fence, a block quote that swallows what follows, backslashes that escape the ellipsis, mentions.
NASTY = [
    "",
    "x" * 2000,
    "😀" * 2000,
    FENCE + "py\n" + "print('a')\n" * 200,
    ">>> " + "quoted\n" * 300,
    "\\" * 2000,
    "@everyone <@&1> <@1> " * 90,
    "\n" * 1999 + "x",
    ("**bold ||spoiler ~~strike `code " + FENCE) * 60,
]


def question(title: str = "t" * 100, **kw) -> Question:
    return Question(id=THREAD, guild_id=GUILD, channel_id=3, title=title, author_id=MAX_ID, created_at=T0, **kw)


def make_posts(body: str, answers: int, replies: int, *, comments: int = 0) -> list[Post]:
    ids = itertools.count(THREAD + 1)
    at = itertools.count()

    def post(kind: PostKind, text: str, parent: int | None = None, **kw) -> Post:
        return Post(
            id=next(ids),
            question_id=THREAD,
            guild_id=GUILD,
            kind=kind,
            author_id=MAX_ID,
            body=text,
            created_at=T0 + timedelta(seconds=next(at)),
            parent_id=parent,
            reply_to_id=parent,
            **kw,
        )

    starter = post(PostKind.QUESTION, body)
    posts = [starter, *(post(PostKind.REPLY, body, starter.id) for _ in range(comments))]
    for n in range(answers):
        answer = post(PostKind.ANSWER, body, score=n % 7 - 3)
        posts += [answer, *(post(PostKind.REPLY, body, answer.id) for _ in range(replies))]
    return posts


def assert_within_limits(embed) -> None:
    assert dlen(embed.title or "") <= render.TITLE_MAX
    assert dlen(embed.description or "") <= render.DESCRIPTION_MAX
    assert len(embed.fields) <= render.FIELDS_MAX
    for field in embed.fields:
        assert 0 < dlen(field.name) <= render.FIELD_NAME_MAX
        assert 0 < dlen(field.value) <= render.FIELD_VALUE_MAX
        assert field.value.count(FENCE) % 2 == 0, "an open code fence would swallow what follows"
        assert not re.search(r"(?m)^\s*>>>", field.value), "a block quote would swallow the replies"
    assert dlen(embed.footer.text or "") <= render.FOOTER_MAX
    assert render.embed_size(embed) <= render.EMBED_TOTAL_MAX
    assert len(embed) <= render.EMBED_TOTAL_MAX  # discord.py's own count, in code points
    assert (embed.description or "").count(FENCE) % 2 == 0
    assert not re.search(r"(?m)^\s*>>>", embed.description or "")


def all_pages(view):
    first = render.thread_page(view, 0)
    return [first.embed, *(render.thread_page(view, i).embed for i in range(1, first.pages))]


@pytest.mark.parametrize("body", NASTY, ids=lambda b: repr(b[:12]))
@pytest.mark.parametrize(("answers", "replies"), [(0, 0), (1, 20), (7, 1), (30, 20)])
def test_every_page_of_a_thread_fits(body, answers, replies):
    view = rules.build_thread_view(question(), make_posts(body, answers, replies, comments=replies))
    pages = all_pages(view)
    names = []
    for embed in pages:
        assert_within_limits(embed)
        assert len(embed.fields) <= render.PER_PAGE
        names += [f.name for f in embed.fields]
    # Every answer shows exactly once, in the page order, and the footer counts the pages.
    assert [int(re.search(r"Answer (\d+)", n).group(1)) for n in names] == list(range(1, answers + 1))
    assert pages[-1].footer.text.startswith(f"page {len(pages)}/{len(pages)}")


def test_the_worst_thread_fits_and_renders_quickly():
    import time

    view = rules.build_thread_view(question("😀" * 300), make_posts("😀" * 2000, 200, 20, comments=20))
    started = time.perf_counter()
    pages = all_pages(view)
    per_page = (time.perf_counter() - started) / len(pages)
    for embed in pages:
        assert_within_limits(embed)
    assert sum(len(e.fields) for e in pages) == 200
    assert per_page < 0.25  # a click must be answered within 3 s


def test_truncated_bodies_end_with_an_ellipsis_and_a_jump_link():
    view = rules.build_thread_view(question(), make_posts("word " * 600, 1, 0))
    embed = render.thread_page(view, 0).embed
    link = render.jump_url(GUILD, THREAD, THREAD + 1)
    assert f"… [(read all)]({link})" in embed.description
    assert "…" in embed.fields[0].value and f"[jump]({render.jump_url(GUILD, THREAD, THREAD + 2)})" in (
        embed.fields[0].value
    )


def test_a_cut_inside_a_code_block_closes_it():
    text = render.excerpt("intro\n" + FENCE + "py\n" + "x = 1\n" * 500, 300, "https://discord.com/channels/1/2/3")
    assert dlen(text) <= 300
    assert text.count(FENCE) == 2 and text.endswith(FENCE + " [(read all)](https://discord.com/channels/1/2/3)")


@pytest.mark.parametrize("limit", range(1, 40))
def test_a_cut_never_leaves_a_lone_escape_or_half_an_emoji(limit):
    for text in ("a\\" * 30, "\\" * 50, "x😀" * 30):
        cut = render.clip(text, limit)
        assert dlen(cut) <= limit and cut.endswith("…")
        body = cut[:-1]
        assert (len(body) - len(body.rstrip("\\"))) % 2 == 0
        cut.encode("utf-8")  # a lone surrogate would not encode


def test_deleted_posts_never_show_and_the_accepted_answer_leads():
    posts = make_posts("plain", 3, 1)
    answers = [p for p in posts if p.kind is PostKind.ANSWER]
    gone = Post(
        id=THREAD + 999,
        question_id=THREAD,
        guild_id=GUILD,
        kind=PostKind.ANSWER,
        author_id=1,
        body="SECRET",
        created_at=T0,
        score=99,
        deleted_at=T0,
    )
    accepted = answers[-1]
    view = rules.build_thread_view(question(accepted_answer_id=accepted.id), [*posts, gone])
    embed = render.thread_page(view, 0).embed
    assert "SECRET" not in str(embed.to_dict())
    assert embed.fields[0].name.startswith("✔ Accepted")
    assert str(accepted.id) in embed.fields[0].value


def test_pages_are_clamped():
    view = rules.build_thread_view(question(), make_posts("x" * 2000, 12, 0))
    last = render.thread_page(view, 10_000)
    assert last.page == last.pages - 1
    assert render.thread_page(view, -3).page == 0


@pytest.mark.parametrize("count", [1, 2, 5, 6, 60])
@pytest.mark.parametrize("text", ["short", "😀" * 2000, FENCE + "x" * 3000, "\\" * 5000])
def test_every_history_page_fits(count, text):
    revisions = [
        Revision(post_id=THREAD, number=n, field="body", text=text, editor_id=MAX_ID, at=T0 + timedelta(minutes=n))
        for n in range(1, count + 1)
    ]
    subject = render.Subject(GUILD, THREAD, THREAD, PostKind.ANSWER, MAX_ID, "😀" * 300, deleted_at=T0)
    first = render.history_page(subject, revisions, 0)
    shown = []
    for i in range(first.pages):
        embed = render.history_page(subject, revisions, i).embed
        assert_within_limits(embed)
        shown += [int(re.search(r"revision (\d+)", f.name).group(1)) for f in embed.fields]
    assert shown == list(range(1, count + 1)), "oldest first, newest last, each once"
    assert "Deleted" in first.embed.description


# ----- links -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("https://discord.com/channels/1/2/3", Ref(3, 2, 1)),
        ("https://ptb.discord.com/channels/1/2/3", Ref(3, 2, 1)),
        ("<https://canary.discord.com/channels/1/2/3>", Ref(3, 2, 1)),
        ("https://discordapp.com/channels/1/2", Ref(2, 2, 1)),
        ("https://discord.com/channels/@me/2/3", Ref(3, 2, DM_GUILD)),
        ("  <#42>  ", Ref(42, 42)),
        ("1234567890123", Ref(1234567890123)),
    ],
)
def test_links_and_ids_are_understood(text, ref):
    assert parse_ref(text) == ref


@pytest.mark.parametrize("text", ["", "hello", "https://example.com/channels/1/2/3", "0", str(1 << 64), "-5"])
def test_anything_else_is_refused_with_a_hint(text):
    from bot.forum.errors import BadInput

    with pytest.raises(BadInput):
        parse_ref(text)


def test_moderators_are_the_role_or_manage_threads():
    assert rules.is_moderator([5, 6], 6, manage_threads=False)
    assert rules.is_moderator([], None, manage_threads=True)
    assert not rules.is_moderator([5], 6, manage_threads=False)
    assert not rules.is_moderator([5], None, manage_threads=False)
