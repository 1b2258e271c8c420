"""Hostile input: property tests (hypothesis) of the pure layers that read what members type, and
a check that no SQL in db/ is built by string formatting.

Inputs: empty, huge, control characters, zero-width and right-to-left marks, markdown and code-fence
breakers, mentions (@everyone, roles, users), SQL and FTS syntax, lone surrogates' neighbours
(astral emoji), any Unicode. Expected: a clear error (a ForumError with a short message) or a
faithful result within Discord's limits; never another exception."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.forum.asking import MAX_BODY, MAX_TAGS, MAX_TITLE, MIN_TITLE, check_draft, check_tags
from bot.forum.errors import ForumError
from cogs.links import parse_ref
from cogs.render import clip, dlen, excerpt

ROOT = Path(__file__).resolve().parents[2]
TAGS = ("python", "discord.py", "sql", "help", "Solved")

NASTY = [
    "",
    " ",
    "\x00",
    "\u200b",
    "\u200e\u200f\u202e",
    "\ufeff",
    "@everyone",
    "@here",
    "<@123>",
    "<@&456>",
    "<@!789>",
    "```",
    "``",
    "`",
    "\\",
    "||spoiler||",
    "> quote",
    ">>> quote",
    "*",
    "_",
    "~~",
    "# head",
    "'; DROP TABLE posts; --",
    '" OR 1=1 --',
    "NEAR(a b)",
    "a* OR b",
    "col:term",
    '"unterminated',
    "\n",
    "\r\n",
    "\t",
    "😀",
    "👍🏽",
    "🏳️‍🌈",
    "https://discord.com/channels/1/2/3",
    "<#1>",
    "%s",
    "{0}",
    "?",
]
nasty_text = st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=30)), max_size=12).map("".join)
huge_text = st.one_of(nasty_text, nasty_text.map(lambda s: s * 300), st.just("x" * 4001), st.just("😀" * 2100))
EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _clear(error: ForumError) -> None:
    assert error.message and dlen(error.message) <= 2000  # fits an ephemeral message


@EXAMPLES
@given(title=huge_text, body=huge_text, tags=st.one_of(st.none(), nasty_text), forum=st.booleans())
def test_a_question_is_checked_or_refused_clearly(title, body, tags, forum):
    try:
        draft = check_draft(title, body, tags, list(TAGS) if forum else None)
    except ForumError as error:
        _clear(error)
        return
    assert MIN_TITLE <= len(draft.title) <= MAX_TITLE and "\n" not in draft.title
    assert draft.title == " ".join(title.split())  # faithful: only whitespace runs folded
    assert 0 < len(draft.body) <= MAX_BODY and draft.body == body.strip()
    assert len(draft.tags) <= MAX_TAGS
    if forum:
        assert set(draft.tags) <= set(TAGS)


@EXAMPLES
@given(tags=nasty_text)
def test_free_tags_are_short_and_lowercase(tags):
    try:
        found = check_tags(tags, None)
    except ForumError as error:
        _clear(error)
        return
    assert all(t == t.lower() and 0 < len(t) <= 20 and "," not in t for t in found)


@EXAMPLES
@given(text=st.one_of(nasty_text, st.from_regex(r"\s*<?https?://(ptb\.)?discord\.com/channels/\d{1,25}/\d{1,25}(/\d{1,25})?>?\s*"),
                      st.integers(min_value=-5, max_value=2**70).map(str)))  # fmt: skip
def test_a_reference_is_an_id_or_a_clear_refusal(text):
    try:
        ref = parse_ref(text)
    except ForumError as error:
        _clear(error)
        return
    assert 0 < ref.id < 2**64
    assert ref.channel_id is None or 0 < ref.channel_id < 2**64


@EXAMPLES
@given(text=huge_text, limit=st.integers(min_value=1, max_value=4096))
@example(text="0\x85>>> quote", limit=1)  # a line break other than "\n" before a block quote
def test_cut_text_fits_and_never_breaks_what_follows(text, limit):
    cut = clip(text, limit)
    assert dlen(cut) <= limit
    cut.encode("utf-8")  # no half of a surrogate pair left behind
    room = max(limit, 120)  # an excerpt with a jump link is never asked for less
    shown = excerpt(text, room, link="https://discord.com/channels/1/2/3")
    assert dlen(shown) <= room
    assert shown.count("```") % 2 == 0  # a fence the author or the cut left open is closed
    assert not any(line.lstrip().startswith(">>>") for line in shown.splitlines())


# ----- no SQL built by string formatting anywhere in db/ -----------------------------------------

EXECUTORS = {"execute", "executemany", "executescript", "execute_fetchall", "_fetchall", "_fetchone"}
SQL_WORDS = ("SELECT ", "INSERT ", "UPDATE ", "DELETE ", "CREATE ", "DROP ", "ALTER ", "PRAGMA ", " WHERE ")


def _formatted(node: ast.AST) -> str | None:
    """How `node` builds a string from values, or None for a literal (or a name)."""
    if isinstance(node, ast.JoinedStr):
        return "f-string"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return "% formatting"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parts = [node.left, node.right]
        if all(isinstance(p, ast.Constant) for p in parts):
            return None  # "a" "b"-style joining of literals
        return "concatenation"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join"):
        return f".{node.func.attr}()"
    return None


def _sql_looking(node: ast.AST) -> bool:
    text = " ".join(c.value for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str))
    return any(word in text.upper() for word in SQL_WORDS)


def sql_formatting(source: str, filename: str) -> list[str]:
    tree = ast.parse(source, filename)
    found = []
    for scope in ast.walk(tree):
        if not isinstance(scope, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        body = list(ast.walk(scope)) if not isinstance(scope, ast.Module) else scope.body
        built = {}  # local name -> how its value was built
        for node in body:
            if isinstance(node, ast.Assign) and (how := _formatted(node.value)):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        built[target.id] = how
                        if target.id.isupper() and _sql_looking(node.value):
                            found.append(f"{filename}:{node.lineno}: SQL constant {target.id} built by {how}")
        for node in ast.walk(scope) if not isinstance(scope, ast.Module) else ():
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in EXECUTORS:
                if not node.args:
                    continue
                sql = node.args[0]
                how = _formatted(sql) or (built.get(sql.id) if isinstance(sql, ast.Name) else None)
                if how:
                    found.append(f"{filename}:{node.lineno}: SQL passed to {node.func.attr} built by {how}")
    return sorted(set(found))


def test_no_sql_in_db_is_built_by_string_formatting():
    files = sorted((ROOT / "db").rglob("*.py"))
    assert len(files) >= 8
    found = [f for path in files for f in sql_formatting(path.read_text(), str(path.relative_to(ROOT)))]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        "def f(conn, t):\n    conn.execute(f'SELECT * FROM {t}')",
        "def f(conn, t):\n    conn.execute('SELECT * FROM %s' % t)",
        "def f(conn, t):\n    conn.execute('SELECT * FROM ' + t)",
        "def f(conn, t):\n    conn.executemany('SELECT {}'.format(t), [])",
        "def f(conn, t):\n    sql = f'DELETE FROM x WHERE id = {t}'\n    conn.execute(sql)",
        "async def f(self, t):\n    return await self._fetchall('SELECT ' + t, ())",
        "QUERY = 'SELECT * FROM posts WHERE ' + WHERE_PART",
        "LIST = ', '.join(COLUMNS)\nQ = 'SELECT ' + LIST",
    ],
)
def test_the_walker_sees_formatted_sql(source):
    assert sql_formatting(source, "x.py"), source


def test_the_walker_lets_parameters_and_literals_through():
    fine = (
        "Q = 'SELECT * FROM posts WHERE id = ?'\n"
        "def f(conn, pid):\n    conn.execute(Q, (pid,))\n    conn.execute('PRAGMA busy_timeout = 5000')\n"
        "    raise ValueError(f'post {pid} is missing')\n"
    )
    assert sql_formatting(fine, "x.py") == []
