"""/unanswered end to end: "Still need help" first (pressed on a nudge), then questions without an
answer, then answered ones without an accepted answer; oldest or best scored first; the tag filter;
pages with buttons; questions in channels the member cannot read never shown; accepted, closed and
deleted questions left out; the same after a restart."""

from __future__ import annotations

import re

from emulator.permissions import VIEW_CHANNEL
from tests.harness import eventually
from tests.test_accepting import _final, accepted
from tests.test_first_slice import setup_forum
from tests.test_followups import HOUR, nudges, started
from tests.test_reading import buttons, member

LINK = re.compile(r"\]\(https://discord\.com/channels/\d+/(\d+)\)")



async def question(emulator, quorum, who: str, title: str, tags=(), answers=()) -> int:
    thread = await emulator.create_forum_post(member(emulator, who), title, f"{title}?",
                                              applied_tags=[str(emulator.tag_id(t)) for t in tags])  # fmt: skip
    tid = int(thread["id"])
    for name in answers:
        await emulator.post_message(member(emulator, name), tid, f"An answer by {name}")
    await eventually(lambda: _posts(quorum, tid, 1 + len(answers)))
    return tid


async def unanswered(emulator, who: str, **options) -> tuple[list[int], dict]:
    inter = await emulator.invoke_slash(member(emulator, who), emulator.world.text_channel_id, "unanswered", options)
    data = (await inter.wait_response())["data"]
    return _listed(data), inter


def _listed(data: dict) -> list[int]:
    embeds = data.get("embeds") or [{"description": ""}]
    return [int(t) for t in LINK.findall(embeds[0]["description"])]


async def test_unanswered_order_tags_pages_and_visibility(emulator, timed):
    quorum, clock = timed
    world = emulator.world
    await setup_forum(emulator, moderator_role=world.moderator_role_id)
    answered = await question(emulator, quorum, "bob", "Answered, none accepted", ["python"], ["carol"])
    helpless = await question(emulator, quorum, "bob", "Answered, still needs help", ["sql"], ["dave"])
    old = await question(emulator, quorum, "bob", "Old without answers", ["python"])
    new = await question(emulator, quorum, "carol", "New without answers", ["sql"])
    solved = await question(emulator, quorum, "bob", "Solved", ["python"], ["carol"])
    closed = await question(emulator, quorum, "carol", "Closed", ["python"])
    gone = await question(emulator, quorum, "carol", "Deleted", ["python"])
    solution = max(world.messages[solved])
    await emulator.pin(member(emulator, "mod"), solved, solution)
    await accepted(quorum, solved, solution)
    closing = await emulator.invoke_slash(member(emulator, "mod"), closed, "close", {"reason": "off topic"})
    await _final(emulator, closing)
    await emulator.delete_thread(gone)
    await eventually(lambda: _deleted(quorum, gone))

    # The asker of `helpless` says none of its answers helped, on the nudge a day later.
    await started(quorum)
    clock.now += 25 * HOUR
    await quorum.app.run_followups()
    (nudge,) = nudges(emulator, helpless)
    click = await emulator.click_button(member(emulator, "bob"), helpless, int(nudge["id"]),
                                        buttons(nudge)["Still need help"]["custom_id"])  # fmt: skip
    assert "top of `/unanswered`" in (await _final(emulator, click))["content"]

    listed, inter = await unanswered(emulator, "dave")
    assert listed == [helpless, old, new, answered]
    description = inter.original_message["embeds"][0]["description"]
    assert "still needs help" in description and "no answers yet" in description and "none accepted" in description
    assert inter.original_message["flags"] & 64 and buttons(inter.original_message) == {}, "one page, no buttons"

    await emulator.add_reaction(member(emulator, "alice"), new, new, "👍")
    await eventually(lambda: _score(quorum, new, 1))
    assert (await unanswered(emulator, "dave", sort="votes"))[0] == [helpless, new, old, answered]
    assert (await unanswered(emulator, "dave", tag="Python"))[0] == [old, answered], "tags match whatever their case"
    _, refused = await unanswered(emulator, "dave", tag="nosuchtag")
    assert "No question here has the tag" in refused.responses[0]["data"]["content"]

    # Pages of ten, turned with the shared buttons (the tag and the sort stay), also after a restart.
    more = [await question(emulator, quorum, "carol", f"More {n}", ["python"]) for n in range(10)]
    listed, inter = await unanswered(emulator, "dave", tag="python", sort="votes")
    assert listed == [old, *more[:9]]
    first_page = inter.original_message
    assert "tagged python" in first_page["embeds"][0]["title"]
    await quorum.restart()
    turn = await emulator.click_button(member(emulator, "dave"), world.text_channel_id, int(first_page["id"]),
                                       buttons(first_page)["▶"]["custom_id"])  # fmt: skip
    page_two = (await turn.wait_response())["data"]
    assert turn.response_type == 7 and "page 2" in page_two["embeds"][0]["footer"]["text"]
    assert _listed(page_two) == [*more[9:], answered]
    assert (await unanswered(emulator, "dave"))[0][0] == helpless, "the flag outlives the restart"

    # A member who cannot see the questions channel sees none of its questions.
    await emulator.edit_channel_overwrite(world.forum_channel_id, member(emulator, "dave"), deny=VIEW_CHANNEL, type=1)
    await eventually(lambda: _hidden(quorum, world, member(emulator, "dave")))
    listed, inter = await unanswered(emulator, "dave")
    assert listed == [] and "Nothing waiting" in inter.original_message["embeds"][0]["description"]
    assert (await unanswered(emulator, "carol"))[0][:2] == [helpless, old]


async def _posts(quorum, thread_id: int, count: int) -> bool:
    return len(await quorum.store.question_posts(thread_id)) == count


async def _deleted(quorum, thread_id: int) -> bool:
    return (await quorum.store.get_question(thread_id)).deleted_at is not None


async def _score(quorum, post_id: int, score: int) -> bool:
    return (await quorum.store.get_question(post_id)).score == score


async def _hidden(quorum, world, user_id: int) -> bool:
    forum = quorum.bot.get_guild(world.guild_id).get_channel(world.forum_channel_id)
    return not forum.permissions_for(forum.guild.get_member(user_id)).view_channel


async def test_the_answer_count_leaves_out_the_askers_own_messages(emulator, timed):
    """The count of answers says what "answered" means: answers by others. The asker's own follow-ups in the
    thread ("Thanks, trying it") are no answers."""
    quorum, _clock = timed
    await setup_forum(emulator)
    only_asker = await question(emulator, quorum, "bob", "Only the asker wrote", answers=["bob", "bob"])
    one = await question(emulator, quorum, "bob", "One answer by someone else", answers=["carol", "bob", "bob"])
    listed, inter = await unanswered(emulator, "dave")
    assert listed == [only_asker, one]
    lines = inter.original_message["embeds"][0]["description"].split("\n")
    states = [lines[i + 1] for i, line in enumerate(lines) if LINK.search(line)]
    assert states[0].startswith("no answers yet ·"), states
    assert states[1].startswith("1 answer, none accepted ·"), states
