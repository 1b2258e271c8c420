"""Every post of a question thread mirrored with its history: answers, nested replies, edits,
renames, deletions, attachments, and replayed events giving nothing twice."""

from __future__ import annotations

from bot.forum.models import PostKind
from tests.harness import eventually
from tests.test_first_slice import setup_forum


async def ask(emulator, quorum, author="bob", title="Why is my bot offline?", body="It was fine yesterday."):
    await setup_forum(emulator)
    thread = await emulator.create_forum_post(emulator.world.members[author].id, title, body)
    thread_id = int(thread["id"])
    await eventually(lambda: quorum.store.question_posts(thread_id))
    return thread_id


async def posts_of(quorum, thread_id, expected: int, *, include_deleted=False):
    async def check():
        posts = await quorum.store.question_posts(thread_id, include_deleted=include_deleted)
        return posts if len(posts) == expected else None

    return await eventually(check)


async def test_answers_and_replies_nest_two_levels_deep(emulator, quorum):
    ids = {n: emulator.world.members[n].id for n in ("bob", "carol", "dave", "mod")}
    tid = await ask(emulator, quorum)
    answer = await emulator.post_message(ids["carol"], tid, "Check the token.")
    reply = await emulator.post_message(ids["bob"], tid, "Which token?", reply_to=int(answer["id"]))
    reply2 = await emulator.post_message(ids["carol"], tid, "The bot's.", reply_to=int(reply["id"]))
    comment = await emulator.post_message(ids["dave"], tid, "Which library?", reply_to=tid)
    other = await emulator.post_message(ids["mod"], tid, "Restart it.")
    posts = {p.id: p for p in await posts_of(quorum, tid, 6)}

    assert posts[int(answer["id"])].kind is PostKind.ANSWER
    assert (posts[int(reply["id"])].kind, posts[int(reply["id"])].parent_id) == (PostKind.REPLY, int(answer["id"]))
    # A reply to a reply keeps hanging under the answer, and remembers what it replied to.
    r2 = posts[int(reply2["id"])]
    assert (r2.kind, r2.parent_id, r2.reply_to_id) == (PostKind.REPLY, int(answer["id"]), int(reply["id"]))
    assert (posts[int(comment["id"])].kind, posts[int(comment["id"])].parent_id) == (PostKind.REPLY, tid)
    assert posts[int(other["id"])].kind is PostKind.ANSWER

    view = await quorum.service.thread_view(tid)
    assert [a.answer.id for a in view.answers] == [int(answer["id"]), int(other["id"])]
    assert [r.id for r in view.answers[0].replies] == [int(reply["id"]), int(reply2["id"])]
    assert [c.id for c in view.comments] == [int(comment["id"])]


async def test_bot_and_system_messages_are_not_posts(emulator, quorum):
    tid = await ask(emulator, quorum)
    await emulator.pin(emulator.world.members["mod"].id, tid, tid)  # posts a type-6 system message
    await quorum.bot.get_channel(tid).send("I am the bot")
    marker = await emulator.post_message(emulator.world.members["carol"].id, tid, "a real answer")
    posts = await posts_of(quorum, tid, 2)
    assert [p.id for p in posts] == [tid, int(marker["id"])]


async def test_an_image_only_answer_is_an_answer(emulator, quorum):
    tid = await ask(emulator, quorum)
    image = {"filename": "trace.png", "content_type": "image/png"}
    message = await emulator.post_message(emulator.world.members["carol"].id, tid, "", attachments=[image])
    posts = await posts_of(quorum, tid, 2)
    assert posts[1].id == int(message["id"]) and posts[1].body == ""
    assert [a.filename for a in posts[1].attachments] == ["trace.png"]


async def test_edits_renames_and_deletes_are_history(emulator, quorum):
    carol = emulator.world.members["carol"].id
    tid = await ask(emulator, quorum)
    answer = await emulator.post_message(carol, tid, "first text")
    aid = int(answer["id"])
    await posts_of(quorum, tid, 2)

    await emulator.edit_message(tid, aid, "second text")
    await emulator.edit_message(tid, aid, "third text")
    await eventually(lambda: _body_is(quorum, aid, "third text"))
    revisions = await quorum.store.revisions(aid)
    assert [(r.number, r.text, r.editor_id) for r in revisions] == [
        (1, "first text", carol),
        (2, "second text", carol),
        (3, "third text", carol),
    ]

    await emulator.rename_thread(tid, "Why is my bot offline since Tuesday?")
    await eventually(lambda: _title_is(quorum, tid, "Why is my bot offline since Tuesday?"))
    titles = [r.text for r in await quorum.store.revisions(tid) if r.field == "title"]
    assert titles == ["Why is my bot offline?", "Why is my bot offline since Tuesday?"]

    await emulator.delete_message(tid, aid)
    await posts_of(quorum, tid, 1)
    deleted = await quorum.store.get_post(aid)
    assert deleted.deleted_at is not None and deleted.body == "third text"
    assert len(await quorum.store.revisions(aid)) == 3, "history survives the delete"

    await quorum.restart()
    assert (await quorum.store.get_post(aid)).deleted_at is not None
    assert (await quorum.store.get_question(tid)).title == "Why is my bot offline since Tuesday?"


async def test_bulk_delete_and_thread_delete(emulator, quorum):
    ids = {n: emulator.world.members[n].id for n in ("carol", "dave")}
    tid = await ask(emulator, quorum)
    a = await emulator.post_message(ids["carol"], tid, "one")
    b = await emulator.post_message(ids["dave"], tid, "two")
    await posts_of(quorum, tid, 3)
    await emulator.bulk_delete(tid, [int(a["id"]), int(b["id"])])
    await posts_of(quorum, tid, 1)

    await emulator.delete_thread(tid)
    await eventually(lambda: _question_deleted(quorum, tid))
    assert await quorum.store.question_posts(tid) == []
    assert await quorum.store.list_questions(emulator.world.guild_id) == []
    assert len(await quorum.store.question_posts(tid, include_deleted=True)) == 3


async def test_replayed_events_give_one_post_and_one_revision(emulator, quorum):
    carol = emulator.world.members["carol"].id
    tid = await ask(emulator, quorum)
    answer = await emulator.post_message(carol, tid, "draft")
    await posts_of(quorum, tid, 2)
    edited = await emulator.edit_message(tid, int(answer["id"]), "final")
    await eventually(lambda: _body_is(quorum, int(answer["id"]), "final"))

    # Discord re-sends events after a RESUME: the same frames again change nothing.
    thread = emulator.world.channel(tid)
    await emulator.dispatch_raw("THREAD_CREATE", {**thread, "newly_created": True})
    await emulator.dispatch_raw("MESSAGE_CREATE", {**answer, "guild_id": str(emulator.world.guild_id)})
    await emulator.dispatch_raw("MESSAGE_UPDATE", {**edited, "guild_id": str(emulator.world.guild_id)})
    marker = await emulator.post_message(carol, tid, "after the replay")
    await posts_of(quorum, tid, 3)

    assert [q.id for q in await quorum.store.list_questions(emulator.world.guild_id)] == [tid]
    assert [r.text for r in await quorum.store.revisions(int(answer["id"]))] == ["draft", "final"]
    assert [r.text for r in await quorum.store.revisions(int(marker["id"]))] == ["after the replay"]


async def test_mentions_in_posts_are_mirrored_faithfully(emulator, quorum):
    tid = await ask(emulator, quorum)
    text = "@everyone look <@&123> and <@456>"
    await emulator.post_message(emulator.world.members["carol"].id, tid, text)
    posts = await posts_of(quorum, tid, 2)
    assert posts[1].body == text


async def _body_is(quorum, post_id, text):
    post = await quorum.store.get_post(post_id)
    return post is not None and post.body == text


async def _title_is(quorum, thread_id, title):
    return (await quorum.store.get_question(thread_id)).title == title


async def _question_deleted(quorum, thread_id):
    return (await quorum.store.get_question(thread_id)).deleted_at is not None


async def test_without_the_message_content_intent_it_says_so_and_mirrors_nothing(tmp_path, caplog):
    from emulator import Emulator
    from emulator.spec_check import default_spec_path
    from tests.harness import BotHarness

    emulator = Emulator(spec_path=default_spec_path(), message_content=False)
    await emulator.start()
    harness = BotHarness(emulator, tmp_path / "q.db")
    try:
        caplog.set_level("WARNING")
        await harness.start()  # the gateway would refuse the intent: the bot connects without it
        assert "lacks the Message Content intent" in caplog.text
        response = await setup_forum(emulator)
        attention = response["data"]["embeds"][0]["fields"][-1]
        assert attention["name"] == "Needs attention" and "Message Content intent is off" in attention["value"]

        thread = await emulator.create_forum_post(emulator.world.members["bob"].id, "A title", "A body")
        tid = int(thread["id"])
        await emulator.post_message(emulator.world.members["carol"].id, tid, "an answer")
        await eventually(lambda: _logged(caplog, "Not mirroring messages"))
        assert await harness.store.question_posts(tid) == []
        harness.assert_alive()
    finally:
        await harness.stop()
        await emulator.stop()
    assert emulator.spec_violations == []


async def _logged(caplog, text):
    return text in caplog.text
