"""Discord's inline markdown parsed into a tree of plain tuples (no HTML here).

Nodes (the first item names the kind):
  ("text", str)  ("br",)  ("style", tag, children)  ("code", str)  ("link", url, children)
  ("url", url)  ("emoji", name, id, animated)  ("time", seconds, style)
  ("mention", "user"|"role"|"channel", id)  ("command", name, id)
where tag is "strong", "em", "u", "s" or "spoiler" and children is a tuple of nodes.

The cost stays linear in the text: the scanner jumps between characters that can start something,
closing delimiters are looked up by bisection in tables built once per text (a delimiter that never
closes costs a lookup, not a rescan), and nesting stops at MAX_DEPTH.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

MAX_DEPTH = 10

# Characters that may start markup; everything between two of them is plain text.
_START = re.compile(r"[\\`<\[*_~|\n]|https?://")
# Characters a URL never contains: whitespace, controls, invisible and direction-changing marks.
_NOT_URL = r"\s<>\"\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff"
_URL = re.compile(rf"https?://[^{_NOT_URL}]{{1,2048}}")
_HOST = re.compile(
    r"https?://(?:[^/?#@\[\]]{1,256}@)?(?P<host>[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63}){0,16}\.?)"
    r"(?::(?P<port>\d{1,5}))?(?:[/?#]|$)"
)
_NUMERIC = re.compile(r"\d+|0[xX][0-9A-Fa-f]*")
_URL_TRAILING = ".,:;!?'*_~|"
_ANGLE = re.compile(
    r"<(?:"
    r"@(?P<mtype>[!&]?)(?P<mid>\d{1,20})"
    r"|#(?P<cid>\d{1,20})"
    r"|(?P<anim>a?):(?P<ename>\w{1,32}):(?P<eid>\d{1,20})"
    r"|t:(?P<ts>-?\d{1,17})(?::(?P<tstyle>[tTdDfFR]))?"
    r"|/(?P<cmd>[-\w]{1,32}(?: [-\w]{1,32}){0,2}):(?P<cmdid>\d{1,20})"
    rf"|(?P<url>https?://[^{_NOT_URL}]{{1,2048}})"
    r")>"
)
_LINK = re.compile(
    r"\[(?P<text>[^\[\]\n]{1,256})\]"
    rf"\(\s*<?(?P<url>https?://[^{_NOT_URL}()]{{1,2048}}(?:\([^{_NOT_URL}()]{{0,256}}\)[^{_NOT_URL}()]{{0,256}})?)>?\s*\)"
)
_RUNS = re.compile(r"\*+|_+|~+|\|+")

# The delimiters each marker character may open, longest first, and the tag each one makes.
_OPTIONS = {
    "*": (("***", ("strong", "em")), ("**", ("strong",)), ("*", ("em",))),
    "_": (("___", ("u", "em")), ("__", ("u",)), ("_", ("em",))),
    "~": (("~~", ("s",)),),
    "|": (("||", ("spoiler",)),),
}


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _linkable(url: str) -> bool:
    """An http(s) URL with a plain host (and a port a browser accepts), that does not even mention
    another scheme a browser would run: anything else stays text."""
    m = _HOST.match(url)
    if not m or int(m.group("port") or 0) > 65535 or "javascript:" in url.lower():
        return False
    labels = m.group("host").rstrip(".").split(".")
    if _NUMERIC.fullmatch(labels[-1]):  # browsers read it as an IPv4 address: keep to the plain form
        return len(labels) == 4 and all(label.isdigit() and int(label) <= 255 for label in labels)
    for label in labels:
        if label[:4].lower() == "xn--":
            try:
                label.encode("ascii").decode("idna")
            except UnicodeError:
                return False
    return True


def _escaped(text: str, i: int) -> bool:
    """Whether text[i] follows an odd number of backslashes."""
    j = i
    while j > 0 and text[j - 1] == "\\":
        j -= 1
    return (i - j) % 2 == 1


def _closers(text: str) -> tuple[dict[str, list[int]], list[int], list[int]]:
    """Where each delimiter may close, in increasing order, and where each marker run starts and
    ends (one pass over the marker runs)."""
    table: dict[str, list[int]] = {d: [] for options in _OPTIONS.values() for d, _ in options}
    starts: list[int] = []
    ends: list[int] = []
    for run in _RUNS.finditer(text):
        start, end = run.span()
        starts.append(start)
        ends.append(end)
        if _escaped(text, start):
            start += 1
        length, ch = end - start, text[end - 1]
        after = text[end : end + 1]
        if ch == "|":
            table["||"].extend(range(start, end - 1))
            continue
        if ch == "~":
            if length >= 2:
                table["~~"].append(end - 2)
            continue
        # "*" closes after a non-space ("a *b*"), "_" before a non-word character ("_b_ c").
        if not text[end - 2 : end - 1].isspace() if ch == "*" else not _is_word(after):
            table[ch].append(end - 1)
        if length >= 2:
            table[ch * 2].append(end - 2)
        if length >= 3:
            table[ch * 3].append(end - 3)
    return table, starts, ends


class _Inline:
    """One text's inline parse: the closer tables are shared by every nested range."""

    __slots__ = ("text", "closers", "run_starts", "run_ends", "newline")

    def __init__(self, text: str, newline: tuple):
        self.text = text
        self.closers, self.run_starts, self.run_ends = _closers(text)
        self.newline = newline

    def parse(self, lo: int, hi: int, depth: int = 0, links: bool = True) -> tuple:
        text = self.text
        out: list[tuple] = []
        buf: list[str] = []
        p = lo
        while p < hi:
            m = _START.search(text, p, hi)
            if m is None:
                buf.append(text[p:hi])
                break
            q = m.start()
            if q > p:
                buf.append(text[p:q])
            node, end = self._at(q, hi, depth, links)
            if node is None:
                buf.append(text[q:end])
            elif node[0] == "text":
                buf.append(node[1])
            else:
                if buf:
                    out.append(("text", "".join(buf)))
                    buf = []
                out.append(node)
            p = end
        if buf:
            out.append(("text", "".join(buf)))
        return tuple(out)

    def _at(self, p: int, hi: int, depth: int, links: bool) -> tuple[tuple | None, int]:
        """The node starting at p and where it ends; (None, end) when text[p:end] is plain text."""
        text = self.text
        ch = text[p]
        if ch == "\n":
            return self.newline, p + 1
        if ch == "\\":
            nxt = text[p + 1 : p + 2] if p + 1 < hi else ""
            if nxt == "<":  # a mention stays a mention (never shown as a raw id); the backslash goes
                return ("text", ""), p + 1
            if nxt and not nxt.isalnum() and not nxt.isspace():
                return ("text", nxt), p + 2
            return None, p + 1
        if ch == "`":
            return self._code(p, hi)
        if ch == "<":
            return self._angle(p, hi, links)
        if ch == "h":
            return self._url(p, hi, links)
        if ch == "[":
            if links and depth < MAX_DEPTH:
                m = _LINK.match(text, p, hi)
                if m and _linkable(m.group("url")):
                    inner = self.parse(m.start("text"), m.end("text"), depth + 1, links=False)
                    return ("link", m.group("url"), inner), m.end()
            return None, p + 1
        return self._styled(p, hi, depth, links)

    def _code(self, p: int, hi: int) -> tuple[tuple | None, int]:
        text = self.text
        end = p
        while end < hi and text[end] == "`":
            end += 1
        ticks = min(end - p, 3)
        fence = "`" * ticks
        close = text.find(fence, p + ticks + 1, hi) if p + ticks < hi else -1
        if close < 0:
            return None, p + 1
        body = text[p + ticks : close]
        if ticks == 2 and len(body) > 2 and body.startswith(" ") and body.endswith(" "):
            body = body[1:-1]
        elif ticks == 3:
            body = body.strip("\n")
        return ("code", body), close + ticks

    def _angle(self, p: int, hi: int, links: bool) -> tuple[tuple | None, int]:
        m = _ANGLE.match(self.text, p, hi)
        if m is None:
            return None, p + 1
        g = m.group
        if g("mid"):
            kind = "role" if g("mtype") == "&" else "user"
            return ("mention", kind, int(g("mid"))), m.end()
        if g("cid"):
            return ("mention", "channel", int(g("cid"))), m.end()
        if g("eid"):
            return ("emoji", g("ename"), int(g("eid")), g("anim") == "a"), m.end()
        if g("ts"):
            return ("time", int(g("ts")), g("tstyle") or "f"), m.end()
        if g("cmd"):
            return ("command", g("cmd"), int(g("cmdid"))), m.end()
        url = g("url")
        return (("url", url) if links and _linkable(url) else ("text", url)), m.end()

    def _url(self, p: int, hi: int, links: bool) -> tuple[tuple | None, int]:
        m = _URL.match(self.text, p, hi)
        if m is None:
            return None, p + 1
        url = m.group()
        while url and (url[-1] in _URL_TRAILING or url[-1] == ")" and url.count("(") < url.count(")")):
            url = url[:-1]
        if len(url) <= len("https://") or url.endswith("://"):
            return None, p + 1
        return (("url", url) if links and _linkable(url) else None), p + len(url)

    def _styled(self, p: int, hi: int, depth: int, links: bool) -> tuple[tuple | None, int]:
        text = self.text
        ch = text[p]
        run_end = min(hi, self.run_ends[bisect_right(self.run_starts, p) - 1])
        if depth >= MAX_DEPTH:
            return None, run_end
        for delim, tags in _OPTIONS[ch]:
            width = len(delim)
            if run_end - p < width:
                continue
            first = text[p + width : p + width + 1]
            if width == 1 and (
                not first or first.isspace() or first == ch or ch == "_" and p > 0 and _is_word(text[p - 1])
            ):
                continue
            table = self.closers[delim]
            i = bisect_left(table, p + width + 1)
            if i == len(table) or table[i] + width > hi:
                continue
            close = table[i]
            node = self.parse(p + width, close, depth + len(tags), links)
            for tag in reversed(tags):
                node = (("style", tag, node),)
            return node[0], close + width
        # Nothing opens here, nor anywhere else in the run (a later opener needs a later closer)
        # except a single marker at its end: "**a*" is "*" then an italic "a".
        return None, max(p + 1, run_end - 1)


def parse_inline(text: str, *, blocks: bool) -> tuple:
    """Inline nodes for text; a newline is a line break in a block, a space in a title."""
    return _Inline(text, ("br",) if blocks else ("text", " ")).parse(0, len(text))
