"""`/privacy export` end to end: a member who asked, answered, edited and voted gets their own data
as a JSON file only they see, holding their posts (with revisions), questions and votes and nothing
of another member, before and after a restart."""

from __future__ import annotations

import json

from tests.harness import eventually
from tests.test_first_slice import setup_forum
from tests.test_reading import member
from tests.test_search import answer, post_question

EPHEMERAL = 64
UP = "\N{THUMBS UP SIGN}"


async def export(emulator, who: int) -> tuple[str, dict]:
    inter = await emulator.invoke_slash(who, emulator.world.text_channel_id, "privacy export", {})
    first = await inter.wait_response()
    assert first["type"] == 5 and first["data"]["flags"] & EPHEMERAL  # deferred: it reads the store
    sent = await eventually(lambda: _followup(inter))
    assert sent["flags"] & EPHEMERAL
    [attachment] = sent["attachments"]
    content = inter.uploads[(sent["id"], attachment["filename"])]
    assert attachment["size"] == len(content)
    return attachment["filename"], json.loads(content)


async def _followup(inter) -> dict | None:
    return next((message for message in inter.followups if message["attachments"]), None)


async def test_a_member_exports_their_data(emulator, quorum):
    world = emulator.world
    bob, carol = member(emulator, "bob"), member(emulator, "carol")
    await setup_forum(emulator)
    mine = await post_question(emulator, quorum, "bob", "How do I rotate logs?", "Bob's question body")
    theirs = await post_question(emulator, quorum, "carol", "Which storage engine?", "Carol's secret body")
    carols_answer = await answer(emulator, quorum, "carol", mine, "Carol's answer to bob")
    bobs_answer = await answer(emulator, quorum, "bob", theirs, "Use SQLite")
    await emulator.edit_message(theirs, bobs_answer, "Use SQLite, in WAL mode")
    await eventually(lambda: _body_is(quorum, bobs_answer, "Use SQLite, in WAL mode"))
    await emulator.add_reaction(bob, theirs, theirs, UP)  # bob upvotes carol's question
    await emulator.add_reaction(carol, theirs, bobs_answer, UP)  # carol's vote is hers, not bob's
    await eventually(lambda: _score_is(quorum, bobs_answer, 1))
    await eventually(lambda: _score_is(quorum, theirs, 1))

    async def check() -> None:
        filename, doc = await export(emulator, bob)
        assert filename == f"quorum-{world.guild_id}-{bob}.json"
        assert doc["format"] == "quorum-member-export/1"
        assert doc["guild_id"] == str(world.guild_id) and doc["member_id"] == str(bob)
        assert doc["exported_at"].endswith("Z")
        posts = {p["id"]: p for p in doc["posts"]}
        assert set(posts) == {str(mine), str(bobs_answer)}
        edited = posts[str(bobs_answer)]
        assert edited["kind"] == "answer" and edited["question_id"] == str(theirs)
        assert edited["question_title"] == "Which storage engine?" and edited["score"] == 1
        assert edited["body"] == "Use SQLite, in WAL mode" and edited["edited_at"] is not None
        assert [r["text"] for r in edited["revisions"]][-2:] == ["Use SQLite", "Use SQLite, in WAL mode"]
        assert [q["id"] for q in doc["questions"]] == [str(mine)]
        assert doc["questions"][0]["title"] == "How do I rotate logs?"
        assert [(v["post_id"], v["value"], v["via"]) for v in doc["votes"]] == [(str(theirs), 1, "reaction")]
        text = json.dumps(doc)
        assert "Carol's secret body" not in text and "Carol's answer to bob" not in text
        assert str(carols_answer) not in text and str(carol) not in text

    await check()
    await quorum.restart()
    await check()
    quorum.assert_alive()


async def _body_is(quorum, post_id: int, body: str) -> bool:
    post = await quorum.store.get_post(post_id)
    return post is not None and post.body == body


async def _score_is(quorum, post_id: int, score: int) -> bool:
    post = await quorum.store.get_post(post_id)
    return post is not None and post.score == score
