"""What a member may be shown: only what they could read in Discord.

Which channels that is, Discord decides (roles and permission overwrites: View Channel and Read
Message History); the adapter works it out from Discord's cache and passes it in. The store filters
by it inside its queries, so hidden questions never take a place in a page, a count or a limit.
Private threads need no rule here: they are never stored (service.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Readable:
    """The channels (forums, text channels) whose questions a member may be shown. A question in any
    other channel, including one Discord no longer has, is hidden from them."""

    channel_ids: frozenset[int]

    def allows(self, channel_id: int) -> bool:
        return channel_id in self.channel_ids

    def as_json(self) -> str:
        """The ids as a JSON array, the form the store's statements bind (json_each)."""
        return json.dumps(sorted(self.channel_ids))
