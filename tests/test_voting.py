"""Votes by reaction through the real bot: the rules, reputation by hand, and nothing counted twice."""

from __future__ import annotations

from tests.harness import eventually
from tests.test_first_slice import setup_forum

UP, DOWN = "\N{THUMBS UP SIGN}", "\N{THUMBS DOWN SIGN}"


async def thread_with_answer(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    ids = {n: world.members[n].id for n in ("bob", "carol", "dave", "mod")}
    thread = await emulator.create_forum_post(ids["bob"], "How do votes work?", "Tell me.")
    tid = int(thread["id"])
    answer = await emulator.post_message(ids["carol"], tid, "With reactions.")
    aid = int(answer["id"])
    await eventually(lambda: quorum.store.get_post(aid))
    return ids, tid, aid


async def score_is(quorum, post_id, score):
    async def check():
        post = await quorum.store.get_post(post_id)
        return post is not None and post.score == score

    await eventually(check)


async def rep(quorum, emulator):
    """Stored reputation by member; members the store never had to write start at 1."""
    from collections import defaultdict

    return defaultdict(lambda: 1, await quorum.store.reputations(emulator.world.guild_id))


async def test_up_switch_and_withdraw(emulator, quorum):
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    await emulator.add_reaction(ids["dave"], tid, aid, UP)
    await score_is(quorum, aid, 1)
    assert (await rep(quorum, emulator))[ids["carol"]] == 11

    # The latest reaction wins, and the bot takes the old one off so Discord shows one vote.
    await emulator.add_reaction(ids["dave"], tid, aid, DOWN)
    await score_is(quorum, aid, -1)
    await emulator.wait_for(lambda: ids["dave"] not in emulator.world.reactions[aid].get(UP, []))
    reputations = await rep(quorum, emulator)
    # The upvote is gone; -2 and -1 (downvoting an answer) from 1: never below 1 at any moment.
    assert reputations[ids["carol"]] == 1 and reputations[ids["dave"]] == 1
    assert await quorum.store.get_vote(aid, ids["dave"]) == -1, "the bot's removal of 👍 left the downvote"

    await emulator.remove_reaction(ids["dave"], tid, aid, DOWN)
    await score_is(quorum, aid, 0)
    reputations = await rep(quorum, emulator)
    assert reputations[ids["carol"]] == 1 and reputations[ids["dave"]] == 1


async def test_reputation_never_goes_below_one_at_any_moment(emulator, quorum):
    """At 1, a downvote leaves carol at 1 and her next upvote takes her to 11 (not 9): the floor acts
    at every step, and a restart and a recount (replaying the votes in time order) agree."""
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    await emulator.add_reaction(ids["dave"], tid, aid, DOWN)
    await score_is(quorum, aid, -1)
    reputations = await rep(quorum, emulator)
    assert reputations[ids["carol"]] == 1 and reputations[ids["dave"]] == 1
    await emulator.add_reaction(ids["mod"], tid, aid, UP)
    await score_is(quorum, aid, 0)
    assert (await rep(quorum, emulator))[ids["carol"]] == 11

    await quorum.restart()
    assert (await rep(quorum, emulator))[ids["carol"]] == 11
    assert (await quorum.store.recount()).differences == 0
    # The downvote taken back: carol is replayed from her votes, the upvote alone: still 11.
    await emulator.remove_reaction(ids["dave"], tid, aid, DOWN)
    await score_is(quorum, aid, 1)
    reputations = await rep(quorum, emulator)
    assert reputations[ids["carol"]] == 11 and reputations[ids["dave"]] == 1
    assert (await quorum.store.recount()).differences == 0


async def test_a_vote_on_the_question_counts_for_the_asker(emulator, quorum):
    ids, tid, _ = await thread_with_answer(emulator, quorum)
    await emulator.add_reaction(ids["carol"], tid, tid, UP)
    await score_is(quorum, tid, 1)
    await emulator.add_reaction(ids["dave"], tid, tid, DOWN)
    await score_is(quorum, tid, 0)
    question = await quorum.store.get_question(tid)
    assert question.score == 0
    reputations = await rep(quorum, emulator)
    # +10 and -2 to the asker; downvoting a question costs the voter nothing (only answers do).
    assert reputations[ids["bob"]] == 1 + 10 - 2 and reputations[ids["dave"]] == 1


async def test_a_vote_on_an_ask_starter_counts_for_the_asker(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    bob, dave = world.members["bob"].id, world.members["dave"].id
    inter = await emulator.invoke_slash(bob, world.text_channel_id, "ask", {"title": "Asked by command", "body": "b"})
    await emulator.wait_for(lambda: inter.followups, message="no answer to /ask")
    [thread] = [t for t in world.threads.values() if t["name"] == "Asked by command"]
    tid = int(thread["id"])
    await eventually(lambda: quorum.store.get_post(tid))
    await emulator.add_reaction(dave, tid, tid, UP)
    await score_is(quorum, tid, 1)
    assert (await rep(quorum, emulator))[bob] == 11


async def test_own_posts_bots_and_other_emojis_do_not_count(emulator, quorum):
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    await emulator.add_reaction(ids["carol"], tid, aid, UP)  # her own answer
    await emulator.wait_for(lambda: ids["carol"] not in emulator.world.reactions[aid].get(UP, []))
    await emulator.wait_for(lambda: emulator.world.messages.get(emulator.world.dm_channels.get(ids["carol"])))
    dm = emulator.world.dm_channels[ids["carol"]]
    assert "own posts" in next(iter(emulator.world.messages[dm].values()))["content"]
    await emulator.add_reaction(ids["carol"], tid, aid, DOWN)
    await emulator.wait_for(lambda: ids["carol"] not in emulator.world.reactions[aid].get(DOWN, []))

    await quorum.bot.get_channel(tid).get_partial_message(aid).add_reaction(UP)  # the bot itself
    await emulator.add_reaction(ids["dave"], tid, aid, "\N{PARTY POPPER}")
    await emulator.add_reaction(ids["mod"], tid, aid, UP)  # a real vote, to know the others were seen
    await score_is(quorum, aid, 1)
    assert len(emulator.world.messages[dm]) == 1, "told only once"
    assert await quorum.store.get_vote(aid, ids["carol"]) == 0


async def test_votes_on_deleted_posts_stop_counting(emulator, quorum):
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    await emulator.add_reaction(ids["dave"], tid, aid, UP)
    await score_is(quorum, aid, 1)
    await emulator.add_reaction(ids["mod"], tid, aid, DOWN)
    await score_is(quorum, aid, 0)
    assert (await rep(quorum, emulator))[ids["carol"]] == 1 + 10 - 2
    await emulator.delete_message(tid, aid)
    await eventually(lambda: _deleted(quorum, aid))
    reputations = await rep(quorum, emulator)
    assert reputations[ids["carol"]] == 1 and reputations[ids["mod"]] == 1
    assert (await quorum.store.recount()).differences == 0


async def test_daily_cap(emulator, quorum):
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    world = emulator.world
    setup = await emulator.invoke_slash(world.members["alice"].id, world.text_channel_id, "quorum setup",
                                        {"daily_vote_cap": 1})  # fmt: skip
    await setup.wait_response()
    await emulator.add_reaction(ids["dave"], tid, aid, UP)
    await score_is(quorum, aid, 1)
    await emulator.add_reaction(ids["dave"], tid, tid, UP)  # a second vote today
    await emulator.wait_for(lambda: ids["dave"] not in world.reactions[tid].get(UP, []))
    assert await quorum.store.get_vote(tid, ids["dave"]) == 0
    await emulator.wait_for(lambda: world.messages.get(world.dm_channels.get(ids["dave"])))
    dm = world.dm_channels[ids["dave"]]
    assert "1 votes for today" in next(iter(world.messages[dm].values()))["content"]
    # Switching a vote already cast is not a new vote.
    await emulator.add_reaction(ids["dave"], tid, aid, DOWN)
    await score_is(quorum, aid, -1)


async def test_replayed_reaction_events_count_once(emulator, quorum):
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    await emulator.add_reaction(ids["dave"], tid, aid, UP)
    await score_is(quorum, aid, 1)
    event = {"user_id": str(ids["dave"]), "channel_id": str(tid), "message_id": str(aid),
             "guild_id": str(emulator.world.guild_id), "emoji": {"id": None, "name": UP}, "type": 0,
             "burst": False, "member": emulator.world.member_payload(ids["dave"])}  # fmt: skip
    await emulator.dispatch_raw("MESSAGE_REACTION_ADD", event)
    await emulator.dispatch_raw("MESSAGE_REACTION_ADD", event)
    await emulator.add_reaction(ids["mod"], tid, aid, UP)
    await score_is(quorum, aid, 2)
    assert (await rep(quorum, emulator))[ids["carol"]] == 21
    await quorum.restart()
    assert (await quorum.store.get_post(aid)).score == 2
    assert (await quorum.store.recount()).differences == 0


async def _deleted(quorum, post_id):
    return (await quorum.store.get_post(post_id)).deleted_at is not None


async def test_a_reaction_right_after_its_message_counts(emulator, quorum):
    # The message's handler reads the store before it writes; the reaction must not overtake it.
    ids, tid, _ = await thread_with_answer(emulator, quorum)
    for n in range(5):
        message = await emulator.post_message(ids["carol"], tid, f"quick answer {n}")
        await emulator.add_reaction(ids["dave"], tid, int(message["id"]), UP)
        await emulator.remove_reaction(ids["dave"], tid, int(message["id"]), UP)
        await emulator.add_reaction(ids["mod"], tid, int(message["id"]), UP)
        await score_is(quorum, int(message["id"]), 1)
        assert await quorum.store.get_vote(int(message["id"]), ids["dave"]) == 0
