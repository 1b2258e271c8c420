"""The live "best answers" summary: what it lists, where it lives, how often it is edited.

The policy and the selection are tested as pure functions; everything else through the real bot
and the emulator, counting the REST calls the bot makes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.forum.models import AnswerView, Post, PostKind, Question, ThreadView
from bot.forum.summary import OWN, Coalescer, Place, summarise
from cogs.convert import ASKER_URL, asked_starter_info, asked_tags
from tests.harness import BotHarness, eventually
from tests.test_first_slice import setup_forum

UP, DOWN = "\N{THUMBS UP SIGN}", "\N{THUMBS DOWN SIGN}"
WINDOW = 0.4  # the summary delay in these tests; Discord-facing default is 3 s


# ----- pure: the coalescing policy and what is listed -------------------------------------------


def test_coalescer_folds_changes_into_one_edit_per_window():
    c = Coalescer(3.0)
    assert c.changed(1, now=10.0) == 13.0  # the first change schedules an edit
    assert c.changed(1, now=11.0) is None and c.changed(1, now=12.9) is None  # folded into it
    assert c.changed(2, now=11.0) == 14.0  # threads are independent
    assert c.pending() == [1, 2]
    assert c.take(1) and not c.take(1)  # the edit starts; a flush finds nothing left to do
    # A change during the edit opens a new window: nothing lost, and no edit before 13 + 3.
    assert c.changed(1, now=13.1) == 16.1
    with pytest.raises(ValueError):
        Coalescer(-1)


def _post(pid: int, score: int, minutes: int, kind=PostKind.ANSWER) -> Post:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    return Post(pid, 100, 1, kind, author_id=pid + 1000, body=f"answer {pid}", created_at=at, score=score)


def test_summary_lists_the_page_order_without_downvoted_answers():
    q = Question(100, 1, 5, "t", 7, datetime(2026, 1, 1, tzinfo=UTC), starter_id=100, score=4, accepted_answer_id=3)
    answers = [_post(3, -1, 3), _post(1, 5, 1), _post(2, 5, 2), _post(4, 0, 4), _post(5, -2, 5)]
    view = ThreadView(q, _post(100, 4, 0, PostKind.QUESTION), [AnswerView(a, a.id == 3) for a in answers])
    summary = summarise(view, top=3)
    # The view's order is kept (accepted first whatever its score); below zero is left out.
    assert [(line.rank, line.answer.id, line.accepted) for line in summary.lines] == [(1, 3, True), (2, 1, False),
                                                                                      (3, 2, False)]  # fmt: skip
    assert summary.question_score == 4 and summary.answers == 5
    assert [line.answer.id for line in summarise(view).lines] == [3, 1, 2, 4]
    assert not summarise(ThreadView(q, None, [AnswerView(_post(5, -2, 5), False)])).has_content


# ----- through the bot ---------------------------------------------------------------------


@pytest.fixture
async def fast(emulator, tmp_path):
    """The bot with a short summary window, so tests wait fractions of a second."""
    harness = BotHarness(emulator, tmp_path / "quorum.db", summary_delay=WINDOW)
    await harness.start()
    try:
        yield harness
        if harness.app is not None:
            harness.assert_alive()
    finally:
        await harness.stop()
    assert not [r for r in emulator.requests if r.method == "PUT" and "/pins/" in r.path], "the bot pins nothing here"


async def forum_thread(emulator, quorum, answers=("First answer", "Second answer", "Third answer")):
    world = emulator.world
    await setup_forum(emulator)
    authors = [world.members[n].id for n in ("carol", "dave", "mod")]
    thread = await emulator.create_forum_post(world.members["bob"].id, "Which is best?", "Tell me.")
    tid = int(thread["id"])
    ids = []
    for author, text in zip(authors, answers, strict=False):
        ids.append(int((await emulator.post_message(author, tid, text))["id"]))
    await eventually(lambda: quorum.store.get_post(ids[-1]))
    return tid, ids


def bot_messages(emulator, channel_id):
    bot = str(emulator.world.bot_user_id)
    return [m for m in emulator.world.messages.get(channel_id, {}).values() if m["author"]["id"] == bot]


def summary_of(emulator, tid):
    """The description of the bot's summary message in a native thread ("" while there is none)."""
    found = [m for m in bot_messages(emulator, tid) if m.get("embeds")]
    return found[0]["embeds"][0]["description"] if found else ""


def edits_of(emulator, channel_id, message_id=None):
    return [r for r in emulator.requests if r.method == "PATCH"
            and r.path.startswith(f"/channels/{channel_id}/messages/")
            and (message_id is None or r.path.endswith(f"/{message_id}"))]  # fmt: skip


def posts_to(emulator, channel_id):
    return [r for r in emulator.requests if r.method == "POST" and r.path == f"/channels/{channel_id}/messages"]


async def test_votes_on_answers_are_listed_in_order_with_jump_links(emulator, fast):
    world = emulator.world
    tid, (a1, a2, a3) = await forum_thread(emulator, fast)
    assert summary_of(emulator, tid) == "", "nothing to summarise before the first vote"
    voters = [world.members[n].id for n in ("bob", "alice")]
    for voter in voters:
        await emulator.add_reaction(voter, tid, a2, UP)
    await emulator.add_reaction(voters[0], tid, a3, UP)
    await emulator.add_reaction(voters[0], tid, a1, DOWN)

    def listed():
        text = summary_of(emulator, tid)
        return text if "+2" in text and "+1" in text else None

    text = await emulator.wait_for(listed, message="the summary never listed the votes")
    lines = text.splitlines()
    assert [line.split(" ")[0] for line in lines] == ["1.", "2."], "a downvoted answer is not a best answer"
    assert "**+2**" in lines[0] and "Second answer" in lines[0] and f"<@{world.members['dave'].id}>" in lines[0]
    assert f"https://discord.com/channels/{world.guild_id}/{tid}/{a2}" in lines[0]
    assert "**+1**" in lines[1] and "Third answer" in lines[1]
    [message] = bot_messages(emulator, tid)
    assert len(posts_to(emulator, tid)) == 1
    assert message["id"] not in {str(m) for m, _ in world.pins.get(tid, [])}
    # It never pings, and it is not mirrored as an answer.
    post = [r for r in posts_to(emulator, tid)][0]
    assert post.json["allowed_mentions"] == {"parse": []}
    assert await fast.store.get_post(int(message["id"])) is None


async def test_a_burst_of_votes_makes_at_most_two_edits(emulator, fast):
    world = emulator.world
    tid, (a1, a2, _) = await forum_thread(emulator, fast)
    await emulator.add_reaction(world.members["bob"].id, tid, a1, UP)
    await emulator.wait_for(lambda: "+1" in summary_of(emulator, tid))
    [message] = bot_messages(emulator, tid)
    before = len(edits_of(emulator, tid))
    voters = [world.add_member(f"voter{i}") for i in range(20)]
    for voter in voters:  # 20 votes within one window
        await emulator.add_reaction(voter, tid, a2, UP)

    async def all_counted():
        return (await fast.store.get_post(a2)).score == 20

    await eventually(all_counted)
    await emulator.wait_for(lambda: "**+20**" in summary_of(emulator, tid), timeout=5)
    edits = edits_of(emulator, tid, message["id"])[before:]
    assert 1 <= len(edits) <= 2, [r.path for r in edits]
    assert len(posts_to(emulator, tid)) == 1, "edited, never posted again"
    assert summary_of(emulator, tid).splitlines()[0].startswith("1. **+20**")


async def test_the_ask_starter_shows_score_and_best_answers_and_stays_a_question(emulator, fast):
    world = emulator.world
    await setup_forum(emulator)
    bob, carol, dave = (world.members[n].id for n in ("bob", "carol", "dave"))
    options = {"title": "Asked by command", "body": "The body.", "tags": "python"}
    inter = await emulator.invoke_slash(bob, world.text_channel_id, "ask", options)
    await emulator.wait_for(lambda: inter.followups, message="no answer to /ask")
    [thread] = [t for t in world.threads.values() if t["name"] == "Asked by command"]
    tid = int(thread["id"])
    answer = int((await emulator.post_message(carol, tid, "Use a decorator."))["id"])
    await eventually(lambda: fast.store.get_post(answer))
    await emulator.add_reaction(dave, tid, answer, UP)
    await emulator.add_reaction(dave, tid, tid, UP)  # on the question: the starter's Score
    await emulator.add_reaction(carol, tid, tid, UP)

    def starter_fields():
        embed = world.find_message(tid)["embeds"][0]
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        return fields if fields.get("Score") == "2" and "Best answers" in fields else None

    fields = await emulator.wait_for(starter_fields, message="the starter was never updated")
    assert "**+1**" in fields["Best answers"] and "Use a decorator." in fields["Best answers"]
    embed = world.find_message(tid)["embeds"][0]
    assert embed["author"]["url"] == ASKER_URL.format(bob) and embed["description"] == "The body."
    assert [f["name"] for f in embed["fields"]] == ["Tags", "Score", "Best answers"]
    assert len(posts_to(emulator, tid)) == 0, "an /ask question's summary is its starter"

    # cogs/convert.py still reads the edited starter as bob's question, and no revision appeared.
    message = fast.bot.get_channel(tid).get_partial_message(tid)
    fetched = await message.fetch()
    assert asked_starter_info(fetched, thread_id=tid).author_id == bob and asked_tags(fetched) == ("python",)
    await emulator.post_message(dave, tid, "A later answer")  # processed after the edit's MESSAGE_UPDATE
    await eventually(lambda: _answers(fast, tid, 2))
    assert [r.number for r in await fast.store.revisions(tid) if r.field == "body"] == [1]
    assert (await fast.store.get_post(tid)).body == "The body."


async def test_a_deleted_summary_is_posted_again(emulator, fast):
    world = emulator.world
    tid, (a1, _, _) = await forum_thread(emulator, fast)
    await emulator.add_reaction(world.members["bob"].id, tid, a1, UP)
    await emulator.wait_for(lambda: "+1" in summary_of(emulator, tid))
    [first] = bot_messages(emulator, tid)
    await emulator.delete_message(tid, int(first["id"]))
    await emulator.add_reaction(world.members["alice"].id, tid, a1, UP)
    await emulator.wait_for(lambda: "+2" in summary_of(emulator, tid))
    [second] = bot_messages(emulator, tid)
    assert second["id"] != first["id"]

    async def remembered():  # written just after Discord answered the post
        return await fast.service.summary_place(tid) == Place(OWN, tid, int(second["id"]))

    await eventually(remembered)


async def test_the_summary_survives_a_restart_and_heals_from_the_store(emulator, fast):
    world = emulator.world
    tid, (a1, a2, _) = await forum_thread(emulator, fast)
    await emulator.add_reaction(world.members["bob"].id, tid, a1, UP)
    await emulator.wait_for(lambda: "+1" in summary_of(emulator, tid))
    await fast.stop()
    await fast.start()
    # A vote after the restart edits the same message, from what the store holds.
    await emulator.add_reaction(world.members["bob"].id, tid, a2, UP)
    await emulator.add_reaction(world.members["alice"].id, tid, a2, UP)
    await emulator.wait_for(lambda: summary_of(emulator, tid).startswith("1. **+2**"))
    assert len(bot_messages(emulator, tid)) == 1 and len(posts_to(emulator, tid)) == 1


async def test_pending_edits_are_flushed_at_a_clean_stop(emulator, tmp_path):
    world = emulator.world
    harness = BotHarness(emulator, tmp_path / "quorum.db", summary_delay=60.0)  # the window never ends
    await harness.start()
    try:
        tid, (a1, _, _) = await forum_thread(emulator, harness)
        await emulator.add_reaction(world.members["bob"].id, tid, a1, UP)

        async def counted():
            return (await harness.store.get_post(a1)).score == 1

        await eventually(counted)
        assert summary_of(emulator, tid) == ""
    finally:
        await harness.stop()
    assert "**+1**" in summary_of(emulator, tid)


async def test_nothing_is_posted_for_a_downvote_only_thread(emulator, fast):
    world = emulator.world
    tid, (a1,) = await forum_thread(emulator, fast, answers=("Only answer",))
    await emulator.add_reaction(world.members["bob"].id, tid, a1, DOWN)

    async def counted():
        return (await fast.store.get_post(a1)).score == -1

    await eventually(counted)
    await emulator.wait_for(lambda: not fast.bot.get_cog("LiveSummary").coalescer.pending())
    await fast.bot.get_cog("LiveSummary").refresh(tid)
    assert bot_messages(emulator, tid) == []


async def _answers(quorum, tid, n):
    view = await quorum.service.thread_view(tid)
    return len(view.answers) == n


async def test_a_pinned_answer_is_listed_first_as_accepted(emulator, fast):
    world = emulator.world
    tid, (a1, a2, _) = await forum_thread(emulator, fast)
    await emulator.add_reaction(world.members["bob"].id, tid, a1, UP)
    await emulator.wait_for(lambda: "+1" in summary_of(emulator, tid))
    await emulator.pin(world.members["mod"].id, tid, a2)  # a moderator accepts the second answer
    await emulator.wait_for(lambda: summary_of(emulator, tid).startswith("1. ✔ **+0**"))
    assert "Second answer" in summary_of(emulator, tid).splitlines()[0]
    [message] = bot_messages(emulator, tid)
    assert int(message["id"]) not in world.pinned_ids(tid), "only the accepted answer is pinned"


def test_summary_delay_setting(tmp_path):
    from bot.config import ConfigError, load_settings

    base = {"DISCORD_TOKEN": "x.y.z", "DATABASE_URL": f"sqlite:///{tmp_path}/q.db"}
    assert load_settings(base, require_token=False).summary_delay == 3.0
    assert load_settings({**base, "QUORUM_SUMMARY_DELAY": "5"}, require_token=False).summary_delay == 5.0
    for bad in ("0.1", "soon", "1000"):  # below a second a storm would outpace Discord's rate limits
        with pytest.raises(ConfigError, match="QUORUM_SUMMARY_DELAY"):
            load_settings({**base, "QUORUM_SUMMARY_DELAY": bad}, require_token=False)
