"""Discord refusing or failing each call the bot makes to change something, through the real bot and
the emulator's injected faults.

For every route the bot writes to (the thread of /ask, the pin of /accept, the reaction taken off at
a vote switch, the live summary's message, the thread PATCH of moderation), in one bot each:
- 429 with retry_after: discord.py waits and retries; the change is made.
- 500/502 once: discord.py retries with back-off (1 s); the change is made.
- 503 (not retried by discord.py, like a 5xx that persists): the member gets a clear ephemeral
  answer, and nothing half-done is in the store.
- 403 Missing Permissions, twice: the member is told which permission, and the log names it once.
- 404 (the message or thread is gone) and 50083 (archived thread): handled, no "Something broke",
  no traceback in the log, the bot keeps running.
"""

from __future__ import annotations

import logging

import pytest

from emulator.permissions import MANAGE_MESSAGES
from tests.harness import BotHarness, eventually
from tests.test_accepting import _final, thread_with_answers
from tests.test_first_slice import setup_forum

UP, DOWN = "\N{THUMBS UP SIGN}", "\N{THUMBS DOWN SIGN}"
EPHEMERAL = 64
BROKE = "Something broke"
MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")
ARCHIVED = (400, 50083, "Thread is archived")


@pytest.fixture
async def quorum(emulator, tmp_path):
    # A short summary window, so the summary route is exercised within a second.
    harness = BotHarness(emulator, tmp_path / "quorum.db", summary_delay=0.1)
    await harness.start()
    try:
        yield harness
        harness.assert_alive()
    finally:
        await harness.stop()


def statuses(emulator, method: str, pattern: str) -> list[int]:
    import re

    rx = re.compile(pattern)
    return [r.status for r in emulator.requests if r.method == method and rx.search(r.path)]


def tracebacks(caplog) -> list[str]:
    """Log records at WARNING or above that carry a traceback: an error that escaped somewhere."""
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.exc_info and r.levelno >= logging.WARNING]


def lines_naming(caplog, *words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING
            and all(w in r.getMessage() for w in words)]  # fmt: skip


async def answer_of(emulator, inter) -> dict:
    """The member's final answer, which must be private and must not be the generic failure."""
    answer = await _final(emulator, inter)
    assert int(answer.get("flags") or 0) & EPHEMERAL, answer
    assert BROKE not in (answer.get("content") or ""), answer
    return answer


# ----- /ask: the question's thread ----------------------------------------------------------------


async def test_ask_thread_creation(emulator, quorum, caplog):
    caplog.set_level(logging.INFO)
    world = emulator.world
    await setup_forum(emulator)
    bob = world.members["bob"].id
    route = rf"^/channels/{world.forum_channel_id}/threads$"
    # Titles with no word in common: the similar-questions step must not step in.
    titles = iter(["Zebra glue melts overnight", "Quasar lamps flicker constantly", "Xylophone keys keep sticking",
                   "Walrus migration export format", "Broccoli sensor returns nothing", "Ukulele tuner drifts sharp",
                   "Volcano ash clogs filters", "Kayak paddle torque limits"])  # fmt: skip

    async def ask():
        title = next(titles)
        inter = await emulator.invoke_slash(bob, world.text_channel_id, "ask", {"title": title, "body": "b"})
        return title, await answer_of(emulator, inter)

    async def asked(title):
        threads = [int(t["id"]) for t in world.threads.values() if t["name"] == title]
        return threads and await quorum.store.get_question(threads[0])

    # Retried: a 429, then a 500, then a 502 — each time the question is up.
    for fault in (lambda: emulator.faults.rate_limit("POST", route, retry_after=0.2),
                  lambda: emulator.faults.fail("POST", route, 500),
                  lambda: emulator.faults.fail("POST", route, 502)):  # fmt: skip
        rule = fault()
        title, answer = await ask()
        assert "Your question is up" in answer["content"], answer
        assert rule.hits == 1 and await asked(title)
    assert statuses(emulator, "POST", route) == [429, 201, 500, 201, 502, 201]
    questions = len(await quorum.store.list_questions(world.guild_id))

    # 403 twice: the member is told which permission; the log says it once.
    emulator.faults.fail("POST", route, *MISSING_PERMISSIONS, count=2)
    for _ in range(2):
        title, answer = await ask()
        assert "Create Posts" in answer["content"] and "/quorum setup" in answer["content"]
    assert len(lines_naming(caplog, "Create Posts", str(world.forum_channel_id))) == 1, caplog.text

    # 404 (the channel went away under the bot) and a 503 that is not retried: a clear answer.
    emulator.faults.fail("POST", route, 404, 10003, "Unknown Channel")
    _, answer = await ask()
    assert "no longer exists" in answer["content"]
    emulator.faults.fail("POST", route, 503, 0, "Service Unavailable")
    _, answer = await ask()
    assert "Discord" in answer["content"] and "try again" in answer["content"]

    assert len(await quorum.store.list_questions(world.guild_id)) == questions, "a refused /ask stored nothing"
    assert len(world.threads) == questions
    assert tracebacks(caplog) == []


# ----- /accept: the pin ---------------------------------------------------------------------------


async def test_accept_pin(emulator, quorum, caplog):
    caplog.set_level(logging.INFO)
    ids, tid, answers = await thread_with_answers(emulator, quorum, n=3)
    guild = emulator.world.guild_id

    async def accept(answer_id):
        link = f"https://discord.com/channels/{guild}/{tid}/{answer_id}"
        return await answer_of(emulator, await emulator.invoke_slash(ids["bob"], tid, "accept", {"message": link}))

    async def accepted_is(answer_id):
        return (await quorum.store.get_question(tid)).accepted_answer_id == answer_id

    def route(answer_id):
        return rf"^/channels/{tid}/messages/pins/{answer_id}$"

    emulator.faults.rate_limit("PUT", route(answers[0]), retry_after=0.2)
    assert "Accepted" in (await accept(answers[0]))["content"]
    await eventually(lambda: accepted_is(answers[0]))
    emulator.faults.fail("PUT", route(answers[1]), 500)
    assert "Accepted" in (await accept(answers[1]))["content"]
    await eventually(lambda: accepted_is(answers[1]))
    assert statuses(emulator, "PUT", r"/messages/pins/") == [429, 204, 500, 204]
    # Refusals of the pin of answers[2]: the accepted answer stays answers[1], nothing is audited.
    emulator.faults.fail("PUT", route(answers[2]), *MISSING_PERMISSIONS, count=2)
    for _ in range(2):
        assert "Pin Messages" in (await accept(answers[2]))["content"]
    assert len(lines_naming(caplog, "Pin Messages", str(tid))) == 1, caplog.text
    emulator.faults.fail("PUT", route(answers[2]), 404, 10008, "Unknown Message")
    assert "no longer exists" in (await accept(answers[2]))["content"]
    emulator.faults.fail("PUT", route(answers[2]), *ARCHIVED)
    assert "archived" in (await accept(answers[2]))["content"]
    emulator.faults.fail("PUT", route(answers[2]), 503, 0, "Service Unavailable")
    answer = await accept(answers[2])
    assert "Discord" in answer["content"] and "try again" in answer["content"]

    # Each refused pin put answers[1] back (the bot unpins it first): the question is as it was in
    # Discord and, once the pins events are read, in the store.
    await emulator.wait_for(lambda: emulator.world.pinned_ids(tid) == [answers[1]])
    await eventually(lambda: _accepted_by(quorum, tid, answers[1], ids["bob"]))
    assert answers[2] not in [e.target_id for e in await quorum.store.audit_log(guild)], "a refused pin is not audited"
    assert (await quorum.store.recount()).differences == 0
    assert tracebacks(caplog) == []


# ----- a vote switch: the old reaction taken off ---------------------------------------------------


async def test_vote_switch_reaction_removal(emulator, quorum, caplog):
    caplog.set_level(logging.INFO)
    world = emulator.world
    ids, tid, (aid,) = await thread_with_answers(emulator, quorum, n=1)
    dave = ids["dave"]
    route = rf"^/channels/{tid}/messages/{aid}/reactions/[^/]+/{dave}$"
    emoji = {UP: DOWN, DOWN: UP}
    current = UP
    await emulator.add_reaction(dave, tid, aid, UP)
    await _vote_is(quorum, aid, dave, 1)

    async def switch():
        nonlocal current
        old, current = current, emoji[current]
        await emulator.add_reaction(dave, tid, aid, current)
        await _vote_is(quorum, aid, dave, 1 if current == UP else -1)
        return old

    async def taken_off(old):
        await emulator.wait_for(lambda: dave not in world.reactions[aid].get(old, []))

    for fault in (lambda: emulator.faults.rate_limit("DELETE", route, retry_after=0.2),
                  lambda: emulator.faults.fail("DELETE", route, 500)):  # fmt: skip
        rule = fault()
        await taken_off(await switch())
        assert rule.hits == 1

    # Refusals: the vote counts (it is the member's latest), the old reaction stays in Discord,
    # and the bot says why once. A later catch-up settles the two reactions (README).
    refusals = [MISSING_PERMISSIONS, MISSING_PERMISSIONS, (404, 10014, "Unknown Emoji"), ARCHIVED,
                (503, 0, "Service Unavailable")]  # fmt: skip
    for status, code, message in refusals:
        rule = emulator.faults.fail("DELETE", route, status, code, message)
        old = await switch()
        await emulator.wait_for(lambda rule=rule: rule.hits == 1)
        await emulator.remove_reaction(dave, tid, aid, old)  # the member tidies up by hand
        await _vote_is(quorum, aid, dave, 1 if current == UP else -1)
    assert len(lines_naming(caplog, "Manage Messages", str(tid))) == 1, caplog.text
    assert (await quorum.store.recount()).differences == 0
    assert tracebacks(caplog) == []


async def test_without_manage_messages_a_switch_is_logged_once(emulator, quorum, caplog):
    # The real refusal, not an injected one: the bot's role lacks Manage Messages.
    caplog.set_level(logging.INFO)
    world = emulator.world
    ids, tid, (aid,) = await thread_with_answers(emulator, quorum, n=1)
    role = world.roles[world.bot_role_id]
    world.set_role_permissions(world.bot_role_id, int(role["permissions"]) & ~MANAGE_MESSAGES)
    for emoji, value in ((UP, 1), (DOWN, -1), (UP, 1)):
        if ids["dave"] in world.reactions.get(aid, {}).get(emoji, []):
            await emulator.remove_reaction(ids["dave"], tid, aid, emoji)  # left on by the refusal
        await emulator.add_reaction(ids["dave"], tid, aid, emoji)
        await _vote_is(quorum, aid, ids["dave"], value)
    await emulator.wait_for(lambda: len(statuses(emulator, "DELETE", r"/reactions/")) >= 2)
    assert set(statuses(emulator, "DELETE", r"/reactions/")) == {403}
    assert len(lines_naming(caplog, "Manage Messages")) == 1, caplog.text
    assert tracebacks(caplog) == []


# ----- the live summary message --------------------------------------------------------------------


async def test_summary_message(emulator, quorum, caplog):
    caplog.set_level(logging.DEBUG)
    world = emulator.world
    ids, tid, answers = await thread_with_answers(emulator, quorum, n=3)
    post_route = rf"^/channels/{tid}/messages$"
    # Each vote is by a new (voter, answer) pair, so each changes a score and asks for a summary write.
    pairs = iter([("mod", 0), ("mod", 1), ("mod", 2), ("bob", 2), ("dave", 2), ("bob", 0), ("bob", 1), ("carol", 2)])
    writes = rf"^/channels/{tid}/messages(/\d+)?$"

    def summaries():
        return [m for m in world.messages[tid].values()
                if int(m["author"]["id"]) == world.bot_user_id and m.get("embeds")]  # fmt: skip

    def attempts():
        return len(statuses(emulator, "POST", writes)) + len(statuses(emulator, "PATCH", writes))

    async def vote():
        voter, answer = next(pairs)
        before = attempts()
        await emulator.add_reaction(ids[voter], tid, answers[answer], UP)
        await emulator.wait_for(lambda: attempts() > before)

    # Refused posts first: the summary's place stays empty (nothing half-done), and it heals at the
    # next vote once Discord takes it.
    emulator.faults.fail("POST", post_route, *MISSING_PERMISSIONS, count=2)
    await vote()
    await vote()
    assert summaries() == []
    assert (await quorum.service.summary_place(tid)).message_id is None
    assert len(lines_naming(caplog, "summary", "Send Messages in Threads")) == 1, caplog.text
    for fault in ((*ARCHIVED,), (404, 10003, "Unknown Channel"), (503, 0, "Service Unavailable")):
        emulator.faults.fail("POST", post_route, *fault)
        await vote()
        assert summaries() == [] and (await quorum.service.summary_place(tid)).message_id is None
    emulator.faults.rate_limit("POST", post_route, retry_after=0.2)
    await vote()
    await emulator.wait_for(lambda: len(summaries()) == 1)
    summary_id = int(summaries()[0]["id"])
    await eventually(lambda: _place_is(quorum, tid, summary_id))

    # Its edits: retried after a 500; a 404 (someone deleted it) posts a new one.
    edit_route = rf"^/channels/{tid}/messages/{summary_id}$"
    emulator.faults.fail("PATCH", edit_route, 500)
    await vote()
    await emulator.wait_for(lambda: statuses(emulator, "PATCH", edit_route) == [500, 200])
    emulator.faults.fail("PATCH", edit_route, 404, 10008, "Unknown Message")
    await vote()
    await emulator.wait_for(lambda: len(summaries()) == 2)
    assert statuses(emulator, "POST", post_route) == [403, 403, 400, 404, 503, 429, 200, 200]
    assert tracebacks(caplog) == []


async def _place_is(quorum, tid, message_id):
    place = await quorum.service.summary_place(tid)
    return place is not None and place.message_id == message_id


async def _vote_is(quorum, post_id, voter_id, value):
    async def check():
        return await quorum.store.get_vote(post_id, voter_id) == value

    await eventually(check)


async def _accepted_by(quorum, tid, answer_id, member_id):
    question = await quorum.store.get_question(tid)
    return (question.accepted_answer_id, question.accepted_by) == (answer_id, member_id)


# ----- moderation: the thread's PATCH (and /close's notice) -----------------------------------------


async def test_moderation_thread_patch(emulator, quorum, caplog):
    from bot.forum.models import QuestionStatus

    caplog.set_level(logging.INFO)
    world = emulator.world
    ids, tid, _ = await thread_with_answers(emulator, quorum, n=1)
    patch = rf"^/channels/{tid}$"

    async def run(name, **options):
        return await answer_of(emulator, await emulator.invoke_slash(ids["mod"], tid, name, options))

    async def status():
        return (await quorum.store.get_question(tid)).status

    def flags():
        meta = world.channel(tid)["thread_metadata"]
        return meta["locked"], meta["archived"]

    emulator.faults.rate_limit("PATCH", patch, retry_after=0.2)
    assert "Locked" in (await run("lock"))["content"] and await status() is QuestionStatus.LOCKED
    emulator.faults.fail("PATCH", patch, 500)
    assert "Unlocked" in (await run("unlock"))["content"] and await status() is QuestionStatus.OPEN
    await emulator.wait_for(lambda: flags() == (False, False))
    audit = len(await quorum.store.audit_log(world.guild_id))

    emulator.faults.fail("PATCH", patch, *MISSING_PERMISSIONS, count=2)
    for _ in range(2):
        assert "Manage Threads" in (await run("lock"))["content"]
    assert len(lines_naming(caplog, "Manage Threads", str(tid))) == 1, caplog.text
    emulator.faults.fail("PATCH", patch, 404, 10003, "Unknown Channel")
    assert "no longer exists" in (await run("lock"))["content"]
    emulator.faults.fail("PATCH", patch, 503, 0, "Service Unavailable")
    answer = await run("lock")
    assert "Discord" in answer["content"] and "try again" in answer["content"]

    # /close posts its notice, then locks: a refused lock takes the notice back; a notice refused
    # because Discord archived the thread meanwhile is a clear answer too.
    notices = rf"^/channels/{tid}/messages$"
    emulator.faults.fail("PATCH", patch, 503, 0, "Service Unavailable")
    answer = await run("close", reason="answered elsewhere")
    assert "try again" in answer["content"]
    await emulator.wait_for(lambda: not [m for m in world.messages[tid].values() if "Closed by" in m["content"]])
    emulator.faults.fail("POST", notices, *ARCHIVED)
    assert "archived" in (await run("close", reason="answered elsewhere"))["content"]

    assert await status() is QuestionStatus.OPEN and flags() == (False, False)
    assert len(await quorum.store.audit_log(world.guild_id)) == audit, "a refused change is not audited"
    assert tracebacks(caplog) == []
