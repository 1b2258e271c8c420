"""`quorum demo`: the real bot against the bundled emulator, a scripted thread, the forum printed.

Nothing here is faked: the emulator speaks Discord's REST API and gateway on 127.0.0.1, the bot is
the same QuorumApp `quorum run` starts, and what is printed is read back from its store after a restart.
With `--web` the demo's channel is then published and its thread served as a web page until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.app import QuorumApp
from bot.config import Settings
from bot.forum.text import thread_as_text
from bot.forum.voting import shown_reputation
from emulator import Emulator
from emulator.spec_check import default_spec_path

QUESTION_TITLE = "How do I keep my bot's data when it restarts?"
QUESTION_BODY = "My discord.py bot keeps scores in a dict, and every restart wipes them. What should I use?"
SCRIPT = [
    ("carol", None, "Use a database. SQLite with aiosqlite is plenty for one server and needs no setup."),
    ("dave", None, "Pickle the dict to a file when the bot shuts down, and load it at start."),
    ("bob", "carol", "Does SQLite survive the bot crashing in the middle of a write?"),
    ("carol", "bob", "Yes: a transaction is either committed or not there at all. Turn on WAL mode."),
    ("dave", "carol", "Fair, pickling loses everything since the last clean shutdown."),
]
UP, DOWN = "\N{THUMBS UP SIGN}", "\N{THUMBS DOWN SIGN}"
VOTES = [("bob", "carol", UP), ("dave", "carol", UP), ("carol", "dave", DOWN)]


async def run_demo(web_bind: tuple[str, int] | None = None) -> int:
    """The scripted thread; with `web_bind`, its page is then served there until Ctrl-C."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("discord.client").setLevel(logging.ERROR)  # voice libraries are not needed
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="quorum-demo-") as tmp:
        emulator = Emulator(spec_path=default_spec_path())
        await emulator.start()
        try:
            settings = Settings(
                token=emulator.token, database_url=f"sqlite:///{Path(tmp) / 'demo.db'}", api_base=emulator.api_base
            )
            thread_id = await play(emulator, settings, publish=web_bind is not None)
        finally:
            await emulator.stop()
        checked = "checked against" if emulator.spec_checked else "not checked (not found):"
        checked += " Discord's API description"
        requests = len(emulator.requests)
        say(f"\nDone in {time.monotonic() - started:.1f} s; {requests} REST requests by the bot, {checked}.")
        if emulator.spec_violations:
            return 1
        if web_bind is not None:
            from bot.demo_web import serve_demo_page  # the web side only when asked for

            return await serve_demo_page(settings, thread_id, *web_bind)
    return 0


async def play(emulator: Emulator, settings: Settings, *, publish: bool = False) -> int:
    """Play the script; returns the thread's id. `publish` publishes its channel on the web too."""
    world = emulator.world
    member = {name: world.members[name].id for name in ("alice", "bob", "carol", "dave", "mod")}
    names = {uid: name for name, uid in member.items()}

    say(f"Emulator on {emulator.api_base}; starting the bot.")
    app = QuorumApp(settings)
    await app.start()
    await app.wait_until_ready()
    assert app.bot is not None
    service = app.bot.service

    say("alice (admin): /quorum setup channel:#questions moderator_role:@Moderator")
    setup = await emulator.invoke_slash(
        member["alice"],
        world.text_channel_id,
        "quorum setup",
        {"channel": world.forum_channel_id, "moderator_role": world.moderator_role_id},
    )
    await setup.wait_response()

    say(f"bob opens a forum post: {QUESTION_TITLE!r}")
    thread = await emulator.create_forum_post(member["bob"], QUESTION_TITLE, QUESTION_BODY)
    thread_id = int(thread["id"])
    posted: dict[str, int] = {}
    answers: dict[str, int] = {}
    for author, reply_to, text in SCRIPT:
        target = posted.get(reply_to) if reply_to else None
        message = await emulator.post_message(member[author], thread_id, text, reply_to=target)
        posted[author] = int(message["id"])
        answers.setdefault(author, int(message["id"]))
        say(f"{author} {'replies to ' + reply_to if reply_to else 'answers'}: {text[:60]}...")
    await until(lambda: _post_count(service, thread_id), 1 + len(SCRIPT))

    for voter, author, emoji in VOTES:
        await emulator.add_reaction(member[voter], thread_id, answers[author], emoji)
        say(f"{voter} reacts {emoji} on {author}'s answer")
    await until(lambda: _score(service, answers["carol"]), 2)
    say("mod pins carol's answer: it becomes the accepted answer (+15 to carol; a moderator accepting earns nothing)")
    await emulator.pin(member["mod"], thread_id, answers["carol"])
    await until(lambda: _accepted(service, thread_id, answers["carol"], by=member["mod"]), 1)

    say("Restarting the bot: what follows is read back from its database.\n")
    await app.close()
    app = QuorumApp(settings)
    await app.start()
    await app.wait_until_ready()
    assert app.bot is not None
    view = await app.bot.service.thread_view(thread_id)
    assert view is not None
    say(thread_as_text(view, lambda uid: names.get(uid, str(uid))))
    reputations = await app.bot.service.store.reputations(world.guild_id)
    ranked = sorted(reputations.items(), key=lambda pair: (-pair[1], pair[0]))
    say("\nReputation: " + ", ".join(f"{names.get(uid, uid)} {shown_reputation(rep)}" for uid, rep in ranked))
    if publish:
        await publish_channel(app, emulator, member["alice"], world.forum_channel_id)
    await app.close()
    return thread_id


async def publish_channel(app: QuorumApp, emulator: Emulator, admin_id: int, channel_id: int) -> None:
    """An admin publishes the questions channel with the bot's own `/quorum web`; the pages show once
    the bot has recorded that @everyone can read the channel."""
    assert app.bot is not None
    store = app.bot.service.store
    say("\nalice (admin): /quorum web channel:#questions publish:true")
    reply = await emulator.invoke_slash(
        admin_id, emulator.world.text_channel_id, "quorum web", {"channel": channel_id, "publish": True}
    )
    await reply.wait_response()
    await until(lambda: _is_public(store, channel_id), 1)


async def _is_public(store, channel_id: int) -> int:
    channel = await store.web_channel(channel_id)
    return int(channel is not None and channel.public)


async def _post_count(service, thread_id: int) -> int:
    return len(await service.store.question_posts(thread_id))


async def _score(service, post_id: int) -> int:
    return (await service.store.get_post(post_id)).score


async def _accepted(service, thread_id: int, answer_id: int, by: int) -> int:
    question = await service.store.get_question(thread_id)
    return int((question.accepted_answer_id, question.accepted_by) == (answer_id, by))


async def until(count: Callable[[], Awaitable[int]], expected: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while (got := await count()) < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the bot had done {got} of {expected} steps after {timeout:.0f} s")
        await asyncio.sleep(0.05)


def say(text: str) -> None:
    print(text, file=sys.stdout, flush=True)
