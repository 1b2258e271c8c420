"""`quorum demo` and `quorum export` as a newcomer runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.export_check import exported, v1, validated
from tests.harness import eventually
from tests.test_first_slice import setup_forum

ROOT = Path(__file__).resolve().parents[1]


def run_quorum(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_URL"))}
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_demo_runs_without_a_token_and_prints_the_thread(tmp_path):
    result = run_quorum("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Q: How do I keep my bot's data when it restarts?" in out
    assert "Answers and Replies (2)" in out
    assert "• carol (score +2) ✔ accepted" in out and "• dave (score -1)" in out
    # 1 + two upvotes (+20) - 1 for downvoting an answer + accepted (+15); the moderator who accepted
    # earns nothing (only the asker would); dave's -2 leaves him at 1.
    assert "Reputation: carol 35, bob 1, dave 1" in out
    assert "a moderator accepting earns nothing" in out
    # bob's reply to carol's answer and the replies to that reply all nest under carol's answer.
    carol_answer = out.index("• carol")
    dave_answer = out.index("• dave")
    assert out.count("↳") == 3
    assert all(carol_answer < i < dave_answer for i in _positions(out, "↳"))
    assert "checked against Discord's API description" in out or "not checked" in out
    assert list(tmp_path.iterdir()) == [], "the demo leaves no files behind"


def _positions(text: str, needle: str) -> list[int]:
    out, start = [], 0
    while (i := text.find(needle, start)) >= 0:
        out.append(i)
        start = i + 1
    return out


async def test_export_prints_the_stored_forum(emulator, quorum, tmp_path):
    world = emulator.world
    await setup_forum(emulator)
    bob, carol, dave = (world.members[n].id for n in ("bob", "carol", "dave"))
    thread = await emulator.create_forum_post(bob, "Export me", "Question body")
    tid = int(thread["id"])
    answer = await emulator.post_message(carol, tid, "An answer")
    reply = await emulator.post_message(dave, tid, "A reply", reply_to=int(answer["id"]))
    await eventually(lambda: _count(quorum, tid, 3))
    await quorum.stop()

    out = tmp_path / "forum.json"
    env = {"DATABASE_URL": f"sqlite:///{quorum.database}"}
    result = run_quorum("export", "--guild", str(world.guild_id), "--out", str(out), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    data = validated(json.loads(out.read_text()))
    assert data["format"] == "quorum-export/2"
    assert data["guild_id"] == str(world.guild_id)
    [question] = data["questions"]
    assert question["id"] == str(tid) and question["title"] == "Export me" and question["body"] == "Question body"
    assert question["author_id"] == str(bob) and question["status"] == "open"
    assert question["accepted_answer_id"] is None
    [exported_answer] = question["answers"]
    assert exported_answer["id"] == answer["id"] and exported_answer["accepted"] is False
    assert [r["id"] for r in exported_answer["replies"]] == [reply["id"]]
    assert {u["id"] for u in data["users"]} == {str(bob), str(carol), str(dave)}
    assert all(u["reputation"] == 1 for u in data["users"])

    everything = run_quorum("export", cwd=tmp_path, env=env)
    assert everything.returncode == 0, everything.stderr
    assert [g["guild_id"] for g in validated(json.loads(everything.stdout))] == [str(world.guild_id)]


async def _count(quorum, thread_id: int, expected: int) -> bool:
    return len(await quorum.store.question_posts(thread_id)) == expected


def test_export_without_a_database_exits_2(tmp_path):
    result = run_quorum("export", cwd=tmp_path, env={"DATABASE_URL": f"sqlite:///{tmp_path}/none.db"})
    assert result.returncode == 2
    assert "no database" in result.stderr


def _iso_ms(snowflake_or_iso) -> str:
    """How the export writes a time: UTC, milliseconds, Z."""
    from datetime import UTC, datetime

    if isinstance(snowflake_or_iso, str):
        moment = datetime.fromisoformat(snowflake_or_iso)
    else:
        moment = datetime.fromtimestamp(((snowflake_or_iso >> 22) + 1420070400000) / 1000, UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def test_export_of_a_scripted_thread_is_exactly_as_expected(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    bob, carol, dave, mod = (world.members[n].id for n in ("bob", "carol", "dave", "mod"))
    thread = await emulator.create_forum_post(bob, "Scripted", "What is the answer?",
                                              applied_tags=[emulator.tag_id("python")])  # fmt: skip
    tid = int(thread["id"])
    first = await emulator.post_message(carol, tid, "Forty-two.")
    second = await emulator.post_message(dave, tid, "Ask again later.")
    reply = await emulator.post_message(bob, tid, "Why 42?", reply_to=int(first["id"]))
    nested = await emulator.post_message(carol, tid, "Read the book.", reply_to=int(reply["id"]))
    gone = await emulator.post_message(mod, tid, "Off topic.")
    await eventually(lambda: _count(quorum, tid, 6))
    await emulator.edit_message(tid, int(second["id"]), "Ask again much later.")
    await emulator.delete_message(tid, int(gone["id"]))
    await eventually(lambda: _count(quorum, tid, 5))
    await eventually(lambda: _body(quorum, int(second["id"]), "Ask again much later."))

    [data] = await export_of(quorum)
    data = v1(data)
    answer = lambda m, author, body, replies, deleted=False: {  # noqa: E731
        "id": m["id"], "author_id": str(author), "body": body, "score": 0, "created_at": _iso_ms(int(m["id"])),
        "accepted": False, "deleted": deleted, "replies": replies,
    }  # fmt: skip
    reply_of = lambda m, author, body: {  # noqa: E731
        "id": m["id"], "author_id": str(author), "body": body, "score": 0, "created_at": _iso_ms(int(m["id"])),
    }  # fmt: skip
    assert data == {
        "guild_id": str(world.guild_id),
        "questions": [
            {
                "id": str(tid),
                "title": "Scripted",
                "author_id": str(bob),
                "body": "What is the answer?",
                "score": 0,
                "status": "open",
                "tags": ["python"],
                "accepted_answer_id": None,
                "created_at": _iso_ms(thread["thread_metadata"]["create_timestamp"]),
                "answers": [
                    answer(first, carol, "Forty-two.", [
                        reply_of(reply, bob, "Why 42?"),
                        reply_of(nested, carol, "Read the book."),
                    ]),
                    answer(second, dave, "Ask again much later.", []),
                    answer(gone, mod, "Off topic.", [], deleted=True),
                ],
            }
        ],
        "users": [{"id": str(uid), "reputation": 1} for uid in sorted({bob, carol, dave, mod})],
    }  # fmt: skip


async def export_of(quorum):
    return await exported(quorum.store, quorum.emulator.world.guild_id)


async def _body(quorum, post_id, text):
    return (await quorum.store.get_post(post_id)).body == text


async def test_the_mirrored_forum_exports_replies_to_the_question_and_votes_after_a_restart(emulator, quorum,
                                                                                             tmp_path):  # fmt: skip
    from tests.test_vote_command import link, vote
    from tests.test_voting import UP

    world = emulator.world
    await setup_forum(emulator)
    bob, carol, dave = (world.members[n].id for n in ("bob", "carol", "dave"))
    thread = await emulator.create_forum_post(bob, "Votes and replies", "The question")
    tid = int(thread["id"])
    answer = await emulator.post_message(carol, tid, "An answer")
    aside = await emulator.post_message(dave, tid, "A reply to the question", reply_to=tid)
    await eventually(lambda: _count(quorum, tid, 3))
    await emulator.add_reaction(dave, tid, int(answer["id"]), UP)
    assert (await vote(emulator, bob, link(emulator, tid, int(aside["id"])), "up")).startswith("Upvoted")
    await eventually(lambda: _score(quorum, int(answer["id"]), 1))
    await quorum.restart()
    await quorum.stop()

    out = tmp_path / "forum.json"
    env = {"DATABASE_URL": f"sqlite:///{quorum.database}"}
    result = run_quorum("export", "--guild", str(world.guild_id), "--out", str(out), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")], "the temporary file was renamed"
    [question] = validated(json.loads(out.read_text()))["questions"]
    [reply] = question["replies"]
    assert reply["id"] == aside["id"] and reply["body"] == "A reply to the question" and reply["author_id"] == str(dave)
    assert [(v["voter_id"], v["value"], v["via"]) for v in reply["votes"]] == [(str(bob), 1, "command")]
    [exported_answer] = question["answers"]
    assert [(v["voter_id"], v["value"], v["via"]) for v in exported_answer["votes"]] == [(str(dave), 1, "reaction")]
    assert exported_answer["score"] == 1 and question["starter"]["body"] == "The question"


async def _score(quorum, post_id: int, expected: int) -> bool:
    post = await quorum.store.get_post(post_id)
    return post is not None and post.score == expected
