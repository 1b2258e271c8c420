"""Permission bits and the computation Discord does (base from roles, then channel overwrites).

Only what the emulator checks is named here; values are Discord's.
"""

from __future__ import annotations

CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
PIN_MESSAGES = 1 << 51

ALL = (1 << 53) - 1

EVERYONE_DEFAULT = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | SEND_MESSAGES_IN_THREADS
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_APPLICATION_COMMANDS
)
MODERATOR_DEFAULT = MANAGE_THREADS | MANAGE_MESSAGES | PIN_MESSAGES
BOT_ROLE_DEFAULT = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | SEND_MESSAGES_IN_THREADS
    | CREATE_PUBLIC_THREADS
    | MANAGE_THREADS
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | PIN_MESSAGES
    | EMBED_LINKS
    | MANAGE_MESSAGES
)

NAMES = {v: k for k, v in dict(globals()).items() if k.isupper() and isinstance(v, int) and k != "ALL"}


def name_of(bit: int) -> str:
    return NAMES.get(bit, hex(bit))


def apply_overwrites(base: int, overwrites: list[dict], everyone_id: int, role_ids: list[int], user_id: int) -> int:
    """Discord's order: @everyone overwrite, then all role overwrites together, then the member's."""
    perms = base
    by_id = {int(o["id"]): o for o in overwrites}
    ev = by_id.get(everyone_id)
    if ev:
        perms = (perms & ~int(ev["deny"])) | int(ev["allow"])
    allow = deny = 0
    for rid in role_ids:
        o = by_id.get(rid)
        if o and int(o.get("type", 0)) == 0:
            allow |= int(o["allow"])
            deny |= int(o["deny"])
    perms = (perms & ~deny) | allow
    mo = by_id.get(user_id)
    if mo and int(mo.get("type", 1)) == 1:
        perms = (perms & ~int(mo["deny"])) | int(mo["allow"])
    return perms
