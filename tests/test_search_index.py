"""The search index (db/search_index.py, db/search_indexer.py): derived from the store, never trusted
over it. A post is found right after it is mirrored, after a restart, after the index is deleted,
after a crash between the store's commit and the index's, and the index is rebuilt when it is
damaged, belongs to another database, or is further behind than the journal keeps."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.forum.models import Post, PostKind, Question, QuestionStatus
from bot.forum.search import parse_query
from bot.forum.search_service import SearchService
from bot.forum.visibility import Readable
from db import search_engine as engine
from db import search_index
from db.search_index import IndexFiles, index_root
from db.store import SqliteStore, open_store
from db.web_store import open_web_store
from tests.harness import eventually
from tests.test_search import answer, found, post_question, search, setup_forum

G, CH = 7, 9
AT = datetime(2026, 1, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


async def newest_change(store) -> int:
    return (await store._fetchone("SELECT coalesce(max(seq), 0) FROM search_changes", ()))[0]


async def caught_up(store: SqliteStore) -> None:
    """Until the store's indexer holds every change the store has committed."""
    newest = await newest_change(store)
    await eventually(lambda: _true(store.indexer.seq >= newest), timeout=20)


async def _true(value: bool) -> bool:
    return value


def index_finds(store, text: str) -> list[int]:
    """Post ids the index itself returns for `text` in guild G (not the store's own FTS fallback)."""
    searcher = store.search_index.searcher(0)
    assert searcher is not None, "no usable search index"
    query = engine.search_query(searcher, parse_query(text), engine.Scope(G, None))
    return [post for post, _, _ in engine.top(searcher, query, 100)]


async def add_thread(store, qid: int, title: str, body: str, answers: dict[int, str] = {}) -> None:  # noqa: B006
    await store.add_question(Question(qid, G, CH, title, 5, AT), Post(qid, qid, G, PostKind.QUESTION, 5, body, AT))
    for n, (pid, text) in enumerate(answers.items()):
        await store.add_post(Post(pid, qid, G, PostKind.ANSWER, 6, text, AT + timedelta(seconds=n + 1)))


async def found_ids(store, text: str) -> list[int]:
    walk = await store.search_candidates(G, parse_query(text), 300, readable=None)
    return [c.post_id for c in walk.found]


# ----- the store with its indexer -----------------------------------------------------------------


async def test_a_post_is_found_right_after_it_is_written(tmp_path: Path):
    store = await open_store(tmp_path / "s.db")
    try:
        await caught_up(store)  # the first index is built (empty)
        for n in range(20):
            await add_thread(store, 100 + n, f"Question {n}", f"body {n}", {1000 + n: f"zanzibar answer {n}"})
            # No waiting: a search gives this process's indexer a moment to take in what was written.
            assert 1000 + n in await found_ids(store, "zanzibar"), n
            assert 1000 + n in index_finds(store, f"zanzibar {n}")
        walk = await store.search_candidates(G, parse_query("zanzibar"), 300, readable=None)
        assert walk.by_relevance and walk.complete
    finally:
        await store.close()


async def test_edits_renames_retags_and_deletions_reach_the_index(tmp_path: Path):
    store = await open_store(tmp_path / "s.db")
    try:
        await add_thread(store, 100, "Marmalade jar", "how to open it", {101: "twist the lid"})
        await store.edit_post(101, "tap the lid with a spoon", None, AT + timedelta(minutes=1))
        await store.rename_question(100, "Stubborn jar", None, AT + timedelta(minutes=1))
        await store.set_question_tags(100, ("kitchen",), AT + timedelta(minutes=1))
        await caught_up(store)
        assert index_finds(store, "spoon") == [101] and index_finds(store, "twist") == []
        assert index_finds(store, "stubborn") == [100] and index_finds(store, "marmalade") == []
        searcher = store.search_index.searcher(0)
        tagged = engine.search_query(searcher, parse_query("lid"), engine.Scope(G, None, tags=("kitchen",)))
        assert [p for p, _, _ in engine.top(searcher, tagged, 10)] == [101], "tags are on every post of the thread"
        await store.delete_post(101, AT + timedelta(minutes=2))
        await caught_up(store)
        assert index_finds(store, "spoon") == []
        await store.delete_question(100, AT + timedelta(minutes=3))
        await caught_up(store)
        assert index_finds(store, "stubborn") == []
    finally:
        await store.close()


async def test_a_hit_the_store_no_longer_has_is_never_shown(tmp_path: Path):
    # The index may lag the store by a moment: every hit is confirmed by its question, and a post
    # deleted meanwhile is not what a result shows or links to.
    store = await open_store(tmp_path / "s.db")
    try:
        await add_thread(store, 100, "Quokka care", "what do quokkas eat", {101: "quokkas eat leaves"})
        await add_thread(store, 200, "Quokka smiles", "why do quokkas smile", {201: "quokkas smile at leaves"})
        await caught_up(store)
        store.indexer.stop()  # the index keeps everything below ...
        await store.delete_post(101, AT + timedelta(minutes=1))  # ... which the store deletes
        await store.delete_question(200, AT + timedelta(minutes=1))
        assert {101, 201} <= set(index_finds(store, "leaves"))
        readable = Readable(frozenset({CH}))
        page = await SearchService(store).search(G, "leaves", page=0, available_tags=None, readable=readable)
        assert [(r.question_id, r.post_id, r.snippet) for r in page.results] == [(100, 100, "")]
    finally:
        await store.close()


async def test_after_a_restart_the_index_is_reused_not_rebuilt(tmp_path: Path):
    store = await open_store(tmp_path / "s.db")
    try:
        await add_thread(store, 100, "Axolotl tank", "water temperature", {101: "keep it cool"})
        await caught_up(store)
        first = store.search_index.files.current_name()
    finally:
        await store.close()
    store = await open_store(tmp_path / "s.db")
    try:
        await caught_up(store)
        assert store.search_index.files.current_name() == first
        assert index_finds(store, "axolotl") == [100] and await found_ids(store, "cool") == [101]
    finally:
        await store.close()


async def test_a_deleted_index_is_rebuilt_and_searches_go_on_meanwhile(tmp_path: Path):
    store = await open_store(tmp_path / "s.db")
    await add_thread(store, 100, "Pangolin scales", "are they hard", {101: "yes, keratin"})
    await store.close()
    shutil.rmtree(index_root(tmp_path / "s.db"))
    store = await open_store(tmp_path / "s.db", follow_search_index=False)  # no indexer: nothing rebuilds
    try:
        walk = await store.search_candidates(G, parse_query("keratin"), 300, readable=None)
        assert [c.post_id for c in walk.found] == [101] and not walk.by_relevance, "the store's own index answers"
    finally:
        await store.close()
    store = await open_store(tmp_path / "s.db")
    try:
        await caught_up(store)
        assert index_finds(store, "keratin") == [101]
    finally:
        await store.close()


async def test_the_index_is_caught_up_after_a_crash_between_the_store_and_the_index(tmp_path: Path):
    database = tmp_path / "s.db"
    store = await open_store(database)
    await add_thread(store, 100, "Tapir noses", "why so long", {101: "for grabbing"})
    await store.close()
    # A bot process whose indexer has not yet committed what the store has, killed at that moment:
    # the store commits the answer, then the process ends without any cleanup (os._exit).
    script = textwrap.dedent(f"""
        import asyncio, os
        from datetime import UTC, datetime
        from pathlib import Path
        from bot.forum.models import Post, PostKind
        from db import search_indexer
        from db.store import open_store

        search_indexer.apply_changes = lambda *a: (_ for _ in ()).throw(RuntimeError("not yet"))

        async def main():
            store = await open_store(Path({str(database)!r}))
            post = Post(102, 100, {G}, PostKind.ANSWER, 6, "a prehensile snout", datetime(2026, 1, 2, tzinfo=UTC))
            assert await store.add_post(post)
            os._exit(0)

        asyncio.run(main())
    """)
    command = [sys.executable, "-c", script]
    done = await asyncio.to_thread(subprocess.run, command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM posts WHERE id = 102").fetchone()[0] == 1, "the store has it"
    left = engine.open_index(IndexFiles(index_root(database)).current())
    searcher = left.searcher()
    query = engine.search_query(searcher, parse_query("prehensile"), engine.Scope(G, None))
    assert engine.top(searcher, query, 10) == []
    store = await open_store(database)
    try:
        await caught_up(store)
        assert index_finds(store, "prehensile") == [102], "replayed from the journal at start"
        assert await found_ids(store, "snout") == [102]
    finally:
        await store.close()


async def test_a_damaged_index_is_rebuilt(tmp_path: Path):
    database = tmp_path / "s.db"
    store = await open_store(database)
    await add_thread(store, 100, "Okapi stripes", "why stripes", {101: "camouflage"})
    await caught_up(store)
    current = store.search_index.files.current()
    await store.close()
    for file in current.iterdir():
        if file.is_file():
            file.write_bytes(b"\0garbage")
    store = await open_store(database)
    try:
        await caught_up(store)
        assert store.search_index.files.current() != current
        assert index_finds(store, "camouflage") == [101]
    finally:
        await store.close()


async def test_an_index_of_another_database_is_rebuilt(tmp_path: Path):
    one, other = tmp_path / "one.db", tmp_path / "other.db"
    for path, word in ((one, "narwhal"), (other, "dugong")):
        store = await open_store(path)
        await add_thread(store, 100, f"The {word}", "a question", {101: f"about the {word}"})
        await caught_up(store)
        await store.close()
    shutil.rmtree(index_root(other))
    shutil.copytree(index_root(one), index_root(other))  # the wrong index beside the database
    store = await open_store(other)
    try:
        assert await found_ids(store, "narwhal") == [], "the foreign index is never searched"
        await caught_up(store)
        assert index_finds(store, "dugong") == [100, 101] or index_finds(store, "dugong") == [101, 100]
        assert index_finds(store, "narwhal") == []
    finally:
        await store.close()


async def test_an_index_further_behind_than_the_journal_keeps_is_rebuilt(tmp_path: Path):
    database = tmp_path / "s.db"
    store = await open_store(database, follow_search_index=False)
    await add_thread(store, 100, "Capybara friends", "why do animals sit on them", {101: "they are calm"})
    await store.close()
    store = await open_store(database)
    await caught_up(store)
    await store.close()
    with sqlite3.connect(database) as conn:  # the journal forgot changes the index never saw
        conn.execute("UPDATE posts SET body = 'they are very chill' WHERE id = 101")
        conn.execute("DELETE FROM search_changes WHERE seq < (SELECT max(seq) FROM search_changes)")
        conn.execute("UPDATE sqlite_sequence SET seq = seq + 200000 WHERE name = 'search_changes'")
        conn.execute("INSERT INTO search_changes (post_id) VALUES (100)")
    store = await open_store(database)
    try:
        await caught_up(store)
        assert index_finds(store, "chill") == [101]
    finally:
        await store.close()


async def test_a_web_server_alone_passes_over_an_index_nobody_catches_up(tmp_path: Path, monkeypatch):
    database = tmp_path / "s.db"
    store = await open_store(database)
    await add_thread(store, 100, "Wombat cubes", "how", {101: "square droppings"})
    await caught_up(store)
    await store.close()
    with sqlite3.connect(database) as conn:  # written while no indexer ran (a crashed bot's last writes)
        conn.execute("UPDATE posts SET body = 'cubic droppings' WHERE id = 101")
    monkeypatch.setattr(search_index, "STALE_AFTER", 0.0)
    web = await open_web_store(database)
    try:
        walk = await web.search_candidates(G, parse_query("cubic"), 300, readable=Readable(frozenset({CH})))
        assert [c.post_id for c in walk.found] == [101] and not walk.by_relevance
    finally:
        await web.close()


async def test_similar_questions_come_from_the_index(tmp_path: Path):
    store = await open_store(tmp_path / "s.db")
    try:
        await add_thread(store, 100, "Slash commands do not sync", "tree sync does nothing", {101: "sync commands"})
        await add_thread(store, 200, "Embeds look empty", "nothing shows")
        found = await store.similar_candidates(G, ("slash", "sync"), 10, readable=None, title_only=True)
        assert [c.question_id for c in found] == [100] and found[0].body == "tree sync does nothing"
        assert await store.similar_candidates(G, ("slash",), 10, readable=Readable(frozenset({CH + 1}))) == []
    finally:
        await store.close()


# ----- end to end: the real bot through the emulator ------------------------------------------


@pytest.fixture
async def forum_thread(emulator, quorum):
    await setup_forum(emulator)
    return await post_question(emulator, quorum, "bob", "Gateway keeps reconnecting", "Every few minutes.")


async def test_search_finds_a_mirrored_answer_at_once_after_restarts_and_without_its_index(
    emulator, quorum, forum_thread
):
    await answer(emulator, quorum, "carol", forum_thread, "Raise the heartbeat timeout; check the zeppelin proxy.")
    assert "Gateway keeps reconnecting" in found(await search(emulator, "zeppelin proxy")), "found at once"

    await quorum.restart()
    assert "Gateway keeps reconnecting" in found(await search(emulator, "zeppelin"))

    await quorum.stop()
    shutil.rmtree(index_root(quorum.database))
    await quorum.start()
    assert "Gateway keeps reconnecting" in found(await search(emulator, "zeppelin")), "found while it rebuilds"
    await caught_up(quorum.store)
    assert "Gateway keeps reconnecting" in found(await search(emulator, "zeppelin"))
    assert await asyncio.to_thread(os.path.isdir, quorum.store.search_index.files.current())


async def test_guild_and_channel_filters_are_kept_exactly_when_they_leave_something_out(tmp_path: Path):
    store = await open_store(tmp_path / "s.db")
    try:
        await add_thread(store, 100, "Heron fishing", "patience", {101: "heron waits"})
        await caught_up(store)
        searcher = store.search_index.searcher(0)
        assert engine._filters(searcher, engine.Scope(G, frozenset({CH}))) == [], "one guild, every channel readable"
        await store.add_question(Question(200, G, CH + 1, "Heron in the staff room", 5, AT), None)
        await store.add_post(Post(200, 200, G, PostKind.QUESTION, 5, "a heron again", AT))
        await store.add_question(Question(300, G + 1, CH + 2, "Heron elsewhere", 5, AT), None)
        await store.add_post(Post(300, 300, G + 1, PostKind.QUESTION, 5, "another guild's heron", AT))
        await caught_up(store)
        searcher = store.search_index.searcher(0)
        for channels, expected in (({CH}, {100, 101}), ({CH, CH + 1}, {100, 101, 200}), (set(), set())):
            query = engine.search_query(searcher, parse_query("heron"), engine.Scope(G, frozenset(channels)))
            assert {p for p, _, _ in engine.top(searcher, query, 10)} == expected, channels
        query = engine.search_query(searcher, parse_query("heron"), engine.Scope(G, None))
        assert {p for p, _, _ in engine.top(searcher, query, 10)} == {100, 101, 200}, "never another guild's"
    finally:
        await store.close()


async def test_the_thread_flags_follow_acceptance_status_and_answers(tmp_path: Path):
    store = await open_store(tmp_path / "s.db")

    def flagged(*flags: tuple[str, bool]) -> set[int]:
        searcher = store.search_index.searcher(0)
        query = engine.search_query(searcher, parse_query("ibis"), engine.Scope(G, None, flags=flags))
        return {p for p, _, _ in engine.top(searcher, query, 10)}

    try:
        await add_thread(store, 100, "Ibis beaks", "why curved")
        await caught_up(store)
        assert flagged(("answered", False)) == {100} and flagged(("accepted", True)) == set()
        await store.add_post(Post(101, 100, G, PostKind.ANSWER, 6, "ibis probe mud", AT + timedelta(seconds=1)))
        await caught_up(store)
        assert flagged(("answered", False)) == set() and flagged(("answered", True)) == {100, 101}
        await store.set_acceptance(100, 101, 5, AT + timedelta(seconds=2))
        await caught_up(store)
        assert flagged(("accepted", True)) == {100, 101}
        await store.set_status(100, QuestionStatus.CLOSED, None, AT + timedelta(seconds=3))
        await caught_up(store)
        assert flagged(("open", True)) == set() and flagged(("open", False)) == {100, 101}
        await store.delete_post(101, AT + timedelta(seconds=4))  # the only answer goes
        await caught_up(store)
        assert flagged(("answered", False)) == {100}
        page = await SearchService(store).search(G, "ibis is:unanswered", page=0, available_tags=None, readable=None)
        assert [r.question_id for r in page.results] == [100]
    finally:
        await store.close()


async def test_an_index_whose_files_vanish_under_a_running_bot_is_rebuilt(tmp_path: Path):
    store = await open_store(tmp_path / "s.db")
    try:
        await add_thread(store, 100, "Tern migration", "how far", {101: "pole to pole"})
        await caught_up(store)
        await asyncio.to_thread(shutil.rmtree, store.search_index.files.current())  # CURRENT still names it
        assert await found_ids(store, "pole") == [101], "searched from the store's own index meanwhile"
        await eventually(lambda: _true(store.search_index.searcher(0) is not None), timeout=20)
        assert index_finds(store, "pole") == [101]
    finally:
        await store.close()
