"""The question page follows the forum through the real bot and the emulator: post, answer, reply,
vote, accept, edit, delete, opt out, restart; read by a web app on the same database, read-only."""

from __future__ import annotations

import time

from bot.forum.public import HIDDEN_TEXT, anonymous_name
from tests.harness import eventually
from tests.test_first_slice import setup_forum
from tests.web.helpers import NOW, answer_block, answer_ids, json_ld, name_members, publish, web_client

UP = "\N{THUMBS UP SIGN}"


async def page_when(client, path: str, check, timeout: float = 1.0) -> str:
    """The page as soon as `check(html)` holds; the web must follow a change within a second."""
    started = time.monotonic()

    async def get():
        response = await client.get(path)
        html = await response.text()
        return html if response.status == 200 and check(html) else None

    html = await eventually(get, timeout=timeout)
    assert time.monotonic() - started <= timeout + 0.2
    return html


async def test_the_page_follows_every_change(emulator, quorum):
    world = emulator.world
    ids = {n: world.members[n].id for n in ("alice", "mod", "bob", "carol", "dave")}
    gid = world.guild_id
    await setup_forum(emulator)
    await name_members(quorum.store, gid, {i: n.title() for n, i in ids.items()})
    await quorum.store.set_guild_name(gid, "Quorum Test Server", NOW)

    thread = await emulator.create_forum_post(ids["bob"], "How do I keep state?", "My bot *forgets* everything.")
    tid = int(thread["id"])
    await eventually(lambda: quorum.store.question_posts(tid))

    async with web_client(quorum.database) as client:
        # Not published yet: nothing there, and nothing to say there is.
        assert (await client.get(f"/q/{tid}")).status == 404
        await publish(quorum.store, gid, world.forum_channel_id, readable=False)
        assert (await client.get(f"/q/{tid}")).status == 404, "published but @everyone cannot read it"
        await publish(quorum.store, gid, world.forum_channel_id)

        first = await client.get(f"/q/{tid}", allow_redirects=False)
        assert first.status == 301
        path = first.headers["Location"]
        assert path == f"/q/{tid}/how-do-i-keep-state"
        wrong = await client.get(f"/q/{tid}/old-title", allow_redirects=False)
        assert wrong.status == 301 and wrong.headers["Location"] == path

        html = await page_when(client, path, lambda h: "0 answers" in h)
        assert "<title>How do I keep state? - Quorum Test Server</title>" in html
        assert json_ld(html)["@type"] == "DiscussionForumPosting"

        carol = int((await emulator.post_message(ids["carol"], tid, "Store it in SQLite."))["id"])
        dave = int((await emulator.post_message(ids["dave"], tid, "Use a JSON file."))["id"])
        reply = int((await emulator.post_message(ids["mod"], tid, "Mind the WAL.", reply_to=carol))["id"])
        comment = int((await emulator.post_message(ids["alice"], tid, "Which version?", reply_to=tid))["id"])
        html = await page_when(client, path, lambda h: "2 answers" in h and "Which version?" in h)
        assert answer_ids(html) == [carol, dave], "same score: oldest first"
        assert f'id="post-{reply}"' in answer_block(html, carol) and "Mind the WAL." in answer_block(html, carol)
        assert f'id="post-{comment}"' in html.split('<section class="answers"')[0], "a reply to the question"

        # A vote moves dave's answer up.
        await emulator.add_reaction(ids["alice"], tid, dave, UP)
        html = await page_when(client, path, lambda h: answer_ids(h) == [dave, carol])
        assert ">+1</span>" in answer_block(html, dave)

        # A moderator's pin accepts carol's answer: first, marked, and the question solved.
        await emulator.pin(ids["mod"], tid, carol)
        html = await page_when(client, path, lambda h: answer_ids(h) == [carol, dave] and "Accepted answer" in h)
        assert "Accepted answer" in answer_block(html, carol) and "Accepted answer" not in answer_block(html, dave)
        assert '<li class="badge solved">Solved</li>' in html
        data = json_ld(html)
        assert data["@type"] == "QAPage"
        entity = data["mainEntity"]
        assert entity["answerCount"] == 2 and entity["name"] == "How do I keep state?"
        assert entity["acceptedAnswer"]["url"].endswith(f"{path}#answer-{carol}")
        assert entity["acceptedAnswer"]["author"] == {
            "@type": "Person",
            "name": "Carol",
            "url": f"/u/{gid}/{ids['carol']}",
        }
        assert entity["acceptedAnswer"]["comment"][0]["text"] == "Mind the WAL."
        assert [a["upvoteCount"] for a in entity["suggestedAnswer"]] == [1]
        assert entity["comment"][0]["text"] == "Which version?"

        # An edit shows at once, marked.
        await emulator.edit_message(tid, carol, "Store it in SQLite, in WAL mode.")
        html = await page_when(client, path, lambda h: "in WAL mode." in h)
        assert "(edited)" in answer_block(html, carol)

        # A deleted answer is gone.
        await emulator.delete_message(tid, dave)
        html = await page_when(client, path, lambda h: answer_ids(h) == [carol])
        assert "Use a JSON file." not in html and "1 answer<" in html

        # Carol hides from the web: an anonymous name, her text withheld, her mentions "someone".
        await emulator.post_message(ids["bob"], tid, f"Thanks <@{ids['carol']}>!", reply_to=carol)
        await page_when(client, path, lambda h: "Thanks @Carol!" in h)
        await quorum.store.set_web_hidden(gid, ids["carol"], True, NOW)
        anonymous = anonymous_name(gid, ids["carol"])
        html = await page_when(client, path, lambda h: anonymous in h)
        assert "Carol" not in html and "in WAL mode" not in html and f"/u/{gid}/{ids['carol']}" not in html
        assert HIDDEN_TEXT.replace("'", "&#39;") in answer_block(html, carol)
        assert "Thanks @someone!" in html
        accepted = json_ld(html)["mainEntity"]["acceptedAnswer"]
        assert accepted["author"] == {"@type": "Person", "name": anonymous} and accepted["text"] == HIDDEN_TEXT

        # The bot restarts: the page is the same.
        before = await (await client.get(path)).text()
        await quorum.restart()
        assert await (await client.get(path)).text() == before

        # Cache and transport: a strong ETag, 304 when it matches, gzip when asked, the headers.
        response = await client.get(path, headers={"Accept-Encoding": "identity"})
        etag = response.headers["ETag"]
        assert etag.startswith('"') and response.headers["Cache-Control"] == "no-cache"
        assert "script-src" not in response.headers["Content-Security-Policy"]
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        again = await client.get(path, headers={"If-None-Match": etag, "Accept-Encoding": "identity"})
        assert again.status == 304 and await again.read() == b""
        zipped = await client.get(path, headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["Content-Encoding"] == "gzip" and await zipped.text() == before

        # Unpublished: gone at once (404); published again and the thread deleted: 410.
        await publish(quorum.store, gid, world.forum_channel_id, published=False)
        assert (await client.get(path)).status == 404
        await publish(quorum.store, gid, world.forum_channel_id)
        await emulator.delete_thread(tid)

        async def gone():
            response = await client.get(path)
            return response.status == 410 and "deleted" in await response.text()

        await eventually(gone, timeout=1.0)
        assert (await client.get(f"/q/{tid}", allow_redirects=False)).status == 410
