"""Private threads (type 12) are never questions: a member's private thread in a text questions
channel is not mirrored, live or by catch-up, so nobody outside it can find or post its text."""

from __future__ import annotations

import asyncio
import sqlite3

from db.votes import recount
from tests.harness import eventually
from tests.test_catchup import caught_up

EPHEMERAL = 64
SECRET = "xyzzy launch codes"


def member(emulator, name: str) -> int:
    return emulator.world.members[name].id


async def run(emulator, user: str, name: str, **options) -> dict:
    inter = await emulator.invoke_slash(member(emulator, user), emulator.world.text_channel_id, name, options)
    return (await inter.wait_response())["data"]


async def watch_text_channel(emulator) -> None:
    world = emulator.world
    inter = await emulator.invoke_slash(member(emulator, "alice"), world.text_channel_id, "quorum setup",
                                        {"channel": world.text_channel_id})  # fmt: skip
    await inter.wait_response()


async def public_question(emulator, quorum, title: str, text: str) -> tuple[int, int]:
    """A public thread in the text channel with one answer, stored: also a barrier for the events
    the emulator sent before it."""
    thread = await emulator.create_thread(member(emulator, "dave"), emulator.world.text_channel_id, title)
    tid = int(thread["id"])
    message = await emulator.post_message(member(emulator, "carol"), tid, text)
    await eventually(lambda: quorum.store.get_post(int(message["id"])))
    await asyncio.sleep(0.2)  # handlers of earlier events run as tasks of their own
    return tid, int(message["id"])


async def assert_not_shown(emulator, quorum, thread_id: int, message_ids: list[int]) -> None:
    assert await quorum.store.get_question(thread_id) is None
    for message_id in message_ids:
        assert await quorum.store.get_post(message_id) is None
    found = await run(emulator, "dave", "search", query="xyzzy")
    assert "Nothing found" in found["embeds"][0]["description"]
    assert found["embeds"][0]["footer"]["text"].endswith("0 questions")
    sent_before = len(emulator.world.messages[emulator.world.text_channel_id])
    refused = await run(emulator, "dave", "question", question=str(thread_id), public=True)
    assert refused["flags"] & EPHEMERAL and "embeds" not in refused
    assert "not a question I know" in refused["content"]
    assert len(emulator.world.messages[emulator.world.text_channel_id]) == sent_before, "nothing posted publicly"


async def test_a_private_thread_is_never_mirrored_live_or_by_catch_up(emulator, quorum):
    world = emulator.world
    await watch_text_channel(emulator)
    bob, carol = member(emulator, "bob"), member(emulator, "carol")
    private = await emulator.create_private_thread(bob, world.text_channel_id, "Between us", members=[carol])
    pid = int(private["id"])
    assert private["type"] == 12
    first = await emulator.post_message(bob, pid, f"The {SECRET} are 0000.")
    answer = await emulator.post_message(carol, pid, "Noted, xyzzy.")
    await public_question(emulator, quorum, "A public one", "A public answer.")
    await assert_not_shown(emulator, quorum, pid, [int(first["id"]), int(answer["id"])])

    # While the bot is away: more in the private thread, and a second private thread, archived.
    await quorum.stop()
    later = await emulator.post_message(carol, pid, "Also xyzzy, while the bot slept.")
    other = await emulator.create_private_thread(carol, world.text_channel_id, "Archived secret", members=[bob])
    oid = int(other["id"])
    hidden = await emulator.post_message(carol, oid, f"Old {SECRET}.")
    await emulator.archive_thread(oid)
    await quorum.start()
    await caught_up(quorum)
    await assert_not_shown(emulator, quorum, pid, [int(first["id"]), int(answer["id"]), int(later["id"])])
    await assert_not_shown(emulator, quorum, oid, [int(hidden["id"])])
    assert await quorum.store.get_question(oid) is None


async def test_private_threads_stored_by_an_older_version_are_removed_at_start(emulator, quorum):
    """Questions stored before the thread type was recorded are checked with Discord once: those in
    private threads (active or archived) go with everything in them, and the counters stay exact."""
    world = emulator.world
    await watch_text_channel(emulator)
    bob, carol, dave = member(emulator, "bob"), member(emulator, "carol"), member(emulator, "dave")
    kept, kept_answer = await public_question(emulator, quorum, "A public one", "A public answer.")
    active = await emulator.create_private_thread(bob, world.text_channel_id, "Active secret", members=[carol])
    archived = await emulator.create_private_thread(bob, world.text_channel_id, "Archived secret", members=[carol])
    aid, rid = int(active["id"]), int(archived["id"])
    messages = {}
    for tid in (aid, rid):
        messages[tid] = [int((await emulator.post_message(bob, tid, f"Q {SECRET}"))["id"]),
                         int((await emulator.post_message(carol, tid, "A xyzzy"))["id"])]  # fmt: skip
    await emulator.archive_thread(rid)
    await emulator.add_reaction(dave, kept, kept_answer, "\N{THUMBS UP SIGN}")
    await eventually(lambda: quorum.store.get_vote(kept_answer, dave))
    await quorum.stop()

    # What an older Quorum stored: both private threads as questions, with a vote and an acceptance.
    conn = sqlite3.connect(quorum.database)
    for tid in (aid, rid):
        conn.execute("INSERT INTO questions (id, guild_id, channel_id, title, author_id, created_at, updated_at)"
                     " VALUES (?, ?, ?, 'secret', ?, 0, 0)", (tid, world.guild_id, world.text_channel_id, bob))
        for post_id, author in zip(messages[tid], (bob, carol), strict=True):
            conn.execute("INSERT INTO posts (id, question_id, guild_id, kind, author_id, body, created_at)"
                         " VALUES (?, ?, ?, 'answer', ?, ?, 0)", (post_id, tid, world.guild_id, author, SECRET))
            conn.execute("INSERT INTO revisions (post_id, field, number, text, at) VALUES (?, 'body', 1, ?, 0)",
                         (post_id, SECRET))
        conn.execute("INSERT INTO votes (post_id, voter_id, guild_id, value, at) VALUES (?, ?, ?, 1, 0)",
                     (messages[tid][1], dave, world.guild_id))
        conn.execute("UPDATE posts SET score = 1 WHERE id = ?", (messages[tid][1],))
        conn.execute("UPDATE questions SET accepted_answer_id = ?, accepted_by = ? WHERE id = ?",
                     (messages[tid][1], bob, tid))
    for who, earned in ((carol, 2 * (10 + 15)), (bob, 2 * 2)):  # upvoted and accepted answers; accepting
        conn.execute("INSERT INTO members (guild_id, user_id, reputation) VALUES (?1, ?2, 1 + ?3)"
                     " ON CONFLICT DO UPDATE SET reputation = reputation + ?3", (world.guild_id, who, earned))
    conn.execute("UPDATE questions SET thread_type = NULL")  # what every question of an older version has
    conn.commit()
    assert recount(conn, False).differences == 0, "the older version's counters were consistent"
    conn.close()

    await quorum.start()
    assert (await caught_up(quorum)).private_removed == 2
    for tid in (aid, rid):
        assert await quorum.store.get_question(tid) is None
        assert all([await quorum.store.get_post(m) is None for m in messages[tid]])
        assert await quorum.store.revisions(messages[tid][0]) == []
    assert (await quorum.store.get_question(kept)).thread_type == 11
    assert (await quorum.store.recount()).differences == 0
    reputations = await quorum.store.reputations(world.guild_id)
    assert reputations[carol] == 1 + 10 and bob not in reputations  # bob was only ever in private threads
    found = await run(emulator, "dave", "search", query="xyzzy")
    assert "Nothing found" in found["embeds"][0]["description"]
    # Checked once: the next start does not list private threads again.
    listed = len(emulator.requests_to("GET", "/channels/{channel_id}/threads/archived/private"))
    assert listed >= 1
    await quorum.restart()
    await caught_up(quorum)
    assert len(emulator.requests_to("GET", "/channels/{channel_id}/threads/archived/private")) == listed

