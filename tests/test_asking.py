"""/ask end to end: the thread, its starter, the asker as author, the form, and bad input refused."""

from __future__ import annotations

import pytest

from bot.forum.asking import check_draft
from bot.forum.errors import BadInput
from bot.forum.models import PostKind
from tests.harness import eventually
from tests.test_first_slice import setup_forum


async def ask(emulator, who="bob", channel=None, **options):
    world = emulator.world
    inter = await emulator.invoke_slash(world.members[who].id, channel or world.text_channel_id, "ask", options)
    await inter.wait_response()
    return inter


async def final_message(inter, emulator):
    """The text the member finally sees: the deferred answer's follow-up, or the direct answer."""
    await emulator.wait_for(lambda: inter.followups or inter.response_type == 4, message="no answer")
    return inter.followups[-1] if inter.followups else inter.responses[0]["data"]


async def test_ask_creates_a_forum_post_authored_by_the_asker(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    bob = world.members["bob"].id
    inter = await ask(emulator, title="Why does my command not show up?", body="I synced but see nothing.",
                      tags="discord.py, HELP")  # fmt: skip
    answer = await final_message(inter, emulator)
    assert inter.ephemeral and "Your question is up" in answer["content"]

    [thread] = [t for t in world.threads.values() if t["name"] == "Why does my command not show up?"]
    tid = int(thread["id"])
    assert int(thread["parent_id"]) == world.forum_channel_id
    expected_tags = [str(world_tag(world, "discord.py")), str(world_tag(world, "help"))]
    assert sorted(thread["applied_tags"]) == sorted(expected_tags)
    starter = world.message(tid, tid)
    assert int(starter["author"]["id"]) == world.bot_user_id
    embed = starter["embeds"][0]
    assert embed["description"] == "I synced but see nothing."
    assert embed["author"]["url"].endswith(f"/users/{bob}")

    question = await eventually(lambda: quorum.store.get_question(tid))
    assert (question.author_id, question.title, question.tags) == (bob, "Why does my command not show up?",
                                                                     ("discord.py", "help"))  # fmt: skip
    [body] = await quorum.store.question_posts(tid)
    assert (body.kind, body.author_id, body.body) == (PostKind.QUESTION, bob, "I synced but see nothing.")

    # Answers go under it, and after a restart it is the same question, once.
    await emulator.post_message(world.members["carol"].id, tid, "Sync to your guild while developing.")
    await eventually(lambda: _count(quorum, tid, 2))
    await quorum.restart()
    assert [q.author_id for q in await quorum.store.list_questions(world.guild_id)] == [bob]
    assert len(await quorum.store.revisions(tid)) == 2  # title and body, each once


async def test_ask_in_a_text_channel_makes_a_public_thread(emulator, quorum):
    world = emulator.world
    setup = await emulator.invoke_slash(world.members["alice"].id, world.text_channel_id, "quorum setup",
                                        {"channel": world.text_channel_id})  # fmt: skip
    await setup.wait_response()
    inter = await ask(emulator, title="Where do logs go?", body="I cannot find them.", tags="Logging")
    await final_message(inter, emulator)
    [thread] = [t for t in world.threads.values() if t["name"] == "Where do logs go?"]
    assert int(thread["parent_id"]) == world.text_channel_id and thread["type"] == 11
    question = await eventually(lambda: quorum.store.get_question(int(thread["id"])))
    assert question.author_id == world.members["bob"].id and question.tags == ("logging",)


async def test_ask_without_body_opens_a_form(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    inter = await ask(emulator, title="Prefilled title here")
    assert inter.modal is not None
    fields = {c["custom_id"]: c for c in _inputs(inter.modal)}
    title_id = next(cid for cid, c in fields.items() if c.get("value") == "Prefilled title here")
    body_id = next(cid for cid, c in fields.items() if c.get("style") == 2)
    values = {title_id: "Prefilled title, edited", body_id: "Written in the form."}
    bob = world.members["bob"].id
    submit = await emulator.submit_modal(bob, world.text_channel_id, inter.modal["custom_id"], values)
    await submit.wait_response()
    await final_message(submit, emulator)
    [thread] = [t for t in world.threads.values() if t["name"] == "Prefilled title, edited"]
    posts = await eventually(lambda: quorum.store.question_posts(int(thread["id"])))
    assert posts[0].body == "Written in the form."


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"title": "x" * 101, "body": "fine"}, "at most 100 characters"),
        ({"title": "    ", "body": "fine"}, "at least 5 characters"),
        ({"title": "A fine title", "body": "   "}, "needs a body"),
        ({"title": "A fine title", "body": "b", "tags": "python, sql, help, discord.py, Solved, python2"}, "no tag"),
        ({"title": "A fine title", "body": "b", "tags": "pyton"}, "Did you mean 'python'"),
        ({"title": "A fine title", "body": "b", "tags": "python,sql,help,discord.py,Solved"}, None),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(emulator, quorum, options, fragment):
    await setup_forum(emulator)
    threads_before = len(emulator.world.threads)
    inter = await ask(emulator, **options)
    answer = await final_message(inter, emulator)
    if fragment is None:  # the control case: five known tags are fine
        assert "Your question is up" in answer["content"]
        return
    assert inter.ephemeral and fragment in answer["content"]
    assert len(emulator.world.threads) == threads_before
    assert await quorum.store.list_questions(emulator.world.guild_id) == []


async def test_ask_before_setup_tells_the_administrator_how(emulator, quorum):
    inter = await ask(emulator, title="Anyone here?", body="Hello?")
    answer = await final_message(inter, emulator)
    assert inter.ephemeral and "/quorum setup channel:" in answer["content"]


async def test_nothing_the_bot_echoes_can_ping(emulator, quorum):
    await setup_forum(emulator)
    inter = await ask(emulator, title="@everyone help <@&1>", body="@here <@123> @everyone")
    await final_message(inter, emulator)
    creates = [r for r in emulator.requests if r.method == "POST" and r.json is not None]
    assert creates, "the bot sent messages"
    for request in creates:
        payload = request.json.get("message", request.json)
        if "content" in payload or "embeds" in payload:
            assert payload.get("allowed_mentions") == {"parse": []}, request.path


def test_too_many_tags_in_a_text_channel():
    with pytest.raises(BadInput, match="At most 5 tags"):
        check_draft("A fine title", "body", "a,b,c,d,e,f", None)
    assert check_draft("A  fine\ntitle", " body ", "A, a, b", None).title == "A fine title"


def world_tag(world, name):
    tags = world.channel(world.forum_channel_id)["available_tags"]
    return next(int(t["id"]) for t in tags if t["name"] == name)


def _inputs(modal):
    for row in modal["components"]:
        if "components" in row:
            yield from row["components"]
        elif "component" in row:
            yield row["component"]


async def _count(quorum, tid, n):
    return len(await quorum.store.question_posts(tid)) == n
