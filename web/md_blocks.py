"""Discord's block markdown (lines) parsed into a tree of plain tuples; inline text via md_inline.

Blocks (the first item names the kind):
  ("p", inline)  ("pre", language or "", body)  ("quote", blocks)  ("h", level 1-3, inline)
  ("sub", inline)  ("list", ordered, start, items)  where an item is (inline, nested lists).

As in Discord: a quote needs "> " at the start of a line (">>> " quotes the rest of the message) and
quotes do not nest; headings are "# " to "### "; "-# " is subtext; a fence may open anywhere in a line
and holds no markdown. A single newline is a line break, a blank line starts a new paragraph.
"""

from __future__ import annotations

import re

from web.md_inline import MAX_DEPTH, parse_inline

_QUOTE_REST = re.compile(r" *>>> ")
_QUOTE_LINE = re.compile(r" *> ")
_HEADING = re.compile(r"(#{1,3}) +(?=\S)")
_SUBTEXT = re.compile(r"-# +(?=\S)")
_ITEM = re.compile(r"( *)([-*]|\d{1,9}\.) +(?=\S)")
_LANGUAGE = re.compile(r"[A-Za-z0-9_+\-.#]{1,32}")


def parse_blocks(text: str, quotes: bool = True) -> tuple:
    blocks: list[tuple] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(("p", parse_inline("\n".join(para), blocks=True)))
            para.clear()

    pos, n = 0, len(text)
    while pos < n:
        if text.startswith("```", pos):
            close = text.find("```", pos + 3)
            if close >= 0:
                flush()
                blocks.append(_fence(text[pos + 3 : close]))
                pos = close + 3
                if text.startswith("\n", pos):
                    pos += 1
                continue
        eol = text.find("\n", pos)
        eol = n if eol < 0 else eol
        line = text[pos:eol]
        if quotes and (m := _QUOTE_REST.match(line)):
            flush()
            blocks.append(("quote", parse_blocks(text[pos + m.end() :], quotes=False)))
            break
        if quotes and _QUOTE_LINE.match(line):
            flush()
            quoted, pos = _quote_lines(text, pos)
            blocks.append(("quote", parse_blocks(quoted, quotes=False)))
            continue
        fence = line.find("```")
        if fence > 0 and text.find("```", pos + fence + 3) > eol:
            # A fence opened mid-line and closed on a later line is a block of its own (one that
            # closes on its own line reads as inline code).
            if line[:fence].strip():
                para.append(line[:fence])
            pos += fence
            continue
        if m := _HEADING.match(line):
            flush()
            blocks.append(("h", len(m.group(1)), parse_inline(line[m.end() :], blocks=True)))
        elif m := _SUBTEXT.match(line):
            flush()
            blocks.append(("sub", parse_inline(line[m.end() :], blocks=True)))
        elif _ITEM.match(line):
            flush()
            lists, eol = _list(text, pos)
            blocks.extend(lists)
        elif not line.strip():
            flush()
        else:
            para.append(line)
        pos = eol + 1
    flush()
    return tuple(blocks)


def _fence(inside: str) -> tuple:
    first, newline, rest = inside.partition("\n")
    if newline and _LANGUAGE.fullmatch(first) and rest.strip("\n"):
        return ("pre", first, rest.strip("\n"))
    return ("pre", "", inside.strip("\n"))


def _quote_lines(text: str, pos: int) -> tuple[str, int]:
    """The quoted text of consecutive "> " lines from pos, and where the first other line starts."""
    lines = []
    n = len(text)
    while pos < n:
        eol = text.find("\n", pos)
        eol = n if eol < 0 else eol
        m = _QUOTE_LINE.match(text, pos, eol)
        if m is None:
            break
        lines.append(text[m.end() : eol])
        pos = eol + 1
    return "\n".join(lines), pos


class _List:
    __slots__ = ("ordered", "start", "items")

    def __init__(self, ordered: bool, start: int):
        self.ordered, self.start, self.items = ordered, start, []

    def freeze(self) -> tuple:
        items = tuple((inline, tuple(sub.freeze() for sub in subs)) for inline, subs in self.items)
        return ("list", self.ordered, self.start, items)


def _list(text: str, pos: int) -> tuple[list[tuple], int]:
    """The lists of consecutive item lines from pos (nested by indentation), and the last line's end."""
    roots: list[_List] = []
    stack: list[tuple[int, _List]] = []
    n, eol = len(text), pos - 1
    while pos < n:
        eol = text.find("\n", pos)
        eol = n if eol < 0 else eol
        m = _ITEM.match(text, pos, eol)
        if m is None:
            return [root.freeze() for root in roots], pos - 1
        indent, marker = len(m.group(1)), m.group(2)
        ordered = marker[-1] == "."
        number = int(marker[:-1]) if ordered else 1
        while len(stack) > 1 and indent < stack[-1][0]:
            stack.pop()
        if not stack:
            roots.append(_List(ordered, number))
            stack.append((indent, roots[-1]))
        elif indent > stack[-1][0] and len(stack) < MAX_DEPTH:
            nested = _List(ordered, number)
            stack[-1][1].items[-1][1].append(nested)
            stack.append((indent, nested))
        elif stack[-1][1].ordered != ordered:  # "- a" then "1. b" at one level: a new list there
            sibling = _List(ordered, number)
            if len(stack) == 1:
                roots.append(sibling)
            else:
                stack[-2][1].items[-1][1].append(sibling)
            stack[-1] = (stack[-1][0], sibling)
        stack[-1][1].items.append((parse_inline(text[m.end() : eol], blocks=True), []))
        pos = eol + 1
    return [root.freeze() for root in roots], eol
