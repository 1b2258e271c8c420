"""The help forum's messages as a member sees them, captured from the real bot: Quorum runs against the
bundled Discord emulator (as the tests do, with a clock the script moves), each flow of issue 17 is
played by the emulator's members, and every message and private reply the bot sends is printed as
Markdown (embeds as quoted blocks, then their buttons and select options). docs/help-forum.md shows
this output.

    .venv/bin/python -m docs.help_forum_examples      (from the repository's root)

Ids are replaced by names (`{server}`, `{q:state}`, `{a:carol}`) and mentions by the name Discord
shows (`@Bob`), so the output reads the same at every run; `<t:…:R>` is a Discord timestamp, shown to
the member as a relative time ("3 minutes ago").
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
from datetime import timedelta
from pathlib import Path

from emulator import Emulator
from emulator.spec_check import default_spec_path
from tests.harness import BotHarness, Clock, eventually
from tests.test_first_slice import setup_forum

MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)
SNOWFLAKE = re.compile(r"\d{15,21}")


class Capture:
    """Plays the flows and prints what the bot sent, ids replaced by the names given to them."""

    def __init__(self, emulator: Emulator, quorum: BotHarness, clock: Clock) -> None:
        self.emulator, self.quorum, self.clock = emulator, quorum, clock
        self.world = emulator.world
        self.labels: dict[str, str] = {str(self.world.guild_id): "{server}"}
        for name, m in self.world.members.items():
            self.labels[str(m.id)] = name

    # ----- acting as members ---------------------------------------------------------------------
    def id(self, name: str) -> int:
        return self.world.members[name].id

    async def question(self, who: str, title: str, body: str, label: str, tags: tuple[str, ...] = ()) -> int:
        ids = [self.emulator.tag_id(t) for t in tags]
        thread = await self.emulator.create_forum_post(self.id(who), title, body, applied_tags=ids)
        tid = int(thread["id"])
        self.labels[str(tid)] = f"{{q:{label}}}"
        await eventually(lambda: self.quorum.store.question_posts(tid))
        return tid

    async def answer(self, who: str, tid: int, text: str) -> int:
        aid = int((await self.emulator.post_message(self.id(who), tid, text))["id"])
        self.labels.setdefault(str(aid), f"{{a:{who}}}")
        await eventually(lambda: self.quorum.store.get_post(aid))
        return aid

    async def slash(self, who: str, channel_id: int, name: str, **options) -> dict:
        inter = await self.emulator.invoke_slash(self.id(who), channel_id, name, options)
        return await self.final(inter)

    async def final(self, inter) -> dict:
        """The member's last private answer: a follow-up after a deferral, or the first response."""
        first = await inter.wait_response()
        if first["type"] == 5:  # deferred: the answer comes as a follow-up
            await self.emulator.wait_for(lambda: inter.followups, message="no follow-up")
            return inter.followups[-1]
        return first.get("data") or {}

    def bot_messages(self, channel_id: int) -> list[dict]:
        found = self.world.messages.get(channel_id, {}).values()
        return sorted((m for m in found if int(m["author"]["id"]) == self.world.bot_user_id
                       and m["type"] in (0, 19)), key=lambda m: int(m["id"]))  # fmt: skip

    def dms(self, name: str) -> list[dict]:
        channel = self.world.dm_channels.get(self.id(name))
        return sorted(self.world.messages.get(channel, {}).values(), key=lambda m: int(m["id"])) if channel else []

    # ----- printing ------------------------------------------------------------------------------
    def text(self, value: str) -> str:
        value = re.sub(r"<@!?(\d+)>", lambda m: "@" + self._display(m[1]), value)
        value = re.sub(r"<#(\d+)>", lambda m: "#" + self.world.channel(int(m[1]))["name"], value)
        value = re.sub(r"<t:\d+:R>", "<t:…:R>", value)
        return SNOWFLAKE.sub(lambda m: self.labels.get(m[0], m[0]), value)

    def _display(self, user_id: str) -> str:
        if int(user_id) not in self.world.members_by_id:
            return user_id
        user = self.world.user(int(user_id))
        return user["global_name"] or user["username"]

    def show(self, heading: str, who: str, message: dict) -> None:
        print(f"### {heading}\n\n*{who}*\n")
        blocks = [self.text(message["content"]).splitlines()] if message.get("content") else []
        blocks += [self._embed(embed) for embed in message.get("embeds") or []]
        # The content, then each embed, as quoted blocks of their own.
        print("\n\n".join("\n".join("> " + line if line else ">" for line in block) for block in blocks))
        controls = self._controls(message)
        if controls:
            print("\n" + "\n".join(controls))
        print()

    def _embed(self, embed: dict) -> list[str]:
        out = []
        if (embed.get("author") or {}).get("name"):
            out.append(f"*{self.text(embed['author']['name'])}*")
        if embed.get("title"):
            out.append(f"**{self.text(embed['title'])}**")
        if embed.get("description"):
            out += ["", *self.text(embed["description"]).splitlines()]
        for field in embed.get("fields") or []:
            out += ["", f"**{self.text(field['name'])}**", *self.text(field["value"]).splitlines()]
        if (embed.get("footer") or {}).get("text"):
            out += ["", f"*{self.text(embed['footer']['text'])}*"]
        return out

    def _controls(self, message: dict) -> list[str]:
        out = []
        for row in message.get("components") or []:
            for c in row.get("components") or [row.get("component") or {}]:
                if c.get("type") == 2:
                    out.append(f"- button **[{c['label']}]**")
                elif c.get("type") == 3:
                    out.append(f"- select *{c.get('placeholder', '')}*:")
                    for o in c["options"]:
                        tail = f" — {self.text(o['description'])}" if o.get("description") else ""
                        out.append(f"  - {self.text(o['label'])}{tail}")
        return out

    def show_form(self, heading: str, who: str, modal: dict) -> None:
        print(f"### {heading}\n\n*{who}*\n\n**{modal['title']}**\n")
        for row in modal["components"]:
            field = row.get("component") or (row.get("components") or [{}])[0]
            label = row.get("label") or field.get("label")
            bounds = f"{field.get('min_length', 0)}-{field.get('max_length', 4000)} characters"
            kept = "required" if field.get("required", True) else "optional"
            value = json.dumps(self.text(field.get("value") or ""), ensure_ascii=False)
            print(f"- {label} ({kept}, {bounds}): {value}")
        print()


async def play(c: Capture) -> None:
    await setup_forum(c.emulator, moderator_role=c.world.moderator_role_id)
    for flow in (solved_similar, notifications, nudges, suggestions, helpers_and_askers):
        await flow(c)


async def notifications(c: Capture) -> None:
    emulator, quorum, clock, world = c.emulator, c.quorum, c.clock, c.world
    general = world.text_channel_id
    print("## Notifications\n")
    c.show("/notify answers:on", "Bob, privately", await c.slash("bob", general, "notify", answers="on"))
    state = await c.question("bob", "How do I keep state across restarts?", "My bot forgets everything.", "state")
    first = await c.answer("carol", state, "Store it in SQLite.")
    await eventually(lambda: _count(c.dms("bob"), 1))
    c.show("The first answer", "Bob, by DM", c.dms("bob")[-1])
    await c.answer("dave", state, "Use a JSON file.")
    await c.answer("alice", state, "Pickle it.")
    clock.now += 10 * MINUTE
    await quorum.app.notify_due()
    c.show("Later answers, folded (at most one message per question per 10 minutes)", "Bob, by DM", c.dms("bob")[-1])
    clock.now += 10 * MINUTE
    menu = await emulator.invoke_message_command(c.id("mod"), state, "Accept answer", first)
    await c.final(menu)
    await eventually(lambda: _count(c.dms("bob"), 3))
    c.show("An answer accepted by someone else (a moderator)", "Bob, by DM", c.dms("bob")[-1])
    reload = await c.question("bob", "How do I reload a cog?", "Without restarting the bot.", "reload")
    clock.now += 10 * MINUTE
    solution = await c.answer("carol", reload, "bot.reload_extension('cogs.x')")
    await eventually(lambda: _count(c.dms("bob"), 4))
    await c.answer("dave", reload, "Or a /reload command of your own.")
    await c.final(await emulator.invoke_message_command(c.id("mod"), reload, "Accept answer", solution))
    clock.now += 10 * MINUTE
    await quorum.app.notify_due()
    c.show("A new answer and an acceptance in the same 10 minutes", "Bob, by DM", c.dms("bob")[-1])

    emulator.close_dms(c.id("carol"))
    await c.slash("carol", general, "notify", answers="on")
    logs = await c.question("carol", "Where are the log files written?", "I cannot find any logs.", "logs")
    await c.answer("dave", logs, "In ./logs by default.")
    await eventually(lambda: _count(c.bot_messages(logs), 1))
    c.show("The first answer, when the asker's DMs refuse the bot", "everyone in the thread; pings only Carol",
           c.bot_messages(logs)[-1])  # fmt: skip
    c.show("/notify, after that", "Carol, privately", await c.slash("carol", general, "notify"))

    c.show("/follow tag:python", "Dave, privately", await c.slash("dave", general, "follow", tag="python"))
    c.show("/following", "Dave, privately", await c.slash("dave", general, "following"))
    c.show("/follow tag:python, by a member whose DMs refused the bot", "Carol, privately",
           await c.slash("carol", general, "follow", tag="python"))  # fmt: skip
    await c.question("bob", "Python asyncio deadlock", "It hangs on await.", "asyncio", ("python",))
    await c.question("alice", "Python typing for callbacks", "How do I type them?", "typing", ("python",))
    clock.now += 61 * MINUTE
    await quorum.app.notify_due()
    await eventually(lambda: _count(c.dms("dave"), 1))
    c.show("The digest of followed tags (at most every QUORUM_FOLLOW_DIGEST_MINUTES)", "Dave, by DM", c.dms("dave")[-1])
    refused = await c.slash("carol", general, "following")
    c.show("/following, after Discord refused a digest", "Carol, privately", refused)


async def nudges(c: Capture) -> None:
    emulator, quorum, clock, world = c.emulator, c.quorum, c.clock, c.world
    general = world.text_channel_id
    print("## Idle nudges and the archive\n")
    idle = await c.question("bob", "Which intents do I need?", "My bot sees no messages.", "intents")
    await c.answer("carol", idle, "Turn on the message content intent.")
    dave = await c.answer("dave", idle, "Enable it in the developer portal too.")
    await emulator.add_reaction(c.id("alice"), idle, dave, "👍")
    await eventually(lambda: _score(quorum, dave, 1))
    clock.now += 25 * HOUR
    await quorum.app.run_followups()
    (nudge,) = [m for m in c.bot_messages(idle) if m.get("components")]
    c.show("The idle nudge", "everyone in the thread; pings only Bob", nudge)
    controls = {b["label"]: b["custom_id"] for row in nudge["components"] for b in row["components"]}
    refused = await emulator.click_button(c.id("carol"), idle, int(nudge["id"]), controls["Still need help"])
    c.show("Still need help, pressed by someone else", "Carol, privately", await c.final(refused))
    still = await emulator.click_button(c.id("bob"), idle, int(nudge["id"]), controls["Still need help"])
    c.show("Still need help", "Bob, privately", await c.final(still))
    c.show(
        "/unanswered (Bob's question still needs help)", "Dave, privately", await c.slash("dave", general, "unanswered")
    )
    mark = await emulator.click_button(c.id("bob"), idle, int(nudge["id"]), controls["Mark the answer that solved it"])
    picker = await c.final(mark)
    c.show("Mark the answer that solved it: the answer picker", "Bob, privately", picker)
    select = picker["components"][0]["components"][0]["custom_id"]
    chosen = await emulator.select(c.id("bob"), idle, int(picker["id"]), select, [dave])
    c.show("An answer picked", "Bob, privately", await c.final(chosen))
    await emulator.wait_for(lambda: not world.messages[idle][int(nudge["id"])]["components"], message="no edit")
    c.show("The idle nudge, once an answer is accepted (any way)", "everyone in the thread",
           world.messages[idle][int(nudge["id"])])  # fmt: skip
    before = len(c.bot_messages(idle))
    clock.now += 25 * HOUR
    await quorum.app.run_followups()
    archived = world.channel(idle)["thread_metadata"]["archived"]
    print(f"### The archive after an accept\n\nThe thread archived: {archived}; messages Quorum posted for it: "
          f"{len(c.bot_messages(idle)) - before}.\n")  # fmt: skip


async def suggestions(c: Capture) -> None:
    emulator, world = c.emulator, c.world
    print("## Suggest as solution\n")
    sql = await c.question("bob", "How do I count rows in SQLite?", "Fast, please.", "sql")
    count = await c.answer("carol", sql, "SELECT count(*) FROM t;")
    stat = await c.answer("dave", sql, "Read sqlite_stat1.")
    menu = await emulator.invoke_message_command(c.id("dave"), sql, "Suggest as solution", count)
    c.show("Suggest as solution (the message menu)", "Dave, privately", await c.final(menu))
    suggestion = c.bot_messages(sql)[-1]
    c.show("The suggestion", "everyone in the thread; pings only Bob", suggestion)
    other = await emulator.invoke_message_command(c.id("carol"), sql, "Suggest as solution", stat)
    await c.final(other)
    second = c.bot_messages(sql)[-1]
    dismiss = await emulator.click_button(c.id("bob"), sql, int(second["id"]), _button(second, "Not this one"))
    await dismiss.wait_response()
    c.show("The suggestion, dismissed (Not this one)", "everyone in the thread", world.messages[sql][int(second["id"])])
    refused = await emulator.click_button(c.id("carol"), sql, int(suggestion["id"]), _button(suggestion, "Accept"))
    c.show("Accept, pressed by someone else", "Carol, privately", await c.final(refused))
    accept = await emulator.click_button(c.id("bob"), sql, int(suggestion["id"]), _button(suggestion, "Accept"))
    c.show("Accept", "Bob, privately", await c.final(accept))
    await emulator.wait_for(lambda: not world.messages[sql][int(suggestion["id"])]["components"], message="no edit")
    c.show("The suggestion, accepted", "everyone in the thread", world.messages[sql][int(suggestion["id"])])

    # Two more suggestions are open when a moderator's pin accepts another answer: both are closed.
    # Discord refuses the second one's edit here (in life: the bot restarted before it), so its
    # buttons are still there to press.
    notes = []
    for suggester, text in (("dave", "SELECT max(rowid) FROM t;"), ("carol", "Keep a counter in a trigger.")):
        answer = await c.answer("alice", sql, text)
        await c.final(await emulator.invoke_message_command(c.id(suggester), sql, "Suggest as solution", answer))
        notes.append(c.bot_messages(sql)[-1])
    emulator.faults.fail("PATCH", rf"^/channels/{sql}/messages/{notes[1]['id']}$", 403, 50013, count=10)
    await emulator.pin(c.id("mod"), sql, stat)
    await emulator.wait_for(lambda: not world.messages[sql][int(notes[0]["id"])]["components"], message="no edit")
    c.show("An open suggestion, once an answer is accepted another way", "everyone in the thread",
           world.messages[sql][int(notes[0]["id"])])  # fmt: skip
    stale = await emulator.click_button(c.id("bob"), sql, int(notes[1]["id"]), _button(notes[1], "Accept"))
    c.show("A suggestion's or a nudge's button pressed after an accept, before its buttons went", "Bob, privately",
           await c.final(stale))  # fmt: skip
    emulator.faults.clear()


async def helpers_and_askers(c: Capture) -> None:
    emulator, quorum, world = c.emulator, c.quorum, c.world
    general = world.text_channel_id
    print("## For helpers and askers\n")
    c.show("/help", "Bob, privately (a member: no moderation or setup commands)", await c.slash("bob", general, "help"))

    ask = await emulator.invoke_slash(c.id("bob"), general, "ask", {"title": "How do I add a cooldown?",
                                      "body": "Members spam my command.", "tags": "python, help"})  # fmt: skip
    await c.final(ask)
    asked = next(int(t["id"]) for t in world.threads.values() if t["name"] == "How do I add a cooldown?")
    c.labels[str(asked)] = "{q:cooldown}"
    await eventually(lambda: quorum.store.question_posts(asked))
    edit = await emulator.invoke_slash(c.id("bob"), asked, "edit")
    await edit.wait_response()
    c.show_form("/edit: the form", "Bob, in his /ask question's thread", edit.modal)
    inputs = {}
    for row in edit.modal["components"]:
        field = row.get("component") or row["components"][0]
        inputs[row.get("label") or field["label"]] = field["custom_id"]
    values = {
        inputs["Title"]: "How do I add a cooldown to one command?",
        inputs["Details"]: "Members spam /roll; the others are fine.",
        inputs["Tags (comma-separated)"]: "python",
    }
    submit = await emulator.submit_modal(c.id("bob"), asked, edit.modal["custom_id"], values)
    c.show("/edit: the form sent", "Bob, privately", await c.final(submit))
    c.show("/edit: the question's starter afterwards", "everyone in the thread", world.message(asked, asked))


async def solved_similar(c: Capture) -> None:
    """First, while the app's clock is Discord's: a post is offered solved questions only while new."""
    print("## Solved similar questions in a member's own post\n")
    solved = await c.question("bob", "How do I sync slash commands to one guild?", "They never show up.", "solved")
    solution = await c.answer("carol", solved, "Copy the global commands to the guild, then sync it.")
    await c.emulator.pin(c.id("mod"), solved, solution)
    await eventually(lambda: _accepted(c.quorum, solved, solution))
    slash = await c.question("dave", "Slash commands do not sync to my guild", "tree.sync() does nothing.", "slash")
    await eventually(lambda: _count(c.bot_messages(slash), 1), timeout=10)
    c.show("The reply in the new post's thread", "everyone in the thread; pings nobody", c.bot_messages(slash)[-1])


def _button(message: dict, label: str) -> str:
    return next(b["custom_id"] for row in message["components"] for b in row["components"] if b["label"] == label)


async def _count(items: list, n: int) -> bool:
    return len(items) >= n


async def _score(quorum: BotHarness, post_id: int, score: int) -> bool:
    return (await quorum.store.get_post(post_id)).score == score


async def _accepted(quorum: BotHarness, question_id: int, answer_id: int) -> bool:
    return (await quorum.store.get_question(question_id)).accepted_answer_id == answer_id


async def main() -> None:
    emulator = Emulator(spec_path=default_spec_path())
    await emulator.start()
    clock = Clock()
    with tempfile.TemporaryDirectory() as folder:
        quorum = BotHarness(emulator, Path(folder) / "quorum.db", clock=clock, log_level="WARNING")
        await quorum.start()
        try:
            await play(Capture(emulator, quorum, clock))
            quorum.assert_alive()
        finally:
            await quorum.stop()
            await emulator.stop()
    if emulator.spec_violations:
        raise SystemExit(f"requests Discord's API description rejects: {emulator.spec_violations}")


if __name__ == "__main__":
    asyncio.run(main())
