"""The sandbox process's garbage-collector settings (its world must not be re-scanned)."""

import gc

from streamproc.halo_sandbox.app import skip_full_collections


def test_a_sandbox_process_freezes_its_world_and_skips_full_collections():
    before = gc.get_threshold()
    try:
        skip_full_collections()
        young, middle, full = gc.get_threshold()
        assert (young, middle) == before[:2]  # young collections go on as before
        assert full >= 2**31 - 1
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
