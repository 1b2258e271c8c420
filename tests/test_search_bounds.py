"""Every search has a bounded cost: words counted as the index splits them (checked against SQLite's
own tokenizer), a time budget that stops a statement, searches on connections of their own, and
control characters that never reach the index or Discord."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from functools import partial
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.forum.asking import Draft
from bot.forum.errors import BadInput
from bot.forum.search import (
    MAX_TERMS,
    TOO_BROAD,
    TooBroad,
    clean_query,
    index_tokens,
    index_word_count,
    parse_query,
)
from bot.forum.search_service import SearchService
from bot.forum.similar import SimilarCandidate, key_terms
from bot.forum.visibility import Readable
from db.search_budget import time_budget
from tests.harness import eventually
from tests.test_first_slice import setup_forum
from tests.test_search import EPHEMERAL, found, member, post_question, search

# ----- counting words as the index does ---------------------------------------------------------


def sqlite_counts(texts: list[str]) -> list[int]:
    """How many tokens SQLite's own tokenizer (the index's settings) finds in each text."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'unicode61 remove_diacritics 2')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    conn.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", list(enumerate(texts, 1)))
    found = dict(conn.execute("SELECT doc, count(*) FROM v GROUP BY doc"))
    conn.close()
    return [found.get(i, 0) for i in range(1, len(texts) + 1)]


HOSTILE = [
    ".".join(["a"] * 99),  # one "word" by spaces, 99 to the index
    "-".join(["x"] * 60),
    "_".join(["y"] * 60),
    "a'b'c'd'e'f'g'h'i'j'k'l'm",
    "a/b\\c|d:e;f,g!h?i(j)k[l]m{n}o<p>q=r+s*t^u~v`w@x#y$z%",
    "z" * 200,  # one very long word
    "don’t stop – it’s “quoted” «so» …",
    "a\u202eb\u2066c\u200bd\u200de",  # bidi override and isolate, zero-width space and joiner
    "é è ê ë ç cafe\u0301",
    "x🥺.🥺.🥺 😀 👍🏽",
    "数据库 データ 한국어 العربية עברית",
    "a\x00b\x01c\td\ne",
    "\ue000\ue001x",
]


def test_hostile_texts_are_counted_as_the_index_splits_them():
    assert len(index_tokens(".".join(["a"] * 99))) == 99
    assert index_tokens("a.b-c_d") == ["a", "b", "c", "d"]
    assert index_tokens("z" * 200) == ["z" * 200]
    counts = sqlite_counts(HOSTILE)
    for text, sqlite_count in zip(HOSTILE, counts, strict=True):
        assert index_word_count(text) >= sqlite_count, text
    # Where SQLite and Python know every character alike, the count is exact.
    for text, sqlite_count in zip(HOSTILE[:8], counts[:8], strict=True):
        if "\u2066" not in text and "\u200b" not in text:
            assert index_word_count(text) == sqlite_count, text


def test_every_character_is_classified_as_sqlite_does():
    """A character counted as surely in a word is one to SQLite, and one counted as surely separating
    separates there (the rest count as a word of their own: the bound holds)."""
    chars = [chr(c) for c in range(1, 0x20000) if not 0xD800 <= c < 0xE000]
    counts = sqlite_counts([f"a{ch}a" for ch in chars])
    for ch, count in zip(chars, counts, strict=True):
        in_word = len(index_tokens(f"a{ch}a")) == 1
        if in_word:
            assert count == 1, f"U+{ord(ch):04X} is in a word here but separates in SQLite"
        elif index_word_count(ch) == 0:
            assert count == 2, f"U+{ord(ch):04X} separates here but is in a word in SQLite"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_the_count_is_never_below_the_index(text):
    assert index_word_count(text) >= sqlite_counts([text])[0]


@pytest.mark.parametrize(
    "text",
    [
        ".".join(["a"] * 99),
        '"' + " ".join(["a"] * 60) + '"',
        "a-b-c-d-e-f-g-h-i-j-k-l-m",
        "the of and to a in is it that for on with as was",
        "x " + " ".join(f"-w{i}" for i in range(12)),
        "𝓪.𝓫.𝓬.𝓭.𝓮.𝓯.𝓰.𝓱.𝓲.𝓳.𝓴.𝓵.𝓶",
    ],
)
def test_too_many_index_words_are_refused_clearly(text):
    with pytest.raises(BadInput) as caught:
        parse_query(text)
    assert f"at most {MAX_TERMS}" in caught.value.message and "Too many words" in caught.value.message


def test_within_the_limit_is_accepted():
    assert parse_query("discord.py slash-commands").words == ("discord.py", "slash-commands")  # 4 words
    assert parse_query('"how to sync guild commands in discord.py v2" tag:help').phrases
    assert parse_query("z" * 200).words == ("z" * 200,)  # one word, however long


def test_control_and_format_characters_are_stripped():
    assert clean_query("a\x00b\x07c\u202ed\u2066e\u200bf\r\ng") == "a b c d e f  g"
    assert parse_query("sync\x00commands").words == ("sync", "commands")
    with pytest.raises(BadInput, match="nothing to search for"):
        parse_query("\x00\x01\u202e")


def test_similar_terms_are_single_index_words():
    title, body = key_terms("a_b_c_d_e_f_g_h_i_j sync.commands", "x" + "_y" * 1500)
    assert all(len(index_tokens(t)) == 1 for t in title + body)
    assert len(title) <= 8 and len(body) <= 6


class _SlowStore:
    """Answers the first similar-questions step, and is past its budget on the others."""

    def __init__(self, first: list[SimilarCandidate]) -> None:
        self.first, self.calls = first, 0

    async def similar_candidates(self, guild_id, terms, limit, *, readable, title_only=False, every=False):
        self.calls += 1
        if self.calls > 1 or not self.first:
            raise TooBroad(TOO_BROAD)
        return self.first


async def test_similar_questions_past_the_budget_never_stop_asking():
    draft = Draft("Slash commands never sync", "tree.sync leaves them hidden", ())
    assert await SearchService(_SlowStore([])).similar_questions(7, draft, Readable(frozenset({9}))) == []
    close = SimilarCandidate(1, 9, "Slash commands never sync at all", "", 1.0, 0, False)
    found = await SearchService(_SlowStore([close])).similar_questions(7, draft, Readable(frozenset({9})))
    assert [q.question_id for q in found] == [1], "what the first step found is kept"


# ----- the time budget ----------------------------------------------------------------------------


def test_a_statement_past_its_budget_is_stopped(tmp_path: Path):
    conn = sqlite3.connect(tmp_path / "b.db")
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n WHERE i < 1e12"
    started = time.monotonic()
    with pytest.raises(TooBroad) as caught, time_budget(conn, 0.05):
        conn.execute(slow).fetchall()
    assert time.monotonic() - started < 0.5
    assert "too broad" in caught.value.message and "tag:" in caught.value.message
    assert conn.execute("SELECT 1").fetchone() == (1,), "the handler is gone after the block"
    conn.close()


# ----- end to end -------------------------------------------------------------------------------------

# Twelve index words, within the limit: in a store where every post is "a b a b ...", both words are
# in every post and the phrase in none, so the index walks every position list (the costly case).
COSTLY_PHRASE = '"a a b b a a b b a a b b"'
SEEDED_POSTS = 20_000


def _seed(question_id: int, guild_id: int, count: int, conn: sqlite3.Connection) -> None:
    """Many long answers under one question, written as the store writes posts (the FTS triggers index
    them). Module level: write operations travel to the write process by pickle."""
    body = " ".join(["a b"] * 50)
    rows = ((question_id - 1 - i, question_id, guild_id, body) for i in range(count))
    conn.executemany("INSERT INTO posts (id, question_id, guild_id, kind, author_id, body, created_at) "
                     "VALUES (?, ?, ?, 'answer', 5, ?, 0)", rows)  # fmt: skip


async def seeded_forum(emulator, quorum) -> int:
    await setup_forum(emulator)
    tid = await post_question(emulator, quorum, "bob", "Slash commands never sync", "tree.sync leaves them hidden.")
    await quorum.store.writer.run_sync(partial(_seed, tid, emulator.world.guild_id, SEEDED_POSTS))
    return tid


async def test_hostile_searches_are_refused_clearly_and_at_once(emulator, quorum):
    await setup_forum(emulator)
    await post_question(emulator, quorum, "bob", "Slash commands never sync", "tree.sync leaves them hidden.")
    for _ in range(2):  # and again after a restart
        started = time.monotonic()
        text = found(await search(emulator, ".".join(["a"] * 99)))
        assert "Too many words" in text and f"at most {MAX_TERMS}" in text and "counts as 99" in text
        assert time.monotonic() - started < 1.0
        result = await search(emulator, "never\x00sync\u202e")
        assert "Something broke" not in found(result) and "Slash commands never sync" in found(result)
        assert result["embeds"][0]["title"] == "Search: never sync"
        await quorum.restart()


async def test_a_search_past_its_budget_is_too_broad_and_deferred(emulator, quorum):
    await seeded_forum(emulator, quorum)
    # The store's own FTS index (the fallback while no search index is usable) is the one a phrase
    # of common words can keep busy; the search index answers it at once.
    quorum.store.search_index = None
    quorum.store.search_budget = 0.01
    text = found(await search(emulator, COSTLY_PHRASE))
    assert "too broad" in text and "tag:" in text

    # A search still running after `defer_after` is deferred first, then answered as a follow-up:
    # its refusal, or its results.
    quorum.bot.get_cog("Search").defer_after = 0.0
    for query, budget, expected in [(COSTLY_PHRASE, 0.01, "too broad"), ("never sync", 2.0, "Slash commands never")]:
        quorum.store.search_budget = budget
        inter = await emulator.invoke_slash(member(emulator, "dave"), emulator.world.text_channel_id, "search",
                                            {"query": query})  # fmt: skip
        first = await inter.wait_response(timeout=3.0)
        assert first["type"] == 5 and first["data"]["flags"] & EPHEMERAL, "deferred, privately"
        await emulator.wait_for(lambda inter=inter: inter.followups, timeout=5.0)
        assert expected in found(inter.followups[0]) and inter.followups[0]["flags"] & EPHEMERAL


async def test_answers_are_mirrored_promptly_while_hostile_searches_run(emulator, quorum):
    tid = await seeded_forum(emulator, quorum)
    dave, channel = member(emulator, "dave"), emulator.world.text_channel_id
    searches = [await emulator.invoke_slash(dave, channel, "search", {"query": COSTLY_PHRASE}) for _ in range(10)]
    await asyncio.sleep(0.05)  # the searches are running
    started = time.monotonic()
    message = await emulator.post_message(member(emulator, "carol"), tid, "Sync to your guild while developing.")
    await eventually(lambda: quorum.store.get_post(int(message["id"])), timeout=10.0)
    mirrored = time.monotonic() - started
    for inter in searches:  # every search is answered within Discord's deadline (deferred if slow)
        first = await inter.wait_response(timeout=3.0)
        assert first["type"] in (4, 5)
    assert mirrored < 0.5, f"the answer was stored {mirrored:.2f} s after it was posted"

    await quorum.restart()
    assert (await quorum.store.get_post(int(message["id"]))).body == "Sync to your guild while developing."
