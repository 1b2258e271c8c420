"""`quorum web` leaves its start-up objects out of later garbage collections (gc.freeze)."""

from __future__ import annotations

import gc

from bot.web_cli import FULL_COLLECTION_EVERY, freeze_start_up_heap


def test_start_up_objects_are_frozen_out_of_collections():
    gc.unfreeze()
    thresholds = gc.get_threshold()
    try:
        freeze_start_up_heap()
        assert gc.get_freeze_count() > 1000  # at least this test process's modules and classes
        assert gc.get_threshold()[2] == FULL_COLLECTION_EVERY
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    assert gc.get_freeze_count() == 0
