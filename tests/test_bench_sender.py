"""The vote benchmark's sender: its pre-built stream is exactly the reaction dispatches, as plain JSON
text WebSocket frames (what discord.py reads whatever compression it asked for), and the sizes it
announces are what a sink must drain."""

import json
import struct

from bench.votes.fixture import GUILD_ID, Vote
from bench.votes.sender import Server


def _text_frames(data: bytes) -> list[dict]:
    out, i = [], 0
    while i < len(data):
        first, second = data[i], data[i + 1]
        assert first == 0x81, "a final, unmasked text frame"
        n, i = second & 0x7F, i + 2
        if n == 126:
            (n,), i = struct.unpack("!H", data[i : i + 2]), i + 2
        elif n == 127:
            (n,), i = struct.unpack("!Q", data[i : i + 8]), i + 8
        out.append(json.loads(data[i : i + n]))
        i += n
    return out


def test_stream_is_the_reaction_dispatches_as_text_frames():
    votes = [Vote(post_id=10 + i, question_id=10, author_id=20, voter_id=30 + i, value=1 if i % 2 else -1)
             for i in range(300)]  # fmt: skip
    server = Server(pipe=None, votes=votes)
    frames = _text_frames(server.stream)
    assert [f["t"] for f in frames] == ["MESSAGE_REACTION_ADD"] * 300
    assert [f["s"] for f in frames] == list(range(3, 303))  # after READY (1) and GUILD_CREATE (2)
    first = frames[0]["d"]
    assert first["user_id"] == "30" and first["message_id"] == "10" and first["guild_id"] == str(GUILD_ID)
    assert first["emoji"]["name"] == "\N{THUMBS DOWN SIGN}" and first["member"]["user"]["id"] == "30"
    assert [f["t"] for f in _text_frames(server.hello + server.session)] == [None, "READY", "GUILD_CREATE"]
    assert server.sizes() == {"frames": 300, "before": len(server.hello) + len(server.session),
                              "stream": len(server.stream)}  # fmt: skip
