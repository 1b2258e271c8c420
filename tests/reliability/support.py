"""Shared by the reliability tests: the bot as a separate process (`python -m bot run`) against an
emulator served from the test's own event loop, and the comparison of the store with the world."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from db.votes import recount

ROOT = Path(__file__).resolve().parents[2]
UP, DOWN = "\N{THUMBS UP SIGN}", "\N{THUMBS DOWN SIGN}"
VOTE_EMOJIS = {UP: 1, DOWN: -1}
CAUGHT_UP = re.compile(r"catch-up: \d+ threads")  # the summary line a finished catch-up run logs


class BotProcess:
    """`python -m bot run` in a subprocess; its stdout and stderr are kept (everything it wrote)."""

    def __init__(self, emulator, database: Path, cwd: Path, *, log_level: str = "INFO", extra_env=None) -> None:
        self.emulator = emulator
        self.database = database
        self.cwd = cwd
        self.log_level = log_level
        self.extra_env = dict(extra_env or {})
        self.proc: asyncio.subprocess.Process | None = None
        self.output: list[str] = []  # every line of every run, stdout and stderr
        self._readers: list[asyncio.Task] = []
        self.starts = 0

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "QUORUM_", "DATABASE_URL"))}
        env.update(
            PYTHONPATH=str(ROOT),
            DISCORD_TOKEN=self.emulator.token,
            DISCORD_API_BASE=self.emulator.api_base,
            DATABASE_URL=f"sqlite:///{self.database}",
            LOG_LEVEL=self.log_level,
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def caught_up_runs(self) -> int:
        return sum(1 for line in self.output if CAUGHT_UP.search(line))

    async def start(self, timeout: float = 30.0) -> None:
        """Start and wait until the new process finished its first catch-up (so it is connected)."""
        runs = self.caught_up_runs()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=self.cwd, env=self.env(),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        self.starts += 1
        self._readers = [asyncio.create_task(self._read(s)) for s in (self.proc.stdout, self.proc.stderr)]
        await self.wait_caught_up(runs + 1, timeout)

    async def wait_caught_up(self, runs: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.caught_up_runs() < runs:
            if self.proc is not None and self.proc.returncode is not None:
                raise AssertionError(f"the bot exited with {self.proc.returncode}:\n" + "\n".join(self.output[-30:]))
            if time.monotonic() > deadline:
                raise AssertionError("no catch-up summary within the timeout:\n" + "\n".join(self.output[-30:]))
            await asyncio.sleep(0.02)

    async def _read(self, stream: asyncio.StreamReader) -> None:
        async for raw in stream:
            self.output.append(raw.decode(errors="replace").rstrip("\n"))

    def assert_running(self) -> None:
        assert self.proc is not None and self.proc.returncode is None, "the bot process ended:\n" + "\n".join(
            self.output[-30:]
        )

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, nothing is flushed."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self._reap()

    async def stop(self, timeout: float = 15.0) -> int | None:
        """A clean stop (Ctrl-C), SIGKILL if it hangs."""
        if self.proc is None or self.proc.returncode is not None:
            await self._reap()
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            self.proc.kill()
        await self._reap()
        return self.proc.returncode

    async def _reap(self) -> None:
        if self.proc is None:
            return
        await self.proc.wait()
        await asyncio.gather(*self._readers, return_exceptions=True)


# ----- the store, read through a connection of our own ------------------------------------------


def read_db(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


@dataclass
class Committed:
    """What the store had committed at one moment (one read transaction)."""

    votes: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)  # (post, voter) -> (value, at)
    posts: set[int] = field(default_factory=set)
    revisions: dict[tuple[int, str, int], str] = field(default_factory=dict)


def committed(path: Path) -> Committed:
    conn = read_db(path)
    try:
        conn.execute("BEGIN")
        out = Committed()
        out.votes = {
            (p, v): (value, at) for p, v, value, at in conn.execute("SELECT post_id, voter_id, value, at FROM votes")
        }
        out.posts = {pid for (pid,) in conn.execute("SELECT id FROM posts")}
        out.revisions = {
            (p, f, n): t for p, f, n, t in conn.execute("SELECT post_id, field, number, text FROM revisions")
        }
        conn.execute("COMMIT")
        return out
    finally:
        conn.close()


def lost_since(before: Committed, after: Committed) -> list[str]:
    """What `before` acknowledged that `after` no longer has. A vote may only have moved on (a later
    event for the same member and post), never gone back or vanished."""
    problems = []
    for key, (value, at) in before.votes.items():
        now = after.votes.get(key)
        if now is None:
            problems.append(f"vote {key} ({value}) vanished")
        elif now[1] < at or (now[1] == at and now[0] != value):
            problems.append(f"vote {key} went back from {(value, at)} to {now}")
    problems += [f"post {p} vanished" for p in before.posts - after.posts]
    for key, text in before.revisions.items():
        if after.revisions.get(key) != text:
            problems.append(f"revision {key} changed or vanished")
    return problems


@dataclass
class StoreView:
    questions: dict[int, str]  # live question -> title
    posts: dict[int, dict[int, str]]  # live question -> live post -> body
    deleted: set[int]  # posts marked deleted
    votes: dict[int, dict[int, int]]  # live post -> voter -> value (standing votes only)
    scores: dict[int, int]  # live post -> score
    question_scores: dict[int, tuple[int, int | None]]  # question -> (score, starter)
    accepted: dict[int, int | None]
    recount_differences: int


def store_view(path: Path, guild_id: int) -> StoreView:
    conn = read_db(path)
    try:
        conn.execute("BEGIN")
        questions, question_scores, accepted = {}, {}, {}
        for qid, title, score, starter, acc in conn.execute(
            "SELECT id, title, score, starter_id, accepted_answer_id FROM questions "
            "WHERE guild_id = ? AND deleted_at IS NULL", (guild_id,)
        ):  # fmt: skip
            questions[qid], question_scores[qid], accepted[qid] = title, (score, starter), acc
        posts: dict[int, dict[int, str]] = {q: {} for q in questions}
        scores, deleted = {}, set()
        for pid, qid, body, score, gone in conn.execute(
            "SELECT id, question_id, body, score, deleted_at FROM posts WHERE guild_id = ?", (guild_id,)
        ):
            if gone is not None:
                deleted.add(pid)
            elif qid in posts:
                posts[qid][pid] = body
                scores[pid] = score
        votes: dict[int, dict[int, int]] = {}
        for pid, voter, value in conn.execute("SELECT post_id, voter_id, value FROM votes WHERE value != 0"):
            if pid in scores:
                votes.setdefault(pid, {})[voter] = value
        differences = recount(conn, fix=False).differences
        conn.execute("COMMIT")
    finally:
        conn.close()
    return StoreView(questions, posts, deleted, votes, scores, question_scores, accepted, differences)


# ----- the world, as members see it -------------------------------------------------------------


def world_view(emulator) -> dict:
    """What the store must equal: the watched forum's threads, their members' messages, the vote
    reactions that count (no bots, not on one's own post) and the most recently pinned answer."""
    w = emulator.world
    threads = {tid: t for tid, t in w.threads.items() if int(t["parent_id"]) == w.forum_channel_id}
    posts, votes, authors = {}, {}, {}
    for tid in threads:
        posts[tid] = {}
        for mid, m in w.messages.get(tid, {}).items():
            if m["type"] in (0, 19) and not m["author"].get("bot"):
                posts[tid][mid] = m["content"]
                authors[mid] = int(m["author"]["id"])
            elif mid == tid and (asked := _asked_starter(m)) is not None:  # /ask: the bot's starter
                posts[tid][mid], authors[mid] = asked
    for tid in threads:
        for mid in posts[tid]:
            for emoji, value in VOTE_EMOJIS.items():
                for uid in w.reactions.get(mid, {}).get(emoji, []):
                    if not w.users[uid].get("bot") and uid != authors[mid]:
                        votes.setdefault(mid, {})
                        votes[mid][uid] = votes[mid].get(uid, 0) + value  # both held -> 0: flagged below
    accepted = {}
    for tid in threads:
        answers = [mid for mid, _ in w.pins.get(tid, []) if mid in posts[tid] and mid != tid
                   and w.messages[tid][mid]["type"] == 0]  # fmt: skip
        accepted[tid] = answers[-1] if answers else None
    return {"titles": {tid: t["name"] for tid, t in threads.items()}, "posts": posts, "votes": votes,
            "accepted": accepted}  # fmt: skip


def _asked_starter(message: dict) -> tuple[str, int] | None:
    """An /ask question's starter: the bot's embed naming the asker stands for the asker's post
    (cogs/convert.py, asked_starter_info)."""
    embed = (message.get("embeds") or [{}])[0]
    match = re.match(r"^https://discord\.com/users/(\d+)$", embed.get("author", {}).get("url", ""))
    return None if match is None else (embed.get("description", ""), int(match.group(1)))


def differences(emulator, path: Path) -> list[str]:
    """Every way the store differs from the world; [] when they agree exactly."""
    world = world_view(emulator)
    store = store_view(path, emulator.world.guild_id)
    out = []
    if store.questions != world["titles"]:
        out.append(f"questions/titles: store {store.questions} != world {world['titles']}")
    for tid, expected in world["posts"].items():
        if store.posts.get(tid) != expected:
            missing = set(expected) - set(store.posts.get(tid, {}))
            extra = set(store.posts.get(tid, {})) - set(expected)
            wrong = {p for p in set(expected) & set(store.posts.get(tid, {})) if expected[p] != store.posts[tid][p]}
            out.append(f"thread {tid}: missing {missing}, not deleted {extra}, wrong body {wrong}")
    world_votes = {p: {u: v for u, v in vs.items()} for p, vs in world["votes"].items()}
    both = {(p, u) for p, vs in world_votes.items() for u, v in vs.items() if v == 0}
    if both:
        out.append(f"members still holding both reactions: {sorted(both)}")
    world_votes = {p: {u: v for u, v in vs.items() if v} for p, vs in world_votes.items()}
    world_votes = {p: vs for p, vs in world_votes.items() if vs}
    if store.votes != world_votes:
        keys = store.votes.keys() | world_votes.keys()
        diff = {p: (store.votes.get(p), world_votes.get(p)) for p in keys if store.votes.get(p) != world_votes.get(p)}
        out.append(f"votes differ (store, world): {diff}")
    for pid, score in store.scores.items():
        if score != sum(world_votes.get(pid, {}).values()):
            out.append(f"post {pid} score {score} != {sum(world_votes.get(pid, {}).values())}")
    for qid, (score, starter) in store.question_scores.items():
        if starter is not None and score != store.scores.get(starter, 0):
            out.append(f"question {qid} score {score} != its starter's {store.scores.get(starter)}")
    if store.accepted != world["accepted"]:
        out.append(f"accepted answers: store {store.accepted} != world pins {world['accepted']}")
    if store.recount_differences:
        out.append(f"recount finds {store.recount_differences} counters that disagree with the votes")
    return out


def tally(values) -> dict:
    return dict(Counter(values))
