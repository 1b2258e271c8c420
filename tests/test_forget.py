"""`/privacy forget` end to end: the member sees what will be erased, confirms with a button only they
can use, and their posts read as placeholders in /question and are found by no search, across a
restart; `quorum forget` does the same for an operator."""

from __future__ import annotations

import asyncio

from bot.forum.erasure import PLACEHOLDER
from tests.harness import eventually
from tests.test_catchup import caught_up
from tests.test_first_slice import setup_forum
from tests.test_reading import buttons, member
from tests.test_search import answer, found, post_question, search
from tests.test_web_publishing import quorum_cli

EPHEMERAL = 64
UP = "\N{THUMBS UP SIGN}"
DOWN = "\N{THUMBS DOWN SIGN}"
WORDS = "zyxquorpelt flibbergrumph"


async def forget_prompt(emulator, who: int) -> tuple[dict, dict]:
    inter = await emulator.invoke_slash(who, emulator.world.text_channel_id, "privacy forget", {})
    response = await inter.wait_response()
    assert response["type"] == 4 and response["data"]["flags"] & EPHEMERAL
    assert response["data"]["allowed_mentions"] == {"parse": []}
    return inter.original_message, response["data"]


async def test_a_member_forgets_themselves(emulator, quorum):
    world = emulator.world
    bob, carol = member(emulator, "bob"), member(emulator, "carol")
    await setup_forum(emulator)
    tid = await post_question(emulator, quorum, "carol", "Which storage engine?", "Where should a bot keep state?")
    mine = await answer(emulator, quorum, "bob", tid, f"Keep it in {WORDS} files")
    await emulator.edit_message(tid, mine, f"Keep it in {WORDS} files, or quaxolith")
    await eventually(lambda: _body_is(quorum, mine, f"Keep it in {WORDS} files, or quaxolith"))
    await emulator.add_reaction(bob, tid, tid, UP)  # bob upvotes carol's question
    await eventually(lambda: _score_is(quorum, tid, 1))
    assert "zyxquorpelt" in found(await search(emulator, "zyxquorpelt"))

    message, data = await forget_prompt(emulator, bob)
    assert "1 post" in data["content"] and "1 vote" in data["content"] and PLACEHOLDER in data["content"]
    controls = buttons(data)
    assert controls["Forget me"]["style"] == 4 and "Cancel" in controls  # 4: danger (red)

    # Somebody else cannot confirm bob's erasure.
    refused = await emulator.click_button(carol, world.text_channel_id, int(message["id"]),
                                          controls["Forget me"]["custom_id"])  # fmt: skip
    refusal = await refused.wait_response()
    assert refusal["data"]["flags"] & EPHEMERAL and "Only the member who asked" in refusal["data"]["content"]
    assert (await quorum.store.get_post(mine)).body != PLACEHOLDER

    click = await emulator.click_button(bob, world.text_channel_id, int(message["id"]),
                                        controls["Forget me"]["custom_id"])  # fmt: skip
    first = await click.wait_response()
    assert first["type"] == 7 and first["data"]["components"] == []
    assert first["data"]["allowed_mentions"] == {"parse": []}
    summary = (await eventually(lambda: _summary(click)))
    assert summary["flags"] & EPHEMERAL
    assert "erased: 1 post, 2 revisions" in summary["content"] and "1 vote" in summary["content"]

    async def still_erased() -> None:
        assert (await quorum.store.get_post(mine)).body == PLACEHOLDER
        page = await emulator.invoke_slash(carol, tid, "question", {})
        shown = str((await page.wait_response())["data"]["embeds"])
        assert PLACEHOLDER in shown and "zyxquorpelt" not in shown
        assert "Nothing found" in found(await search(emulator, "zyxquorpelt"))
        assert "Nothing found" in found(await search(emulator, "quaxolith"))

    await still_erased()
    assert (await quorum.store.get_question(tid)).score == 1, "bob's vote still counts"
    assert (await quorum.store.get_vote(tid, bob)) == 0, "but no longer names him"
    # Nor does Discord: his 👍 came off right after the erasure, and nothing is owed any more.
    await eventually(lambda: _settled(emulator, quorum, tid))
    assert (await quorum.store.recount()).differences == 0

    await quorum.restart()
    await caught_up(quorum)
    await still_erased()
    assert (await quorum.store.get_question(tid)).score == 1, "counted once across the restart"
    assert (await quorum.store.get_vote(tid, bob)) == 0
    assert await _settled(emulator, quorum, tid)
    assert (await quorum.store.recount()).differences == 0
    quorum.assert_alive()


async def test_cancel_erases_nothing(emulator, quorum):
    bob = member(emulator, "bob")
    await setup_forum(emulator)
    tid = await post_question(emulator, quorum, "bob", "A question bob keeps", "Its body stays")
    message, data = await forget_prompt(emulator, bob)
    await quorum.restart()  # the buttons still work after a restart
    click = await emulator.click_button(bob, emulator.world.text_channel_id, int(message["id"]),
                                        buttons(data)["Cancel"]["custom_id"])  # fmt: skip
    assert "Nothing was erased" in (await click.wait_response())["data"]["content"]
    assert (await quorum.store.get_post(tid)).body == "Its body stays"


async def test_quorum_forget_beside_the_running_bot(emulator, quorum):
    await setup_forum(emulator)
    tid = await post_question(emulator, quorum, "bob", "A question about vorpenskidd", "The vorpenskidd body")
    guild, bob = emulator.world.guild_id, member(emulator, "bob")
    liked = await answer(emulator, quorum, "carol", tid, "An answer bob likes")
    disliked = await answer(emulator, quorum, "carol", tid, "An answer bob dislikes")
    await emulator.add_reaction(bob, tid, liked, UP)
    await emulator.add_reaction(bob, tid, disliked, DOWN)
    await eventually(lambda: _score_is(quorum, disliked, -1))

    done = await asyncio.to_thread(quorum_cli, "forget", "--guild", str(guild), "--member", str(bob),
                                   database=quorum.database)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "erased: 1 post, 2 revisions, 1 title; kept anonymously: 2 votes, 0 log entries"
    assert (await quorum.store.get_post(tid)).body == PLACEHOLDER
    assert (await quorum.store.get_question(tid)).title == PLACEHOLDER
    await eventually(lambda: _nothing_found(emulator, "vorpenskidd"))
    # No Discord connection here: bob's reactions are still there, their removal owed.
    assert await quorum.store.owed_unreactions(tid) == {liked: {bob: 1}, disliked: {bob: -1}}

    # Bob takes his 👍 off himself: it is no vote any more, so the pseudonym's upvote stays, and
    # nothing is owed for it. Added again, it is a new vote of his, counted as any other.
    await emulator.remove_reaction(bob, tid, liked, UP)
    await eventually(lambda: _owes(quorum, tid, {disliked: {bob: -1}}))
    assert (await quorum.store.get_post(liked)).score == 1
    await emulator.add_reaction(bob, tid, liked, UP)
    await eventually(lambda: _score_is(quorum, liked, 2))
    assert await quorum.store.get_vote(liked, bob) == 1

    # The restart's catch-up takes the 👎 off and does not count it again.
    await quorum.restart()
    await caught_up(quorum)
    assert await quorum.store.owed_unreactions(tid) == {}
    assert bob not in emulator.world.reactions[disliked].get(DOWN, [])
    assert bob in emulator.world.reactions[liked][UP]
    assert [(await quorum.store.get_post(p)).score for p in (liked, disliked)] == [2, -1]
    assert await quorum.store.get_vote(disliked, bob) == 0
    assert (await quorum.store.recount()).differences == 0

    for bad in (("--guild", "abc", "--member", str(bob)), ("--guild", str(guild)),
                ("--guild", str(guild), "--member", "-5")):  # fmt: skip
        refused = await asyncio.to_thread(quorum_cli, "forget", *bad, database=quorum.database)
        assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) <= 2, refused.stderr
    quorum.assert_alive()


def test_quorum_forget_needs_an_existing_database(tmp_path):
    refused = quorum_cli("forget", "--guild", "1", "--member", "2", database=tmp_path / "none.db")
    assert refused.returncode == 2 and "no database" in refused.stderr
    assert not (tmp_path / "none.db").exists()


async def _settled(emulator, quorum, thread_id: int) -> bool:
    """Bob holds no reaction on the question any more, and none is owed removal."""
    held = emulator.world.reactions.get(thread_id, {}).get(UP, [])
    return member(emulator, "bob") not in held and await quorum.store.owed_unreactions(thread_id) == {}


async def _owes(quorum, thread_id: int, owed: dict) -> bool:
    return await quorum.store.owed_unreactions(thread_id) == owed


async def _nothing_found(emulator, text: str) -> bool:
    return "Nothing found" in found(await search(emulator, text))


async def _body_is(quorum, post_id: int, body: str) -> bool:
    return (await quorum.store.get_post(post_id)).body == body


async def _score_is(quorum, post_id: int, score: int) -> bool:
    return (await quorum.store.get_post(post_id)).score == score


async def _summary(click) -> dict | None:
    return next((m for m in click.followups if m.get("content", "").startswith("Done")), None)
