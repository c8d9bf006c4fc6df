"""Hold timers: hand an alert whose flap hold-down or maintenance window ended back to its lane.

The waiting raise or clear and its ``timer_at`` live in the alert's state (a changelogged
table), so nothing is lost when a worker restarts or partitions move: this worker's index of due
timers is rebuilt from its tables after every rebalance (yielding to the event loop as it
reads: a worker may hold 100,000 alert states) and kept current by the pipeline as it writes
states. A due timer becomes a record on the company's ``halopsa.ticket-observations``
partition, so it is decided in the lane, in order with the alert's other events
(``core.lifecycle.fire``); a repeated timer record changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from streamproc.core import AlertTicketState
from streamproc.topology import TICKET_OBSERVATIONS

if TYPE_CHECKING:
    from streamproc.runtime import Runtime

log = logging.getLogger(__name__)

TICK = 1.0  # seconds between checks: an alert's ticket waits at most this beyond its hold-down
RESEND = 10.0  # a timer still due this long after it was sent is sent again (lost, or parked)
SCAN_SLICE = 1000  # states read between two yields to the event loop while rebuilding


class HoldDownTimers:
    """This worker's due hold-down timers (state key → company, alert, due epoch seconds)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.due: dict[bytes, tuple[str, str, float]] = {}
        self.sent: dict[bytes, float] = {}
        self.scanned = False  # rebuilt from the tables since the last rebalance

    def note(self, key: bytes, state: AlertTicketState) -> None:
        """The pipeline wrote ``state``: remember or forget its timer."""
        if state.timer_at is None:
            self.due.pop(key, None)
            self.sent.pop(key, None)
        else:
            due = state.timer_at.timestamp()
            if key in self.due and self.due[key][2] != due:
                self.sent.pop(key, None)  # a new due time: the record sent was for the old one
            self.due[key] = (state.company_id, state.alert_id, due)

    def recheck(self, company_id: str) -> None:
        """The company's maintenance windows changed: re-check its held alerts at the next tick
        (a window removed or shortened releases them before their old end)."""
        for key, (company, alert, _) in list(self.due.items()):
            if company == company_id:
                self.due[key] = (company, alert, 0.0)
                self.sent.pop(key, None)

    def forget(self) -> None:
        """Partitions moved: rebuild from the tables at the next tick."""
        self.due.clear()
        self.sent.clear()
        self.scanned = False

    async def rescan(self) -> None:
        found: dict[bytes, tuple[str, str, float]] = {}
        for n, (key, value) in enumerate(self.runtime.topology.alert_state.items(), 1):
            due = _due(value)
            if due is not None:
                found[key] = (value["company_id"], value["alert_id"], due)
            if n % SCAN_SLICE == 0:
                await asyncio.sleep(0)
        # states the pipeline wrote while we read are newer than what we read
        self.due = found | self.due
        self.scanned = True

    async def tick(self) -> None:
        """Send a timer record for every due timer; errors are logged, never raised."""
        if not self.runtime.joined or self.runtime.app.rebalancing:
            return
        if not self.scanned:
            try:
                await self.rescan()
            except Exception as exc:  # e.g. partitions moved while reading: read again next tick
                log.warning("hold-down timers not rebuilt yet: %s", exc)
                return
        mono = time.monotonic()
        wall = time.time()
        topic = self.runtime.topic(TICKET_OBSERVATIONS)
        for key, (company, alert, due) in list(self.due.items()):
            if due > wall or mono - self.sent.get(key, -RESEND) < RESEND:
                continue
            value = {"company_id": company, "alert_id": alert, "timer": True}
            try:
                await (await topic.send(key=company.encode(), value=json.dumps(value).encode()))
            except Exception as exc:  # the next tick sends it again
                log.warning("hold-down timer of %r not sent: %s", key, exc)
                return
            self.sent[key] = mono


def _due(value: Any) -> float | None:
    if not isinstance(value, dict) or not value.get("timer_at"):
        return None
    try:
        return datetime.fromisoformat(value["timer_at"]).astimezone(UTC).timestamp()
    except (TypeError, ValueError):
        return None
