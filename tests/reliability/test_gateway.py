"""Gateway faults with the real Quorum bot, while members post, reply, edit, vote and rename:

- the connection dropped in the middle of a burst: discord.py RESUMEs, the emulator replays what it
  buffered, and the store holds every post, revision and vote exactly once; the same events
  replayed once more (as Discord may after a RESUME) change nothing;
- Discord asking for a reconnect (op 7) and a resumable invalidation (op 9 true): RESUME, never a
  new IDENTIFY;
- an invalidated session (op 9 false): the events in the gap are lost to the bot, as on Discord; it
  IDENTIFYs again and catch-up closes the gap, votes and edits included.

Each time the store is compared with the world as members see it (tests/reliability/support.py) and
the bot's gateway task must still be running. Posts and edits across a RESUME without votes, and
the gap after an invalidation without votes, are in tests/test_catchup.py and tests/test_mirroring.py.
"""

from __future__ import annotations

from tests.harness import eventually
from tests.reliability.support import DOWN, UP, differences
from tests.test_accepting import thread_with_answers
from tests.test_catchup import caught_up, cog


async def agrees(emulator, quorum):
    async def check():
        return differences(emulator, quorum.database) == []

    try:
        await eventually(check, timeout=8)
    except AssertionError:
        raise AssertionError("\n".join(differences(emulator, quorum.database))) from None


async def burst(emulator, ids, tid, answers, tag: str) -> dict:
    """Members acting at once: a new answer, a reply, two edits, votes (new, a switch, a withdrawal),
    a rename. Returns what was made, for the checks."""
    a0, a1 = answers
    posted = await emulator.post_message(ids["dave"], tid, f"posted {tag}")
    reply = await emulator.post_message(ids["bob"], tid, f"reply {tag}", reply_to=a0)
    await emulator.edit_message(tid, a0, f"answer 0 edited {tag}")
    await emulator.edit_message(tid, int(posted["id"]), f"posted {tag}, then edited")
    await emulator.add_reaction(ids["mod"], tid, a0, UP)
    await emulator.add_reaction(ids["bob"], tid, int(posted["id"]), UP)
    await emulator.add_reaction(ids["dave"], tid, a0, DOWN)  # dave switches: he held 👍 on a0
    await emulator.remove_reaction(ids["bob"], tid, a1, UP)  # bob withdraws
    await emulator.add_reaction(ids["carol"], tid, tid, UP)
    await emulator.rename_thread(tid, f"Which answer is right? ({tag})")
    return {"posted": int(posted["id"]), "reply": int(reply["id"])}


async def voted_before(emulator, quorum, ids, tid, answers):
    a0, a1 = answers
    await emulator.add_reaction(ids["dave"], tid, a0, UP)
    await emulator.add_reaction(ids["bob"], tid, a1, UP)
    await agrees(emulator, quorum)


async def test_a_dropped_connection_resumes_and_replays_each_change_once(emulator, quorum):
    ids, tid, answers = await thread_with_answers(emulator, quorum)
    await voted_before(emulator, quorum, ids, tid, answers)
    seq = emulator.gateway.current.seq

    await emulator.drop_connection()
    made = await burst(emulator, ids, tid, answers, "while the connection was down")
    await emulator.wait_for(lambda: emulator.gateway_stats.resumes == 1, timeout=10)
    await agrees(emulator, quorum)
    assert (emulator.gateway_stats.identifies, emulator.gateway_stats.resumes) == (1, 1)

    # Discord may replay events the bot already handled: everything of the burst, once more.
    replay = [p for p in emulator.gateway.current.buffer if p["s"] > seq and p["t"] != "RESUMED"]
    assert {"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE",
            "THREAD_UPDATE"} <= {p["t"] for p in replay}  # fmt: skip
    for payload in replay:
        await emulator.dispatch_raw(payload["t"], payload["d"])
    marker = await emulator.post_message(ids["carol"], tid, "after the replay")
    await eventually(lambda: quorum.store.get_post(int(marker["id"])))
    await agrees(emulator, quorum)

    a0 = answers[0]
    edited = "answer 0 edited while the connection was down"
    assert [r.text for r in await quorum.store.revisions(a0)] == ["answer 0", edited]
    assert len(await quorum.store.revisions(made["posted"])) == 2
    assert len(await quorum.store.revisions(made["reply"])) == 1
    titles = [r.text for r in await quorum.store.revisions(tid) if r.field == "title"]
    assert titles == ["Which answer is right?", "Which answer is right? (while the connection was down)"]
    assert await quorum.store.get_vote(a0, ids["dave"]) == -1, "the replayed old 👍 did not undo the switch"
    assert ids["dave"] not in emulator.world.reactions[a0].get(UP, [])
    assert (await quorum.store.recount()).differences == 0
    quorum.assert_alive()


async def test_reconnect_requests_resume_without_a_new_identify(emulator, quorum):
    ids, tid, answers = await thread_with_answers(emulator, quorum)
    await voted_before(emulator, quorum, ids, tid, answers)

    await emulator.send_reconnect()  # op 7, then members keep acting while the bot reconnects
    await burst(emulator, ids, tid, answers, "during a reconnect")
    await emulator.wait_for(lambda: emulator.gateway_stats.resumes == 1, timeout=10)
    await agrees(emulator, quorum)

    await emulator.invalidate_session(resumable=True)  # op 9 true: resume, again
    await emulator.post_message(ids["carol"], tid, "after a resumable invalidation")
    await emulator.add_reaction(ids["dave"], tid, answers[1], DOWN)
    await emulator.wait_for(lambda: emulator.gateway_stats.resumes == 2, timeout=10)
    await agrees(emulator, quorum)
    assert emulator.gateway_stats.identifies == 1
    assert (await quorum.store.recount()).differences == 0
    quorum.assert_alive()


async def test_an_invalidated_session_identifies_again_and_catch_up_closes_the_gap(emulator, quorum):
    # discord.py waits 5 s (before_identify_hook) before identifying again: this test is slow.
    ids, tid, answers = await thread_with_answers(emulator, quorum)
    await voted_before(emulator, quorum, ids, tid, answers)
    await caught_up(quorum)
    runs = cog(quorum).completed

    await emulator.invalidate_session()  # op 9 false: what members do now is lost to the bot
    await burst(emulator, ids, tid, answers, "in the gap")
    await emulator.delete_message(tid, answers[1])
    assert differences(emulator, quorum.database), "the gap is real: the store missed the burst"

    await emulator.wait_for(lambda: emulator.gateway_stats.identifies == 2, timeout=15)
    await caught_up(quorum, runs=runs + 1, timeout=15)
    await agrees(emulator, quorum)
    assert emulator.gateway_stats.resumes == 0
    assert await quorum.store.get_vote(answers[0], ids["dave"]) == -1
    assert await quorum.store.get_vote(answers[0], ids["mod"]) == 1
    assert (await quorum.store.get_post(answers[1])).deleted_at is not None
    assert (await quorum.store.recount()).differences == 0
    quorum.assert_alive()
