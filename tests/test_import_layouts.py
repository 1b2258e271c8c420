"""`quorum import` reads the exporter's own layout a line at a time, and any other layout of the same
JSON with ijson's events (bot/forum/importing.py): the two readers give the same rows, the lines reader
gives up on anything else, and an import that began with it and met another layout halfway through
ends as if it had been read the general way from the start."""

from __future__ import annotations

import io
import json

import pytest

from bot.forum.import_rows import ImportRefused
from bot.forum.importing import NotFramed, read_export
from bot.forum.models import GuildSettings
from tests import test_import
from tests.export_check import validated
from tests.test_export import MOD, G, at, fill
from tests.test_import import document, import_text

stores = test_import.stores  # the fixtures, shared
exported_file = test_import.exported_file


def rows(text: str, *, framed: bool) -> list:
    return list(read_export(io.BytesIO(text.encode()), framed=framed))


@pytest.fixture(scope="module")
def two_guilds(tmp_path_factory) -> str:
    import asyncio

    from db.store import open_store

    async def make() -> str:
        store = await open_store(tmp_path_factory.mktemp("two") / "a.db", follow_search_index=False)
        try:
            await fill(store)
            await store.save_settings(GuildSettings(G + 1), MOD, at(70))
            return await document(store, None)
        finally:
            await store.close()

    return asyncio.run(make())


def test_the_exporters_layout_reads_the_same_rows_line_by_line(exported_file, two_guilds):
    for text in (exported_file, two_guilds):
        framed = rows(text, framed=True)
        assert framed == rows(text, framed=False) and len(framed) > 10


def test_an_empty_list_of_guilds_is_read_line_by_line():
    assert rows("[]\n", framed=True) == rows("[]\n", framed=False) == []


@pytest.mark.parametrize("layout", ["one line", "indented", "no final newline", "windows line ends", "split"])
def test_the_lines_reader_gives_up_on_any_other_layout(exported_file, layout):
    text = _laid_out(exported_file, layout)
    assert rows(text, framed=False) == rows(exported_file, framed=False)
    with pytest.raises(NotFramed):
        rows(text, framed=True)


@pytest.mark.parametrize("layout", ["indented", "split"])
async def test_a_file_in_another_layout_imports_as_the_exporters_does(stores, tmp_path, exported_file, layout):
    """"split": the exporter's layout until its last question, which spans two lines: the lines reader
    has given (and the importer written) every question before it when it gives up."""
    target = await stores("b.db")
    summary = await import_text(target, tmp_path, _laid_out(exported_file, layout))
    assert summary.questions_added == 5 and summary.rows_kept == 0
    assert await document(target) == exported_file
    assert (await target.recount(fix=False)).differences == 0


async def test_a_value_that_is_not_json_in_the_exporters_layout_is_refused_as_before(stores, tmp_path, exported_file):
    """The lines reader gives up; the events reader says what and where."""
    broken = exported_file.replace('"status":"open"', '"status":open', 1)
    target = await stores("b.db")
    with pytest.raises(ImportRefused) as refused:
        await import_text(target, tmp_path, broken)
    assert refused.value.message.startswith("not JSON: ")
    assert validated(json.loads(await document(target, None))) == []


def _laid_out(exported: str, layout: str) -> str:
    if layout == "one line":
        return json.dumps(json.loads(exported))
    if layout == "indented":
        return json.dumps(json.loads(exported), indent=2)
    if layout == "no final newline":
        return exported.rstrip("\n")
    if layout == "windows line ends":
        return exported.replace("\n", "\r\n")
    lines = exported.split("\n")
    last = max(n for n, line in enumerate(lines) if line.startswith("{\"id\":") and "\"title\":" in line)
    cut = lines[last].index(',"author_id"')
    lines[last] = lines[last][:cut] + ",\n" + lines[last][cut + 1 :]
    return "\n".join(lines)
