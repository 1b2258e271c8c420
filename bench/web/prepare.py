"""A copy of the generated forum made ready for the web, and the page and vote sets the phases use.

bench.generate writes no web data, so the copy gets, by SQL here (bench code, like bench.generate):
the tree's migrations (db.migrate), every question a public thread (thread_type 11), every channel of
the guild in web_channels published and readable by @everyone, the guild's name, a display name for
every member in `names`, and HIDDEN members (a few) hidden from the web. The source file is only read.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.generate import CHANNEL_ID, GUILD_ID
from bot.forum.public_site import DEFAULT_SLUG, slugify
from db.connection import open_writer
from db.migrate import migrate

HIDDEN = 50  # members hidden from the web (their pages show an anonymous name and withheld text)
GUILD_NAME = "Benchmark forum"


def copy_database(source: Path, target: Path) -> float:
    """A private copy (reflink when the file system can); seconds taken."""
    started = time.perf_counter()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    if shutil.which("cp"):
        subprocess.run(["cp", "--reflink=auto", str(source), str(target)], check=True)
    else:
        shutil.copyfile(source, target)
    return time.perf_counter() - started


async def _migrate(path: Path) -> None:
    conn = await open_writer(path)
    try:
        await migrate(conn)
    finally:
        await conn.close()


def prepare(path: Path, seed: int) -> dict:
    """Migrate the copy and publish it; returns what was done (counts, seconds)."""
    started = time.perf_counter()
    asyncio.run(_migrate(path))
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        now = int(time.time() * 1000)
        conn.execute("BEGIN")
        conn.execute("UPDATE questions SET thread_type = 11 WHERE thread_type IS NOT 11")
        conn.execute(
            "INSERT INTO web_guilds (guild_id, name, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET name = excluded.name", (GUILD_ID, GUILD_NAME, now))  # fmt: skip
        channels = {CHANNEL_ID} | {r[0] for r in conn.execute("SELECT DISTINCT channel_id FROM questions")}
        conn.executemany(
            "INSERT INTO web_channels (channel_id, guild_id, everyone_can_read, published, published_at, updated_at)"
            " VALUES (?, ?, 1, 1, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET everyone_can_read = 1, published = 1",
            [(c, GUILD_ID, now, now) for c in sorted(channels)],
        )  # fmt: skip
        members = [r[0] for r in conn.execute("SELECT user_id FROM members WHERE guild_id = ? ORDER BY user_id",
                                              (GUILD_ID,))]  # fmt: skip
        conn.executemany(
            "INSERT OR REPLACE INTO names (guild_id, kind, id, name, updated_at) VALUES (?, 'user', ?, ?, ?)",
            [(GUILD_ID, m, f"member {m % 1_000_000}", now) for m in members],
        )
        conn.execute("INSERT OR REPLACE INTO names (guild_id, kind, id, name, updated_at) VALUES (?, 'channel', ?,"
                     " 'questions', ?)", (GUILD_ID, CHANNEL_ID, now))  # fmt: skip
        hidden = random.Random(seed).sample(members, min(HIDDEN, len(members)))
        conn.executemany(
            "INSERT OR REPLACE INTO web_privacy (guild_id, user_id, hidden, at) VALUES (?, ?, 1, ?)",
            [(GUILD_ID, m, now) for m in hidden],
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        public = public_questions(conn)
    finally:
        conn.close()
    return {"members_named": len(members), "members_hidden": len(hidden), "channels_published": len(channels),
            "public_questions": public, "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip


def public_questions(conn: sqlite3.Connection) -> int:
    """The sitemap's rule, counted independently: public, not deleted, not a duplicate."""
    return conn.execute(
        "SELECT count(*) FROM questions q JOIN web_channels c ON c.channel_id = q.channel_id"
        " WHERE q.deleted_at IS NULL AND q.thread_type IN (10, 11) AND c.published = 1 AND c.everyone_can_read = 1"
        " AND q.duplicate_of IS NULL"
    ).fetchone()[0]


@dataclass(frozen=True)
class Page:
    question_id: int
    path: str
    title: str  # as the page shows it (withheld for a hidden asker)
    answers: int


def pages(path: Path, *, big_answers: int, sample: int, seed: int) -> tuple[list[Page], list[Page]]:
    """The threads with exactly `big_answers` live answers, and `sample` random questions."""
    from bot.forum.public import HIDDEN_TEXT

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        hidden = {r[0] for r in conn.execute("SELECT user_id FROM web_privacy WHERE guild_id = ? AND hidden = 1",
                                             (GUILD_ID,))}  # fmt: skip
        big_ids = [r[0] for r in conn.execute(
            "SELECT question_id FROM posts WHERE kind = 'answer' AND deleted_at IS NULL GROUP BY question_id"
            " HAVING count(*) = ?", (big_answers,))]  # fmt: skip
        ids = [r[0] for r in conn.execute("SELECT id FROM questions WHERE deleted_at IS NULL ORDER BY id")]
        chosen = random.Random(seed).sample(ids, min(sample, len(ids)))

        def page(qid: int) -> Page:
            title, author = conn.execute("SELECT title, author_id FROM questions WHERE id = ?", (qid,)).fetchone()
            answers = conn.execute("SELECT count(*) FROM posts WHERE question_id = ? AND kind = 'answer'"
                                   " AND deleted_at IS NULL", (qid,)).fetchone()[0]  # fmt: skip
            if author in hidden:
                return Page(qid, f"/q/{qid}/{DEFAULT_SLUG}", HIDDEN_TEXT, answers)
            return Page(qid, f"/q/{qid}/{slugify(title)}", title, answers)

        return [page(q) for q in big_ids], [page(q) for q in chosen]
    finally:
        conn.close()


@dataclass(frozen=True, slots=True)
class Vote:
    post_id: int
    question_id: int
    author_id: int
    voter_id: int
    value: int


def votes(path: Path, count: int, *, seed: int, per_voter: int = 30) -> list[Vote]:
    """`count` new votes the bot accepts without a REST call: new (post, voter) pairs, never on one's
    own post, at most `per_voter` per voter (under the daily cap of 40), 85 % up."""
    rng = random.Random(seed)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        members = [r[0] for r in conn.execute("SELECT user_id FROM members WHERE guild_id = ?", (GUILD_ID,))]
        (max_rowid,) = conn.execute("SELECT max(rowid) FROM posts").fetchone()
        out: list[Vote] = []
        used: dict[int, int] = {}
        taken: set[tuple[int, int]] = set()
        while len(out) < count:
            row = conn.execute("SELECT id, question_id, author_id FROM posts WHERE rowid >= ? AND deleted_at IS NULL"
                               " LIMIT 1", (rng.randint(1, max_rowid),)).fetchone()  # fmt: skip
            if row is None:
                continue
            post_id, question_id, author_id = row
            voter = rng.choice(members)
            if voter == author_id or used.get(voter, 0) >= per_voter or (post_id, voter) in taken:
                continue
            if conn.execute("SELECT 1 FROM votes WHERE post_id = ? AND voter_id = ?", (post_id, voter)).fetchone():
                continue
            taken.add((post_id, voter))
            used[voter] = used.get(voter, 0) + 1
            out.append(Vote(post_id, question_id, author_id, voter, 1 if rng.random() < 0.85 else -1))
        return out
    finally:
        conn.close()
