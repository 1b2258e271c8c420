"""The forum the browser tests read: the demo's thread made end to end by the real bot through the
emulator, then more questions written through the store's own methods (faster) so that every kind of
page exists; served by the real web app on 127.0.0.1 (a free port) from a thread of its own, because
Playwright's sync API must not share the test's thread with a running event loop."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

from bot.config import Settings
from bot.demo import play
from bot.forum.models import Post, PostKind, Question, QuestionStatus
from bot.forum.public_site import PublicSite, slugify
from db.store import open_store
from db.web_store import open_web_store
from emulator import Emulator
from emulator.spec_check import default_spec_path
from tests.web.helpers import name_members, publish
from web.app import build_app

NOW = datetime.now(UTC).replace(microsecond=0)
ASKER, HELPER, SHY, LONGNAME = 50, 51, 52, 53
OTHER_GUILD, OTHER_CHANNEL = 70, 71
LONG_LINE = "x = " + "+".join(f"value_{i}" for i in range(60))  # one code line far wider than a phone
LONG_URL = "https://example.org/" + "a-very-long-path-segment-" * 8


def markdown_question(mentioned: int, hidden: int) -> str:
    """Every construct Discord renders, a code line wider than a phone and a long link."""
    return f"""My slash command answers **This interaction failed** after about three seconds, \
_sometimes_ __always__ ~~never~~. ||It worked yesterday.|| <:party:112233445566778899> cc <@{mentioned}> <@{hidden}>

## What I tried
- restarting the bot
- `sync()` again, as [the docs](https://discordpy.readthedocs.io/en/stable/) say

```py
@tree.command()
async def report(interaction):
    data = await slow_query()  # takes 5 s
    await interaction.response.send_message(data)
{LONG_LINE}
```

> The application did not respond

-# posted from my phone

See {LONG_URL}"""


@dataclass
class Forum:
    guild_id: int
    channel_id: int
    demo_thread: int  # made by the bot: answers, replies, votes, an accepted answer
    members: dict[str, int]
    paths: dict[str, str] = field(default_factory=dict)  # page kind -> path


async def build_forum(database: Path) -> Forum:
    emulator = Emulator(spec_path=default_spec_path())
    await emulator.start()
    try:
        settings = Settings(token=emulator.token, database_url=f"sqlite:///{database}", api_base=emulator.api_base)
        demo_thread = await play(emulator, settings, publish=True)
    finally:
        await emulator.stop()
    assert not emulator.spec_violations, emulator.spec_violations
    world = emulator.world
    members = {name: world.members[name].id for name in ("alice", "bob", "carol", "dave", "mod")}
    forum = Forum(world.guild_id, world.forum_channel_id, demo_thread, members)
    store = await open_store(database)
    try:
        await _write_questions(store, forum)
    finally:
        await store.close()
    return forum


async def _write_questions(store, forum: Forum) -> None:
    g, ch = forum.guild_id, forum.channel_id
    carol = forum.members["carol"]
    long_name = "Maximilian Alexander Featherstonehaugh-Wolfeschlegelsteinhausen"
    await name_members(store, g, {ASKER: "Asker", HELPER: "Helper", SHY: "Shy Person", LONGNAME: long_name})

    async def ask(qid, title, body, *, author=ASKER, tags=(), minutes=0, guild=g, channel=ch):
        at = NOW - timedelta(days=2) + timedelta(minutes=minutes)
        question = Question(qid, guild, channel, title, author, at, starter_id=qid, tags=tags, thread_type=11)
        await store.add_question(question, Post(qid, qid, guild, PostKind.QUESTION, author, body, at))

    async def post(pid, qid, body, *, author=HELPER, kind=PostKind.ANSWER, parent=None, minutes=1):
        at = NOW - timedelta(days=2) + timedelta(minutes=minutes)
        reply_to = parent if kind is PostKind.REPLY else None
        await store.add_post(Post(pid, qid, g, kind, author, body, at, parent_id=parent, reply_to_id=reply_to))

    # A question in markdown with an accepted answer, a hidden member's answer and replies.
    await ask(1001, "Why does my slash command say “This interaction failed”?", markdown_question(carol, SHY),
              tags=("discord.py", "interactions"), minutes=100)  # fmt: skip
    await post(1002, 1001, "Defer first: `await interaction.response.defer()`, then send a followup.",
               author=carol, minutes=101)  # fmt: skip
    await post(1003, 1001, "Make the query faster.", author=SHY, minutes=102)
    await post(1004, 1001, "Thanks, deferring fixed it!", kind=PostKind.REPLY, parent=1002, minutes=103)
    await post(1005, 1001, "Which discord.py version?", author=LONGNAME, kind=PostKind.REPLY, parent=1001,
               minutes=104)  # fmt: skip
    for voter in (ASKER, SHY, LONGNAME):
        await store.apply_vote(1002, voter, 1, NOW)
    await store.apply_vote(1001, HELPER, 1, NOW)
    await store.set_acceptance(1001, 1002, ASKER, NOW)
    await store.set_web_hidden(g, SHY, True, NOW)
    # A question nobody answered yet.
    await ask(1010, "How do I run two bots from one process?", "Both tokens, one `asyncio` loop: how?",
              author=LONGNAME, tags=("discord.py",), minutes=200)  # fmt: skip
    # A duplicate of the demo's thread, and a closed and a locked question.
    await ask(1020, "Saving data between bot restarts", "Where should my bot keep its data?", minutes=300)
    await post(1021, 1020, "See the other question.", minutes=301)
    await store.set_status(1020, QuestionStatus.DUPLICATE, forum.demo_thread, NOW)
    await ask(1030, "Off-topic: which keyboard do you use?", "Just curious.", tags=("meta",), minutes=400)
    await store.set_status(1030, QuestionStatus.CLOSED, None, NOW)
    await ask(1031, "Rules for posting code", "Use code blocks.", tags=("meta",), author=carol, minutes=401)
    await store.set_status(1031, QuestionStatus.LOCKED, None, NOW)
    # A deleted question (410) and enough questions for a second page of the home.
    await ask(1040, "A question deleted later", "Gone.", minutes=500)
    await store.delete_question(1040, NOW)
    for n in range(32):
        await ask(2000 + n, f"Old question number {n} about sqlite storage", "Some sqlite text.",
                  tags=("storage",), minutes=-n)  # fmt: skip
    # A second guild publishing, so / lists the guilds.
    await store.set_guild_name(OTHER_GUILD, "Another Server", NOW)
    await publish(store, OTHER_GUILD, OTHER_CHANNEL)
    await ask(3000, "A question elsewhere", "Hello.", guild=OTHER_GUILD, channel=OTHER_CHANNEL)

    titles = {qid: (await store.get_question(qid)).title for qid in (forum.demo_thread, 1001, 1010, 1020, 1030, 1031)}
    path = {qid: f"/q/{qid}/{slugify(title)}" for qid, title in titles.items()}
    forum.paths = {
        "guilds": "/",
        "home": f"/g/{g}",
        "home-top": f"/g/{g}?sort=top",
        "home-unanswered": f"/g/{g}?sort=unanswered",
        "home-page-2": f"/g/{g}?page=2",
        "tag": f"/g/{g}/tags/discord.py",
        "search": f"/g/{g}/search?q=sqlite",
        "search-form": f"/g/{g}/search",
        "profile": f"/u/{g}/{carol}",
        "question": path[forum.demo_thread],
        "question-markdown": path[1001],
        "question-unanswered": path[1010],
        "question-duplicate": path[1020],
        "question-closed": path[1030],
        "question-locked": path[1031],
        "not-found": "/q/1",
        "gone": "/q/1040/a-question-deleted-later",  # 410: no page to redirect to,
    }


class ServedSite:
    """The web app over `database`, read-only, on 127.0.0.1 at a free port, in a thread of its own."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.origin = ""
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="quorum-web-test", daemon=True)

    def __enter__(self) -> ServedSite:
        self._thread.start()
        if not self._ready.wait(timeout=30) or self._failed is not None:
            raise RuntimeError("the web server did not start") from self._failed
        return self

    def __exit__(self, *exc) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # said to the test thread, which is waiting
            self._failed = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        store = await open_web_store(self.database)
        runner = web.AppRunner(build_app(PublicSite(store), public_url=None), access_log=None, handle_signals=False)
        try:
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            self.origin = f"http://127.0.0.1:{runner.addresses[0][1]}"
            self._ready.set()
            await self._stop.wait()
        finally:
            await runner.cleanup()
            await store.close()
