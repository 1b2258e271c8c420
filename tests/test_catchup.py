"""Catch-up: what happened in watched channels while the bot was away is mirrored when it starts
(and after a session it could not resume), without undoing what live events brought meanwhile."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.forum import catchup as plan
from bot.forum.catchup import Action, Progress, Seen
from bot.forum.models import Post, PostKind
from db.store import open_store
from tests.harness import eventually
from tests.test_mirroring import ask, posts_of

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


# ----- the pure decisions ------------------------------------------------------------------------


def post(pid: int, body: str = "text", *, deleted: bool = False) -> Post:
    return Post(pid, 1, 1, PostKind.ANSWER, 7, body, T0, deleted_at=T0 if deleted else None)


def test_decide_adds_unknown_messages_unless_deleted_live():
    seen = Seen(5, "hi", None, counts=True)
    assert plan.decide(seen, None, deleted_live=False) is Action.ADD
    assert plan.decide(seen, None, deleted_live=True) is Action.NOTHING
    assert plan.decide(Seen(5, "bot", None, counts=False), None, deleted_live=False) is Action.NOTHING


def test_decide_edits_only_changed_text_of_live_posts():
    edited = Seen(5, "new", T0 + timedelta(hours=1), counts=True)
    assert plan.decide(edited, post(5, "old"), deleted_live=False) is Action.EDIT
    assert plan.decide(edited, post(5, "new"), deleted_live=False) is Action.NOTHING  # already stored
    assert plan.decide(Seen(5, "new", None, counts=True), post(5, "old"), deleted_live=False) is Action.NOTHING
    assert plan.decide(edited, post(5, "old", deleted=True), deleted_live=False) is Action.NOTHING


def test_missing_posts_stop_at_the_read_horizon():
    stored = [post(1), post(2), post(3, deleted=True), post(4), post(9)]
    # 2 is gone; 3 was deleted already; 9 arrived after the read and is spared.
    assert plan.missing_posts(stored, {1, 4}, horizon=4) == [2]
    assert plan.missing_posts(stored, set(), horizon=None) == []


def test_read_horizon_uses_the_listed_last_message_when_newest_messages_are_gone():
    assert plan.read_horizon({1, 4}, None) == 4
    assert plan.read_horizon({1, 4}, 7) == 7  # 5..7 were deleted after the listing's snapshot
    assert plan.read_horizon(set(), 7) == 7  # every message was deleted
    assert plan.read_horizon(set(), None) is None


def test_archived_cutoff_and_watermark():
    now = T0 + timedelta(days=30)
    assert plan.archived_cutoff(None, now, timedelta(days=7)) == now - timedelta(days=7)
    assert plan.archived_cutoff(T0, now, timedelta(days=7)) == T0
    assert plan.next_watermark(now) == now - plan.WATERMARK_MARGIN


def test_ids_at_a_time_and_unlisted_questions():
    # Discord's documented example: 175928847299117063 was made at 1462015105796 ms.
    made = datetime.fromtimestamp(1462015105796 / 1000, UTC)
    assert plan.first_id_at(made) == 175928847299117063 >> 22 << 22
    assert plan.first_id_at(made + timedelta(milliseconds=1)) > 175928847299117063
    assert plan.first_id_at(datetime(2010, 1, 1, tzinfo=UTC)) == 0
    assert plan.unlisted([5, 3, 9], [9, 4]) == [3, 5]


def test_progress_summary_counts():
    p = Progress(threads_total=3, threads_done=2, messages=40, added=5, edited=1, deleted=2, questions_added=1)
    assert p.line() == "2/3 threads, 40 messages read"
    assert p.changed == 9
    assert "2 threads, 40 messages read, 1 questions and 5 posts added, 1 edited, 2 deleted" in p.summary()


# ----- against the emulator ----------------------------------------------------------------------


def cog(quorum):
    return quorum.bot.get_cog("CatchUp")


async def caught_up(quorum, runs: int = 1, timeout: float = 10.0) -> Progress:
    async def check():
        c = cog(quorum)
        return c.progress if c.completed >= runs and not c._lock.locked() else None

    return await eventually(check, timeout=timeout)


def world_posts(emulator, thread_id: int) -> dict[int, str]:
    """What a member sees in the thread: members' messages (no bots, no system notices)."""
    return {
        int(mid): m["content"]
        for mid, m in emulator.world.messages.get(thread_id, {}).items()
        if m["type"] in (0, 19) and not m["author"].get("bot")
    }


async def stored_posts(store, thread_id: int) -> dict[int, str]:
    return {p.id: p.body for p in await store.question_posts(thread_id)}


async def snapshot(store, guild_id: int) -> dict:
    """Everything catch-up could change: questions, posts with deletion marks, revisions."""
    out = {}
    for q in await store.list_questions(guild_id):
        for p in await store.question_posts(q.id, include_deleted=True):
            revisions = [(r.number, r.text) for r in await store.revisions(p.id) if r.field == "body"]
            out[p.id] = (q.id, p.kind, p.parent_id, p.body, p.deleted_at is not None, revisions)
    return out


async def test_what_happened_while_stopped_appears_after_start(emulator, quorum):
    m = {n: emulator.world.members[n].id for n in ("bob", "carol", "dave")}
    tid = await ask(emulator, quorum)
    keep = await emulator.post_message(m["carol"], tid, "Check the token.")
    edited = await emulator.post_message(m["dave"], tid, "Restart it.")
    gone = await emulator.post_message(m["carol"], tid, "Wrong thread, sorry.")
    await posts_of(quorum, tid, 4)
    await quorum.stop()

    # While the bot is away: a new forum post with two answers (then archived), three messages in
    # the existing question (one a reply), an edit and a delete.
    new = await emulator.create_forum_post(m["dave"], "Asked while the bot slept", "Anyone around?")
    new_id = int(new["id"])
    first = await emulator.post_message(m["carol"], new_id, "I am.")
    await emulator.post_message(m["bob"], new_id, "Me too.", reply_to=int(first["id"]))
    await emulator.archive_thread(new_id)
    for author, text in (("bob", "Still offline."), ("carol", "Which host?"), ("dave", "Try the logs.")):
        reply_to = int(keep["id"]) if author == "bob" else None
        await emulator.post_message(m[author], tid, text, reply_to=reply_to)
    await emulator.edit_message(tid, int(edited["id"]), "Restart it, then check the logs.")
    await emulator.delete_message(tid, int(gone["id"]))

    await quorum.start()
    progress = await caught_up(quorum)
    assert (progress.threads_done, progress.questions_added) == (2, 1)
    assert (progress.added, progress.edited, progress.deleted) == (6, 1, 1)
    for thread_id in (tid, new_id):
        assert await stored_posts(quorum.store, thread_id) == world_posts(emulator, thread_id)
    assert [r.text for r in await quorum.store.revisions(int(edited["id"]))] == [
        "Restart it.",
        "Restart it, then check the logs.",
    ]
    assert (await quorum.store.get_post(int(gone["id"]))).deleted_at is not None
    reply = next(p for p in await quorum.store.question_posts(tid) if p.body == "Still offline.")
    assert (reply.kind, reply.parent_id) == (PostKind.REPLY, int(keep["id"]))
    question = await quorum.store.get_question(new_id)
    assert (question.title, question.author_id) == ("Asked while the bot slept", m["dave"])

    # Idempotent: another run (and the store after it) changes nothing.
    before = await snapshot(quorum.store, emulator.world.guild_id)
    again = await cog(quorum).run()
    assert (again.threads_done, again.messages) == (2, 9)
    assert again.changed == 0
    assert await snapshot(quorum.store, emulator.world.guild_id) == before
    assert await quorum.store.catchup_watermark(emulator.world.guild_id) < datetime.now(UTC)


async def test_a_thread_deleted_while_away_deletes_its_question(emulator, quorum, caplog):
    carol = emulator.world.members["carol"].id
    doomed = await ask(emulator, quorum, title="Deleted while the bot slept")
    hidden = await ask(emulator, quorum, title="Its channel is unreadable for a while")
    kept = await ask(emulator, quorum, title="Still here")
    await emulator.post_message(carol, doomed, "An answer that goes with the thread.")
    await posts_of(quorum, doomed, 2)
    await quorum.stop()

    await emulator.delete_thread(doomed)
    await emulator.delete_thread(hidden)
    # Discord refuses to say anything about `hidden`: catch-up must not take that as a deletion.
    emulator.faults.fail("GET", rf"^/channels/{hidden}$", 403, 50001, "Missing Access")
    await quorum.start()
    progress = await caught_up(quorum)
    assert progress.threads_deleted == 1
    assert (await quorum.store.get_question(doomed)).deleted_at is not None
    assert await quorum.store.question_posts(doomed) == []  # its posts went with it, as live
    assert (await quorum.store.get_question(hidden)).deleted_at is None
    assert (await quorum.store.get_question(kept)).deleted_at is None
    assert "could not check whether thread" in caplog.text

    # The next run asks Discord again about `hidden` (now answered: gone), not about `doomed`.
    again = await cog(quorum).run()
    assert again.threads_deleted == 1
    assert (await quorum.store.get_question(hidden)).deleted_at is not None
    assert (await cog(quorum).run()).threads_deleted == 0
    checks = [r for r in emulator.requests if r.method == "GET" and r.path.endswith(f"/channels/{doomed}")]
    assert len(checks) == 1, "a deleted question is not asked about again"


async def test_live_events_during_catchup_win_over_its_older_view(emulator, quorum):
    m = {n: emulator.world.members[n].id for n in ("bob", "carol", "dave")}
    tid = await ask(emulator, quorum)
    answer = await emulator.post_message(m["carol"], tid, "v1")
    aid = int(answer["id"])
    await posts_of(quorum, tid, 2)
    await quorum.stop()
    await emulator.edit_message(tid, aid, "v2, edited while away")
    doomed = await emulator.post_message(m["dave"], tid, "posted while away, deleted during catch-up")
    kept = await emulator.post_message(m["bob"], tid, "posted while away")

    # The history read happens, then its answer is held while members act live.
    held = emulator.faults.delay("GET", rf"^/channels/{tid}/messages$", seconds=2.0)
    await quorum.start()
    await emulator.wait_for(lambda: held.hits == 1)
    await emulator.edit_message(tid, aid, "v3, edited live")
    await emulator.delete_message(tid, int(doomed["id"]))
    late = await emulator.post_message(m["carol"], tid, "posted live after the read")
    await eventually(lambda: _has(quorum, int(late["id"])))
    await eventually(lambda: _body_is(quorum, aid, "v3, edited live"))
    assert quorum.service.was_deleted(int(doomed["id"]))
    assert not cog(quorum).completed, "the live events must land while catch-up waits for its read"

    progress = await caught_up(quorum)
    assert progress.edited == 0 and progress.deleted == 0 and progress.added == 1  # only `kept`
    assert [r.text for r in await quorum.store.revisions(aid)] == ["v1", "v3, edited live"]
    assert await quorum.store.get_post(int(doomed["id"])) is None
    assert await stored_posts(quorum.store, tid) == world_posts(emulator, tid)
    assert {int(late["id"]), int(kept["id"])} <= set(await stored_posts(quorum.store, tid))


async def test_a_new_session_after_an_invalidated_one_closes_the_gap(emulator, quorum):
    # discord.py waits 5 s (before_identify_hook) before identifying again: this test is slow.
    m = {n: emulator.world.members[n].id for n in ("carol", "dave")}
    tid = await ask(emulator, quorum)
    answer = await emulator.post_message(m["carol"], tid, "first")
    await posts_of(quorum, tid, 2)
    runs = cog(quorum).completed

    await emulator.invalidate_session()
    # No session is connected: these events are lost to the bot, as on Discord.
    missed = await emulator.post_message(m["dave"], tid, "said while the bot reconnected")
    await emulator.edit_message(tid, int(answer["id"]), "first, edited")
    await eventually(lambda: _ready_again(emulator), timeout=15)

    await caught_up(quorum, runs=runs + 1, timeout=15)
    assert await stored_posts(quorum.store, tid) == world_posts(emulator, tid)
    assert int(missed["id"]) in await stored_posts(quorum.store, tid)
    assert len(await quorum.store.revisions(int(answer["id"]))) == 2
    quorum.assert_alive()


async def test_archived_threads_are_read_back_to_the_watermark(emulator, quorum):
    tid = await ask(emulator, quorum)
    await emulator.archive_thread(tid)
    c = cog(quorum)
    await caught_up(quorum)
    assert (await c.run()).threads_total == 1  # archived after the last run's start (less the margin)
    # Archived before the watermark: it can't have changed since (no posts or edits in an archived
    # thread), so it isn't read again...
    guild = emulator.world.guild_id
    await quorum.store.set_catchup_watermark(guild, datetime.now(UTC) + timedelta(minutes=1))
    assert (await c.run()).threads_total == 0
    # ...unless asked for, and then the watermark is left alone.
    mark = await quorum.store.catchup_watermark(guild)
    assert (await c.run(days=1)).threads_total == 1
    assert await quorum.store.catchup_watermark(guild) == mark


async def test_a_rate_limited_history_read_still_completes(emulator, quorum):
    tid = await ask(emulator, quorum)
    await quorum.stop()
    message = await emulator.post_message(emulator.world.members["carol"].id, tid, "while away")
    limited = emulator.faults.rate_limit("GET", rf"^/channels/{tid}/messages$", retry_after=0.3)
    await quorum.start()
    progress = await caught_up(quorum)
    assert limited.hits == 1 and progress.threads_failed == 0
    assert int(message["id"]) in await stored_posts(quorum.store, tid)
    statuses = [r.status for r in emulator.requests if r.method == "GET" and r.path == f"/channels/{tid}/messages"]
    assert statuses == [429, 200]


async def test_an_unreadable_thread_does_not_stop_the_others(emulator, quorum):
    m = {n: emulator.world.members[n].id for n in ("bob", "carol")}
    first = await ask(emulator, quorum, title="First question")
    second = await ask(emulator, quorum, title="Second question")
    await quorum.stop()
    await emulator.post_message(m["carol"], first, "unseen")
    later = await emulator.post_message(m["carol"], second, "seen")
    emulator.faults.fail("GET", rf"^/channels/{first}/messages$", 403, 50001, "Missing Access")
    await quorum.start()
    progress = await caught_up(quorum)
    assert progress.threads_done == 2 and progress.threads_failed == 0  # a 403 is skipped, not retried
    assert int(later["id"]) in await stored_posts(quorum.store, second)


async def test_triggers_during_a_run_queue_one_more_run(emulator, quorum):
    tid = await ask(emulator, quorum)
    c = cog(quorum)
    await caught_up(quorum)
    done = c.completed
    held = emulator.faults.delay("GET", rf"^/channels/{tid}/messages$", seconds=0.5)
    c.trigger()
    await emulator.wait_for(lambda: held.hits == 1)
    for _ in range(3):
        c.trigger()  # READYs while the run reads: one more run covers them all
    await c.wait_idle()
    assert c.completed == done + 2


async def test_quorum_catchup_command(emulator, quorum, tmp_path):
    tid = await ask(emulator, quorum)
    database = quorum.database
    await quorum.stop()
    message = await emulator.post_message(emulator.world.members["carol"].id, tid, "while away")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "QUORUM_", "DATABASE_URL"))}
    env.update(
        PYTHONPATH=str(ROOT),
        DISCORD_TOKEN=emulator.token,
        DISCORD_API_BASE=emulator.api_base,
        DATABASE_URL=f"sqlite:///{database}",
        LOG_LEVEL="WARNING",
    )
    # A subprocess, as a person runs it; asynchronously, because the emulator serves from this loop.
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "catchup", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    assert "catch-up: 1/1 threads, 2 messages read" in err.decode()  # plain lines: stderr is not a TTY
    assert out.decode().startswith("catch-up: 1 threads, 2 messages read, 0 questions and 1 posts added")
    assert emulator.gateway_stats.identifies == 2  # the fixture's bot, then the command's

    store = await open_store(database)
    try:
        assert int(message["id"]) in await stored_posts(store, tid)
        assert await store.catchup_watermark(emulator.world.guild_id) is not None
    finally:
        await store.close()


async def test_quorum_catchup_without_token_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "QUORUM_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(ROOT)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "catchup", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 2 and "DISCORD_TOKEN" in err.decode()


async def _has(quorum, post_id):
    return await quorum.store.get_post(post_id) is not None


async def _body_is(quorum, post_id, text):
    p = await quorum.store.get_post(post_id)
    return p is not None and p.body == text


async def _ready_again(emulator):
    return emulator.gateway_stats.identifies >= 2
