""" "Suggest as solution" end to end: a member points the asker at an answer; the bot posts it in the
thread pinging only the asker, with Accept and Not this one buttons that still work after a restart;
Accept is /accept (its rights, its reputation; the suggester earns nothing), Not this one closes the
suggestion; the asker and moderators using the menu accept at once; what cannot be suggested is
refused."""

from __future__ import annotations

from bot.forum.suggestions import MAX_PER_QUESTION
from tests.harness import eventually
from tests.test_accepting import _final, accepted, reputations, thread_with_answers
from tests.test_reading import EPHEMERAL, buttons

MENU = "Suggest as solution"


def bot_messages(emulator, channel_id: int) -> list[dict]:
    world = emulator.world
    return [m for m in world.messages.get(channel_id, {}).values() if int(m["author"]["id"]) == world.bot_user_id
            and m["type"] in (0, 19)]  # fmt: skip


async def suggest(emulator, who: int, tid: int, message_id: int) -> dict:
    menu = await emulator.invoke_message_command(who, tid, MENU, message_id)
    final = await _final(emulator, menu)
    assert final["flags"] & EPHEMERAL
    return final


async def press(emulator, who: int, tid: int, message: dict, label: str) -> dict:
    click = await emulator.click_button(who, tid, int(message["id"]), buttons(message)[label]["custom_id"])
    first = await click.wait_response()
    if first["type"] == 7:  # the message itself was updated
        return first["data"]
    return await _final(emulator, click)


async def test_a_suggestion_accepted_after_a_restart_and_one_dismissed(emulator, quorum):
    ids, tid, (first, second, third) = await thread_with_answers(emulator, quorum, n=3)
    world = emulator.world
    link = f"https://discord.com/channels/{world.guild_id}/{tid}"

    done = await suggest(emulator, ids["dave"], tid, first)  # dave points bob at carol's answer
    assert done["content"] == f"Suggested to the asker: {link}/{first}"
    note = bot_messages(emulator, tid)[-1]
    assert note["content"].startswith(
        f"<@{ids['bob']}>, Dave suggests this answer solves your question: {link}/{first}"
    )
    assert set(buttons(note)) == {"Accept", "Not this one"}
    sent = emulator.requests_to("POST", "/channels/{channel_id}/messages")[-1]
    mentions = sent.json["allowed_mentions"]
    assert mentions["parse"] == [] and [int(u) for u in mentions["users"]] == [ids["bob"]], "pings only the asker"

    # One suggestion per answer; not one's own answer; not the question, not a reply.
    again = await suggest(emulator, ids["dave"], tid, first)
    assert "already suggested" in again["content"]
    own = await suggest(emulator, ids["dave"], tid, second)
    assert "your own answer" in own["content"]
    starter = await suggest(emulator, ids["dave"], tid, tid)
    assert "Only an answer can be accepted" in starter["content"]
    reply = await emulator.post_message(ids["carol"], tid, "To clarify…", reply_to=first)
    await eventually(lambda: quorum.store.get_post(int(reply["id"])))
    replied = await suggest(emulator, ids["dave"], tid, int(reply["id"]))
    assert "Only an answer can be accepted" in replied["content"]
    assert len(bot_messages(emulator, tid)) == 1

    await quorum.restart()  # the buttons carry their answer: they still work

    refused = await press(emulator, ids["carol"], tid, note, "Accept")
    assert "Only the asker or a moderator" in refused["content"]
    assert (await quorum.store.get_question(tid)).accepted_answer_id is None
    accepted_now = await press(emulator, ids["bob"], tid, note, "Accept")
    assert accepted_now["content"] == f"Accepted: {link}/{first}"
    question = await accepted(quorum, tid, first)
    assert question.accepted_by == ids["bob"]
    await emulator.wait_for(lambda: world.pinned_ids(tid) == [first])
    rep = await reputations(quorum, emulator)
    assert (rep[ids["carol"]], rep[ids["bob"]], rep[ids["dave"]]) == (16, 3, 1), "as /accept; the suggester: nothing"
    edited = world.messages[tid][int(note["id"])]
    await emulator.wait_for(lambda: edited["components"] == [], message="the buttons stay")
    assert "accepted the suggested answer" in edited["content"]

    # Carol suggests dave's answer; bob says it is not the one.
    await suggest(emulator, ids["carol"], tid, second)
    second_note = bot_messages(emulator, tid)[-1]
    not_it = await press(emulator, ids["dave"], tid, second_note, "Not this one")
    assert "Only the asker or a moderator" in not_it["content"]
    dismissed = await press(emulator, ids["bob"], tid, second_note, "Not this one")
    assert "not this one" in dismissed["content"] and dismissed["components"] == []
    assert (await quorum.store.get_question(tid)).accepted_answer_id == first
    assert (await quorum.store.get_suggestion(second)).state == "dismissed"
    resuggested = await suggest(emulator, ids["carol"], tid, second)
    assert "already suggested" in resuggested["content"]

    # A moderator using the menu accepts at once, as "Accept answer" does.
    at_once = await suggest(emulator, ids["mod"], tid, third)
    assert at_once["content"] == f"Accepted: {link}/{third}"
    assert (await accepted(quorum, tid, third)).accepted_by == ids["mod"]
    assert len(bot_messages(emulator, tid)) == 2, "no suggestion message for a moderator"


async def test_suggestions_are_bounded_and_private_threads_refused(emulator, quorum):
    ids, tid, answers = await thread_with_answers(emulator, quorum, n=2)
    world = emulator.world
    for n in range(MAX_PER_QUESTION + 2):  # more answers, by alice
        message = await emulator.post_message(ids["alice"], tid, f"more {n}")
        answers.append(int(message["id"]))
    await eventually(lambda: quorum.store.get_post(answers[-1]))
    others = [answers[0], *answers[2:]]  # not dave's own (answers[1])
    for answer_id in others[:MAX_PER_QUESTION]:
        assert (await suggest(emulator, ids["dave"], tid, answer_id))["content"].startswith("Suggested")
    capped = await suggest(emulator, ids["dave"], tid, others[MAX_PER_QUESTION])
    assert f"{MAX_PER_QUESTION} suggestions on this question" in capped["content"]

    # The asker's own use of the menu accepts.
    mine = await suggest(emulator, ids["bob"], tid, answers[0])
    assert mine["content"].startswith("Accepted:")
    assert (await accepted(quorum, tid, answers[0])).accepted_by == ids["bob"]

    private = await emulator.create_private_thread(
        ids["bob"], world.text_channel_id, "secret", members=[ids["dave"], ids["carol"]]
    )
    pid = int(private["id"])
    message = await emulator.post_message(ids["carol"], pid, "a private answer")
    refused = await suggest(emulator, ids["dave"], pid, int(message["id"]))
    assert "not an answer in a question thread" in refused["content"]


async def test_a_suggestion_in_a_thread_discord_archived_for_inactivity(emulator, quorum):
    """Discord archives an idle thread, and discord.py drops archived threads from its cache: the menu
    still works there (the suggestion's message unarchives the thread, as any message does)."""
    ids, tid, (first, _) = await thread_with_answers(emulator, quorum)
    await emulator.archive_thread(tid)
    await emulator.wait_for(lambda: quorum.bot.get_guild(emulator.world.guild_id).get_thread(tid) is None,
                            message="discord.py keeps the archived thread")  # fmt: skip
    done = await suggest(emulator, ids["dave"], tid, first)
    assert done["content"].startswith("Suggested to the asker"), done
    note = bot_messages(emulator, tid)[-1]
    assert set(buttons(note)) == {"Accept", "Not this one"}
    assert not emulator.world.channel(tid)["thread_metadata"]["archived"]


async def test_no_suggestion_on_a_closed_question(emulator, quorum):
    """A closed question's thread is locked and archived: a suggestion would reopen it (the bot may post
    in a locked thread), so it is refused; the asker and moderators still decide as with "Accept answer"."""
    ids, tid, (first, _) = await thread_with_answers(emulator, quorum)
    await _final(emulator, await emulator.invoke_slash(ids["mod"], tid, "close", {"reason": "off topic"}))
    await emulator.wait_for(lambda: emulator.world.channel(tid)["thread_metadata"]["archived"], message="not closed")
    posted = len(bot_messages(emulator, tid))
    refused = await suggest(emulator, ids["dave"], tid, first)
    assert refused["content"] == "This question is closed.", refused
    assert len(bot_messages(emulator, tid)) == posted and emulator.world.channel(tid)["thread_metadata"]["archived"]
    assert await quorum.store.get_suggestion(first) is None
