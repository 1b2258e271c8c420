async def test_login_ready_guild(emu, harness):
    w = emu.world
    c = harness.client
    guild = c.get_guild(w.guild_id)
    assert guild is not None
    assert guild.me is not None and guild.me.id == w.bot_user_id
    assert c.user.id == w.bot_user_id
    forum = guild.get_channel(w.forum_channel_id)
    assert forum.type.name == "forum"
    assert [t.name for t in forum.available_tags][:2] == ["python", "discord.py"]
    assert emu.gateway_stats.identifies == 1
    harness.assert_alive()
