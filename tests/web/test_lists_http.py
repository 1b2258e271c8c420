"""The list pages over HTTP on a store filled through its own write methods: a guild's home (sorts,
paging, tags), tag pages, search, profiles, and what consent keeps off them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.forum.listing import PER_PAGE
from bot.forum.models import Post, PostKind, Question
from bot.forum.public import HIDDEN_TEXT, anonymous_name
from bot.forum.search import TOO_BROAD, TooBroad
from db.store import open_store
from tests.web.helpers import NOW, name_members, publish, web_client
from web.lists import LISTS

G, CH, HIDDEN_CH = 1, 10, 11  # HIDDEN_CH: published, but @everyone cannot read it
G2, CH2 = 2, 20
ASKER, HELPER, SHY = 7, 8, 9
ESCAPED_HIDDEN = HIDDEN_TEXT.replace("'", "&#39;")


async def ask(store, qid, title, *, channel=CH, guild=G, author=ASKER, tags=(), body="", at=None, thread_type=11):
    at = at or NOW + timedelta(minutes=qid)
    question = Question(
        qid, guild, channel, title, author, at, starter_id=qid, tags=tuple(tags), thread_type=thread_type
    )
    await store.add_question(question, Post(qid, qid, guild, PostKind.QUESTION, author, body or f"About {title}.", at))


async def answer(store, post_id, qid, body, author=HELPER):
    await store.add_post(Post(post_id, qid, G, PostKind.ANSWER, author, body, NOW + timedelta(minutes=qid, seconds=5)))


@pytest.fixture
async def database(tmp_path):
    path = tmp_path / "quorum.db"
    store = await open_store(path)
    try:
        await store.set_guild_name(G, "Test Guild", NOW)
        await publish(store, G, CH)
        await publish(store, G, HIDDEN_CH, readable=False)
        await name_members(store, G, {ASKER: "Asker", HELPER: "Helper", SHY: "Shy Person"})
        await ask(store, 100, "How do I keep state between restarts?", tags=("python", "storage"),
                  body="My bot forgets everything about sqlite.")  # fmt: skip
        await answer(store, 101, 100, "Store it in SQLite, with WAL.")
        await store.apply_vote(101, ASKER, 1, NOW)
        await store.set_acceptance(100, 101, ASKER, NOW)
        await ask(store, 200, "Why is my embed empty?", tags=("python",))
        await store.apply_vote(200, HELPER, 1, NOW)
        await store.apply_vote(200, SHY, 1, NOW)
        await ask(store, 300, "A secret plan for sqlite", author=SHY, tags=("storage",), body="my sqlite secret")
        await answer(store, 301, 200, "Shy knows sqlite tricks.", author=SHY)
        await store.set_web_hidden(G, SHY, True, NOW)
        await ask(store, 400, "Invisible sqlite question", channel=HIDDEN_CH, tags=("secret",))
        await ask(store, 500, "Maybe private sqlite thread", thread_type=None, tags=("secret",))
        await ask(store, 600, "Deleted sqlite question")
        await store.delete_question(600, NOW)
    finally:
        await store.close()
    return path


async def get(client, path, status=200, **kw):
    response = await client.get(path, allow_redirects=False, **kw)
    text = await response.text()
    assert response.status == status, (path, response.status, text[:500])
    return text


def titles(html: str) -> list[str]:
    return re.findall(r'class="qtitle"><a href="[^"]*">([^<]*)</a>', html)


async def test_the_only_publishing_guild_is_the_home_page(database):
    async with web_client(database, public_url="https://forum.example.org") as client:
        html = await get(client, "/")
        assert '<link rel="canonical" href="https://forum.example.org/g/1">' in html
        assert html == await get(client, "/g/1")


async def test_a_guild_home_lists_its_public_questions(database):
    async with web_client(database) as client:
        html = await get(client, "/g/1")
    assert titles(html) == [ESCAPED_HIDDEN, "Why is my embed empty?", "How do I keep state between restarts?"]
    assert "Invisible" not in html and "Maybe private" not in html and "Deleted" not in html
    assert '<a href="/q/100/how-do-i-keep-state-between-restarts">' in html
    assert '<a href="/q/300/question">' in html, "a hidden asker's title stays out of the URL too"
    assert "A secret plan" not in html and "Shy Person" not in html and "/u/1/9" not in html
    assert anonymous_name(G, SHY) in html
    assert '<a class="author" href="/u/1/7">Asker</a>' in html
    assert '1 answer<span class="mark">, solved</span>' in html
    assert '<a href="/g/1/tags/python">python</a>' in html
    assert "<title>Newest questions - Test Guild</title>" in html and "3 public questions" in html
    tags = re.search(r'<ul class="tags taglist">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r'>([a-z]+) <span class="count">(\d+)</span>', tags) == [("python", "2"), ("storage", "2")]


async def test_sorts_are_tabs(database):
    async with web_client(database) as client:
        top = await get(client, "/g/1?sort=top")
        unanswered = await get(client, "/g/1?sort=unanswered")
        fallback = await get(client, "/g/1?sort=bogus")
    # By score, then newest first among equals.
    assert titles(top) == ["Why is my embed empty?", ESCAPED_HIDDEN, "How do I keep state between restarts?"]
    assert '<a href="/g/1?sort=top" aria-current="page">Top</a>' in top
    assert titles(unanswered) == [ESCAPED_HIDDEN]
    assert titles(fallback)[0] == ESCAPED_HIDDEN and '<a href="/g/1" aria-current="page">Newest</a>' in fallback


async def test_paging_clamps_bad_numbers_and_404s_past_the_end(tmp_path):
    path = tmp_path / "many.db"
    store = await open_store(path)
    try:
        await publish(store, G, CH)
        for qid in range(1, PER_PAGE + 6):
            await ask(store, qid, f"Question number {qid}")
    finally:
        await store.close()
    async with web_client(path) as client:
        first = await get(client, "/g/1")
        assert len(titles(first)) == PER_PAGE and titles(first)[0] == f"Question number {PER_PAGE + 5}"
        assert '<a href="/g/1?page=2" rel="next">' in first and 'rel="prev"' not in first
        second = await get(client, "/g/1?page=2")
        assert titles(second) == [f"Question number {n}" for n in range(5, 0, -1)]
        assert '<a href="/g/1" rel="prev">' in second and 'rel="next"' not in second
        for bad in ("0", "-3", "abc", "1e3", "٣", ""):
            assert titles(await get(client, f"/g/1?page={bad}")) == titles(first), bad
        await get(client, "/g/1?page=3", 404)
        await get(client, "/g/1?page=99999999999999999999", 404)
        top2 = await get(client, "/g/1?sort=top&page=2")
        assert '<a href="/g/1?sort=top" rel="prev">' in top2


@pytest.mark.parametrize("path", ["/g/abc", "/g/-1", "/g/99", "/g/1.0", f"/g/{2**63}", "/g/1/tags/nope",
                                  "/g/1/tags/secret", "/g/abc/tags/python", "/g/abc/search?q=x", "/g/99/search",
                                  "/u/1/abc", "/u/abc/7", "/u/1/9", "/u/1/12345", "/u/99/7"])  # fmt: skip
async def test_what_is_not_there_or_not_public_is_404(database, path):
    async with web_client(database) as client:
        html = await get(client, path, 404)
    assert "<h1>Page not found</h1>" in html


async def test_no_guild_publishes(tmp_path):
    path = tmp_path / "empty.db"
    await (await open_store(path)).close()
    async with web_client(path) as client:
        html = await get(client, "/")
    assert "Nothing is published here yet." in html and "<code>/quorum web</code>" in html


async def test_several_guilds_are_listed(database):
    store = await open_store(database)
    try:
        await store.set_guild_name(G2, "Second <Guild>", NOW)
        await publish(store, G2, CH2)
        await ask(store, 900, "Elsewhere", channel=CH2, guild=G2)
    finally:
        await store.close()
    async with web_client(database) as client:
        html = await get(client, "/")
    assert re.findall(r'<a href="/g/(\d+)">([^<]*)</a>\s*<span class="note">(\d+) question', html) == [
        ("1", "Test Guild", "3"), ("2", "Second &lt;Guild&gt;", "1")]  # fmt: skip


async def test_a_tag_page(database):
    async with web_client(database) as client:
        html = await get(client, "/g/1/tags/storage")
    assert "<h1>Questions tagged storage</h1>" in html and "2 questions, newest first" in html
    assert titles(html) == [ESCAPED_HIDDEN, "How do I keep state between restarts?"]


async def test_search_finds_public_text_only(database):
    async with web_client(database, public_url="https://forum.example.org") as client:
        html = await get(client, "/g/1/search?q=sqlite")
        assert '<meta name="robots" content="noindex">' in html
        found = re.findall(r'<h2 class="qtitle"><a href="([^"]*)">([^<]*)</a>', html)
        # The question's body and its answer match "sqlite" equally well: the older post is shown.
        assert found == [("/q/100/how-do-i-keep-state-between-restarts",
                          "How do I keep state between restarts?")], found  # fmt: skip
        assert "<mark>sqlite</mark>" in html.lower()
        found = re.findall(r'<h2 class="qtitle"><a href="([^"]*)">', await get(client, "/g/1/search?q=sqlite+wal"))
        assert found == ["/q/100/how-do-i-keep-state-between-restarts#answer-101"], "the best post is linked"
        for leak in ("secret", "Invisible", "Maybe private", "Deleted", "tricks"):
            assert leak not in html, leak
        # A hidden member's posts are not found by naming them either.
        assert "Nothing found" in await get(client, f"/g/1/search?q=user:{SHY}")
        assert "How do I keep state" in await get(client, f"/g/1/search?q=user:{HELPER}")


async def test_search_form_and_refusals(database):
    async with web_client(database) as client:
        form = await get(client, "/g/1/search")
        assert '<input id="search-q" name="q" type="search"' in form and "Nothing found" not in form
        assert '<meta name="robots" content="noindex">' in form
        bad = await get(client, "/g/1/search?q=colour:red", 400)
        assert "is not a search operator" in bad and "Traceback" not in bad
        long = await get(client, "/g/1/search?q=" + "a" * 301, 400)
        assert "Searches are at most" in long
        quote = await get(client, '/g/1/search?q="open', 400)
        assert "A quote is never closed" in quote


async def test_search_too_broad_is_said_on_the_page(database, monkeypatch):
    async def too_broad(*args, **kwargs):
        raise TooBroad(TOO_BROAD)

    async with web_client(database) as client:
        monkeypatch.setattr(client.app[LISTS].searching.store, "search_candidates", too_broad)
        html = await get(client, "/g/1/search?q=sqlite", 200)
    assert "too broad to answer quickly" in html


async def test_a_profile(database):
    async with web_client(database) as client:
        html = await get(client, "/u/1/8")
    assert "<h1>Helper</h1>" in html and '<meta name="robots" content="noindex">' in html
    stats = dict(re.findall(r"<dt>(\w+)</dt><dd>(\d+)</dd>", html))
    assert stats == {"Reputation": "26", "Questions": "0", "Answers": "1"}
    assert '<a href="/q/100/how-do-i-keep-state-between-restarts#answer-101">' in html


async def test_tags_with_any_characters_have_pages(tmp_path):
    path = tmp_path / "tags.db"
    store = await open_store(path)
    try:
        await publish(store, G, CH)
        await ask(store, 1, "Slashes and more", tags=("c/c++", "día ?#&", "a b"))
    finally:
        await store.close()
    async with web_client(path) as client:
        home = await get(client, "/g/1")
        links = re.findall(r'<a href="(/g/1/tags/[^"]*)">([^<]*) <span class="count">', home)
        assert sorted(tag for _, tag in links) == ["a b", "c/c++", "día ?#&amp;"]
        for link, tag in links:
            html = await get(client, link.replace("&amp;", "&"))
            assert f"<h1>Questions tagged {tag}</h1>" in html and titles(html) == ["Slashes and more"]
