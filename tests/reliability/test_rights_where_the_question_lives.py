"""Every right is decided where the question lives, never in the channel a command was typed in.

Discord computes an interaction's `permissions` for the invoking channel, overwrites included. Members
(besides those of tests/reliability/test_permissions.py):
- gina: a role whose only grants are an overwrite on #general (Manage Threads, Pin Messages and
  Manage Server there, nowhere else). Typing in #general must not make her a moderator of the
  questions, nor a server manager: Manage Server applies to no channel, so an overwrite carrying it
  grants nothing (Discord still reports it in the channel's totals, discord-api-docs#640).
- quinn: Manage Threads by an overwrite on the questions channel, not guild-wide. She moderates its
  questions from any channel, #general included.
"""

from __future__ import annotations

import pytest

from bot.forum.models import QuestionStatus
from emulator import Emulator
from emulator.permissions import MANAGE_GUILD, MANAGE_THREADS, PIN_MESSAGES
from emulator.spec_check import default_spec_path
from tests.harness import BotHarness, eventually
from tests.reliability.test_permissions import link, refused, run, state
from tests.test_accepting import _final
from tests.test_first_slice import setup_forum

MEMBERS = ("alice", "bob", "carol", "dave", "gina", "quinn")
MODERATION = {"close": {"reason": "off topic"}, "lock": {}, "unlock": {}, "reopen": {}}


@pytest.fixture
async def emulator():
    emu = Emulator(spec_path=default_spec_path())
    world = emu.world
    world.set_role_permissions(world.moderator_role_id, 0)  # setup names it; it grants nothing here
    general_helper = world._add_role("General helper", 0, position=1)
    world.set_channel_overwrite(world.text_channel_id, general_helper,
                                allow=MANAGE_THREADS | PIN_MESSAGES | MANAGE_GUILD)  # fmt: skip
    world.add_member("gina", [general_helper], _quiet=True)
    quinn = world.add_member("quinn", (), _quiet=True)
    world.set_channel_overwrite(world.forum_channel_id, quinn, allow=MANAGE_THREADS | PIN_MESSAGES, type=1)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()
    assert emu.spec_violations == [] and emu.unhandled == []


@pytest.fixture
async def quorum(emulator, tmp_path):
    harness = BotHarness(emulator, tmp_path / "quorum.db", summary_delay=0.1)  # the summary settles fast
    await harness.start()
    try:
        yield harness
        harness.assert_alive()
    finally:
        await harness.stop()


@pytest.fixture
async def forum(emulator, quorum):
    """bob's question with answers by carol (accepted by bob), dave (deleted) and a later one by dave,
    and carol's older question (for /duplicate)."""
    world = emulator.world
    await setup_forum(emulator, moderator_role=world.moderator_role_id)
    ids = {name: world.members[name].id for name in MEMBERS}
    tid = int((await emulator.create_forum_post(ids["bob"], "Which answer is right?", "Help."))["id"])
    other = int((await emulator.create_forum_post(ids["carol"], "An older question", "Same thing."))["id"])
    answers = {a: int((await emulator.post_message(ids[a], tid, f"answer by {a}"))["id"]) for a in ("carol", "dave")}
    answers["later"] = int((await emulator.post_message(ids["dave"], tid, "a later answer"))["id"])
    for post_id in (other, *answers.values()):
        await eventually(lambda post_id=post_id: quorum.store.get_post(post_id))
    accepted = await run(emulator, ids["bob"], tid, "accept", message=link(emulator, tid, answers["carol"]))
    assert "Accepted" in accepted["content"], accepted
    await emulator.delete_message(tid, answers["dave"])
    await eventually(lambda: _deleted(quorum, answers["dave"]))
    await eventually(lambda: _summary_posted(emulator, tid))  # cogs/summary.py, posted in its own time
    return ids, tid, other, answers


async def test_rights_granted_in_another_channel_count_for_nothing(emulator, quorum, forum):
    ids, tid, other, answers = forum
    gina, general = ids["gina"], emulator.world.text_channel_id
    before = await state(emulator, quorum, tid)
    messages = _messages(emulator, tid)

    async def everything_refused() -> None:
        # From #general, where her overwrite makes Discord report Manage Threads and Manage Server.
        answer = await run(emulator, gina, general, "accept", message=link(emulator, tid, answers["later"]))
        refused(answer, "Only the asker or a moderator")
        for name, options in {**MODERATION, "duplicate": {"of": link(emulator, other)}}.items():
            refused(await run(emulator, gina, general, name, **options), "Only moderators")
        refused(await run(emulator, gina, general, "modlog"), "Only moderators")
        refused(await run(emulator, gina, general, "history", message=link(emulator, tid, answers["dave"])),
                "was deleted")  # fmt: skip
        refused(await run(emulator, gina, general, "quorum setup", daily_vote_cap=1), "Manage Server")
        refused(await run(emulator, gina, general, "quorum setup"), "Manage Server")
        refused(await run(emulator, gina, general, "unaccept"), "inside the question's thread")
        # In the question's own thread she has none of it, whichever way she asks.
        refused(await run(emulator, gina, tid, "unaccept"), "Only the asker or a moderator")
        menu = await emulator.invoke_message_command(gina, tid, "Accept answer", answers["later"])
        refused(await _final(emulator, menu), "Only the asker or a moderator")
        for name, options in {**MODERATION, "duplicate": {"of": link(emulator, other)}}.items():
            refused(await run(emulator, gina, tid, name, **options), "Only moderators")
        # Nothing changed, in the store or in Discord: no pin, no notice, no lock.
        assert await state(emulator, quorum, tid) == before
        assert _messages(emulator, tid) == messages

    await everything_refused()
    await quorum.restart()
    assert await state(emulator, quorum, tid) == before
    await everything_refused()


async def test_moderators_of_the_questions_channel_act_from_any_channel(emulator, quorum, forum):
    ids, tid, other, answers = forum
    quinn, general = ids["quinn"], emulator.world.text_channel_id
    # /accept typed in #general, where quinn has no Manage Threads: the question's channel decides.
    dave_again = answers["later"]
    answer = await run(emulator, quinn, general, "accept", message=link(emulator, tid, dave_again))
    assert "Accepted" in answer["content"], answer
    await eventually(lambda: _accepted(quorum, tid, dave_again, quinn))
    assert emulator.world.pinned_ids(tid) == [dave_again]

    answer = await run(emulator, quinn, general, "history", message=link(emulator, tid, answers["dave"]))
    assert answer["embeds"] and "answer by dave" in str(answer["embeds"]), answer
    answer = await run(emulator, quinn, tid, "lock", reason="cooling down")
    assert "Locked" in answer["content"], answer
    answer = await run(emulator, quinn, general, "modlog")
    assert answer["embeds"] and "lock" in str(answer["embeds"]), answer

    await quorum.restart()
    question = await quorum.store.get_question(tid)
    assert (question.accepted_answer_id, question.accepted_by, question.status) == (
        dave_again, quinn, QuestionStatus.LOCKED)  # fmt: skip
    assert emulator.world.pinned_ids(tid) == [dave_again]
    # Still a moderator after the restart, from #general (and in the thread).
    answer = await run(emulator, quinn, general, "modlog", member=quinn)
    assert answer["embeds"] and "lock" in str(answer["embeds"]), answer
    answer = await run(emulator, quinn, general, "history", message=link(emulator, tid, answers["dave"]))
    assert answer["embeds"] and "answer by dave" in str(answer["embeds"]), answer
    assert "Unlocked" in (await run(emulator, quinn, tid, "unlock"))["content"]
    answer = await run(emulator, quinn, general, "accept", message=link(emulator, tid, answers["carol"]))
    assert "Accepted" in answer["content"], answer
    await eventually(lambda: _accepted(quorum, tid, answers["carol"], quinn))


async def test_an_overwrite_changed_while_the_bot_runs_counts_at_once(emulator, quorum, forum):
    """The bot decides from its cache, which Discord keeps current with CHANNEL_UPDATE."""
    ids, tid, _, answers = forum
    world, gina, general = emulator.world, ids["gina"], emulator.world.text_channel_id
    helper = next(rid for rid, role in world.roles.items() if role["name"] == "General helper")
    deleted = link(emulator, tid, answers["dave"])
    refused(await run(emulator, gina, general, "history", message=deleted), "was deleted")

    await emulator.edit_channel_overwrite(world.forum_channel_id, helper, allow=MANAGE_THREADS)
    answer = await run(emulator, gina, general, "history", message=deleted)
    assert answer["embeds"] and "answer by dave" in str(answer["embeds"]), answer
    await emulator.edit_channel_overwrite(world.forum_channel_id, helper, deny=MANAGE_THREADS)
    refused(await run(emulator, gina, general, "history", message=deleted), "was deleted")
    await quorum.restart()
    refused(await run(emulator, gina, general, "modlog"), "Only moderators")


def _messages(emulator, tid) -> list[tuple]:
    """The thread's messages as Discord shows them: a pin or a notice would add one or change one."""
    return [(m["id"], m["type"], m["pinned"]) for m in emulator.world.messages[tid].values()]


async def _summary_posted(emulator, tid) -> bool:
    bot = str(emulator.world.bot_user_id)
    return any(m["author"]["id"] == bot and m["embeds"] for m in emulator.world.messages[tid].values())


async def _accepted(quorum, tid, answer_id, member_id):
    q = await quorum.store.get_question(tid)
    return (q.accepted_answer_id, q.accepted_by) == (answer_id, member_id)


async def _deleted(quorum, post_id):
    return (await quorum.store.get_post(post_id)).deleted_at is not None
