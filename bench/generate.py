"""Generate a forum for the read and search benchmarks, into the real schema (db.migrate).

Default: 200k questions, 1M posts (questions, answers, replies), 5M votes, 100k members, one guild.
Text follows a Zipf law over a vocabulary whose head is real English and programming words (so
"the", "error" or "python" are as common as in a real forum) and whose tail is made-up words;
lengths are log-normal (titles ~8 words, questions ~70, answers ~50). Scores, question scores and
reputations are computed from the generated votes and acceptances with the forum's own rules, so
the counters agree with a recount. Revisions are not written (no benchmark reads them).

    python -m bench.generate --out bench/out/forum.db            # the full size (a few minutes)
    python -m bench.generate --out /tmp/small.db --scale 0.01    # 1% for a quick try

Writes with raw sqlite3 executemany in large transactions; the FTS index and question_tags are
filled by the schema's own triggers, as they are when the bot runs.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import random
import sqlite3
import time
from pathlib import Path

from bot.forum.models import PostKind
from bot.forum.voting import START_REP, acceptance_effect, floored, vote_effect
from db.connection import open_writer
from db.migrate import migrate

GUILD_ID = 900_000_000_000_000_001
CHANNEL_ID = 900_000_000_000_000_002
EPOCH_MS = 1_420_070_400_000  # Discord's snowflake epoch
START_MS = 1_700_000_000_000  # the forum's first question (Nov 2023); two years of questions follow
SPAN_MS = 2 * 365 * 86_400_000
MEMBER_BASE = 800_000_000_000_000_000
BIG_THREADS = 20  # questions with exactly 200 answers, for the question view benchmark
BIG_ANSWERS = 200
TAGS = (
    "python", "discord.py", "sql", "help", "javascript", "rust", "go", "linux", "windows", "docker",
    "git", "networking", "databases", "async", "testing", "web", "api", "security", "performance", "Solved",
)  # fmt: skip

HEAD = """the to a of and i in is it you that for this with on be not have but if are do my can
what so as from or at an use was how there just when get your error using code like which one would
will all by me no here should any about python bot command function file discord message data
user server need work does then also only way try self return import value list string channel
some use up out more get set time after new other make class name first type run now async
database table query error event send list key thread reply answer question because same see""".split()
SYLLABLES = ("ka", "lo", "mi", "ra", "te", "zu", "pen", "dor", "vak", "sel", "ni", "tor", "qua", "bri",
             "shi", "mon", "gal", "fex", "lum", "dra", "ost", "wen", "yor", "cri", "ux", "pha")  # fmt: skip


INSERT_VOTE = "INSERT INTO votes (post_id, voter_id, guild_id, value, at) VALUES (?, ?, ?, ?, ?)"


def snowflake(ms: int, seq: int) -> int:
    return ((ms - EPOCH_MS) << 22) | (seq & 0x3FFFFF)


class Text:
    """Zipf-distributed words (exponent ~1.05 as in natural language)."""

    def __init__(self, rng: random.Random, vocabulary: int = 40_000) -> None:
        self.rng = rng
        words = list(dict.fromkeys(HEAD))
        seen = set(words)
        while len(words) < vocabulary:
            word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4))))
            if word not in seen:
                seen.add(word)
                words.append(word)
        self.words = words
        self.cum = list(itertools.accumulate(1 / (r + 2.7) ** 1.05 for r in range(len(words))))

    def words_n(self, n: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum, k=n)

    def length(self, median: float, sigma: float, cap: int) -> int:
        return max(1, min(cap, int(self.rng.lognormvariate(math.log(median), sigma))))

    def title(self) -> str:
        words = self.words_n(self.length(8, 0.35, 16))
        return (" ".join(words)[:95].capitalize() or "Untitled") + "?"

    def body(self, median: float) -> str:
        words = self.words_n(self.length(median, 0.8, 600))
        sentences, i = [], 0
        while i < len(words):
            n = self.rng.randint(6, 16)
            sentences.append(" ".join(words[i : i + n]).capitalize() + ".")
            i += n
        return " ".join(sentences)[:4000]


def generate(out: Path, *, scale: float = 1.0, seed: int = 7) -> dict:
    questions = int(200_000 * scale)
    posts_target = int(1_000_000 * scale)
    votes_target = int(5_000_000 * scale)
    members = max(100, int(100_000 * scale))
    rng = random.Random(seed)
    text = Text(rng)
    out.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{out}{suffix}").unlink(missing_ok=True)
    asyncio.run(_migrate(out))

    conn = sqlite3.connect(out, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -400000")
    started = time.perf_counter()
    member_ids = [MEMBER_BASE + i for i in range(members)]
    # Answer counts: geometric around the mean that makes the post total, plus the big threads.
    # int() of an exponential loses about half a post on average: add it back.
    mean_answers = (posts_target - questions - BIG_THREADS * BIG_ANSWERS) / questions + 0.5
    reputation = dict.fromkeys(member_ids, START_REP)
    tag_weights = [1 / (r + 1) for r in range(len(TAGS))]
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO guild_settings (guild_id, forum_channel_id, upvote_emoji, downvote_emoji, daily_vote_cap,"
        " updated_at) VALUES (?, ?, ?, ?, 40, ?)",
        (GUILD_ID, CHANNEL_ID, "👍", "👎", START_MS),
    )
    post_rows, question_rows = [], []
    big = set(rng.sample(range(questions), BIG_THREADS))
    seq = 0
    for qi in range(questions):
        created = START_MS + qi * SPAN_MS // questions
        seq += 1
        qid = snowflake(created, seq)
        author = rng.choice(member_ids)
        tags = sorted(set(rng.choices(TAGS[:-1], weights=tag_weights[:-1], k=rng.choice((0, 1, 1, 2, 2, 3)))))
        n_answers = BIG_ANSWERS if qi in big else min(150, int(rng.expovariate(1 / mean_answers)))
        question_rows.append([qid, GUILD_ID, CHANNEL_ID, text.title(), author, qid, "open", None, None,
                              json.dumps(tags), 0, created, created, None, None, None])  # fmt: skip
        post_rows.append([qid, qid, GUILD_ID, "question", None, None, author, text.body(70), "[]", 0, created])
        answer_ids = []
        t = created
        for _ in range(n_answers):
            t += rng.randint(1_000, 3_600_000)
            seq += 1
            pid = snowflake(t, seq)
            if qi not in big and answer_ids and rng.random() < 0.15:  # a reply under an earlier answer
                parent = rng.choice(answer_ids)
                post_rows.append([pid, qid, GUILD_ID, "reply", parent, parent, rng.choice(member_ids),
                                  text.body(20), "[]", 0, t])  # fmt: skip
            else:
                answer_ids.append(pid)
                post_rows.append([pid, qid, GUILD_ID, "answer", None, None, rng.choice(member_ids),
                                  text.body(50), "[]", 0, t])  # fmt: skip
        if answer_ids and rng.random() < 0.4:
            accepted = rng.choice(answer_ids)
            question_rows[-1][7], question_rows[-1][14] = accepted, author
            question_rows[-1][15] = START_MS + SPAN_MS  # with the votes; after them in the replay order
        if len(post_rows) >= 50_000:
            _flush(conn, question_rows, post_rows)
    _flush(conn, question_rows, post_rows)
    conn.execute("COMMIT")
    posts_done = time.perf_counter()

    # Votes: per post, distinct voters (never the author); 85% up. Posts drawn with a skew so a few
    # posts collect many votes, as on a real forum.
    post_ids = [r for r in conn.execute("SELECT id, kind, author_id FROM posts ORDER BY id")]
    per_post = votes_target / len(post_ids)
    conn.execute("BEGIN")
    batch, n_votes = [], 0
    score_updates = []
    for pid, kind, author in post_ids:
        k = min(members - 1, int(rng.paretovariate(2.2) * per_post * 0.55 + 0.5))  # mean 1.83 * 0.55 ~ 1
        if k == 0:
            continue
        voters = [v for v in rng.sample(member_ids, k + 1) if v != author][:k]  # never one's own post
        voters.sort()  # cast at the same moment: replayed by (post id, voter id)
        score = 0
        for voter in voters:
            value = 1 if rng.random() < 0.85 else -1
            batch.append((pid, voter, GUILD_ID, value, START_MS + SPAN_MS))  # cast long ago: no daily cap
            score += value
            to_author, to_voter = vote_effect(PostKind(kind), value)
            reputation[author] = floored(reputation[author], to_author)
            reputation[voter] = floored(reputation[voter], to_voter)
        n_votes += k
        score_updates.append((score, pid))
        if len(batch) >= 200_000:
            conn.executemany(INSERT_VOTE, batch)
            batch.clear()
    conn.executemany(INSERT_VOTE, batch)
    conn.executemany("UPDATE posts SET score = ? WHERE id = ?", score_updates)
    conn.execute("UPDATE questions SET score = (SELECT score FROM posts WHERE posts.id = questions.starter_id)")
    for answer_author, accepter, asker in conn.execute(
        "SELECT p.author_id, q.accepted_by, q.author_id FROM questions q JOIN posts p ON p.id = q.accepted_answer_id"
        " ORDER BY q.id"
    ).fetchall():
        for member, change in acceptance_effect(answer_author, accepter, asker).items():
            reputation[member] = floored(reputation[member], change)
    conn.executemany(
        "INSERT INTO members (guild_id, user_id, reputation, rep_at) VALUES (?, ?, ?, ?)",
        [(GUILD_ID, m, r, START_MS + SPAN_MS) for m, r in reputation.items()],
    )
    conn.execute("COMMIT")
    counts = {
        "questions": questions,
        "posts": conn.execute("SELECT count(*) FROM posts").fetchone()[0],
        "votes": n_votes,
        "members": members,
        "posts_seconds": round(posts_done - started, 1),
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return counts


def _flush(conn: sqlite3.Connection, question_rows: list, post_rows: list) -> None:
    conn.executemany(
        "INSERT INTO questions (id, guild_id, channel_id, title, author_id, starter_id, status, accepted_answer_id,"
        " duplicate_of, tags, score, created_at, updated_at, deleted_at, accepted_by, accepted_at, thread_type)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 11)",  # public threads, as the bot records them
        question_rows,
    )
    # Through the FTS triggers, as the bot inserts them.
    conn.executemany(
        "INSERT INTO posts (id, question_id, guild_id, kind, parent_id, reply_to_id, author_id, body, attachments,"
        " score, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        post_rows,
    )
    question_rows.clear()
    post_rows.clear()


async def _migrate(path: Path) -> None:
    conn = await open_writer(path)
    try:
        await migrate(conn)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("bench/out/forum.db"))
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 1M posts, 5M votes, 100k members")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(generate(args.out, scale=args.scale, seed=args.seed)))


if __name__ == "__main__":
    main()
