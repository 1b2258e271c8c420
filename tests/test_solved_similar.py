"""Solved similar questions offered in a member's own forum post, end to end: once, with jump links
and no mentions, only for good matches with an accepted answer, never again after a restart or a
catch-up, and not for a post found long after it was made."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.forum.service import utcnow
from bot.forum.similar_offer import Outcome
from tests.harness import eventually
from tests.test_asking import final_message
from tests.test_catchup import caught_up
from tests.test_first_slice import setup_forum


def bot_messages(emulator, thread_id):
    world = emulator.world
    return [m for m in world.messages.get(thread_id, {}).values() if int(m["author"]["id"]) == world.bot_user_id]


async def solved_question(emulator, quorum):
    world = emulator.world
    ids = {name: m.id for name, m in world.members.items()}
    thread = await emulator.create_forum_post(ids["bob"], "How do I sync slash commands to one guild?",
                                              "My slash commands never show up in my test server.")  # fmt: skip
    tid = int(thread["id"])
    answer = await emulator.post_message(ids["carol"], tid, "Copy the global commands to the guild, then sync it.")
    await eventually(lambda: quorum.store.get_post(int(answer["id"])))
    await emulator.pin(ids["mod"], tid, int(answer["id"]))

    async def accepted():
        return (await quorum.store.get_question(tid)).accepted_answer_id == int(answer["id"])

    await eventually(accepted)
    return tid


async def decided(quorum, tid, outcome=None):
    async def check():
        decision = await quorum.store.similar_offer(tid)
        return decision if decision is not None and decision.outcome is not Outcome.DECIDING else None

    decision = await eventually(check)
    if outcome is not None:
        assert decision.outcome is outcome, decision
    return decision


async def test_a_similar_post_gets_one_reply_with_the_solved_question(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    solved = await solved_question(emulator, quorum)
    await decided(quorum, solved, Outcome.NONE)  # nothing was solved when it was asked
    assert bot_messages(emulator, solved) == []

    similar = await emulator.create_forum_post(world.members["dave"].id, "Slash commands do not sync to my guild",
                                               "I call tree.sync() and nothing shows up.")  # fmt: skip
    other = await emulator.create_forum_post(world.members["dave"].id, "Where are the log files written?",
                                             "I cannot find any logs of the bot.")  # fmt: skip
    sid, oid = int(similar["id"]), int(other["id"])
    decision = await decided(quorum, sid, Outcome.OFFERED)
    [reply] = bot_messages(emulator, sid)
    assert decision.message_id == int(reply["id"]) and decision.shown == (solved,)
    embed = reply["embeds"][0]
    assert f"https://discord.com/channels/{world.guild_id}/{solved}" in embed["description"]
    assert "How do I sync slash commands to one guild?" in embed["description"]
    assert not reply["mentions"] and not reply["mention_roles"] and "<@" not in str(reply)
    sent = [r for r in emulator.requests if r.method == "POST" and r.path.endswith(f"/channels/{sid}/messages")]
    assert [r.json["allowed_mentions"] for r in sent] == [{"parse": []}]
    await decided(quorum, oid, Outcome.NONE)
    assert bot_messages(emulator, oid) == []

    # The bot's reply is no answer, and nothing is offered again after a restart and its catch-up.
    assert [p.id for p in await quorum.store.question_posts(sid)] == [sid]
    await quorum.restart()
    await caught_up(quorum)
    await asyncio.sleep(0.3)  # an offer would be a task of its own: give one time to appear
    assert len(bot_messages(emulator, sid)) == 1 and bot_messages(emulator, oid) == []
    assert (await quorum.store.similar_offer(sid)).message_id == int(reply["id"])


async def test_catch_up_offers_for_a_new_post_once_and_not_for_an_old_one(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    await solved_question(emulator, quorum)
    dave = world.members["dave"].id

    await quorum.stop()  # a post made while Quorum was away for a moment
    fresh = int((await emulator.create_forum_post(dave, "Sync slash commands to one guild only",
                                                  "How do I do it?"))["id"])  # fmt: skip
    await quorum.start()
    await caught_up(quorum)
    await decided(quorum, fresh, Outcome.OFFERED)
    assert len(bot_messages(emulator, fresh)) == 1
    await quorum.restart()
    await caught_up(quorum)
    await asyncio.sleep(0.3)
    assert len(bot_messages(emulator, fresh)) == 1

    await quorum.stop()  # and one found two hours after it was made
    old = int((await emulator.create_forum_post(dave, "Slash commands will not sync to my guild",
                                                "Still nothing."))["id"])  # fmt: skip
    quorum.clock = lambda: utcnow() + timedelta(hours=2)
    await quorum.start()
    await caught_up(quorum)
    await decided(quorum, old, Outcome.TOO_OLD)
    await asyncio.sleep(0.3)
    assert bot_messages(emulator, old) == []


async def test_ask_questions_get_no_offer(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    await solved_question(emulator, quorum)
    inter = await emulator.invoke_slash(world.members["dave"].id, world.text_channel_id, "ask",
                                        {"title": "How long should pasta cook?", "body": "Ten minutes?"})  # fmt: skip
    await final_message(inter, emulator)
    [thread] = [t for t in world.threads.values() if t["name"] == "How long should pasta cook?"]
    await eventually(lambda: quorum.store.get_question(int(thread["id"])))
    await asyncio.sleep(0.3)
    # /ask shows the asker similar questions before posting: its questions are never considered here.
    assert await quorum.store.similar_offer(int(thread["id"])) is None
    assert bot_messages(emulator, int(thread["id"])) == [world.message(int(thread["id"]), int(thread["id"]))]
