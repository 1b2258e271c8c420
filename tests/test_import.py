"""`quorum import`: an export ("quorum-export/2") loaded into a store, empty or holding the guild. The
round trip is identical, importing twice changes nothing, a newer stored row is never overwritten by an
older file, counters agree with a recount, and a bad file changes nothing and exits 2 with one line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.export import write_export
from bot.forum.importing import ImportRefused
from db.import_writes import ImportProgress, ImportSummary
from db.store import open_store
from tests.export_check import validated
from tests.test_export import G, fill


async def document(store, guild_id: int | None = G) -> str:
    out = io.StringIO()
    await write_export(store, out, guild_id)
    return out.getvalue()


async def import_text(store, tmp_path: Path, text: str, guild_id: int | None = None) -> ImportSummary:
    path = tmp_path / "in.json"
    path.write_text(text, encoding="utf-8")
    result = await store.import_file(path, guild_id, ImportProgress(path.stat().st_size))
    if isinstance(result, ImportRefused):
        raise result
    return result


@pytest.fixture
async def stores(tmp_path):
    opened = []

    async def make(name: str):
        store = await open_store(tmp_path / name, follow_search_index=False)
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.close()


async def test_round_trip_of_the_rich_forum_is_identical(stores, tmp_path):
    source, target = await stores("a.db"), await stores("b.db")
    await fill(source)
    exported = await document(source)
    validated(json.loads(exported))
    summary = await import_text(target, tmp_path, exported)
    assert summary.guilds == [G] and summary.questions_added == 5
    assert await document(target) == exported
    assert (await target.recount(fix=False)).differences == 0
