"""Lanes finish records out of order; faust must still see each partition's acks in order."""

from __future__ import annotations

from dataclasses import dataclass, field

from faust.types import TP

from streamproc.agents.dispatch import InOrderAcks

P0, P1 = TP("alerts", 0), TP("alerts", 1)


@dataclass
class FakeRecord:
    tp: TP
    offset: int
    log: list[tuple[TP, int]] = field(default_factory=list)

    def ack(self) -> None:
        self.log.append((self.tp, self.offset))


def events(tp: TP, offsets: list[int], log: list) -> list[FakeRecord]:
    return [FakeRecord(tp, o, log) for o in offsets]


def test_a_newer_record_waits_for_the_older_one_in_flight() -> None:
    acks, log = InOrderAcks(), []
    e100, e101, e102 = events(P0, [100, 101, 102], log)
    for e in (e100, e101, e102):
        acks.track(e)
    acks.done(e102)
    acks.done(e101)
    assert log == []  # 100 is still in flight: faust would otherwise commit past it
    acks.done(e100)
    assert log == [(P0, 100), (P0, 101), (P0, 102)]
    assert acks.waiting(P0) == 0


def test_partitions_are_independent() -> None:
    acks, log = InOrderAcks(), []
    (a0,), (b5,) = events(P0, [0], log), events(P1, [5], log)
    acks.track(a0)
    acks.track(b5)
    acks.done(b5)
    assert log == [(P1, 5)]
    assert acks.waiting(P0) == 1


def test_a_replayed_offset_is_acked_once_per_copy() -> None:
    acks, log = InOrderAcks(), []
    stale, again, nxt = events(P0, [7, 7, 8], log)
    for e in (stale, again, nxt):
        acks.track(e)
    acks.done(nxt)
    acks.done(stale)
    assert log == [(P0, 7)]  # the second copy of 7 is still in flight, so 8 waits
    acks.done(again)
    assert log == [(P0, 7), (P0, 7), (P0, 8)]


def test_records_of_a_revoked_partition_are_never_acked() -> None:
    acks, log = InOrderAcks(), []
    e1, e2 = events(P0, [1, 2], log)
    acks.track(e1)
    acks.track(e2)
    acks.forget([P0])
    acks.done(e2)
    acks.done(e1)
    assert log == []  # the new owner replays them from the committed offset


@dataclass
class StampedRecord(FakeRecord):
    timestamp: float = 0.0


def test_the_oldest_unhandled_record_is_the_oldest_still_in_flight() -> None:
    acks, log = InOrderAcks(), []
    old, mid, new = (StampedRecord(P0, o, log, t) for o, t in ((7, 100.0), (8, 150.0), (9, 200.0)))
    for e in (old, mid, new):
        acks.track(e)
    assert acks.oldest_timestamp(P0) == 100.0
    acks.done(mid)  # handled, but 7 is still waiting: 7 is the oldest unhandled
    assert acks.oldest_timestamp(P0) == 100.0
    acks.done(old)
    assert acks.oldest_timestamp(P0) == 200.0
    acks.done(new)
    assert acks.oldest_timestamp(P0) is None
    assert acks.oldest_timestamp(P1) is None
