"""Reputation as Stack Exchange keeps it: never below 1 at any moment (a running floor, replayed in
time order), and accepting pays the asker only. The pure rules, then the store's maintained counter
against the same rules and a recount, then an upgrade from the previous schema."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from bot.forum.models import Post, PostKind, Question
from bot.forum.voting import acceptance_effect, floored, replay
from db.connection import open_writer
from db.migrate import default_migrations_dir, migrate
from db.store import open_store

GUILD = 1
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ASKER, CAROL, DAVE, ERIN, MOD = 10, 11, 12, 13, 14


def test_the_floor_acts_at_every_step_not_on_the_total():
    assert floored(1, -2) == 1 and floored(5, -2) == 3 and floored(1, 10) == 11
    assert replay([-2, 10]) == 11, "at 1, a downvote leaves 1, the next upvote makes 11"
    assert replay([10, -2]) == 9, "order matters: the same votes the other way round"
    assert replay([-2, -2, -2, 10, -1]) == 10
    assert replay([]) == 1


def test_accepting_pays_the_answer_and_the_asker_only():
    assert acceptance_effect(CAROL, ASKER, ASKER) == {CAROL: 15, ASKER: 2}
    assert acceptance_effect(CAROL, MOD, ASKER) == {CAROL: 15}, "a moderator accepting earns nothing"
    assert acceptance_effect(CAROL, None, ASKER) == {CAROL: 15}, "an accepter unknown: nobody earns the +2"
    assert acceptance_effect(ASKER, ASKER, ASKER) == {}, "a self-accepted answer earns no reputation"
    assert acceptance_effect(MOD, MOD, ASKER) == {}, "nor does a moderator accepting their own answer"


async def _forum(store):
    """The asker's question, answers by carol and dave; returns (thread, carol's, dave's)."""
    tid = 1000
    await store.add_question(Question(tid, GUILD, 5, "q", ASKER, T0, starter_id=tid),
                             Post(tid, tid, GUILD, PostKind.QUESTION, ASKER, "question", T0))  # fmt: skip
    await store.add_post(Post(1001, tid, GUILD, PostKind.ANSWER, CAROL, "a", T0))
    await store.add_post(Post(1002, tid, GUILD, PostKind.ANSWER, DAVE, "b", T0))
    return tid, 1001, 1002


async def _rep(store) -> dict[int, int]:
    return await store.reputations(GUILD)


async def test_the_store_replays_a_member_when_an_older_contribution_changes(tmp_path):
    store = await open_store(tmp_path / "q.db")
    try:
        tid, carol_answer, dave_answer = await _forum(store)
        t = [T0 + timedelta(minutes=i) for i in range(10)]
        await store.apply_vote(carol_answer, DAVE, -1, t[1])
        await store.apply_vote(carol_answer, ERIN, -1, t[2])
        assert (await _rep(store))[CAROL] == 1, "at 1, downvotes leave 1"
        assert (await _rep(store))[DAVE] == 1 and (await _rep(store))[ERIN] == 1, "downvoting costs 1, from 1"
        await store.apply_vote(carol_answer, MOD, 1, t[3])
        assert (await _rep(store))[CAROL] == 11

        # A vote whose event comes late takes its place in time: -2 before the +10, not after it.
        await store.apply_vote(carol_answer, ASKER, -1, t[0])
        assert (await _rep(store))[CAROL] == 11
        # A switch of an old vote replays carol: +10 (dave, now), with -2 (erin) and +10 (mod) before it.
        await store.apply_vote(carol_answer, DAVE, 1, t[4])
        assert (await _rep(store))[CAROL] == 1 + 10 + 10
        # Withdrawn: erin's -2 goes, and the replay starts from the asker's -2 alone.
        await store.apply_vote(carol_answer, ERIN, 0, t[5])
        assert (await _rep(store))[CAROL] == 21

        # The asker accepting pays +2 (after the asker's -1 for downvoting: 1, then 3); a later switch to
        # another answer replays both and pays dave.
        await store.set_acceptance(tid, carol_answer, ASKER, t[6])
        assert ((await _rep(store))[CAROL], (await _rep(store))[ASKER]) == (36, 3)
        await store.set_acceptance(tid, dave_answer, MOD, t[7])
        reputations = await _rep(store)
        assert (reputations[CAROL], reputations[DAVE], reputations[ASKER]) == (21, 16, 1)
        assert reputations.get(MOD, 1) == 1, "the moderator earned nothing for accepting"

        # A deleted post's votes stop counting: carol is replayed without them.
        await store.delete_post(carol_answer, t[8])
        reputations = await _rep(store)
        assert (reputations[CAROL], reputations[ASKER], reputations[DAVE]) == (1, 1, 16)
        found = await store.recount()
        assert found.differences == 0, found
    finally:
        await store.close()


async def test_same_millisecond_contributions_agree_with_the_recount(tmp_path):
    """Two votes in the same millisecond: the live counter replays the member, so the order is the
    recount's (by post, then voter), whatever order the events came in."""
    store = await open_store(tmp_path / "q.db")
    try:
        _tid, carol_answer, _ = await _forum(store)
        await store.add_post(Post(1003, 1000, GUILD, PostKind.ANSWER, CAROL, "c", T0))
        await store.apply_vote(1003, DAVE, 1, T0)  # +10 on the later post id...
        await store.apply_vote(carol_answer, ERIN, -1, T0)  # ...then -2 on the earlier one, same moment
        assert (await _rep(store))[CAROL] == 11, "replayed by post id: -2 (floored at 1), then +10"
        assert (await store.recount()).differences == 0
    finally:
        await store.close()


async def test_upgrading_replays_stored_reputation_under_the_new_rules(tmp_path):
    """A database written before migration 0009 (reputation summed without the floor, a moderator
    paid for accepting) is replayed at the first start, so a recount agrees right after."""
    old = tmp_path / "old-migrations"
    old.mkdir()
    for entry in default_migrations_dir().iterdir():
        if entry.name.endswith(".sql") and entry.name < "0009":
            (old / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "q.db"
    conn = await open_writer(path)
    try:
        await migrate(conn, old)
    finally:
        await conn.close()
    at = int(T0.timestamp() * 1000)
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO questions (id, guild_id, channel_id, title, author_id, starter_id, created_at,"
                   " updated_at, accepted_answer_id, accepted_by) VALUES (1000, ?, 5, 'q', ?, 1000, ?, ?, 1001, ?)",
                   (GUILD, ASKER, at, at + 5, MOD))  # fmt: skip
        db.executemany("INSERT INTO posts (id, question_id, guild_id, kind, author_id, body, created_at)"
                       " VALUES (?, 1000, ?, ?, ?, 'x', ?)",
                       [(1000, GUILD, "question", ASKER, at), (1001, GUILD, "answer", CAROL, at),
                        (1002, GUILD, "answer", DAVE, at)])  # fmt: skip
        # dave: -2 then +10 (the old sum: 9); carol +15 accepted; the moderator +2 for accepting.
        db.executemany("INSERT INTO votes (post_id, voter_id, guild_id, value, at) VALUES (?, ?, ?, ?, ?)",
                       [(1002, CAROL, GUILD, -1, at + 1), (1002, ERIN, GUILD, 1, at + 2)])  # fmt: skip
        db.executemany("INSERT INTO members (guild_id, user_id, reputation) VALUES (?, ?, ?)",
                       [(GUILD, ASKER, 1), (GUILD, CAROL, 1 - 1 + 15), (GUILD, DAVE, 1 - 2 + 10),
                        (GUILD, MOD, 1 + 2)])  # fmt: skip
    store = await open_store(path)
    try:
        reputations = await _rep(store)
        assert (reputations[DAVE], reputations[CAROL], reputations[MOD]) == (11, 16, 1)
        assert await store.get_meta("replay_reputation") is None, "replayed once, not at every start"
        assert (await store.recount()).differences == 0
        # Later contributions are single steps after everything the upgrade replayed.
        await store.apply_vote(1002, ASKER, -1, datetime.now(UTC) + timedelta(seconds=1))
        assert (await _rep(store))[DAVE] == 9 and (await store.recount()).differences == 0
    finally:
        await store.close()

