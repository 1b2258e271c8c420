"""The follow-ups' settings travel through `quorum export` and `quorum import`; a file written before
them imports with the defaults, and one with hours out of range is refused like any bad file."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.forum.importing import ImportRefused
from bot.forum.models import GuildSettings
from tests.export_check import validated
from tests.test_import import document, import_text, stores  # noqa: F401  (stores: the fixture)

G, MOD = 100, 13


async def test_the_delays_round_trip_and_default_for_older_files(stores, tmp_path):  # noqa: F811
    source = await stores("source.db")
    chosen = GuildSettings(G, 300, idle_nudge_hours=0, archive_after_accept_hours=5)
    await source.save_settings(chosen, MOD, datetime(2026, 1, 1, tzinfo=UTC))
    text = await document(source, G)
    settings = json.loads(text)["settings"]
    assert (settings["idle_nudge_hours"], settings["archive_after_accept_hours"]) == (0, 5)
    validated(json.loads(text))

    target = await stores("target.db")
    await import_text(target, tmp_path, text)
    got = await target.get_settings(G)
    assert (got.idle_nudge_hours, got.archive_after_accept_hours) == (0, 5)

    older = json.loads(text)
    del older["settings"]["idle_nudge_hours"], older["settings"]["archive_after_accept_hours"]
    validated(older)
    fresh = await stores("fresh.db")
    await import_text(fresh, tmp_path, json.dumps(older))
    got = await fresh.get_settings(G)
    assert (got.idle_nudge_hours, got.archive_after_accept_hours) == (24, 24)

    bad = json.loads(text)
    bad["settings"]["idle_nudge_hours"] = 9000
    with pytest.raises(ImportRefused):
        await import_text(await stores("bad.db"), tmp_path, json.dumps(bad))
