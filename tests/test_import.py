"""`quorum import`: an export ("quorum-export/2") loaded into a store, empty or holding the guild. The
round trip is identical, importing twice changes nothing, a newer stored row is never overwritten by an
older file, counters agree with a recount, and a bad file changes nothing and exits 2 with one line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.export import write_export
from bot.forum.importing import ImportRefused
from bot.forum.models import AuditEntry, PostKind, Question
from bot.forum.voting import VoteVia
from db.import_writes import ImportProgress, ImportSummary
from db.store import open_store
from tests.export_check import validated
from tests.test_export import CHANNEL, G, at, fill, post


async def document(store, guild_id: int | None = G) -> str:
    out = io.StringIO()
    await write_export(store, out, guild_id)
    return out.getvalue()


async def import_text(store, tmp_path: Path, text: str, guild_id: int | None = None) -> ImportSummary:
    path = tmp_path / "in.json"
    path.write_text(text, encoding="utf-8")
    result = await store.import_file(path, guild_id, ImportProgress(path.stat().st_size))
    if isinstance(result, ImportRefused):
        raise result
    return result


@pytest.fixture
async def stores(tmp_path):
    opened = []

    async def make(name: str):
        store = await open_store(tmp_path / name, follow_search_index=False)
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.close()


async def test_round_trip_of_the_rich_forum_is_identical(stores, tmp_path):
    source, target = await stores("a.db"), await stores("b.db")
    await fill(source)
    exported = await document(source)
    validated(json.loads(exported))
    summary = await import_text(target, tmp_path, exported)
    assert summary.guilds == [G] and summary.questions_added == 5
    assert await document(target) == exported
    assert (await target.recount(fix=False)).differences == 0


# -- generated forums: the round trip through the store's own methods


@st.composite
def forums(draw):
    """A small forum as a list of store operations: questions with answers and replies (to answers,
    to the question, to replies), votes by several members (switched, withdrawn, by /vote), edits,
    renames, deletions of posts and threads, acceptance."""
    members = [11, 12, 13, 14]
    ops, posts, answers = [], [], {}
    minute = 0
    for n in range(draw(st.integers(1, 3))):
        qid = 1000 + n * 100
        minute += 1
        ops.append(("ask", qid, draw(st.sampled_from(members)), minute, draw(st.sampled_from([(), ("a",), ("a", "b")]))))
        posts.append(qid)
        answers[qid] = []
        for k in range(draw(st.integers(0, 4))):
            pid = qid + 1 + k
            minute += 1
            kind = draw(st.sampled_from(["answer", "answer", "reply"]))
            parent = draw(st.sampled_from([qid, *answers[qid]])) if kind == "reply" else None
            ops.append(("post", pid, qid, kind, draw(st.sampled_from(members)), minute, parent))
            posts.append(pid)
            if kind == "answer":
                answers[qid].append(pid)
    for _ in range(draw(st.integers(0, 12))):
        minute += 1
        action = draw(st.sampled_from(["vote", "vote", "vote", "edit", "rename", "delete", "accept", "drop"]))
        if action == "vote":
            ops.append(("vote", draw(st.sampled_from(posts)), draw(st.sampled_from(members)),
                        draw(st.sampled_from([1, -1, 0])), minute, draw(st.booleans())))  # fmt: skip
        elif action == "edit":
            ops.append(("edit", draw(st.sampled_from(posts)), minute))
        elif action == "rename":
            ops.append(("rename", draw(st.sampled_from(list(answers))), minute))
        elif action == "delete":
            ops.append(("delete", draw(st.sampled_from(posts)), minute))
        elif action == "accept":
            qid = draw(st.sampled_from(list(answers)))
            if answers[qid]:
                ops.append(("accept", qid, draw(st.sampled_from(answers[qid])), draw(st.sampled_from(members)), minute))
        else:
            ops.append(("drop", draw(st.sampled_from(list(answers))), minute))
    return ops


async def play(store, ops) -> None:
    for op in ops:
        kind, *a = op
        if kind == "ask":
            qid, author, minute, tags = a
            question = Question(qid, G, CHANNEL, f"Question {qid}", author, at(minute), starter_id=qid, tags=tags,
                                thread_type=11)  # fmt: skip
            await store.add_question(question, post(qid, qid, PostKind.QUESTION, author, f"Body {qid}", minute))
        elif kind == "post":
            pid, qid, what, author, minute, parent = a
            await store.add_post(post(pid, qid, PostKind(what), author, f"Post {pid} ünïcode", minute, parent))
        elif kind == "vote":
            pid, voter, value, minute, command = a
            await store.apply_vote(pid, voter, value, at(minute), via=VoteVia.COMMAND if command else VoteVia.REACTION)
        elif kind == "edit":
            pid, minute = a
            await store.edit_post(pid, f"Edited at {minute}", 12, at(minute))
        elif kind == "rename":
            qid, minute = a
            await store.rename_question(qid, f"Renamed at {minute}", 13, at(minute))
        elif kind == "delete":
            pid, minute = a
            await store.delete_post(pid, at(minute))
        elif kind == "accept":
            qid, answer, accepter, minute = a
            await store.set_acceptance(qid, answer, accepter, at(minute), AuditEntry(G, accepter, "accept", answer,
                                                                                     None, at(minute)))  # fmt: skip
        else:
            qid, minute = a
            await store.delete_question(qid, at(minute))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=forums())
async def test_round_trip_of_generated_forums_is_identical(tmp_path_factory, ops):
    tmp_path = tmp_path_factory.mktemp("forum")
    source = await open_store(tmp_path / "a.db", follow_search_index=False)
    target = await open_store(tmp_path / "b.db", follow_search_index=False)
    try:
        await play(source, ops)
        exported = await document(source, None)
        await import_text(target, tmp_path, exported)
        assert await document(target, None) == exported
        assert (await target.recount(fix=False)).differences == 0
        again = await import_text(target, tmp_path, exported)
        assert again.questions_added == again.posts_added == again.votes_written == again.other_rows == 0
        assert await document(target, None) == exported
    finally:
        await source.close()
        await target.close()
