"""When a question gets its accepted answer another way (/accept, the "Accept answer" menu, a pin),
the buttons asking for one go: the idle nudge's message loses its buttons, the open suggestions are
closed ("An answer was accepted: <link>"). A button pressed before its edit landed (here: Discord
refused the edit, and the bot restarted) answers plainly where the accepted answer is."""

from __future__ import annotations

from tests.test_accepting import _final, accepted, thread_with_answers
from tests.test_followups import HOUR, nudges, started
from tests.test_reading import EPHEMERAL, buttons
from tests.test_suggesting import bot_messages, suggest

MARK, STILL = "Mark the answer that solved it", "Still need help"



def refuse_edits(emulator, thread_id: int, message_id: int):
    return emulator.faults.fail("PATCH", rf"^/channels/{thread_id}/messages/{message_id}$", 403, 50013,
                                "Missing Permissions", count=10)  # fmt: skip


async def press(emulator, who: int, tid: int, message: dict, label: str) -> dict:
    click = await emulator.click_button(who, tid, int(message["id"]), buttons(message)[label]["custom_id"])
    answer = await _final(emulator, click)
    assert answer["flags"] & EPHEMERAL
    return answer


async def test_the_nudge_loses_its_buttons_when_an_answer_is_accepted_another_way(emulator, timed):
    quorum, clock = timed
    world = emulator.world
    ids, tid, (first, second) = await thread_with_answers(emulator, quorum)
    link = f"https://discord.com/channels/{world.guild_id}/{tid}"
    await started(quorum)
    clock.now += 25 * HOUR
    await quorum.app.run_followups()
    (nudge,) = nudges(emulator, tid)
    stored = world.messages[tid][int(nudge["id"])]

    # /accept; Discord refuses the nudge's edit: the accept is done all the same.
    refused = refuse_edits(emulator, tid, int(nudge["id"]))
    command = await emulator.invoke_slash(ids["bob"], tid, "accept", {"message": f"{link}/{first}"})
    done = await _final(emulator, command)
    assert done["content"] == f"Accepted: {link}/{first}"
    await accepted(quorum, tid, first)
    assert refused.hits >= 1 and set(buttons(stored)) == {MARK, STILL}

    # Its buttons, pressed after a restart, say where the accepted answer is (no picker, no error).
    # Discord goes on refusing the edit until then: the accept's pin makes the bot try it once more
    # (the pins event), which must not land before the presses.
    await quorum.restart()
    await started(quorum)
    for label in (STILL, MARK):
        answer = await press(emulator, ids["bob"], tid, nudge, label)
        assert answer["content"] == f"This question already has an accepted answer: {link}/{first}", answer
        assert answer.get("components", []) == []
    emulator.faults.clear()

    # A moderator's pin moves the acceptance: the nudge's buttons go now.
    await emulator.pin(ids["mod"], tid, second)
    await accepted(quorum, tid, second)
    await emulator.wait_for(lambda: stored["components"] == [], message="the nudge keeps its buttons")
    assert stored["content"] == nudge["content"]


async def test_open_suggestions_are_closed_when_an_answer_is_accepted_another_way(emulator, timed):
    quorum, _clock = timed
    world = emulator.world
    ids, tid, (first, second, third) = await thread_with_answers(emulator, quorum, n=3)
    link = f"https://discord.com/channels/{world.guild_id}/{tid}"
    await suggest(emulator, ids["dave"], tid, first)
    await suggest(emulator, ids["carol"], tid, second)
    await suggest(emulator, ids["carol"], tid, third)
    notes = [world.messages[tid][int(m["id"])] for m in bot_messages(emulator, tid)]
    assert len(notes) == 3 and all(set(buttons(n)) == {"Accept", "Not this one"} for n in notes)
    stale = {**notes[2]}  # as the asker's client shows it
    refuse_edits(emulator, tid, int(notes[2]["id"]))

    # The asker accepts dave's answer with the menu, not with a suggestion's button.
    menu = await emulator.invoke_message_command(ids["bob"], tid, "Accept answer", second)
    assert (await _final(emulator, menu))["content"] == f"Accepted: {link}/{second}"
    await accepted(quorum, tid, second)
    for note in notes[:2]:
        await emulator.wait_for(lambda note=note: note["components"] == [], message="a suggestion keeps its buttons")
        assert note["content"] == f"An answer was accepted: {link}/{second}"
    states = [(await quorum.store.get_suggestion(a)).state for a in (first, second, third)]
    assert states == ["dismissed", "accepted", "dismissed"]
    emulator.faults.clear()

    # The suggestion whose edit Discord refused: its buttons answer plainly, after a restart too.
    await quorum.restart()
    for label in ("Accept", "Not this one"):
        answer = await press(emulator, ids["bob"], tid, stale, label)
        assert answer["content"] == f"This question already has an accepted answer: {link}/{second}", answer
    assert (await quorum.store.get_question(tid)).accepted_answer_id == second
    assert world.pinned_ids(tid) == [second]
