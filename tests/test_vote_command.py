"""/vote: the same votes as reactions, for archived threads where Discord refuses reactions."""

from __future__ import annotations

import pytest

from emulator.httputil import DiscordError
from tests.harness import eventually
from tests.test_first_slice import setup_forum
from tests.test_voting import DOWN, UP, rep, score_is, thread_with_answer


def link(emulator, channel_id, message_id):
    return f"https://discord.com/channels/{emulator.world.guild_id}/{channel_id}/{message_id}"


async def vote(emulator, user_id, target, direction):
    """Run /vote as a member; the bot's private answer."""
    inter = await emulator.invoke_slash(user_id, emulator.world.text_channel_id, "vote",
                                        {"message": target, "direction": direction})  # fmt: skip
    response = await inter.wait_response()
    assert response["type"] == 4 and response["data"]["flags"] & 64, "answered privately"
    assert response["data"]["allowed_mentions"] == {"parse": []}, "never pings the author it names"
    return response["data"]["content"]


async def test_up_down_clear_in_an_archived_thread(emulator, quorum):
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    await emulator.archive_thread(tid)
    with pytest.raises(DiscordError) as refused:  # why the command exists
        await emulator.add_reaction(ids["dave"], tid, aid, UP)
    assert (refused.value.status, refused.value.code) == (400, 50083)

    answer = link(emulator, tid, aid)
    text = await vote(emulator, ids["dave"], answer, "up")
    assert text.startswith("Upvoted") and "**+1**" in text and f"<@{ids['carol']}>" in text
    assert (await rep(quorum, emulator))[ids["carol"]] == 11
    text = await vote(emulator, ids["dave"], answer, "down")
    assert text.startswith("Downvoted") and "**-1**" in text
    reputations = await rep(quorum, emulator)
    assert reputations[ids["carol"]] == 1 and reputations[ids["dave"]] == 1  # -2 and -1 (downvoting): never below 1
    text = await vote(emulator, ids["dave"], answer, "clear")
    assert "withdrawn" in text and "**+0**" in text
    assert await quorum.store.get_vote(aid, ids["dave"]) == 0
    # A bare id works too, and a repeated vote says so without counting twice.
    await vote(emulator, ids["mod"], str(aid), "up")
    assert "already upvoted" in await vote(emulator, ids["mod"], str(aid), "up")
    assert "no vote" in await vote(emulator, ids["dave"], answer, "clear")
    assert (await quorum.store.get_post(aid)).score == 1
    assert (await quorum.store.recount()).differences == 0
    # The question itself (the thread's starter) can be voted on the same way.
    assert "**+1**" in await vote(emulator, ids["dave"], link(emulator, tid, tid), "up")
    assert (await quorum.store.get_question(tid)).score == 1
    assert emulator.world.channels[tid]["thread_metadata"]["archived"], "voting did not unarchive the thread"


async def test_refusals(emulator, quorum):
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    world = emulator.world
    answer = link(emulator, tid, aid)
    assert "your own posts" in await vote(emulator, ids["carol"], answer, "up")
    not_a_post = "not a post in a question thread"
    stray = await emulator.post_message(ids["bob"], world.text_channel_id, "Not in a question")
    assert not_a_post in await vote(emulator, ids["dave"], link(emulator, world.text_channel_id, stray["id"]), "up")
    assert not_a_post in await vote(emulator, ids["dave"], "123456789", "up")
    other_guild = answer.replace(str(world.guild_id), "42")
    assert not_a_post in await vote(emulator, ids["dave"], other_guild, "up")
    assert "message link" in await vote(emulator, ids["dave"], "not a link", "up")
    gone = await emulator.post_message(ids["mod"], tid, "Soon deleted")
    await eventually(lambda: quorum.store.get_post(int(gone["id"])))
    await emulator.delete_message(tid, int(gone["id"]))

    async def deleted():
        return (await quorum.store.get_post(int(gone["id"]))).deleted_at is not None

    await eventually(deleted)
    assert not_a_post in await vote(emulator, ids["dave"], link(emulator, tid, gone["id"]), "up")
    assert (await quorum.store.get_post(aid)).score == 0
    assert await quorum.store.get_vote(aid, ids["carol"]) == 0


async def test_daily_cap_applies(emulator, quorum):
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    await setup_forum(emulator, daily_vote_cap=1)
    await emulator.archive_thread(tid)
    await vote(emulator, ids["dave"], link(emulator, tid, aid), "up")
    text = await vote(emulator, ids["dave"], link(emulator, tid, tid), "up")
    assert "1 votes for today" in text and "reaction" not in text
    assert await quorum.store.get_vote(tid, ids["dave"]) == 0
    # Switching the vote already cast is not a new one.
    assert "**-1**" in await vote(emulator, ids["dave"], link(emulator, tid, aid), "down")


async def test_a_switch_in_an_open_thread_takes_the_old_reaction_off(emulator, quorum):
    ids, tid, aid = await thread_with_answer(emulator, quorum)
    await emulator.add_reaction(ids["dave"], tid, aid, UP)
    await score_is(quorum, aid, 1)
    assert "**-1**" in await vote(emulator, ids["dave"], link(emulator, tid, aid), "down")
    # Discord then shows no 👍 of dave's, and the removal event does not undo the downvote.
    await emulator.wait_for(lambda: ids["dave"] not in emulator.world.reactions[aid].get(UP, []))
    await emulator.add_reaction(ids["mod"], tid, aid, DOWN)  # processed after the removal event
    await score_is(quorum, aid, -2)
    assert await quorum.store.get_vote(aid, ids["dave"]) == -1
