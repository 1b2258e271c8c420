"""The consent rules of bot/forum/public_site.py over a fake store: what is public, 404 or 410, how
members appear, and slugs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.forum.models import Post, PostKind, Question, QuestionStatus
from bot.forum.public import HIDDEN_MENTION, HIDDEN_TEXT, WebChannel, anonymous_name
from bot.forum.public_site import DEFAULT_SLUG, UNKNOWN_MEMBER, Directory, Gone, PublicSite, QuestionPage, slugify

NOW = datetime(2026, 1, 1, tzinfo=UTC)
G, CH, OTHER_CH = 1, 10, 11
ASKER, HELPER, HIDER = 100, 101, 102


class FakeStore:
    def __init__(self) -> None:
        self.questions: dict[int, Question] = {}
        self.posts: dict[int, list[Post]] = {}
        self.channels: dict[int, WebChannel] = {}
        self.names = {ASKER: "Asker", HELPER: "Helper", HIDER: "Hider"}
        self.hidden: set[int] = set()
        self.directory_calls: list[tuple[set[int], set[int], set[int]]] = []

    def add(self, question: Question, *posts: Post) -> None:
        self.questions[question.id] = question
        self.posts[question.id] = list(posts)

    async def thread_page(self, thread_id: int):
        question = self.questions.get(thread_id)
        if question is None:
            return None
        return question, [p for p in self.posts[thread_id] if p.deleted_at is None]

    async def get_question(self, thread_id: int):
        return self.questions.get(thread_id)

    async def web_channel(self, channel_id: int):
        return self.channels.get(channel_id)

    async def guild_name(self, guild_id: int):
        return "Guild"

    async def directory(self, guild_id: int, *, users: Iterable[int], roles=(), channels=()) -> Directory:
        users, roles, channels = set(users), set(roles), set(channels)
        self.directory_calls.append((users, roles, channels))
        names = {u: n for u, n in self.names.items() if u in users}
        return Directory(guild_id, names, self.hidden & users, {}, {}, "Guild")


def question(thread_id: int = 500, **changes) -> Question:
    base = Question(thread_id, G, CH, "How do I do it?", ASKER, NOW, starter_id=thread_id, thread_type=11)
    return replace(base, **changes)


def post(post_id: int, author: int, body: str, thread_id: int = 500, kind=PostKind.ANSWER, **changes) -> Post:
    return Post(post_id, thread_id, G, kind, author, body, NOW, **changes)


@pytest.fixture
def store() -> FakeStore:
    s = FakeStore()
    s.channels[CH] = WebChannel(G, CH, published=True, everyone_can_read=True)
    s.add(question(), post(500, ASKER, "The body", kind=PostKind.QUESTION), post(501, HELPER, "An answer <@102>"))
    return s


async def test_a_public_question_is_a_page(store):
    page = await PublicSite(store).question_page(
        500, mentions=lambda text: ({HIDER}, set(), set()) if "<@102>" in text else (set(), set(), set())
    )
    assert isinstance(page, QuestionPage)
    assert page.slug == "how-do-i-do-it" and page.title == "How do I do it?" and page.guild_name == "Guild"
    assert [a.answer.id for a in page.view.answers] == [501]
    # One read of names for every author and everything mentioned.
    assert store.directory_calls == [({ASKER, HELPER, HIDER}, set(), set())]


@pytest.mark.parametrize(
    "channel",
    [
        None,  # never published
        WebChannel(G, CH, published=False, everyone_can_read=True),
        WebChannel(G, CH, published=True, everyone_can_read=False),
        WebChannel(G, CH, published=True, everyone_can_read=None),  # the bot has not looked yet
    ],
)
async def test_a_question_of_a_channel_that_is_not_public_does_not_exist(store, channel):
    if channel is None:
        del store.channels[CH]
    else:
        store.channels[CH] = channel
    assert await PublicSite(store).question_page(500) is None
    store.questions[500] = replace(store.questions[500], deleted_at=NOW)
    assert await PublicSite(store).question_page(500) is None, "not even its deletion is revealed"


@pytest.mark.parametrize(("thread_type", "public"), [(11, True), (10, True), (12, False), (None, False)])
async def test_only_public_and_announcement_threads(store, thread_type, public):
    store.questions[500] = replace(store.questions[500], thread_type=thread_type)
    page = await PublicSite(store).question_page(500)
    assert isinstance(page, QuestionPage) if public else page is None


async def test_a_deleted_question_of_a_public_channel_is_gone(store):
    store.questions[500] = replace(store.questions[500], deleted_at=NOW)
    assert await PublicSite(store).question_page(500) == Gone(500)
    assert await PublicSite(store).question_page(404) is None


async def test_deleted_posts_are_absent(store):
    store.posts[500].append(post(502, HELPER, "gone", deleted_at=NOW))
    page = await PublicSite(store).question_page(500)
    assert [a.answer.id for a in page.view.answers] == [501]


async def test_a_hidden_member_is_anonymous_with_text_withheld(store):
    store.hidden = {ASKER}
    page = await PublicSite(store).question_page(500)
    d = page.directory
    assert d.display_name(ASKER) == anonymous_name(G, ASKER) and d.display_name(HELPER) == "Helper"
    assert d.text_of(page.view.body) == HIDDEN_TEXT and d.text_of(page.view.answers[0].answer) == "An answer <@102>"
    # The title is the asker's text too, and the slug must not give it away.
    assert page.title == HIDDEN_TEXT and page.slug == DEFAULT_SLUG
    assert d.mention_users()[ASKER] == HIDDEN_MENTION
    assert d.display_name(999) == UNKNOWN_MEMBER


async def test_a_duplicate_links_its_original_only_when_public(store):
    store.add(question(600, title="The original"), post(600, HELPER, "orig", thread_id=600, kind=PostKind.QUESTION))
    store.questions[500] = replace(store.questions[500], status=QuestionStatus.DUPLICATE, duplicate_of=600)
    page = await PublicSite(store).question_page(500)
    assert page.original is not None and page.original.id == 600
    store.questions[600] = replace(store.questions[600], channel_id=OTHER_CH)  # a channel not published
    page = await PublicSite(store).question_page(500)
    assert page.original is None


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("How do I <b>bold</b>?", "how-do-i-b-bold-b"),
        ("Ünïcödé   çafé!!", "unicode-cafe"),
        ("日本語のタイトル", DEFAULT_SLUG),
        ("", DEFAULT_SLUG),
        ("---", DEFAULT_SLUG),
        ("word " * 30, "-".join(["word"] * 12)),  # 59 characters: the 13th word would pass 60
        ("x" * 100, "x" * 60),
    ],
)
def test_slugs(title, slug):
    assert slugify(title) == slug
    assert len(slugify(title)) <= 60


def test_the_web_store_provides_what_the_site_reads():
    from bot.forum.public_site import PublicStore
    from db.web_store import WebStore

    wanted = [name for name in vars(PublicStore) if not name.startswith("_")]
    assert wanted and [name for name in wanted if not callable(getattr(WebStore, name, None))] == []
