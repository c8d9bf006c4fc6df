"""The backfill view's pure helpers: when a running backfill blocks a new one, and the answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from streamproc.core import backfill as core
from streamproc.web.backfill import STUCK, progress_json, running

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_a_running_backfill_blocks_a_new_one_until_it_looks_stuck():
    progress = core.started(None, "b1", 5, NOW)["backfill"]
    assert running(progress, NOW + timedelta(minutes=1))
    assert not running(progress, NOW + STUCK + timedelta(seconds=1))
    assert not running(core.started(None, "b1", 0, NOW)["backfill"], NOW)  # done at once
    assert not running(None, NOW)
    assert not running({**progress, "started_at": "garbage"}, NOW)


def test_the_answer_hides_the_command_id():
    progress = core.started(None, "b1", 5, NOW)["backfill"]
    answer = progress_json(progress)
    assert "id" not in answer
    assert answer == {
        "state": "running",
        "total": 5,
        "created": 0,
        "skipped": 0,
        "failed": 0,
        "started_at": NOW.isoformat(),
        "finished_at": None,
    }
