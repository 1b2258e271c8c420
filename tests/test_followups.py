"""The help forum's follow-ups end to end, the real bot against the emulator with a clock the test
moves: the idle nudge (once, only the asker pinged, its buttons working across a restart) and the
archive of a solved question's thread; both come from the store, so what came due while the bot was
stopped is done once after it starts."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.forum.followups import UnansweredSort
from bot.forum.visibility import Readable
from tests.harness import BotHarness, eventually
from tests.test_accepting import _final, accepted, reputations, thread_with_answers
from tests.test_reading import buttons

HOUR = timedelta(hours=1)
EPHEMERAL = 64
MESSAGES = "/channels/{channel_id}/messages"



def nudges(emulator, thread_id: int) -> list[dict]:
    """The bot's nudges in the thread, oldest first."""
    bot = str(emulator.world.bot_user_id)
    found = [m for m in emulator.world.messages.get(thread_id, {}).values()
             if m["author"]["id"] == bot and "quorum:nudge:mark:" in json.dumps(m["components"])]  # fmt: skip
    return sorted(found, key=lambda m: int(m["id"]))


async def started(quorum: BotHarness) -> None:
    """After a (re)start: wait for the job's first pass, which waits for the start's catch-up."""
    app = quorum.app
    await eventually(lambda: _passed(app), timeout=15)


async def _passed(app) -> bool:
    return app.followup_passes >= 1


async def test_a_quiet_asker_is_nudged_once_and_nobody_else_is_pinged(emulator, timed):
    quorum, clock = timed
    ids, tid, _ = await thread_with_answers(emulator, quorum)  # bob asks; carol and dave answer
    await started(quorum)
    clock.now += 23 * HOUR
    await quorum.app.run_followups()
    assert nudges(emulator, tid) == [], "not before idle_nudge_hours (24 by default)"

    clock.now += 2 * HOUR
    await quorum.app.run_followups()
    await quorum.app.run_followups()
    (nudge,) = nudges(emulator, tid)
    assert f"<@{ids['bob']}>" in nudge["content"] and "<@" not in nudge["content"].replace(f"<@{ids['bob']}>", "")
    sent = [r.json for r in emulator.requests_to("POST", MESSAGES) if r.path == f"/channels/{tid}/messages"]
    (body,) = [b for b in sent if "quorum:nudge:mark:" in json.dumps(b.get("components"))]
    mentions = body["allowed_mentions"]
    assert mentions["parse"] == [] and [int(u) for u in mentions["users"]] == [ids["bob"]] and not mentions.get("roles")
    assert set(buttons(nudge)) == {"Mark the answer that solved it", "Still need help"}

    await quorum.restart()
    await started(quorum)
    assert len(nudges(emulator, tid)) == 1, "the store remembers the nudge across a restart"

    # A new answer after the nudge makes one more due, a day after it; the asker writing cancels it.
    await emulator.post_message(ids["alice"], tid, "Another idea")
    await eventually(lambda: _posts(quorum, tid, 4))
    clock.now += 25 * HOUR
    await quorum.app.run_followups()
    assert len(nudges(emulator, tid)) == 2
    await emulator.post_message(ids["carol"], tid, "And one more")
    await emulator.post_message(ids["bob"], tid, "Thanks, trying it")
    await eventually(lambda: _posts(quorum, tid, 6))
    clock.now += 25 * HOUR
    await quorum.app.run_followups()
    assert len(nudges(emulator, tid)) == 2, "the asker wrote after the newest answer"


async def test_a_nudge_that_came_due_while_the_bot_was_stopped_is_sent_once(emulator, timed):
    quorum, clock = timed
    ids, tid, _ = await thread_with_answers(emulator, quorum)
    await quorum.stop()
    clock.now += 30 * HOUR
    await quorum.start()
    await started(quorum)
    assert len(nudges(emulator, tid)) == 1
    await quorum.restart()
    await started(quorum)
    await quorum.app.run_followups()
    assert len(nudges(emulator, tid)) == 1


async def test_the_nudge_buttons_after_a_restart(emulator, timed):
    quorum, clock = timed
    world = emulator.world
    ids, tid, (first, second) = await thread_with_answers(emulator, quorum)
    await emulator.add_reaction(ids["carol"], tid, second, "👍")  # dave's answer first in the view
    await eventually(lambda: _score(quorum, second, 1))
    clock.now += 25 * HOUR
    await quorum.app.run_followups()
    (nudge,) = nudges(emulator, tid)
    controls = buttons(nudge)
    mark, still = controls["Mark the answer that solved it"]["custom_id"], controls["Still need help"]["custom_id"]
    await quorum.restart()  # the buttons of a nudge posted before the restart
    await started(quorum)

    refused = await emulator.click_button(ids["dave"], tid, int(nudge["id"]), mark)
    answer = await _final(emulator, refused)
    assert answer["flags"] & EPHEMERAL and "Only the asker or a moderator" in answer["content"]
    refused = await emulator.click_button(ids["carol"], tid, int(nudge["id"]), still)
    assert "Only the asker" in (await _final(emulator, refused))["content"]

    click = await emulator.click_button(ids["bob"], tid, int(nudge["id"]), mark)
    deferred = await click.wait_response()  # at once, before any store read: Discord's 3 s
    assert deferred["type"] == 5 and deferred["data"]["flags"] & EPHEMERAL
    picker = await _final(emulator, click)
    assert picker["flags"] & EPHEMERAL and _followup_mentions(emulator)[-1] == {"parse": []}
    (select,) = [c for row in picker["components"] for c in row["components"]]
    assert [o["value"] for o in select["options"]] == [str(second), str(first)], "the /question view's order"
    await quorum.restart()  # the picker too outlives a restart
    await started(quorum)
    chosen = await emulator.select(ids["bob"], tid, int(picker["id"]), select["custom_id"], [second])
    assert "Accepted" in (await _final(emulator, chosen))["content"]
    question = await accepted(quorum, tid, second)
    assert question.accepted_by == ids["bob"] and world.pinned_ids(tid) == [second]
    rep = await reputations(quorum, emulator)
    assert rep[ids["dave"]] == 1 + 10 + 15 and rep[ids["bob"]] == 1 + 2, "as /accept: +15 answerer, +2 asker"
    assert (await quorum.store.recount()).differences == 0
    assert world.messages[tid][int(nudge["id"])]["components"] == [], "accepted: the nudge's buttons go"
    assert world.messages[tid][int(nudge["id"])]["content"] == nudge["content"]


async def test_a_moderator_may_pick_from_the_nudge(emulator, timed):
    quorum, clock = timed
    ids, tid, (first, _) = await thread_with_answers(emulator, quorum)
    clock.now += 25 * HOUR
    await quorum.app.run_followups()
    (nudge,) = nudges(emulator, tid)
    mark = buttons(nudge)["Mark the answer that solved it"]["custom_id"]
    picker = await _final(emulator, await emulator.click_button(ids["mod"], tid, int(nudge["id"]), mark))
    (select,) = [c for row in picker["components"] for c in row["components"]]
    chosen = await emulator.select(ids["mod"], tid, int(picker["id"]), select["custom_id"], [first])
    assert "Accepted" in (await _final(emulator, chosen))["content"]
    assert (await accepted(quorum, tid, first)).accepted_by == ids["mod"]


async def test_still_need_help_flags_the_question(emulator, timed):
    quorum, clock = timed
    ids, tid, _ = await thread_with_answers(emulator, quorum)
    clock.now += 25 * HOUR
    await quorum.app.run_followups()
    (nudge,) = nudges(emulator, tid)
    await quorum.restart()
    await started(quorum)
    still = buttons(nudge)["Still need help"]["custom_id"]
    click = await emulator.click_button(ids["bob"], tid, int(nudge["id"]), still)
    assert (await click.wait_response())["type"] == 5, "deferred before the store is read and written"
    answer = await _final(emulator, click)
    assert answer["flags"] & EPHEMERAL and "top of `/unanswered`" in answer["content"]
    flagged = await _help_wanted(quorum, tid)
    assert flagged is not None and abs((flagged - clock.now).total_seconds()) < 1, "the app's time is stored"
    await quorum.restart()
    assert await _help_wanted(quorum, tid) == flagged


async def test_a_solved_thread_is_archived_after_the_delay_once(emulator, timed):
    quorum, clock = timed
    world = emulator.world
    ids, tid, (first, _) = await thread_with_answers(emulator, quorum)
    link = f"https://discord.com/channels/{world.guild_id}/{tid}/{first}"
    await _final(emulator, await emulator.invoke_slash(ids["bob"], tid, "accept", {"message": link}))
    await accepted(quorum, tid, first)
    await started(quorum)

    clock.now += 23 * HOUR
    await quorum.app.run_followups()
    assert not _archived(emulator, tid)
    clock.now += 2 * HOUR
    await quorum.app.run_followups()
    assert _archived(emulator, tid)
    (patch,) = [r for r in emulator.requests_to("PATCH", "/channels/{channel_id}") if r.path == f"/channels/{tid}"
                and r.json.get("archived") is True]  # fmt: skip
    assert patch.status == 200
    assert nudges(emulator, tid) == [], "an accepted question is never nudged"

    # A member's message reopens it, as Discord does; Quorum does not archive it again.
    await emulator.post_message(ids["carol"], tid, "Glad it worked")
    assert not _archived(emulator, tid)
    await eventually(lambda: _posts(quorum, tid, 4))
    clock.now += 25 * HOUR
    await quorum.app.run_followups()
    await quorum.restart()
    await started(quorum)
    assert not _archived(emulator, tid)
    assert len(_archive_requests(emulator, tid)) == 1


async def test_no_archive_when_the_accept_is_cleared_and_archive_after_a_stop(emulator, timed):
    quorum, clock = timed
    world = emulator.world
    ids, tid, (first, _) = await thread_with_answers(emulator, quorum)
    await emulator.pin(ids["mod"], tid, first)
    await accepted(quorum, tid, first)
    clock.now += 2 * HOUR
    await _final(emulator, await emulator.invoke_slash(ids["bob"], tid, "unaccept", {}))
    await accepted(quorum, tid, None)
    clock.now += 30 * HOUR
    await quorum.app.run_followups()
    assert not _archived(emulator, tid) and _archive_requests(emulator, tid) == []

    # Accepted again, then the bot is stopped past the delay: archived once, after it starts.
    other = await emulator.create_forum_post(ids["carol"], "Second question", "Body")
    oid = int(other["id"])
    answer = int((await emulator.post_message(ids["dave"], oid, "Try this"))["id"])
    await eventually(lambda: _posts(quorum, oid, 2))
    link = f"https://discord.com/channels/{world.guild_id}/{oid}/{answer}"
    await _final(emulator, await emulator.invoke_slash(ids["carol"], oid, "accept", {"message": link}))
    await accepted(quorum, oid, answer)
    await quorum.stop()
    clock.now += 25 * HOUR
    await quorum.start()
    await started(quorum)
    assert _archived(emulator, oid) and len(_archive_requests(emulator, oid)) == 1
    await quorum.restart()
    await started(quorum)
    assert len(_archive_requests(emulator, oid)) == 1


async def test_setup_sets_the_delays_and_zero_turns_them_off(emulator, timed):
    quorum, clock = timed
    world = emulator.world
    ids, tid, (first, _) = await thread_with_answers(emulator, quorum)
    shown = await emulator.invoke_slash(ids["alice"], world.text_channel_id, "quorum setup",
                                        {"idle_nudge_hours": 0, "archive_after_accept_hours": 2})  # fmt: skip
    embed = (await shown.wait_response())["data"]["embeds"][0]
    assert any("no idle nudge" in f["value"] and "archived 2 h" in f["value"] for f in embed["fields"])
    await quorum.restart()
    settings = quorum.service.settings(world.guild_id)
    assert (settings.idle_nudge_hours, settings.archive_after_accept_hours) == (0, 2)
    clock.now += 48 * HOUR
    await quorum.app.run_followups()
    assert nudges(emulator, tid) == []
    await emulator.pin(ids["mod"], tid, first)
    await accepted(quorum, tid, first)
    clock.now += 3 * HOUR
    await quorum.app.run_followups()
    assert _archived(emulator, tid)


def _archived(emulator, thread_id: int) -> bool:
    return emulator.world.channel(thread_id)["thread_metadata"]["archived"]


def _archive_requests(emulator, thread_id: int) -> list:
    return [r for r in emulator.requests_to("PATCH", "/channels/{channel_id}")
            if r.path == f"/channels/{thread_id}" and r.json.get("archived") is True]  # fmt: skip


async def _posts(quorum, thread_id: int, count: int) -> bool:
    return len(await quorum.store.question_posts(thread_id)) == count


async def _score(quorum, post_id: int, score: int) -> bool:
    return (await quorum.store.get_post(post_id)).score == score


def _followup_mentions(emulator) -> list[dict | None]:
    """allowed_mentions of the bot's interaction followups, as sent."""
    sent = emulator.requests_to("POST", "/webhooks/{webhook_id}/{webhook_token}")
    return [r.json.get("allowed_mentions") for r in sent]


async def _help_wanted(quorum, thread_id: int):
    question = await quorum.store.get_question(thread_id)
    readable = Readable(frozenset({question.channel_id}))
    page = await quorum.service.followups.unanswered(question.guild_id, readable, UnansweredSort.OLDEST, None, 0)
    row = next((r for r in page.rows if r.id == thread_id), None)
    return row.help_wanted_at if row else None


async def test_a_nudge_claimed_before_a_crash_is_never_sent_twice(emulator, timed):
    """The claim is written before the message is sent: a crash between the two (here: the claim made,
    then the bot stopped before any pass sent it) leaves a claimed nudge, which no later pass sends."""
    quorum, clock = timed
    ids, tid, _ = await thread_with_answers(emulator, quorum)
    clock.now += 25 * HOUR
    followups = quorum.service.followups
    (due,) = await followups.nudges_due([emulator.world.guild_id])
    assert await followups.claim_nudge(due) and not await followups.claim_nudge(due)
    await quorum.restart()
    await started(quorum)
    await quorum.app.run_followups()
    assert nudges(emulator, tid) == []


async def test_a_nudge_reopens_a_thread_discord_archived_for_inactivity(emulator, timed):
    """A day without messages is when Discord often archives a thread: the nudge's message unarchives
    it (Discord does so for a message in an archived thread that is not locked)."""
    quorum, clock = timed
    ids, tid, _ = await thread_with_answers(emulator, quorum)
    await emulator.archive_thread(tid)
    clock.now += 25 * HOUR
    await quorum.app.run_followups()
    assert len(nudges(emulator, tid)) == 1 and not _archived(emulator, tid)
