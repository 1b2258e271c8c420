"""The fixture: a database with the real schema (db.migrate) holding 100k posts, and the votes to cast.

Deterministic (seeded RNG): 20k questions x 5 posts (the starter, 3 answers, 1 reply under the first
answer), written by AUTHORS members; BASE_VOTES standing votes cast *yesterday* (so they do not count
towards today's cap) with every score and reputation counter consistent (a recount finds nothing);
then the votes to cast, by VOTERS members: new (post, voter) pairs only, never on one's own post, at
most CAP_PER_VOTER per voter (the default daily cap is 40), 80 % up. Built once per parameter set
and copied for every phase, so each phase starts from the same bytes.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from bot.forum.models import PostKind
from bot.forum.voting import START_REP, floored, vote_effect

GUILD_ID = 1_100_000_000_000_000_001
BOT_ID = 1_100_000_000_000_000_002
CHANNEL_ID = 1_100_000_000_000_000_003  # the forum channel holding the threads
QUESTION_BASE = 1_200_000_000_000_000_000  # question q: thread id and starter id QUESTION_BASE + 8q
AUTHOR_BASE = 1_300_000_000_000_000_000
VOTER_BASE = 1_400_000_000_000_000_000
POSTS_PER_QUESTION = 5
KINDS = (PostKind.QUESTION, PostKind.ANSWER, PostKind.ANSWER, PostKind.ANSWER, PostKind.REPLY)
CAP_PER_VOTER = 40
SEED = 20260509


@dataclass(frozen=True)
class Params:
    questions: int = 20_000
    authors: int = 20_000
    voters: int = 50_000
    base_votes: int = 200_000
    votes: int = 300_000  # votes to cast in the end-to-end and raw sqlite phases

    @property
    def posts(self) -> int:
        return self.questions * POSTS_PER_QUESTION

    def name(self) -> str:
        return f"q{self.questions}-a{self.authors}-v{self.voters}-b{self.base_votes}-n{self.votes}"


@dataclass(frozen=True, slots=True)
class Vote:
    post_id: int
    question_id: int  # the thread (channel) id
    author_id: int
    voter_id: int
    value: int  # +1 or -1


def post_id(q: int, k: int) -> int:
    return QUESTION_BASE + 8 * q + k


def _author(rng: random.Random, authors: int) -> int:
    return AUTHOR_BASE + rng.randrange(authors)


def _posts(p: Params, rng: random.Random) -> list[tuple[int, int, PostKind, int]]:
    """(post id, question id, kind, author id) for every post."""
    out = []
    for q in range(p.questions):
        qid = post_id(q, 0)
        for k, kind in enumerate(KINDS):
            out.append((post_id(q, k), qid, kind, _author(rng, p.authors)))
    return out


def _pick_votes(p: Params, rng: random.Random, posts, count: int, taken: set, per_voter: dict,
                voter_ids: list[int], cap: int | None) -> list[Vote]:  # fmt: skip
    votes = []
    while len(votes) < count:
        pid, qid, _kind, author = posts[rng.randrange(len(posts))]
        voter = voter_ids[rng.randrange(len(voter_ids))]
        if voter == author or (pid, voter) in taken:
            continue
        if cap is not None and per_voter.get(voter, 0) >= cap:
            continue
        taken.add((pid, voter))
        per_voter[voter] = per_voter.get(voter, 0) + 1
        votes.append(Vote(pid, qid, author, voter, 1 if rng.random() < 0.8 else -1))
    return votes


def generate(p: Params) -> tuple[list, list[Vote], list[Vote]]:
    """(posts, standing votes, votes to cast). Voters include some authors, as in a real forum."""
    rng = random.Random(SEED)
    posts = _posts(p, rng)
    voter_ids = [VOTER_BASE + i for i in range(p.voters)] + [AUTHOR_BASE + i for i in range(p.authors)]
    taken: set[tuple[int, int]] = set()
    base = _pick_votes(p, rng, posts, p.base_votes, taken, {}, voter_ids, None)
    new = _pick_votes(p, rng, posts, p.votes, taken, {}, voter_ids, CAP_PER_VOTER)
    return posts, base, new


def build(path: Path, p: Params) -> list[Vote]:
    """Write the fixture database at `path` (replacing it); return the votes to cast."""
    from db.connection import open_writer
    from db.migrate import migrate

    path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)

    async def schema() -> None:
        conn = await open_writer(path)
        try:
            await migrate(conn)
        finally:
            await conn.close()

    asyncio.run(schema())
    posts, base, new = generate(p)
    kind_of = {pid: kind for pid, _q, kind, _a in posts}
    score: dict[int, int] = {}
    rep: dict[int, int] = {}
    # All cast at the same moment: replayed in the forum's order for a tie, (post id, voter id).
    for v in sorted(base, key=lambda v: (v.post_id, v.voter_id)):
        score[v.post_id] = score.get(v.post_id, 0) + v.value
        for member, change in zip((v.author_id, v.voter_id), vote_effect(kind_of[v.post_id], v.value), strict=True):
            if change:
                rep[member] = floored(rep.get(member, START_REP), change)
    yesterday = int(time.time() * 1000) - 86_400_000 * 2
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO questions (id, guild_id, channel_id, title, author_id, starter_id, score, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(qid, GUILD_ID, CHANNEL_ID, f"Question {qid}", author, qid, score.get(qid, 0), yesterday, yesterday)
             for pid, qid, kind, author in posts if kind is PostKind.QUESTION],
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO posts (id, question_id, guild_id, kind, parent_id, reply_to_id, author_id, body, score,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(pid, qid, GUILD_ID, str(kind), qid + 1 if kind is PostKind.REPLY else None,
              qid + 1 if kind is PostKind.REPLY else None, author, f"Body of post {pid}, a few words long.",
              score.get(pid, 0), yesterday) for pid, qid, kind, author in posts],
        )  # fmt: skip
        members = {a for _p, _q, _k, a in posts} | rep.keys()
        conn.executemany(
            "INSERT INTO members (guild_id, user_id, reputation, rep_at) VALUES (?, ?, ?, ?)",
            [(GUILD_ID, m, rep.get(m, START_REP), yesterday if m in rep else 0) for m in sorted(members)],
        )
        conn.executemany(
            "INSERT INTO votes (post_id, voter_id, guild_id, value, at) VALUES (?, ?, ?, ?, ?)",
            [(v.post_id, v.voter_id, GUILD_ID, v.value, yesterday) for v in base],
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return new


def prepare(workdir: Path, p: Params) -> tuple[Path, list[Vote]]:
    """The fixture for `p` (built once, kept in `workdir`) and the votes to cast (regenerated: same seed)."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"fixture-{p.name()}-v{_schema_version()}.db"
    if path.exists():
        return path, generate(p)[2]
    tmp = path.with_suffix(".tmp.db")
    votes = build(tmp, p)
    tmp.rename(path)
    return path, votes


def copy(fixture: Path, dest: Path) -> Path:
    """A fresh copy of the fixture at `dest`, on disk before the phase starts: the previous phase's
    files (its WAL takes up to 128 MiB) are freed and the copy written back here, not inside the next
    measured window (the disk is mounted with `discard`, so freed blocks cost I/O at the next sync)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{dest}{suffix}").unlink(missing_ok=True)
    os.sync()
    shutil.copyfile(fixture, dest)
    os.sync()
    return dest


def _schema_version() -> int:
    from db.migrate import load_migrations

    return len(load_migrations())
