"""Notifications end to end (issue 17), the real bot against the emulator with a clock the test moves:
/notify answers:on DMs the asker at the first answer, folds later ones into one message per 10
minutes and tells an acceptance; a member whose DMs refuse the bot (Discord's 50007) is mentioned in
the question's thread instead, from then on without trying DMs; /follow digests list new questions in
the followed tags (not one's own, not in channels one cannot read) at most once per period, and one
due while the bot was down is sent once after it starts, never twice."""

from __future__ import annotations

from datetime import timedelta

from tests.harness import eventually
from tests.test_accepting import _final
from tests.test_asking import ask as ask_command
from tests.test_first_slice import setup_forum
from tests.test_reading import EPHEMERAL, VIEW_CHANNEL, member, run

MINUTE = timedelta(minutes=1)
TITLE = "How do I keep state across restarts?"



def dms(emulator, name: str) -> list[str]:
    world = emulator.world
    channel = world.dm_channels.get(member(emulator, name))
    return [m["content"] for m in world.messages.get(channel, {}).values()] if channel else []


def bot_messages(emulator, channel_id: int) -> list[dict]:
    world = emulator.world
    return [m for m in world.messages.get(channel_id, {}).values() if int(m["author"]["id"]) == world.bot_user_id]


def dm_attempts(emulator, name: str) -> int:
    channel = emulator.world.dm_channels.get(member(emulator, name))
    return sum(1 for r in emulator.requests_to("POST", "/channels/{channel_id}/messages") if r.path ==
               f"/channels/{channel}/messages")  # fmt: skip


async def question(emulator, quorum, who: str = "bob", title: str = TITLE, tags: tuple[str, ...] = ()) -> int:
    ids = [emulator.tag_id(t) for t in tags]
    thread = await emulator.create_forum_post(member(emulator, who), title, "Details.", applied_tags=ids)
    tid = int(thread["id"])
    await eventually(lambda: quorum.store.question_posts(tid))
    return tid


async def answer(emulator, quorum, who: str, tid: int, text: str) -> int:
    aid = int((await emulator.post_message(member(emulator, who), tid, text))["id"])
    await eventually(lambda: quorum.store.get_post(aid))
    return aid


async def notify(emulator, who: str, **options) -> str:
    shown = await run(emulator, who, emulator.world.text_channel_id, "notify", **options)
    assert shown["data"]["flags"] & EPHEMERAL and shown["data"]["allowed_mentions"] == {"parse": []}
    return shown["data"]["content"]


async def test_the_asker_hears_of_answers_folded_and_of_an_acceptance(emulator, timed):
    quorum, clock = timed
    world = emulator.world
    await setup_forum(emulator, moderator_role=world.moderator_role_id)
    assert "not told" in await notify(emulator, "bob")
    tid = await question(emulator, quorum)
    assert "You get a DM" in await notify(emulator, "bob", answers="on")

    first = await answer(emulator, quorum, "carol", tid, "Store it in SQLite.")
    await eventually(lambda: _count(emulator, "bob", 1))  # at once: the first answer wakes the run
    link = f"https://discord.com/channels/{world.guild_id}/{tid}"
    assert dms(emulator, "bob") == [f"A new answer on **{TITLE}**: {link}/{first}"]

    await answer(emulator, quorum, "dave", tid, "Use a JSON file.")
    await answer(emulator, quorum, "bob", tid, "Thanks, trying.")  # the asker's own message is no news
    await answer(emulator, quorum, "alice", tid, "Pickle it.")
    await quorum.app.notify_due()
    clock.now += 9 * MINUTE
    await quorum.app.notify_due()
    assert len(dms(emulator, "bob")) == 1, "one message per question per 10 minutes"

    clock.now += MINUTE
    await quorum.app.notify_due()
    assert dms(emulator, "bob")[1] == f"2 new answers on **{TITLE}**: {link}"
    await quorum.app.notify_due()
    assert len(dms(emulator, "bob")) == 2, "told once"

    # A moderator accepts carol's answer: the asker hears of it (once the window allows).
    clock.now += 10 * MINUTE
    menu = await emulator.invoke_message_command(member(emulator, "mod"), tid, "Accept answer", first)
    await _final(emulator, menu)
    await eventually(lambda: _count(emulator, "bob", 3))
    assert dms(emulator, "bob")[2] == f"An answer to **{TITLE}** was accepted: {link}/{first}"

    # Nothing is told twice across a restart; turned off, nothing more is told.
    await quorum.restart()
    await quorum.app.notify_due()
    assert len(dms(emulator, "bob")) == 3
    assert "not told" in await notify(emulator, "bob", answers="off")
    clock.now += 10 * MINUTE
    await answer(emulator, quorum, "dave", tid, "Or Redis.")
    await quorum.app.notify_due()
    assert len(dms(emulator, "bob")) == 3


async def test_the_askers_own_acceptance_is_no_news(emulator, timed):
    quorum, clock = timed
    await setup_forum(emulator)
    tid = await question(emulator, quorum)
    await notify(emulator, "bob", answers="on")
    first = await answer(emulator, quorum, "carol", tid, "Store it in SQLite.")
    await eventually(lambda: _count(emulator, "bob", 1))
    clock.now += 10 * MINUTE
    accepted = await emulator.invoke_message_command(member(emulator, "bob"), tid, "Accept answer", first)
    await _final(emulator, accepted)
    await quorum.app.notify_due()
    assert len(dms(emulator, "bob")) == 1


async def test_an_answer_given_while_the_bot_was_down_is_told_once_after_it_starts(emulator, timed):
    quorum, _clock = timed
    await setup_forum(emulator)
    tid = await question(emulator, quorum)
    await notify(emulator, "bob", answers="on")
    await quorum.stop()
    aid = int((await emulator.post_message(member(emulator, "carol"), tid, "Store it in SQLite."))["id"])
    await quorum.start()  # catch-up stores the answer; the asker hears of it
    await eventually(lambda: _count(emulator, "bob", 1))
    assert dms(emulator, "bob")[0].endswith(f"/{tid}/{aid}")
    await quorum.restart()
    await quorum.app.notify_due()
    assert len(dms(emulator, "bob")) == 1


async def test_closed_dms_turn_into_one_mention_in_the_thread(emulator, timed):
    quorum, clock = timed
    bob = member(emulator, "bob")
    await setup_forum(emulator)
    tid = await question(emulator, quorum)
    await notify(emulator, "bob", answers="on")
    emulator.close_dms(bob)

    await answer(emulator, quorum, "carol", tid, "Store it in SQLite.")
    await eventually(lambda: _thread_notes(emulator, tid, 1))
    note = bot_messages(emulator, tid)[-1]
    assert note["content"].startswith(f"<@{bob}> A new answer on **{TITLE}**")
    sent = [r for r in emulator.requests_to("POST", "/channels/{channel_id}/messages") if r.path ==
            f"/channels/{tid}/messages"][-1]  # fmt: skip
    mentions = sent.json["allowed_mentions"]
    assert mentions["parse"] == [] and [int(u) for u in mentions["users"]] == [bob], "pings only the asker"
    refused = [r for r in emulator.requests_to("POST", "/channels/{channel_id}/messages") if r.status == 403]
    assert len(refused) == 1 and dms(emulator, "bob") == [], "Discord refused the DM (50007), not retried"
    assert "mention in the question's thread" in await notify(emulator, "bob")

    # Next time, straight to the thread: no DM tried (and so across a restart).
    await quorum.restart()
    clock.now += 10 * MINUTE
    await answer(emulator, quorum, "dave", tid, "Use a JSON file.")
    await eventually(lambda: _thread_notes(emulator, tid, 2))
    assert bot_messages(emulator, tid)[-1]["content"].startswith(f"<@{bob}> A new answer on")
    assert dm_attempts(emulator, "bob") == 1
    await quorum.app.notify_due()
    assert len(bot_messages(emulator, tid)) == 2

    # /notify answers:on again tries DMs again (the member may have opened them).
    emulator.close_dms(bob, closed=False)
    assert "You get a DM" in await notify(emulator, "bob", answers="on")


async def test_follow_digests_with_the_clock_and_across_restarts(emulator, timed):
    quorum, clock = timed
    world = emulator.world
    carol = member(emulator, "carol")
    # A question in #general (a text channel whose threads were questions), hidden from carol later.
    setup = await emulator.invoke_slash(member(emulator, "alice"), world.text_channel_id, "quorum setup",
                                        {"channel": world.text_channel_id})  # fmt: skip
    await setup.wait_response()
    asked = await _final(emulator, await ask_command(emulator, "bob", title="A hidden python question", body="b",
                                                     tags="python"))  # fmt: skip
    assert "Your question is up" in asked["content"], asked
    await eventually(lambda: _questions(quorum, 1))
    await setup_forum(emulator)

    refused = await run(emulator, "carol", world.text_channel_id, "follow", tag="nosuchtag")
    assert "no tag `nosuchtag`" in refused["data"]["content"]
    followed = await run(emulator, "carol", world.text_channel_id, "follow", tag="PYTHON")
    assert "You follow **python**" in followed["data"]["content"] and "60 minutes" in followed["data"]["content"]
    await run(emulator, "carol", world.text_channel_id, "follow", tag="help")
    await run(emulator, "carol", world.text_channel_id, "unfollow", tag="help")
    listed = await run(emulator, "carol", world.text_channel_id, "following")
    assert listed["data"]["content"] == "You follow (1/25): **python**"
    await emulator.edit_channel_overwrite(world.text_channel_id, carol, deny=VIEW_CHANNEL, type=1)

    wanted = await question(emulator, quorum, "dave", "Python asyncio deadlock", ("python",))
    await question(emulator, quorum, "carol", "My own python question", ("python",))
    await question(emulator, quorum, "bob", "A question about SQL", ("sql",))
    await quorum.app.notify_due()
    assert dms(emulator, "carol") == [], "not before the period is over"

    # Due while the bot is down: sent once after it starts, not again after another restart.
    await quorum.stop()
    clock.now += 61 * MINUTE
    await quorum.start()
    await eventually(lambda: _count(emulator, "carol", 1))
    digest = dms(emulator, "carol")[0]
    assert f"[Python asyncio deadlock](https://discord.com/channels/{world.guild_id}/{wanted})" in digest
    assert "a new question in the tags you follow" in digest
    assert "own python" not in digest and "SQL" not in digest and "hidden" not in digest
    await quorum.restart()
    await quorum.app.notify_due()
    assert len(dms(emulator, "carol")) == 1

    # The next digest: only what is new since, and not before the period is over again.
    titles = [f"Python question {n}" for n in range(12)]
    for title in titles:
        await question(emulator, quorum, "dave", title, ("python",))
    clock.now += 30 * MINUTE
    await quorum.app.notify_due()
    assert len(dms(emulator, "carol")) == 1
    clock.now += 31 * MINUTE
    await quorum.app.notify_due()
    second = dms(emulator, "carol")[1]
    assert "12 new questions" in second and "…and 2 more" in second and "deadlock" not in second
    assert [t for t in titles if f"[{t}]" in second] == titles[:10]


async def _count(emulator, name: str, n: int) -> bool:
    return len(dms(emulator, name)) == n


async def _thread_notes(emulator, tid: int, n: int) -> bool:
    return len(bot_messages(emulator, tid)) == n


async def _questions(quorum, n: int) -> bool:
    return len(await quorum.store.list_questions(quorum.emulator.world.guild_id)) == n


async def test_digests_paused_by_a_refused_dm_are_said_and_resumed_by_a_follow(emulator, timed):
    """A refused DM (50007) pauses the digests (no thread to mention in): /following says so and how to
    resume, across a restart; a new /follow tries DMs again, and the next digest comes by DM."""
    quorum, clock = timed
    world = emulator.world
    carol = member(emulator, "carol")
    await setup_forum(emulator)
    await run(emulator, "carol", world.text_channel_id, "follow", tag="python")
    emulator.close_dms(carol)
    await question(emulator, quorum, "dave", "Python asyncio deadlock", ("python",))
    clock.now += 61 * MINUTE
    await quorum.app.notify_due()
    assert dm_attempts(emulator, "carol") == 1 and dms(emulator, "carol") == [], "refused by Discord"

    await quorum.restart()
    listed = (await run(emulator, "carol", world.text_channel_id, "following"))["data"]["content"]
    assert listed.startswith("Your digests are paused: Discord refused a DM from Quorum"), listed
    assert "`/follow`" in listed and listed.endswith("You follow (1/25): **python**")
    await question(emulator, quorum, "dave", "Python import cycle", ("python",))
    clock.now += 61 * MINUTE
    await quorum.app.notify_due()
    assert dm_attempts(emulator, "carol") == 1, "paused: not tried at every digest"

    emulator.close_dms(carol, closed=False)
    followed = (await run(emulator, "carol", world.text_channel_id, "follow", tag="help"))["data"]["content"]
    assert followed.startswith("You follow **help**") and "they try DMs again now" in followed, followed
    listed = (await run(emulator, "carol", world.text_channel_id, "following"))["data"]["content"]
    assert listed == "You follow (2/25): **help**, **python**"
    wanted = await question(emulator, quorum, "dave", "Python typing question", ("python",))
    clock.now += 61 * MINUTE
    await quorum.app.notify_due()
    (digest,) = dms(emulator, "carol")
    assert f"[Python typing question](https://discord.com/channels/{world.guild_id}/{wanted})" in digest


async def test_a_new_answer_and_an_acceptance_told_together_name_the_question_once(emulator, timed):
    quorum, clock = timed
    world = emulator.world
    await setup_forum(emulator, moderator_role=world.moderator_role_id)
    tid = await question(emulator, quorum)
    await notify(emulator, "bob", answers="on")
    first = await answer(emulator, quorum, "carol", tid, "Store it in SQLite.")
    await eventually(lambda: _count(emulator, "bob", 1))
    await answer(emulator, quorum, "dave", tid, "Use a JSON file.")  # within the 10 minutes: folded
    menu = await emulator.invoke_message_command(member(emulator, "mod"), tid, "Accept answer", first)
    await _final(emulator, menu)
    clock.now += 10 * MINUTE
    await quorum.app.notify_due()
    link = f"https://discord.com/channels/{world.guild_id}/{tid}"
    assert dms(emulator, "bob")[1] == f"A new answer on **{TITLE}**, and an answer was accepted: {link}"
