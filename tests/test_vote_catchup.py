"""Catch-up of votes: reactions added and removed while the bot was away are reflected after it
starts, member by member; live reactions during catch-up win over its older view; replayed events
change nothing."""

from __future__ import annotations

import asyncio

from bot.forum.vote_catchup import VoteChange, both_held_winner, plan_post
from tests.harness import eventually
from tests.test_catchup import caught_up, cog
from tests.test_first_slice import setup_forum
from tests.test_voting import DOWN, UP, score_is, thread_with_answer

# ----- the pure decisions ------------------------------------------------------------------------


def test_plan_compares_member_by_member():
    # Count unchanged (one upvote gone, another new), one new downvote, one standing vote kept.
    changes = plan_post(up={2, 3}, down={5}, stored={1: 1, 2: 1}, can_remove=True)
    assert changes == [VoteChange(1, 1, 0), VoteChange(3, 0, 1), VoteChange(5, 0, -1)]
    assert plan_post(up=(), down=(), stored={}, can_remove=True) == []
    assert plan_post(up={4}, down=(), stored={4: -1}, can_remove=True) == [VoteChange(4, -1, 1)]


def test_both_reactions_the_newer_one_wins():
    # The store knew the upvote: the downvote was added while away, so it is the newer one.
    [d] = plan_post(up={7}, down={7}, stored={7: 1}, can_remove=True)
    assert (d.value, d.lose, d.writes, d.conflict) == (-1, 1, True, True)
    # Neither known: the upvote wins, the downvote reaction is taken off.
    [g] = plan_post(up={8}, down={8}, stored={}, can_remove=True)
    assert (g.value, g.lose) == (1, -1)
    # Without Manage Messages the pair stays visible: keep what the store holds (no flip-flopping).
    assert both_held_winner(-1, can_remove=False) == -1 and both_held_winner(1, can_remove=False) == 1
    assert both_held_winner(0, can_remove=False) == 1
    [k] = plan_post(up={7}, down={7}, stored={7: 1}, can_remove=False)
    assert (k.value, k.writes) == (1, False)
    # The store switched to the downvote but still owes the upvote's removal (the bot stopped, or was
    # refused, before taking it off): the stored vote is the newer one and stays.
    [o] = plan_post(up={7}, down={7}, stored={7: -1}, can_remove=True, owed={7: 1})
    assert (o.value, o.lose, o.writes) == (-1, 1, False)


def test_an_owed_reaction_without_a_standing_vote_is_never_counted():
    # An erased member (their vote is a pseudonym's now) still holds their 👍: it comes off, and
    # no vote is stored for them; the pseudonym's vote stands as it is.
    [e] = plan_post(up={7}, down=(), stored={-2: 1}, can_remove=True, owed={7: 1}, commands={-2})
    assert (e.voter_id, e.value, e.lose, e.writes, e.conflict) == (7, 0, 1, False, True)
    # The same where the bot cannot remove it: still no vote (the removal stays owed).
    [k] = plan_post(up={7}, down=(), stored={}, can_remove=False, owed={7: 1})
    assert (k.value, k.writes) == (0, False)
    # Taken off already: nothing to do.
    assert plan_post(up=(), down=(), stored={}, can_remove=True, owed={7: 1}) == []
    # A 👎 added since is the member's newer action: a vote of theirs; the owed 👍 comes off.
    [n] = plan_post(up={7}, down={7}, stored={}, can_remove=True, owed={7: 1})
    assert (n.value, n.lose, n.writes) == (-1, 1, True)


# ----- helpers -----------------------------------------------------------------------------------


def discord_votes(emulator, thread_id: int) -> dict[int, dict[int, int]]:
    """What Discord shows: post -> member -> vote, from the emulator's reactions (bots left out)."""
    world = emulator.world
    shown: dict[int, dict[int, int]] = {}
    for mid in world.messages.get(thread_id, {}):
        held = world.reactions.get(mid, {})
        for emoji, value in ((UP, 1), (DOWN, -1)):
            for uid in held.get(emoji, []):
                if not world.users[uid].get("bot"):
                    assert uid not in shown.get(mid, {}), f"{uid} still holds both reactions on {mid}"
                    shown.setdefault(mid, {})[uid] = value
    return shown


async def store_state(quorum, emulator, thread_id: int) -> tuple:
    posts = {p.id: p.score for p in await quorum.store.question_posts(thread_id)}
    question = await quorum.store.get_question(thread_id)
    reputation = await quorum.store.reputations(emulator.world.guild_id)
    return await quorum.store.standing_votes(thread_id), posts, question.score, reputation


def holds(emulator, uid: int, mid: int, emoji: str) -> bool:
    return uid in emulator.world.reactions.get(mid, {}).get(emoji, [])


def reaction_reads(emulator, message_id: int) -> list:
    return [r for r in emulator.requests if r.method == "GET" and f"/messages/{message_id}/reactions/" in r.path]


# ----- against the emulator ----------------------------------------------------------------------


async def test_votes_changed_while_stopped_are_caught_up(emulator, quorum):
    world = emulator.world
    ids, tid, aid = await thread_with_answer(emulator, quorum)  # bob asks, carol answers
    for name in ("erin", "frank", "gina"):
        ids[name] = world.add_member(name)
    await emulator.add_reaction(ids["mod"], tid, aid, UP)
    await emulator.add_reaction(ids["erin"], tid, aid, UP)
    await emulator.add_reaction(ids["frank"], tid, tid, UP)
    await score_is(quorum, aid, 2)
    await score_is(quorum, tid, 1)
    await quorum.stop()

    # While away, on the answer: dave adds 👍; mod takes his 👍 off and alice adds one (the count
    # stays 2); erin switches to 👎 but keeps her 👍 (nobody took it off); carol 👍 her own answer.
    # On the question: frank takes his 👍 off (the post had votes, shows none now); gina adds both.
    await emulator.add_reaction(ids["dave"], tid, aid, UP)
    await emulator.remove_reaction(ids["mod"], tid, aid, UP)
    await emulator.add_reaction(ids["mod"], tid, aid, "\N{PARTY POPPER}")  # not a vote
    await emulator.add_reaction(world.members["alice"].id, tid, aid, UP)
    await emulator.add_reaction(ids["erin"], tid, aid, DOWN)
    await emulator.add_reaction(ids["carol"], tid, aid, UP)
    await emulator.remove_reaction(ids["frank"], tid, tid, UP)
    await emulator.add_reaction(ids["gina"], tid, tid, DOWN)
    await emulator.add_reaction(ids["gina"], tid, tid, UP)
    assert len(world.reactions[aid][UP]) == 4  # erin, dave, alice, carol

    await quorum.start()
    progress = await caught_up(quorum)
    assert progress.posts_checked == 2
    assert (progress.votes_added, progress.votes_withdrawn) == (4, 2)  # dave, alice, erin, gina; mod, frank
    assert (progress.vote_conflicts, progress.votes_refused, progress.votes_live_won) == (2, 1, 0)
    # The losers of the pairs and carol's vote on her own answer are taken off.
    await emulator.wait_for(lambda: not holds(emulator, ids["erin"], aid, UP))
    await emulator.wait_for(lambda: not holds(emulator, ids["gina"], tid, DOWN))
    await emulator.wait_for(lambda: not holds(emulator, ids["carol"], aid, UP))
    assert holds(emulator, ids["erin"], aid, DOWN) and holds(emulator, ids["gina"], tid, UP)

    alice = world.members["alice"].id
    votes, scores, question_score, reputation = await store_state(quorum, emulator, tid)
    assert votes == discord_votes(emulator, tid) == {aid: {ids["dave"]: 1, alice: 1, ids["erin"]: -1},
                                                    tid: {ids["gina"]: 1}}  # fmt: skip
    assert (scores[aid], scores[tid], question_score) == (1, 1, 1)
    # carol: +10 dave, +10 alice, -2 erin; erin paid 1 for downvoting an answer (from 1: stays 1);
    # bob: +10 gina.
    assert reputation[ids["carol"]] == 1 + 10 + 10 - 2
    assert reputation[ids["erin"]] == 1
    assert reputation[ids["bob"]] == 1 + 10
    assert all(reputation.get(ids[n], 1) == 1 for n in ("mod", "frank", "gina", "dave"))
    assert (await quorum.store.recount()).differences == 0
    assert "votes on 2 posts: 4 added, 2 withdrawn, 2 held both" in progress.summary()

    # Once caught up, another run finds nothing to do and leaves the store as it is.
    before = await store_state(quorum, emulator, tid)
    again = await cog(quorum).run()
    assert again.changed == 0 and again.posts_checked == 2
    assert await store_state(quorum, emulator, tid) == before


async def test_more_than_a_page_of_reacting_members_all_count(emulator, quorum):
    world = emulator.world
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    await emulator.add_reaction(ids["dave"], tid, aid, UP)
    await score_is(quorum, aid, 1)
    await quorum.stop()
    extra = [world.add_member(f"member{i}", _quiet=True) for i in range(130)]
    for uid in extra:
        await emulator.add_reaction(uid, tid, aid, UP)
    await emulator.remove_reaction(ids["dave"], tid, aid, UP)  # and one standing vote gone

    await quorum.start()
    progress = await caught_up(quorum)
    assert (progress.votes_added, progress.votes_withdrawn) == (130, 1)
    assert (await quorum.store.get_post(aid)).score == 130
    assert (await quorum.store.reputations(world.guild_id))[ids["carol"]] == 1 + 130 * 10
    pages = reaction_reads(emulator, aid)
    assert [(r.status, r.query.get("limit"), "after" in r.query) for r in pages] == [
        (200, "100", False), (200, "100", True)]  # fmt: skip
    assert (await quorum.store.recount()).differences == 0


async def test_a_live_reaction_during_catch_up_is_not_overwritten(emulator, quorum):
    world = emulator.world
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    erin = world.add_member("erin")
    await quorum.stop()
    await emulator.add_reaction(ids["dave"], tid, aid, UP)
    await emulator.add_reaction(ids["mod"], tid, aid, UP)

    # Catch-up reads the 👍 users (dave and mod), then the answer is held while members act live.
    held = emulator.faults.delay("GET", rf"^/channels/{tid}/messages/{aid}/reactions/", seconds=1.5)
    await quorum.start()
    await emulator.wait_for(lambda: held.hits == 1)
    await emulator.remove_reaction(ids["dave"], tid, aid, UP)  # a vote the store never had, withdrawn
    await emulator.add_reaction(erin, tid, aid, DOWN)  # a vote catch-up's snapshot doesn't show
    await eventually(lambda: _vote_is(quorum, aid, erin, -1))
    assert not cog(quorum).completed, "the live events must land while catch-up waits for its read"

    progress = await caught_up(quorum)
    assert progress.votes_live_won == 1 and progress.votes_added == 1  # mod's
    votes, scores, _, _ = await store_state(quorum, emulator, tid)
    assert votes == discord_votes(emulator, tid) == {aid: {ids["mod"]: 1, erin: -1}}
    assert scores[aid] == 0
    assert (await quorum.store.recount()).differences == 0


async def test_replaying_every_vote_event_twice_leaves_the_store_unchanged(emulator, quorum):
    world = emulator.world
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    erin = world.add_member("erin")
    await emulator.add_reaction(ids["mod"], tid, aid, UP)
    await score_is(quorum, aid, 1)
    await quorum.stop()
    await emulator.add_reaction(ids["dave"], tid, aid, UP)
    await emulator.remove_reaction(ids["mod"], tid, aid, UP)
    await emulator.add_reaction(erin, tid, tid, UP)
    await emulator.add_reaction(erin, tid, tid, DOWN)  # held both: the bot takes 👎 off
    await quorum.start()
    await caught_up(quorum)
    await emulator.wait_for(lambda: not holds(emulator, erin, tid, DOWN))
    # The live part of the session: a vote, a withdrawal, a vote on one's own post.
    await emulator.add_reaction(ids["mod"], tid, aid, DOWN)
    await emulator.add_reaction(ids["dave"], tid, tid, UP)
    await emulator.remove_reaction(ids["dave"], tid, tid, UP)
    await emulator.add_reaction(ids["carol"], tid, aid, UP)
    await emulator.wait_for(lambda: not holds(emulator, ids["carol"], aid, UP))
    await score_is(quorum, aid, 0)
    await eventually(lambda: _quiet(emulator))
    before = await store_state(quorum, emulator, tid)
    assert before[0] == discord_votes(emulator, tid)

    session = emulator.gateway.current.buffer
    frames = [f for f in session if f["t"].startswith("MESSAGE_REACTION_")]
    assert len(frames) == 6
    for _ in range(2):
        for frame in frames:
            await emulator.dispatch_raw(frame["t"], frame["d"])
    # A marker after the replays: once it counts, every replayed event before it was handled.
    await emulator.add_reaction(ids["bob"], tid, aid, "\N{PARTY POPPER}")
    await emulator.add_reaction(ids["bob"], tid, aid, UP)
    await score_is(quorum, aid, 1)
    await emulator.remove_reaction(ids["bob"], tid, aid, UP)
    await score_is(quorum, aid, 0)
    await eventually(lambda: _quiet(emulator))
    assert await store_state(quorum, emulator, tid) == before
    assert (await quorum.store.recount()).differences == 0


async def test_replaying_a_live_switch_twice_leaves_the_store_unchanged(emulator, quorum):
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    await emulator.add_reaction(ids["dave"], tid, aid, UP)
    await score_is(quorum, aid, 1)
    await emulator.add_reaction(ids["dave"], tid, aid, DOWN)
    await emulator.wait_for(lambda: not holds(emulator, ids["dave"], aid, UP))
    await eventually(lambda: _quiet(emulator))
    before = await store_state(quorum, emulator, tid)
    frames = [f for f in emulator.gateway.current.buffer if f["t"].startswith("MESSAGE_REACTION_")]
    for _ in range(2):
        for frame in frames:
            await emulator.dispatch_raw(frame["t"], frame["d"])
    await asyncio.sleep(0.5)
    await eventually(lambda: _quiet(emulator))
    assert await store_state(quorum, emulator, tid) == before
    # ... and Discord still shows the member's 👎: the stale "add 👍" did not take it off.
    assert holds(emulator, ids["dave"], aid, DOWN) and not holds(emulator, ids["dave"], aid, UP)


async def test_catch_up_applies_the_daily_cap_oldest_post_first(emulator, quorum):
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    await setup_forum(emulator, daily_vote_cap=1)
    await quorum.stop()
    await emulator.add_reaction(ids["dave"], tid, aid, UP)
    await emulator.add_reaction(ids["dave"], tid, tid, UP)
    await quorum.start()
    progress = await caught_up(quorum)
    assert (progress.votes_added, progress.votes_refused) == (1, 1)
    # The question (the older post) took dave's one vote of the day; his 👍 on the answer is taken off.
    await emulator.wait_for(lambda: not holds(emulator, ids["dave"], aid, UP))
    assert await quorum.store.get_vote(tid, ids["dave"]) == 1 and await quorum.store.get_vote(aid, ids["dave"]) == 0
    assert (await store_state(quorum, emulator, tid))[0] == discord_votes(emulator, tid)


async def test_a_rate_limited_reactions_read_still_completes(emulator, quorum):
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    await quorum.stop()
    await emulator.add_reaction(ids["dave"], tid, aid, UP)
    limited = emulator.faults.rate_limit("GET", rf"^/channels/{tid}/messages/{aid}/reactions/", retry_after=0.3)
    await quorum.start()
    progress = await caught_up(quorum)
    assert limited.hits == 1 and progress.threads_failed == 0 and progress.votes_added == 1
    assert [r.status for r in reaction_reads(emulator, aid)] == [429, 200]
    assert await quorum.store.get_vote(aid, ids["dave"]) == 1


async def test_renames_while_away_are_caught_up_but_a_live_rename_wins(emulator, quorum):
    ids, tid, _ = await thread_with_answer(emulator, quorum)
    await quorum.stop()
    await emulator.rename_thread(tid, "Renamed while away")
    held = emulator.faults.delay("GET", r"^/guilds/\d+/threads/active$", seconds=1.0)
    await quorum.start()
    await emulator.wait_for(lambda: held.hits == 1)
    c = cog(quorum)
    first = await caught_up(quorum)
    assert first.renamed == 1
    assert (await quorum.store.get_question(tid)).title == "Renamed while away"

    # A live rename while the next run's listing (which still shows the old name) is held.
    held = emulator.faults.delay("GET", r"^/guilds/\d+/threads/active$", seconds=1.0)
    run = asyncio.create_task(c.run())
    await emulator.wait_for(lambda: held.hits == 1)
    listed_name = "Renamed while away"
    await emulator.rename_thread(tid, "Renamed live")
    await eventually(lambda: _title_is(quorum, tid, "Renamed live"))
    progress = await run
    assert progress.renamed == 0, f"the listing's {listed_name!r} is older than the live rename"
    assert (await quorum.store.get_question(tid)).title == "Renamed live"
    titles = [r.text for r in await quorum.store.revisions(tid) if r.field == "title"]
    assert titles == ["How do votes work?", "Renamed while away", "Renamed live"]


async def _vote_is(quorum, post_id, voter_id, value):
    return await quorum.store.get_vote(post_id, voter_id) == value


async def _title_is(quorum, thread_id, title):
    return (await quorum.store.get_question(thread_id)).title == title


async def _quiet(emulator, seconds: float = 0.3) -> bool:
    """No request to the emulator for a while: the bot's reactions to events are done."""
    count = len(emulator.requests)
    await asyncio.sleep(seconds)
    return len(emulator.requests) == count


async def test_a_switch_whose_old_reaction_stayed_is_not_flipped_back(emulator, quorum):
    # The switch commits, then Discord refuses to take the old reaction off (as if the bot had been
    # killed in between): dave is left holding both. The store owes that removal, so catch-up keeps
    # the acknowledged downvote and takes the 👍 off, instead of treating 👍 as the newer reaction.
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    await emulator.add_reaction(ids["dave"], tid, aid, UP)
    await score_is(quorum, aid, 1)
    refused = emulator.faults.fail("DELETE", rf"^/channels/{tid}/messages/{aid}/reactions/", 403, 50013, count=1)
    await emulator.add_reaction(ids["dave"], tid, aid, DOWN)
    await score_is(quorum, aid, -1)
    await emulator.wait_for(lambda: refused.hits == 1)
    assert holds(emulator, ids["dave"], aid, UP) and holds(emulator, ids["dave"], aid, DOWN)
    assert await quorum.store.owed_unreactions(tid) == {aid: {ids["dave"]: 1}}

    await quorum.restart()
    await caught_up(quorum)
    assert await quorum.store.get_vote(aid, ids["dave"]) == -1
    await emulator.wait_for(lambda: not holds(emulator, ids["dave"], aid, UP))
    assert holds(emulator, ids["dave"], aid, DOWN)
    await cog(quorum).run()  # a later run: the pair is gone, so nothing is owed any more
    assert await quorum.store.owed_unreactions(tid) == {}
    assert (await quorum.store.recount()).differences == 0


async def test_a_live_switch_during_catch_up_takes_the_older_reaction_off(emulator, quorum):
    # dave reacts 👍 while the bot is away, then 👎 live while catch-up is reading that post: live,
    # the 👎 looks like a new vote (the store never had the 👍), so nothing came off. Catch-up's
    # snapshot shows the 👍, which is older than the live 👎: it must come off, the 👎 stays.
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    await quorum.stop()
    await emulator.add_reaction(ids["dave"], tid, aid, UP)
    held = emulator.faults.delay("GET", rf"^/channels/{tid}/messages/{aid}/reactions/", seconds=1.5)
    await quorum.start()
    await emulator.wait_for(lambda: held.hits == 1)
    await emulator.add_reaction(ids["dave"], tid, aid, DOWN)
    await eventually(lambda: _vote_is(quorum, aid, ids["dave"], -1))
    progress = await caught_up(quorum)
    assert progress.votes_live_won == 1
    await emulator.wait_for(lambda: not holds(emulator, ids["dave"], aid, UP))
    assert holds(emulator, ids["dave"], aid, DOWN) and await quorum.store.get_vote(aid, ids["dave"]) == -1
    assert (await quorum.store.recount()).differences == 0
