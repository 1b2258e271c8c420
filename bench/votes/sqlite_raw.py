"""Limit (b): what SQLite itself can do. Plain sqlite3, no asyncio, no writer: the same votes with the
same semantics as db/votes.py (post looked up with its question, own posts and deleted posts refused,
previous vote read, daily cap counted, vote row upserted, post score, question score when the post is
the starter, reputation of author and voter), 1000 votes per transaction, WAL, synchronous=FULL.

Written independently of db/votes.py on purpose: a faster store must not move the bar it is held to.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from .fixture import CAP_PER_VOTER, GUILD_ID, Vote

TARGET = """SELECT p.kind, p.author_id, p.guild_id, p.question_id, p.deleted_at, q.deleted_at
FROM posts p JOIN questions q ON q.id = p.question_id WHERE p.id = ?"""
PREVIOUS = "SELECT value, at FROM votes WHERE post_id = ? AND voter_id = ?"
CAST_TODAY = "SELECT count(*) FROM votes WHERE guild_id = ? AND voter_id = ? AND at >= ? AND value != 0"
UPSERT = """INSERT INTO votes (post_id, voter_id, guild_id, value, at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (post_id, voter_id) DO UPDATE SET value = excluded.value, at = excluded.at"""
POST_SCORE = "UPDATE posts SET score = score + ? WHERE id = ?"
QUESTION_SCORE = "UPDATE questions SET score = score + ? WHERE id = ? AND starter_id = ?"
# Reputation never below 1: one floored step for a contribution newer than all the member has. Every
# vote here is cast at the same `now`, and its order is the order of this loop, so `<=` applies them all
# (the store replays a member on a same-millisecond tie; the bar does not need that rare case).
REP = """INSERT INTO members (guild_id, user_id, reputation, rep_at) VALUES (?1, ?2, max(1, 1 + ?3), ?4)
ON CONFLICT (guild_id, user_id) DO UPDATE SET reputation = max(1, reputation + ?3), rep_at = ?4
WHERE rep_at <= ?4"""


def _effect(kind: str, value: int) -> tuple[int, int]:
    if kind == "reply" or value == 0:
        return 0, 0
    if value > 0:
        return 10, 0
    return -2, -1 if kind == "answer" else 0


def run(path: Path, votes: list[Vote], per_tx: int = 1000, time_limit: float = 60.0) -> dict:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 5000")
    now = int(time.time() * 1000)
    day_start = now - now % 86_400_000
    cast = refused = 0
    ex = conn.execute
    started = time.perf_counter()
    done = 0
    for i in range(0, len(votes), per_tx):
        ex("BEGIN IMMEDIATE")
        for v in votes[i : i + per_tx]:
            post_id, voter_id, value = v.post_id, v.voter_id, v.value
            t = ex(TARGET, (post_id,)).fetchone()
            if t is None or t[4] is not None or t[5] is not None or t[1] == voter_id:
                refused += 1
                continue
            kind, author_id, guild_id, question_id = t[0], t[1], t[2], t[3]
            row = ex(PREVIOUS, (post_id, voter_id)).fetchone()
            previous = row[0] if row else 0
            if (row and now < row[1]) or value == previous:
                refused += 1
                continue
            if previous == 0 and ex(CAST_TODAY, (guild_id, voter_id, day_start)).fetchone()[0] >= CAP_PER_VOTER:
                refused += 1
                continue
            ex(UPSERT, (post_id, voter_id, guild_id, value, now))
            delta = value - previous
            ex(POST_SCORE, (delta, post_id))
            ex(QUESTION_SCORE, (delta, question_id, post_id))
            (a0, v0), (a1, v1) = _effect(kind, previous), _effect(kind, value)
            if a1 - a0:
                ex(REP, (guild_id, author_id, a1 - a0, now))
            if v1 - v0:
                ex(REP, (guild_id, voter_id, v1 - v0, now))
            cast += 1
        ex("COMMIT")
        done = min(i + per_tx, len(votes))
        if time.perf_counter() - started > time_limit:
            break
    elapsed = time.perf_counter() - started
    standing = conn.execute("SELECT count(*) FROM votes WHERE guild_id = ? AND at = ?", (GUILD_ID, now)).fetchone()[0]
    conn.close()
    return {"votes": done, "cast": cast, "refused": refused, "seconds": elapsed, "rate": done / elapsed,
            "new_rows": standing}


def main(pipe, database: str, votes: list[Vote]) -> None:
    """Process entry point."""
    pipe.send(("done", run(Path(database), votes)))
