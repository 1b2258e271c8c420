"""Small pure pieces of the list pages: page numbers from URLs and search snippets."""

from __future__ import annotations

import pytest

from bot.forum.listing import MAX_PAGE
from bot.forum.public_lists import clamp_page
from bot.forum.search import HIGHLIGHT
from web.lists import SNIPPET_MAX, snippet_parts

START, END = HIGHLIGHT


@pytest.mark.parametrize(
    ("raw", "page"),
    [(None, 1), ("", 1), ("0", 1), ("-2", 1), ("abc", 1), ("²", 1), ("٣", 1), ("1.5", 1), ("7", 7),
     ("99999999999999999999999", MAX_PAGE), (str(MAX_PAGE + 1), MAX_PAGE)],
)  # fmt: skip
def test_page_numbers_clamp(raw, page):
    assert clamp_page(raw) == page


def test_snippets_mark_matches_and_join_neighbours():
    text = f"…use {START}sqlite{END} {START}wal{END}\nmode, {START}SQLite{END}{START}3{END} too"
    assert snippet_parts(text) == [("…use ", False), ("sqlite wal", True), (" mode, ", False), ("SQLite3", True),
                                   (" too", False)]  # fmt: skip


def test_snippets_are_bounded():
    parts = snippet_parts("word " * 500 + f"{START}late{END}")
    assert sum(len(text) for text, _ in parts) <= SNIPPET_MAX + 1 and parts[-1][0].endswith("…")
    assert snippet_parts("") == []
