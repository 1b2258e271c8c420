"""Two guilds served by one bot process: each guild's forum, questions, votes and reputation are its
own. What members of guild A see through /search, /top, /profile, /question, /unanswered and the
web pages never shows guild B's data (and the other way round), before and after a restart.

Bob and carol are members of both guilds (one Discord account each, as on Discord); erin and frank
only of B."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from bot.forum.vote_service import NOT_A_POST
from emulator import Guild, shard_of
from tests.harness import BotHarness, eventually
from tests.web.helpers import publish, web_client

UP = "\N{THUMBS UP SIGN}"
EPHEMERAL = 64


async def run(emulator, user_id: int, channel_id: int, name: str, **options) -> dict:
    inter = await emulator.invoke_slash(user_id, channel_id, name, options)
    response = await inter.wait_response()
    assert response["type"] == 4 and response["data"]["flags"] & EPHEMERAL
    return response["data"]


def text(data: dict) -> str:
    """Everything a member is shown (content, embeds, buttons), as one string to search."""
    return json.dumps(data, ensure_ascii=False)


class Side:
    """One guild as the test uses it: its ids, the questions asked there and the words they use."""

    def __init__(self, guild: Guild, owner: str, word: str) -> None:
        self.guild, self.owner, self.word = guild, owner, word
        self.ids = {name: m.id for name, m in guild.members.items()}
        self.asked: int = 0  # the answered question
        self.answer: int = 0
        self.waiting: int = 0  # the unanswered question

    @property
    def titles(self) -> list[str]:
        return [f"How do I index {self.word} text?", f"Still waiting about {self.word}"]


async def build(emulator, quorum, side: Side, voters: list[str]) -> None:
    g = side.guild
    setup = await run(emulator, side.ids[side.owner], g.text_channel_id, "quorum setup", channel=g.forum_channel_id)
    assert f"<#{g.forum_channel_id}>" in text(setup)
    bob, carol = side.ids["bob"], side.ids["carol"]
    side.asked = int((await emulator.create_forum_post(bob, side.titles[0], f"My {side.word} search is slow.",
                                                       channel_id=g.forum_channel_id))["id"])  # fmt: skip
    side.waiting = int((await emulator.create_forum_post(bob, side.titles[1], f"Nobody knows {side.word}?",
                                                         channel_id=g.forum_channel_id))["id"])  # fmt: skip
    side.answer = int((await emulator.post_message(carol, side.asked, f"Use a {side.word} index."))["id"])
    await eventually(lambda: quorum.store.get_post(side.answer))
    await eventually(lambda: quorum.store.question_posts(side.waiting))
    for voter in voters:
        await emulator.add_reaction(side.ids[voter], side.asked, side.answer, UP)

    async def counted():
        post = await quorum.store.get_post(side.answer)
        return post is not None and post.score == len(voters)

    await eventually(counted)


async def reputations(quorum, guild_id: int) -> dict[int, int]:
    return defaultdict(lambda: 1, await quorum.store.reputations(guild_id))


async def check_isolation(emulator, quorum, here: Side, other: Side, carol_rep: int) -> None:
    g, carol, dave_or_bob = here.guild, here.ids["carol"], here.ids["bob"]
    foreign_ids = [str(other.asked), str(other.answer), str(other.waiting)]
    foreign_only = [str(i) for n, i in other.ids.items() if n not in here.ids]  # B's own members

    def clean(data: dict, *, echoed: str = "") -> str:
        shown = text(data).replace(echoed, "") if echoed else text(data)  # the query, said back
        for leak in [other.word, *other.titles, *foreign_ids, *foreign_only]:
            assert leak not in shown, f"{here.guild.name} shows {leak!r} of {other.guild.name}: {shown}"
        return shown

    found = clean(await run(emulator, dave_or_bob, g.text_channel_id, "search", query=here.word))
    assert here.titles[0] in found
    nothing = clean(
        await run(emulator, dave_or_bob, g.text_channel_id, "search", query=other.word), echoed=f"Search: {other.word}"
    )
    assert here.titles[0] not in nothing and "Nothing found" in nothing
    clean(await run(emulator, dave_or_bob, g.text_channel_id, "search", query="index"))

    top = clean(await run(emulator, dave_or_bob, g.text_channel_id, "top"))
    assert f"<@{carol}>" in top

    profile = clean(await run(emulator, dave_or_bob, g.text_channel_id, "profile", member=str(carol)))
    assert f"**{carol_rep:,}** reputation" in profile
    fields = {f["name"]: f["value"] for f in json.loads(profile)["embeds"][0]["fields"]}
    assert fields["Answers"] == "1" and fields["Questions"] == "0"
    asker = clean(await run(emulator, dave_or_bob, g.text_channel_id, "profile"))
    assert {f["name"]: f["value"] for f in json.loads(asker)["embeds"][0]["fields"]}["Questions"] == "2"

    page = clean(await run(emulator, dave_or_bob, g.text_channel_id, "question", question=str(here.asked)))
    assert here.titles[0] in page
    refused = clean(await run(emulator, dave_or_bob, g.text_channel_id, "question", question=str(other.asked)))
    assert "not a question I know in this server" in refused
    link = f"https://discord.com/channels/{other.guild.id}/{other.asked}"
    assert "another server" in clean(await run(emulator, dave_or_bob, g.text_channel_id, "question", question=link))

    # A post of the other guild named by its bare id: unknown here, for reading and for voting.
    history = clean(await run(emulator, dave_or_bob, g.text_channel_id, "history", message=str(other.answer)))
    assert "no post with that id in this server" in history
    before = (await quorum.store.get_post(other.answer)).score
    vote = clean(await run(emulator, dave_or_bob, g.text_channel_id, "vote", message=str(other.answer), direction="up"))
    assert NOT_A_POST in vote
    assert (await quorum.store.get_post(other.answer)).score == before

    waiting = clean(await run(emulator, dave_or_bob, g.text_channel_id, "unanswered"))
    assert here.titles[1] in waiting

    reps = await reputations(quorum, g.id)
    assert reps[carol] == carol_rep
    assert (await quorum.store.get_post(here.answer)).score == carol_rep // 10


async def check_web(quorum, here: Side, other: Side) -> None:
    async with web_client(quorum.database) as client:
        gid = here.guild.id
        for path in (f"/g/{gid}", f"/g/{gid}/search?q={here.word}", f"/g/{gid}/search?q={other.word}",
                     f"/u/{gid}/{here.ids['carol']}", f"/u/{gid}/{here.ids['bob']}"):  # fmt: skip
            response = await client.get(path)
            html = await response.text()
            assert response.status == 200, (path, response.status)
            for leak in [*other.titles, str(other.asked), str(other.answer), str(other.waiting)]:
                assert leak not in html, f"{path} shows {leak!r} of {other.guild.name}"
        home = await (await client.get(f"/g/{gid}")).text()
        assert all(title in home for title in here.titles)
        # A foreign user id under this guild: a member of the other guild only is unknown here.
        foreign = next(i for n, i in other.ids.items() if n not in here.ids and n != "Quorum")
        assert (await client.get(f"/u/{gid}/{foreign}")).status == 404


@pytest.fixture
async def two_guilds(emulator, tmp_path):
    """Guild A (the emulator's first) and guild B, added before the bot starts; then the bot."""
    # On the other shard of two than A, so the same guilds serve a two-shard run too.
    b = emulator.world.add_guild("Second Server", members=("erin", "bob", "carol", "frank"),
                                 shard=1 - shard_of(emulator.world.guild_id, 2), num_shards=2)  # fmt: skip
    harness = BotHarness(emulator, tmp_path / "quorum.db")
    await harness.start()
    try:
        yield harness, Side(emulator.world.guild, "alice", "sqlite"), Side(b, "erin", "postgres")
        if harness.app is not None:
            harness.assert_alive()
    finally:
        await harness.stop()


async def test_two_guilds_on_one_process_never_see_each_other(emulator, two_guilds):
    quorum, a, b = two_guilds
    assert {g.id for g in quorum.bot.guilds} == {a.guild.id, b.guild.id}
    await build(emulator, quorum, a, voters=["dave"])
    await build(emulator, quorum, b, voters=["erin", "frank"])
    # The same people, counted per guild: carol's one upvote in A, two in B.
    assert (await reputations(quorum, a.guild.id))[a.ids["carol"]] == 11
    assert (await reputations(quorum, b.guild.id))[b.ids["carol"]] == 21
    assert {q.id for q in await quorum.store.list_questions(a.guild.id)} == {a.asked, a.waiting}
    assert {q.id for q in await quorum.store.list_questions(b.guild.id)} == {b.asked, b.waiting}

    for store_check in range(2):
        await check_isolation(emulator, quorum, a, b, carol_rep=11)
        await check_isolation(emulator, quorum, b, a, carol_rep=21)
        for side in (a, b):
            await publish(quorum.store, side.guild.id, side.guild.forum_channel_id)
        await check_web(quorum, a, b)
        await check_web(quorum, b, a)
        if store_check == 0:
            await quorum.restart()
            assert {g.id for g in quorum.bot.guilds} == {a.guild.id, b.guild.id}

    # After the restart votes still count per guild, and only once.
    await emulator.add_reaction(a.ids["bob"], a.asked, a.answer, UP)
    await eventually(lambda: _score_is(quorum, a.answer, 2))
    assert (await reputations(quorum, a.guild.id))[a.ids["carol"]] == 21
    assert (await reputations(quorum, b.guild.id))[b.ids["carol"]] == 21
    assert (await quorum.store.get_post(b.answer)).score == 2


async def _score_is(quorum, post_id: int, score: int) -> bool:
    post = await quorum.store.get_post(post_id)
    return post is not None and post.score == score
