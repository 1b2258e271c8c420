"""`quorum recount`: the maintained counters agree with the votes after long random runs (straight
against the store, and end to end through the bot), and a corrupted counter is reported and repaired."""

from __future__ import annotations

import asyncio
import io
import random
import sqlite3
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from bot.forum.models import Post, PostKind, Question
from bot.progress import ProgressDisplay
from bot.recount_cli import progress_line, report
from db.store import open_store
from db.votes import Recount, RecountProgress
from tests.harness import eventually
from tests.test_cli import quorum as run_quorum
from tests.test_first_slice import setup_forum
from tests.test_voting import DOWN, UP

GUILD = 1
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def seeded_forum(store, rng: random.Random, members: list[int], questions: int = 8, answers: int = 6):
    """Questions with starters, answers and replies by random members; returns the post ids."""
    posts: list[int] = []
    next_id = 1000
    for _ in range(questions):
        tid, next_id = next_id, next_id + 1
        asker = rng.choice(members)
        starter = Post(tid, tid, GUILD, PostKind.QUESTION, asker, "question", T0)
        await store.add_question(Question(tid, GUILD, 5, f"q{tid}", asker, T0, starter_id=tid), starter)
        posts.append(tid)
        for _ in range(answers):
            pid, next_id = next_id, next_id + 1
            kind = rng.choice([PostKind.ANSWER, PostKind.ANSWER, PostKind.REPLY])
            parent = posts[-1] if kind is PostKind.REPLY else None
            await store.add_post(Post(pid, tid, GUILD, kind, rng.choice(members), "text", T0, parent_id=parent))
            posts.append(pid)
    return posts


async def test_a_long_random_run_against_the_store_recounts_to_zero(tmp_path):
    rng = random.Random(20261124)
    store = await open_store(tmp_path / "q.db")
    try:
        members = list(range(1, 13))
        posts = await seeded_forum(store, rng, members)
        threads = sorted({(await store.get_post(p)).question_id for p in posts})
        clock = T0
        for batch in range(80):
            # 100 operations queued at once: the writer commits them in groups, in queue order.
            ops = []
            for _ in range(100):
                clock += timedelta(seconds=rng.randint(0, 30))
                post, voter, roll = rng.choice(posts), rng.choice(members), rng.random()
                if roll < 0.55:  # a vote or a switch, sometimes under a daily cap
                    cap = rng.choice([None, None, 5])
                    ops.append(store.apply_vote(post, voter, rng.choice([1, -1]), clock, cap=cap))
                elif roll < 0.75:  # a reaction taken off: withdraws only that vote
                    ops.append(store.apply_vote(post, voter, 0, clock, only_if=rng.choice([1, -1])))
                elif roll < 0.85:  # a replayed event (the same vote again) or an older one (STALE)
                    at = clock - timedelta(seconds=rng.randint(0, 120))
                    ops.append(store.apply_vote(post, voter, rng.choice([1, -1, 0]), at))
                elif roll < 0.90:
                    ops.append(store.apply_vote(post, voter, 0, clock))  # /vote clear
                elif roll < 0.96:
                    thread = rng.choice(threads)
                    answers = [p.id for p in await store.question_posts(thread) if p.kind is PostKind.ANSWER]
                    pick = rng.choice([*answers, None])  # accept one, or clear the acceptance
                    ops.append(store.set_acceptance(thread, pick, rng.choice(members), clock))
                else:
                    ops.append(store.delete_post(rng.choice(posts), clock))
            if batch in (30, 60):  # a whole thread deleted now and then: its votes stop counting
                ops.append(store.delete_question(threads[batch // 30], clock))
            await asyncio.gather(*ops)
        found = await store.recount()
        assert found.votes > 200, "the run left standing votes to count"
        assert found.differences == 0, report(found, fix=False)
        # The counters are also what an independent tally of the standing votes says, post by post.
        tally: dict[int, int] = defaultdict(int)
        for row in await store._fetchall("SELECT post_id, value FROM votes", ()):
            tally[row["post_id"]] += row["value"]
        for post_id in posts:
            assert (await store.get_post(post_id)).score == tally[post_id]
    finally:
        await store.close()


async def test_a_random_run_through_the_bot_recounts_to_zero(emulator, quorum):
    rng = random.Random(7)
    world = emulator.world
    await setup_forum(emulator)
    people = [world.members[n].id for n in ("bob", "carol", "dave", "mod", "alice")]
    people += [world.add_member(f"member{i}") for i in range(5)]
    posts: dict[int, tuple[int, int]] = {}  # message id -> (thread id, author)
    threads = []
    for t in range(3):
        asker = rng.choice(people)
        thread = await emulator.create_forum_post(asker, f"Question {t}", "Why?")
        tid = int(thread["id"])
        threads.append(tid)
        posts[tid] = (tid, asker)
        for a in range(4):
            author = rng.choice(people)
            posts[int((await emulator.post_message(author, tid, f"Answer {a}"))["id"])] = (tid, author)
    await eventually(lambda: quorum.store.get_post(max(posts)))
    for _ in range(300):
        message = rng.choice(sorted(posts))
        tid, _author = posts[message]
        member, emoji = rng.choice(people), rng.choice([UP, DOWN])
        if rng.random() < 0.65:
            await emulator.add_reaction(member, tid, message, emoji)
        else:
            await emulator.remove_reaction(member, tid, message, emoji)
        if rng.random() < 0.02 and message != tid:
            await emulator.delete_message(tid, message)
            del posts[message]

    def expected(message: int) -> int:
        # What Discord shows once the bot has taken refused and replaced reactions off.
        shown = world.reactions.get(message, {})
        author = posts[message][1]
        return sum(v for e, v in ((UP, 1), (DOWN, -1)) for u in shown.get(e, []) if u != author)

    async def settled():
        for message in posts:
            if (await quorum.store.get_post(message)).score != expected(message):
                return False
        return True

    await eventually(settled, timeout=15)
    found = await quorum.store.recount()
    assert found.differences == 0, report(found, fix=False)
    assert found.votes > 20


def _corrupt(path, post_id: int, member: int) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE posts SET score = score + 5 WHERE id = ?", (post_id,))
        conn.execute("UPDATE members SET reputation = 99 WHERE guild_id = ? AND user_id = ?", (GUILD, member))


async def test_a_corrupted_counter_is_reported_and_repaired_by_the_command(tmp_path):
    path = tmp_path / "q.db"
    store = await open_store(path)
    try:
        members = [1, 2, 3]
        posts = await seeded_forum(store, random.Random(1), members, questions=2, answers=2)
        answers = [p for p in [await store.get_post(i) for i in posts] if p.kind is PostKind.ANSWER]
        answer, author = answers[0].id, answers[0].author_id
        voter = next(m for m in members if m != author)
        await store.apply_vote(answer, voter, 1, T0)
    finally:
        await store.close()
    env = {"DATABASE_URL": f"sqlite:///{path}"}

    clean = run_quorum("recount", cwd=tmp_path, env=env)
    assert clean.returncode == 0, clean.stderr
    assert "agree with the votes" in clean.stdout and "1 vote(s) counted" in clean.stdout

    _corrupt(path, answer, author)
    found = run_quorum("recount", cwd=tmp_path, env=env)
    assert found.returncode == 1, found.stdout + found.stderr
    assert "2 difference(s)" in found.stdout and "--fix" in found.stdout
    assert f"post {answer}: score 6 stored, 1 by the votes" in found.stdout
    assert f"member {author} in guild {GUILD}: reputation 99 stored, 11 by the votes" in found.stdout

    fixed = run_quorum("recount", "--fix", cwd=tmp_path, env=env)
    assert fixed.returncode == 0 and "repaired" in fixed.stdout
    again = run_quorum("recount", cwd=tmp_path, env=env)
    assert again.returncode == 0 and "agree with the votes" in again.stdout
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT score FROM posts WHERE id = ?", (answer,)).fetchone() == (1,)


def test_bad_configuration_exits_2(tmp_path):
    missing = run_quorum("recount", cwd=tmp_path, env={"DATABASE_URL": f"sqlite:///{tmp_path}/none.db"})
    assert missing.returncode == 2 and "no database" in missing.stderr
    assert not (tmp_path / "none.db").exists(), "a recount never creates a database"
    bad = run_quorum("recount", cwd=tmp_path, env={"DATABASE_URL": "nonsense"})
    assert bad.returncode == 2 and "not a URL" in bad.stderr
    assert run_quorum("recount", "--fiks", cwd=tmp_path).returncode == 2


def test_report_lists_a_bounded_number_of_differences():
    found = Recount(posts={i: (i, 0) for i in range(30)}, votes=3, checked=40)
    text = report(found, fix=False)
    assert text.splitlines()[0].startswith("Recount: 3 vote(s) counted, 40 counter(s) compared: 30 difference(s)")
    assert "… and 10 more" in text and len(text.splitlines()) == 1 + 20 + 1


def test_progress_display_plain_and_terminal():
    plain = io.StringIO()
    progress = RecountProgress()
    progress.rows = 120_000
    ProgressDisplay(plain, lambda elapsed: progress_line(progress, elapsed)).show(3.2)
    assert plain.getvalue() == "recount: votes… 120,000 votes read (3 s)\n"

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Terminal()
    display = ProgressDisplay(tty, lambda elapsed: progress_line(progress, elapsed))
    display.show(1.0)
    display.done()
    assert tty.getvalue().startswith("\rrecount: votes…") and tty.getvalue().endswith("\r\x1b[K")
