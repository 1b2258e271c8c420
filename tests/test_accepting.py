"""Accepted answers by pin and by command, through the real bot and the emulator."""

from __future__ import annotations

from collections import defaultdict

from emulator.permissions import PIN_MESSAGES
from tests.harness import eventually
from tests.test_catchup import caught_up
from tests.test_first_slice import setup_forum


async def thread_with_answers(emulator, quorum, n=2):
    world = emulator.world
    await setup_forum(emulator, moderator_role=world.moderator_role_id)
    ids = {name: world.members[name].id for name in ("bob", "carol", "dave", "mod", "alice")}
    thread = await emulator.create_forum_post(ids["bob"], "Which answer is right?", "Help.")
    tid = int(thread["id"])
    authors = ["carol", "dave", "alice"]
    answers = []
    for i in range(n):
        message = await emulator.post_message(ids[authors[i]], tid, f"answer {i}")
        answers.append(int(message["id"]))
    await eventually(lambda: _count(quorum, tid, n + 1))
    return ids, tid, answers


async def accepted(quorum, tid, expected):
    async def check():
        return (await quorum.store.get_question(tid)).accepted_answer_id == expected

    await eventually(check)
    return await quorum.store.get_question(tid)


async def reputations(quorum, emulator):
    return defaultdict(lambda: 1, await quorum.store.reputations(emulator.world.guild_id))


async def test_a_moderators_pin_accepts_and_a_second_pin_moves_it(emulator, quorum):
    ids, tid, (first, second) = await thread_with_answers(emulator, quorum)
    await emulator.pin(ids["mod"], tid, first)
    question = await accepted(quorum, tid, first)
    await eventually(lambda: _accepted_by(quorum, tid, ids["mod"]))
    rep = await reputations(quorum, emulator)
    assert rep[ids["carol"]] == 16 and rep[ids["mod"]] == 1  # a moderator accepting earns nothing
    solved = emulator.tag_id("Solved")
    await emulator.wait_for(lambda: str(solved) in emulator.world.channel(tid)["applied_tags"])

    await emulator.pin(ids["mod"], tid, second)
    question = await accepted(quorum, tid, second)
    # The bot takes the first answer down, so Discord shows one accepted answer.
    await emulator.wait_for(lambda: emulator.world.pinned_ids(tid) == [second])
    rep = await reputations(quorum, emulator)
    assert rep[ids["carol"]] == 1 and rep[ids["dave"]] == 16 and rep[ids["mod"]] == 1
    assert question.accepted_by == ids["mod"]

    await emulator.unpin(ids["mod"], tid, second)
    await accepted(quorum, tid, None)
    rep = await reputations(quorum, emulator)
    assert rep[ids["dave"]] == 1 and rep[ids["mod"]] == 1
    await emulator.wait_for(lambda: str(solved) not in emulator.world.channel(tid)["applied_tags"])
    actions = [(e.action, e.target_id) for e in await quorum.store.audit_log(emulator.world.guild_id)]
    # The bot's own unpin of the first answer is audited too (actor: the bot), written when Discord
    # answers the unpin, so its place among the member's entries is not fixed.
    assert ("unpin", first) in actions[:4]
    members = [a for a in actions if a[0] != "unpin"]
    assert members[:3] == [("unaccept", second), ("accept", second), ("accept", first)]
    assert (await quorum.store.recount()).differences == 0


async def test_only_the_asker_earns_for_accepting(emulator, quorum):
    """As on Stack Exchange: +15 to the accepted answer's author, +2 to the asker when the asker
    accepts; a moderator's pin on someone else's question, or accepting one's own answer, earns the
    accepter nothing. Across a restart, and a recount agrees."""
    ids, tid, (first, second) = await thread_with_answers(emulator, quorum)
    guild = emulator.world.guild_id
    await emulator.pin(ids["mod"], tid, first)
    await eventually(lambda: _accepted_by(quorum, tid, ids["mod"]))
    rep = await quorum.store.reputations(guild)
    assert rep[ids["carol"]] == 16 and rep.get(ids["mod"], 1) == 1

    link = f"https://discord.com/channels/{guild}/{tid}/{second}"
    await _final(emulator, await emulator.invoke_slash(ids["bob"], tid, "accept", {"message": link}))
    await eventually(lambda: _accepted_by(quorum, tid, ids["bob"]))
    expected = {ids["carol"]: 1, ids["dave"]: 16, ids["bob"]: 1 + 2, ids["mod"]: 1}
    rep = await reputations(quorum, emulator)
    assert {member: rep[member] for member in expected} == expected

    await quorum.restart()
    rep = await reputations(quorum, emulator)
    assert {member: rep[member] for member in expected} == expected
    assert (await quorum.store.recount()).differences == 0

    own = int((await emulator.post_message(ids["bob"], tid, "Found it myself."))["id"])
    await eventually(lambda: quorum.store.get_post(own))
    link = f"https://discord.com/channels/{guild}/{tid}/{own}"
    await _final(emulator, await emulator.invoke_slash(ids["bob"], tid, "accept", {"message": link}))
    await accepted(quorum, tid, own)
    rep = await reputations(quorum, emulator)
    assert (rep[ids["bob"]], rep[ids["dave"]]) == (1, 1), "a self-accepted answer earns nothing"
    assert (await quorum.store.recount()).differences == 0


async def test_pinning_the_question_or_a_reply_accepts_nothing(emulator, quorum):
    ids, tid, (first, _) = await thread_with_answers(emulator, quorum)
    reply = await emulator.post_message(ids["bob"], tid, "thanks", reply_to=first)
    await eventually(lambda: quorum.store.get_post(int(reply["id"])))
    await emulator.pin(ids["mod"], tid, tid)
    await emulator.pin(ids["mod"], tid, int(reply["id"]))
    await emulator.pin(ids["mod"], tid, first)  # the control: this one does accept
    await accepted(quorum, tid, first)
    assert sorted(emulator.world.pinned_ids(tid)) == sorted([tid, int(reply["id"]), first]), "nothing else unpinned"


async def test_accept_by_the_asker_and_by_a_moderator_refused_for_others(emulator, quorum):
    ids, tid, (first, second) = await thread_with_answers(emulator, quorum)
    link = f"https://discord.com/channels/{emulator.world.guild_id}/{tid}/{first}"
    refused = await emulator.invoke_slash(ids["dave"], tid, "accept", {"message": link})
    answer = await _final(emulator, refused)
    assert "Only the asker or a moderator" in answer["content"]
    assert (await quorum.store.get_question(tid)).accepted_answer_id is None
    assert emulator.world.pinned_ids(tid) == []

    by_asker = await emulator.invoke_slash(ids["bob"], tid, "accept", {"message": link})
    assert "Accepted" in (await _final(emulator, by_asker))["content"]
    question = await accepted(quorum, tid, first)
    assert question.accepted_by == ids["bob"] and emulator.world.pinned_ids(tid) == [first]
    assert (await reputations(quorum, emulator))[ids["bob"]] == 1 + 2

    menu = await emulator.invoke_message_command(ids["mod"], tid, "Accept answer", second)
    await _final(emulator, menu)
    question = await accepted(quorum, tid, second)
    assert question.accepted_by == ids["mod"]
    await emulator.wait_for(lambda: emulator.world.pinned_ids(tid) == [second])

    off = await emulator.invoke_slash(ids["bob"], tid, "unaccept", {})
    await _final(emulator, off)
    await accepted(quorum, tid, None)
    await emulator.wait_for(lambda: emulator.world.pinned_ids(tid) == [])
    assert (await quorum.store.recount()).differences == 0


async def test_without_pin_permission_nothing_is_recorded(emulator, quorum):
    ids, tid, (first, _) = await thread_with_answers(emulator, quorum)
    world = emulator.world
    role = world.roles[world.bot_role_id]
    world.set_role_permissions(world.bot_role_id, int(role["permissions"]) & ~PIN_MESSAGES)
    inter = await emulator.invoke_message_command(ids["bob"], tid, "Accept answer", first)
    answer = await _final(emulator, inter)
    assert "Pin Messages permission" in answer["content"]
    question = await quorum.store.get_question(tid)
    assert question.accepted_answer_id is None and emulator.world.pinned_ids(tid) == []
    assert await quorum.store.audit_log(world.guild_id, actor_id=ids["bob"]) == []


async def test_deleting_the_accepted_answer_takes_acceptance_back(emulator, quorum):
    ids, tid, (first, _) = await thread_with_answers(emulator, quorum)
    await emulator.pin(ids["mod"], tid, first)
    await eventually(lambda: _accepted_by(quorum, tid, ids["mod"]))
    await emulator.delete_message(tid, first)
    await accepted(quorum, tid, None)
    rep = await reputations(quorum, emulator)
    assert rep[ids["carol"]] == 1 and rep[ids["mod"]] == 1
    assert (await quorum.store.recount()).differences == 0


async def _final(emulator, inter):
    await inter.wait_response()
    await emulator.wait_for(lambda: inter.followups or inter.response_type == 4, message="no answer")
    return inter.followups[-1] if inter.followups else inter.responses[0]["data"]


async def _count(quorum, tid, n):
    return len(await quorum.store.question_posts(tid)) == n


async def _accepted_by(quorum, tid, member_id):
    return (await quorum.store.get_question(tid)).accepted_by == member_id


async def test_a_pin_made_while_away_is_attributed_to_its_pinner(emulator, quorum):
    """Catch-up sees the pin in the pins list and who made it in Discord's "pinned a message"
    notice in the thread's history: the accept and its audit entry name the pinner."""
    ids, tid, (first, second) = await thread_with_answers(emulator, quorum)
    world = emulator.world
    await quorum.stop()
    await emulator.pin(ids["mod"], tid, first)
    await quorum.start()
    await caught_up(quorum)
    question = await accepted(quorum, tid, first)
    assert question.accepted_by == ids["mod"]
    entries = [e for e in await quorum.store.audit_log(world.guild_id) if e.action == "accept"]
    assert [(e.actor_id, e.target_id) for e in entries] == [(ids["mod"], first)]
    assert "while Quorum was away" in entries[0].reason

    # Moved while away by someone else, whose notice is the newer one; then nothing changes across
    # restarts (no second audit entry).
    await quorum.stop()
    await emulator.unpin(ids["mod"], tid, first)
    await emulator.pin(ids["alice"], tid, second)
    for _ in range(2):
        await quorum.start()
        await caught_up(quorum)
        question = await accepted(quorum, tid, second)
        assert question.accepted_by == ids["alice"]
        await quorum.stop()
    await quorum.start()
    entries = [e for e in await quorum.store.audit_log(world.guild_id) if e.action == "accept"]
    assert [(e.actor_id, e.target_id) for e in entries] == [(ids["alice"], second), (ids["mod"], first)]


async def test_a_pin_made_while_away_whose_notice_was_deleted_is_still_audited(emulator, quorum):
    ids, tid, (first, _second) = await thread_with_answers(emulator, quorum)
    world = emulator.world
    await quorum.stop()
    await emulator.pin(ids["mod"], tid, first)
    notice = next(int(mid) for mid, m in world.messages[tid].items() if m["type"] == 6)
    await emulator.delete_message(tid, notice)
    await quorum.start()
    await caught_up(quorum)
    question = await accepted(quorum, tid, first)
    assert question.accepted_by is None
    entries = [e for e in await quorum.store.audit_log(world.guild_id) if e.action == "accept"]
    assert [(e.actor_id, e.target_id) for e in entries] == [(0, first)]  # "someone", while away
    assert "while Quorum was away" in entries[0].reason
