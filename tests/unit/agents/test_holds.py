"""Holds: an alert waiting for Halo keeps its later records parked, batch by batch."""

from __future__ import annotations

from streamproc.agents.holds import HoldChanges, Holds


async def handler(record) -> None:  # pragma: no cover - never called here
    pass


def test_a_hold_is_seen_by_its_batch_and_kept_only_when_the_batch_commits() -> None:
    holds = Holds()
    failed = HoldChanges()
    holds.hold(b"a1", "raise", failed)
    assert holds.get(b"a1", failed).record == "raise"
    assert holds.get(b"a1", HoldChanges()) is None  # not committed: another batch sees nothing
    done = HoldChanges()
    holds.hold(b"a1", "raise", done)
    holds.commit(done)
    assert holds.get(b"a1", HoldChanges()).record == "raise"
    assert len(holds) == 1


def test_records_park_behind_a_hold_in_order_and_a_failed_batch_parks_nothing() -> None:
    holds = Holds()
    first = HoldChanges()
    holds.hold(b"a1", "raise", first)
    assert holds.park(b"a1", "repeat", handler, first)
    holds.commit(first)
    assert not holds.park(b"a2", "other alert", handler, HoldChanges())
    failed = HoldChanges()
    assert holds.park(b"a1", "clear", handler, failed)  # this batch fails: not kept
    second = HoldChanges()
    assert holds.park(b"a1", "clear", handler, second)
    holds.commit(second)
    assert [r for r, _ in holds.get(b"a1", HoldChanges()).parked] == ["repeat", "clear"]


def test_a_release_gives_the_hold_back_and_takes_effect_with_the_batch() -> None:
    holds = Holds()
    changes = HoldChanges()
    holds.hold(b"a1", "raise", changes)
    holds.park(b"a1", "clear", handler, changes)
    holds.commit(changes)
    reply = HoldChanges()
    hold = holds.release(b"a1", reply)
    assert hold.record == "raise"
    assert [r for r, _ in hold.parked] == ["clear"]
    assert holds.get(b"a1", reply) is None
    assert holds.get(b"a1", HoldChanges()) is not None  # until the batch commits
    holds.hold(b"a1", "clear", reply)  # a parked record sent a job of its own
    holds.commit(reply)
    assert holds.get(b"a1", HoldChanges()).record == "clear"
    assert holds.release(b"a9", HoldChanges()) is None
    holds.forget()
    assert len(holds) == 0


def test_only_the_reply_to_the_held_job_releases_it() -> None:
    holds = Holds()
    changes = HoldChanges()
    holds.hold(b"a1", "clear", changes, "close_ticket:e2:7")
    holds.commit(changes)
    late = HoldChanges()
    assert holds.release(b"a1", late, "open_ticket:e1:wm-1") is None  # a replayed job's reply
    assert holds.get(b"a1", late) is not None
    assert holds.release(b"a1", late, "close_ticket:e2:7").record == "clear"
