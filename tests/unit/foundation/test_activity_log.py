"""The activity ring keeps the newest 100 entries, oldest first, with O(1) writes."""

from __future__ import annotations

from streamproc import activity_log


def test_ring_keeps_the_newest_entries_in_order() -> None:
    table: dict = {}
    for n in range(130):
        activity_log.append(table, "acme", {"n": n})
    activity_log.append(table, "other", {"n": -1})
    assert [e["n"] for e in activity_log.recent(table, "acme")] == list(range(30, 130))
    assert [e["n"] for e in activity_log.recent(table, "acme", 3)] == [127, 128, 129]
    assert activity_log.recent(table, "other") == [{"n": -1}]
    assert activity_log.recent(table, "nobody") == []
    assert len(table) == 100 + 1 + 2, "slots are reused, not added"
