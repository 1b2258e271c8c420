"""Search: the query parser, the FTS expression it can never smuggle syntax into, ranking, similar
questions while asking, and /search end to end with the real bot (operators, refusals, pages that
outlive a restart, tag autocomplete, tags mirrored both ways, deleted posts never found)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from bot.forum.errors import BadInput
from bot.forum.models import Post, PostKind, Question
from bot.forum.search import Candidate, SearchQuery, blended, parse_query, rank
from bot.forum.similar import SimilarCandidate, key_terms, pick_similar
from db import search as db_search
from db.connection import run_on_connection_thread
from db.search import fts_string, match_all
from db.store import open_store
from tests.harness import eventually
from tests.test_first_slice import setup_forum

EPHEMERAL = 64

# ----- the parser (pure) ----------------------------------------------------------------------------


def test_words_phrases_and_operators():
    q = parse_query('sync commands "guild only" -global tag:python tag:"discord.py" user:<@!42> is:accepted '
                    "IS:Open score:>=3")  # fmt: skip
    assert q.words == ("sync", "commands") and q.phrases == ("guild only",) and q.excluded == ("global",)
    assert q.tags == ("python", "discord.py") and q.user_id == 42
    assert q.accepted and q.open and not q.unanswered and q.score == (">=", 3)
    assert parse_query("user:42 is:unanswered").user_id == 42
    assert parse_query("x score:7").score == (">=", 7) and parse_query("x score:<-2").score == ("<", -2)
    assert parse_query("tag:help").has_text is False


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('how "to sync', "never closed"),
        ('tag:"discord.py', "never closed"),
        ("title:sync", "`title:` is not a search operator"),
        ("http://example.com", "put it in quotes"),
        ("is:closed", "is:accepted, is:unanswered or is:open"),
        ("score:high", "score:>=3"),
        ("user:bob", "mention or a member id"),
        ("tag:", "needs a value"),
        ("-python", "not only what to leave out"),
        ("*) ( ^", "nothing to search for"),
        ("", "nothing to search for"),
        ("x" * 201, "at most 200"),
        (" ".join(f"w{i}" for i in range(13)), "at most 12"),
    ],
)
def test_malformed_queries_say_what_is_wrong(text, fragment):
    with pytest.raises(BadInput, match=None) as caught:
        parse_query(text)
    assert fragment in caught.value.message


def test_fts_syntax_is_only_ever_text():
    q = parse_query("NEAR(a OR c* ^d -e {title}:x")
    assert match_all(q) == '("NEAR(a" AND "OR" AND "c*" AND "^d" AND "{title}:x") NOT ("e")'
    assert match_all(parse_query('say "he said" "" x')) == '"say" AND "x" AND "he said"'
    assert fts_string('a"b') == '"a""b"'


async def test_hostile_queries_run_as_plain_text(tmp_path: Path):
    store = await open_store(tmp_path / "s.db")
    try:
        for text in ["NEAR(a b)", "c* OR d", "^e", 'x"y"', '"a""b"', "col:val'", "-- ;DROP", "a AND NOT b", "😀 ü"]:
            try:
                query = parse_query(text)
            except BadInput:
                continue
            # ran, found nothing, no sqlite3.Error
            assert (await store.search_candidates(1, query, 10, readable=None)).found == []
    finally:
        await store.close()


async def test_very_common_words_filter_but_do_not_rank(tmp_path: Path, monkeypatch):
    # Shrink the probe so that 12 posts are a "busy" forum: a word in over half of the newest
    # posts is very common (in production: over 5% of the newest 4000).
    monkeypatch.setattr(db_search, "PROBE_DEPTH", 2)
    monkeypatch.setattr(db_search, "COMMON_SHARE", 0.5)
    monkeypatch.setattr(db_search, "HORIZON_TTL", 0.0)
    store = await open_store(tmp_path / "s.db", follow_search_index=False)  # the FTS fallback
    at = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        await store.add_question(Question(1, 7, 9, "A question", 5, at), None)
        for n in range(12):
            body = "the bot " + ("rare word rare " if n in (3, 8) else "") + ("rare " if n == 8 else "") + f"n{n}"
            await store.add_post(Post(100 + n, 1, 7, PostKind.ANSWER, 5, body, at + timedelta(seconds=n)))
        reader = store._readers[0]
        common = await run_on_connection_thread(reader, lambda conn: store._common_terms(conn, ("the", "bot", "rare")))
        assert common == {"the", "bot"}
        only_common = (await store.search_candidates(7, parse_query("the bot"), 5, readable=None)).found
        assert [c.post_id for c in only_common] == [111, 110, 109, 108, 107], "newest first, bounded"
        assert {c.relevance for c in only_common} == {1.0}, "no bm25 over words in most posts"
        mixed = (await store.search_candidates(7, parse_query("the rare"), 5, readable=None)).found
        assert [c.post_id for c in mixed] == [108, 103]
        assert mixed[0].relevance > mixed[1].relevance > 0, "bm25 of the informative word ranks"
    finally:
        await store.close()


def test_ranking_blends_relevance_votes_and_acceptance():
    assert blended(2.0, 0, True) > blended(2.0, 0, False) > blended(2.0, -5, False)
    assert blended(2.0, 10, False) > blended(2.0, 0, False)
    assert blended(6.0, 0, False) > blended(2.0, 100, False), "votes never bury a 3x better match"
    hits = rank([Candidate(11, 1, 9, 1.0, 0, False), Candidate(12, 1, 9, 3.0, 0, False),
                 Candidate(21, 2, 9, 2.0, 0, True)])  # fmt: skip
    assert [(h.question_id, h.post_id) for h in hits] == [(1, 12), (2, 21)], "one hit per question, its best post"


def test_similar_needs_most_title_words():
    title_terms, body_terms = key_terms("How do I sync slash commands?", "It says CommandNotFound when I run it")
    assert title_terms == ("sync", "slash", "commands") and body_terms[0] == "commandnotfound"

    def cand(qid, title, body="", accepted=False):
        return SimilarCandidate(qid, 9, title, body, 1.0, 0, accepted)

    picked = pick_similar(title_terms, [
        cand(1, "Slash commands do not sync"), cand(2, "Sync my database"), cand(3, "Commands", "slash sync"),
        cand(4, "Syncing slash commands", accepted=True),
    ])  # fmt: skip
    # 2 is one word short; 3 has two words in its body only (half each); 4 ranks first: accepted.
    assert [p.question_id for p in picked] == [4, 1, 3]
    assert pick_similar((), [cand(1, "anything")]) == []


# ----- end to end -------------------------------------------------------------------------------------


def member(emulator, name: str) -> int:
    return emulator.world.members[name].id


async def post_question(emulator, quorum, who: str, title: str, body: str, tags=()) -> int:
    ids = [emulator.tag_id(t) for t in tags]
    thread = await emulator.create_forum_post(member(emulator, who), title, body, applied_tags=ids)
    tid = int(thread["id"])
    await eventually(lambda: quorum.store.question_posts(tid))
    return tid


async def answer(emulator, quorum, who: str, tid: int, text: str) -> int:
    message = await emulator.post_message(member(emulator, who), tid, text)
    mid = int(message["id"])
    await eventually(lambda: quorum.store.get_post(mid))
    return mid


async def search(emulator, text: str, who: str = "dave") -> dict:
    inter = await emulator.invoke_slash(member(emulator, who), emulator.world.text_channel_id, "search",
                                        {"query": text})  # fmt: skip
    response = await inter.wait_response()
    assert response["type"] == 4 and response["data"]["flags"] & EPHEMERAL
    return {"inter": inter, **response["data"]}


def found(result: dict) -> str:
    return result["embeds"][0]["description"] if result.get("embeds") else result["content"]


@pytest.fixture
async def forum(emulator, quorum):
    """Four questions: tagged, answered, accepted, scored, and one closed."""
    await setup_forum(emulator)
    ids = {
        "sync": await post_question(emulator, quorum, "bob", "Slash commands never sync",
                                    "I call tree.sync but the commands stay hidden.", ["python"]),
        "intents": await post_question(emulator, quorum, "carol", "Message content arrives empty",
                                       "Every message I read has empty content.", ["discord.py"]),
        "sqlite": await post_question(emulator, quorum, "bob", "Database locked errors in sqlite",
                                      "Writes fail with database is locked.", ["sql", "python"]),
        "closed": await post_question(emulator, quorum, "dave", "Old question about voice",
                                      "Voice sync drops after an hour."),
    }  # fmt: skip
    ids["sync_answer"] = await answer(emulator, quorum, "carol", ids["sync"], "Sync to your guild while developing.")
    ids["sqlite_answer"] = await answer(emulator, quorum, "dave", ids["sqlite"], "Use WAL and one writer.")

    await quorum.store.writer.run_sync(partial(_set_counters, ids))
    return ids


def _set_counters(ids: dict[str, int], conn: sqlite3.Connection) -> None:
    # No vote or close path is needed here: set the maintained counters as their transactions would.
    # (A module-level function: write operations travel to the write process by pickle.)
    conn.execute("UPDATE questions SET accepted_answer_id = ? WHERE id = ?", (ids["sqlite_answer"], ids["sqlite"]))
    conn.execute("UPDATE questions SET score = 5 WHERE id = ?", (ids["sync"],))
    conn.execute("UPDATE questions SET status = 'closed' WHERE id = ?", (ids["closed"],))


async def test_search_with_each_operator(emulator, quorum, forum):
    result = await search(emulator, "sync")
    text = found(result)
    assert "Slash commands never sync" in text and "Old question about voice" in text
    assert result["embeds"][0]["title"] == "Search: sync" and "**sync**" in text.casefold()
    # An answer's words find its question, and the link jumps to that answer.
    text = found(await search(emulator, "WAL writer"))
    assert "Database locked errors" in text and f"/{forum['sqlite']}/{forum['sqlite_answer']})" in text

    assert "never sync" in found(await search(emulator, '"tree.sync"'))
    assert "Nothing found" in found(await search(emulator, '"sync tree"')), "a phrase keeps its word order"
    text = found(await search(emulator, "sync -voice"))
    assert "never sync" in text and "Old question about voice" not in text
    text = found(await search(emulator, "tag:python"))
    assert "never sync" in text and "Database locked" in text and "Message content" not in text
    text = found(await search(emulator, "tag:PYTHON locked"))
    assert "Database locked" in text and "never sync" not in text
    text = found(await search(emulator, f"user:<@{member(emulator, 'carol')}>"))
    assert "Message content" in text and "never sync" in text and "Database locked" not in text  # carol answered sync
    text = found(await search(emulator, f"sync user:{member(emulator, 'dave')}"))
    assert "Old question about voice" in text and "never sync" not in text
    text = found(await search(emulator, "is:accepted"))
    assert "Database locked" in text and "✔ accepted" in text and "never sync" not in text
    text = found(await search(emulator, "is:unanswered"))
    assert "Message content" in text and "Old question" in text and "Database locked" not in text
    assert "Old question about voice" not in found(await search(emulator, "sync is:open"))
    text = found(await search(emulator, "score:>=5"))
    assert "never sync" in text and "Database locked" not in text
    text = found(await search(emulator, "tag:pyton"))
    assert "no tag 'pyton'" in text and "Did you mean 'python'" in text


async def test_a_malformed_query_is_answered_clearly(emulator, quorum, forum):
    for text, fragment in [
        ('"unclosed phrase', "never closed"),
        ("title:sync", "is not a search operator"),
        ("*)(^", "nothing to search for"),
    ]:
        assert fragment in found(await search(emulator, text))
    # FTS operators typed by a member are just words: no error, no SQL leaking out.
    result = await search(emulator, "NEAR(sync* OR never) ^slash")
    assert "Something broke" not in found(result) and "syntax" not in found(result).casefold()
    assert "Nothing found" in found(await search(emulator, "sync AND never"))  # "and" is a word to find


async def test_results_are_paged_and_pages_survive_a_restart(emulator, quorum):
    await setup_forum(emulator)
    for n in range(12):
        await post_question(emulator, quorum, "bob", f"Widget number {n} misbehaves", f"Widget trouble {n}.")
    result = await search(emulator, "widget", who="carol")
    assert result["embeds"][0]["footer"]["text"] == "page 1/3 · 12 questions"
    message = result["inter"].original_message
    nav = {c["label"]: c for row in message["components"] for c in row["components"]}
    assert nav["◀"]["disabled"]
    carol, channel = member(emulator, "carol"), emulator.world.text_channel_id
    click = await emulator.click_button(carol, channel, int(message["id"]), nav["▶"]["custom_id"])
    turned = await click.wait_response()
    assert turned["type"] == 7 and turned["data"]["embeds"][0]["footer"]["text"].startswith("page 2/3")

    await quorum.restart()
    message = result["inter"].original_message  # the member's copy, as the click left it
    nav = {c["label"]: c for row in message["components"] for c in row["components"]}
    click = await emulator.click_button(carol, channel, int(message["id"]), nav["▶"]["custom_id"])
    last = await click.wait_response()
    assert last["data"]["embeds"][0]["footer"]["text"].startswith("page 3/3")
    assert last["data"]["embeds"][0]["description"].count("Widget number") == 2


async def test_tag_autocomplete(emulator, quorum):
    await setup_forum(emulator)
    inter = await emulator.autocomplete(member(emulator, "bob"), emulator.world.text_channel_id, "search",
                                        {"query": "locked tag:py"}, focused="query")  # fmt: skip
    await inter.wait_response()
    assert [c["value"] for c in inter.choices] == ["locked tag:python", "locked tag:discord.py"]  # prefix first
    inter = await emulator.autocomplete(member(emulator, "bob"), emulator.world.text_channel_id, "search",
                                        {"query": "sync"}, focused="query")  # fmt: skip
    await inter.wait_response()
    assert inter.choices == []


async def test_tags_follow_discord_both_ways(emulator, quorum, forum):
    # A member changes the post's tags in Discord: the store follows, and so does tag: search.
    await emulator.set_thread_tags(forum["intents"], [emulator.tag_id("python"), emulator.tag_id("help")])

    async def retagged():
        return (await quorum.store.get_question(forum["intents"])).tags == ("python", "help")

    await eventually(retagged)
    assert "Message content" in found(await search(emulator, "tag:help"))
    assert "Message content" not in found(await search(emulator, "tag:discord.py"))
    # And /ask tags: become the thread's tags in Discord (as well as the store's).
    options = {"title": "Completely unrelated zebra", "body": "Stripes?", "tags": "help"}
    inter = await emulator.invoke_slash(member(emulator, "bob"), emulator.world.text_channel_id, "ask", options)
    await inter.wait_response()
    await emulator.wait_for(lambda: inter.followups, message="no answer to /ask")
    [thread] = [t for t in emulator.world.threads.values() if t["name"] == "Completely unrelated zebra"]
    assert thread["applied_tags"] == [str(emulator.tag_id("help"))]


async def test_deleted_posts_are_not_found(emulator, quorum, forum):
    assert "Database locked" in found(await search(emulator, "WAL"))
    await emulator.delete_message(forum["sqlite"], forum["sqlite_answer"])

    async def gone():
        return (await quorum.store.get_post(forum["sqlite_answer"])).deleted_at is not None

    await eventually(gone)
    assert "Nothing found" in found(await search(emulator, "WAL"))
    await emulator.delete_thread(forum["intents"])
    await eventually(lambda: _deleted(quorum, forum["intents"]))
    assert "Nothing found" in found(await search(emulator, "empty content"))


async def _deleted(quorum, tid):
    return (await quorum.store.get_question(tid)).deleted_at is not None


# ----- similar questions while asking -----------------------------------------------------------------


async def ask(emulator, title: str, body: str, who: str = "carol"):
    inter = await emulator.invoke_slash(member(emulator, who), emulator.world.text_channel_id, "ask",
                                        {"title": title, "body": body})  # fmt: skip
    await inter.wait_response()
    await emulator.wait_for(lambda: inter.followups, message="no answer to /ask")
    return inter, inter.followups[-1]


def draft_buttons(message: dict) -> dict[str, str]:
    return {c["label"]: c["custom_id"] for row in message.get("components", []) for c in row["components"]}


async def test_similar_questions_cancel_post_anyway_and_a_restart(emulator, quorum, forum):
    threads = len(emulator.world.threads)
    carol, channel = member(emulator, "carol"), emulator.world.text_channel_id
    inter, shown = await ask(emulator, "Why do my slash commands not sync?", "They never show up.")
    assert inter.ephemeral and shown["embeds"][0]["title"] == "Has this been asked already?"
    assert "Slash commands never sync" in shown["embeds"][0]["description"]
    assert len(emulator.world.threads) == threads, "nothing is posted while the asker decides"
    buttons = draft_buttons(shown)
    assert set(buttons) == {"Post anyway", "Cancel"}

    stranger = await emulator.click_button(member(emulator, "dave"), channel, int(shown["id"]), buttons["Cancel"])
    assert "someone else's" in (await stranger.wait_response())["data"]["content"]
    click = await emulator.click_button(carol, channel, int(shown["id"]), buttons["Cancel"])
    assert (await click.wait_response())["data"]["content"].startswith("Cancelled")
    assert len(emulator.world.threads) == threads

    # Shown, then the bot restarts, then "Post anyway": the draft was kept in the store.
    inter, shown = await ask(emulator, "Slash commands do not sync at all", "Tried everything.")
    await quorum.restart()
    # Clicked twice in a row (before the first click took the buttons away): posted once.
    post_anyway = draft_buttons(shown)["Post anyway"]
    clicks = [await emulator.click_button(carol, channel, int(shown["id"]), post_anyway) for _ in range(2)]
    answers = [await c.wait_response() for c in clicks]
    [click] = [c for c, a in zip(clicks, answers, strict=True) if a["type"] == 7]
    [refused] = [a for a in answers if a["type"] == 4]
    assert "already posted or cancelled" in refused["data"]["content"]
    await emulator.wait_for(lambda: click.followups, message="no follow-up after Post anyway")
    assert "Your question is up" in click.followups[-1]["content"]
    [thread] = [t for t in emulator.world.threads.values() if t["name"] == "Slash commands do not sync at all"]
    question = await eventually(lambda: quorum.store.get_question(int(thread["id"])))
    assert question.author_id == carol

    # Nothing similar: the question goes up at once.
    inter, shown = await ask(emulator, "Kubernetes ingress certificates", "cert-manager never issues one.")
    assert "Your question is up" in shown["content"]


def test_query_defaults():
    assert SearchQuery().has_text is False and parse_query("a b a").words == ("a", "b")
