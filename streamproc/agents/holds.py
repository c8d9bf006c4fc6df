"""Alerts waiting for Halo: their later records wait too, so each alert's events stay in order.

When a record's decision sends a job to the owner of the company's Halo instance, the record is
not finished: its result comes with the reply. Until then its alert is *held*: later records of
that alert are parked behind it (other alerts of the company go on), and neither the record nor
the parked ones are acknowledged, so a crash replays them. The reply releases the hold; the
parked records are then handled in order.

A lane batch sees its own holds and releases at once but they take effect only if the batch
completes (:meth:`Holds.commit`); a batch handled again after a failure starts from the holds as
they were.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[Any], Awaitable[None]]


@dataclass
class Hold:
    """The record whose job is out, and the records of its alert that came after it."""

    record: Any
    job_id: str | None = None
    parked: list[tuple[Any, Handler]] = field(default_factory=list)


@dataclass
class HoldChanges:
    """What one lane batch did to the holds (applied when the batch completes)."""

    added: dict[bytes, Hold] = field(default_factory=dict)
    released: dict[bytes, Hold] = field(default_factory=dict)


class Holds:
    """The holds of one worker's lanes, by state key (``core.state_key``)."""

    def __init__(self) -> None:
        self._held: dict[bytes, Hold] = {}

    def get(self, key: bytes, changes: HoldChanges) -> Hold | None:
        """The hold on ``key`` as the batch making ``changes`` sees it."""
        if key in changes.added:
            return changes.added[key]
        if key in changes.released:
            return None
        return self._held.get(key)

    def held(self, key: bytes) -> Hold | None:
        """The hold on ``key`` as the last completed batch left it."""
        return self._held.get(key)

    def hold(
        self, key: bytes, record: Any, changes: HoldChanges, job_id: str | None = None
    ) -> None:
        """``record`` sent job ``job_id`` for ``key``: later records of ``key`` wait for its
        reply."""
        changes.added[key] = Hold(record, job_id)

    def park(self, key: bytes, record: Any, handler: Handler, changes: HoldChanges) -> bool:
        """Park ``record`` behind the hold on ``key``; False when ``key`` is not held."""
        hold = self.get(key, changes)
        if hold is None:
            return False
        if key not in changes.added:  # a hold from an earlier batch: changed as a copy
            hold = changes.added[key] = Hold(hold.record, hold.job_id, [*hold.parked])
        hold.parked.append((record, handler))
        return True

    def release(self, key: bytes, changes: HoldChanges, job_id: str | None = None) -> Hold | None:
        """The reply to ``job_id`` came: the hold on ``key`` if it waited for that job (to
        finish its record and handle the parked ones). Any job when ``job_id`` is None."""
        hold = self.get(key, changes)
        if hold is None or (job_id is not None and hold.job_id not in (None, job_id)):
            return None
        changes.added.pop(key, None)
        if key in self._held:
            changes.released[key] = hold
        return hold

    def commit(self, changes: HoldChanges) -> None:
        for key in changes.released:
            self._held.pop(key, None)
        self._held.update(changes.added)

    def forget(self) -> None:
        """Partitions changed hands: the held records are replayed by their new owner."""
        self._held.clear()

    def __len__(self) -> int:
        return len(self._held)
