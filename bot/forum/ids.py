"""Discord ids (snowflakes) typed by members: one parser, so every command and search operator
refuses the same way what cannot be an id.

Discord documents a snowflake as a 64-bit integer; the store (SQLite) holds signed 64-bit integers,
and Python's int() refuses strings of more than 4300 digits with a ValueError: either would surface as
"something broke" instead of a sentence the member can act on. So an id is at most 2**63 - 1: Discord's
ids are far below it (42 bits of milliseconds since 2015 set the top bit only in 2084).
"""

from __future__ import annotations

from .errors import BadInput

MAX_SNOWFLAKE = (1 << 63) - 1
_MAX_DIGITS = len(str(MAX_SNOWFLAKE))  # 19


def is_snowflake(value: int) -> bool:
    return 0 < value <= MAX_SNOWFLAKE


def parse_snowflake(digits: str, *, what: str = "a Discord id") -> int:
    """`digits` (already matched as digits) as an id, or BadInput naming what it was meant to be."""
    digits = digits.strip()
    shown = digits[:25] + ("…" if len(digits) > 25 else "")
    # Only ASCII digits: \d also matches other scripts' digits, which Discord never writes in an id.
    if not (digits.isascii() and digits.isdecimal()):
        raise BadInput(f"`{shown}` is not {what}: Discord ids are made of the digits 0-9.")
    # Checked before int(): it refuses more than 4300 digits with a ValueError.
    if len(digits.lstrip("0")) > _MAX_DIGITS or not is_snowflake(int(digits)):
        raise BadInput(f"`{shown}` is not {what}: Discord ids are numbers from 1 to {MAX_SNOWFLAKE}.")
    return int(digits)
