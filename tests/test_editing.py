"""/edit end to end: the asker's form prefilled with the question, the starter, thread name and tags
changed in Discord, revisions by the asker in the store and in /history, and all of it after a
restart; everyone and everywhere else refused."""

from __future__ import annotations

import pytest

from bot.forum.editing import check_edit
from bot.forum.errors import BadInput
from tests.harness import BotHarness, eventually
from tests.test_asking import _inputs, ask, final_message, world_tag
from tests.test_first_slice import setup_forum


async def _asked(emulator, quorum, title="How do I sync slash commands?", tags="python, help", who="bob"):
    inter = await ask(emulator, who=who, title=title, body="They never show up in my server.", tags=tags)
    await final_message(inter, emulator)
    [thread] = [t for t in emulator.world.threads.values() if t["name"] == title]
    tid = int(thread["id"])
    await eventually(lambda: quorum.store.question_posts(tid))
    return tid


async def _open_form(emulator, tid, who="bob"):
    world = emulator.world
    inter = await emulator.invoke_slash(world.members[who].id, tid, "edit")
    await inter.wait_response()
    return inter


def _fields(modal):
    inputs = list(_inputs(modal))
    by_label = {}
    for row in modal["components"]:
        if row.get("type") == 18:
            by_label[row["label"]] = row["component"]
    if by_label:
        return by_label
    return {c.get("label"): c for c in inputs}


async def _submit(emulator, inter, tid, title, body, tags, who="bob"):
    fields = _fields(inter.modal)
    values = {fields["Title"]["custom_id"]: title, fields["Details"]["custom_id"]: body,
              fields["Tags (comma-separated)"]["custom_id"]: tags}  # fmt: skip
    submit = await emulator.submit_modal(emulator.world.members[who].id, tid, inter.modal["custom_id"], values)
    await submit.wait_response()
    return await final_message(submit, emulator)


async def test_the_asker_edits_title_body_and_tags(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    bob = world.members["bob"].id
    tid = await _asked(emulator, quorum)

    inter = await _open_form(emulator, tid)
    assert inter.modal is not None, inter.responses
    fields = _fields(inter.modal)
    assert fields["Title"]["value"] == "How do I sync slash commands?"
    assert fields["Details"]["value"] == "They never show up in my server."
    assert fields["Title"]["max_length"] == 100 and fields["Details"]["max_length"] == 4000
    assert {t.strip() for t in fields["Tags (comma-separated)"]["value"].split(",")} == {"python", "help"}

    answer = await _submit(emulator, inter, tid, "How do I sync slash commands to one guild?",
                           "They never show up, even after tree.sync().", "discord.py, SQL")  # fmt: skip
    assert "Your question is updated" in answer["content"]

    async def check(restarted: bool) -> None:
        thread = world.channel(tid)
        assert thread["name"] == "How do I sync slash commands to one guild?"
        assert sorted(thread["applied_tags"]) == sorted([str(world_tag(world, "discord.py")),
                                                         str(world_tag(world, "sql"))])  # fmt: skip
        embed = world.message(tid, tid)["embeds"][0]
        assert embed["description"] == "They never show up, even after tree.sync()."
        assert embed["title"] == "How do I sync slash commands to one guild?"
        assert embed["author"]["url"].endswith(f"/users/{bob}")  # still the asker's question
        assert {f["name"]: f["value"] for f in embed["fields"]}["Tags"] == "discord.py, sql"
        question = await eventually(lambda: quorum.store.get_question(tid))
        assert question.title == "How do I sync slash commands to one guild?"
        assert question.tags == ("discord.py", "sql") and question.author_id == bob
        [body] = await quorum.store.question_posts(tid)
        assert body.body == "They never show up, even after tree.sync()."
        revisions = await quorum.store.revisions(tid)
        # Title and body, each an original and one edit by the asker; the gateway's events for the
        # same change added nothing.
        assert sorted((r.field, r.number, r.editor_id) for r in revisions) == [
            ("body", 1, bob), ("body", 2, bob), ("title", 1, bob), ("title", 2, bob)]  # fmt: skip
        history = await emulator.invoke_slash(bob, world.text_channel_id, "history", {"message": str(tid)})
        response = await history.wait_response()
        shown = response["data"]["embeds"][0]
        names = [f["name"] for f in shown["fields"]]
        assert "Title · revision 2 (edit 1)" in names and "Body · revision 2 (edit 1)" in names, (restarted, names)
        edits = [f["value"] for f in shown["fields"] if "edit 1" in f["name"]]
        assert all(f"<@{bob}>" in v for v in edits)
        assert any("tree.sync()" in v for v in edits) and any("to one guild" in v for v in edits)

    await check(False)
    await quorum.restart()
    await check(True)


async def test_edit_keeps_score_and_works_in_a_text_channel(emulator, quorum):
    world = emulator.world
    setup = await emulator.invoke_slash(world.members["alice"].id, world.text_channel_id, "quorum setup",
                                        {"channel": world.text_channel_id})  # fmt: skip
    await setup.wait_response()
    tid = await _asked(emulator, quorum, title="Where do the logs go?", tags="logging")
    inter = await _open_form(emulator, tid)
    answer = await _submit(emulator, inter, tid, "Where do the bot's logs go?", "Nothing in ./logs either.",
                           "logging, files")  # fmt: skip
    assert "Your question is updated" in answer["content"]
    assert world.channel(tid)["name"] == "Where do the bot's logs go?"
    embed = world.message(world.text_channel_id, tid)["embeds"][0]  # the starter stays in the text channel
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert embed["description"] == "Nothing in ./logs either." and fields["Tags"] == "logging, files"
    assert fields["Score"] == "0"
    await quorum.restart()
    question = await quorum.store.get_question(tid)
    assert (question.title, question.tags) == ("Where do the bot's logs go?", ("logging", "files"))
    [body] = await quorum.store.question_posts(tid)
    assert body.body == "Nothing in ./logs either."
    assert len(await quorum.store.revisions(tid)) == 4


async def test_edit_is_refused_to_others_and_elsewhere(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    tid = await _asked(emulator, quorum)

    async def refusal(who, channel):
        inter = await emulator.invoke_slash(world.members[who].id, channel, "edit")
        response = await inter.wait_response()
        assert inter.modal is None and inter.ephemeral
        return response["data"]["content"]

    assert "Only the member who asked" in await refusal("carol", tid)
    assert "Only the member who asked" in await refusal("mod", tid)
    assert "/ask" in await refusal("bob", world.text_channel_id)
    native = await emulator.create_forum_post(world.members["dave"].id, "My own forum post here", "Body.")
    await eventually(lambda: quorum.store.get_question(int(native["id"])))
    assert "edit it in Discord" in await refusal("dave", int(native["id"]))
    assert world.channel(tid)["name"] == "How do I sync slash commands?"


async def test_a_form_submitted_by_someone_else_changes_nothing(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    tid = await _asked(emulator, quorum)
    inter = await _open_form(emulator, tid)
    answer = await _submit(emulator, inter, tid, "Hijacked title", "Hijacked body", "", who="carol")
    assert "Only the member who asked" in answer["content"]
    assert world.channel(tid)["name"] == "How do I sync slash commands?"
    assert len(await quorum.store.revisions(tid)) == 2


def test_the_solved_tag_follows_acceptance_not_the_form():
    available = ["python", "sql", "Solved"]
    assert check_edit("A fine title", "b", "python, Solved", available, solved=False).tags == ("python",)
    assert check_edit("A fine title", "b", "sql", available, solved=True).tags == ("sql", "Solved")
    with pytest.raises(BadInput, match="those you cannot change included"):
        check_edit("A fine title", "b", "a,b,c,d,e", ["a", "b", "c", "d", "e", "Solved"], solved=True)


def test_moderated_tags_stay_as_they_are_for_the_asker():
    available = ["python", "sql", "staff-pick", "announce"]
    fixed = {"staff-pick", "announce"}
    edit = check_edit("A fine title", "b", "sql, announce", available, solved=False, current=("python", "staff-pick"),
                      fixed=fixed)  # fmt: skip
    assert edit.tags == ("sql", "staff-pick")  # cannot add announce, cannot drop staff-pick
    assert check_edit("A fine title", "b", "sql, announce", available, solved=False, current=("staff-pick",)).tags \
        == ("sql", "announce")  # a moderator (nothing fixed) changes them  # fmt: skip


@pytest.fixture
async def fast(emulator, tmp_path):
    """The bot with a short summary window, so the starter's Score and Best answers come quickly."""
    harness = BotHarness(emulator, tmp_path / "quorum.db", summary_delay=0.05)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def test_an_edit_keeps_the_score_and_best_answers_of_the_starter(emulator, fast):
    world = emulator.world
    await setup_forum(emulator)
    tid = await _asked(emulator, fast)
    answer = await emulator.post_message(world.members["carol"].id, tid, "Sync to the guild while developing.")
    await eventually(lambda: fast.store.get_post(int(answer["id"])))
    await emulator.add_reaction(world.members["dave"].id, tid, tid, "👍")
    await emulator.add_reaction(world.members["dave"].id, tid, int(answer["id"]), "👍")

    def starter_fields():
        return {f["name"]: f["value"] for f in world.message(tid, tid)["embeds"][0]["fields"]}

    await emulator.wait_for(lambda: starter_fields().get("Score") == "1" and "Best answers" in starter_fields())
    inter = await _open_form(emulator, tid)
    answer_text = await _submit(emulator, inter, tid, "How do I sync slash commands quickly?",
                                "A new body, the score kept.", "python")  # fmt: skip
    assert "Your question is updated" in answer_text["content"]
    fields = starter_fields()
    assert fields["Score"] == "1" and "Sync to the guild" in fields["Best answers"] and fields["Tags"] == "python"
    assert world.message(tid, tid)["embeds"][0]["description"] == "A new body, the score kept."
    # A vote after the edit re-renders the summary without putting the old text back.
    await emulator.add_reaction(world.members["alice"].id, tid, tid, "👍")
    await emulator.wait_for(lambda: starter_fields().get("Score") == "2")
    assert world.message(tid, tid)["embeds"][0]["description"] == "A new body, the score kept."
    body = await fast.store.get_post(tid)
    assert body.body == "A new body, the score kept." and body.score == 2
    assert [r.text for r in await fast.store.revisions(tid) if r.field == "body"] == [
        "They never show up in my server.", "A new body, the score kept."]  # fmt: skip


async def test_an_idle_archived_question_is_unarchived_to_be_edited(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    tid = await _asked(emulator, quorum)
    await emulator.archive_thread(tid)
    inter = await _open_form(emulator, tid)
    answer = await _submit(emulator, inter, tid, "How do I sync slash commands?", "Only the body changes.",
                           "python, help")  # fmt: skip
    assert "Your question is updated" in answer["content"]
    assert not world.channel(tid)["thread_metadata"]["archived"]
    assert world.message(tid, tid)["embeds"][0]["description"] == "Only the body changes."
    assert [r.field for r in await quorum.store.revisions(tid)].count("title") == 1  # the title did not change


async def test_a_moderated_tag_stays_when_the_asker_edits(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    for tag in world.channel(world.forum_channel_id)["available_tags"]:
        tag["moderated"] = tag["name"] == "help"  # only Manage Threads may add or remove it
    await quorum.restart()
    tid = await _asked(emulator, quorum)  # python, help
    inter = await _open_form(emulator, tid)
    await _submit(emulator, inter, tid, "How do I sync slash commands?", "Same body.", "sql")
    expected = sorted(str(world_tag(world, name)) for name in ("sql", "help"))
    assert sorted(world.channel(tid)["applied_tags"]) == expected
    assert sorted((await quorum.store.get_question(tid)).tags) == ["help", "sql"]
