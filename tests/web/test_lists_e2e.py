"""A guild's home page through the real bot and the emulator: a published channel's questions are
listed, an unpublished channel's are not, a hidden member is anonymous, and a restart changes nothing."""

from __future__ import annotations

from bot.forum.public import HIDDEN_TEXT, anonymous_name
from tests.harness import eventually
from tests.test_asking import ask, final_message
from tests.test_first_slice import setup_forum
from tests.web.helpers import NOW, name_members, publish, web_client
from tests.web.test_question_page_e2e import page_when

UP = "\N{THUMBS UP SIGN}"


async def test_the_home_lists_what_is_published(emulator, quorum):
    world = emulator.world
    gid = world.guild_id
    ids = {n: world.members[n].id for n in ("alice", "bob", "carol", "dave")}
    await setup_forum(emulator)
    await name_members(quorum.store, gid, {i: n.title() for n, i in ids.items()})
    await quorum.store.set_guild_name(gid, "Quorum Test Server", NOW)

    kept = int((await emulator.create_forum_post(ids["bob"], "How do I keep state?", "It forgets."))["id"])
    shy = int((await emulator.create_forum_post(ids["carol"], "Carol's own question", "Secret words."))["id"])
    await emulator.post_message(ids["dave"], kept, "Use SQLite.")
    await eventually(lambda: quorum.store.question_posts(kept))
    # A question in another channel, which nobody publishes.
    setup = await emulator.invoke_slash(ids["alice"], world.text_channel_id, "quorum setup",
                                        {"channel": world.text_channel_id})  # fmt: skip
    await setup.wait_response()
    await final_message(await ask(emulator, title="Where do logs go?", body="Not published."), emulator)
    [logs] = [t for t in world.threads.values() if t["name"] == "Where do logs go?"]
    await eventually(lambda: quorum.store.get_question(int(logs["id"])))

    home = f"/g/{gid}"
    async with web_client(quorum.database) as client:
        assert (await client.get(home)).status == 404, "nothing published yet"
        await publish(quorum.store, gid, world.forum_channel_id)
        html = await page_when(client, home, lambda h: "How do I keep state?" in h)
        assert "Carol&#39;s own question" in html and '<a class="author" href="/u/{}/{}">Carol</a>'.format(
            gid, ids["carol"]) in html  # fmt: skip
        assert "Where do logs go?" not in html
        assert f'<a href="/q/{kept}/how-do-i-keep-state">' in html and "1 answer<" in html
        assert (await client.get(f"/g/{gid}/tags/none")).status == 404

        # A vote moves the question to the top of "Top" within a second.
        await emulator.add_reaction(ids["dave"], kept, kept, UP)
        await page_when(client, home + "?sort=top", lambda h: h.index("How do I keep state?") < h.index("Carol"))

        # Carol hides from the web: her name and her title are gone from the list.
        await quorum.store.set_web_hidden(gid, ids["carol"], True, NOW)
        html = await page_when(client, home, lambda h: anonymous_name(gid, ids["carol"]) in h)
        assert "Carol" not in html and HIDDEN_TEXT.replace("'", "&#39;") in html
        assert f'<a href="/q/{shy}/question">' in html

        # The bot restarts: the home page is the same.
        before = await (await client.get(home)).text()
        await quorum.restart()
        assert await (await client.get(home)).text() == before
        search = await (await client.get(f"/g/{gid}/search?q=SQLite")).text()
        assert f'<a href="/q/{kept}/how-do-i-keep-state#answer-' in search
