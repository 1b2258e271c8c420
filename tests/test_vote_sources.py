"""A vote remembers how it was cast: by reaction or by /vote. Catch-up compares only reaction votes
with Discord's reactions, so a /vote survives restarts, and the member's latest action wins either way."""

from __future__ import annotations

import io

from bot.catchup_cli import run_catchup
from bot.forum.vote_catchup import VoteChange, plan_post
from tests.harness import eventually
from tests.test_catchup import caught_up, cog
from tests.test_vote_catchup import discord_votes, holds
from tests.test_vote_command import link, vote
from tests.test_voting import DOWN, UP, rep, score_is, thread_with_answer


def test_plan_leaves_a_command_vote_alone_unless_a_newer_reaction_replaces_it():
    stored, commands = {1: 1, 2: -1, 3: 1, 4: 1}, {1, 2, 3, 4, 5}
    # 1: holds nothing; 2: the old 👍 its /vote replaced (owed); 3: a 👎 added after the /vote; 4: the
    # old 👎 and a newer 👍 (the same value); 5: cleared by /vote, then reacted 👍 and 👎.
    changes = plan_post(up={2, 4, 5}, down={3, 4, 5}, stored=stored, can_remove=True, owed={2: 1, 4: -1},
                        commands=commands)  # fmt: skip
    assert changes == [
        VoteChange(2, -1, -1, lose=1),  # the command vote stands, the old reaction comes off
        VoteChange(3, 1, -1, recast=True),
        VoteChange(4, 1, 1, lose=-1, recast=True),  # now a reaction vote: catch-up compares it from now on
        VoteChange(5, 0, 1, lose=-1, recast=True),  # both after the /vote, order unknown: the upvote
    ]
    assert [c.writes for c in changes] == [False, True, True, True]
    # The same reactions on reaction votes follow the reaction rules (1 withdrawn, 2 switched to 👍).
    assert plan_post(up={2}, down=(), stored={1: 1, 2: -1}, can_remove=True)[:2] == [
        VoteChange(1, 1, 0), VoteChange(2, -1, 1)]  # fmt: skip


async def second_thread(emulator, quorum, ids) -> tuple[int, int]:
    thread = await emulator.create_forum_post(ids["bob"], "Archived later", "Still worth a vote?")
    tid = int(thread["id"])
    answer = await emulator.post_message(ids["carol"], tid, "Yes.")
    await eventually(lambda: quorum.store.get_post(int(answer["id"])))
    return tid, int(answer["id"])


async def standing(quorum, emulator, posts) -> tuple:
    """Scores of `posts` and every stored reputation: what must not move across restarts."""
    scores = [(await quorum.store.get_post(p)).score for p in posts]
    return scores, dict(await rep(quorum, emulator))


async def test_command_votes_survive_restarts_and_catch_up(emulator, quorum):
    ids, tid, aid = await thread_with_answer(emulator, quorum)  # open thread
    old_tid, old_aid = await second_thread(emulator, quorum, ids)
    await emulator.archive_thread(old_tid)

    assert "**+1**" in await vote(emulator, ids["dave"], link(emulator, tid, aid), "up")
    assert "**+1**" in await vote(emulator, ids["dave"], link(emulator, old_tid, old_aid), "up")
    assert "**-1**" in await vote(emulator, ids["mod"], link(emulator, old_tid, old_tid), "down")
    before = await standing(quorum, emulator, [aid, old_aid, old_tid])
    assert before[0] == [1, 1, -1] and before[1][ids["carol"]] == 21 and before[1][ids["bob"]] == 1  # never below 1

    for restart in range(2):
        await quorum.restart()
        progress = await caught_up(quorum)
        if restart == 0:  # reads the archived thread too (archived since the last run): all three posts
            assert (progress.threads_total, progress.posts_checked) == (2, 3)
        assert (progress.votes_withdrawn, progress.votes_added) == (0, 0)
        assert await standing(quorum, emulator, [aid, old_aid, old_tid]) == before
    # `quorum catchup --days 1` re-reads the archived thread too (the bot stopped meanwhile).
    await quorum.stop()
    progress = await run_catchup(quorum.settings, days=1, stream=io.StringIO())
    assert (progress.threads_total, progress.posts_checked, progress.changed) == (2, 3, 0)
    await quorum.start()
    await caught_up(quorum)
    assert await standing(quorum, emulator, [aid, old_aid, old_tid]) == before

    # A reaction after the /vote is the member's latest action: it replaces the command vote, and
    # catch-up keeps it (it is a reaction vote now).
    await emulator.add_reaction(ids["dave"], tid, aid, DOWN)
    await score_is(quorum, aid, -1)
    # ... and so is one added while the bot was away: Quorum left the post without a reaction of
    # mod's at the /vote, so the reaction came after it.
    assert "**-2**" in await vote(emulator, ids["mod"], link(emulator, tid, aid), "down")
    await quorum.stop()
    await emulator.add_reaction(ids["mod"], tid, aid, UP)
    await quorum.start()
    await caught_up(quorum)
    await score_is(quorum, aid, 0)
    assert await quorum.store.get_vote(aid, ids["mod"]) == 1
    await quorum.restart()
    await caught_up(quorum)
    assert discord_votes(emulator, tid)[aid] == {ids["dave"]: -1, ids["mod"]: 1}
    assert (await quorum.store.get_post(aid)).score == 0
    assert (await quorum.store.recount()).differences == 0


async def test_a_vote_in_an_archived_thread_replaces_the_reaction_cast_before(emulator, quorum):
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    await emulator.add_reaction(ids["dave"], tid, aid, UP)
    await emulator.add_reaction(ids["mod"], tid, aid, UP)
    await score_is(quorum, aid, 2)
    await emulator.archive_thread(tid)
    # Discord refuses to take the 👍s off in an archived thread: they stay, but no longer count.
    assert "**+0**" in await vote(emulator, ids["dave"], link(emulator, tid, aid), "down")
    assert "withdrawn" in await vote(emulator, ids["mod"], link(emulator, tid, aid), "clear")
    assert holds(emulator, ids["dave"], aid, UP) and holds(emulator, ids["mod"], aid, UP)

    await quorum.restart()
    await caught_up(quorum)  # reads the thread (archived since the last run): the 👍s are the older votes
    assert (await quorum.store.get_post(aid)).score == -1
    assert (await rep(quorum, emulator))[ids["carol"]] == 1  # 1 - 2, floored at 1

    # Unarchived: the next catch-up takes the old reactions off, and the votes stand.
    await emulator.archive_thread(tid, archived=False)
    await quorum.restart()
    await caught_up(quorum)
    await emulator.wait_for(lambda: not holds(emulator, ids["dave"], aid, UP))
    await emulator.wait_for(lambda: not holds(emulator, ids["mod"], aid, UP))
    await quorum.restart()
    await caught_up(quorum)
    assert await quorum.store.get_vote(aid, ids["dave"]) == -1 and await quorum.store.get_vote(aid, ids["mod"]) == 0
    assert (await quorum.store.get_post(aid)).score == -1
    assert await quorum.store.owed_unreactions(tid) == {}
    assert (await quorum.store.recount()).differences == 0


async def test_a_vote_after_a_reaction_takes_the_reaction_off(emulator, quorum):
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    await emulator.add_reaction(ids["dave"], tid, aid, UP)
    await emulator.add_reaction(ids["mod"], tid, aid, DOWN)
    await emulator.add_reaction(ids["bob"], tid, aid, UP)
    await score_is(quorum, aid, 1)

    assert "**-1**" in await vote(emulator, ids["dave"], link(emulator, tid, aid), "down")
    assert "withdrawn" in await vote(emulator, ids["mod"], link(emulator, tid, aid), "clear")
    # The same vote again counts once, but it is the member's latest action all the same: the vote
    # is a /vote now, and its reaction comes off too (else removing it later would withdraw nothing).
    assert "already upvoted" in await vote(emulator, ids["bob"], link(emulator, tid, aid), "up")
    for name, emoji in (("dave", UP), ("mod", DOWN), ("bob", UP)):
        await emulator.wait_for(lambda n=name, e=emoji: not holds(emulator, ids[n], aid, e))
    await score_is(quorum, aid, 0)  # the removal events withdrew nothing
    await eventually(lambda: _nothing_owed(quorum, tid))

    await quorum.restart()
    await caught_up(quorum)
    assert (await quorum.store.get_post(aid)).score == 0
    assert [await quorum.store.get_vote(aid, ids[n]) for n in ("dave", "mod", "bob")] == [-1, 0, 1]
    assert aid not in discord_votes(emulator, tid)
    # In time order: dave's /vote down (1 - 2, floored at 1), then bob's /vote up, the latest: 11.
    assert (await rep(quorum, emulator))[ids["carol"]] == 11
    assert (await quorum.store.recount()).differences == 0


async def test_taking_an_old_reaction_off_never_withdraws_the_command_vote(emulator, quorum):
    # 👍, then (archived) /vote down and /vote up again: the vote is +1 by command, and the 👍 still
    # shown is the old one Quorum owes a removal. Taking it off later must not withdraw the +1.
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    await emulator.add_reaction(ids["dave"], tid, aid, UP)
    await score_is(quorum, aid, 1)
    await emulator.archive_thread(tid)
    await vote(emulator, ids["dave"], link(emulator, tid, aid), "down")
    await vote(emulator, ids["dave"], link(emulator, tid, aid), "up")
    await emulator.archive_thread(tid, archived=False)
    await quorum.restart()
    await caught_up(quorum)
    await emulator.wait_for(lambda: not holds(emulator, ids["dave"], aid, UP))
    await cog(quorum).run()
    assert await quorum.store.get_vote(aid, ids["dave"]) == 1
    assert (await quorum.store.get_post(aid)).score == 1
    assert (await quorum.store.recount()).differences == 0


async def _nothing_owed(quorum, thread_id):
    return await quorum.store.owed_unreactions(thread_id) == {}
