"""What members type as ids, and what a hostile gateway sends as text, end to end through the real bot.

- Ids beyond what Discord can issue (more than 64 bits, thousands of digits, other scripts' digits)
  in every command option that takes a link or an id, and in the search's `user:` operator: a clear
  private refusal, never "Something broke".
- NUL and other control characters in a search: they separate words; never "Something broke".
- A message body, thread name or tag far beyond Discord's limits (a gateway that is not Discord's, or
  a bug): stored capped at the boundary, on a live message, an edit and in catch-up, and across a
  restart.
"""

from __future__ import annotations

from tests.harness import eventually
from tests.test_accepting import _final
from tests.test_first_slice import setup_forum

EPHEMERAL = 64
BROKE = "Something broke"
MAX_CONTENT = 4000  # what the README promises: Discord's limit for Nitro members
MAX_THREAD_NAME = 100  # Discord's limit
MAX_TAG_NAME = 20  # Discord's limit for a forum tag's name

BIG = [
    str(1 << 64),  # one past the largest unsigned 64-bit number
    str(1 << 63),  # beyond SQLite's signed 64-bit integers
    "9" * 30,
    "1" * 5000,  # more digits than Python's int() accepts from a string
    "٣٤٥٦٧٨٩",  # Arabic-Indic digits: \d matches them
]


def links(guild_id: int, thread_id: int) -> list[str]:
    """Each id too big in each place of a message link, a thread link and a channel mention."""
    out = []
    for big in BIG:
        out += [
            big,
            f"https://discord.com/channels/{guild_id}/{thread_id}/{big}",
            f"https://discord.com/channels/{guild_id}/{big}/{thread_id}",
            f"https://discord.com/channels/{big}/{thread_id}",
            f"<#{big}>",
        ]
    return out


async def answer_of(emulator, who: int, channel: int, name: str, **options) -> str:
    return (await full_answer(emulator, who, channel, name, **options)).get("content") or ""


async def full_answer(emulator, who: int, channel: int, name: str, **options) -> dict:
    inter = await emulator.invoke_slash(who, channel, name, options)
    answer = await _final(emulator, inter)
    assert int(answer.get("flags") or 0) & EPHEMERAL, (name, options)
    said = [(m.get("content") or "") for m in [*(r.get("data") or {} for r in inter.responses), *inter.followups]]
    assert not any(BROKE in s for s in said), (name, str(options)[:120], said)
    return answer


async def test_ids_beyond_64_bits_are_refused_clearly_in_every_command(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator, moderator_role=world.moderator_role_id)
    ids = {name: world.members[name].id for name in ("mod", "bob", "carol")}
    tid = int((await emulator.create_forum_post(ids["bob"], "How do ids work?", "Big ones."))["id"])
    answer = await emulator.post_message(ids["carol"], tid, "They are snowflakes.")
    await eventually(lambda: quorum.store.get_post(int(answer["id"])))

    async def refusals():
        for text in links(world.guild_id, tid):
            said = [
                await answer_of(emulator, ids["carol"], tid, "vote", message=text, direction="up"),
                await answer_of(emulator, ids["bob"], tid, "accept", message=text),
                await answer_of(emulator, ids["carol"], tid, "history", message=text),
                await answer_of(emulator, ids["carol"], tid, "question", question=text),
                await answer_of(emulator, ids["mod"], tid, "duplicate", of=text),
            ]
            for s in said:
                assert s, text[:60]
        for user in (str(1 << 64), "9" * 30, f"<@{1 << 64}>", f"<@!{'9' * 25}>", "٣٤٥"):
            said = await answer_of(emulator, ids["carol"], tid, "search", query=f"snowflakes user:{user}")
            assert "not a member id" in said, (user, said)

    await refusals()
    # Nothing changed: no vote, no acceptance, no duplicate.
    question = await quorum.store.get_question(tid)
    assert question.accepted_answer_id is None and question.status.value == "open"
    assert (await quorum.store.get_post(int(answer["id"]))).score == 0
    await quorum.restart()
    await refusals()
    quorum.assert_alive()


async def test_control_characters_in_a_search_get_a_clear_answer(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    bob = world.members["bob"].id
    tid = int((await emulator.create_forum_post(bob, "Null bytes in my bot", "The body has words."))["id"])
    await eventually(lambda: quorum.store.get_post(tid))
    # Control characters separate words, as the index treats them: the search runs on the words.
    hostile = ["null\x00bytes", "\x00\x01\x02\x1b[31m", "bot\x7f", "words\x1b", "tag:\x00", 'tag:"a\x00b"',
               '"null\x00 bytes"', "-\x00 bot", "\x00" * 200, "bot \x9b"]  # fmt: skip
    for _ in range(2):  # and again after a restart
        for query in hostile:
            said = await full_answer(emulator, bob, tid, "search", query=query)
            assert "Something broke" not in str(said), (query, said)
        found = await full_answer(emulator, bob, tid, "search", query="null\x00bytes")
        assert "Null bytes in my bot" in str(found.get("embeds")), found
        # Line and paragraph separators are whitespace, not control characters: words around them are found.
        found = await full_answer(emulator, bob, tid, "search", query="bot\u0085\u2028null\u2029bytes")
        assert "Null bytes in my bot" in str(found.get("embeds")), found
        await quorum.restart()
    quorum.assert_alive()


async def test_oversized_text_from_the_gateway_is_stored_capped(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    bob, carol = world.members["bob"].id, world.members["carol"].id
    tid = int((await emulator.create_forum_post(bob, "Huge messages", "Can the bot take them?"))["id"])
    await eventually(lambda: quorum.store.get_post(tid))
    huge = "x" * 1_000_000
    # Discord refuses more than 2000 (4000 with Nitro) characters; a hostile gateway sends 1 MB.
    posted = await emulator.post_message(carol, tid, huge, enforce_limits=False)
    mid = int(posted["id"])
    post = await eventually(lambda: quorum.store.get_post(mid))
    assert post.body == huge[:MAX_CONTENT]
    # An edit to an oversized body, live.
    await emulator.edit_message(tid, mid, "y" * 500_000)
    await eventually(lambda: _body_is(quorum, mid, "y" * MAX_CONTENT))
    # A thread whose name is far beyond Discord's 100: the question's title is capped too.
    long_name = "n" * 50_000
    big = await emulator.create_forum_post(bob, long_name, "z" * 300_000, enforce_limits=False)
    big_id = int(big["id"])
    question = await eventually(lambda: quorum.store.get_question(big_id))
    assert question.title == long_name[:MAX_THREAD_NAME]
    await eventually(lambda: _body_is(quorum, big_id, "z" * MAX_CONTENT))

    # Catch-up reads messages through REST: one posted while the bot was away is capped as well.
    await quorum.stop()
    away = await emulator.post_message(carol, tid, "w" * 700_000, enforce_limits=False)
    # A forum tag named far beyond Discord's 20 characters, as the next start's GUILD_CREATE has it.
    tags = emulator.world.channel(world.forum_channel_id)["available_tags"]
    tags[0]["name"] = "t" * 10_000
    await quorum.start()
    await eventually(lambda: _body_is(quorum, int(away["id"]), "w" * MAX_CONTENT), timeout=15)
    tagged = await emulator.create_forum_post(bob, "Tagged", "Body", applied_tags=[int(tags[0]["id"])])
    question = await eventually(lambda: quorum.store.get_question(int(tagged["id"])))
    assert question.tags == ("t" * MAX_TAG_NAME,)
    assert (await quorum.store.get_post(mid)).body == "y" * MAX_CONTENT
    assert (await quorum.store.get_question(big_id)).title == long_name[:MAX_THREAD_NAME]
    quorum.assert_alive()


async def _body_is(quorum, post_id: int, body: str) -> bool:
    post = await quorum.store.get_post(post_id)
    return post is not None and post.body == body
