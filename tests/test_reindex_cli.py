"""`quorum reindex`: a new search index of every post, made current; its progress display; and a bot
running on the same database moves to the new index and goes on indexing into it."""

from __future__ import annotations

import io
import re
import threading
import time
from pathlib import Path

from bot import reindex_cli
from bot.config import Settings
from bot.progress import ProgressDisplay
from bot.reindex_cli import ReindexProgress, progress_line, run_reindex
from db.store import SqliteStore, open_store
from tests.test_cli import quorum as run_quorum
from tests.test_search_index import add_thread, caught_up, found_ids, index_finds


class Terminal(io.StringIO):
    """A terminal that notes which threads write to it."""

    def __init__(self) -> None:
        super().__init__()
        self.writers: set[str] = set()

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.writers.add(threading.current_thread().name)
        return super().write(text)


def settings(database: Path) -> Settings:
    return Settings(token="", database_url=f"sqlite:///{database}")


async def forum(database: Path) -> str:
    """A small forum whose index is built; the name of that index."""
    store = await open_store(database)
    try:
        await add_thread(store, 100, "Kakapo diet", "what do they eat", {101: "rimu fruit", 102: "ferns and seeds"})
        await add_thread(store, 200, "Kea curiosity", "why do they open bags", {201: "they are clever"})
        await caught_up(store)
        name = store.search_index.files.current_name()
        assert name is not None
        return name
    finally:
        await store.close()


async def test_reindex_builds_a_new_current_index_of_every_post(tmp_path: Path):
    database = tmp_path / "q.db"
    before = await forum(database)

    done = run_quorum("reindex", cwd=tmp_path, env={"DATABASE_URL": f"sqlite:///{database}"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("search index rebuilt: 5 posts in ") and done.stdout.endswith(" s\n"), done.stdout
    assert done.stderr == "", "a quick reindex shows no progress and its build's log lines stay quiet"

    store = await open_store(database, follow_search_index=False)
    try:
        after = store.search_index.files.current_name()
        assert after is not None and int(after.split("-")[1]) > int(before.split("-")[1])
        assert [p.name for p in store.search_index.files.root.glob("index-*")] == [after], "the old one is gone"
        assert index_finds(store, "rimu") == [101]
        assert sorted(index_finds(store, "kea")) == [200]
        assert sorted(index_finds(store, "they")) == [100, 200, 201]
    finally:
        await store.close()


def test_reindex_refuses_a_missing_database_and_bad_configuration(tmp_path: Path):
    missing = run_quorum("reindex", cwd=tmp_path, env={"DATABASE_URL": f"sqlite:///{tmp_path}/none.db"})
    assert missing.returncode == 2 and "no database" in missing.stderr
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "none.db-search").exists()
    bad = run_quorum("reindex", cwd=tmp_path, env={"DATABASE_URL": "nonsense"})
    assert bad.returncode == 2 and "not a URL" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


async def test_the_progress_line_is_rewritten_in_place_by_the_event_loop(tmp_path: Path, monkeypatch):
    database = tmp_path / "q.db"
    await forum(database)
    monkeypatch.setattr(reindex_cli, "SHOW_AFTER", 0.0)
    rebuild = SqliteStore.rebuild_search_index

    async def slowly(self, progress=None):
        def report(done: int, total: int) -> None:
            progress(done, total)
            time.sleep(0.6)  # on the build's thread: the display has time to show the last numbers

        return await rebuild(self, report)

    monkeypatch.setattr(SqliteStore, "rebuild_search_index", slowly)
    tty = Terminal()
    result = await run_reindex(settings(database), stream=tty)

    assert result.posts == 5
    shown = tty.getvalue()
    assert re.search(r"\rreindex: 5 / 5 posts \(100%, \d+ s\)\x1b\[K", shown), repr(shown)
    assert shown.endswith("\r\x1b[K"), "the line is cleared at the end"
    assert "\n" not in shown
    assert tty.writers == {threading.current_thread().name}, "only the event loop's thread writes to the stream"


def test_progress_display_plain_and_terminal():
    progress = ReindexProgress()
    plain = io.StringIO()
    ProgressDisplay(plain, lambda elapsed: progress_line(progress, elapsed)).show(1.4)
    progress.report(120_000, 480_000)
    ProgressDisplay(plain, lambda elapsed: progress_line(progress, elapsed)).show(3.2)
    assert plain.getvalue() == "reindex: starting… (1 s)\nreindex: 120,000 / 480,000 posts (25%, 3 s)\n"

    tty = Terminal()
    display = ProgressDisplay(tty, lambda elapsed: progress_line(progress, elapsed))
    display.show(3.2)
    display.done()
    assert tty.getvalue() == "\rreindex: 120,000 / 480,000 posts (25%, 3 s)\x1b[K\r\x1b[K"


async def test_a_running_bot_moves_to_the_new_index_and_indexes_into_it(tmp_path: Path):
    database = tmp_path / "q.db"
    bot = await open_store(database)  # follows the index, as the bot does
    try:
        await add_thread(bot, 100, "Takahe rediscovery", "when was it found again", {101: "in 1948"})
        await caught_up(bot)
        before = bot.search_index.files.current_name()

        result = await run_reindex(settings(database), stream=io.StringIO())
        assert result.posts == 2
        after = bot.search_index.files.current_name()
        assert after != before

        await add_thread(bot, 200, "Tuatara age", "how old do they get", {201: "over a century"})
        await caught_up(bot)
        assert bot.search_index.files.current_name() == after, "the bot indexed into the new index, not a third"
        assert index_finds(bot, "century") == [201] and index_finds(bot, "1948") == [101]
        assert await found_ids(bot, "century") == [201]
    finally:
        await bot.close()
