"""Who may do what, in one place, through the real bot: every refusal is an ephemeral answer that
says why, and leaves the store (and Discord) as it was.

Members: dave (a plain member), bob (the asker), mod (the configured moderator role, which here
carries no permission at all: a moderator by role only), keeper (Manage Threads, not the role) and
alice (the server's owner, an administrator).

- accepting (/accept, the "Accept answer" menu, /unaccept): the asker or a moderator;
- moderation (/close, /lock, /unlock, /reopen, /duplicate): moderators only, the asker included
  among the refused;
- setup (/quorum setup): Manage Server only (alice), whatever moderators can do;
- votes: there is no way to vote for someone else: /vote records the invoker's vote, and a
  reaction counts for whoever reacted, never touching another member's vote;
- a deleted post's history: moderators only.
"""

from __future__ import annotations

import pytest

from bot.forum.models import QuestionStatus
from emulator import Emulator
from emulator.permissions import MANAGE_THREADS
from emulator.spec_check import default_spec_path
from tests.harness import BotHarness, eventually
from tests.test_accepting import _final
from tests.test_first_slice import setup_forum

UP, DOWN = "\N{THUMBS UP SIGN}", "\N{THUMBS DOWN SIGN}"
EPHEMERAL = 64
MEMBERS = ("alice", "mod", "keeper", "bob", "carol", "dave")
MODERATORS = ("mod", "keeper", "alice")
NOT_MODERATORS = ("dave", "bob")
MODERATION = ("close", "lock", "unlock", "reopen", "duplicate")


@pytest.fixture
async def emulator():
    emu = Emulator(spec_path=default_spec_path())
    world = emu.world
    # The moderator role grants nothing: its members are moderators only because setup names it.
    world.set_role_permissions(world.moderator_role_id, 0)
    keeper_role = world._add_role("Thread keeper", MANAGE_THREADS, position=1)
    world.add_member("keeper", [keeper_role], _quiet=True)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()
    assert emu.spec_violations == [] and emu.unhandled == []


@pytest.fixture
async def quorum(emulator, tmp_path):
    harness = BotHarness(emulator, tmp_path / "quorum.db")
    await harness.start()
    try:
        yield harness
        harness.assert_alive()
    finally:
        await harness.stop()


@pytest.fixture
async def forum(emulator, quorum):
    """A question by bob with answers by carol and dave, and a second question (for /duplicate)."""
    world = emulator.world
    await setup_forum(emulator, moderator_role=world.moderator_role_id)
    ids = {name: world.members[name].id for name in MEMBERS}
    tid = int((await emulator.create_forum_post(ids["bob"], "Which answer is right?", "Help."))["id"])
    other = int((await emulator.create_forum_post(ids["carol"], "An older question", "Same thing."))["id"])
    answers = [int((await emulator.post_message(ids[a], tid, f"answer by {a}"))["id"]) for a in ("carol", "dave")]
    for post_id in (other, *answers):
        await eventually(lambda post_id=post_id: quorum.store.get_post(post_id))
    return ids, tid, other, answers


async def run(emulator, who, channel_id, name, **options) -> dict:
    return await _final(emulator, await emulator.invoke_slash(who, channel_id, name, options))


def refused(answer: dict, words: str) -> None:
    assert int(answer.get("flags") or 0) & EPHEMERAL, answer
    assert words in answer["content"], answer["content"]


async def state(emulator, quorum, tid) -> tuple:
    """Everything a refusal must leave alone."""
    q = await quorum.store.get_question(tid)
    audit = await quorum.store.audit_log(emulator.world.guild_id)
    meta = emulator.world.channel(tid)["thread_metadata"]
    return (q.status, q.accepted_answer_id, q.accepted_by, len(audit), emulator.world.pinned_ids(tid),
            meta["locked"], meta["archived"], await quorum.store.get_settings(emulator.world.guild_id))  # fmt: skip


def link(emulator, channel_id, message_id=None) -> str:
    tail = f"/{message_id}" if message_id else ""
    return f"https://discord.com/channels/{emulator.world.guild_id}/{channel_id}{tail}"


# ----- accepting ---------------------------------------------------------------------------------


async def test_only_the_asker_or_a_moderator_accepts(emulator, quorum, forum):
    ids, tid, _, (first, second) = forum
    before = await state(emulator, quorum, tid)
    for who in ("dave", "carol"):  # carol wrote the answer; neither asked
        refused(await run(emulator, ids[who], tid, "accept", message=link(emulator, tid, first)), "Only the asker")
        menu = await emulator.invoke_message_command(ids[who], tid, "Accept answer", first)
        refused(await _final(emulator, menu), "Only the asker")
    assert await state(emulator, quorum, tid) == before

    expected = first
    for who in ("bob", "mod", "keeper", "alice"):
        expected = second if expected == first else first
        answer = await run(emulator, ids[who], tid, "accept", message=link(emulator, tid, expected))
        assert "Accepted" in answer["content"], (who, answer)
        await eventually(lambda who=who, expected=expected: _accepted(quorum, tid, expected, ids[who]))

    before = await state(emulator, quorum, tid)
    refused(await run(emulator, ids["dave"], tid, "unaccept"), "Only the asker")
    assert await state(emulator, quorum, tid) == before
    for who in ("mod", "bob"):
        assert "no longer accepted" in (await run(emulator, ids[who], tid, "unaccept"))["content"]
        await eventually(lambda: _accepted(quorum, tid, None, None))
        if who == "mod":
            await run(emulator, ids["bob"], tid, "accept", message=link(emulator, tid, first))
            await eventually(lambda: _accepted(quorum, tid, first, ids["bob"]))


# ----- moderation --------------------------------------------------------------------------------


async def test_members_and_the_asker_cannot_moderate(emulator, quorum, forum):
    ids, tid, other, _ = forum
    options = {"close": {"reason": "off topic"}, "duplicate": {"of": link(emulator, other)}}
    before = await state(emulator, quorum, tid)
    for name in MODERATION:
        for who in NOT_MODERATORS:
            answer = await run(emulator, ids[who], tid, name, **options.get(name, {}))
            refused(answer, "Only moderators")
    assert await state(emulator, quorum, tid) == before
    assert (await quorum.store.get_question(tid)).status is QuestionStatus.OPEN


async def test_each_kind_of_moderator_can_moderate(emulator, quorum, forum):
    ids, tid, other, _ = forum
    steps = [
        ("mod", "lock", {}, QuestionStatus.LOCKED),
        ("keeper", "unlock", {}, QuestionStatus.OPEN),
        ("alice", "close", {"reason": "answered elsewhere"}, QuestionStatus.CLOSED),
        ("mod", "reopen", {}, QuestionStatus.OPEN),
        ("keeper", "duplicate", {"of": link(emulator, other)}, QuestionStatus.DUPLICATE),
        ("alice", "reopen", {}, QuestionStatus.OPEN),
    ]
    for who, name, options, status in steps:
        answer = await run(emulator, ids[who], tid, name, **options)
        assert "Only" not in answer["content"], (who, name, answer)
        assert (await quorum.store.get_question(tid)).status is status, (who, name)
    actors = [(e.action, e.actor_id) for e in await quorum.store.audit_log(emulator.world.guild_id)
              if e.action in MODERATION]  # fmt: skip
    assert sorted(actors) == sorted((name, ids[who]) for who, name, _, _ in steps)


# ----- setup -------------------------------------------------------------------------------------


async def test_only_a_server_manager_changes_setup(emulator, quorum, forum):
    ids, tid, _, _ = forum
    world = emulator.world
    before = await quorum.store.get_settings(world.guild_id)
    for who in ("dave", "bob", "mod", "keeper"):
        answer = await run(emulator, ids[who], world.text_channel_id, "quorum setup", daily_vote_cap=1)
        refused(answer, "Manage Server")
        answer = await run(emulator, ids[who], world.text_channel_id, "quorum setup")  # even just looking
        refused(answer, "Manage Server")
    assert await quorum.store.get_settings(world.guild_id) == before
    answer = await run(emulator, ids["alice"], world.text_channel_id, "quorum setup", daily_vote_cap=7)
    assert answer["embeds"] and (await quorum.store.get_settings(world.guild_id)).daily_vote_cap == 7


# ----- votes: always the voter's own ----------------------------------------------------------


async def test_nobody_votes_for_someone_else(emulator, quorum, forum):
    ids, tid, _, (first, second) = forum
    await emulator.add_reaction(ids["carol"], tid, second, UP)
    await eventually(lambda: _vote(quorum, second, ids["carol"], 1))

    # /vote has no "as" option: the command records the invoker's vote and nobody else's.
    assert {o["name"] for o in _command(emulator, "vote")["options"]} == {"message", "direction"}
    answer = await run(emulator, ids["dave"], tid, "vote", message=link(emulator, tid, first), direction="down")
    assert int(answer.get("flags") or 0) & EPHEMERAL and "Downvoted" in answer["content"]
    assert await quorum.store.get_vote(first, ids["dave"]) == -1
    # A reaction counts for whoever reacted: mod's reaction leaves carol's and dave's votes alone.
    await emulator.add_reaction(ids["mod"], tid, second, DOWN)
    await eventually(lambda: _vote(quorum, second, ids["mod"], -1))
    await emulator.add_reaction(ids["mod"], tid, first, UP)
    await eventually(lambda: _vote(quorum, first, ids["mod"], 1))
    assert await quorum.store.get_vote(second, ids["carol"]) == 1
    assert await quorum.store.get_vote(first, ids["dave"]) == -1
    # Clearing is one's own too: dave clears his, carol's stays.
    await run(emulator, ids["dave"], tid, "vote", message=link(emulator, tid, second), direction="clear")
    assert await quorum.store.get_vote(second, ids["carol"]) == 1
    assert (await quorum.store.get_post(second)).score == 0  # carol +1, mod -1
    # Nor can a vote be cast as the post's author: your own posts are refused.
    answer = await run(emulator, ids["dave"], tid, "vote", message=link(emulator, tid, second), direction="up")
    refused(answer, "own posts")
    assert (await quorum.store.recount()).differences == 0


# ----- history of deleted posts ---------------------------------------------------------------


async def test_only_moderators_read_a_deleted_posts_history(emulator, quorum, forum):
    ids, tid, _, (first, _) = forum
    await emulator.delete_message(tid, first)
    await eventually(lambda: _deleted(quorum, first))
    for who in ("dave", "carol", "bob"):  # carol wrote it: deleted is deleted
        refused(await run(emulator, ids[who], tid, "history", message=link(emulator, tid, first)), "was deleted")
    for who in MODERATORS:
        answer = await run(emulator, ids[who], tid, "history", message=link(emulator, tid, first))
        assert answer["embeds"] and "answer by carol" in str(answer["embeds"]), who


def _command(emulator, name):
    return next(c for c in emulator.world.commands.values() if c["name"] == name and int(c.get("type", 1)) == 1)


async def _accepted(quorum, tid, answer_id, member_id):
    q = await quorum.store.get_question(tid)
    return (q.accepted_answer_id, q.accepted_by) == (answer_id, member_id)


async def _vote(quorum, post_id, voter_id, value):
    return await quorum.store.get_vote(post_id, voter_id) == value


async def _deleted(quorum, post_id):
    return (await quorum.store.get_post(post_id)).deleted_at is not None
