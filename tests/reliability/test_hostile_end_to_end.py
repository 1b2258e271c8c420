"""Hostile input end to end: what members type, through Discord (the emulator) into the real bot.

A curated list of nasty strings (the property tests' alphabet in tests/reliability/
test_hostile_input.py, plus long and mixed ones) goes through /ask (as title, body and tags),
/question and /history (as links), /search when the bot registers it, and as the body of answers.
One bot for the whole list. Expected, for every input:
- commands: an ephemeral answer: a clear refusal or a faithful result, never "Something broke";
- a question /ask accepted: stored with exactly the title and body the rules say (whitespace folded
  in the title, trimmed body);
- an answer: its body mirrored byte for byte;
- every message and interaction answer the bot sent with content or embeds carries
  allowed_mentions {"parse": []}: nothing a member typed can ping anyone;
- the bot's gateway task is alive at the end.
"""

from __future__ import annotations

from bot.forum.asking import MAX_BODY
from tests.harness import eventually
from tests.reliability.test_hostile_input import NASTY
from tests.test_accepting import _final
from tests.test_first_slice import setup_forum

EPHEMERAL = 64
BROKE = "Something broke"

MORE = [
    "a" * 100,
    "b" * 101,
    "😀" * 60,
    "x" * MAX_BODY,
    "Title with @everyone and <@&{role}> and <@{user}>",
    "```py\nprint('unterminated fence')",
    "**bold _italic ~~strike||spoiler",
    "\u202eevil right-to-left override\u202c",
    "zero\u200bwidth\u200bjoiner",
    "line one\nline two\r\nline three",
    "<https://discord.com/channels/1/2/3>",
    "https://discord.com/channels/{guild}/{thread}/99999999999999999999999",
    "https://ptb.discord.com/channels/{guild}/{thread}",
    "18446744073709551616",
    "-1",
    "0",
    "python, sql, help, discord.py, Solved, extra",
    "\ud7ff\ue000\uffff",
]


def inputs(world, thread_id: int) -> list[str]:
    fill = {"role": world.moderator_role_id, "user": world.members["bob"].id, "guild": world.guild_id,
            "thread": thread_id}  # fmt: skip
    return [s for s in NASTY if s] + [s.format(**fill) if "{" in s and "{0}" not in s else s for s in MORE]


async def test_nasty_input_is_refused_clearly_or_mirrored_faithfully(emulator, quorum):
    world = emulator.world
    await setup_forum(emulator)
    bob, carol, dave = (world.members[n].id for n in ("bob", "carol", "dave"))
    tid = int((await emulator.create_forum_post(bob, "A plain question", "A plain body."))["id"])
    await eventually(lambda: quorum.store.get_post(tid))
    commands = {c["name"] for c in world.commands.values()}
    seen = []  # every interaction, for the final checks

    async def command(who, channel, name, **options):
        inter = await emulator.invoke_slash(who, channel, name, options)
        answer = await _final(emulator, inter)
        seen.append(inter)
        where = f"/{name} {options!r}"
        assert int(answer.get("flags") or 0) & EPHEMERAL, where
        for message in [*(r.get("data") or {} for r in inter.responses), *inter.followups]:
            assert BROKE not in (message.get("content") or ""), (where, message.get("content"))
        return answer

    posted, asked = {}, 0
    for text in inputs(world, tid):
        # As a question. Discord itself refuses options over their declared length.
        if len(text) <= 200:
            answer = await command(dave, world.text_channel_id, "ask", title=text, body=text[:MAX_BODY])
            if "Your question is up" in answer["content"]:
                thread_id = int(answer["content"].rstrip("/").rsplit("/", 1)[-1])
                question = await eventually(lambda thread_id=thread_id: quorum.store.get_question(thread_id))
                assert question.title == " ".join(text.split()), repr(text)
                [body] = await quorum.store.question_posts(thread_id)
                assert body.body == text.strip(), repr(text)
                asked += 1
            await command(dave, world.text_channel_id, "ask", title="A question with tags", body="b", tags=text)
        # As a link or an id.
        await command(carol, tid, "question", question=text)
        await command(carol, tid, "history", message=text)
        if "search" in commands and len(text) <= 200:
            await command(carol, tid, "search", query=text)
        # As an answer: mirrored exactly as typed.
        if text.strip() and len(text) <= 2000:
            message = await emulator.post_message(carol, tid, text)
            posted[int(message["id"])] = text

    async def all_mirrored():
        stored = {p.id: p.body for p in await quorum.store.question_posts(tid)}
        return all(stored.get(mid) == text for mid, text in posted.items())

    await eventually(all_mirrored)
    assert len(posted) >= 40 and asked >= 10, (len(posted), asked)

    # Nothing the bot sent could ping: messages, edits, interaction answers and follow-ups.
    sent = 0
    for request in emulator.requests:
        if request.method not in ("POST", "PATCH") or not isinstance(request.json, dict):
            continue
        payload = request.json.get("data") if request.path.startswith("/interactions/") else request.json
        payload = (payload or {}).get("message", payload) if request.path.endswith("/threads") else payload
        if isinstance(payload, dict) and ("content" in payload or "embeds" in payload):
            sent += 1
            assert payload.get("allowed_mentions") == {"parse": []}, (request.method, request.path, payload)
    assert sent >= len(seen)
    quorum.assert_alive()
