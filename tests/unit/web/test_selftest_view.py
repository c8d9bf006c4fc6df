"""The self-test view's body and answer shapes (SPEC §8)."""

from __future__ import annotations

import pytest

from streamproc.web.selftest import report_json, wants_write
from streamproc.web.validation import BodyError
from tests.unit.core.core_builders import a_config


def test_write_defaults_to_the_mode_and_the_body_decides() -> None:
    assert wants_write(b"", a_config()) is True
    assert wants_write(b"{}", a_config(mode="dry_run")) is False  # dry run writes nothing…
    assert wants_write(b'{"write": true}', a_config(mode="dry_run")) is True  # …unless asked
    assert wants_write(b'{"write": false}', a_config()) is False


@pytest.mark.parametrize("raw", [b'{"write": "yes"}', b"[]", b'{"write": 1}'])
def test_a_bad_body_is_a_422(raw: bytes) -> None:
    with pytest.raises(BodyError) as caught:
        wants_write(raw, a_config())
    assert caught.value.status == 422


def test_the_answer_leaves_out_empty_fix_and_false_skipped() -> None:
    step = {"name": "token", "ok": True, "ms": 3, "detail": "d", "fix": None, "skipped": False}
    skip = {"name": "priority", "ok": False, "ms": 0, "detail": "s", "fix": None, "skipped": True}
    raw = {"event_id": "t", "ok": False, "write": True, "steps": [step, skip], "at": "x"}
    answer = report_json(raw)
    assert answer["test_id"] == "t"
    assert answer["steps"] == [
        {"name": "token", "ok": True, "ms": 3, "detail": "d"},
        {"name": "priority", "ok": False, "ms": 0, "detail": "s", "skipped": True},
    ]
