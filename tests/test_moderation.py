"""Moderation through the real bot and the emulator: /close, /reopen, /duplicate, /lock, /unlock with
the thread's state in Discord and the audit log, refusals, Discord refusing, hand locks, /modlog."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

import pytest

from bot.forum.errors import NotAllowed
from bot.forum.models import AuditEntry, QuestionStatus
from bot.forum.moderation import Action, mirrored_status, transition
from emulator.permissions import MANAGE_THREADS
from tests.export_check import exported
from tests.harness import eventually
from tests.test_accepting import _final, accepted, thread_with_answers
from tests.test_first_slice import setup_forum

EPHEMERAL = 64
OPEN, CLOSED, LOCKED, DUPLICATE = (QuestionStatus.OPEN, QuestionStatus.CLOSED, QuestionStatus.LOCKED,
                                   QuestionStatus.DUPLICATE)  # fmt: skip


# ----- the rules alone -----------------------------------------------------------------------------


def test_allowed_transitions_and_the_refusals_say_why():
    assert transition(Action.CLOSE, OPEN) is CLOSED and transition(Action.CLOSE, LOCKED) is CLOSED
    assert all(transition(Action.REOPEN, s) is OPEN for s in (CLOSED, LOCKED, DUPLICATE))
    assert transition(Action.LOCK, OPEN) is LOCKED and transition(Action.UNLOCK, LOCKED) is OPEN
    refused = {
        (Action.CLOSE, CLOSED): "already closed",
        (Action.REOPEN, OPEN): "already open",
        (Action.LOCK, LOCKED): "already locked",
        (Action.DUPLICATE, DUPLICATE): "already marked as a duplicate",
        (Action.UNLOCK, OPEN): "not locked",
        (Action.UNLOCK, CLOSED): "`/reopen` it first",
        (Action.DUPLICATE, CLOSED): "`/reopen` it first",
        (Action.CLOSE, DUPLICATE): "marked as a duplicate: `/reopen` it first",
    }
    for (action, status), words in refused.items():
        with pytest.raises(NotAllowed, match=words):
            transition(action, status)


def test_only_hand_locks_of_open_questions_are_mirrored():
    assert mirrored_status(OPEN, True) is LOCKED and mirrored_status(LOCKED, False) is OPEN
    # The bot's own edits (and an idle thread archived by Discord) agree with what is stored.
    for status, locked in ((OPEN, False), (LOCKED, True), (CLOSED, True), (CLOSED, False), (DUPLICATE, False)):
        assert mirrored_status(status, locked) is None


# ----- through the bot -----------------------------------------------------------------------------


async def question(emulator, quorum, title="Why does my bot forget?", by="bob"):
    world = emulator.world
    thread = await emulator.create_forum_post(world.members[by].id, title, "It forgets everything.")
    tid = int(thread["id"])
    await eventually(lambda: quorum.store.question_posts(tid))
    return tid


async def forum(emulator, quorum):
    await setup_forum(emulator, moderator_role=emulator.world.moderator_role_id)
    return {name: emulator.world.members[name].id for name in ("alice", "mod", "bob", "carol", "dave")}


async def run(emulator, user_id, channel_id, name, **options) -> dict:
    return await _final(emulator, await emulator.invoke_slash(user_id, channel_id, name, options))


def flags(emulator, tid) -> tuple[bool, bool]:
    metadata = emulator.world.channel(tid)["thread_metadata"]
    return metadata["locked"], metadata["archived"]


def bot_messages(emulator, tid) -> list[dict]:
    bot = str(emulator.world.bot_user_id)
    return [m for m in emulator.world.messages[tid].values() if m["author"]["id"] == bot]


async def status(quorum, tid) -> QuestionStatus:
    return (await quorum.store.get_question(tid)).status


async def audit(quorum, emulator, **kw) -> list[tuple]:
    entries = await quorum.store.audit_log(emulator.world.guild_id, **kw)
    return [(e.actor_id, e.action, e.target_id, e.reason) for e in entries]


async def test_close_and_reopen_by_a_moderator(emulator, quorum):
    ids = await forum(emulator, quorum)
    tid = await question(emulator, quorum)
    done = await run(emulator, ids["mod"], tid, "close", reason="Off topic here")
    assert done["flags"] & EPHEMERAL and done["content"].startswith("Closed")
    assert flags(emulator, tid) == (True, True)
    assert await status(quorum, tid) is CLOSED
    [notice] = bot_messages(emulator, tid)
    assert notice["content"] == f"🔒 Closed by <@{ids['mod']}>: Off topic here"
    posted = [r for r in emulator.requests if r.method == "POST" and r.path.endswith(f"/channels/{tid}/messages")]
    assert posted[-1].json["allowed_mentions"] == {"parse": []}
    assert (await audit(quorum, emulator))[0] == (ids["mod"], "close", tid, "Off topic here")

    again = await run(emulator, ids["mod"], tid, "close", reason="twice")
    assert again["content"] == "This question is already closed."
    closes = [e for e in await audit(quorum, emulator) if e[1] == "close"]
    assert closes == [(ids["mod"], "close", tid, "Off topic here")]
    [closed_question] = (await exported(quorum.store, emulator.world.guild_id))[0]["questions"]
    assert closed_question["status"] == "closed"

    done = await run(emulator, ids["mod"], tid, "reopen")
    assert done["content"].startswith("Reopened")
    assert flags(emulator, tid) == (False, False)
    assert await status(quorum, tid) is OPEN
    assert (await audit(quorum, emulator))[0] == (ids["mod"], "reopen", tid, None)
    again = await run(emulator, ids["mod"], tid, "reopen")
    assert again["content"] == "This question is already open."
    # The bot's own thread edits came back as THREAD_UPDATEs: no rename, no mirrored lock.
    titles = [r for r in await quorum.store.revisions(tid) if r.field == "title"]
    assert len(titles) == 1
    assert [e[1] for e in await audit(quorum, emulator)][:3] == ["reopen", "close", "setup"]


async def test_lock_and_unlock(emulator, quorum):
    ids = await forum(emulator, quorum)
    tid = await question(emulator, quorum)
    done = await run(emulator, ids["mod"], tid, "lock", reason="heated")
    assert done["content"].startswith("Locked")
    assert flags(emulator, tid) == (True, False) and await status(quorum, tid) is LOCKED
    assert (await run(emulator, ids["mod"], tid, "lock"))["content"] == "This question is already locked."
    await run(emulator, ids["mod"], tid, "unlock")
    assert flags(emulator, tid) == (False, False) and await status(quorum, tid) is OPEN
    assert (await run(emulator, ids["mod"], tid, "unlock"))["content"] == "This question is not locked."
    log = await audit(quorum, emulator)
    assert log[:2] == [(ids["mod"], "unlock", tid, None), (ids["mod"], "lock", tid, "heated")]
    assert bot_messages(emulator, tid) == [], "locking posts nothing in the thread"

    # Discord archived the idle thread: it takes nothing but unarchiving, so the bot unarchives first.
    await emulator.archive_thread(tid, archived=True)
    await run(emulator, ids["mod"], tid, "close", reason="stale")
    assert flags(emulator, tid) == (True, True) and await status(quorum, tid) is CLOSED
    assert len(bot_messages(emulator, tid)) == 1
    await _settled(quorum)
    assert all(actor != 0 for actor, *_ in await audit(quorum, emulator)), "the bot's own edits are no hand locks"


async def test_duplicate_posts_a_link_then_locks(emulator, quorum):
    ids = await forum(emulator, quorum)
    world = emulator.world
    original = await question(emulator, quorum, "How do I keep state?")
    tid = await question(emulator, quorum, "Keeping state across restarts?", by="carol")
    link = f"https://discord.com/channels/{world.guild_id}/{original}"

    refusals = {
        link.replace(str(original), str(tid)): "A question cannot be a duplicate of itself.",
        "123456789": "That is not a question I know in this server: give the original question's link.",
        f"https://discord.com/channels/42/{original}": "That link points to another server",
    }
    for given, said in refusals.items():
        assert (await run(emulator, ids["mod"], tid, "duplicate", of=given))["content"].startswith(said)
    gone = await question(emulator, quorum, "Deleted one")
    await emulator.delete_thread(gone)
    await eventually(lambda: _deleted(quorum, gone))
    assert "was deleted" in (await run(emulator, ids["mod"], tid, "duplicate", of=str(gone)))["content"]
    assert await status(quorum, tid) is OPEN and bot_messages(emulator, tid) == []

    done = await run(emulator, ids["mod"], tid, "duplicate", of=link)
    assert done["content"] == f"Marked as a duplicate of {link}; the thread is locked."
    [notice] = bot_messages(emulator, tid)
    assert link in notice["content"] and "**How do I keep state?**" in notice["content"]
    assert flags(emulator, tid) == (True, False), "locked, still listed"
    assert await status(quorum, tid) is DUPLICATE and _duplicate_of(quorum, tid) == original
    page = (await run(emulator, ids["bob"], tid, "question"))["embeds"][0]["description"]
    assert f"**Status** duplicate of <#{original}>" in page, "the thread page links the original"
    assert (await audit(quorum, emulator))[0] == (ids["mod"], "duplicate", tid,
                                                  f"of question {original} (How do I keep state?)")  # fmt: skip
    # Pointing at a duplicate would make chains: the original is asked for instead.
    third = await question(emulator, quorum, "State again")
    said = (await run(emulator, ids["mod"], third, "duplicate", of=str(tid)))["content"]
    assert said.startswith("That question is itself a duplicate")
    questions = {q["id"]: q for q in (await exported(quorum.store, world.guild_id))[0]["questions"]}
    assert questions[str(tid)]["status"] == "duplicate" and questions[str(original)]["status"] == "open"

    # A bare id may name any post of the original; reopening clears what it duplicated.
    await run(emulator, ids["mod"], tid, "reopen")
    assert flags(emulator, tid) == (False, False) and _duplicate_of(quorum, tid) is None
    answer = await emulator.post_message(ids["dave"], original, "Use a database.")
    await eventually(lambda: quorum.store.get_post(int(answer["id"])))
    await run(emulator, ids["mod"], third, "lock")  # locked: unlocked to post the notice, locked again
    await run(emulator, ids["mod"], third, "duplicate", of=answer["id"])
    assert _duplicate_of(quorum, third) == original and await status(quorum, third) is DUPLICATE
    assert flags(emulator, third) == (True, False) and len(bot_messages(emulator, third)) == 1
    await _settled(quorum)
    assert all(actor != 0 for actor, *_ in await audit(quorum, emulator)), "the bot's own edits are no hand locks"


async def test_members_and_the_asker_are_refused(emulator, quorum):
    ids = await forum(emulator, quorum)
    tid = await question(emulator, quorum)
    for who in ("bob", "dave"):  # the asker, and somebody else
        for name, options in (("close", {"reason": "x"}), ("lock", {}), ("duplicate", {"of": str(tid)})):
            inter = await emulator.invoke_slash(ids[who], tid, name, options)
            refusal = await inter.wait_response()
            assert refusal["type"] == 4 and refusal["data"]["flags"] & EPHEMERAL
            assert refusal["data"]["content"].startswith("Only moderators"), (who, name)
    await run(emulator, ids["mod"], tid, "lock")
    said = await _final(emulator, await emulator.invoke_slash(ids["bob"], tid, "unlock", {}))
    assert said["content"].startswith("Only moderators")
    assert await status(quorum, tid) is LOCKED and flags(emulator, tid) == (True, False)
    assert [e[0] for e in await audit(quorum, emulator) if e[1] != "setup"] == [ids["mod"]]

    # Discord shows the commands to Manage Threads; the moderator role without it still passes the
    # check at run time (a server admin can show them the commands in Integrations).
    world = emulator.world
    await emulator.edit_role_permissions(world.moderator_role_id, 0)
    assert (await run(emulator, ids["mod"], tid, "unlock"))["content"].startswith("Unlocked")
    commands = {c["name"]: c for c in world.commands.values()}
    for name in ("close", "reopen", "duplicate", "lock", "unlock", "modlog"):
        assert int(commands[name]["default_member_permissions"]) == MANAGE_THREADS, name


async def test_without_manage_threads_nothing_is_recorded(emulator, quorum):
    ids = await forum(emulator, quorum)
    world = emulator.world
    original = await question(emulator, quorum, "The original")
    tid = await question(emulator, quorum)
    role = world.roles[world.bot_role_id]
    world.set_role_permissions(world.bot_role_id, int(role["permissions"]) & ~MANAGE_THREADS)
    before = await audit(quorum, emulator)
    for name, options in (("close", {"reason": "spam"}), ("lock", {}), ("duplicate", {"of": str(original)})):
        said = await run(emulator, ids["mod"], tid, name, **options)
        assert said["content"].startswith("I need the Manage Threads permission in this channel"), name
        assert await status(quorum, tid) is OPEN and flags(emulator, tid) == (False, False)
        # The notice went up before Discord refused the lock, and was taken down again.
        assert bot_messages(emulator, tid) == [], name
    assert await audit(quorum, emulator) == before


async def test_a_hand_lock_in_discord_is_mirrored(emulator, quorum):
    await forum(emulator, quorum)
    tid = await question(emulator, quorum)
    await emulator.archive_thread(tid, archived=False, locked=True)
    await eventually(lambda: _status_is(quorum, tid, LOCKED))
    assert (await audit(quorum, emulator))[0] == (0, "lock", tid, "in Discord")
    await emulator.archive_thread(tid, archived=False, locked=False)
    await eventually(lambda: _status_is(quorum, tid, OPEN))
    # Discord archiving an idle thread says nothing about the question.
    await emulator.archive_thread(tid, archived=True, locked=False)
    await emulator.archive_thread(tid, archived=False, locked=False)
    await eventually(lambda: _status_is(quorum, tid, OPEN))
    assert [e[1] for e in await audit(quorum, emulator)][:2] == ["unlock", "lock"]


async def test_hand_locks_made_while_away_are_caught_up(emulator, quorum):
    await forum(emulator, quorum)
    tid = await question(emulator, quorum)
    catchup = quorum.bot.get_cog("CatchUp")
    await quorum.stop()
    await emulator.archive_thread(tid, archived=False, locked=True)
    await quorum.start()
    await eventually(lambda: _status_is(quorum, tid, LOCKED))
    assert (await audit(quorum, emulator))[0] == (0, "lock", tid, "in Discord")
    catchup = quorum.bot.get_cog("CatchUp")
    await catchup.wait_idle()
    assert catchup.progress.locks == 1
    assert (await catchup.run()).locks == 0, "nothing left to mirror"

    await quorum.stop()
    await emulator.archive_thread(tid, archived=True, locked=False)  # unlocked, then archived when idle
    await quorum.start()
    await eventually(lambda: _status_is(quorum, tid, OPEN))
    assert [e[1] for e in await audit(quorum, emulator)][:2] == ["unlock", "lock"]


async def test_a_live_unlock_during_catch_up_beats_its_older_view(emulator, quorum):
    await forum(emulator, quorum)
    tid = await question(emulator, quorum)
    await quorum.stop()
    await emulator.archive_thread(tid, archived=False, locked=True)
    # Catch-up lists the thread as locked; the answer is held while a moderator unlocks it live.
    held = emulator.faults.delay("GET", r"^/guilds/\d+/threads/active$", seconds=1.5)
    await quorum.start()
    await emulator.wait_for(lambda: held.hits == 1)
    await emulator.archive_thread(tid, archived=False, locked=False)
    catchup = quorum.bot.get_cog("CatchUp")
    await eventually(lambda: _caught_up(catchup))
    assert await status(quorum, tid) is OPEN, "catch-up's older view of the lock must not win"
    assert catchup.progress.locks == 0


async def _caught_up(catchup) -> bool:
    return catchup.completed >= 1 and not catchup._lock.locked()


async def test_the_bots_own_unpins_are_audited(emulator, quorum):
    ids, tid, (first, second) = await thread_with_answers(emulator, quorum)
    await emulator.pin(ids["mod"], tid, first)
    await accepted(quorum, tid, first)
    await emulator.pin(ids["mod"], tid, second)
    await accepted(quorum, tid, second)
    await emulator.wait_for(lambda: emulator.world.pinned_ids(tid) == [second])

    async def unpin_logged():
        return (emulator.world.bot_user_id, "unpin", first, f"another answer accepted in question {tid}") in (
            await audit(quorum, emulator)
        )

    await eventually(unpin_logged)


async def test_modlog_pages_survive_a_restart_and_are_for_moderators(emulator, quorum):
    ids = await forum(emulator, quorum)
    world = emulator.world
    tid = await question(emulator, quorum)
    await run(emulator, ids["mod"], tid, "close", reason="Answered [elsewhere]")
    for n in range(11):
        entry = AuditEntry(world.guild_id, ids["alice"], "setup", world.forum_channel_id, f"change {n}",
                           datetime.now(UTC))  # fmt: skip
        await quorum.store.add_audit(entry)
    await run(emulator, ids["mod"], tid, "reopen", reason="Not quite")  # 1 setup + close + 11 + reopen = 14

    refused = await (await emulator.invoke_slash(ids["dave"], world.text_channel_id, "modlog", {})).wait_response()
    assert refused["data"]["content"].startswith("Only moderators")

    inter = await emulator.invoke_slash(ids["mod"], world.text_channel_id, "modlog", {})
    first = await inter.wait_response()
    assert first["data"]["flags"] & EPHEMERAL and first["data"]["allowed_mentions"] == {"parse": []}
    embed = first["data"]["embeds"][0]
    assert embed["footer"]["text"] == "page 1/2 · 14 entries"
    lines = embed["description"].split("\n")
    assert len(lines) == 10
    thread_link = f"https://discord.com/channels/{world.guild_id}/{tid}"
    assert lines[0].startswith("<t:") and lines[0].endswith(
        f":R> <@{ids['mod']}> **reopen** [Why does my bot forget?]({thread_link}) — Not quite"
    )
    assert lines[1].endswith(f"<@{ids['alice']}> **setup** <#{world.forum_channel_id}> — change 10")

    await quorum.restart()
    message = inter.original_message
    nav = {c["label"]: c for row in message["components"] for c in row["components"]}
    click = await emulator.click_button(ids["mod"], world.text_channel_id, int(message["id"]), nav["▶"]["custom_id"])
    turned = await click.wait_response()
    assert turned["type"] == 7
    embed = turned["data"]["embeds"][0]
    assert embed["footer"]["text"] == "page 2/2 · 14 entries"
    lines = embed["description"].split("\n")
    assert len(lines) == 4
    assert f"**close** [Why does my bot forget?]({thread_link}) — Answered [elsewhere]" in lines[2]
    assert "**setup**" in lines[3]

    # Only what one member did: one page, no buttons.
    mine = await run(emulator, ids["mod"], world.text_channel_id, "modlog", member=str(ids["mod"]))
    assert mine["embeds"][0]["footer"]["text"] == "page 1/1 · 2 entries" and not mine.get("components")
    # Checked again at every click: a member who is no moderator any more cannot turn the pages.
    world.members["mod"].roles = []
    nav = {c["label"]: c for row in inter.original_message["components"] for c in row["components"]}
    click = await emulator.click_button(ids["mod"], world.text_channel_id, int(message["id"]), nav["◀"]["custom_id"])
    refusal = await click.wait_response()
    assert refusal["type"] == 4 and refusal["data"]["content"].startswith("Only moderators")


async def _settled(quorum):
    # THREAD_UPDATEs of the bot's own edits queue behind the thread's lock: let them run.
    await asyncio.sleep(0.2)


async def _deleted(quorum, tid):
    return (await quorum.store.get_question(tid)).deleted_at is not None


async def _status_is(quorum, tid, expected):
    return await status(quorum, tid) is expected


def _duplicate_of(quorum, tid):
    with sqlite3.connect(quorum.database) as conn:
        return conn.execute("SELECT duplicate_of FROM questions WHERE id = ?", (tid,)).fetchone()[0]
