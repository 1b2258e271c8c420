"""`quorum import`: an export ("quorum-export/2") loaded into a store, empty or holding the guild. The
round trip is identical, importing twice changes nothing, a newer stored row is never overwritten by an
older file, counters agree with a recount, and a bad file changes nothing and exits 2 with one line."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.export import write_export
from bot.forum.import_rows import ImportRefused
from bot.forum.models import AuditEntry, GuildSettings, PostKind, Question
from bot.forum.voting import VoteVia
from db.import_writes import ImportProgress, ImportSummary
from db.store import open_store
from tests.export_check import validated
from tests.test_export import CAROL, CHANNEL, EVE, MOD, G, at, fill, post

ROOT = Path(__file__).resolve().parents[1]


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
        tags = draw(st.sampled_from([(), ("a",), ("a", "b")]))
        ops.append(("ask", qid, draw(st.sampled_from(members)), minute, tags))
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


# -- merging into a store that holds the guild


async def test_an_older_file_never_overwrites_a_newer_live_state(stores, tmp_path):
    store = await stores("a.db")
    await fill(store)
    old = await document(store)
    await store.edit_post(101, "Use `quorum export`", CAROL, at(100))
    await store.apply_vote(101, EVE, -1, at(101))  # switched after the export
    await store.rename_question(200, "A newer title", MOD, at(102))
    await store.delete_post(104, at(103))
    newer = await document(store)
    summary = await import_text(store, tmp_path, old)
    assert summary.questions_added == summary.posts_added == summary.votes_written == 0
    assert summary.questions_updated == summary.posts_updated == 0
    assert await document(store) == newer
    assert (await store.recount(fix=False)).differences == 0


async def test_a_newer_file_brings_a_store_up_to_date(stores, tmp_path):
    source, target = await stores("a.db"), await stores("b.db")
    await fill(source)
    await import_text(target, tmp_path, await document(source))
    await source.edit_post(101, "Use `quorum export`", CAROL, at(100))
    await source.apply_vote(101, EVE, -1, at(101))
    await source.apply_vote(102, CAROL, 1, at(101))
    await source.rename_question(200, "A newer title", MOD, at(102))
    await source.delete_post(104, at(103))
    await source.set_acceptance(100, 102, MOD, at(104), None)
    await source.add_post(post(106, 100, PostKind.ANSWER, EVE, "A late answer", 105))
    newer = await document(source)
    summary = await import_text(target, tmp_path, newer)
    assert summary.posts_added == 1 and summary.posts_updated == 2 and summary.votes_written == 2
    assert await document(target) == newer
    assert (await target.recount(fix=False)).differences == 0
    with sqlite3.connect(target.path) as conn:  # the triggers did their job: FTS and the index's journal
        assert conn.execute("SELECT rowid FROM post_fts WHERE post_fts MATCH 'late'").fetchall() == [(106,)]
        assert conn.execute("SELECT rowid FROM post_fts WHERE post_fts MATCH 'reply'").fetchall() == []  # 104: deleted
        journal = {r[0] for r in conn.execute("SELECT post_id FROM search_changes")}
        assert {101, 104, 106} <= journal


async def test_guild_picks_one_guild_of_a_list(stores, tmp_path):
    source, target = await stores("a.db"), await stores("b.db")
    await fill(source)
    await source.save_settings(GuildSettings(G + 1), MOD, at(70))
    summary = await import_text(target, tmp_path, await document(source, None), guild_id=G + 1)
    assert summary.guilds == [G + 1]
    assert [g["guild_id"] for g in validated(json.loads(await document(target, None)))] == [str(G + 1)]


# -- bad files: one line, exit 2, nothing changed


def quorum(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "QUORUM_", "DATABASE_URL"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite:///{db}")
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def exported_file(tmp_path_factory) -> str:
    """The rich forum's export, made once for the CLI tests."""

    async def make() -> str:
        store = await open_store(tmp_path_factory.mktemp("src") / "a.db", follow_search_index=False)
        try:
            await fill(store)
            return await document(store)
        finally:
            await store.close()

    return asyncio.run(make())


def _mutated(text: str, change) -> str:
    document = json.loads(text)
    change(document)
    return json.dumps(document)


def _set(path: tuple, value):
    def change(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


BAD_FILES = {
    "not JSON": (lambda text: text[: len(text) // 2], "not JSON"),
    "version 1": (lambda text: json.dumps({k: v for k, v in json.loads(text).items() if k != "format"}),
                  "version 1"),  # fmt: skip
    "another version": (lambda text: _mutated(text, _set(("format",), "quorum-export/3")), "only quorum-export/2"),
    "an id that is not a snowflake": (
        lambda text: _mutated(text, _set(("questions", 0, "answers", 0, "votes", 0, "voter_id"), "0")),
        "not a snowflake",
    ),
    "a huge id": (lambda text: _mutated(text, _set(("questions", 1, "author_id"), "9" * 25)), "not a snowflake"),
    "an id that is a number": (lambda text: _mutated(text, _set(("questions", 0, "channel_id"), 2000)), "questions[0]"),
    "a missing key": (lambda text: _mutated(text, lambda d: d["questions"][0]["starter"].pop("votes")), "votes"),
    "a bad time": (lambda text: _mutated(text, _set(("questions", 0, "created_at"), "yesterday")), "created_at"),
    "a bad status": (lambda text: _mutated(text, _set(("questions", 2, "status"), "maybe")), "maybe"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_exits_2_with_one_line_and_changes_nothing(tmp_path, exported_file, case):
    spoil, words = BAD_FILES[case]
    bad = tmp_path / "bad.json"
    bad.write_text(spoil(exported_file), encoding="utf-8")
    db = tmp_path / "q.db"
    # A store holding the guild already, which must come out of the refusal unchanged.
    (tmp_path / "good.json").write_text(exported_file, encoding="utf-8")
    assert quorum(db, "import", str(tmp_path / "good.json")).returncode == 0
    before = quorum(db, "export").stdout
    result = quorum(db, "import", str(bad))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert words in lines[0]
    assert quorum(db, "export").stdout == before


def test_a_refused_file_leaves_no_database_behind(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{nope", encoding="utf-8")
    result = quorum(tmp_path / "new.db", "import", str(bad))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "new.db").exists()


def test_a_guild_not_in_the_file_exits_2(tmp_path, exported_file):
    good = tmp_path / "good.json"
    good.write_text(exported_file, encoding="utf-8")
    result = quorum(tmp_path / "q.db", "import", str(good), "--guild", "4242")
    assert result.returncode == 2 and result.stderr.strip().splitlines() == [
        f"quorum: {good} cannot be imported: guild 4242 is not in the file"]  # fmt: skip


def test_the_cli_imports_and_says_what_it_did(tmp_path, exported_file):
    good = tmp_path / "good.json"
    good.write_text(exported_file, encoding="utf-8")
    first = quorum(tmp_path / "q.db", "import", str(good), "--guild", str(G))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"Imported guild {G}: 5 question(s) and ")
    assert quorum(tmp_path / "q.db", "export", "--guild", str(G)).stdout == exported_file
    again = quorum(tmp_path / "q.db", "import", str(good))
    assert "0 question(s) and 0 post(s) added, 0 question(s) and 0 post(s) updated, 0 vote(s)" in again.stdout
    recount = quorum(tmp_path / "q.db", "recount")
    assert recount.returncode == 0 and "agree" in recount.stdout


NOT_JSON = {
    b'{"format": "quorum-export/2", "guild_id": "1"': "premature EOF (in bytes 0 to 45)",
    b'[{"format": "quorum-export/2", "guild_id": "1", "settings": nul}]': "invalid string in json text near ",
    b'{"format": "quorum-export/2", "guild_id": "\xff"}': "invalid bytes in UTF8 string near ",
    b"[] {}": "trailing garbage near ",
}


@pytest.mark.parametrize("text", list(NOT_JSON))
def test_what_is_not_json_is_refused_in_one_line_that_says_where(text):
    from bot.forum.importing import read_export

    with pytest.raises(ImportRefused) as refused:
        list(read_export(io.BytesIO(text)))
    message = refused.value.message
    assert message.startswith("not JSON: ") and NOT_JSON[text] in message and "\n" not in message, message


def test_any_layout_of_the_document_is_read(exported_file):
    """The export's one value per line is not relied on: the same document on one line or indented."""
    from bot.forum.importing import read_export

    def rows(text: str) -> list:
        return list(read_export(io.BytesIO(text.encode())))

    document = json.loads(exported_file)
    assert rows(json.dumps(document)) == rows(json.dumps(document, indent=3)) == rows(exported_file)


def test_the_progress_display_writes_plain_lines_when_not_on_a_terminal():
    from bot.import_cli import progress_line
    from bot.progress import ProgressDisplay

    stream = io.StringIO()
    progress = ImportProgress(total_bytes=100_000_000)
    progress.bytes_read, progress.questions, progress.posts = 40_000_000, 8_000, 40_000
    ProgressDisplay(stream, lambda elapsed: progress_line(progress, elapsed)).show(3.2)
    assert stream.getvalue() == "import: 40 / 100 MB (40%, 3 s), 8,000 questions, 40,000 posts\n"


# -- the hand-written checks say what the schema says


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*path, key))
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            yield from _paths(inner, (*path, n))


REPLACEMENTS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["", "12", "0", "x", "2025-03-01T12:00:00.000Z",
    "2025-03-01T12:00:00Z", "open", "answer", "reaction", "user", "9" * 20]), st.just([]), st.just({}),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_checks_refuse_exactly_what_the_schema_refuses(exported_question, data):
    from bot.forum import import_checks

    question = json.loads(json.dumps(exported_question))
    path = data.draw(st.sampled_from(list(_paths(question))[1:]))
    parent = question
    for key in path[:-1]:
        parent = parent[key]
    if isinstance(parent, dict) and data.draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(REPLACEMENTS)
    schema_says_ok = import_checks.schema_error(question, "question") is None
    try:
        import_checks.thread(question, G)
    except (ImportRefused, ValueError, TypeError, KeyError) as exc:
        assert not schema_says_ok or "snowflake" in str(exc), (path, exc)
    else:
        assert schema_says_ok, path


@pytest.fixture(scope="module")
def exported_question(exported_file) -> dict:
    """The rich forum's first question: a starter, answers, replies, votes, revisions, attachments."""
    return json.loads(exported_file)["questions"][0]
