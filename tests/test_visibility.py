"""Nothing is shown to a member that they could not read in Discord: a questions channel whose
permission overwrites deny them View Channel keeps its questions out of their /search, /question,
/history and /profile, and hidden questions never take the places of the ones they may see."""

from __future__ import annotations

from functools import partial

from tests.harness import eventually
from tests.test_first_slice import setup_forum

EPHEMERAL = 64
VIEW_CHANNEL = 1 << 10


def member(emulator, name: str) -> int:
    return emulator.world.members[name].id


async def run(emulator, user: str, name: str, *, shown_to_all: bool = False, **options) -> dict:
    inter = await emulator.invoke_slash(member(emulator, user), emulator.world.text_channel_id, name, options)
    response = await inter.wait_response()
    assert bool(response["data"].get("flags", 0) & EPHEMERAL) is not shown_to_all
    return response["data"]


async def hidden_from(quorum, channel_id: int, user_id: int) -> bool:
    guild = quorum.bot.get_channel(channel_id).guild
    return not guild.get_channel(channel_id).permissions_for(guild.get_member(user_id)).view_channel


async def hide_forum_from(emulator, quorum, name: str) -> None:
    forum, who = emulator.world.forum_channel_id, member(emulator, name)
    await emulator.edit_channel_overwrite(forum, who, deny=VIEW_CHANNEL, type=1)
    await eventually(partial(hidden_from, quorum, forum, who))


def found(data: dict) -> tuple[str, str]:
    embed = data["embeds"][0]
    return embed["description"], embed["footer"]["text"]


def best_posts(data: dict) -> str:
    return next(f["value"] for f in data["embeds"][0]["fields"] if f["name"] == "Best posts")


async def test_a_channel_hidden_by_an_overwrite_hides_its_questions_from_that_member(emulator, quorum):
    await setup_forum(emulator)
    bob, carol = member(emulator, "bob"), member(emulator, "carol")
    thread = await emulator.create_forum_post(bob, "Frobnicate the widgets", "How do I frobnicate them?")
    tid = int(thread["id"])
    answer = await emulator.post_message(carol, tid, "Frobnicate them gently.")
    aid = int(answer["id"])
    await eventually(lambda: quorum.store.get_post(aid))
    await hide_forum_from(emulator, quorum, "dave")

    for restarted in (False, True):
        description, footer = found(await run(emulator, "dave", "search", query="frobnicate"))
        assert "Nothing found" in description and footer.endswith("0 questions"), restarted
        description, footer = found(await run(emulator, "carol", "search", query="frobnicate"))
        assert "Frobnicate the widgets" in description and footer.endswith("1 question"), restarted
        for command, options in (("question", {"question": str(tid), "public": True}),
                                 ("history", {"message": str(aid)})):  # fmt: skip
            refused = await run(emulator, "dave", command, **options)
            assert "embeds" not in refused and "know" in refused["content"], (command, restarted)
        assert "*Nothing to show here.*" == best_posts(await run(emulator, "dave", "profile", member=str(carol)))
        assert "Frobnicate the widgets" in best_posts(await run(emulator, "bob", "profile", member=str(carol)))
        # Carol may read it, but a page she posts for everyone in #general, which dave reads, may not show it.
        refused = await run(emulator, "carol", "question", question=str(tid), public=True)
        assert "embeds" not in refused and "only to you" in refused["content"], restarted
        posted = await run(emulator, "carol", "profile", shown_to_all=True, public=True)
        assert best_posts(posted) == "*Nothing to show here.*", restarted
        if not restarted:
            await quorum.restart()


async def test_hidden_questions_never_crowd_out_the_ones_a_member_may_see(emulator, quorum):
    """The search ranks a bounded number of the newest matches and a profile lists a few best posts:
    hidden ones are left out before those bounds, not after, or they would push the visible ones out."""
    world = emulator.world
    bob, carol = member(emulator, "bob"), member(emulator, "carol")
    # An older question in the text channel, asked while it was the questions channel...
    await setup_forum(emulator, channel=world.text_channel_id)
    visible = int((await emulator.create_thread(carol, world.text_channel_id, "Zebra stripes"))["id"])
    visible_answer = int((await emulator.post_message(bob, visible, "A zebra answer anyone can read"))["id"])
    await eventually(lambda: quorum.store.get_post(visible_answer))
    # ...then many newer matches in the forum that became the questions channel.
    await setup_forum(emulator)
    hidden = int((await emulator.create_forum_post(carol, "Staff only", "A zebra question"))["id"])
    answers = [int((await emulator.post_message(bob, hidden, f"zebra note {n}"))["id"]) for n in range(320)]
    await eventually(lambda: quorum.store.get_post(answers[-1]), timeout=30)
    # Bob's best answers are all hidden from dave but one.
    await quorum.store.writer.run_sync(partial(_set_scores, {a: 5 for a in answers[:12]} | {visible_answer: 1}))
    await hide_forum_from(emulator, quorum, "dave")

    for restarted in (False, True):
        description, footer = found(await run(emulator, "dave", "search", query="zebra"))
        assert "Zebra stripes" in description and "Staff only" not in description, restarted
        assert footer.endswith("1 question"), footer
        shown = best_posts(await run(emulator, "dave", "profile", member=str(bob)))
        assert "Zebra stripes" in shown and "Staff only" not in shown, restarted
        assert "Staff only" in best_posts(await run(emulator, "carol", "profile", member=str(bob)))
        if not restarted:
            await quorum.restart()


def _set_scores(scores: dict[int, int], conn) -> None:
    # The maintained counter as votes would leave it (votes themselves are not the point here).
    for post_id, score in scores.items():
        conn.execute("UPDATE posts SET score = ? WHERE id = ?", (score, post_id))
