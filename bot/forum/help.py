"""/help: which commands a member is shown, and the one page that lists them. Pure functions over
plain descriptions of the bot's command tree (the cog reads them from discord.py), so the page
never drifts from the commands that exist."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

DESCRIPTION_MAX = 4096  # Discord's embed description limit
MORE = "\n… and {} more: type `/` to see every command."


@dataclass(frozen=True, slots=True)
class CommandEntry:
    usage: str  # what the member types or picks, e.g. "/ask title [body] [tags]" or "Accept answer (message menu)"
    description: str
    required: int  # permission bits the command's default_member_permissions asks for (0: none)


def may_see(entry: CommandEntry, held: int, *, moderator: bool, moderator_bits: int) -> bool:
    """Discord shows a command to members holding every permission of its default_member_permissions;
    Quorum also lets its moderators (the moderator role) use the moderation commands, whose default is
    the moderators' permission (checks.moderator_only), wherever the server shows them to that role."""
    if moderator:
        held |= moderator_bits
    return entry.required & ~held == 0


def command_lines(entries: list[CommandEntry], budget: int, size: Callable[[str], int] = len) -> str:
    """One line per command, as many as fit in `budget` (measured by `size`: Discord counts UTF-16
    units) with a note of the rest."""
    lines: list[str] = []
    used = 0
    for number, entry in enumerate(entries):
        line = f"**{entry.usage}**: {entry.description}"
        cost = size(line) + 1
        left = len(entries) - number - 1
        reserve = size(MORE.format(left + 1)) if left else 0
        if used + cost + reserve > budget:
            lines.append(MORE.format(len(entries) - number).strip())
            break
        lines.append(line)
        used += cost
    return "\n".join(lines)
