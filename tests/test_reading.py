"""/question and /history through the real bot and the emulator: what members see, in what order,
privately, paged with buttons that still work after a restart, and deleted posts kept from members."""

from __future__ import annotations

from functools import partial

from tests.harness import eventually
from tests.test_first_slice import setup_forum

EPHEMERAL = 64
VIEW_CHANNEL = 1 << 10


def member(emulator, name: str) -> int:
    return emulator.world.members[name].id


async def ask(emulator, quorum, title="How do I keep state across restarts?", body="My bot forgets everything."):
    await setup_forum(emulator)
    thread = await emulator.create_forum_post(member(emulator, "bob"), title, body)
    thread_id = int(thread["id"])
    await eventually(lambda: quorum.store.question_posts(thread_id))
    return thread_id


async def wait_posts(quorum, thread_id: int, count: int) -> None:
    async def check():
        return len(await quorum.store.question_posts(thread_id)) == count

    await eventually(check)


def _set_score_and_accept(conn, *, scores: dict[int, int], thread_id: int, accepted: int) -> None:
    # There is no vote or accept path yet: set the maintained counters directly through the store's
    # writer, the way a vote's transaction would leave them.
    for post_id, score in scores.items():
        conn.execute("UPDATE posts SET score = ? WHERE id = ?", (score, post_id))
    conn.execute("UPDATE questions SET accepted_answer_id = ? WHERE id = ?", (accepted, thread_id))


async def run(emulator, user: str, channel_id: int, name: str, **options) -> dict:
    inter = await emulator.invoke_slash(member(emulator, user), channel_id, name, options)
    return await inter.wait_response()


def buttons(message: dict) -> dict[str, dict]:
    return {c["label"]: c for row in message.get("components", []) for c in row["components"]}


async def test_the_thread_page_in_the_thread_and_by_link(emulator, quorum):
    world = emulator.world
    tid = await ask(emulator, quorum)
    first = await emulator.post_message(member(emulator, "carol"), tid, "Store it in **SQLite**.")
    second = await emulator.post_message(member(emulator, "dave"), tid, "Use a JSON file.")
    third = await emulator.post_message(member(emulator, "alice"), tid, "Persistent views: DynamicItem.")
    reply = await emulator.post_message(member(emulator, "mod"), tid, "Mind the WAL.", reply_to=int(first["id"]))
    comment = await emulator.post_message(member(emulator, "carol"), tid, "Which version?", reply_to=tid)
    await wait_posts(quorum, tid, 6)
    a1, a2, a3 = int(first["id"]), int(second["id"]), int(third["id"])
    await quorum.store.writer.run_sync(
        partial(_set_score_and_accept, scores={a2: 5, a3: 1}, thread_id=tid, accepted=a1)
    )

    response = await run(emulator, "bob", tid, "question")
    assert response["type"] == 4 and response["data"]["flags"] & EPHEMERAL, "private unless asked otherwise"
    assert response["data"]["allowed_mentions"] == {"parse": []}, "rendered mentions never ping"
    embed = response["data"]["embeds"][0]
    assert embed["title"] == "How do I keep state across restarts?"
    assert embed["url"] == f"https://discord.com/channels/{world.guild_id}/{tid}"
    assert f"Asked by <@{member(emulator, 'bob')}>" in embed["description"]
    assert "My bot forgets everything." in embed["description"]
    assert f"↳ <@{member(emulator, 'carol')}>: Which version?" in embed["description"]
    assert "**Answers and Replies** (3)" in embed["description"]
    # Accepted first, then by score, then by age; each with its author, score, jump link, replies.
    names = [f["name"] for f in embed["fields"]]
    assert names == ["✔ Accepted · Answer 1 · score +0", "Answer 2 · score +5", "Answer 3 · score +1"]
    values = [f["value"] for f in embed["fields"]]
    assert values[0].startswith(f"by <@{member(emulator, 'carol')}> <t:")
    assert f"[jump](https://discord.com/channels/{world.guild_id}/{tid}/{a1})" in values[0]
    assert "Store it in **SQLite**." in values[0]
    assert f"↳ <@{member(emulator, 'mod')}>: Mind the WAL." in values[0]
    assert "Use a JSON file." in values[1] and "DynamicItem" in values[2]
    assert embed["footer"]["text"] == "page 1/1 · 3 answers"
    assert "components" not in response["data"] or not response["data"]["components"], "one page, no buttons"

    # From another channel, by a message link (any Discord host) or by the id of any post in it.
    link = f"https://ptb.discord.com/channels/{world.guild_id}/{tid}/{int(reply['id'])}"
    for given in (link, f"https://discord.com/channels/{world.guild_id}/{tid}", str(int(comment["id"]))):
        again = await run(emulator, "dave", world.text_channel_id, "question", question=given)
        assert again["data"]["flags"] & EPHEMERAL
        assert again["data"]["embeds"][0]["fields"] == embed["fields"], given


async def test_pages_turn_and_the_buttons_survive_a_restart(emulator, quorum):
    tid = await ask(emulator, quorum)
    for n in range(12):
        await emulator.post_message(member(emulator, "carol"), tid, f"Answer number {n}: " + "long words " * 120)
    await wait_posts(quorum, tid, 13)

    # Public, so the page is a channel message everybody sees (and the emulator keeps its edits).
    inter = await emulator.invoke_slash(member(emulator, "bob"), tid, "question", {"public": True})
    response = await inter.wait_response()
    assert not response["data"].get("flags", 0) & EPHEMERAL
    message = inter.original_message
    pages = int(message["embeds"][0]["footer"]["text"].split("/")[1].split()[0])
    assert pages >= 3
    nav = buttons(message)
    assert nav["◀"]["disabled"] and not nav["▶"].get("disabled")

    click = await emulator.click_button(member(emulator, "bob"), tid, int(message["id"]), nav["▶"]["custom_id"])
    turned = await click.wait_response()
    assert turned["type"] == 7, "a click edits the message it was made on"
    assert turned["data"]["allowed_mentions"] == {"parse": []}
    assert turned["data"]["embeds"][0]["footer"]["text"].startswith(f"page 2/{pages}")
    assert turned["data"]["embeds"][0]["fields"][0]["name"].startswith("Answer ")
    assert "(continued)" in turned["data"]["embeds"][0]["description"]

    # Somebody else may read along but not turn the pages for everyone.
    message = emulator.world.message(tid, int(message["id"]))
    nav = buttons(message)
    stranger = await emulator.click_button(member(emulator, "dave"), tid, int(message["id"]), nav["◀"]["custom_id"])
    refusal = await stranger.wait_response()
    assert refusal["type"] == 4 and refusal["data"]["flags"] & EPHEMERAL
    assert "belong to" in refusal["data"]["content"]

    await quorum.restart()
    click = await emulator.click_button(member(emulator, "bob"), tid, int(message["id"]), nav["◀"]["custom_id"])
    back = await click.wait_response()
    assert back["type"] == 7
    assert back["data"]["embeds"][0]["footer"]["text"].startswith(f"page 1/{pages}")
    assert "My bot forgets everything." in back["data"]["embeds"][0]["description"]
    quorum.assert_alive()


async def test_an_ephemeral_page_turns_too(emulator, quorum):
    tid = await ask(emulator, quorum)
    for n in range(8):
        await emulator.post_message(member(emulator, "dave"), tid, f"{n} " + "x" * 1500)
    await wait_posts(quorum, tid, 9)
    inter = await emulator.invoke_slash(member(emulator, "bob"), tid, "question", {})
    await inter.wait_response()
    message = inter.original_message
    assert message["flags"] & EPHEMERAL
    click = await emulator.click_button(
        member(emulator, "bob"), tid, int(message["id"]), buttons(message)["▶"]["custom_id"]
    )
    turned = await click.wait_response()
    assert turned["type"] == 7 and "page 2/" in turned["data"]["embeds"][0]["footer"]["text"]
    # The member's own copy of the ephemeral page shows the turn, and turns back after a restart.
    assert "page 2/" in inter.original_message["embeds"][0]["footer"]["text"]
    await quorum.restart()
    back = await emulator.click_button(
        member(emulator, "bob"), tid, int(message["id"]), buttons(inter.original_message)["◀"]["custom_id"]
    )
    assert "page 1/" in (await back.wait_response())["data"]["embeds"][0]["footer"]["text"]

    # A click on a page whose question has gone since is told so, privately, through the one error path.
    await emulator.delete_thread(tid)

    async def gone():
        return (await quorum.store.get_question(tid)).deleted_at is not None

    await eventually(gone)
    # (clicked from #general: the thread itself is gone)
    elsewhere = emulator.world.text_channel_id
    click = await emulator.click_button(
        member(emulator, "bob"), elsewhere, int(message["id"]), buttons(message)["▶"]["custom_id"]
    )
    told = await click.wait_response()
    assert told["type"] == 4 and told["data"]["flags"] & EPHEMERAL
    assert told["data"]["content"] == "That question no longer exists."


async def test_what_is_not_a_question_gets_a_clear_private_error(emulator, quorum):
    world = emulator.world
    tid = await ask(emulator, quorum)
    cases = {
        None: "not a question thread",  # /question in #general, no argument
        "123456789012345678": "not a question I know",
        f"https://discord.com/channels/{world.guild_id}/{world.text_channel_id}/12345678901": "not in a question",
        f"https://discord.com/channels/1234567890/{tid}": "another server",
        "https://discord.com/channels/@me/123/456": "another server",
        "what is this": "message link",
    }
    for given, expected in cases.items():
        options = {} if given is None else {"question": given}
        response = await run(emulator, "carol", world.text_channel_id, "question", **options)
        assert response["data"]["flags"] & EPHEMERAL, given
        assert expected in response["data"]["content"], (given, response["data"]["content"])

    # A question in a channel the member cannot read is, for them, no question at all.
    forum = world.forum_channel_id
    world.set_channel_overwrite(forum, member(emulator, "dave"), deny=VIEW_CHANNEL, type=1)
    await emulator.dispatch_raw("CHANNEL_UPDATE", world.channel(forum))
    await eventually(partial(hidden_from, quorum, forum, member(emulator, "dave")))
    for name, options in (("question", {"question": str(tid)}), ("history", {"message": str(tid)})):
        response = await run(emulator, "dave", world.text_channel_id, name, **options)
        assert "know" in response["data"]["content"] and "embeds" not in response["data"], name
    assert (await run(emulator, "carol", world.text_channel_id, "question", question=str(tid)))["data"]["embeds"]


async def hidden_from(quorum, channel_id: int, user_id: int) -> bool:
    guild = quorum.bot.get_channel(channel_id).guild
    return not guild.get_channel(channel_id).permissions_for(guild.get_member(user_id)).view_channel


async def test_history_shows_revisions_and_keeps_deleted_posts_from_members(emulator, quorum):
    world = emulator.world
    tid = await ask(emulator, quorum)
    answer = await emulator.post_message(member(emulator, "carol"), tid, "first draft")
    aid = int(answer["id"])
    await wait_posts(quorum, tid, 2)
    for text in ("second draft", "final text"):
        await emulator.edit_message(tid, aid, text)
    await emulator.rename_thread(tid, "How do I keep state across a restart?")

    async def revisions(post_id, count):
        return len(await quorum.store.revisions(post_id)) == count

    await eventually(partial(revisions, aid, 3))
    await eventually(partial(revisions, tid, 3))  # title twice, body once

    link = f"https://discord.com/channels/{world.guild_id}/{tid}/{aid}"
    response = await run(emulator, "dave", world.text_channel_id, "history", message=link)
    assert response["data"]["flags"] & EPHEMERAL and response["data"]["allowed_mentions"] == {"parse": []}
    embed = response["data"]["embeds"][0]
    assert [f["name"] for f in embed["fields"]] == [
        "Body · revision 1 (original)",
        "Body · revision 2 (edit 1)",
        "Body · revision 3 (edit 2)",
    ]
    carol = member(emulator, "carol")
    assert [f["value"].split("\n", 1)[1] for f in embed["fields"]] == ["first draft", "second draft", "final text"]
    assert all(f["value"].startswith("<t:") and f":R> by <@{carol}>" in f["value"] for f in embed["fields"])

    # A question's id gives its title and its text, oldest first.
    response = await run(emulator, "dave", world.text_channel_id, "history", message=str(tid))
    names = [f["name"] for f in response["data"]["embeds"][0]["fields"]]
    assert sorted(names[:2]) == ["Body · revision 1 (original)", "Title · revision 1 (original)"]
    assert names[2] == "Title · revision 2 (edit 1)"

    await emulator.delete_message(tid, aid)

    async def deleted():
        post = await quorum.store.get_post(aid)
        return post.deleted_at is not None

    await eventually(deleted)
    # A moderator by the guild's setting, not by Discord permission: take Manage Threads away.
    await emulator.edit_role_permissions(world.moderator_role_id, 0)
    refused = await run(emulator, "mod", world.text_channel_id, "history", message=link)
    assert refused["data"]["flags"] & EPHEMERAL and refused["data"]["content"] == "That post was deleted."
    refused = await run(emulator, "dave", world.text_channel_id, "history", message=str(aid))
    assert refused["data"]["content"] == "That post was deleted."

    await setup_forum(emulator, moderator_role=world.moderator_role_id)
    shown = await run(emulator, "mod", world.text_channel_id, "history", message=link)
    embed = shown["data"]["embeds"][0]
    assert "Deleted" in embed["description"] and len(embed["fields"]) == 3

    # And the deleted answer is gone from the thread page.
    page = await run(emulator, "mod", tid, "question")
    assert page["data"]["embeds"][0].get("fields", []) == []
    assert "No answers yet" in page["data"]["embeds"][0]["description"]


async def test_commands_and_options_explain_themselves(emulator, quorum):
    commands = {c["name"]: c for c in emulator.world.commands.values()}
    for name in ("question", "history"):
        assert commands[name]["description"]
        assert all(option["description"] for option in commands[name]["options"])
