"""`quorum export` version 2: everything the store knows that Discord cannot give back, in a
document that matches bot/forum/export_schema.json and reads the same twice."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bench.generate import generate
from bot.export import write_export
from bot.forum.models import Attachment, AuditEntry, GuildSettings, Post, PostKind, Question, QuestionStatus
from bot.forum.public import NameEntry
from bot.forum.voting import VoteVia
from db import export_reader
from db.store import open_store
from tests.export_check import V1_ANSWER, V1_GUILD, V1_QUESTION, V1_REPLY, exported

G, CHANNEL, ROLE = 1000, 2000, 3000
ASKER, CAROL, DAVE, EVE, MOD = 11, 12, 13, 14, 15
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def iso(minutes: int) -> str:
    return at(minutes).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def question(qid: int, title: str, minutes: int) -> Question:
    return Question(qid, G, CHANNEL, title, ASKER, at(minutes), starter_id=qid, tags=("python",), thread_type=11)


def post(pid: int, qid: int, kind: PostKind, author: int, body: str, minutes: int, parent: int | None = None,
         **extra) -> Post:  # fmt: skip
    return Post(pid, qid, G, kind, author, body, at(minutes), parent, parent, **extra)


@pytest.fixture
async def store(tmp_path):
    store = await open_store(tmp_path / "q.db", follow_search_index=False)
    yield store
    await store.close()


async def fill(store) -> None:
    """One guild with every kind of data the store keeps."""
    await store.save_settings(GuildSettings(G, CHANNEL, ROLE, daily_vote_cap=30), MOD, at(0))
    picture = Attachment(555, "trace.png", "https://cdn.example/trace.png", "image/png", 1234)
    starter = post(100, 100, PostKind.QUESTION, ASKER, "The body", 1, attachments=(picture,))
    await store.add_question(question(100, "How to export?", 1), starter)
    await store.add_post(post(101, 100, PostKind.ANSWER, CAROL, "Use the CLI", 2))
    await store.add_post(post(102, 100, PostKind.ANSWER, DAVE, "Ask again", 3))
    await store.add_post(post(103, 100, PostKind.REPLY, ASKER, "Which CLI?", 4, parent=101))
    await store.add_post(post(104, 100, PostKind.REPLY, EVE, "A reply to the question", 5, parent=100))
    await store.add_post(post(105, 100, PostKind.REPLY, DAVE, "Gone soon", 6, parent=101))
    await store.delete_post(105, at(7))
    await store.edit_post(102, "Ask again later", DAVE, at(8))
    await store.rename_question(100, "How do I export?", MOD, at(9))
    await store.apply_vote(101, ASKER, 1, at(10))
    await store.apply_vote(101, EVE, 1, at(11), via=VoteVia.COMMAND)
    await store.apply_vote(100, DAVE, -1, at(12))
    await store.apply_vote(104, CAROL, 1, at(13))
    await store.apply_vote(102, EVE, 1, at(14))
    await store.apply_vote(102, EVE, 0, at(15))  # withdrawn
    await store.set_acceptance(100, 101, ASKER, at(16), AuditEntry(G, ASKER, "accept", 101, None, at(16)))
    for qid, minutes in ((200, 20), (300, 30), (400, 40), (500, 50)):
        await store.add_question(question(qid, f"Question {qid}", minutes),
                                 post(qid, qid, PostKind.QUESTION, ASKER, f"Body {qid}", minutes))  # fmt: skip
    close = AuditEntry(G, MOD, "close", 200, "Off topic", at(21))
    await store.set_status(200, QuestionStatus.CLOSED, None, at(21), close)
    duplicate = AuditEntry(G, MOD, "duplicate", 300, None, at(31))
    await store.set_status(300, QuestionStatus.DUPLICATE, 100, at(31), duplicate)
    await store.set_status(400, QuestionStatus.LOCKED, None, at(41), None)
    await store.add_post(post(501, 500, PostKind.ANSWER, CAROL, "Answer in a deleted thread", 51))
    await store.delete_question(500, at(52))
    await store.remember_names([NameEntry(G, "user", CAROL, "Carol"), NameEntry(G, "role", ROLE, "Mods"),
                                NameEntry(G, "channel", CHANNEL, "help")], at(60))  # fmt: skip
    await store.set_web_hidden(G, DAVE, True, at(61))
    await store.set_guild_name(G, "The Guild", at(62))
    await store.set_channel_readable(G, CHANNEL, True, at(63))
    await store.set_channel_published(G, CHANNEL, True, MOD, at(64))


async def document(store) -> str:
    out = io.StringIO()
    await write_export(store, out, G)
    return out.getvalue()


async def test_every_kind_of_data_is_exported(store):
    await fill(store)
    [guild] = await exported(store, G)
    assert guild["format"] == "quorum-export/2" and guild["guild_id"] == str(G)
    assert guild["settings"] == {"forum_channel_id": str(CHANNEL), "moderator_role_id": str(ROLE), "upvote_emoji": "👍",
                                 "downvote_emoji": "👎", "daily_vote_cap": 30, "idle_nudge_hours": 24,
                                 "archive_after_accept_hours": 24, "updated_at": iso(0)}  # fmt: skip
    assert guild["web"] == {"name": "The Guild", "updated_at": iso(62)}
    [channel] = guild["web_channels"]
    assert channel["channel_id"] == str(CHANNEL) and channel["published"] is True
    assert channel["everyone_can_read"] is True and channel["published_by"] == str(MOD)

    questions = {q["id"]: q for q in guild["questions"]}
    assert list(questions) == ["100", "200", "300", "400"]  # live ones, oldest first
    first = questions["100"]
    assert first["title"] == "How do I export?" and first["body"] == "The body"
    assert [(r["number"], r["text"], r["editor_id"]) for r in first["title_revisions"]] == [
        (1, "How to export?", str(ASKER)), (2, "How do I export?", str(MOD))]  # fmt: skip
    assert first["accepted_answer_id"] == "101" and first["accepted_by"] == str(ASKER)
    assert first["accepted_at"] == iso(16)
    assert first["channel_id"] == str(CHANNEL) and first["thread_type"] == 11 and first["starter_id"] == "100"
    starter = first["starter"]
    assert starter["attachments"] == [{"id": "555", "filename": "trace.png", "url": "https://cdn.example/trace.png",
                                       "content_type": "image/png", "size": 1234}]  # fmt: skip
    assert starter["votes"] == [{"voter_id": str(DAVE), "value": -1, "at": iso(12), "via": "reaction"}]
    assert first["score"] == starter["score"] == first["stored_score"] == -1

    [reply_to_question] = first["replies"]
    assert reply_to_question["id"] == "104" and reply_to_question["parent_id"] == "100"
    assert reply_to_question["votes"] == [{"voter_id": str(CAROL), "value": 1, "at": iso(13), "via": "reaction"}]

    accepted, other = first["answers"]
    assert accepted["id"] == "101" and accepted["accepted"] is True and accepted["score"] == 2
    assert accepted["votes"] == [
        {"voter_id": str(ASKER), "value": 1, "at": iso(10), "via": "reaction"},
        {"voter_id": str(EVE), "value": 1, "at": iso(11), "via": "command"},
    ]
    assert [r["id"] for r in accepted["replies"]] == ["103"]
    assert other["body"] == "Ask again later"
    assert [(r["number"], r["text"]) for r in other["revisions"]] == [(1, "Ask again"), (2, "Ask again later")]
    assert other["votes"] == [{"voter_id": str(EVE), "value": 0, "at": iso(15), "via": "reaction"}]
    [deleted_reply] = first["other_posts"]
    assert deleted_reply["id"] == "105" and deleted_reply["deleted_at"] == iso(7)
    assert deleted_reply["body"] == "Gone soon" and deleted_reply["parent_id"] == "101"

    assert questions["200"]["status"] == "closed"
    assert questions["300"]["status"] == "duplicate" and questions["300"]["duplicate_of"] == "100"
    assert questions["400"]["status"] == "locked"
    [gone] = guild["deleted_questions"]
    assert gone["id"] == "500" and gone["deleted_at"] == iso(52)
    assert gone["starter"]["body"] == "Body 500" and gone["starter"]["deleted_at"] == iso(52)
    assert [(a["id"], a["deleted"]) for a in gone["answers"]] == [("501", True)]

    users = {u["id"]: u for u in guild["users"]}
    assert users[str(CAROL)] == {"id": str(CAROL), "reputation": 36, "stored_reputation": 36}  # 2 upvotes, accepted
    assert users[str(DAVE)]["reputation"] == 1 and users[str(DAVE)]["stored_reputation"] is not None
    assert [(n["kind"], n["id"], n["name"]) for n in guild["names"]] == [
        ("channel", str(CHANNEL), "help"), ("role", str(ROLE), "Mods"), ("user", str(CAROL), "Carol")]  # fmt: skip
    assert guild["web_privacy"] == [{"user_id": str(DAVE), "hidden": True, "at": iso(61)}]
    audit = guild["audit_log"]
    assert [(e["action"], e["actor_id"], e["target_id"]) for e in audit] == [
        ("setup", str(MOD), str(CHANNEL)), ("accept", str(ASKER), "101"), ("close", str(MOD), "200"),
        ("duplicate", str(MOD), "300"),
    ]  # fmt: skip
    assert audit[2]["reason"] == "Off topic" and audit[2]["at"] == iso(21)
    assert [int(e["id"]) for e in audit] == sorted(int(e["id"]) for e in audit)


async def test_each_stored_post_appears_exactly_once(store):
    await fill(store)
    [guild] = await exported(store, G)
    seen = []
    for q in guild["questions"] + guild["deleted_questions"]:
        seen += [q["starter"]["id"]] if q["starter"] else []
        for a in q["answers"]:
            seen += [a["id"], *(r["id"] for r in a["replies"])]
        seen += [p["id"] for p in q["replies"] + q["other_posts"]]
    stored = [p.id for qid in (100, 200, 300, 400, 500) for p in await store.question_posts(qid, include_deleted=True)]
    assert sorted(seen) == sorted(str(pid) for pid in stored)


async def test_version_1_keys_keep_their_order_and_meaning(store):
    await fill(store)
    [guild] = await exported(store, G)
    assert [k for k in guild if k in V1_GUILD] == list(V1_GUILD)
    for q in guild["questions"]:
        assert [k for k in q if k in V1_QUESTION] == list(V1_QUESTION)
        for a in q["answers"]:
            assert [k for k in a if k in V1_ANSWER] == ["id", "author_id", "body", "score", "created_at", "accepted",
                                                        "deleted", "replies"]  # fmt: skip
            assert all(list(r)[:5] == list(V1_REPLY) for r in a["replies"])
            assert all(r["deleted_at"] is None for r in a["replies"]), "version 1's replies are live ones"
    # Version 1's users: shown reputation, never below 1; the askers and answerers are all there.
    assert {u["id"] for u in guild["users"]} >= {str(ASKER), str(CAROL), str(DAVE), str(EVE)}
    assert all(u["reputation"] >= 1 for u in guild["users"])


async def test_two_exports_of_one_store_are_identical(store):
    await fill(store)
    first, second = await document(store), await document(store)
    assert first == second
    assert json.loads(first)["questions"][0]["id"] == "100"


async def test_an_export_of_every_guild_is_a_list(store):
    await fill(store)
    await store.save_settings(GuildSettings(G + 1), MOD, at(70))
    everything = await exported(store)
    assert [g["guild_id"] for g in everything] == [str(G), str(G + 1)]
    assert everything[1]["questions"] == [] and everything[1]["settings"]["forum_channel_id"] is None


async def test_an_empty_store_exports_an_empty_list(store):
    assert await exported(store) == []


# -- the questions shaped in worker processes (a large forum's export): the same document, byte for byte


async def test_pages_shaped_in_worker_processes_make_the_same_document(store, monkeypatch):
    await fill(store)
    await store.save_settings(GuildSettings(G + 1), MOD, at(70))
    monkeypatch.setattr(export_reader, "QUESTIONS_PER_PAGE", 2)  # several pages in flight at once
    sequential, parallel = io.BytesIO(), io.BytesIO()
    one = await write_export(store, sequential, workers=0)
    two = await write_export(store, parallel, workers=2)
    assert parallel.getvalue() == sequential.getvalue()
    assert (two.questions, two.posts, two.total) == (one.questions, one.posts, one.total) == (5, 11, 11)
    assert json.loads(parallel.getvalue())[0]["questions"][0]["starter"]["attachments"]


async def test_a_page_that_fails_in_a_worker_fails_the_export_as_in_this_process(store, tmp_path):
    await fill(store)
    with sqlite3.connect(tmp_path / "q.db") as conn:  # a row the models cannot hold
        conn.execute("UPDATE posts SET attachments = '[{\"bogus\": 1}]' WHERE id = 101")
    errors = []
    for workers in (0, 2):
        with pytest.raises(TypeError) as raised:
            await write_export(store, io.BytesIO(), workers=workers)
        errors.append(str(raised.value))
    assert errors[0] == errors[1] and "bogus" in errors[0]


# Plain (not async): generate() runs an event loop of its own.
def test_a_generated_forum_exports_the_same_in_worker_processes(tmp_path, monkeypatch):
    db = tmp_path / "forum.db"
    generate(db, scale=0.001)  # 200 questions, 1,000 posts, 5,000 votes
    monkeypatch.setattr(export_reader, "QUESTIONS_PER_PAGE", 16)

    async def export(workers: int) -> bytes:
        store = await open_store(db, readers=1, follow_search_index=False)
        try:
            out = io.BytesIO()
            await write_export(store, out, workers=workers)
            return out.getvalue()
        finally:
            await store.close()

    sequential = asyncio.run(export(0))
    assert asyncio.run(export(2)) == sequential
    [guild] = json.loads(sequential)
    assert len(guild["questions"]) > 16 * 4 and sum(len(a["votes"]) for q in guild["questions"]
                                                    for a in q["answers"]) > 1000  # fmt: skip


def test_the_progress_display_writes_plain_lines_when_not_on_a_terminal():
    from bot.export import ExportProgress, progress_line
    from bot.progress import ProgressDisplay

    stream = io.StringIO()
    progress = ExportProgress(posts=40_000, total=100_000)
    display = ProgressDisplay(stream, lambda elapsed: progress_line(progress, elapsed))
    display.show(3.2)
    display.done()
    assert stream.getvalue() == "export: 40,000 / 100,000 posts (40%, 3 s)\n"
