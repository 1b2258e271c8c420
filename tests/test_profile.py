"""/profile and /top through the real bot and the emulator (reputation by hand, deleted posts left out,
ties, pages that turn after a restart), their pure parts, and the queries' plans (index only)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.forum.models import Leaderboard, PostKind, Profile, RankedMember, TopPost
from bot.forum.profiles import rank_page
from cogs.profile import best_posts_text, leaderboard_page, link_text, profile_embed
from db import member_queries as mq
from db.migrate import load_migrations
from tests.harness import eventually
from tests.test_first_slice import setup_forum

UP, DOWN = "\N{THUMBS UP SIGN}", "\N{THUMBS DOWN SIGN}"
EPHEMERAL = 64


def member(emulator, name: str) -> int:
    return emulator.world.members[name].id


async def run(emulator, user: str, channel_id: int, name: str, **options) -> dict:
    inter = await emulator.invoke_slash(member(emulator, user), channel_id, name, options)
    return await inter.wait_response()


def buttons(message: dict) -> dict[str, dict]:
    return {c["label"]: c for row in message.get("components", []) for c in row["components"]}


async def score_is(quorum, post_id: int, score: int) -> None:
    async def check():
        post = await quorum.store.get_post(post_id)
        return post is not None and post.score == score

    await eventually(check)


async def forum_scene(emulator, quorum) -> dict[str, int]:
    """Two questions, answers, a reply, votes, an accepted answer and a deleted answer.

    Reputation by hand: carol +10 +10 (A1 upvoted twice) +10 (her question Q2 upvoted) -1 (she
    downvoted an answer) +15 (A1 accepted) = 45; bob -2 (A3 downvoted) stays at 1 (never below 1);
    mod earns nothing for accepting an answer on someone else's question; dave 1."""
    world = emulator.world
    await setup_forum(emulator, moderator_role=world.moderator_role_id)
    bob, carol, dave, mod = (member(emulator, n) for n in ("bob", "carol", "dave", "mod"))
    q1 = int((await emulator.create_forum_post(bob, "How do votes work?", "Tell me."))["id"])
    a1 = int((await emulator.post_message(carol, q1, "With reactions."))["id"])
    a2 = int((await emulator.post_message(dave, q1, "Ask a moderator."))["id"])
    q2 = int((await emulator.create_forum_post(carol, "Where is the [log] file?", "Can't find it."))["id"])
    a3 = int((await emulator.post_message(bob, q2, "In /var/log."))["id"])
    await emulator.post_message(carol, q2, "Not there.", reply_to=a3)  # a reply: not an answer
    a4 = int((await emulator.post_message(carol, q2, "Found it myself."))["id"])
    await eventually(lambda: quorum.store.get_post(a4))

    await emulator.add_reaction(dave, q1, a1, UP)
    await emulator.add_reaction(bob, q2, a4, UP)  # taken back when a4 is deleted
    await emulator.add_reaction(bob, q1, a1, UP)
    await emulator.add_reaction(dave, q2, q2, UP)
    await emulator.add_reaction(carol, q2, a3, DOWN)
    await score_is(quorum, a1, 2)
    await score_is(quorum, a3, -1)
    await score_is(quorum, q2, 1)
    await emulator.pin(mod, q1, a1)
    await emulator.delete_message(q2, a4)

    async def settled():
        reputation = await quorum.store.reputations(world.guild_id)
        return reputation.get(carol) == 45 and mod not in reputation

    await eventually(settled)
    return {"q1": q1, "q2": q2, "a1": a1, "a2": a2, "a3": a3, "a4": a4}


async def test_profile_counts_reputation_and_best_posts(emulator, quorum):
    world = emulator.world
    ids = await forum_scene(emulator, quorum)
    reputation = await quorum.store.reputations(world.guild_id)
    carol, bob = member(emulator, "carol"), member(emulator, "bob")
    assert (reputation[carol], reputation[bob], reputation[member(emulator, "dave")]) == (45, 1, 1)

    response = await run(emulator, "dave", world.text_channel_id, "profile", member=carol)
    assert response["type"] == 4 and response["data"]["flags"] & EPHEMERAL
    assert response["data"]["allowed_mentions"] == {"parse": []}
    embed = response["data"]["embeds"][0]
    assert embed["title"] == "Carol"
    assert embed["description"] == f"<@{carol}> · **45** reputation · rank **#1**"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    # The deleted answer and the reply are not answers; the accepted one is counted as such too.
    assert (fields["Questions"], fields["Answers"], fields["Accepted answers"]) == ("1", "1", "1")
    link = f"https://discord.com/channels/{world.guild_id}"
    assert fields["Best posts"] == (
        f"`+2` A · [How do votes work?]({link}/{ids['q1']}/{ids['a1']})\n"
        f"`+1` Q · [Where is the (log) file?]({link}/{ids['q2']}/{ids['q2']})"
    )

    # Without an argument, your own; never below 1, tied with dave behind carol.
    mine = await run(emulator, "bob", world.text_channel_id, "profile", public=True)
    assert not mine["data"].get("flags", 0) & EPHEMERAL
    embed = mine["data"]["embeds"][0]
    assert embed["description"] == f"<@{bob}> · **1** reputation · rank **#2**"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert (fields["Questions"], fields["Answers"], fields["Accepted answers"]) == ("1", "1", "0")
    assert fields["Best posts"].splitlines()[0].startswith("`+0` Q · [How do votes work?]")
    assert fields["Best posts"].splitlines()[1].startswith("`-1` A · [Where is the (log) file?]")

    # Nothing asked or answered: said privately, with the reputation everybody starts with.
    none = await run(emulator, "dave", world.text_channel_id, "profile", member=member(emulator, "alice"))
    assert none["data"]["flags"] & EPHEMERAL
    assert none["data"]["content"] == "Alice hasn't asked or answered anything here yet (reputation 1)."
    bot = await run(emulator, "dave", world.text_channel_id, "profile", member=quorum.bot.user.id)
    assert "is a bot" in bot["data"]["content"]


async def test_top_orders_by_reputation_and_shows_your_rank(emulator, quorum):
    world = emulator.world
    await forum_scene(emulator, quorum)
    carol, mod, dave, bob = (member(emulator, n) for n in ("carol", "mod", "dave", "bob"))
    response = await run(emulator, "dave", world.text_channel_id, "top")
    assert response["data"]["flags"] & EPHEMERAL and response["data"]["allowed_mentions"] == {"parse": []}
    embed = response["data"]["embeds"][0]
    # Ties share a rank (in member id order); the moderator earned nothing for accepting: not on the board.
    assert mod not in (bob, dave) and bob < dave
    assert embed["description"].splitlines() == [
        f"**#1** <@{carol}> · 45",
        f"**#2** <@{bob}> · 1",
        f"**#2** <@{dave}> · 1 ← you",
    ]
    assert embed["footer"]["text"] == "page 1 · Your rank: #2 with 1 reputation"
    assert not response["data"].get("components"), "one page, no buttons"

    # Alice never posted nor was voted on: she is not on the board.
    alice = await run(emulator, "alice", world.text_channel_id, "top")
    assert alice["data"]["embeds"][0]["footer"]["text"].endswith("You're not on the board yet: ask or answer a "
                                                                 "question to get there")  # fmt: skip


async def test_top_pages_turn_across_a_restart(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    bob = member(emulator, "bob")
    tid = int((await emulator.create_forum_post(bob, "Introduce yourselves", "Hello!"))["id"])
    newcomers = [world.add_member(f"m{i}") for i in range(11)]
    answers = []
    for user_id in newcomers:
        answers.append(int((await emulator.post_message(user_id, tid, "Hi there."))["id"]))
    await eventually(lambda: quorum.store.get_post(answers[-1]))
    # m0 and m1 one upvote each (tied across the page boundary), m2..m4 two to four, m5..m10 five.
    voters = [member(emulator, n) for n in ("alice", "carol", "dave", "mod", "bob")]
    upvotes = [1, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5]
    for answer, count in zip(answers, upvotes, strict=True):
        for voter in voters[:count]:
            await emulator.add_reaction(voter, tid, answer, UP)
    for answer, count in zip(answers, upvotes, strict=True):
        await score_is(quorum, answer, count)

    m3 = "m3"
    inter = await emulator.invoke_slash(member(emulator, m3), world.text_channel_id, "top", {"public": True})
    response = await inter.wait_response()
    assert not response["data"].get("flags", 0) & EPHEMERAL
    message = inter.original_message
    page1 = message["embeds"][0]
    ranks = [line.split()[0] for line in page1["description"].splitlines()]
    assert ranks == ["**#1**"] * 6 + ["**#7**", "**#8**", "**#9**", "**#10**"]
    assert page1["description"].splitlines()[-1] == f"**#10** <@{newcomers[0]}> · 11"
    assert page1["footer"]["text"] == "page 1 · Your rank: #8 with 31 reputation"
    nav = buttons(message)
    assert nav["◀"]["disabled"] and not nav["▶"].get("disabled")

    # Somebody else may read along but not turn the pages for everyone.
    stranger = await emulator.click_button(bob, world.text_channel_id, int(message["id"]), nav["▶"]["custom_id"])
    refusal = await stranger.wait_response()
    assert refusal["data"]["flags"] & EPHEMERAL and "Run `/top` to get your own" in refusal["data"]["content"]

    click = await emulator.click_button(member(emulator, m3), world.text_channel_id, int(message["id"]),
                                        nav["▶"]["custom_id"])  # fmt: skip
    turned = await click.wait_response()
    assert turned["type"] == 7 and turned["data"]["allowed_mentions"] == {"parse": []}
    page2 = turned["data"]["embeds"][0]
    # The tie at 11 continues on page 2 with the same rank; then bob, whose question earned nothing.
    assert page2["description"].splitlines() == [f"**#10** <@{newcomers[1]}> · 11", f"**#12** <@{bob}> · 1"]
    assert page2["footer"]["text"] == "page 2 · Your rank: #8 with 31 reputation"

    await quorum.restart()
    message = world.message(world.text_channel_id, int(message["id"]))
    nav = buttons(message)
    assert nav["▶"]["disabled"]
    click = await emulator.click_button(member(emulator, m3), world.text_channel_id, int(message["id"]),
                                        nav["◀"]["custom_id"])  # fmt: skip
    back = await click.wait_response()
    assert back["type"] == 7 and back["data"]["embeds"][0] == page1
    quorum.assert_alive()


async def test_an_empty_guild_has_no_board(emulator, quorum):
    await setup_forum(emulator)
    response = await run(emulator, "carol", emulator.world.text_channel_id, "top")
    assert response["data"]["flags"] & EPHEMERAL
    assert response["data"]["content"].startswith("Nobody here has any reputation yet")
    mine = await run(emulator, "carol", emulator.world.text_channel_id, "profile")
    assert mine["data"]["content"] == "Carol hasn't asked or answered anything here yet (reputation 1)."


async def test_commands_and_options_explain_themselves(emulator, quorum):
    commands = {c["name"]: c for c in emulator.world.commands.values()}
    for name in ("profile", "top"):
        assert commands[name]["description"]
        assert all(option["description"] for option in commands[name]["options"])


# ----- pure parts ------------------------------------------------------------------------------


def test_rank_page_shares_ranks_between_equal_shown_reputations():
    # Stored 0 and -3 both show as 1, so they tie with the stored 1.
    rows = [(1, 50), (2, 50), (3, 7), (4, 1), (5, 0), (6, -3)]
    assert [(m.rank, m.reputation) for m in rank_page(rows, 0, 1)] == [(1, 50), (1, 50), (3, 7), (4, 1), (4, 1), (4, 1)]
    # A page starting inside a tie takes the rank the count gave; the next value starts at its position.
    assert [m.rank for m in rank_page([(7, 11), (8, 11), (9, 5)], 10, 9)] == [9, 9, 13]
    assert rank_page([], 0, 1) == []


def test_link_text_cannot_end_the_link_or_format():
    assert link_text("Why does [x] *fail*?") == r"Why does (x) \*fail\*?"
    assert link_text("line\nbreak") == "line break"
    assert link_text("w" * 200).endswith("…") and len(link_text("w" * 200)) == 80


def _top(post_id: int, score: int, kind=PostKind.ANSWER) -> TopPost:
    return TopPost(post_id, 10, 1, 5, kind, score, f"Question {post_id}")


def test_profile_embed_and_best_posts():
    profile = Profile(1, 42, 1234, None, 3, 1000, 2, ())
    embed = profile_embed(profile, "Eve", [_top(11, 3), _top(10, -1, PostKind.QUESTION)])
    assert embed.description == "<@42> · **1,234** reputation"
    assert [(f.name, f.value) for f in embed.fields[:3]] == [("Questions", "3"), ("Answers", "1,000"),
                                                             ("Accepted answers", "2")]  # fmt: skip
    assert embed.fields[3].value.splitlines() == [
        "`+3` A · [Question 11](https://discord.com/channels/1/10/11)",
        "`-1` Q · [Question 10](https://discord.com/channels/1/10/10)",
    ]
    assert best_posts_text([]) == "*Nothing to show here.*"
    long = [replace(_top(n, 10**9), title="🙂" * 300) for n in range(20)]
    assert len(best_posts_text(long).encode("utf-16-le")) // 2 <= 1024


def test_leaderboard_page_counts_pages_by_what_follows():
    entries = tuple(RankedMember(n + 1, 100 + n, 50 - n) for n in range(10))
    board = Leaderboard(1, 3, entries, True, RankedMember(40, 7, 2))
    rendered = leaderboard_page(board)
    assert (rendered.page, rendered.pages) == (3, 5)
    assert rendered.embed.footer.text == "page 4 · Your rank: #40 with 2 reputation"
    assert "← you" not in rendered.embed.description
    last = leaderboard_page(replace(board, has_next=False, caller=entries[0]))
    assert (last.page, last.pages) == (3, 4)
    assert last.embed.description.splitlines()[0] == "**#1** <@100> · 50 ← you"


# ----- the queries read indexes only -------------------------------------------------------------


@pytest.fixture
def schema() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    for migration in load_migrations():
        conn.executescript(migration.sql)
    return conn


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        (mq.MEMBER_COUNTS, (1, 2)),
        (mq.BEST_POSTS, (1, 2, 10, None)),
        (mq.BEST_POSTS, (1, 2, 10, "[5]")),
        (mq.LEADERBOARD, (1, 11, 0)),
        (mq.MEMBERS_ABOVE, (1, 5)),
        (mq.MEMBER_REPUTATION, (1, 2)),
    ],
)
def test_member_statistics_never_scan_a_table(schema, sql, params):
    plan = [row[3] for row in schema.execute("EXPLAIN QUERY PLAN " + sql, params)]
    reads = [step for step in plan if step.startswith(("SEARCH", "SCAN"))]
    # Posts and members only through covering indexes (or members' own key); questions by id.
    for step in reads:
        assert (
            "COVERING INDEX" in step
            or "USING PRIMARY KEY" in step
            or step.startswith("SEARCH q USING INTEGER PRIMARY KEY")
            or step.startswith(("SCAN (subquery", "SCAN CONSTANT ROW"))
            or step.startswith("SCAN json_each")  # the viewer's readable channels, read once into a list
        ), plan


def test_the_profile_index_leaves_deleted_posts_out(schema):
    t = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp() * 1000)
    schema.execute("INSERT INTO questions (id, guild_id, channel_id, title, author_id, created_at, updated_at)"
                   " VALUES (10, 1, 5, 'Q', 2, ?, ?)", (t, t))  # fmt: skip
    for post_id, deleted in ((10, None), (11, None), (12, t)):
        kind = "question" if post_id == 10 else "answer"
        schema.execute("INSERT INTO posts (id, question_id, guild_id, kind, author_id, body, created_at, deleted_at)"
                       " VALUES (?, 10, 1, ?, 2, 'b', ?, ?)", (post_id, kind, t, deleted))  # fmt: skip
    schema.execute("UPDATE questions SET accepted_answer_id = 12")  # a deleted answer is no accepted answer
    assert schema.execute(mq.MEMBER_COUNTS, (1, 2)).fetchone() == (1, 1, 0, None)
    assert [r[0] for r in schema.execute(mq.BEST_POSTS, (1, 2, 10, None))] == [10, 11]
